// `slmroof quant-plan`: the mixed-precision plan of least total sensitivity score within a budget
// of weight bytes and/or time per token on a device (docs/quant-plan.md).
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "render/human.hpp"
#include "slmroof/axis.hpp"
#include "slmroof/compare.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/limits.hpp"
#include "slmroof/plot.hpp"
#include "slmroof/quant_plan.hpp"
#include "slmroof/render.hpp"
#include "slmroof/text.hpp"
#include "slmroof/units.hpp"

namespace slmroof::cli {

namespace {

using Json = nlohmann::ordered_json;

struct QuantPlanOptions {
  std::string model;
  RoofOptions roof_options;
  std::vector<std::string> scores;
  std::vector<std::string> kl_probes;
  std::string metric = "kl_student_to_teacher";
  std::string base;
  std::string max_bytes;
  std::string max_tpot;
  std::string seq = "1024";
  int64_t batch = 1;
  std::string act = "fp16";
  std::string kv = "fp16";
  int frontier = 0;
  int64_t max_nodes = 2'000'000;
  std::string plan_out;
  std::string as_family;
  bool format_given = false;
  std::string format = "table";
  std::string output;
  PlotOptions plot;
};

// A unit's name in a column of 44: its tail when longer (the layer and the projection).
std::string Column44(const std::string& name) {
  const std::string one = OneLine(name, 200);
  return one.size() <= 44 ? one : "…" + one.substr(one.size() - 43);
}

std::string TypeName(const UnitChoice& c, const std::string& base) {
  return c.type == nullptr ? fmt::format("keep ({})", base) : c.type->name;
}

Json OutcomeJson(const PlanOutcome& o, const QuantPlanResult& r) {
  Json picks = Json::array();
  for (size_t i = 0; i < r.units.size(); ++i) {
    const UnitChoice& c = r.units[i].choices[static_cast<size_t>(o.pick[i])];
    picks.push_back({{"unit", r.units[i].name},
                     {"type", c.type == nullptr ? Json(nullptr) : Json(c.type->name)},
                     {"score", RoundSig(c.score)},
                     {"bytes", c.bytes}});
  }
  return {{"score", RoundSig(o.score)},
          {"weight_bytes", o.weight_bytes},
          {"ttft_s", RoundSig(o.ttft_s)},
          {"tpot_s", RoundSig(o.tpot_s)},
          {"tpot_additive_s", RoundSig(o.tpot_additive_s)},
          {"decode_tokens_per_s", RoundSig(o.decode_tokens_per_s)},
          {"decode_phi", RoundSig(o.decode_phi)},
          {"prefill_phi", RoundSig(o.prefill_phi)},
          {"units", picks},
          {"plan", Json::parse(PlanJson(o.plan))}};
}

Json ResultJson(const QuantPlanResult& r, const QuantPlanRequest& q) {
  Json frontier = Json::array();
  for (const FrontierPoint& p : r.frontier) {
    frontier.push_back({{"budget", RoundSig(p.budget)}, {"feasible", p.feasible},
                        {"proven", p.proven}, {"score", RoundSig(p.score)},
                        {"weight_bytes", p.weight_bytes}, {"tpot_additive_s", RoundSig(p.tpot_s)}});
  }
  Json greedy_curve = Json::array();
  for (const FrontierPoint& p : r.greedy_curve) {
    greedy_curve.push_back({{"entries", p.budget}, {"feasible", p.feasible},
                            {"score", RoundSig(p.score)}, {"weight_bytes", p.weight_bytes},
                            {"tpot_additive_s", RoundSig(p.tpot_s)}});
  }
  return {{"model", q.model.name},
          {"hardware", q.roof.device},
          {"seq_len", q.scenario.seq_len},
          {"batch", q.scenario.batch},
          {"base", q.base.name},
          {"max_bytes", q.max_bytes ? Json(*q.max_bytes) : Json(nullptr)},
          {"max_tpot_s", q.max_tpot_s ? Json(*q.max_tpot_s) : Json(nullptr)},
          {"units", r.units.size()},
          {"base_bytes", r.base_bytes},
          {"fixed_bytes", r.fixed_bytes},
          {"lightest_bytes", r.lightest_bytes},
          {"fastest_tpot_s", RoundSig(r.fastest_tpot_s)},
          {"base_tpot_s", RoundSig(r.base_tpot_s)},
          {"solver", "branch and bound, LP-relaxation bounds"},
          {"feasible", r.feasible},
          {"proven_optimal", r.proven},
          {"lower_bound", r.feasible || !r.proven ? Json(RoundSig(r.lower_bound)) : Json(nullptr)},
          {"nodes", r.nodes},
          {"optimal", r.feasible ? OutcomeJson(r.optimal, r) : Json(nullptr)},
          {"greedy_entries", r.greedy_found ? Json(r.greedy_cut) : Json(nullptr)},
          {"greedy", r.greedy_found ? OutcomeJson(r.greedy, r) : Json(nullptr)},
          {"frontier_resource", r.frontier_resource},
          {"frontier", frontier},
          {"greedy_curve", greedy_curve},
          {"unplaced", r.unplaced}};
}

std::string ResultText(const QuantPlanResult& r, const QuantPlanRequest& q) {
  std::string out = fmt::format("quant-plan: {} on {}, seq {}, batch {}; {} units, base {}\n",
                                q.model.name, q.roof.display_name, q.scenario.seq_len,
                                q.scenario.batch, r.units.size(), q.base.name);
  std::vector<std::string> budget;
  if (q.max_bytes) {
    budget.push_back(fmt::format("weights <= {} ({} held by no unit)", human::Si(*q.max_bytes, "B"),
                                 human::Si(r.fixed_bytes, "B")));
  }
  if (q.max_tpot_s) {
    budget.push_back(fmt::format("TPOT <= {} (all base: {})", human::Seconds(*q.max_tpot_s),
                                 human::Seconds(r.base_tpot_s)));
  }
  out += fmt::format("budget: {}\n", budget.empty() ? "none" : fmt::format("{}", fmt::join(budget, "; ")));
  for (const std::string& u : r.unplaced) {
    out += fmt::format("skipped: {}\n", u);
  }
  if (!r.feasible) {
    if (!r.proven) {
      return out + fmt::format("no plan found before the search limit of {} nodes\n", r.nodes);
    }
    bool named = false;
    if (q.max_bytes && r.lightest_bytes > *q.max_bytes) {
      out += fmt::format("no plan meets the budget: every unit at its smallest choice still needs "
                         "{} of weights\n",
                         human::Si(r.lightest_bytes, "B"));
      named = true;
    }
    if (q.max_tpot_s && r.fastest_tpot_s > *q.max_tpot_s) {
      out += fmt::format("no plan meets the budget: every unit at its fastest choice still takes "
                         "{} per token\n",
                         human::Seconds(r.fastest_tpot_s));
      named = true;
    }
    if (!named) {
      out += "no plan meets both budgets at once\n";
    }
    return out;
  }
  out += r.proven ? fmt::format("optimal: proven (branch and bound, {} nodes)\n", r.nodes)
                  : fmt::format("best found, not proven: search stopped at {} nodes; no plan scores "
                                "below {:.6g}\n",
                                r.nodes, r.lower_bound);
  out += fmt::format("\n  {:<22} {:>14} {:>14}\n", "", "optimal", "greedy (paper)");
  auto row = [&](const char* label, auto f) {
    out += fmt::format("  {:<22} {:>14} {:>14}\n", label, f(r.optimal),
                       r.greedy_found ? f(r.greedy) : std::string("none fits"));
  };
  row("total score", [](const PlanOutcome& o) { return fmt::format("{:.6g}", o.score); });
  row("weights", [](const PlanOutcome& o) { return human::Si(o.weight_bytes, "B"); });
  row("TTFT", [](const PlanOutcome& o) { return human::Seconds(o.ttft_s); });
  row("TPOT", [](const PlanOutcome& o) { return human::Seconds(o.tpot_s); });
  row("decode tokens/s", [](const PlanOutcome& o) { return fmt::format("{:.4g}", o.decode_tokens_per_s); });
  row("Φ decode", [](const PlanOutcome& o) { return fmt::format("{:.4g}", o.decode_phi); });
  row("Φ prefill", [](const PlanOutcome& o) { return fmt::format("{:.4g}", o.prefill_phi); });
  if (r.greedy_found) {
    out += fmt::format("  greedy: the first {} entries of the {} sorted by score\n", r.greedy_cut,
                       r.greedy_curve.size() - 1);
  }
  out += fmt::format("\nplan (optimal)\n  {:<44} {:<14} {:>10} {:>10}\n", "unit", "type", "score",
                     "bytes");
  for (size_t i = 0; i < r.units.size(); ++i) {
    const UnitChoice& c = r.units[i].choices[static_cast<size_t>(r.optimal.pick[i])];
    out += fmt::format("  {:<44} {:<14} {:>10.4g} {:>10}\n", Column44(r.units[i].name),
                       TypeName(c, q.base.name), c.score, human::Si(c.bytes, "B"));
  }
  if (!r.frontier.empty()) {
    const bool tpot = r.frontier_resource == "tpot";
    out += fmt::format("\nfrontier ({})\n  {:>12} {:>12} {:>12} {:>12}\n",
                       tpot ? "least score at each TPOT" : "least score at each weight budget",
                       "budget", "score", "weights", "TPOT (sum)");
    for (const FrontierPoint& p : r.frontier) {
      out += fmt::format("  {:>12} {:>12} {:>12} {:>12}\n",
                         tpot ? human::Seconds(p.budget) : human::Si(p.budget, "B"),
                         p.feasible ? fmt::format("{:.6g}{}", p.score, p.proven ? "" : "*") : "none",
                         p.feasible ? human::Si(p.weight_bytes, "B") : "",
                         p.feasible ? human::Seconds(p.tpot_s) : "");
    }
  }
  return out;
}

std::vector<SensitivityRow> ReadAllScores(const QuantPlanOptions& o) {
  std::vector<SensitivityRow> rows;
  for (const std::string& path : o.scores) {
    const std::vector<SensitivityRow> more = ReadScores(path);
    rows.insert(rows.end(), more.begin(), more.end());
  }
  for (const std::string& arg : o.kl_probes) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError(fmt::format("--kl-probe {}: expected TYPE=FILE, e.g. q4_0=sensitivity_4bit.json",
                                   Excerpt(arg)));
    }
    const DType& type = DTypeByName(arg.substr(0, eq));
    const std::vector<SensitivityRow> more = ReadKlProbe(arg.substr(eq + 1), type, o.metric);
    rows.insert(rows.end(), more.begin(), more.end());
  }
  if (rows.empty()) {
    throw UsageError("quant-plan: give scores with --scores FILE or --kl-probe TYPE=FILE");
  }
  return rows;
}

