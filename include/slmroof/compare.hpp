#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "slmroof/result.hpp"

namespace slmroof {

/// The unit a compared metric is measured in (SI base units, docs/compare.md).
enum class MetricUnit { kSeconds, kTokensPerS, kBytes, kFlopPerByte, kPhi, kDecades };

/// Unit name as written in JSON ("s", "tokens/s", "bytes", "FLOP/byte", "mixed", "decades").
std::string_view MetricUnitName(MetricUnit u);

/// Which way a metric reads as an improvement; kNeither when it depends on the question asked.
enum class Better { kLower, kHigher, kNeither };

/// "lower", "higher" or "either".
std::string_view BetterName(Better b);

/// One quantity `compare` reports: the single table that names, help text and JSON come from.
struct CompareMetric {
  const char* name;  ///< as typed in --fail-if and keyed in JSON
  MetricUnit unit;
  Better better;
  const char* description;         ///< one line for --help and docs/compare.md
  std::optional<Phase> rip_phase;  ///< set on Φ metrics: comparable only within one regime (§9.4)
  double (*value)(const AnalysisResult& a);
};

/// Every compared metric, in output order.
const std::vector<CompareMetric>& CompareMetrics();

/// The metric called `name`, or nullptr.
const CompareMetric* FindCompareMetric(std::string_view name);

/// One metric at one point, base against candidate.
struct MetricDiff {
  const CompareMetric* metric = nullptr;
  double base = 0;
  double candidate = 0;
  double delta = 0;                ///< candidate − base
  std::optional<double> relative;  ///< delta / base; empty when base is 0
  std::optional<bool> comparable;  ///< Φ metrics only: both points in the same regime (§9.4)
};

/// One device, sequence length and batch size, with every metric in CompareMetrics() order.
struct ComparePoint {
  std::string hardware;  ///< Roof::device
  int64_t seq_len = 0;
  int64_t batch = 0;
  std::vector<MetricDiff> metrics;
};

/// Comparison operator of a --fail-if threshold.
enum class ThresholdOp { kGreater, kGreaterEqual, kLess, kLessEqual };

/// ">", ">=", "<" or "<=".
std::string_view ThresholdOpName(ThresholdOp op);

/// A parsed --fail-if expression `METRIC OP VALUE[%]`.
struct Threshold {
  std::string expr;  ///< as typed
  const CompareMetric* metric = nullptr;
  ThresholdOp op = ThresholdOp::kGreater;
  double value = 0;
  bool percent = false;  ///< tested on relative × 100 rather than on the absolute delta
};

/// Parses a --fail-if expression; throws UsageError quoting it on any malformed part.
Threshold ParseThreshold(std::string_view expr);

/// A positive amount with a unit of `unit` ("800MB", "1.5GiB", "12ms") in SI base units; throws
/// UsageError naming `what` (an option) and the units accepted.
double ParseAmount(std::string_view text, MetricUnit unit, std::string_view what);

/// A point where a threshold's condition holds, and the value tested there.
struct ThresholdHit {
  std::string hardware;
  int64_t seq_len = 0;
  int64_t batch = 0;
  double value = 0;  ///< relative × 100 with %, else the delta
};

/// A threshold and every point where it is crossed.
struct ThresholdResult {
  Threshold threshold;
  std::vector<ThresholdHit> hits;
  bool crossed() const { return !hits.empty(); }
  /// The hit furthest past the threshold (largest for > and >=, smallest for < and <=).
  const ThresholdHit& worst() const;
};

/// One side of a comparison: which model, under which settings.
struct CompareSide {
  std::string model;
  std::string display_name;
  std::string weights;
  std::string act;
  std::string kv;
  Fusion fusion = Fusion::kNone;
  MlaForm mla = MlaForm::kAbsorbed;
};

/// Everything `compare` computes; renderers only read it.
struct Comparison {
  CompareSide base;
  CompareSide candidate;
  std::vector<ComparePoint> points;
  std::vector<ThresholdResult> thresholds;
  bool crossed() const;
};

/// Compares base[i] with candidate[i] at every i (same roof and shape) and tests the thresholds.
/// Throws std::invalid_argument when the lists are empty or differ in length.
Comparison BuildComparison(const std::vector<AnalysisResult>& base,
                           const std::vector<AnalysisResult>& candidate,
                           const std::vector<Threshold>& thresholds);

}  // namespace slmroof
