// slmroof validate: replays measured throughputs through the predictor (docs/accuracy.md).
#include <map>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/text.hpp"
#include "slmroof/render.hpp"
#include "slmroof/units.hpp"
#include "slmroof/calibrate.hpp"
#include "slmroof/validate.hpp"

namespace slmroof::cli {

namespace {

struct ValidateOptionsCli {
  std::vector<std::string> paths;
  std::string engine;
  std::string max_error;
  std::string split = "all";
  MeasurementDefaults defaults;
  std::string calibration;
  bool rows = false;
  bool format_given = false;
  std::string format = "table";
  std::string output;
};

// "decode=20%,prefill=30%": the largest median |predicted/measured − 1| allowed per phase.
std::map<std::string, double> ParseMaxError(const std::string& text) {
  std::map<std::string, double> out;
  if (text.empty()) {
    return out;
  }
  for (const auto& [phase, value] : ParseKeyValueList(text, "--max-error", "PHASE=PERCENT%")) {
    if (phase != "prefill" && phase != "decode") {
      throw UsageError(fmt::format("--max-error: {} is not prefill or decode", Excerpt(phase)));
    }
    std::string number = value;
    if (!number.empty() && number.back() == '%') {
      number.pop_back();
    } else {
      throw UsageError(fmt::format("--max-error: '{}={}' needs a percentage, e.g. {}=20%", phase,
                                   value, phase));
    }
    size_t used = 0;
    double v = -1;
    try {
      v = std::stod(number, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != number.size() || !(v >= 0 && v <= 1000)) {
      throw UsageError(fmt::format("--max-error: {} is not a percentage from 0 to 1000", Excerpt(value)));
    }
    out[phase] = v / 100;
  }
  return out;
}

int RunValidate(const ValidateOptionsCli& o) {
  const std::map<std::string, double> limits = ParseMaxError(o.max_error);
  // Usage errors come before any file is read.
  const std::string format = FormatFor(o.format_given, o.format, o.output,
                                       {{".txt", "table"}, {".json", "json"}});
  std::optional<EngineProfile> forced;
  if (!o.engine.empty()) {
    forced = LoadEngine(o.engine);
  }
  const std::vector<Measurement> rows = ReadMeasurementsFrom(o.paths, o.split, o.defaults);
  ValidateOptions options = RowEngines(forced);
  if (!o.calibration.empty()) {
    options.calibration = LoadCalibration(o.calibration);
  }
  const ValidationReport report = Validate(rows, options);
  Emit(format == "json" ? RenderValidateJson(report) : RenderValidateTable(report, o.rows),
       o.output);
  int code = 0;
  for (const auto& [phase, limit] : limits) {
    bool found = false;
    for (const ValidationGroup& g : report.groups) {
      if (g.phase == phase && g.engine == "*") {
        found = true;
        if (!(g.median_abs_error <= limit)) {  // a NaN statistic fails too
          fmt::print(stderr, "slmroof: error: {} median |error| {:.1f}% over {} rows exceeds {:.1f}%\n",
                     phase, 100 * g.median_abs_error, g.rows, 100 * limit);
          code = kExitGate;
        }
      }
    }
    if (!found) {
      fmt::print(stderr, "slmroof: error: --max-error {}: no {} row could be predicted\n", phase,
                 phase);
      code = kExitGate;
    }
  }
  return code;
}

}  // namespace

std::vector<Measurement> ReadMeasurementsFrom(const std::vector<std::string>& paths,
                                              const std::string& split,
                                              const MeasurementDefaults& defaults) {
  std::vector<Measurement> rows;
  for (const std::string& path : paths) {
    for (Measurement& m : ReadMeasurements(path, defaults)) {
      if (split == "all" || InFitSplit(m.id) == (split == "fit")) {
        rows.push_back(std::move(m));
      }
    }
  }
  return rows;
}

void AddMeasurementDefaults(CLI::App& cmd, MeasurementDefaults* d) {
  cmd.add_option("--model", d->model,
                 "Model preset or file a llama-bench result was measured with (llama-bench names "
                 "models by GGUF file only)");
  cmd.add_option("--hw", d->device, "Device preset or file a llama-bench result was measured on");
  cmd.add_option("--unit", d->unit,
                 "Unit kind or name for llama-bench results [default: cpu for its CPU backend, "
                 "else gpu]");
}

ValidateOptions RowEngines(const std::optional<EngineProfile>& forced) {
  ValidateOptions options;
  const std::vector<std::string> known = EngineNames();
  options.engine_for = [forced, known](const std::string& name) -> std::optional<EngineProfile> {
    if (forced) {
      return forced;
    }
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return std::nullopt;
    }
    return LoadEngine(name);
  };
  // With --engine every row runs on that engine's default backend for its unit.
  options.use_row_backend = !forced;
  return options;
}

std::function<int()> SetupValidate(CLI::App& cmd) {
  auto o = std::make_shared<ValidateOptionsCli>();
  cmd.add_option("measurements", o->paths,
                 "Measurement CSV files or directories (every *.csv below, e.g. validation/)")
      ->required();
  cmd.add_option("--engine", o->engine,
                 "Predict every row with this engine profile (default: each row's own engine)");
  cmd.add_option("--max-error", o->max_error,
                 "Exit 4 when a phase's median |predicted/measured - 1| exceeds a limit, e.g. "
                 "decode=20%,prefill=30%");
  cmd.add_option("--split", o->split,
                 "Rows to replay: all, or the fit or holdout half (docs/accuracy.md §2)")
      ->check(CLI::IsMember({"all", "fit", "holdout"}))
      ->capture_default_str();
  AddMeasurementDefaults(cmd, &o->defaults);
  cmd.add_option("--calibration", o->calibration,
                 "Apply a calibration file (slmroof calibrate -o) where it has an entry");
  cmd.add_flag("--rows", o->rows, "List every row, not only the summaries (table format)");
  cmd.add_option("--format", o->format,
                 "Output format [default: from the -o file's extension: .txt, .json; else table]")
      ->check(CLI::IsMember({"table", "json"}));
  cmd.add_option("-o,--output", o->output, "Write to FILE instead of stdout");
  return [o, &cmd] {
    o->format_given = cmd.count("--format") > 0;
    return RunValidate(*o);
  };
}

}  // namespace slmroof::cli
