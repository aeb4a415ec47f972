#include "slmroof/compare.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "slmroof/errors.hpp"
#include "slmroof/text.hpp"
#include "slmroof/units.hpp"

namespace slmroof {

namespace {

const PhaseResult& PhaseOf(const AnalysisResult& a, Phase p) {
  for (const PhaseResult& r : a.phases) {
    if (r.phase == p) {
      return r;
    }
  }
  throw std::invalid_argument(
      fmt::format("analysis of {} has no {} phase", a.model.name, PhaseName(p)));
}

const PhaseTotals& Decode(const AnalysisResult& a) { return PhaseOf(a, Phase::kDecode).totals; }
const PhaseTotals& Prefill(const AnalysisResult& a) { return PhaseOf(a, Phase::kPrefill).totals; }
const Rip& DecodeRip(const AnalysisResult& a) { return PhaseOf(a, Phase::kDecode).rip; }
const Rip& PrefillRip(const AnalysisResult& a) { return PhaseOf(a, Phase::kPrefill).rip; }

// A signed decimal as written by people: "+5", "-5", "0.5", "1e6"; no inf, nan or hex.
bool ParseSignedDecimal(std::string_view text, double* out) {
  std::string_view digits = text;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) {
    digits.remove_prefix(1);
  }
  if (digits.empty() ||
      !(std::isdigit(static_cast<unsigned char>(digits.front())) || digits.front() == '.')) {
    return false;
  }
  const char* end = digits.data() + digits.size();
  auto [ptr, ec] = std::from_chars(digits.data(), end, *out);
  if (ec != std::errc() || ptr != end || !std::isfinite(*out)) {
    return false;
  }
  if (text.front() == '-') {
    *out = -*out;
  }
  return true;
}

// The length of the leading decimal of `text` ("+2.5e-3ms" -> 7): sign, digits with one dot,
// and an exponent only when digits follow the 'e' (so that "5e" is not half a number).
size_t DecimalPrefix(std::string_view text) {
  size_t i = 0;
  auto digit = [&](size_t k) {
    return k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]));
  };
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    ++i;
  }
  while (digit(i) || (i < text.size() && text[i] == '.')) {
    ++i;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    size_t k = i + 1;
    if (k < text.size() && (text[k] == '+' || text[k] == '-')) {
      ++k;
    }
    if (digit(k)) {
      i = k;
      while (digit(i)) {
        ++i;
      }
    }
  }
  return i;
}

// A unit a --fail-if value may carry, and its factor to the metric's SI unit (docs/compare.md).
struct UnitWord {
  const char* word;
  double scale;
  bool optional = false;  ///< the metric has no physical unit: a bare number is fine
};

const std::vector<UnitWord>& UnitWords(MetricUnit u) {
  static const std::vector<UnitWord> kSeconds = {
      {"ms", 1e-3}, {"s", 1}, {"us", 1e-6}, {"\u00b5s", 1e-6}, {"ns", 1e-9}};
  static const std::vector<UnitWord> kRate = {
      {"tok/s", 1}, {"tokens/s", 1}, {"token/s", 1}, {"t/s", 1}};
  static const std::vector<UnitWord> kBytes = {
      {"MB", 1e6},           {"B", 1},           {"kB", 1e3},        {"KB", 1e3},
      {"GB", 1e9},           {"TB", 1e12},       {"KiB", 1024.0},    {"MiB", 1048576.0},
      {"GiB", 1073741824.0}, {"TiB", 1099511627776.0}};
  static const std::vector<UnitWord> kIntensity = {
      {"FLOP/B", 1, true}, {"FLOP/byte", 1, true}};
  static const std::vector<UnitWord> kDecades = {{"decades", 1, true}};
  static const std::vector<UnitWord> kNone;
  switch (u) {
    case MetricUnit::kSeconds:
      return kSeconds;
    case MetricUnit::kTokensPerS:
      return kRate;
    case MetricUnit::kBytes:
      return kBytes;
    case MetricUnit::kFlopPerByte:
      return kIntensity;
    case MetricUnit::kDecades:
      return kDecades;
    case MetricUnit::kPhi:
      return kNone;
  }
  return kNone;
}

