#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "render/human.hpp"
#include "slmroof/compare.hpp"
#include "slmroof/render.hpp"
#include "slmroof/text.hpp"

namespace slmroof {

namespace {

using nlohmann::ordered_json;

ordered_json Num(double v) { return RoundSig(v); }

// A value for people, in the metric's own unit.
std::string Human(MetricUnit unit, double v) {
  switch (unit) {
    case MetricUnit::kSeconds:
      return human::Seconds(v);
    case MetricUnit::kTokensPerS:
      return human::Si(v, "tok/s");
    case MetricUnit::kBytes:
      return human::Si(v, "B");
    case MetricUnit::kFlopPerByte:
      return human::Oi(v);
    case MetricUnit::kPhi:
      return fmt::format("{:.4g}", v);
    case MetricUnit::kDecades:
      return fmt::format("{:.3g}", v);
  }
  return "";
}

// A signed change for people; the helpers above format magnitudes only.
std::string HumanDelta(MetricUnit unit, double d) {
  if (d == 0) {
    return "0";
  }
  return fmt::format("{}{}", d < 0 ? '-' : '+', Human(unit, std::fabs(d)));
}

std::string Percent(double pct) {
  if (pct == 0) {
    return "0%";
  }
  return std::fabs(pct) >= 100 ? fmt::format("{:+.0f}%", pct) : fmt::format("{:+#.3g}%", pct);
}

std::string Settings(const CompareSide& s) {
  return fmt::format("weights {}, act {}, kv {}, fusion {}, mla {}", s.weights, s.act, s.kv,
                     FusionName(s.fusion), MlaFormName(s.mla));
}

// "jetson-orin-nano-super seq 4096 batch 1: tpot +7.31%"
std::string HitText(const ThresholdResult& r, const ThresholdHit& h) {
  const Threshold& t = r.threshold;
  return fmt::format("{} seq {} batch {}: {} {}", h.hardware, h.seq_len, h.batch, t.metric->name,
                     t.percent ? Percent(h.value) : HumanDelta(t.metric->unit, h.value));
}

std::string Verdict(const MetricDiff& d) {
  if (d.delta == 0 || d.metric->better == Better::kNeither) {
    return "";
  }
  return (d.delta < 0) == (d.metric->better == Better::kLower) ? "better" : "worse";
}

ordered_json SideJson(const CompareSide& s) {
  ordered_json j;
  j["model"] = s.model;
  j["display_name"] = s.display_name;
  j["weights"] = s.weights;
  j["act"] = s.act;
  j["kv"] = s.kv;
  j["fusion"] = std::string(FusionName(s.fusion));
  j["mla"] = std::string(MlaFormName(s.mla));
  return j;
}

ordered_json MetricJson(const MetricDiff& d) {
  ordered_json j;
  j["unit"] = std::string(MetricUnitName(d.metric->unit));
  j["base"] = Num(d.base);
  j["candidate"] = Num(d.candidate);
  j["delta"] = Num(d.delta);
  j["relative"] = d.relative ? Num(*d.relative) : ordered_json(nullptr);
  if (d.comparable) {
    j["comparable"] = *d.comparable;
  }
  return j;
}

}  // namespace

std::string RenderCompareJson(const Comparison& c) {
  ordered_json out;
  out["schema_version"] = kSchemaVersion;
  out["base"] = SideJson(c.base);
  out["candidate"] = SideJson(c.candidate);
  ordered_json points = ordered_json::array();
  for (const ComparePoint& p : c.points) {
    ordered_json j;
    j["hardware"] = p.hardware;
    j["seq_len"] = p.seq_len;
    j["batch"] = p.batch;
    ordered_json metrics = ordered_json::object();
    for (const MetricDiff& d : p.metrics) {
      metrics[d.metric->name] = MetricJson(d);
    }
    j["metrics"] = std::move(metrics);
    points.push_back(std::move(j));
  }
  out["points"] = std::move(points);
  ordered_json thresholds = ordered_json::array();
  for (const ThresholdResult& r : c.thresholds) {
    ordered_json j;
    j["expr"] = r.threshold.expr;
    j["crossed"] = r.crossed();
    ordered_json hits = ordered_json::array();
    for (const ThresholdHit& h : r.hits) {
      hits.push_back({{"hardware", h.hardware},
                      {"seq_len", h.seq_len},
                      {"batch", h.batch},
                      {"value", Num(h.value)}});
    }
    j["points"] = std::move(hits);
    thresholds.push_back(std::move(j));
  }
  out["thresholds"] = std::move(thresholds);
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string RenderCompareTable(const Comparison& c) {
  std::string out;
  out +=
      fmt::format("base:      {} [{}] {}\n", c.base.display_name, c.base.model, Settings(c.base));
  out += fmt::format("candidate: {} [{}] {}\n", c.candidate.display_name, c.candidate.model,
                     Settings(c.candidate));
  size_t width = 6;
  for (const CompareMetric& m : CompareMetrics()) {
    width = std::max(width, std::string_view(m.name).size());
  }
  auto row = [&](std::string_view metric, const std::string& base, const std::string& candidate,
                 const std::string& delta, const std::string& pct, const std::string& verdict) {
    std::string line = fmt::format("  {:<{}} {:>12} {:>12} {:>13} {:>9}  {}", metric, width, base,
                                   candidate, delta, pct, verdict);
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  };
  for (const ComparePoint& p : c.points) {
    out += fmt::format("\n{}, seq {}, batch {}\n", p.hardware, p.seq_len, p.batch);
    row("metric", "base", "candidate", "Δ", "Δ%", "");
    for (const MetricDiff& d : p.metrics) {
      const MetricUnit u = d.metric->unit;
      if (d.comparable == false) {
        // Opposite sides of the ridge: both values, no difference (docs/cost-model.md §9.4).
        row(d.metric->name, Human(u, d.base), Human(u, d.candidate), "incomparable", "", "");
        continue;
      }
      row(d.metric->name, Human(u, d.base), Human(u, d.candidate), HumanDelta(u, d.delta),
          d.relative ? Percent(*d.relative * 100) : "n/a", Verdict(d));
    }
  }
  if (!c.thresholds.empty()) {
    out += "\nthresholds\n";
    size_t expr_width = 0;
    for (const ThresholdResult& r : c.thresholds) {
      expr_width = std::max(expr_width, r.threshold.expr.size());
    }
    for (const ThresholdResult& r : c.thresholds) {
      out += fmt::format("  {:<{}}  ", r.threshold.expr, expr_width);
      if (r.crossed()) {
        out += fmt::format("crossed at {} of {} points; worst: {}\n", r.hits.size(),
                           c.points.size(), HitText(r, r.worst()));
      } else {
        out += "not crossed\n";
      }
    }
  }
  return out;
}

std::vector<std::string> CrossedThresholdMessages(const Comparison& c) {
  std::vector<std::string> lines;
  for (const ThresholdResult& r : c.thresholds) {
    if (!r.crossed()) {
      continue;
    }
    std::string line =
        fmt::format("threshold {} crossed: {}", Excerpt(r.threshold.expr, 80), HitText(r, r.worst()));
    if (r.hits.size() > 1) {
      line +=
          fmt::format(" (and {} more point{})", r.hits.size() - 1, r.hits.size() > 2 ? "s" : "");
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace slmroof