int RunQuantPlan(const QuantPlanOptions& o) {
  QuantPlanRequest q;
  q.scenario.seq_len = ParseTokenCount(o.seq, "--seq", limits::kSeqLen.min, limits::kSeqLen.max);
  q.scenario.batch = o.batch;
  q.scenario.act = DTypeByName(o.act);
  q.scenario.kv = DTypeByName(o.kv);
  if (!o.max_bytes.empty()) {
    q.max_bytes = ParseAmount(o.max_bytes, MetricUnit::kBytes, "--max-bytes");
  }
  if (!o.max_tpot.empty()) {
    q.max_tpot_s = ParseAmount(o.max_tpot, MetricUnit::kSeconds, "--max-tpot");
  }
  if (o.frontier < 0 || o.frontier > 200) {
    throw UsageError("--frontier: 1 to 200 budgets");
  }
  q.node_limit = o.max_nodes;
  q.frontier_points = o.frontier;
  CheckPlotOptions(o.plot);
  if (!o.plot.path.empty() && o.frontier == 0) {
    throw UsageError("--plot draws the frontier: give --frontier N too");
  }
  const std::string format =
      FormatFor(o.format_given, o.format, o.output, {{".txt", "table"}, {".json", "json"}});
  q.base = ParseWeightSetting(o.base.empty() ? "fp16" : o.base);
  q.base.from_file = o.base.empty();
  q.scores = ReadAllScores(o);
  q.roof = ResolveRoofs(o.roof_options).front();
  q.model = LoadModelAndWarn(o.model, o.as_family);
  if (!q.max_bytes && !q.max_tpot_s) {
    spdlog::warn("quant-plan: no --max-bytes or --max-tpot: the least score is every unit at its "
                 "best-scored type");
  }
  const QuantPlanResult r = PlanQuantization(q);
  const std::string text =
      format == "json" ? ResultJson(r, q).dump(2) + "\n" : ResultText(r, q);
  std::vector<std::unique_ptr<Output>> plots;
  if (!o.plot.path.empty()) {
    const std::string title = fmt::format("{} on {}: least score against {}", q.model.name,
                                          q.roof.display_name,
                                          r.frontier_resource == "tpot" ? "TPOT" : "weight bytes");
    HtmlPage page;
    page.title = title;
    plots = StagePlots(o.plot, {{FrontierSvg(r, title), ""}}, page);
  }
  if (!o.plan_out.empty()) {
    if (!r.feasible) {
      throw InputError("quant-plan: no plan meets the budget; nothing written to " +
                       OneLine(o.plan_out, 200));
    }
    Emit(PlanJson(r.optimal.plan), o.plan_out);
  }
  Emit(text, o.output);
  PublishPlots(plots);
  return r.feasible ? kExitOk : kExitInput;
}

}  // namespace

