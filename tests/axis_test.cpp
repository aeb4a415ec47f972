#include "slmroof/axis.hpp"

#include <gtest/gtest.h>

#include "slmroof/errors.hpp"

namespace slmroof {
namespace {

std::vector<int64_t> Values(const std::string& text) {
  const IntAxis axis = ParseIntAxis(text, "--seq", 1, int64_t{1} << 30);
  std::vector<int64_t> out;
  for (size_t i = 0; i < axis.size(); ++i) {
    out.push_back(axis.at(i));
  }
  return out;
}

std::string Error(const std::string& text) {
  try {
    ParseIntAxis(text, "--seq", 1, int64_t{1} << 30);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Axis, ListsRangesAndSteps) {
  EXPECT_EQ(Values("7"), (std::vector<int64_t>{7}));
  EXPECT_EQ(Values("1, 2,4"), (std::vector<int64_t>{1, 2, 4}));
  EXPECT_EQ(Values("128:2048:x2"),
            (std::vector<int64_t>{128, 256, 512, 1024, 2048}));
  EXPECT_EQ(Values("256:1024:+256"), (std::vector<int64_t>{256, 512, 768, 1024}));
  EXPECT_EQ(Values("256:1000:256"), (std::vector<int64_t>{256, 512, 768}));
  EXPECT_EQ(Values("3:5"), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(Values("10:1:-4"), (std::vector<int64_t>{10, 6, 2}));
  EXPECT_EQ(Values("100:1:/3"), (std::vector<int64_t>{100, 33, 11, 3, 1}));
  EXPECT_EQ(Values("5:5:-1"), (std::vector<int64_t>{5}));
  EXPECT_EQ(Values("1,8:32:x4,2"), (std::vector<int64_t>{1, 8, 32, 2}));
}

TEST(Axis, LongArithmeticRangesAreNotExpanded) {
  const IntAxis axis = ParseIntAxis("1:1000000000:+1", "--seq", 1, int64_t{1} << 30);
  EXPECT_EQ(axis.size(), 1000000000u);
  EXPECT_EQ(axis.at(999999999), 1000000000);
}

TEST(Axis, MalformedInputNamesTheProblem) {
  EXPECT_EQ(Error(""), "--seq: empty value in ''");
  EXPECT_EQ(Error("128,,256"), "--seq: empty value in '128,,256'");
  EXPECT_EQ(Error("0:4096:+256"), "--seq: 0 in '0:4096:+256' is outside [1, 1073741824]");
  EXPECT_EQ(Error("128:4096:+0"), "--seq: step 0 in '128:4096:+0' never reaches 4096");
  EXPECT_EQ(Error("4096:128:+256"),
            "--seq: '4096:128:+256' goes down from 4096 to 128 but its step +256 goes up; use a "
            "negative step (-K) or /K");
  EXPECT_EQ(Error("4096:128:x2"),
            "--seq: '4096:128:x2' goes down from 4096 to 128 but its step x2 goes up; use a "
            "negative step (-K) or /K");
  EXPECT_EQ(Error("128:4096:-2"),
            "--seq: '128:4096:-2' goes up from 128 to 4096 but its step -2 goes down; use a "
            "positive step (+K) or xK");
  EXPECT_EQ(Error("128:4096:x1"), "--seq: factor 1 in '128:4096:x1' must be at least 2");
  EXPECT_EQ(Error("128:4096:x"),
            "--seq: step 'x' in '128:4096:x' is not +K, -K, xK or /K with an integer K");
  EXPECT_EQ(Error("1k"), "--seq: '1k' is not an integer (in '1k')");
  EXPECT_EQ(Error("1:2:3:4"), "--seq: '1:2:3:4' is not a value or START:STOP[:STEP]");
  EXPECT_EQ(Error("99999999999999999999"),
            "--seq: '99999999999999999999' is not an integer (in '99999999999999999999')");
}

}  // namespace
}  // namespace slmroof
