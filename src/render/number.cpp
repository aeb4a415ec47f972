#include "render/number.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

#include "slmroof/text.hpp"

namespace slmroof::number {

namespace {

constexpr uint64_t kPow10[] = {1ull,
                               10ull,
                               100ull,
                               1000ull,
                               10000ull,
                               100000ull,
                               1000000ull,
                               10000000ull,
                               100000000ull,
                               1000000000ull,
                               10000000000ull,
                               100000000000ull,
                               1000000000000ull,
                               10000000000000ull,
                               100000000000000ull,
                               1000000000000000ull,
                               10000000000000000ull};

int Digits(uint64_t m) {
  int d = 1;
  while (d < 17 && m >= kPow10[d]) {
    ++d;
  }
  return d;
}

char* WriteUnsigned(uint64_t m, char* out) { return std::to_chars(out, out + 20, m).ptr; }

}  // namespace

char* WriteSig10(double v, char* out) {
  // Whole numbers in [1, 2^53) (most FLOP and byte counts) have exact decimal digits at hand, so
  // "%.10g"'s rounding (to nearest, ties to even on the exact value) is done in integers.
  const double a = std::fabs(v);
  if (a >= 1 && a < 9007199254740992.0 && a == std::floor(a)) {
    if (v < 0) {
      *out++ = '-';
    }
    const uint64_t m = static_cast<uint64_t>(a);
    const int d = Digits(m);
    if (d <= 10) {
      return WriteUnsigned(m, out);  // "%.10g" prints these as they are
    }
    const uint64_t unit = kPow10[d - 10];
    uint64_t q = m / unit;
    const uint64_t r = m % unit;
    const uint64_t half = unit / 2;
    if (r > half || (r == half && (q & 1) == 1)) {
      ++q;
    }
    int exponent = d - 1;
    if (q == kPow10[10]) {  // 9999999999|5 rounds up to 1e10
      q = kPow10[9];
      ++exponent;
    }
    while (q % 10 == 0) {  // "%g" drops trailing zeros of the fraction
      q /= 10;
    }
    char digits[12] = {};
    const char* end = WriteUnsigned(q, digits);
    *out++ = digits[0];
    if (end - digits > 1) {
      *out++ = '.';
      for (const char* p = digits + 1; p < end; ++p) {
        *out++ = *p;
      }
    }
    *out++ = 'e';
    *out++ = '+';
    if (exponent < 10) {
      *out++ = '0';
    }
    return WriteUnsigned(static_cast<uint64_t>(exponent), out);
  }
  // Everything else: libstdc++'s exact (Ryu printf) conversion.
  return std::to_chars(out, out + kMaxChars, v, std::chars_format::general, 10).ptr;
}

void AppendCsvField(std::string_view raw, std::string* out) {
  const std::string text = ValidUtf8(raw);  // a file name may hold any bytes
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    *out += text;
    return;
  }
  *out += '"';
  for (char c : text) {
    *out += c;
    if (c == '"') {
      *out += '"';
    }
  }
  *out += '"';
}

}  // namespace slmroof::number
