#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "slmroof/engine_profile.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/io/hardware_reader.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/plot.hpp"
#include "slmroof/text.hpp"
#include "slmroof/units.hpp"

namespace slmroof::cli {

[[noreturn]] void CannotWrite(const std::string& what, const std::string& path, int error) {
  throw InputError(fmt::format("{}: cannot write {}: {}", what, Excerpt(path, 200), std::strerror(error)));
}

namespace {

[[noreturn]] void CannotWriteStdout(int error) {
  throw InputError(fmt::format("cannot write to stdout: {}", std::strerror(error)));
}

// Where writing to `path` lands: the file at the end of its chain of symbolic links (which may
// not exist yet: a dangling link is written through, not replaced).
std::string FollowLinks(const std::string& path) {
  std::filesystem::path p = path;
  for (int hops = 0; hops < 40; ++hops) {
    std::error_code ec;
    if (!std::filesystem::is_symlink(std::filesystem::symlink_status(p, ec))) {
      return p.string();
    }
    const std::filesystem::path next = std::filesystem::read_symlink(p, ec);
    if (ec) {
      return p.string();
    }
    p = next.is_absolute() ? next : p.parent_path() / next;
  }
  return p.string();  // a loop: creating the temporary file beside it reports ELOOP or ENOENT
}

}  // namespace

Output::Output(const std::string& path, const std::string& what, bool hold_stdout) : what_(what) {
  if (path.empty() || path == "-") {
    if (hold_stdout) {
      holding_ = true;
      file_ = open_memstream(&held_, &held_size_);
      if (!file_) {
        throw InputError(fmt::format("cannot hold the output in memory: {}", std::strerror(errno)));
      }
    } else {
      file_ = stdout;
    }
    return;
  }
  path_ = path;
  std::error_code ec;
  // A FIFO, a device or a terminal is written in place: replacing it would not reach its reader.
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(st) && !std::filesystem::is_regular_file(st)) {
    file_ = std::fopen(path.c_str(), "wb");
    if (!file_) {
      CannotWrite(what_, path, errno);
    }
    in_place_ = true;
    return;
  }
  // A regular file (or none yet) is written beside itself and renamed over it when complete;
  // through a symbolic link, beside the file it names. Each run gets its own temporary name.
  target_ = FollowLinks(path);
  std::string name = target_ + ".slmroof-XXXXXX";
  const int fd = mkstemp(name.data());
  if (fd < 0) {
    CannotWrite(what_, path, errno);
  }
  tmp_ = std::make_unique<TempFile>(name);
  // mkstemp creates 0600; give the file the mode it would have had (or already has).
  struct stat existing {};
  if (stat(target_.c_str(), &existing) == 0) {
    fchmod(fd, existing.st_mode & 07777);
  } else {
    const mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
  }
  file_ = fdopen(fd, "wb");
  if (!file_) {
    const int error = errno;
    close(fd);
    CannotWrite(what_, path, error);
  }
}

Output::~Output() {
  if (file_ && file_ != stdout) {  // not closed: an error happened on the way
    std::fclose(file_);
  }
  std::free(held_);
  // tmp_, when not published, removes the temporary file.
}

void Output::Close() {
  if (file_ == stdout) {
    if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
      CannotWriteStdout(errno);
    }
    return;
  }
  if (file_ == nullptr) {
    return;
  }
  const bool written = std::fflush(file_) == 0 && std::ferror(file_) == 0;
  const int error = errno;
  const bool closed = std::fclose(file_) == 0;
  const int close_error = errno;
  file_ = nullptr;
  if (holding_) {
    if (!written || !closed) {
      throw InputError(fmt::format("cannot hold the output in memory: {}", std::strerror(error)));
    }
    return;
  }
  if (!written || !closed) {
    CannotWrite(what_, path_, !written ? error : close_error);
  }
}

