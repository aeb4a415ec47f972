#include "slmroof/cli.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "slmroof/engine.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/io/hardware_reader.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/presets.hpp"
#include "slmroof/render.hpp"
#include "slmroof/units.hpp"

namespace slmroof {

namespace {

// The embedded default of `slmroof analyze` with no arguments: a real model on a real edge device.
constexpr const char* kDefaultModel = "qwen2.5-1.5b";
constexpr const char* kDefaultHardware = "jetson-orin-nano-super";

// Writes `text` to stdout, or atomically to `path`: a failed run leaves no half-written file.
void Emit(const std::string& text, const std::string& path) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return;
  }
  const std::string tmp = path + ".slmroof-tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      throw InputError(fmt::format("cannot write '{}'", path));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw InputError(fmt::format("cannot write '{}'", path));
  }
}

MeasuredTps ParseMeasuredTps(const std::string& text, const Scenario& s) {
  MeasuredTps m;
  if (text.empty()) {
    return m;
  }
  if (text.find('=') == std::string::npos) {
    if (s.prefill && s.decode) {
      throw UsageError("--measured-tps: with --phase both, give 'prefill=X,decode=Y'");
    }
    (s.prefill ? m.prefill : m.decode) = ParseRate(text, "--measured-tps");
    return m;
  }
  for (const auto& [key, rate] : ParseKeyValueList(text, "--measured-tps", "prefill=X or decode=Y")) {
    if (key != "prefill" && key != "decode") {
      throw UsageError(fmt::format("--measured-tps: '{}' is not prefill=X or decode=Y", key));
    }
    (key == "prefill" ? m.prefill : m.decode) = ParseRate(rate, "--measured-tps " + key);
  }
  return m;
}

struct AnalyzeOptions {
  std::vector<std::string> models;
  std::string hw;
  std::string unit;
  std::string roof = "theoretical";
  std::string phase = "both";
  int64_t seq = 1024;
  int64_t batch = 1;
  std::string weights = "fp16";
  std::string act = "fp16";
  std::string kv = "fp16";
  std::string fusion = "none";
  std::string mla = "absorbed";
  std::string bandwidth;
  std::string peak;
  std::string measured_tps;
  std::string format = "table";
  std::string output;
};

std::vector<std::string> DTypeNames() {
  std::vector<std::string> names;
  for (const DType& t : AllDTypes()) {
    names.push_back(t.name);
  }
  return names;
}

int RunAnalyze(const AnalyzeOptions& o) {
  Scenario s;
  s.prefill = o.phase != "decode";
  s.decode = o.phase != "prefill";
  s.seq_len = o.seq;
  s.batch = o.batch;
  s.weights = DTypeByName(o.weights);
  s.act = DTypeByName(o.act);
  s.kv = DTypeByName(o.kv);
  s.fusion = o.fusion == "flash" ? Fusion::kFlash : Fusion::kNone;
  s.mla = o.mla == "naive" ? MlaForm::kNaive : MlaForm::kAbsorbed;
  const MeasuredTps measured = ParseMeasuredTps(o.measured_tps, s);

  RoofOverrides overrides;
  if (!o.bandwidth.empty()) {
    overrides.bandwidth_bytes_per_s = ParseBandwidth(o.bandwidth, "--bandwidth");
  }
  if (!o.peak.empty()) {
    overrides.peak = ParsePeakSpec(o.peak);
  }
  const RoofKind kind = o.roof == "measured" ? RoofKind::kMeasured : RoofKind::kTheoretical;
  Roof roof;
  if (o.hw.empty() && (overrides.bandwidth_bytes_per_s || overrides.peak)) {
    roof = CustomRoof(overrides);
    roof.kind = kind;
  } else {
    const HardwareSpec hw = LoadHardware(o.hw.empty() ? kDefaultHardware : o.hw);
    std::vector<std::string> fallbacks;
    roof = ResolveRoof(hw, kind, o.unit, &fallbacks);
    if (!fallbacks.empty()) {
      spdlog::warn("'{}' has no measured {}; using the theoretical figure", hw.name,
                   fmt::join(fallbacks, ", "));
    }
    ApplyOverrides(overrides, &roof);
  }

  Report report;
  const std::vector<std::string> models =
      o.models.empty() ? std::vector<std::string>{kDefaultModel} : o.models;
  for (const std::string& name : models) {
    const ModelSpec model = LoadModel(name);
    for (const std::string& w : model.warnings) {
      spdlog::warn("{}", w);
    }
    report.analyses.push_back(Analyze(model, roof, s, measured));
  }
  report.comparisons = CompareRip(report.analyses);
  for (const AnalysisResult& a : report.analyses) {
    for (const PhaseResult& p : a.phases) {
      if (p.rip.perf_flops_per_s > a.peak_flops_per_s) {
        spdlog::warn("{} {}: the measured point lies above the compute roof; check units and "
                     "FLOP counting", a.model.name, PhaseName(p.phase));
      }
    }
  }
  std::string text;
  if (o.format == "json") {
    text = RenderJson(report);
  } else if (o.format == "csv") {
    text = RenderCsv(report);
  } else {
    text = RenderTable(report);
  }
  Emit(text, o.output);
  return 0;
}

