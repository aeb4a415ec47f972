// What the HTML reports of analyze, compare and sweep say (docs/plots.md, "HTML"): a title that
// names model, device and engine, a summary card of headline figures, and the tables as HTML
// tables. They read results only; the page itself is laid out by HtmlReport (plot/html.cpp).
#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "render/human.hpp"
#include "slmroof/compare.hpp"
#include "slmroof/plot.hpp"
#include "slmroof/render.hpp"

namespace slmroof {

namespace {

using human::Oi;
using human::Seconds;
using human::Si;

std::string EngineText(const Roof& r) {
  return r.engine == "ideal" ? "the roofline bound" : fmt::format("{} {}", r.engine, r.backend);
}

std::string Tps(double v) { return fmt::format("{:.4g} tok/s", v); }

// One phase's operators, largest share first, then the phase total.
HtmlTable OperatorTable(const AnalysisResult& a, const PhaseResult& p) {
  HtmlTable t;
  t.caption = fmt::format("{} {}: {}", a.model.name, PhaseName(p.phase),
                          p.phase == Phase::kPrefill
                              ? fmt::format("{} prompt tokens x batch {}", a.scenario.seq_len,
                                            a.scenario.batch)
                              : fmt::format("one step at context {}, batch {}", a.scenario.seq_len,
                                            a.scenario.batch));
  t.header = {"operator", "count", "FLOPs", "bytes", "OI", "attainable", "bound", "time", "share"};
  t.numeric = {false, true, true, true, true, true, false, true, true};
  std::vector<size_t> order(p.operators.size());
  std::iota(order.begin(), order.end(), 0);
  auto total = [&](size_t i) {
    return static_cast<double>(p.operators[i].op.count) * p.operators[i].time_s;
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return total(x) > total(y); });
  for (size_t i : order) {
    const OperatorResult& r = p.operators[i];
    const double c = static_cast<double>(r.op.count);
    t.rows.push_back({r.op.name, std::to_string(r.op.count), Si(c * r.op.flops, "FLOP"),
                      Si(c * r.op.bytes(), "B"), Oi(r.oi), Si(r.attainable_flops_per_s, "FLOP/s"),
                      std::string(BoundName(r.bound)), Seconds(c * r.time_s),
                      fmt::format("{:.1f}%", 100 * total(i) / p.totals.time_s)});
  }
  const PhaseTotals& s = p.totals;
  t.rows.push_back({"total", "", Si(s.flops, "FLOP"), Si(s.bytes, "B"), Oi(s.oi),
                    Si(s.flops / s.time_s, "FLOP/s"), std::string(BoundName(s.bound)),
                    Seconds(s.time_s), "100%"});
  return t;
}

}  // namespace

HtmlPage AnalyzeHtmlPage(const Report& report) {
  HtmlPage page;
  const AnalysisResult& a = report.analyses.front();
  const Scenario& s = a.scenario;
  page.title = report.analyses.size() == 1
                   ? fmt::format("{} on {} ({})", a.model.display_name, a.roof.display_name,
                                 EngineText(a.roof))
                   : fmt::format("{} models on {} ({})", report.analyses.size(),
                                 a.roof.display_name, EngineText(a.roof));
  page.subtitle = fmt::format("{} unit, {} roof; seq {}, batch {}, weights {}, act {}, kv {}",
                              a.roof.unit, RoofKindName(a.roof.kind), s.seq_len, s.batch,
                              s.weights.name, s.act.name, s.kv.name);
  if (report.analyses.size() == 1) {
    if (const PhaseResult* p = FindPhase(a, Phase::kPrefill)) {
      page.summary.push_back({"time to first token", Seconds(p->totals.time_s)});
      page.summary.push_back({"prefill", Tps(p->totals.tokens_per_s)});
    }
    if (const PhaseResult* p = FindPhase(a, Phase::kDecode)) {
      page.summary.push_back({"time per output token", Seconds(p->totals.time_s)});
      page.summary.push_back({"decode", Tps(p->totals.tokens_per_s)});
      page.summary.push_back(
          {"decode reaches", fmt::format("{:.1f}% of the roof", 100 * p->rip.roof_fraction)});
    }
    page.summary.push_back({"memory", Si(a.memory.total_bytes, "B")});
    page.summary.push_back(
        {"fits", a.memory.fits ? (*a.memory.fits ? fmt::format("yes, of {}", Si(a.memory.usable_bytes, "B"))
                                                 : fmt::format("NO: {} usable", Si(a.memory.usable_bytes, "B")))
                               : "capacity unknown"});
  }
  // Several models: one row each, as the table's side-by-side view.
  if (report.analyses.size() > 1) {
    HtmlTable t;
    t.caption = "models side by side";
    t.header = {"model", "params", "TTFT", "prefill tok/s", "TPOT", "decode tok/s", "memory", "fits"};
    t.numeric = {false, true, true, true, true, true, true, false};
    for (const AnalysisResult& m : report.analyses) {
      const PhaseResult* pre = FindPhase(m, Phase::kPrefill);
      const PhaseResult* dec = FindPhase(m, Phase::kDecode);
      t.rows.push_back({m.model.name, Si(m.model.params, ""),
                        pre ? Seconds(pre->totals.time_s) : "-",
                        pre ? fmt::format("{:.4g}", pre->totals.tokens_per_s) : "-",
                        dec ? Seconds(dec->totals.time_s) : "-",
                        dec ? fmt::format("{:.4g}", dec->totals.tokens_per_s) : "-",
                        Si(m.memory.total_bytes, "B"),
                        m.memory.fits ? (*m.memory.fits ? "yes" : "NO") : "?"});
    }
    page.tables.push_back(std::move(t));
  }
  for (const AnalysisResult& m : report.analyses) {
    for (const PhaseResult& p : m.phases) {
      page.tables.push_back(OperatorTable(m, p));
    }
  }
  page.footer = "slmroof analyze; every figure is defined in docs/cost-model.md";
  return page;
}