void Output::Publish() {
  if (holding_) {
    if (std::fwrite(held_, 1, held_size_, stdout) != held_size_ || std::fflush(stdout) != 0) {
      CannotWriteStdout(errno);
    }
    return;
  }
  if (!tmp_) {
    return;  // stdout (already written) or a FIFO/device (written in place)
  }
  std::error_code ec;
  std::filesystem::rename(tmp_->path(), target_, ec);
  if (ec) {
    CannotWrite(what_, path_, ec.value());
  }
  tmp_->Release();
}

const std::string& Output::temp_path() const {
  static const std::string kNone;
  return tmp_ ? tmp_->path() : kNone;
}

void Emit(const std::string& text, const std::string& path) {
  Output out(path);
  if (std::fwrite(text.data(), 1, text.size(), out.file()) != text.size()) {
    if (out.file() == stdout) {
      CannotWriteStdout(errno);
    }
    CannotWrite("-o", path, errno);
  }
  out.Commit();
}

std::vector<std::string> DTypeNames() {
  std::vector<std::string> names;
  for (const DType& t : AllDTypes()) {
    names.push_back(t.name);
  }
  return names;
}

void WarnPeakFallbacks(const AnalysisResult& a) {
  std::set<std::pair<Precision, Precision>> seen;
  for (const PhaseResult& p : a.phases) {
    for (const OperatorResult& r : p.operators) {
      if (r.op.math != r.peak_precision && seen.insert({r.op.math, r.peak_precision}).second) {
        spdlog::warn("'{}' unit '{}' publishes no {} peak: {} work runs against its {} ceiling",
                     a.roof.device, a.roof.unit, PrecisionName(r.op.math), PrecisionName(r.op.math),
                     PrecisionName(r.peak_precision));
      }
    }
  }
}

CLI::Validator WeightSettingCheck() {
  return CLI::Validator(
      [](std::string& value) {
        try {
          ParseWeightSetting(value);
        } catch (const UsageError& e) {
          return std::string(e.what());
        }
        return std::string();
      },
      "TYPE", "weight type");
}

WeightSetting ParseWeightSettingAt(const std::string& where, const std::string& text) {
  try {
    return ParseWeightSetting(text);
  } catch (const UsageError& e) {
    throw UsageError(fmt::format("{}: {}", where, e.what()));
  }
}

void AddRoofOptions(CLI::App& cmd, RoofOptions* o, bool several) {
  if (several) {
    cmd.add_option("--hw", o->hw,
                   fmt::format("Hardware presets or files; repeat or separate with commas [default: {}]",
                               kDefaultHardware))
        ->delimiter(',')
        ->allow_extra_args(false);  // `--hw X MODEL` leaves MODEL to the positionals
  } else {
    // One value, and `--hw X MODEL` leaves MODEL to the positionals.
    cmd.add_option("--hw", o->hw, fmt::format("Hardware preset or file [default: {}]", kDefaultHardware))
        ->expected(1)
        ->allow_extra_args(false);
  }
  cmd.add_option("--unit", o->unit, "Compute unit of the device (cpu, gpu, npu) [default: its first]");
  cmd.add_option("--roof", o->roof, "Ceilings to use")
      ->check(CLI::IsMember({"theoretical", "measured", "calibrated"}))
      ->capture_default_str();
  cmd.add_option("--bandwidth", o->bandwidth, "Memory bandwidth, e.g. 120GB/s (overrides the device's)");
  cmd.add_option("--engine", o->engine,
                 fmt::format("Runtime profile: how it executes and what it achieves ({}; ideal: the "
                             "roofline bound) [default: llama.cpp]",
                             fmt::join(EngineNames(), ", ")));
  cmd.add_option("--backend", o->backend,
                 "Backend of the engine (llama.cpp: cpu, cuda, metal, vulkan) [default: from the "
                 "unit and device]");
  cmd.add_option("--calibration", o->calibration,
                 "Fractions and fixed costs fitted on your device (slmroof calibrate -o FILE)");
  cmd.add_option("--unit-kind", o->unit_kind,
                 "Kind of a device given by --bandwidth/--peak [default: cpu]")
      ->check(CLI::IsMember({"cpu", "gpu", "npu"}));
  cmd.add_option("--peak", o->peak, "Compute peak for every precision (3.5T) or per precision "
                                    "(fp16=3.5T,int8=7T); overrides the device's");
}

