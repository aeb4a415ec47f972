#pragma once

// Private to the CLI layer: what the subcommands share, and one setup function per subcommand.

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "slmroof/hardware.hpp"
#include "slmroof/model.hpp"
#include "slmroof/plot.hpp"
#include "slmroof/prune.hpp"
#include "slmroof/result.hpp"
#include "slmroof/temp_files.hpp"
#include "slmroof/validate.hpp"
#include "slmroof/weights.hpp"

namespace slmroof::cli {

/// The embedded default of `slmroof analyze` with no arguments: a real model on a real edge device.
inline constexpr const char* kDefaultModel = "qwen2.5-1.5b";
inline constexpr const char* kDefaultHardware = "jetson-orin-nano-super";

/// A subcommand's setup: declares its options on `cmd` and returns the function that runs it.
using Setup = std::function<std::function<int()>(CLI::App& cmd)>;

std::function<int()> SetupAnalyze(CLI::App& cmd);
std::function<int()> SetupCompare(CLI::App& cmd);
std::function<int()> SetupList(CLI::App& cmd);
std::function<int()> SetupInspect(CLI::App& cmd);
std::function<int()> SetupQuantPlan(CLI::App& cmd);
std::function<int()> SetupSweep(CLI::App& cmd);
std::function<int()> SetupValidate(CLI::App& cmd);
std::function<int()> SetupCalibrate(CLI::App& cmd);
std::function<int()> SetupCompletion(CLI::App& cmd);
std::function<int()> SetupHelp(CLI::App& cmd);

/// The manual page (roff) of every subcommand and option of `app`.
std::string ManualPage(const CLI::App& app);

/// A few typical command lines, for --help and the manual page.
const char* ExamplesText();

/// Measurements of every path; `split` keeps all rows, or the fit or holdout half (InFitSplit).
std::vector<Measurement> ReadMeasurementsFrom(const std::vector<std::string>& paths,
                                              const std::string& split,
                                              const MeasurementDefaults& defaults);

/// Declares --model, --hw and --unit: what a llama-bench file was measured on.
void AddMeasurementDefaults(CLI::App& cmd, MeasurementDefaults* d);

/// Each row predicted with its own engine's profile (rows of an engine without one are
/// skipped), or every row with `forced` on its default backend.
ValidateOptions RowEngines(const std::optional<EngineProfile>& forced);

/// Where a subcommand's data goes: stdout, or a temporary file beside `path` (beside the file a
/// symbolic link names) that Publish() renames into place, so that a failed run leaves no file.
/// With `hold_stdout`, data for stdout is kept in memory until Publish(), so that nothing is
/// printed when a later step (a chart) fails. `what` names the option in errors (-o, --plot).
class Output {
 public:
  explicit Output(const std::string& path, const std::string& what = "-o", bool hold_stdout = false);
  ~Output();
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;
  std::FILE* file() const { return file_; }
  /// Flushes and closes; throws InputError when the data could not be written. Nothing is
  /// visible at the destination yet.
  void Close();
  /// Renames the temporary file into place, or prints what was held for stdout.
  void Publish();
  /// Close() then Publish().
  void Commit() {
    Close();
    Publish();
  }
  /// The temporary file, for a program that writes it itself (rsvg-convert); empty for stdout,
  /// a FIFO or a device.
  const std::string& temp_path() const;
  const std::string& path() const { return path_; }