bool Holds(ThresholdOp op, double value, double limit) {
  switch (op) {
    case ThresholdOp::kGreater:
      return value > limit;
    case ThresholdOp::kGreaterEqual:
      return value >= limit;
    case ThresholdOp::kLess:
      return value < limit;
    case ThresholdOp::kLessEqual:
      return value <= limit;
  }
  return false;
}

std::vector<std::string> MetricNames() {
  std::vector<std::string> names;
  for (const CompareMetric& m : CompareMetrics()) {
    names.emplace_back(m.name);
  }
  return names;
}

}  // namespace

// Names in enumerator order.
std::string_view MetricUnitName(MetricUnit u) {
  static constexpr std::string_view kNames[] = {"s",         "tokens/s", "bytes",
                                                "FLOP/byte", "mixed",    "decades"};
  return kNames[static_cast<size_t>(u)];
}

std::string_view BetterName(Better b) {
  static constexpr std::string_view kNames[] = {"lower", "higher", "either"};
  return kNames[static_cast<size_t>(b)];
}

std::string_view ThresholdOpName(ThresholdOp op) {
  static constexpr std::string_view kNames[] = {">", ">=", "<", "<="};
  return kNames[static_cast<size_t>(op)];
}

const std::vector<CompareMetric>& CompareMetrics() {
  using U = MetricUnit;
  static const std::vector<CompareMetric> kMetrics = {
      {"tpot", U::kSeconds, Better::kLower, "time per output token (one decode step)", std::nullopt,
       [](const AnalysisResult& a) { return Decode(a).time_s; }},
      {"ttft", U::kSeconds, Better::kLower, "time to first token (the prefill pass)", std::nullopt,
       [](const AnalysisResult& a) { return Prefill(a).time_s; }},
      {"decode_tps", U::kTokensPerS, Better::kHigher, "tokens generated per second", std::nullopt,
       [](const AnalysisResult& a) { return Decode(a).tokens_per_s; }},
      {"prefill_tps", U::kTokensPerS, Better::kHigher, "prompt tokens processed per second",
       std::nullopt, [](const AnalysisResult& a) { return Prefill(a).tokens_per_s; }},
      {"memory", U::kBytes, Better::kLower, "weights + KV cache + largest activation", std::nullopt,
       [](const AnalysisResult& a) { return a.memory.total_bytes; }},
      {"decode_oi", U::kFlopPerByte, Better::kNeither, "operational intensity of a decode step",
       std::nullopt, [](const AnalysisResult& a) { return Decode(a).oi; }},
      {"prefill_oi", U::kFlopPerByte, Better::kNeither, "operational intensity of the prefill pass",
       std::nullopt, [](const AnalysisResult& a) { return Prefill(a).oi; }},
      {"decode_phi", U::kPhi, Better::kNeither, "Φ of decode, in the paper's mixed units",
       Phase::kDecode, [](const AnalysisResult& a) { return DecodeRip(a).phi; }},
      {"prefill_phi", U::kPhi, Better::kNeither, "Φ of prefill, in the paper's mixed units",
       Phase::kPrefill, [](const AnalysisResult& a) { return PrefillRip(a).phi; }},
      {"decode_phi_log", U::kDecades, Better::kNeither,
       "Φ-log of decode, in decades of the log-log chart", Phase::kDecode,
       [](const AnalysisResult& a) { return DecodeRip(a).phi_log; }},
      {"prefill_phi_log", U::kDecades, Better::kNeither,
       "Φ-log of prefill, in decades of the log-log chart", Phase::kPrefill,
       [](const AnalysisResult& a) { return PrefillRip(a).phi_log; }},
  };
  return kMetrics;
}

const CompareMetric* FindCompareMetric(std::string_view name) {
  for (const CompareMetric& m : CompareMetrics()) {
    if (name == m.name) {
      return &m;
    }
  }
  return nullptr;
}