std::function<int()> SetupQuantPlan(CLI::App& cmd) {
  auto o = std::make_shared<QuantPlanOptions>();
  cmd.add_option("model", o->model, "Model preset or file (HF config.json, slmroof JSON or GGUF)")
      ->required();
  AddAsOption(cmd, &o->as_family);
  AddRoofOptions(cmd, &o->roof_options, false);
  cmd.add_option("--scores", o->scores,
                 "Sensitivity scores: CSV (tensor,type,score) or JSON [{tensor, type, score}]; a "
                 "tensor is a GGUF name, a glob, or an HF module name (repeatable)")
      ->allow_extra_args(false);
  cmd.add_option("--kl-probe", o->kl_probes,
                 "kl-ssm-quant's per-module output (sensitivity_results*.json) with the type its "
                 "bit width stands for: TYPE=FILE, e.g. q4_0=kl4.json (repeatable)")
      ->allow_extra_args(false);
  cmd.add_option("--metric", o->metric, "The --kl-probe column taken as the score")
      ->check(CLI::IsMember(KlProbeMetrics()))
      ->capture_default_str();
  cmd.add_option("--base", o->base,
                 "Every tensor's type when no score changes it (score 0 unless a row scores it) "
                 "[default: a GGUF file's own types, else fp16]")
      ->check(WeightSettingCheck());
  cmd.add_option("--max-bytes", o->max_bytes, "Budget of weight bytes in memory: 800MB, 1.5GiB");
  cmd.add_option("--max-tpot", o->max_tpot,
                 "Budget of decode time per token on the device and engine: 12ms");
  cmd.add_option("--seq", o->seq, "Prompt and context length of the prediction; 4k = 4096")
      ->capture_default_str();
  cmd.add_option("--batch", o->batch, "Sequences processed together")
      ->check(CLI::Range(limits::kBatch.min, limits::kBatch.max))
      ->capture_default_str();
  const std::vector<std::string> types = DTypeNames();
  cmd.add_option("--act", o->act, "Activation type")->check(CLI::IsMember(types, CLI::ignore_case))
      ->capture_default_str();
  cmd.add_option("--kv", o->kv, "KV-cache type")->check(CLI::IsMember(types, CLI::ignore_case))
      ->capture_default_str();
  cmd.add_option("--frontier", o->frontier,
                 "Also solve N budgets from the lightest plan to the heaviest (weight bytes, or "
                 "TPOT when only --max-tpot is given)");
  cmd.add_option("--max-nodes", o->max_nodes,
                 "Branch-and-bound nodes per solve before it stops and reports the best plan found "
                 "as not proven (about a million a second)")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000'000}))
      ->capture_default_str();
  cmd.add_option("--plan-out", o->plan_out, "Write the optimal plan to FILE (for analyze --plan)");
  cmd.add_option("--format", o->format,
                 "Output format [default: from the -o file's extension: .txt, .json; else table]")
      ->check(CLI::IsMember({"table", "json"}));
  cmd.add_option("-o,--output", o->output, "Write to FILE instead of stdout");
  AddPlotOptions(cmd, &o->plot);
  return [o, &cmd] {
    o->format_given = cmd.count("--format") > 0;
    o->roof_options.keep_act = cmd.count("--act") > 0;
    return RunQuantPlan(*o);
  };
}

}  // namespace slmroof::cli
