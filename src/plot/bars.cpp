// The Δ% bar chart of `compare --plot` (docs/plots.md): one bar per metric at one point, coloured
// by whether the change is better or worse, with the point's --fail-if thresholds drawn on it.
// It only reads the comparison: every length is a relative change the comparison holds, or a
// threshold's own value (an absolute threshold is placed at delta / base, the same point's base).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "plot/svg.hpp"
#include "render/human.hpp"
#include "slmroof/compare.hpp"
#include "slmroof/plot.hpp"

namespace slmroof {

namespace {

using plot::Anchor;
using plot::Num;
using plot::SvgWriter;
using plot::TextWidth;

constexpr const char* kInk = "#333333";
constexpr const char* kBetter = "#2e8b57";
constexpr const char* kWorse = "#c0392b";
constexpr const char* kNeutral = "#8c8c8c";
constexpr double kRow = 26;
constexpr double kBarH = 14;

// Where a threshold sits at this point, in % of the base value; nothing when it cannot be placed
// (an absolute threshold on a zero base).
std::optional<double> ThresholdPercent(const Threshold& t, const MetricDiff& d) {
  if (t.percent) {
    return t.value;
  }
  if (d.base == 0) {
    return std::nullopt;
  }
  return 100 * t.value / d.base;
}

bool Crossed(const ThresholdResult& r, const ComparePoint& p) {
  return std::any_of(r.hits.begin(), r.hits.end(), [&](const ThresholdHit& h) {
    return h.hardware == p.hardware && h.seq_len == p.seq_len && h.batch == p.batch;
  });
}

}  // namespace

std::string CompareBarsSvg(const Comparison& c, size_t index) {
  const ComparePoint& p = c.points.at(index);
  // The axis holds every bar and every threshold drawn, symmetric about zero.
  double reach = 10;
  for (const MetricDiff& d : p.metrics) {
    if (d.relative && std::isfinite(*d.relative)) {
      reach = std::max(reach, std::fabs(100 * *d.relative));
    }
  }
  for (const ThresholdResult& r : c.thresholds) {
    for (const MetricDiff& d : p.metrics) {
      if (d.metric == r.threshold.metric) {
        if (auto at = ThresholdPercent(r.threshold, d); at && std::isfinite(*at)) {
          reach = std::max(reach, std::fabs(*at));
        }
      }
    }
  }
  reach *= 1.25;  // room for the value labels at the bars' ends

  double label_w = 0;
  for (const MetricDiff& d : p.metrics) {
    label_w = std::max(label_w, TextWidth(d.metric->name));
  }
  const double left = 20 + label_w + 12, plot_w = 360;
  const double top = 74;
  const double height = top + kRow * static_cast<double>(p.metrics.size()) + 70;
  const std::string title = fmt::format("Δ candidate against base on {}, seq {}, batch {}",
                                        p.hardware, p.seq_len, p.batch);
  const std::string sub = fmt::format("{} [{}] against {} [{}]", c.candidate.model,
                                      c.candidate.weights, c.base.model, c.base.weights);
  const double width = std::max(left + plot_w + 30, std::max(TextWidth(title, 14), TextWidth(sub)) + 40);
  auto x_of = [&](double percent) {
    return left + plot_w / 2 + std::clamp(percent, -reach, reach) / reach * (plot_w / 2);
  };

  SvgWriter svg(width, height);
  svg.Text(20, 24, title, Anchor::kStart,
           {{"class", "title"}, {"font-weight", "bold"}, {"fill", kInk}}, 14);
  svg.Text(20, 43, sub, Anchor::kStart, {{"class", "subtitle"}, {"fill", "#555555"}});
  svg.Text(20, 61, "green: better, red: worse, grey: no better direction or incomparable",
           Anchor::kStart, {{"class", "subtitle"}, {"fill", "#777777"}});
  const double y_end = top + kRow * static_cast<double>(p.metrics.size());
  // Grid lines at a round step (1, 2 or 5 times a power of ten), about two each side of zero.
  const double raw = reach / 1.6;
  const double decade = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw / decade < 2 ? decade : raw / decade < 5 ? 2 * decade : 5 * decade;
  for (int k = -static_cast<int>(reach / step); k <= static_cast<int>(reach / step); ++k) {
    const double v = k * step;
    const double x = x_of(v);
    svg.Line(x, top - 6, x, y_end,
             {{"stroke", k == 0 ? "#555555" : "#e4e4e4"}, {"stroke-width", k == 0 ? "1.2" : "1"}});
    svg.Text(x, y_end + 16, k == 0 ? std::string("0%") : fmt::format("{:+g}%", v), Anchor::kMiddle,
             {{"class", "tick"}, {"fill", kInk}});
  }
  svg.Text(left + plot_w / 2, y_end + 36, "change of the candidate (% of base)", Anchor::kMiddle,
           {{"class", "axis-title"}, {"fill", kInk}});

  for (size_t k = 0; k < p.metrics.size(); ++k) {
    const MetricDiff& d = p.metrics[k];
    const double cy = top + kRow * (static_cast<double>(k) + 0.5);
    svg.Text(left - 12, cy + 4, d.metric->name, Anchor::kEnd, {{"class", "metric"}, {"fill", kInk}});
    const bool incomparable = d.comparable && !*d.comparable;
    if (!d.relative || !std::isfinite(*d.relative) || incomparable) {
      svg.Text(x_of(0) + 6, cy + 4, incomparable ? "incomparable (across the ridge)" : "n/a",
               Anchor::kStart, {{"class", "bar-value"}, {"fill", "#777777"}});
      continue;
    }
    const double v = 100 * *d.relative;
    const bool better = d.metric->better == Better::kLower ? v < 0 : v > 0;
    const char* colour = d.metric->better == Better::kNeither || v == 0 ? kNeutral
                         : better                                       ? kBetter
                                                                        : kWorse;
    const double x0 = x_of(0), x1 = x_of(v);
    svg.Rect(std::min(x0, x1), cy - kBarH / 2, std::max(std::fabs(x1 - x0), 1.0), kBarH,
             {{"class", "bar"}, {"data-metric", d.metric->name}, {"fill", colour}});
    const std::string value = fmt::format("{:+.3g}%", v);
    svg.Text(v >= 0 ? x1 + 5 : x1 - 5, cy + 4, value, v >= 0 ? Anchor::kStart : Anchor::kEnd,
             {{"class", "bar-value"}, {"fill", kInk}});
  }

  // The thresholds of this point's metrics: a dashed line across the metric's row.
  for (const ThresholdResult& r : c.thresholds) {
    for (size_t k = 0; k < p.metrics.size(); ++k) {
      const MetricDiff& d = p.metrics[k];
      if (d.metric != r.threshold.metric) {
        continue;
      }
      const auto at = ThresholdPercent(r.threshold, d);
      if (!at || !std::isfinite(*at)) {
        continue;
      }
      const bool crossed = Crossed(r, p);
      const double x = x_of(*at), cy = top + kRow * (static_cast<double>(k) + 0.5);
      const char* colour = crossed ? kWorse : "#1f4e79";
      svg.Line(x, cy - kRow / 2 + 1, x, cy + kRow / 2 - 1,
               {{"class", crossed ? "threshold threshold-crossed" : "threshold"},
                {"stroke", colour},
                {"stroke-width", "2"},
                {"stroke-dasharray", "4 2"}});
      svg.Text(x + (*at >= 0 ? 4 : -4), cy - kRow / 2 + 9,
               fmt::format("{}{}", r.threshold.expr, crossed ? " crossed" : ""),
               *at >= 0 ? Anchor::kStart : Anchor::kEnd,
               {{"class", "threshold-label"}, {"fill", colour}, {"font-size", "10"}});
    }
  }
  return svg.Finish();
}

}  // namespace slmroof