double ParseAmount(std::string_view text, MetricUnit unit, std::string_view what) {
  const std::string_view rest = Trim(text);
  const size_t end = DecimalPrefix(rest);
  const std::string_view suffix = Trim(rest.substr(end));
  double v = 0;
  std::vector<std::string> words;
  for (const UnitWord& u : UnitWords(unit)) {
    words.emplace_back(u.word);
    if (end > 0 && suffix == u.word && ParseSignedDecimal(rest.substr(0, end), &v) && v > 0 &&
        std::isfinite(v * u.scale)) {
      return v * u.scale;
    }
  }
  throw UsageError(fmt::format("{} {}: expected a positive number and a unit ({})", what,
                               Excerpt(text), fmt::join(words, ", ")));
}

Threshold ParseThreshold(std::string_view expr) {
  auto fail = [&](const std::string& why) {
    return UsageError(fmt::format("--fail-if {}: {}", Excerpt(expr, 80), why));
  };
  Threshold t;
  t.expr = std::string(expr);
  std::string_view rest = Trim(expr);
  size_t n = 0;
  while (n < rest.size() && (std::isalnum(static_cast<unsigned char>(rest[n])) || rest[n] == '_')) {
    ++n;
  }
  if (n == 0) {
    throw fail("expected METRIC OP VALUE[UNIT|%], e.g. 'tpot>+5%' or 'tpot>+2ms'");
  }
  const std::string name = ToLower(rest.substr(0, n));
  t.metric = FindCompareMetric(name);
  if (t.metric == nullptr) {
    const std::vector<std::string> names = MetricNames();
    const std::string hint = ClosestName(name, names);
    throw fail(fmt::format("unknown metric {}{} (known: {})", Excerpt(name),
                           hint.empty() ? "" : fmt::format(", did you mean '{}'?", hint),
                           fmt::join(names, ", ")));
  }
  rest = Trim(rest.substr(n));
  if (rest.starts_with(">=")) {
    t.op = ThresholdOp::kGreaterEqual;
  } else if (rest.starts_with("<=")) {
    t.op = ThresholdOp::kLessEqual;
  } else if (rest.starts_with(">")) {
    t.op = ThresholdOp::kGreater;
  } else if (rest.starts_with("<")) {
    t.op = ThresholdOp::kLess;
  } else {
    throw fail(fmt::format("expected >, >=, < or <= after {}", Excerpt(name)));
  }
  rest = Trim(rest.substr(ThresholdOpName(t.op).size()));
  if (rest.empty() || rest == "%") {
    throw fail(fmt::format("missing value after '{}'", ThresholdOpName(t.op)));
  }
  const size_t number_end = DecimalPrefix(rest);
  const std::string_view number = rest.substr(0, number_end);
  const std::string_view suffix = Trim(rest.substr(number_end));
  if (number.empty() || !ParseSignedDecimal(number, &t.value)) {
    throw fail(fmt::format("{} is not a number (examples: +5%, -10%, +2ms, +100MB, 0.5)",
                           Excerpt(rest)));
  }
  if (suffix == "%") {
    t.percent = true;
    return t;
  }
  const std::vector<UnitWord>& units = UnitWords(t.metric->unit);
  if (suffix.empty()) {
    // A bare number on a metric with a physical unit is ambiguous (+5: seconds? percent?):
    // only zero reads the same in every unit.
    if (!units.empty() && t.value != 0 && !units.front().optional) {
      // The examples repeat the number as typed when it is short; a long one (the message
      // stays short: docs/robustness.md) is replaced by 5.
      const std::string shown = number.size() <= 16 ? std::string(number) : "5";
      throw fail(fmt::format("{} is measured in {}: give a unit (e.g. '{}{}{}{}') or a relative "
                             "change ('{}{}{}%')",
                             name, MetricUnitName(t.metric->unit), name, ThresholdOpName(t.op),
                             shown, units.front().word, name, ThresholdOpName(t.op), shown));
    }
    return t;
  }
  for (const UnitWord& u : units) {
    if (suffix == u.word) {
      t.value *= u.scale;
      if (!std::isfinite(t.value)) {
        throw fail(fmt::format("{} is too large", Excerpt(rest)));
      }
      return t;
    }
  }
  std::vector<std::string> words{"%"};
  for (const UnitWord& u : units) {
    words.emplace_back(u.word);
  }
  throw fail(fmt::format("{} is not a unit of {} ({}; accepted: {})", Excerpt(suffix), name,
                         MetricUnitName(t.metric->unit), fmt::join(words, ", ")));
  return t;
}

