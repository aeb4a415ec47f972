#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/limits.hpp"
#include "slmroof/graph.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/plot.hpp"
#include "slmroof/render.hpp"
#include "slmroof/plan.hpp"
#include "slmroof/sweep.hpp"
#include "slmroof/sweep_writer.hpp"

namespace slmroof::cli {

namespace {

struct SweepOptions {
  std::vector<std::string> models;
  RoofOptions roof_options;
  std::string phase = "both";
  std::string seq = "1024";
  std::string batch = "1";
  std::string layers;
  std::vector<std::string> weights{"fp16"};
  bool weights_given = false;  // GGUF models are costed at their own types unless --weights says
  std::vector<std::string> plans;
  std::string act = "fp16";
  std::vector<std::string> kv{"fp16"};
  std::string state = "fp32";
  std::string prune;
  std::string sparsity;
  std::vector<std::string> fusion{"none"};
  std::string mla = "absorbed";
  std::string as_family;
  bool layers_given = false;
  bool format_given = false;
  bool operators = false;
  bool force = false;
  std::string format = "table";
  std::string output;
  PlotOptions plot;
};

// Passes every row to the writer and, with --plot, to the chart's collectors.
class Tee : public SweepSink {
 public:
  explicit Tee(std::vector<SweepSink*> sinks) : sinks_(std::move(sinks)) {}
  void Row(const SweepRow& row) override {
    for (SweepSink* s : sinks_) {
      s->Row(row);
    }
  }