HtmlPage CompareHtmlPage(const Comparison& c) {
  HtmlPage page;
  page.title = fmt::format("{} [{}] against {} [{}]", c.candidate.display_name, c.candidate.weights,
                           c.base.display_name, c.base.weights);
  page.subtitle = fmt::format("candidate against base at {} point{}", c.points.size(),
                              c.points.size() == 1 ? "" : "s");
  for (const ThresholdResult& r : c.thresholds) {
    page.summary.push_back({r.threshold.expr, r.crossed() ? fmt::format("crossed at {}", r.hits.size())
                                                          : "not crossed"});
  }
  for (const ComparePoint& p : c.points) {
    HtmlTable t;
    t.caption = fmt::format("{}, seq {}, batch {}", p.hardware, p.seq_len, p.batch);
    t.header = {"metric", "unit", "base", "candidate", "Δ", "Δ%", "better"};
    t.numeric = {false, false, true, true, true, true, false};
    for (const MetricDiff& d : p.metrics) {
      const bool incomparable = d.comparable && !*d.comparable;
      t.rows.push_back({d.metric->name, std::string(MetricUnitName(d.metric->unit)),
                        fmt::format("{:.4g}", d.base), fmt::format("{:.4g}", d.candidate),
                        incomparable ? "incomparable" : fmt::format("{:+.4g}", d.delta),
                        d.relative && !incomparable ? fmt::format("{:+.3g}%", 100 * *d.relative) : "-",
                        d.metric->better == Better::kNeither ? "" : std::string(BetterName(d.metric->better))});
    }
    page.tables.push_back(std::move(t));
  }
  page.footer = "slmroof compare; metrics and thresholds: docs/compare.md";
  return page;
}

HtmlPage SweepHtmlPage(const std::vector<SweepSeriesPoint>& points) {
  HtmlPage page;
  page.title = "slmroof sweep";
  // Named by what it covers: one model or "N models", one device or "N devices".
  std::vector<std::string> models, devices;
  for (const SweepSeriesPoint& p : points) {
    if (std::find(models.begin(), models.end(), p.model) == models.end()) {
      models.push_back(p.model);
    }
    if (std::find(devices.begin(), devices.end(), p.hardware) == devices.end()) {
      devices.push_back(p.hardware);
    }
  }
  if (!points.empty()) {
    page.title = fmt::format("sweep of {} rows: {} on {}", points.size(),
                             models.size() == 1 ? models.front() : fmt::format("{} models", models.size()),
                             devices.size() == 1 ? devices.front()
                                                 : fmt::format("{} devices", devices.size()));
  }
  HtmlTable t;
  t.caption = "rows";
  t.header = {"model", "hardware", "weights", "kv", "layers", "batch", "seq", "phase", "OI",
              "time", "tok/s", "Φ-log"};
  t.numeric = {false, false, false, false, true, true, true, false, true, true, true, true};
  for (const SweepSeriesPoint& p : points) {
    t.rows.push_back({p.model, p.hardware, p.weights, p.kv, std::to_string(p.layers),
                      std::to_string(p.batch), std::to_string(p.seq_len),
                      std::string(PhaseName(p.phase)), Oi(p.oi), Seconds(p.time_s),
                      fmt::format("{:.4g}", p.tokens_per_s), fmt::format("{:.3g}", p.phi_log)});
  }
  page.tables.push_back(std::move(t));
  page.footer = "slmroof sweep; columns: docs/sweep.md";
  return page;
}

}  // namespace slmroof