const ThresholdHit& ThresholdResult::worst() const {
  const bool upward =
      threshold.op == ThresholdOp::kGreater || threshold.op == ThresholdOp::kGreaterEqual;
  return *std::max_element(hits.begin(), hits.end(),
                           [&](const ThresholdHit& x, const ThresholdHit& y) {
                             return upward ? x.value < y.value : x.value > y.value;
                           });
}

bool Comparison::crossed() const {
  return std::any_of(thresholds.begin(), thresholds.end(),
                     [](const ThresholdResult& t) { return t.crossed(); });
}

namespace {

CompareSide SideOf(const AnalysisResult& a) {
  const Scenario& s = a.scenario;
  return {a.model.name, a.model.display_name, s.weights.name, s.act.name, s.kv.name, s.fusion,
          s.mla};
}

ComparePoint ComparePair(const AnalysisResult& base, const AnalysisResult& candidate) {
  if (base.roof.device != candidate.roof.device ||
      base.scenario.seq_len != candidate.scenario.seq_len ||
      base.scenario.batch != candidate.scenario.batch) {
    throw std::invalid_argument("compared analyses differ in device, seq_len or batch");
  }
  ComparePoint point{base.roof.device, base.scenario.seq_len, base.scenario.batch, {}};
  for (const CompareMetric& m : CompareMetrics()) {
    MetricDiff d;
    d.metric = &m;
    d.base = m.value(base);
    d.candidate = m.value(candidate);
    d.delta = d.candidate - d.base;
    if (d.base != 0) {
      d.relative = d.delta / d.base;
    }
    if (m.rip_phase) {
      // Points on opposite sides of the ridge are limited by different resources (§9.4).
      d.comparable =
          PhaseOf(base, *m.rip_phase).rip.regime == PhaseOf(candidate, *m.rip_phase).rip.regime;
    }
    point.metrics.push_back(d);
  }
  return point;
}

ThresholdResult Test(const Threshold& t, const std::vector<ComparePoint>& points) {
  ThresholdResult r{t, {}};
  const size_t index = static_cast<size_t>(t.metric - CompareMetrics().data());
  for (const ComparePoint& p : points) {
    const MetricDiff& d = p.metrics.at(index);
    if (d.comparable == false || (t.percent && !d.relative)) {
      continue;  // an incomparable Φ or a change relative to 0 crosses nothing
    }
    const double value = t.percent ? *d.relative * 100 : d.delta;
    if (Holds(t.op, value, t.value)) {
      r.hits.push_back({p.hardware, p.seq_len, p.batch, value});
    }
  }
  return r;
}

}  // namespace

Comparison BuildComparison(const std::vector<AnalysisResult>& base,
                           const std::vector<AnalysisResult>& candidate,
                           const std::vector<Threshold>& thresholds) {
  if (base.empty() || base.size() != candidate.size()) {
    throw std::invalid_argument("BuildComparison needs two non-empty lists of the same length");
  }
  Comparison c;
  c.base = SideOf(base.front());
  c.candidate = SideOf(candidate.front());
  for (size_t i = 0; i < base.size(); ++i) {
    c.points.push_back(ComparePair(base[i], candidate[i]));
  }
  for (const Threshold& t : thresholds) {
    c.thresholds.push_back(Test(t, c.points));
  }
  return c;
}

}  // namespace slmroof