std::vector<Roof> ResolveRoofs(const RoofOptions& o) {
  RoofOverrides overrides;
  if (!o.bandwidth.empty()) {
    overrides.bandwidth_bytes_per_s = ParseBandwidth(o.bandwidth, "--bandwidth");
  }
  if (!o.peak.empty()) {
    overrides.peak = ParsePeakSpec(o.peak);
  }
  const RoofKind kind = o.roof == "measured"     ? RoofKind::kMeasured
                        : o.roof == "calibrated" ? RoofKind::kCalibrated
                                                 : RoofKind::kTheoretical;
  const EngineProfile engine = LoadEngine(o.engine);
  std::vector<CalibrationEntry> calibration;
  if (!o.calibration.empty()) {
    calibration = LoadCalibration(o.calibration);
  }
  // The engine's runtime on a unit (§7.5); --act and --fusion, when given, win over its own.
  auto attach = [&](const HardwareSpec* hw, Roof* roof) {
    AttachRuntime(ResolveRuntime(engine, o.backend, roof->device, roof->unit_kind,
                                 hw != nullptr ? hw->kind : ""),
                  hw, roof);
    if (o.keep_act) {
      roof->act.reset();
    }
    if (o.keep_fusion) {
      roof->fusion.reset();
    }
    if (o.keep_mla) {
      roof->exec.mla_prefill.reset();
      roof->exec.mla_decode.reset();
    }
    if (kind == RoofKind::kCalibrated && !ApplyCalibration(roof->calibration, roof)) {
      spdlog::warn("'{}' unit '{}' carries no calibration of {} {}; using the engine's figures",
                   roof->device, roof->unit, roof->engine, roof->backend);
    }
    if (!o.calibration.empty() && !ApplyCalibration(calibration, roof)) {
      spdlog::warn("{}: no entry for {} {} on '{}' unit '{}'; using the engine's figures",
                   o.calibration, roof->engine, roof->backend, roof->device, roof->unit);
    }
  };
  if (o.hw.empty() && (overrides.bandwidth_bytes_per_s || overrides.peak)) {
    Roof roof = CustomRoof(overrides);
    roof.kind = kind;
    if (!o.unit_kind.empty()) {
      roof.unit_kind = o.unit_kind;
    }
    attach(nullptr, &roof);
    return {roof};
  }
  std::vector<Roof> roofs;
  const std::vector<std::string> names =
      o.hw.empty() ? std::vector<std::string>{kDefaultHardware} : o.hw;
  for (const std::string& name : names) {
    const HardwareSpec hw = LoadHardware(name);
    std::vector<std::string> fallbacks;
    Roof roof = ResolveRoof(hw, kind, o.unit, &fallbacks);
    if (!fallbacks.empty()) {
      spdlog::warn("'{}' has no measured {}; using the theoretical figure", hw.name,
                   fmt::join(fallbacks, ", "));
    }
    if (kind == RoofKind::kMeasured) {
      for (const std::string& suspect : SuspectMeasuredFigures(hw, o.unit)) {
        spdlog::warn("'{}': measured {} (a benchmark artefact?)", hw.name, suspect);
      }
    }
    attach(&hw, &roof);
    ApplyOverrides(overrides, &roof);
    roofs.push_back(std::move(roof));
  }
  return roofs;
}

