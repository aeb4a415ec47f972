#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "slmroof/axis.hpp"
#include "slmroof/engine.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/text.hpp"
#include "slmroof/limits.hpp"
#include "slmroof/plan.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/plot.hpp"
#include "slmroof/render.hpp"
#include "slmroof/units.hpp"

namespace slmroof::cli {

namespace {

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
      throw UsageError(fmt::format("--measured-tps: {} is not prefill=X or decode=Y", Excerpt(key)));
    }
    (key == "prefill" ? m.prefill : m.decode) = ParseRate(rate, "--measured-tps " + key);
  }
  return m;
}

struct AnalyzeOptions {
  std::vector<std::string> models;
  RoofOptions roof_options;
  std::string phase = "both";
  std::string seq = "1024";
  int64_t batch = 1;
  std::string ctx;
  std::string weights = "fp16";
  bool weights_given = false;  // a GGUF model is costed at its own types unless --weights says
  std::string plan;
  std::string act = "fp16";
  std::string kv = "fp16";
  std::string state = "fp32";
  std::string prune;
  std::string sparsity;
  std::string fusion = "none";
  std::string mla = "absorbed";
  std::string measured_tps;
  std::string as_family;
  TableOptions table;
  bool format_given = false;
  std::string format = "table";
  std::string output;
  PlotOptions plot;
};

int RunAnalyze(const AnalyzeOptions& o) {
  Scenario s;
  s.prefill = o.phase != "decode";
  s.decode = o.phase != "prefill";
  s.seq_len = ParseTokenCount(o.seq, "--seq", limits::kSeqLen.min, limits::kSeqLen.max);
  s.batch = o.batch;
  s.ctx = o.ctx.empty() ? 0
                        : ParseTokenCount(o.ctx, "--ctx", limits::kContext.min, limits::kContext.max);
  s.weights = ParseWeightSetting(o.weights);
  s.weights.from_file = !o.weights_given;
  if (!o.plan.empty()) {
    s.weights = WithPlan(s.weights, std::make_shared<const QuantPlan>(ReadPlan(o.plan)));
  }
  s.act = DTypeByName(o.act);
  s.kv = DTypeByName(o.kv);
  s.state = DTypeByName(o.state);
  s.sparsity = SparsityArg(o.sparsity, "--sparsity");
  s.fusion = o.fusion == "flash" ? Fusion::kFlash : Fusion::kNone;
  s.mla = o.mla == "naive" ? MlaForm::kNaive : MlaForm::kAbsorbed;
  const MeasuredTps measured = ParseMeasuredTps(o.measured_tps, s);
  CheckPlotOptions(o.plot);
  const std::string format = FormatFor(o.format_given, o.format, o.output,
                                       {{".txt", "table"}, {".json", "json"}, {".csv", "csv"}});

  const PruneSpec prune = o.prune.empty() ? PruneSpec{} : ParsePrune(o.prune, "--prune");
  const Roof roof = ResolveRoofs(o.roof_options).front();
  WarnSparsity(s, roof);

  Report report;
  const std::vector<std::string> models =
      o.models.empty() ? std::vector<std::string>{kDefaultModel} : o.models;
  for (const std::string& name : models) {
    const ModelSpec model = LoadModelAndWarn(name, o.as_family, prune);
    WarnBeyondContext(model, std::max(s.seq_len, s.ctx), s.ctx > s.seq_len ? "--ctx" : "--seq");
    Scenario sm = s;
    sm.weights = ResolveWeights(model, s.weights);
    report.analyses.push_back(Analyze(model, roof, sm, measured));
    WarnPeakFallbacks(report.analyses.back());
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
  if (format == "json") {
    text = RenderJson(report);
  } else if (format == "csv") {
    text = RenderCsv(report);
  } else {
    text = RenderTable(report, o.table);
  }
  // The chart is rendered before anything is written: a failing chart leaves no -o file and
  // prints nothing.
  std::vector<std::unique_ptr<Output>> plots;
  if (!o.plot.path.empty()) {
    RooflineOptions chart = ChartOptions(o.roof_options);
    plots = StagePlots(o.plot, {{RooflineSvg(report.analyses, chart), ""}},
                       AnalyzeHtmlPage(report));
  }
  Emit(text, o.output);
  PublishPlots(plots);
  return 0;
}

}  // namespace

