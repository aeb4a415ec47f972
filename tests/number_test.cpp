#include "render/number.hpp"

#include <cmath>
#include <random>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace slmroof {
namespace {

std::string Sig10(double v) {
  char text[number::kMaxChars];
  return std::string(text, number::WriteSig10(v, text));
}

TEST(Number, MatchesPrintfG10) {
  // Ties at the 11th digit round to even on the exact value; 2^53 and above use to_chars.
  for (double v : {0.0, -0.0, 1e-5, 1.5e-5, 0.0001234567891, 0.001, 9.9999999995, 9.99999999949,
                   0.30000000000000004, 1e300, -1.234567890123e-300, 5e-324, 1.0, -1.0, 9999999999.0, 99999999995.0, 99999999985.0, 12345678905.0,
                   12345678915.0, 3.389659546e11, 1e15, 123456789012345.0, 9007199254740991.0,
                   9007199254740992.0, 1e20, 0.5, 1.004548876, 40.96078431372549, -2.5e-7,
                   3097183744.0, 5441956864.25}) {
    EXPECT_EQ(Sig10(v), fmt::format("{:.10g}", v)) << v;
  }
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> exponent(0, 16);
  std::uniform_real_distribution<double> wide(-30, 30);
  for (int i = 0; i < 200000; ++i) {
    const double any = std::pow(10.0, wide(rng));
    EXPECT_EQ(Sig10(any), fmt::format("{:.10g}", any));
    const double whole = std::floor(std::pow(10.0, exponent(rng)));
    const double frac = whole / 16 + static_cast<double>(i % 7) / 4;  // dyadic fractions too
    EXPECT_EQ(Sig10(whole), fmt::format("{:.10g}", whole));
    EXPECT_EQ(Sig10(frac), fmt::format("{:.10g}", frac));
  }
}

}  // namespace
}  // namespace slmroof
