#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "slmroof/engine_profile.hpp"
#include "slmroof/io/measurement_reader.hpp"

namespace slmroof {

/// One measurement replayed through the predictor (docs/accuracy.md).
struct ValidationRow {
  Measurement m;
  std::string skipped;      ///< why the row could not be predicted; empty when it was
  std::string family;       ///< the device's kind (laptop-soc, sbc, ...)
  std::string unit;         ///< the compute unit used
  Runtime runtime;          ///< engine and backend, fractions and fixed costs used
  int64_t seq_len = 0;      ///< the scenario: prompt length, or the mean decode context
  Scenario scenario;        ///< the row's scenario before the runtime is applied
  double thread_share = 1;  ///< CPU rows: threads used / the unit's cores (scales compute)
  double bandwidth_bytes_per_s = 0;   ///< the device bandwidth used (before the fraction)
  double peak_flops_per_s = 0;        ///< π of the scenario (before the fraction)
  double predicted_tps = 0;
  double ideal_tps = 0;     ///< the roofline bound (engine 'ideal') for the same row
  double ratio() const { return predicted_tps / m.tokens_per_s; }  ///< predicted / measured
};

/// Error statistics of a group of predicted rows.
struct ValidationGroup {
  std::string phase, engine, family;  ///< "*" where the group spans all values
  int64_t rows = 0;
  double median_abs_error = 0;  ///< median of |predicted / measured − 1|
  double p90_abs_error = 0;
  double median_ratio = 0;      ///< median of predicted / measured (bias)
  int64_t above_ideal = 0;      ///< rows measured faster than the ideal bound
};

struct ValidationReport {
  std::vector<ValidationRow> rows;
  std::vector<ValidationGroup> groups;  ///< per phase, then per phase × engine × family
};

/// How rows are predicted: the engine profile a row's engine name maps to (nullopt: the row is
/// skipped) and the one for the bound.
struct ValidateOptions {
  std::function<std::optional<EngineProfile>(const std::string& engine)> engine_for;
  bool use_row_backend = true;  ///< the row's backend, else the engine's default for the unit.
                                ///< The row's flash_attn applies when it ran the engine predicting it.
  std::vector<CalibrationEntry> calibration;  ///< applied where it has an entry (--calibration)
};

/// Predicts every row and summarises the errors.
ValidationReport Validate(const std::vector<Measurement>& rows, const ValidateOptions& options);

/// The q-quantile of `values` by linear interpolation between order statistics (R's type 7);
/// 0 for no values.
double Quantile(std::vector<double> values, double q);

/// Summaries of the predicted rows of `rows` (per phase, and per phase × engine × family).
std::vector<ValidationGroup> Summarize(const std::vector<ValidationRow>& rows);

}  // namespace slmroof