std::function<int()> SetupAnalyze(CLI::App& cmd) {
  auto o = std::make_shared<AnalyzeOptions>();
  cmd.add_option("models", o->models,
                 fmt::format("Model presets or files (HF config.json or slmroof JSON); several are "
                             "compared by Φ [default: {}]", kDefaultModel));
  AddAsOption(cmd, &o->as_family);
  AddRoofOptions(cmd, &o->roof_options, false);
  cmd.add_option("--phase", o->phase, "Phase(s) to analyse")
      ->check(CLI::IsMember({"prefill", "decode", "both"}))
      ->capture_default_str();
  cmd.add_option("--seq", o->seq,
                 "Prompt length (prefill) and context length (decode), in tokens; 4k = 4096")
      ->capture_default_str();
  cmd.add_option("--ctx", o->ctx,
                 "Context the KV cache is sized for, as a runtime allocates it (-c); 4k = 4096 "
                 "[default: --seq]");
  cmd.add_option("--batch", o->batch, "Sequences processed together")
      ->check(CLI::Range(limits::kBatch.min, limits::kBatch.max))
      ->capture_default_str();
  const std::vector<std::string> types = DTypeNames();
  cmd.add_option("--weights", o->weights,
                 "Weight storage: a llama.cpp file type (Q4_K_M: each tensor as llama-quantize "
                 "types it), one type for every tensor (q4_k), or pure:TYPE; a GGUF file's own "
                 "types unless given")
      ->check(WeightSettingCheck())
      ->capture_default_str()
      ->each([o](const std::string&) { o->weights_given = true; });
  AddPlanOption(cmd, &o->plan);
  cmd.add_option("--act", o->act, "Activation type")->check(CLI::IsMember(types, CLI::ignore_case))
      ->capture_default_str();
  cmd.add_option("--kv", o->kv, "KV-cache type")->check(CLI::IsMember(types, CLI::ignore_case))
      ->capture_default_str();
  AddVariantOptions(cmd, &o->prune, &o->sparsity, &o->state);
  cmd.add_option("--fusion", o->fusion, "none: scores go through memory; flash: they stay on chip")
      ->check(CLI::IsMember({"none", "flash"}))
      ->capture_default_str();
  cmd.add_option("--mla", o->mla, "MLA attention form")->check(CLI::IsMember({"absorbed", "naive"}))
      ->capture_default_str();
  cmd.add_option("--measured-tps", o->measured_tps,
                 "Measured tokens/s: Φ of the measured point (X, or prefill=X,decode=Y)");
  cmd.add_option("--format", o->format,
                 "Output format [default: from the -o file's extension: .txt, .json, .csv; else table]")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  cmd.add_flag("--summary", o->table.summary_only,
               "Table format: print only the summary (time to first token, time per token, "
               "tokens/s, memory, fit, share of the roof, Φ), no operator tables");
  cmd.add_flag("--operators", o->table.operators,
               "Table format, several models: also print each model's operator tables below the "
               "side-by-side table");
  cmd.add_option("-o,--output", o->output, "Write to FILE instead of stdout");
  AddPlotOptions(cmd, &o->plot);
  return [o, &cmd] {
    o->format_given = cmd.count("--format") > 0;
    o->roof_options.keep_act = cmd.count("--act") > 0;
    o->roof_options.keep_fusion = cmd.count("--fusion") > 0;
    o->roof_options.keep_mla = cmd.count("--mla") > 0;
    return RunAnalyze(*o);
  };
}

}  // namespace slmroof::cli
