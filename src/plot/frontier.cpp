// quant-plan --frontier's chart (docs/quant-plan.md): the least total score at each budget beside
// every cut of the KL paper's greedy list.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "plot/svg.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/plot.hpp"
#include "slmroof/quant_plan.hpp"

namespace slmroof {

std::string FrontierSvg(const QuantPlanResult& r, const std::string& title) {
  using plot::Anchor;
  using plot::Shape;
  if (r.frontier.empty()) {
    throw InputError("quant-plan: the chart needs --frontier N");
  }
  const bool tpot = r.frontier_resource == "tpot";
  // Budgets in MB or ms; scores as given.
  const double scale = tpot ? 1e3 : 1e-6;
  auto x_of = [&](const FrontierPoint& p) { return (tpot ? p.tpot_s : p.weight_bytes) * scale; };
  double x_lo = 1e300, x_hi = -1e300, y_lo = 0, y_hi = 0;
  auto take = [&](const FrontierPoint& p) {
    x_lo = std::min(x_lo, x_of(p));
    x_hi = std::max(x_hi, x_of(p));
    y_lo = std::min(y_lo, p.score);
    y_hi = std::max(y_hi, p.score);
  };
  for (const FrontierPoint& p : r.frontier) {
    if (p.feasible) {
      take(p);
    }
  }
  for (const FrontierPoint& p : r.greedy_curve) {
    take(p);
  }
  if (!(x_hi > x_lo)) {
    x_hi = x_lo + 1;
  }
  if (!(y_hi > y_lo)) {
    y_hi = y_lo + 1;
  }
  const std::vector<double> xt = plot::NiceTicks(&x_lo, &x_hi, 6);
  const std::vector<double> yt = plot::NiceTicks(&y_lo, &y_hi, 6);
  const double w = 760, h = 460, l = 80, rt = 200, t = 50, b = 60;
  auto px = [&](double x) { return l + (x - x_lo) / (x_hi - x_lo) * (w - l - rt); };
  auto py = [&](double y) { return h - b - (y - y_lo) / (y_hi - y_lo) * (h - t - b); };
  plot::SvgWriter svg(w, h);
  svg.Text(l, 28, title, Anchor::kStart, {{"font-weight", "bold"}});
  for (double v : xt) {
    svg.Line(px(v), t, px(v), h - b, {{"stroke", "#e0e0e0"}});
    svg.Text(px(v), h - b + 18, plot::TickNumber(v), Anchor::kMiddle, {});
  }
  for (double v : yt) {
    svg.Line(l, py(v), w - rt, py(v), {{"stroke", "#e0e0e0"}});
    svg.Text(l - 6, py(v) + 4, plot::TickNumber(v), Anchor::kEnd, {});
  }
  svg.Rect(l, t, w - l - rt, h - t - b, {{"fill", "none"}, {"stroke", "#000"}});
  svg.Text((l + w - rt) / 2, h - 18, tpot ? "time per output token (ms)" : "weights (MB)",
           Anchor::kMiddle, {});
  svg.Text(18, (t + h - b) / 2, "total score (sum of unit scores)", Anchor::kMiddle,
           {{"transform", fmt::format("rotate(-90 18 {})", plot::Num((t + h - b) / 2))}});
  for (const FrontierPoint& p : r.greedy_curve) {
    svg.Marker(Shape::kSquare, px(x_of(p)), py(p.score), 2.5,
               {{"fill", "none"}, {"stroke", plot::kPalette[1]}},
               fmt::format("greedy, first {:.0f} entries: score {:.6g}", p.budget, p.score));
  }
  for (const FrontierPoint& p : r.frontier) {
    if (p.feasible) {
      svg.Marker(Shape::kCircle, px(x_of(p)), py(p.score), 3.5, {{"fill", plot::kPalette[0]}},
                 fmt::format("budget {:.4g}: score {:.6g}{}", x_of(p), p.score,
                             p.proven ? "" : " (not proven)"));
    }
  }
  const double lx = w - rt + 16;
  svg.Marker(Shape::kCircle, lx + 10, t + 10, 3.5, {{"fill", plot::kPalette[0]}});
  svg.Text(lx + 26, t + 14, fmt::format("optimal at {} budgets", r.frontier.size()),
           Anchor::kStart, {});
  svg.Marker(Shape::kSquare, lx + 10, t + 32, 3, {{"fill", "none"}, {"stroke", plot::kPalette[1]}});
  svg.Text(lx + 26, t + 36, "greedy list, each cut", Anchor::kStart, {});
  return svg.Finish();
}

}  // namespace slmroof