// A FIFO or a device (/dev/stdout) takes any format: its name says nothing about one.
bool IsStream(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

// The extension of `path`, lower-cased, with its dot; "" when it has none.
std::string ExtensionOf(const std::string& path) {
  return ToLower(std::filesystem::path(path).extension().string());
}


std::string FormatFor(bool given, const std::string& chosen, const std::string& output,
                      const std::vector<FormatExtension>& by_extension,
                      const std::string& option) {
  if (given || output.empty() || output == "-") {  // "-" is stdout
    return chosen;
  }
  const std::string ext = ExtensionOf(output);
  std::vector<std::string> accepted;
  for (const FormatExtension& f : by_extension) {
    if (ext == f.extension) {
      return f.format;
    }
    accepted.push_back(fmt::format("{} ({})", f.extension, f.format));
  }
  if (IsStream(output)) {
    return chosen;
  }
  throw UsageError(fmt::format(
      "{} {}: {}; name the file with one of {}, or give --format",
      option, Excerpt(output, 80),
      ext.empty() ? "the file name has no extension to choose the format by"
                  : fmt::format("unknown extension {}", Excerpt(ext)),
      fmt::join(accepted, ", ")));
}
void AddAsOption(CLI::App& cmd, std::string* as_family) {
  cmd.add_option("--as", *as_family,
                 "Read HuggingFace config files as this model_type whatever their own says (a "
                 "llama-shaped config of an unfamiliar family: --as llama); presets are not affected")
      ->check(CLI::IsMember(SupportedModelTypes()));
}

ModelSpec LoadModelAndWarn(const std::string& name, const std::string& as_family) {
  ModelSpec model = LoadModel(name, as_family);
  for (const std::string& w : model.warnings) {
    spdlog::warn("{}", w);
  }
  return model;
}

void AddPlanOption(CLI::App& cmd, std::string* plan) {
  cmd.add_option("--plan", *plan,
                 "Mixed-precision plan (JSON): storage types by tensor name, kind and layer on "
                 "top of --weights or the plan's base (docs/gguf.md; inspect --emit-plan, "
                 "quant-plan write one)");
}

ModelSpec LoadModelAndWarn(const std::string& name, const std::string& as_family,
                           const PruneSpec& prune) {
  return Prune(LoadModelAndWarn(name, as_family), prune);
}

void AddPruneOption(CLI::App& cmd, std::string* prune) {
  cmd.add_option("--prune", *prune,
                 "Structured pruning, shares kept: heads=F, kv_heads=F, ffn=F, experts=K, "
                 "layers=drop:A-B[:C-D] (items joined by ',' or '+'; docs/cost-model.md §12)");
}

void AddSparsityOption(CLI::App& cmd, std::string* sparsity) {
  cmd.add_option("--sparsity", *sparsity,
                 "N:M structured sparsity of the layers' weight matrices (2:4): fewer multiplies "
                 "and weight bytes plus index bits, on units that run the pattern "
                 "(docs/cost-model.md §12.2)");
}

void AddVariantOptions(CLI::App& cmd, std::string* prune, std::string* sparsity, std::string* state) {
  AddPruneOption(cmd, prune);
  AddSparsityOption(cmd, sparsity);
  cmd.add_option("--state", *state, "Recurrent-state type of SSM, delta-rule and convolution layers")
      ->check(CLI::IsMember(DTypeNames(), CLI::ignore_case))
      ->capture_default_str();
}

std::pair<int, int> SparsityArg(const std::string& text, const std::string& where) {
  if (text.empty()) {
    return {0, 0};
  }
  const std::optional<std::pair<int, int>> nm = ParseSparsity(text);
  if (!nm) {
    throw UsageError(fmt::format("{} {} must be N:M with 0 < N < M <= 16, e.g. 2:4", where,
                                 Excerpt(text)));
  }
  return *nm;
}

void WarnSparsity(const Scenario& s, const Roof& roof) {
  if (s.sparsity.second > 0 && s.sparsity != roof.sparsity) {
    spdlog::warn("{} ({}) does not run {}:{} sparsity{}: costed dense", roof.device, roof.unit,
                 s.sparsity.first, s.sparsity.second,
                 roof.sparsity.second > 0
                     ? fmt::format(" (it runs {}:{})", roof.sparsity.first, roof.sparsity.second)
                     : std::string(", no sparse rate is published for it"));
  }
}

void WarnBeyondContext(const ModelSpec& model, int64_t tokens, const std::string& option) {
  if (model.max_context > 0 && tokens > model.max_context) {
    spdlog::warn("{}: {} {} is beyond the {} tokens of context it was trained for "
                 "(max_position_embeddings); the figures extrapolate past what the model can use",
                 model.name, option, tokens, model.max_context);
  }
}

}  // namespace slmroof::cli