std::function<int()> SetupAnalyze(CLI::App& cmd) {
  auto o = std::make_shared<AnalyzeOptions>();
  cmd.add_option("models", o->models,
                 fmt::format("Model presets or files (HF config.json or slmroof JSON); several are "
                             "compared by Φ [default: {}]", kDefaultModel));
  cmd.add_option("--hw", o->hw, fmt::format("Hardware preset or file [default: {}]", kDefaultHardware));
  cmd.add_option("--unit", o->unit, "Compute unit of the device (cpu, gpu, npu) [default: its first]");
  cmd.add_option("--roof", o->roof, "Ceilings to use")->check(CLI::IsMember({"theoretical", "measured"}))
      ->capture_default_str();
  cmd.add_option("--phase", o->phase, "Phase(s) to analyse")
      ->check(CLI::IsMember({"prefill", "decode", "both"}))
      ->capture_default_str();
  cmd.add_option("--seq", o->seq, "Prompt length (prefill) and context length (decode)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30))
      ->capture_default_str();
  cmd.add_option("--batch", o->batch, "Sequences processed together")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
      ->capture_default_str();
  const std::vector<std::string> types = DTypeNames();
  cmd.add_option("--weights", o->weights, "Weight storage type")->check(CLI::IsMember(types, CLI::ignore_case))
      ->capture_default_str();
  cmd.add_option("--act", o->act, "Activation type")->check(CLI::IsMember(types, CLI::ignore_case))
      ->capture_default_str();
  cmd.add_option("--kv", o->kv, "KV-cache type")->check(CLI::IsMember(types, CLI::ignore_case))
      ->capture_default_str();
  cmd.add_option("--fusion", o->fusion, "none: scores go through memory; flash: they stay on chip")
      ->check(CLI::IsMember({"none", "flash"}))
      ->capture_default_str();
  cmd.add_option("--mla", o->mla, "MLA attention form")->check(CLI::IsMember({"absorbed", "naive"}))
      ->capture_default_str();
  cmd.add_option("--bandwidth", o->bandwidth, "Memory bandwidth, e.g. 120GB/s (overrides the device's)");
  cmd.add_option("--peak", o->peak, "Compute peak for every precision (3.5T) or per precision "
                                    "(fp16=3.5T,int8=7T); overrides the device's");
  cmd.add_option("--measured-tps", o->measured_tps,
                 "Measured tokens/s: Φ of the measured point (X, or prefill=X,decode=Y)");
  cmd.add_option("--format", o->format, "Output format")->check(CLI::IsMember({"table", "json", "csv"}))
      ->capture_default_str();
  cmd.add_option("-o,--output", o->output, "Write to FILE instead of stdout");
  return [o] { return RunAnalyze(*o); };
}

std::function<int()> SetupList(CLI::App& cmd) {
  auto what = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("table");
  cmd.add_option("what", *what, "models or hardware")->required()->check(CLI::IsMember({"models", "hardware"}));
  cmd.add_option("--format", *format, "Output format")->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  return [what, format] {
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    std::string text;
    if (*what == "models") {
      for (const std::string& name : PresetNames(EmbeddedModelPresets())) {
        const PresetText* p = FindPreset(EmbeddedModelPresets(), name);
        const ModelSpec m = ParseModelJson(p->text, fmt::format("preset '{}'", name), name);
        const ParamCount params = CountParams(m);
        const AttentionSpec& a = m.groups.front().layer.attention;
        const std::string attention =
            a.kind == AttentionKind::kMla ? "MLA"
            : a.num_kv_heads == a.num_heads ? "MHA"
            : a.num_kv_heads == 1 ? "MQA" : fmt::format("GQA {}/{}", a.num_heads, a.num_kv_heads);
        rows.push_back({{"name", m.name}, {"display_name", m.display_name}, {"family", m.family},
                        {"params", RoundSig(params.total())}, {"layers", m.NumLayers()},
                        {"attention", attention}, {"source", m.source}});
        text += fmt::format("{:<18} {:<30} {:>7.3g}B params  {:>3} layers  {:<10} {}\n", m.name,
                            m.display_name, params.total() / 1e9, m.NumLayers(), attention, m.family);
      }
    } else {
      for (const std::string& name : PresetNames(EmbeddedHardwarePresets())) {
        const PresetText* p = FindPreset(EmbeddedHardwarePresets(), name);
        const HardwareSpec hw = ParseHardwareJson(p->text, fmt::format("preset '{}'", name));
        const ComputeUnit& u = hw.units.front();
        Precision used;
        Roof roof;
        roof.device = hw.name;
        for (const auto& [prec, fig] : u.peak_flops_per_s) {
          roof.peak_flops_per_s[prec] = fig.theoretical;
        }
        const double peak = roof.PeakFor(Precision::kFp16, &used);
        rows.push_back({{"name", hw.name}, {"display_name", hw.display_name}, {"kind", hw.kind},
                        {"bandwidth_bytes_per_s", RoundSig(hw.bandwidth_bytes_per_s.theoretical)},
                        {"unit", u.name}, {"peak_flops_per_s", RoundSig(peak)},
                        {"peak_precision", std::string(PrecisionName(used))},
                        {"capacity_bytes", RoundSig(hw.capacity_bytes)}});
        text += fmt::format("{:<24} {:<48} {:>7.4g} GB/s  {:>7.4g} TFLOP/s {} ({})\n", hw.name,
                            hw.display_name, hw.bandwidth_bytes_per_s.theoretical / 1e9, peak / 1e12,
                            PrecisionName(used), u.name);
      }
    }
    Emit(*format == "json" ? rows.dump(2) + "\n" : text, "");
    return 0;
  };
}

// Every subcommand, so that --help and dispatch come from one table.
struct Command {
  const char* name;
  const char* description;
  std::function<std::function<int()>(CLI::App&)> setup;
};

const Command kCommands[] = {
    {"analyze", "Place every operator of a model on a device's roofline", SetupAnalyze},
    {"list", "List the built-in models or hardware", SetupList},
};

}  // namespace

int Run(int argc, char** argv) {
  CLI::App app{"slmroof: roofline analysis of small language models on edge devices"};
  app.name("slmroof");
  app.set_version_flag("--version", std::string("slmroof ") + SLMROOF_VERSION);
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, std::function<int()>>> runners;
  for (const Command& c : kCommands) {
    CLI::App* sub = app.add_subcommand(c.name, c.description);
    runners.emplace_back(sub, c.setup(*sub));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      return app.exit(e);  // --help and --version print to stdout
    }
    throw UsageError(fmt::format("{}\nRun 'slmroof --help' for usage.", e.what()));
  }
  for (auto& [sub, run] : runners) {
    if (sub->parsed()) {
      return run();
    }
  }
  return 2;
}

}  // namespace slmroof
