#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "slmroof/engine_profile.hpp"
#include "slmroof/io/measurement_reader.hpp"
#include "slmroof/validate.hpp"

namespace slmroof {

/// The four runtime figures calibration fits (docs/accuracy.md §3).
struct RuntimeFigures {
  double bandwidth_fraction = 1;
  double compute_fraction = 1;
  double overhead_per_pass_s = 0;
  double overhead_per_layer_s = 0;
};

/// One measurement reduced to what its predicted time depends on once the runtime's execution
/// (micro-batches, math precisions) is fixed: per operator, the time against the full compute
/// ceiling and against the full bandwidth, and the passes that pay the fixed costs.
/// time = Σ max(compute_s / f_c, memory_s / f_bw) + passes · (t_pass + layers · t_layer).
struct PreparedRow {
  const ValidationRow* row = nullptr;
  std::vector<double> compute_s;  ///< count · FLOPs / peak, per operator
  std::vector<double> memory_s;   ///< count · bytes / bandwidth, per operator
  double passes = 1;
  double layers = 0;
  double tokens = 0;
  double measured_tps = 0;
  /// Predicted tokens/s under `f` (the formula of docs/cost-model.md §7.5).
  double Tps(const RuntimeFigures& f) const;
};

/// Prepares every predicted (not skipped) row of a validation report; the runtime of each row is
/// the one validation used, with its fractions and fixed costs set aside.
std::vector<PreparedRow> PrepareRows(const ValidationReport& report);

/// Least squares on log(predicted / measured) over `rows` (docs/accuracy.md §3): coordinate
/// descent with golden-section steps, fractions in (0, 1], fixed costs ≥ 0. `fit_compute` and
/// `fit_overhead` leave those figures at `start` when false (too few rows of that kind).
RuntimeFigures FitRuntime(const std::vector<const PreparedRow*>& rows, RuntimeFigures start,
                          bool fit_compute, bool fit_overhead);

/// Root mean square of log(predicted / measured).
double RmsLogError(const std::vector<const PreparedRow*>& rows, const RuntimeFigures& f);

/// One row predicted by a calibration that never saw its model.
struct HeldOutPrediction {
  const PreparedRow* row = nullptr;
  double predicted_tps = 0;
};

/// Leave one model out, per device unit (engine, backend, device, unit): for every model of a
/// unit that has rows of at least two models, fit the unit on its other models' rows and predict
/// the model left out (docs/accuracy.md §3). Compute is fitted with two prefill rows or more, the
/// fixed costs with three decode rows of two models or more.
std::vector<HeldOutPrediction> LeaveOneModelOut(const std::vector<PreparedRow>& rows);

/// Whether a measurement belongs to the fit split: the FNV-1a 64-bit hash of its id is even.
/// Fixed before anything was fitted, so held-out rows never informed a profile (§2).
bool InFitSplit(const std::string& id);

}  // namespace slmroof