 private:
  std::string what_;
  std::string path_;
  std::string target_;  ///< the file the rename replaces (path_, or where its links lead)
  std::unique_ptr<TempFile> tmp_;
  bool in_place_ = false;  ///< a FIFO or device, written directly
  std::FILE* file_ = nullptr;
  bool holding_ = false;  ///< stdout data is held in memory until Publish()
  char* held_ = nullptr;  ///< open_memstream's buffer
  size_t held_size_ = 0;
};

/// Throws InputError "`what`: cannot write PATH: REASON" for errno `error`.
[[noreturn]] void CannotWrite(const std::string& what, const std::string& path, int error);

/// Whether `path` is a FIFO or a device (/dev/stdout): its name says nothing about a format.
bool IsStream(const std::string& path);

/// The extension of `path`, lower-cased, with its dot; "" when it has none.
std::string ExtensionOf(const std::string& path);

/// Writes `text` to stdout, or atomically to `path`.
void Emit(const std::string& text, const std::string& path);

/// Declares --as FAMILY: the model_type HuggingFace config files are read as.
void AddAsOption(CLI::App& cmd, std::string* as_family);

/// Adds --plan FILE: a mixed-precision plan applied on top of --weights (docs/gguf.md).
void AddPlanOption(CLI::App& cmd, std::string* plan);

/// Loads a model (LoadModel) and prints what its reader approximated or ignored, one warning
/// line per model.
ModelSpec LoadModelAndWarn(const std::string& name, const std::string& as_family);

/// The same, with structured pruning applied (--prune, docs/cost-model.md §12).
ModelSpec LoadModelAndWarn(const std::string& name, const std::string& as_family,
                           const PruneSpec& prune);

/// Adds --prune SPEC to a command.
void AddPruneOption(CLI::App& cmd, std::string* prune);

/// Adds --sparsity N:M to a command.
void AddSparsityOption(CLI::App& cmd, std::string* sparsity);

/// Adds --prune, --sparsity and --state (the model variants of §11.5 and §12).
void AddVariantOptions(CLI::App& cmd, std::string* prune, std::string* sparsity, std::string* state);

/// A --sparsity value ("" for dense); throws UsageError naming `where`.
std::pair<int, int> SparsityArg(const std::string& text, const std::string& where);

/// Warns when a sparsity pattern is asked for on a unit that does not run it (costed dense).
void WarnSparsity(const Scenario& s, const Roof& roof);

/// Warns when `tokens` of context (the largest --seq or --ctx) go beyond the context the model
/// was trained for: the cost is extrapolated past what the model can use.
void WarnBeyondContext(const ModelSpec& model, int64_t tokens, const std::string& option);

/// Names of every storage type, for option validation.
std::vector<std::string> DTypeNames();

/// Warns on stderr, once per pair, where an operator's precision has no peak on the unit and
/// runs against another precision's ceiling (§7.1).
void WarnPeakFallbacks(const AnalysisResult& a);

/// One side of `compare`: the model to load and the scenario settings it runs under.
struct Side {
  std::string model;
  Scenario scenario;
  PruneSpec prune;  ///< --prune, or this side's @prune=
};

/// Parses a `compare` argument "MODEL" or "MODEL@key=value,..." (keys weights, act, kv, fusion,
/// mla): `shared` with this side's overrides applied. An existing file's path is taken whole even
/// when it holds '@'. `role` ("base", "candidate") names the argument in a UsageError.
Side ParseSide(const std::string& arg, const char* role, const Scenario& shared,
               const PruneSpec& shared_prune = {});

/// Validates a --weights value: a llama.cpp file type, a storage type or pure:TYPE.
CLI::Validator WeightSettingCheck();

/// ParseWeightSetting with `where` (the argument it came from) in front of its error.
WeightSetting ParseWeightSettingAt(const std::string& where, const std::string& text);

/// The device options every subcommand that places points on a roof takes.
struct RoofOptions {
  std::vector<std::string> hw;  ///< presets or files; empty: the default, or a custom roof
  std::string unit;
  std::string roof = "theoretical";
  std::string bandwidth;
  std::string peak;
  std::string engine = "llama.cpp";
  std::string backend;
  std::string unit_kind;  ///< for a device from --bandwidth/--peak: cpu (default), gpu or npu
  std::string calibration;  ///< a calibration file (slmroof calibrate -o)
  bool keep_act = false;     ///< --act was given: it wins over the engine's activation type
  bool keep_fusion = false;  ///< --fusion was given: it wins over the engine's attention form
  bool keep_mla = false;     ///< --mla was given: it wins over the engine's MLA forms
};

/// Declares --hw (several when `several`), --unit, --roof, --bandwidth and --peak on `cmd`.
void AddRoofOptions(CLI::App& cmd, RoofOptions* o, bool several);

/// The roofs the options name: one per --hw, or one custom roof from --bandwidth and --peak.
std::vector<Roof> ResolveRoofs(const RoofOptions& o);

/// --plot FILE and --plot-format, shared by the subcommands that draw charts (docs/plots.md).
struct PlotOptions {
  std::string path;
  std::string format;  ///< svg, png or html; empty: from the file's extension
};

/// A file extension (".json", with its dot) and the output format it selects ("json").
struct FormatExtension {
  std::string extension;
  std::string format;
};

/// The output format: `chosen` when --format was given or the data goes to stdout; else the
/// format the -o file's extension selects in `by_extension`. A FIFO or device takes `chosen`;
/// any other file whose extension is not listed is a UsageError naming the accepted ones.
std::string FormatFor(bool given, const std::string& chosen, const std::string& output,
                      const std::vector<FormatExtension>& by_extension,
                      const std::string& option = "-o");

/// Declares --plot and --plot-format on `cmd`.
void AddPlotOptions(CLI::App& cmd, PlotOptions* o);

/// Checks the options before any work is done: a known format, and rsvg-convert present for PNG.
void CheckPlotOptions(const PlotOptions& o);

/// One chart and what it shows ("jetson-orin-nano-super-seq4096"), for its file name.
struct Chart {
  std::string svg;
  std::string name;
};

/// Renders the charts into temporary files: one HTML page (`page` with the charts added), or
/// SVG/PNG files, one chart at the path given, several each at the path with "-NAME" before the
/// extension (cmp.png: cmp-jetson-orin-nano-super-seq4096.png, ...). Nothing is visible until
/// PublishPlots(), and a failure leaves nothing behind.
std::vector<std::unique_ptr<Output>> StagePlots(const PlotOptions& o,
                                               const std::vector<Chart>& charts, HtmlPage page);

/// Moves staged charts into place.
void PublishPlots(const std::vector<std::unique_ptr<Output>>& staged);

/// The same device's roof of the other kind (measured when `roof` is theoretical, and the other
/// way round), when its file has such figures; drawn dashed beside the roof used.
std::vector<Roof> OtherRoofs(const RoofOptions& o);

/// The chart options every roofline of these roofs shares: the other roofs, and a note on each
/// device whose measured figures look like benchmark artefacts, which labels them "suspect".
RooflineOptions ChartOptions(const RoofOptions& o);

}  // namespace slmroof::cli
