#include "render/human.hpp"

#include <cmath>

#include <fmt/format.h>

namespace slmroof::human {

std::string Si(double v, const char* unit) {
  static const char* kPrefixes[] = {"", "k", "M", "G", "T", "P", "E"};
  if (v == 0) {
    return fmt::format("0 {}", unit);
  }
  int idx = 0;
  double x = std::fabs(v);
  while (x >= 999.5 && idx < 6) {
    x /= 1000;
    ++idx;
  }
  const int digits = x >= 99.95 ? 0 : (x >= 9.995 ? 1 : 2);
  return fmt::format("{:.{}f} {}{}", std::copysign(x, v), digits, kPrefixes[idx], unit);
}

std::string Seconds(double s) {
  if (s >= 1) {
    return fmt::format("{:.3g} s", s);
  }
  if (s >= 1e-3) {
    return fmt::format("{:.3g} ms", s * 1e3);
  }
  if (s >= 1e-6) {
    return fmt::format("{:.3g} us", s * 1e6);
  }
  return fmt::format("{:.3g} ns", s * 1e9);
}

std::string Oi(double oi) { return oi >= 100 ? fmt::format("{:.0f}", oi) : fmt::format("{:.3g}", oi); }

}  // namespace slmroof::human