 private:
  std::vector<SweepSink*> sinks_;
};


// Rewrites "\r swept ..." on a terminal's stderr at most a few times a second; not when the rows
// themselves go to the same terminal, where the two would interleave.
class Progress {
 public:
  explicit Progress(bool rows_on_stdout)
      : enabled_(isatty(STDERR_FILENO) == 1 && !(rows_on_stdout && isatty(STDOUT_FILENO) == 1)) {}
  ~Progress() {
    if (shown_) {
      std::fputs("\r\033[K", stderr);
    }
  }
  void operator()(double done, double total) {
    if (!enabled_) {
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200) && done < total) {
      return;
    }
    last_ = now;
    shown_ = true;
    fmt::print(stderr, "\rslmroof: swept {:.0f} of {:.0f} rows ({:.0f}%)", done, total,
               100 * done / total);
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_;  // the first line waits 200 ms too
};

int RunSweepCommand(const SweepOptions& o) {
  // Everything that can be wrong with the command line is checked before any row is printed.
  SweepSpec spec;
  spec.seq_len = ParseIntAxis(o.seq, "--seq", limits::kSeqLen.min, limits::kSeqLen.max, true);
  spec.batch = ParseIntAxis(o.batch, "--batch", limits::kBatch.min, limits::kBatch.max);
  if (o.layers_given) {
    spec.layers = ParseIntAxis(o.layers, "--layers", limits::kDepth.min, limits::kDepth.max);
  }
  spec.prefill = o.phase != "decode";
  spec.decode = o.phase != "prefill";
  std::vector<std::shared_ptr<const QuantPlan>> plans;
  for (const std::string& path : o.plans) {
    plans.push_back(std::make_shared<const QuantPlan>(ReadPlan(path)));
  }
  for (const std::string& text : o.weights) {
    WeightSetting w = ParseWeightSetting(text);
    w.from_file = !o.weights_given;
    if (plans.empty()) {
      spec.weights.push_back(w);
    }
    for (const auto& plan : plans) {
      spec.weights.push_back(WithPlan(w, plan));
    }
  }
  spec.act = DTypeByName(o.act);
  spec.state = DTypeByName(o.state);
  spec.sparsity = SparsityArg(o.sparsity, "--sparsity");
  for (const std::string& k : o.kv) {
    spec.kv.push_back(DTypeByName(k));
  }
  for (const std::string& f : o.fusion) {
    spec.fusion.push_back(f == "flash" ? Fusion::kFlash : Fusion::kNone);
  }
  spec.mla = o.mla == "naive" ? MlaForm::kNaive : MlaForm::kAbsorbed;
  spec.operators = o.operators;
  spec.roofs = ResolveRoofs(o.roof_options);
  Scenario sparse;
  sparse.sparsity = spec.sparsity;
  for (const Roof& r : spec.roofs) {
    WarnSparsity(sparse, r);
  }
  const std::vector<std::string> names =
      o.models.empty() ? std::vector<std::string>{kDefaultModel} : o.models;
  const PruneSpec prune = o.prune.empty() ? PruneSpec{} : ParsePrune(o.prune, "--prune");
  for (const std::string& name : names) {
    spec.models.push_back(LoadModelAndWarn(name, o.as_family, prune));
    // A plan that does not fit a model (or one of its depth variants) fails here, before any row.
    for (const WeightSetting& w : spec.weights) {
      (void)ResolveWeights(spec.models.back(), w);
      for (size_t i = 0; i < spec.layers.size(); ++i) {
        (void)ResolveWeights(WithDepth(spec.models.back(), spec.layers.at(i)), w, false);
      }
    }
  }
  double rows = SweepRowCount(spec);
  if (o.operators) {
    // Every totals row is followed by its operators: count those lines too.
    size_t most = 0;
    Scenario any;
    any.mla = spec.mla;
    for (const ModelSpec& m : spec.models) {
      for (Phase p : {Phase::kPrefill, Phase::kDecode}) {
        most = std::max(most, BuildOperatorCosts(m, any, p).size());
      }
    }
    rows *= 1 + static_cast<double>(most);
  }
  if (rows > kSweepRowLimit && !o.force) {
    throw UsageError(fmt::format(
        "the grid has {:.0f} rows, more than the safety limit of {:.0f}; narrow it or pass --force",
        rows, kSweepRowLimit));
  }

  CheckPlotOptions(o.plot);
  // The chart's own limit, checked here before any row is printed.
  const double plot_limit = static_cast<double>(kSweepPlotMaxPoints);
  if (!o.plot.path.empty() && rows > plot_limit) {
    throw UsageError(fmt::format("--plot: a chart holds at most {:.0f} rows and the grid has {:.0f}; "
                                 "narrow the grid",
                                 plot_limit, rows));
  }

  const std::string name = FormatFor(o.format_given, o.format, o.output,
                                     {{".txt", "table"}, {".csv", "csv"}, {".jsonl", "jsonl"}});
  const SweepFormat format = name == "csv"     ? SweepFormat::kCsv
                             : name == "jsonl" ? SweepFormat::kJsonl
                                               : SweepFormat::kTable;
  // With a chart, rows for stdout are held until the chart is rendered: a failing chart prints
  // nothing and leaves no file.
  // Warned once the grid is known to run: not in front of a usage error.
  for (const ModelSpec& m : spec.models) {
    WarnBeyondContext(m, spec.seq_len.max(), "--seq");
  }
  Output out(o.output, "-o", !o.plot.path.empty());
  SweepPlotSink lines;
  SweepAnalysesSink analyses;
  {
    Progress progress(o.output.empty() || o.output == "-");
    std::unique_ptr<SweepWriter> writer = MakeSweepWriter(format, o.operators, out.file());
    std::vector<SweepSink*> sinks = {writer.get()};
    if (!o.plot.path.empty()) {
      sinks.push_back(&lines);
      sinks.push_back(&analyses);
    }
    Tee tee(sinks);
    RunSweep(spec, tee, [&progress](double done, double total) { progress(done, total); });
    writer->Finish();
  }
  out.Close();
  std::vector<std::unique_ptr<Output>> plots;
  if (!o.plot.path.empty()) {
    // Lines against the axis that varies; a grid of single points is a roofline chart of its
    // phase totals (one workload on several devices, or several models on one).
    std::vector<Chart> charts;
    if (spec.seq_len.size() > 1 || spec.batch.size() > 1 || spec.layers.size() > 1) {
      charts.push_back({SweepLinesSvg(lines.points(), {}), ""});
    } else {
      RooflineOptions chart;
      if (spec.roofs.size() == 1) {  // with several devices, second roofs crowd the chart
        chart = ChartOptions(o.roof_options);
      }
      charts.push_back({RooflineSvg(analyses.analyses(), chart), ""});
    }
    plots = StagePlots(o.plot, charts, SweepHtmlPage(lines.points()));
  }
  out.Publish();
  PublishPlots(plots);
  return 0;
}

}  // namespace

std::function<int()> SetupSweep(CLI::App& cmd) {
  auto o = std::make_shared<SweepOptions>();
  cmd.add_option("models", o->models, "Model presets or files (also --model)");
  cmd.add_option("--model", o->models,
                 fmt::format("Model presets or files; repeat or separate with commas [default: {}]",
                             kDefaultModel))
      ->delimiter(',')
      ->allow_extra_args(false);
  AddAsOption(cmd, &o->as_family);
  AddRoofOptions(cmd, &o->roof_options, true);
  cmd.add_option("--phase", o->phase, "Phase(s) to analyse")
      ->check(CLI::IsMember({"prefill", "decode", "both"}))
      ->capture_default_str();
  cmd.add_option("--seq", o->seq,
                 "Sequence lengths, 1 to 2^30: a list (512,1024) or ranges START:STOP:STEP with "
                 "STEP +K, -K, xK or /K (128:32768:x2, 256:4096:+256); 4k = 4096, 1M = 1048576")
      ->capture_default_str();
  cmd.add_option("--batch", o->batch, "Batch sizes, 1 to 2^20, as a list or ranges like --seq")
      ->capture_default_str();
  cmd.add_option("--layers", o->layers,
                 "Depth variants, 1 to 4096 layers (2:64:x2): the model's first layers, extended "
                 "with copies of its last layer");
  const std::vector<std::string> types = DTypeNames();
  cmd.add_option("--weights", o->weights,
                 "Weight storage settings (comma-separated): llama.cpp file types (Q4_K_M), single "
                 "types (q4_k) or pure:TYPE; a GGUF file's own types unless given")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->check(WeightSettingCheck())
      ->capture_default_str()
      ->each([o](const std::string&) { o->weights_given = true; });
  cmd.add_option("--plan", o->plans,
                 "Mixed-precision plans (JSON, repeatable): each on top of each --weights setting "
                 "(docs/gguf.md)")
      ->allow_extra_args(false);
  cmd.add_option("--act", o->act, "Activation type")
      ->check(CLI::IsMember(types, CLI::ignore_case))
      ->capture_default_str();
  AddVariantOptions(cmd, &o->prune, &o->sparsity, &o->state);
  cmd.add_option("--kv", o->kv, "KV-cache types (comma-separated)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->check(CLI::IsMember(types, CLI::ignore_case))
      ->capture_default_str();
  cmd.add_option("--fusion", o->fusion, "Attention fusion: none, flash, or both (none,flash)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->check(CLI::IsMember({"none", "flash"}))
      ->capture_default_str();
  cmd.add_option("--mla", o->mla, "MLA attention form")
      ->check(CLI::IsMember({"absorbed", "naive"}))
      ->capture_default_str();
  cmd.add_flag("--operators", o->operators,
               "Also print a row per operator after each totals row (evaluated point by point)");
  cmd.add_flag("--force", o->force,
               fmt::format("Run a grid larger than the safety limit of {:.0f} rows", kSweepRowLimit));
  cmd.add_option("--format", o->format,
                 "Output format [default: from the -o file's extension: .txt, .csv, .jsonl; else table]")
      ->check(CLI::IsMember({"table", "csv", "jsonl"}));
  cmd.add_option("-o,--output", o->output, "Write to FILE instead of stdout");
  AddPlotOptions(cmd, &o->plot);
  return [o, &cmd] {
    o->layers_given = cmd.count("--layers") > 0;
    o->format_given = cmd.count("--format") > 0;
    o->roof_options.keep_act = cmd.count("--act") > 0;
    o->roof_options.keep_fusion = cmd.count("--fusion") > 0;
    o->roof_options.keep_mla = cmd.count("--mla") > 0;
    return RunSweepCommand(*o);
  };
}

}  // namespace slmroof::cli
