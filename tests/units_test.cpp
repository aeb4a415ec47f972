#include <gtest/gtest.h>

#include "slmroof/errors.hpp"
#include "slmroof/units.hpp"

namespace slmroof {
namespace {

TEST(Units, Bandwidth) {
  EXPECT_DOUBLE_EQ(ParseBandwidth("120GB/s", "x"), 120e9);
  EXPECT_DOUBLE_EQ(ParseBandwidth("68.25 GB/s", "x"), 68.25e9);
  EXPECT_DOUBLE_EQ(ParseBandwidth("1.2e11", "x"), 1.2e11);
  EXPECT_DOUBLE_EQ(ParseBandwidth("1GiB/s", "x"), 1073741824.0);
  EXPECT_DOUBLE_EQ(ParseBandwidth("3T", "x"), 3e12);
}

TEST(Units, Rates) {
  EXPECT_DOUBLE_EQ(ParseRate("3.5T", "x"), 3.5e12);
  EXPECT_DOUBLE_EQ(ParseRate("3.5TFLOPS", "x"), 3.5e12);
  EXPECT_DOUBLE_EQ(ParseRate("614 GOPS", "x"), 614e9);
  EXPECT_DOUBLE_EQ(ParseRate("25", "x"), 25);
}

TEST(Units, Errors) {
  try {
    ParseBandwidth("fast", "--bandwidth");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--bandwidth: cannot read 'fast' as a quantity (example: 120GB/s)");
  }
  try {
    ParseBandwidth("-3GB/s", "--bandwidth");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--bandwidth: '-3GB/s' must be positive and finite");
  }
  EXPECT_THROW(ParseBandwidth("120XB/s", "x"), UsageError);
  EXPECT_THROW(ParseRate("inf", "x"), UsageError);
  EXPECT_THROW(ParseRate("nan", "x"), UsageError);
}

TEST(Units, KeyValueList) {
  const auto items = ParseKeyValueList(" FP16 = 3.5T ,int8=7T", "--x", "k=v");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0], (std::pair<std::string, std::string>{"fp16", "3.5T"}));
  EXPECT_EQ(items[1], (std::pair<std::string, std::string>{"int8", "7T"}));
  try {
    ParseKeyValueList("a=1,b", "--x", "k=v");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--x: 'b' is not of the form k=v");
  }
}

TEST(Units, PeakSpec) {
  EXPECT_DOUBLE_EQ(ParsePeakSpec("2T").all, 2e12);
  const PeakSpec each = ParsePeakSpec("fp16=3.5T,int8=7T");
  EXPECT_DOUBLE_EQ(each.each.at(Precision::kFp16), 3.5e12);
  EXPECT_DOUBLE_EQ(each.each.at(Precision::kInt8), 7e12);
  try {
    ParsePeakSpec("fp64=1T");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--peak: unknown precision 'fp64' (known: fp32, fp16, bf16, int8, int4)");
  }
  EXPECT_THROW(ParsePeakSpec("fp16"), UsageError);
  EXPECT_THROW(ParsePeakSpec("fp16=,int8=1T"), UsageError);
}

}  // namespace
}  // namespace slmroof
