#include <algorithm>
#include <filesystem>
#include <memory>
#include <tuple>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "slmroof/plan.hpp"
#include "slmroof/axis.hpp"
#include "slmroof/compare.hpp"
#include "slmroof/engine.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/text.hpp"
#include "slmroof/limits.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/plot.hpp"
#include "slmroof/render.hpp"
#include "slmroof/units.hpp"

namespace slmroof::cli {

namespace {

struct CompareOptions {
  std::string base;
  std::string candidate;
  RoofOptions roof_options;
  std::string seq = "1024";
  std::string batch = "1";
  std::string weights = "fp16";
  bool weights_given = false;  // GGUF models are costed at their own types unless --weights says
  std::string plan;
  std::string act = "fp16";
  std::string kv = "fp16";
  std::string state = "fp32";
  std::string prune;
  std::string sparsity;
  std::string fusion = "none";
  std::string mla = "absorbed";
  std::vector<std::string> fail_if;
  std::string as_family;
  bool format_given = false;
  std::string format = "table";
  std::string output;
  PlotOptions plot;
};

constexpr size_t kMaxPoints = 10000;
const std::vector<std::string> kFusionNames = {"none", "flash"};
const std::vector<std::string> kMlaNames = {"absorbed", "naive"};

// `value`, lower-cased, when it is one of `allowed`; otherwise a UsageError naming the argument.
std::string OneOf(const std::string& where, const std::string& key, const std::string& value,
                  const std::vector<std::string>& allowed) {
  const std::string lower = ToLower(value);
  if (std::find(allowed.begin(), allowed.end(), lower) == allowed.end()) {
    throw UsageError(
        fmt::format("{}: {} {} is not one of {}", where, key, Excerpt(value), fmt::join(allowed, ", ")));
  }
  return lower;
}

}  // namespace

Side ParseSide(const std::string& arg, const char* role, const Scenario& shared,
               const PruneSpec& shared_prune) {
  Side side{arg, shared, shared_prune};
  std::error_code ec;
  const size_t at = arg.rfind('@');
  if (at == std::string::npos || std::filesystem::is_regular_file(arg, ec)) {
    return side;
  }
  side.model = arg.substr(0, at);
  const std::string where = fmt::format("{} {}", role, Excerpt(arg, 80));
  std::string plan;
  for (const auto& [key, value] :
       ParseKeyValueList(std::string_view(arg).substr(at + 1), where, "key=value")) {
    if (key == "weights") {
      std::shared_ptr<const QuantPlan> shared_plan = side.scenario.weights.plan;
      side.scenario.weights = ParseWeightSettingAt(where, value);
      if (shared_plan) {
        side.scenario.weights = WithPlan(side.scenario.weights, shared_plan);
      }
    } else if (key == "plan") {
      plan = value;
    } else if (key == "act" || key == "kv" || key == "state") {
      try {
        (key == "act" ? side.scenario.act : key == "kv" ? side.scenario.kv : side.scenario.state) =
            DTypeByName(value);
      } catch (const UsageError& e) {
        throw UsageError(fmt::format("{}: {}: {}", where, key, e.what()));
      }
    } else if (key == "sparsity") {
      side.scenario.sparsity = SparsityArg(value, where + ": sparsity");
    } else if (key == "prune") {
      side.prune = ParsePrune(value, where + ": prune");
    } else if (key == "fusion") {
      side.scenario.fusion =
          OneOf(where, key, value, kFusionNames) == "flash" ? Fusion::kFlash : Fusion::kNone;
    } else if (key == "mla") {
      side.scenario.mla =
          OneOf(where, key, value, kMlaNames) == "naive" ? MlaForm::kNaive : MlaForm::kAbsorbed;
    } else {
      throw UsageError(
          fmt::format("{}: unknown key {} (keys: weights, plan, act, kv, state, prune, sparsity, fusion, mla)", where, Excerpt(key)));
    }
  }
  if (!plan.empty()) {
    WeightSetting w = side.scenario.weights;
    w.plan = nullptr;
    side.scenario.weights = WithPlan(w, std::make_shared<const QuantPlan>(ReadPlan(plan)));
  }
  return side;
}

namespace {

int RunCompare(const CompareOptions& o) {
  // Every usage error comes before the first analysis, so a bad gate never half-runs.
  std::vector<Threshold> thresholds;
  for (const std::string& expr : o.fail_if) {
    thresholds.push_back(ParseThreshold(expr));
  }
  Scenario shared;
  shared.weights = ParseWeightSetting(o.weights);
  shared.weights.from_file = !o.weights_given;
  if (!o.plan.empty()) {
    shared.weights = WithPlan(shared.weights, std::make_shared<const QuantPlan>(ReadPlan(o.plan)));
  }
  shared.act = DTypeByName(o.act);
  shared.kv = DTypeByName(o.kv);
  shared.state = DTypeByName(o.state);
  shared.sparsity = SparsityArg(o.sparsity, "--sparsity");
  shared.fusion = o.fusion == "flash" ? Fusion::kFlash : Fusion::kNone;
  shared.mla = o.mla == "naive" ? MlaForm::kNaive : MlaForm::kAbsorbed;
  const PruneSpec prune = o.prune.empty() ? PruneSpec{} : ParsePrune(o.prune, "--prune");
  Side base = ParseSide(o.base, "base", shared, prune);
  Side candidate = ParseSide(o.candidate, "candidate", shared, prune);
  const IntAxis seqs = ParseIntAxis(o.seq, "--seq", limits::kSeqLen.min, limits::kSeqLen.max, true);
  const IntAxis batches = ParseIntAxis(o.batch, "--batch", limits::kBatch.min, limits::kBatch.max);

  CheckPlotOptions(o.plot);
  const std::string format =
      FormatFor(o.format_given, o.format, o.output, {{".txt", "table"}, {".json", "json"}});
  const std::vector<Roof> roofs = ResolveRoofs(o.roof_options);
  for (const Roof& r : roofs) {
    WarnSparsity(base.scenario, r);
    if (candidate.scenario.sparsity != base.scenario.sparsity) {
      WarnSparsity(candidate.scenario, r);
    }
  }
  // Every point keeps two whole analyses for the renderers, so the grid has to stay small.
  // Counted in double: a product of axis sizes in size_t could wrap around to a small number.
  const double points = static_cast<double>(roofs.size()) * static_cast<double>(seqs.size()) *
                        static_cast<double>(batches.size());
  if (points > static_cast<double>(kMaxPoints)) {
    throw UsageError(
        fmt::format("compare: {:.0f} points (devices x --seq x --batch) is more than {}; "
                    "narrow --seq or --batch",
                    points, kMaxPoints));
  }
  const ModelSpec base_model = LoadModelAndWarn(base.model, o.as_family, base.prune);
  const ModelSpec candidate_model =
      candidate.model == base.model && candidate.prune.text == base.prune.text
          ? base_model
          : LoadModelAndWarn(candidate.model, o.as_family, candidate.prune);
  base.scenario.weights = ResolveWeights(base_model, base.scenario.weights);
  candidate.scenario.weights = ResolveWeights(candidate_model, candidate.scenario.weights);
  const int64_t longest = seqs.max();
  WarnBeyondContext(base_model, longest, "--seq");
  if (candidate.model != base.model) {
    WarnBeyondContext(candidate_model, longest, "--seq");
  }

  std::vector<AnalysisResult> base_results;
  std::vector<AnalysisResult> candidate_results;
  for (const Roof& roof : roofs) {
    for (size_t i = 0; i < seqs.size(); ++i) {
      for (size_t j = 0; j < batches.size(); ++j) {
        for (Side* side : {&base, &candidate}) {
          side->scenario.seq_len = seqs.at(i);
          side->scenario.batch = batches.at(j);
        }
        base_results.push_back(Analyze(base_model, roof, base.scenario, MeasuredTps{}));
        candidate_results.push_back(
            Analyze(candidate_model, roof, candidate.scenario, MeasuredTps{}));
      }
    }
  }
  const Comparison comparison = BuildComparison(base_results, candidate_results, thresholds);
  // Charts are rendered before anything is written: a failing chart leaves nothing.
  std::vector<std::unique_ptr<Output>> plots;
  if (!o.plot.path.empty()) {
    // Per point: base and candidate against the device's roof, beside the Δ% of every metric
    // with the thresholds; each file named after its point when there are several.
    RooflineOptions chart = ChartOptions(o.roof_options);
    std::vector<Chart> charts;
    for (size_t i = 0; i < base_results.size(); ++i) {
      chart.title = fmt::format("{} (base) against {} (candidate) on {}", o.base, o.candidate,
                                base_results[i].roof.display_name);
      const ComparePoint& p = comparison.points[i];
      std::string name = fmt::format("{}-seq{}", p.hardware, p.seq_len);
      if (batches.size() > 1 || p.batch != 1) {
        name += fmt::format("-batch{}", p.batch);
      }
      charts.push_back({SvgBeside({RooflineSvg({base_results[i], candidate_results[i]}, chart),
                                   CompareBarsSvg(comparison, i)}),
                        name});
    }
    plots = StagePlots(o.plot, charts, CompareHtmlPage(comparison));
  }
  Emit(format == "json" ? RenderCompareJson(comparison) : RenderCompareTable(comparison),
       o.output);
  PublishPlots(plots);
  for (const std::string& line : CrossedThresholdMessages(comparison)) {
    fmt::print(stderr, "slmroof: error: {}\n", line);
  }
  return comparison.crossed() ? kExitGate : kExitOk;
}

// The metric table for --help, from the one table the JSON and --fail-if use.
std::string MetricsHelp() {
  std::string text =
      "\n--fail-if 'METRIC OP VALUE[%]', OP one of > >= < <=: with % VALUE is the relative change "
      "in "
      "percent, without it the change in the metric's unit.\n\nMetrics:\n";
  for (const CompareMetric& m : CompareMetrics()) {
    text += fmt::format(
        "  {:<16} {:<10} {:<13} {}\n", m.name, MetricUnitName(m.unit),
        m.better == Better::kNeither ? "" : fmt::format("{} better", BetterName(m.better)),
        m.description);
  }
  return text;
}

}  // namespace

std::function<int()> SetupCompare(CLI::App& cmd) {
  auto o = std::make_shared<CompareOptions>();
  const std::string side_help =
      "; append @key=value,... (weights, plan, act, kv, state, prune, sparsity, fusion, mla) to override settings";
  cmd.add_option("base", o->base, "Base model preset or file" + side_help)->required();
  cmd.add_option("candidate", o->candidate, "Candidate model preset or file" + side_help)
      ->required();
  AddAsOption(cmd, &o->as_family);
  AddRoofOptions(cmd, &o->roof_options, true);
  cmd.add_option("--seq", o->seq,
                 "Sequence lengths: a list or ranges START:STOP[:STEP]; 4k = 4096, 1M = 1048576")
      ->capture_default_str();
  cmd.add_option("--batch", o->batch, "Batch sizes: a list or ranges START:STOP[:STEP]")
      ->capture_default_str();
  const std::vector<std::string> types = DTypeNames();
  const std::tuple<const char*, const char*, std::string*> kTypeOptions[] = {
      {"weights", "Weight", &o->weights},
      {"act", "Activation", &o->act},
      {"kv", "KV-cache", &o->kv},
      {"state", "Recurrent-state", &o->state}};
  for (const auto& [key, what, value] : kTypeOptions) {
    cmd.add_option(fmt::format("--{}", key), *value,
                   fmt::format("{} type of both sides; BASE@{}=T or CANDIDATE@{}=T sets one", what,
                               key, key))
        ->check(std::string(key) == "weights" ? WeightSettingCheck()
                                              : CLI::Validator(CLI::IsMember(types, CLI::ignore_case)))
        ->capture_default_str();
  }
  cmd.get_option("--weights")->each([o](const std::string&) { o->weights_given = true; });
  AddPlanOption(cmd, &o->plan);
  AddPruneOption(cmd, &o->prune);
  AddSparsityOption(cmd, &o->sparsity);
  cmd.add_option("--fusion", o->fusion, "none: scores go through memory; flash: they stay on chip")
      ->check(CLI::IsMember(kFusionNames))
      ->capture_default_str();
  cmd.add_option("--mla", o->mla, "MLA attention form")
      ->check(CLI::IsMember(kMlaNames))
      ->capture_default_str();
  cmd.add_option("--fail-if", o->fail_if,
                 "Exit 4 when METRIC OP VALUE[UNIT|%] holds at any point, e.g. 'tpot>+5%', 'tpot>+2ms' (repeatable)")
      ->allow_extra_args(false);
  cmd.add_option("--format", o->format,
                 "Output format [default: from the -o file's extension: .txt, .json; else table]")
      ->check(CLI::IsMember({"table", "json"}));
  cmd.add_option("-o,--output", o->output, "Write to FILE instead of stdout");
  AddPlotOptions(cmd, &o->plot);
  cmd.footer(MetricsHelp());
  return [o, &cmd] {
    o->format_given = cmd.count("--format") > 0;
    o->roof_options.keep_act = cmd.count("--act") > 0;
    o->roof_options.keep_fusion = cmd.count("--fusion") > 0;
    o->roof_options.keep_mla = cmd.count("--mla") > 0;
    return RunCompare(*o);
  };
}

}  // namespace slmroof::cli
