// slmroof calibrate: fits a runtime's achieved fractions and fixed costs to measurements
// (docs/accuracy.md §3) and writes a calibration file that --calibration applies.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "slmroof/calibrate.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/render.hpp"

namespace slmroof::cli {

namespace {

struct CalibrateOptionsCli {
  std::vector<std::string> paths;
  std::string engine;
  std::string per = "unit";
  std::string split = "all";
  std::string output;
  bool cross_validate = false;
  MeasurementDefaults defaults;
};

// The leave-one-model-out table (docs/accuracy.md §3): per device unit, the median |error| of
// the predictions for models the fit never saw.
int RunCrossValidation(const std::vector<PreparedRow>& prepared, const std::string& output) {
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<double>> by;
  for (const HeldOutPrediction& h : LeaveOneModelOut(prepared)) {
    const ValidationRow& r = *h.row->row;
    const double error = std::abs(h.predicted_tps / h.row->measured_tps - 1);
    by[{r.m.phase, r.runtime.engine + " " + r.runtime.backend, r.m.device + " " + r.unit}]
        .push_back(error);
    by[{r.m.phase, "*", "*"}].push_back(error);
  }
  std::string text = fmt::format("{:<8} {:<16} {:<28} {:>5} {:>12} {:>10}\n", "phase", "engine",
                                 "device unit", "rows", "median|err|", "p90|err|");
  for (const auto& [key, errors] : by) {
    const auto& [phase, engine, unit] = key;
    text += fmt::format("{:<8} {:<16} {:<28} {:>5} {:>11.1f}% {:>9.1f}%\n", phase, engine, unit,
                        errors.size(), 100 * Quantile(errors, 0.5), 100 * Quantile(errors, 0.9));
  }
  Emit(text, output);
  return 0;
}

int RunCalibrate(const CalibrateOptionsCli& o) {
  std::optional<EngineProfile> forced;
  if (!o.engine.empty()) {
    forced = LoadEngine(o.engine);
  }
  std::vector<Measurement> rows = ReadMeasurementsFrom(o.paths, o.split, o.defaults);
  ValidateOptions options = RowEngines(forced);
  const ValidationReport report = Validate(rows, options);
  const std::vector<PreparedRow> prepared = PrepareRows(report);
  if (o.cross_validate) {
    return RunCrossValidation(prepared, o.output);
  }
  // Groups: engine and backend, and with --per unit also the device and its unit.
  std::map<std::tuple<std::string, std::string, std::string, std::string>,
           std::vector<const PreparedRow*>>
      groups;
  for (const PreparedRow& p : prepared) {
    const ValidationRow& r = *p.row;
    const bool per_unit = o.per == "unit";
    const std::string backend =
        o.per == "device-kind" ? r.runtime.backend + "/" + r.family : r.runtime.backend;
    groups[{r.runtime.engine, backend, per_unit ? r.m.device : "*", per_unit ? r.unit : "*"}]
        .push_back(&p);
  }
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (const auto& [key, members] : groups) {
    const auto& [engine, backend, device, unit] = key;
    int64_t prefill = 0, decode = 0;
    std::map<std::string, int> models;
    for (const PreparedRow* p : members) {
      (p->row->m.phase == "prefill" ? prefill : decode) += 1;
      ++models[p->row->m.model];
    }
    // Compute needs prefill rows; a per-pass cost needs models of different sizes or phases.
    const bool fit_compute = prefill >= 2;
    const bool fit_overhead = decode >= 3 && models.size() >= 2;
    // Figures there are too few rows to fit stay at the engine profile's.
    const Runtime& profile = members.front()->row->runtime;
    const RuntimeFigures start{profile.bandwidth_fraction, profile.compute_fraction,
                               profile.exec.overhead_per_pass_s, profile.exec.overhead_per_layer_s};
    const RuntimeFigures fitted = FitRuntime(members, start, fit_compute, fit_overhead);
    std::vector<std::string> fitted_names = {"bandwidth_fraction"};
    if (fit_compute) {
      fitted_names.push_back("compute_fraction");
    }
    if (fit_overhead) {
      fitted_names.insert(fitted_names.end(), {"overhead_per_pass_s", "overhead_per_layer_s"});
    }
    entries.push_back({{"engine", engine},
                       {"backend", backend},
                       {"device", device},
                       {"unit", unit},
                       {"bandwidth_fraction", RoundSig(fitted.bandwidth_fraction)},
                       {"compute_fraction", RoundSig(fitted.compute_fraction)},
                       {"overhead_per_pass_s", RoundSig(fitted.overhead_per_pass_s)},
                       {"overhead_per_layer_s", RoundSig(fitted.overhead_per_layer_s)},
                       {"fitted", fitted_names},
                       {"rows", static_cast<int64_t>(members.size())},
                       {"prefill_rows", prefill},
                       {"decode_rows", decode},
                       {"models", static_cast<int64_t>(models.size())},
                       {"rms_log_error", RoundSig(RmsLogError(members, fitted))}});
  }
  nlohmann::ordered_json j;
  j["schema_version"] = 1;
  j["split"] = o.split;
  j["entries"] = std::move(entries);
  Emit(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", o.output);
  return 0;
}

}  // namespace

std::function<int()> SetupCalibrate(CLI::App& cmd) {
  auto o = std::make_shared<CalibrateOptionsCli>();
  cmd.add_option("measurements", o->paths, "Measurement CSV files or directories")->required();
  cmd.add_option("--engine", o->engine, "Fit this engine profile to every row (default: each row's)");
  cmd.add_option("--per", o->per,
                 "One fit per device unit (unit), per engine backend (backend), or per backend "
                 "and kind of device (device-kind: entries 'cuda/edge-soc' to copy into an engine "
                 "profile; --calibration does not match them)")
      ->check(CLI::IsMember({"unit", "backend", "device-kind"}))
      ->capture_default_str();
  cmd.add_option("--split", o->split,
                 "Rows to fit: all, or the fit or holdout half (docs/accuracy.md §2)")
      ->check(CLI::IsMember({"all", "fit", "holdout"}))
      ->capture_default_str();
  AddMeasurementDefaults(cmd, &o->defaults);
  cmd.add_flag("--cross-validate", o->cross_validate,
               "Instead of a file, print leave-one-model-out errors per device unit: each model "
               "predicted by a calibration on the unit's other models");
  cmd.add_option("-o,--output", o->output, "Write the calibration file to FILE instead of stdout");
  return [o] { return RunCalibrate(*o); };
}

}  // namespace slmroof::cli
