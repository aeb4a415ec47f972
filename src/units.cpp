#include "slmroof/units.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "slmroof/errors.hpp"
#include "slmroof/limits.hpp"
#include "slmroof/text.hpp"

namespace slmroof {

std::string ToLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

namespace {

// Splits "120GB/s" into 120 and "GB/s"; returns false when no number leads the text.
bool SplitNumber(std::string_view text, double* value, std::string_view* rest) {
  text = Trim(text);
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, *value);
  if (ec != std::errc() || ptr == begin) {
    return false;
  }
  *rest = Trim(std::string_view(ptr, static_cast<size_t>(end - ptr)));
  return true;
}

// Applies an SI (k, M, G, T, P) or binary (Ki, Mi, Gi, Ti) prefix and strips the allowed unit
// words; returns false when anything else is left over.
bool ApplySuffix(double* value, std::string_view suffix, const std::vector<std::string>& units) {
  std::string s = ToLower(suffix);
  for (const std::string& unit : units) {
    if (s.size() >= unit.size() && s.compare(s.size() - unit.size(), unit.size(), unit) == 0) {
      s.erase(s.size() - unit.size());
      break;
    }
  }
  s = std::string(Trim(s));
  struct Prefix {
    const char* text;
    double factor;
  };
  static const Prefix kPrefixes[] = {
      {"", 1.0},          {"k", 1e3},          {"m", 1e6},          {"g", 1e9},
      {"t", 1e12},        {"p", 1e15},         {"ki", 1024.0},      {"mi", 1048576.0},
      {"gi", 1073741824.0}, {"ti", 1099511627776.0}};
  for (const Prefix& p : kPrefixes) {
    if (s == p.text) {
      *value *= p.factor;
      return true;
    }
  }
  return false;
}

// `min` and `max` keep every derived figure (ridge, times, Φ) finite in double precision.
double ParseQuantity(std::string_view text, std::string_view what, const std::vector<std::string>& units,
                     std::string_view example, double min, double max, std::string_view unit) {
  double value = 0;
  std::string_view rest;
  if (!SplitNumber(text, &value, &rest) || !ApplySuffix(&value, rest, units)) {
    throw UsageError(fmt::format("{}: cannot read {} as a quantity (example: {})", what, Excerpt(text), example));
  }
  if (!std::isfinite(value) || value <= 0) {
    throw UsageError(fmt::format("{}: {} must be positive and finite", what, Excerpt(text)));
  }
  if (value < min || value > max) {
    throw UsageError(
        fmt::format("{}: {} is outside [{:g}, {:g}] {}", what, Excerpt(text), min, max, unit));
  }
  return value;
}

}  // namespace

double ParseBandwidth(std::string_view text, std::string_view what) {
  return ParseQuantity(text, what, {"bytes/s", "byte/s", "b/s", "bps"}, "120GB/s",
                       limits::kBandwidth.min, limits::kBandwidth.max, "bytes/s");
}

double ParseRate(std::string_view text, std::string_view what) {
  return ParseQuantity(text, what, {"flop/s", "flops", "op/s", "ops"}, "3.5TFLOPS",
                       limits::kPeak.min, limits::kPeak.max, "per second");
}

std::vector<std::pair<std::string, std::string>> ParseKeyValueList(std::string_view text,
                                                                   std::string_view what,
                                                                   std::string_view form) {
  std::vector<std::pair<std::string, std::string>> items;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) {
      comma = text.size();
    }
    const std::string_view item = Trim(text.substr(start, comma - start));
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      throw UsageError(fmt::format("{}: {} is not of the form {}", what, Excerpt(item), form));
    }
    items.emplace_back(ToLower(Trim(item.substr(0, eq))), std::string(Trim(item.substr(eq + 1))));
    start = comma + 1;
  }
  return items;
}

PeakSpec ParsePeakSpec(std::string_view text) {
  PeakSpec spec;
  if (text.find('=') == std::string_view::npos) {
    spec.all = ParseRate(text, "--peak");
    return spec;
  }
  for (const auto& [name, rate] : ParseKeyValueList(text, "--peak", "precision=rate")) {
    Precision p;
    if (!ParsePrecision(name, &p)) {
      throw UsageError(fmt::format("--peak: unknown precision {} (known: fp32, fp16, bf16, int8, int4)", Excerpt(name)));
    }
    spec.each[p] = ParseRate(rate, fmt::format("--peak {}", name));
  }
  return spec;
}

}  // namespace slmroof
