// Drawing the roofline chart (docs/plots.md): axes, roofs, Φ segments, points, labels, legend.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "plot/roofline_chart.hpp"
#include "render/human.hpp"

namespace slmroof::plot::roofline {

void RooflineChart::DrawAxes(SvgWriter& svg) const {
  svg.Open("g", {{"class", "grid"}, {"stroke", "#e4e4e4"}, {"stroke-width", "1"}});
  for (int k = xs_.lo + 1; k < xs_.hi; ++k) {
    const double x = xs_(std::pow(10.0, k));
    svg.Line(x, plot_y0_, x, plot_y1_, {});
  }
  for (int k = ys_.lo + 1; k < ys_.hi; ++k) {
    const double y = ys_(std::pow(10.0, k));
    svg.Line(plot_x0_, y, plot_x1_, y, {});
  }
  svg.Close();
  svg.Rect(plot_x0_, plot_y0_, kPlotW, kPlotH,
           {{"class", "frame"}, {"fill", "none"}, {"stroke", "#888888"}});

  svg.Open("g", {{"class", "axis-x"}, {"fill", kInk}});
  for (int k = xs_.lo; k <= xs_.hi; ++k) {
    const double x = xs_(std::pow(10.0, k));
    svg.Line(x, plot_y1_, x, plot_y1_ + 5, {{"class", "tick-mark"}, {"stroke", "#888888"}});
    for (int m = 2; m <= 9 && k < xs_.hi; ++m) {
      const double xm = xs_(m * std::pow(10.0, k));
      svg.Line(xm, plot_y1_, xm, plot_y1_ + 3, {{"class", "tick-minor"}, {"stroke", "#aaaaaa"}});
    }
    svg.Text(x, plot_y1_ + 19, plot::DecadeLabel(k), Anchor::kMiddle, {{"class", "tick"}});
  }
  svg.Text((plot_x0_ + plot_x1_) / 2, plot_y1_ + 42, "operational intensity (FLOP/byte)",
           Anchor::kMiddle, {{"class", "axis-title"}});
  svg.Close();

  svg.Open("g", {{"class", "axis-y"}, {"fill", kInk}});
  for (int k = ys_.lo; k <= ys_.hi; ++k) {
    const double y = ys_(std::pow(10.0, k));
    svg.Line(plot_x0_ - 5, y, plot_x0_, y, {{"class", "tick-mark"}, {"stroke", "#888888"}});
    for (int m = 2; m <= 9 && k < ys_.hi; ++m) {
      const double ym = ys_(m * std::pow(10.0, k));
      svg.Line(plot_x0_ - 3, ym, plot_x0_, ym, {{"class", "tick-minor"}, {"stroke", "#aaaaaa"}});
    }
    svg.Text(plot_x0_ - 8, y + 4, plot::SiDecadeLabel(k), Anchor::kEnd, {{"class", "tick"}});
  }
  const double tx = 22, ty = (plot_y0_ + plot_y1_) / 2;
  svg.Text(
      tx, ty, "performance (FLOP/s)", Anchor::kMiddle,
      {{"class", "axis-title"}, {"transform", fmt::format("rotate(-90 {} {})", Num(tx), Num(ty))}});
  svg.Close();
}

// Ceilings, the dashed second roofs and the solid roofs. The axis ranges hold every ridge and
// ceiling, so clamping the slope's start to the frame keeps every line inside it without a clip
// path (whose id could clash when several charts share an HTML page).
void RooflineChart::DrawRoofs(SvgWriter& svg) {
  const double x_lo = std::pow(10.0, xs_.lo), x_hi = std::pow(10.0, xs_.hi);
  const double y_lo = std::pow(10.0, ys_.lo);
  svg.Open("g", {{"class", "roofs"}});
  for (const RoofLine& r : roofs_) {
    const double bw = r.roof->bandwidth_bytes_per_s;
    for (const auto& [precision, peak] : r.roof->peak_flops_per_s) {
      if (!Positive(peak)) {
        continue;
      }
      const double x0 = xs_(std::clamp(peak / bw, x_lo, x_hi));
      const double y = ys_(peak);
      svg.Line(x0, y, plot_x1_, y,
               {{"class", "ceiling"},
                {"data-precision", std::string(PrecisionName(precision))},
                {"data-device", r.roof->device},
                {"stroke", many_devices_ ? r.colour : kCeilingGrey},
                {"stroke-width", "1"},
                {"stroke-opacity", many_devices_ ? "0.6" : "1"}});
      placer_.TakeLine({x0, y, plot_x1_, y});
    }
  }
  auto roof_points = [&](double bw, double pi, double ridge) {
    const double start = std::clamp(y_lo / bw, x_lo, ridge);
    return std::vector<std::pair<double, double>>{
        {xs_(start), ys_(start * bw)}, {xs_(ridge), ys_(pi)}, {plot_x1_, ys_(pi)}};
  };
  auto take = [&](const std::vector<std::pair<double, double>>& pts) {
    for (size_t k = 1; k < pts.size(); ++k) {
      placer_.TakeLine({pts[k - 1].first, pts[k - 1].second, pts[k].first, pts[k].second});
    }
  };
  for (const ExtraLine& e : extras_) {
    const auto pts = roof_points(e.roof->bandwidth_bytes_per_s, e.pi, e.ridge);
    svg.Polyline(pts, {{"class", fmt::format("roof-extra roof-{}", RoofKindName(e.roof->kind))},
                       {"data-device", e.roof->device},
                       {"stroke", e.colour},
                       {"stroke-width", "1.5"},
                       {"stroke-dasharray", "6 4"}});
    take(pts);
  }
  for (const RoofLine& r : roofs_) {
    const auto pts = roof_points(r.roof->bandwidth_bytes_per_s, r.pi, r.ridge);
    svg.Polyline(pts, {{"class", "roof"},
                       {"data-device", r.roof->device},
                       {"stroke", r.colour},
                       {"stroke-width", "2.5"},
                       {"stroke-linejoin", "round"}});
    take(pts);
  }
  svg.Close();
}

// Φ as the paper draws it (docs/cost-model.md §9.1): a memory-regime point to its ridge, a
// compute-regime point straight up to π. A predicted memory-bound point lies on the roof, so the
// segment is dashed in a colour of its own, or over a white casing where it shares the roof's.
void RooflineChart::DrawPhiSegments(SvgWriter& svg) {
  for (Aggregate& g : aggregates_) {
    g.x = xs_(g.p->rip.oi);
    g.y = ys_(g.p->rip.perf_flops_per_s);
    g.tx = g.p->rip.regime == Bound::kMemory ? xs_(g.a->ridge_oi) : g.x;
    g.ty = ys_(g.a->peak_flops_per_s);
    const std::string colour = single_ ? kPhiColour : g.colour;
    if (colour == devices_[0].colour || many_devices_) {
      // Same colour as the roof under it: a white casing makes the dashes show.
      svg.Line(g.x, g.y, g.tx, g.ty,
               {{"class", "phi-casing"}, {"stroke", "white"}, {"stroke-width", "4"}});
    }
    svg.Line(g.x, g.y, g.tx, g.ty,
             {{"class", "phi"},
              {"data-phase", PhaseWord(g.p->phase)},
              {"stroke", colour},
              {"stroke-width", "2.5"},
              {"stroke-dasharray", "5 3"}});
    placer_.TakeLine({g.x, g.y, g.tx, g.ty});
  }
}

// Operator points (colour by kind; circle prefill, triangle decode), ridge points, and the phase
// aggregates on top.
void RooflineChart::DrawPoints(SvgWriter& svg) {
  for (const OpPoint& p : ops_) {
    const OperatorResult& r = *p.r;
    const double x = xs_(r.oi), y = ys_(r.attainable_flops_per_s);
    const std::string kind(OpKindName(r.op.kind));
    const std::string tip = fmt::format("{} ({}, {}): OI {}, {}, {}-bound, {} × {}", r.op.name,
                                        kind, PhaseWord(p.phase), human::Oi(r.oi),
                                        human::Si(r.attainable_flops_per_s, "FLOP/s"),
                                        BoundName(r.bound), r.op.count, human::Seconds(r.time_s));
    svg.Marker(p.phase == Phase::kPrefill ? Shape::kCircle : Shape::kTriangle, x, y, 4,
               {{"class", "op-point"},
                {"data-kind", kind},
                {"data-phase", PhaseWord(p.phase)},
                {"data-name", r.op.name},
                {"fill", plot::kPalette[static_cast<size_t>(r.op.kind) % plot::kPalette.size()]},
                {"fill-opacity", "0.85"},
                {"stroke", "white"},
                {"stroke-width", "0.6"}},
               tip);
    placer_.TakeMarker({x - 4.5, y - 5, x + 4.5, y + 4});
  }

  for (const RoofLine& r : roofs_) {
    ridges_.push_back({xs_(r.ridge), ys_(r.pi), fmt::format("ridge {} FLOP/B", human::Oi(r.ridge)),
                       r.colour, false});
  }
  for (const ExtraLine& e : extras_) {
    // With several devices the ridges of the second roofs are marked, not labelled: their
    // ceiling labels name them and the chart has little room left.
    ridges_.push_back({xs_(e.ridge), ys_(e.pi),
                       many_devices_ ? ""
                                     : fmt::format("{} ridge {} FLOP/B", RoofKindName(e.roof->kind),
                                                   human::Oi(e.ridge)),
                       e.colour, true});
  }
  for (const RidgeMark& r : ridges_) {
    svg.Marker(Shape::kCircle, r.x, r.y, r.extra ? 3.5 : 4.5,
               {{"class", r.extra ? "ridge-extra" : "ridge"},
                {"fill", r.extra ? "white" : r.colour},
                {"stroke", r.colour},
                {"stroke-width", "1.5"}});
    placer_.TakeMarker({r.x - 5, r.y - 5, r.x + 5, r.y + 5});
  }

  for (const Aggregate& g : aggregates_) {
    const Rip& rip = g.p->rip;
    const std::string tip =
        fmt::format("{} on {}, {}: OI {}, {}, Φ {:.4g}, Φ-log {:.3g} ({}-bound{})",
                    g.a->model.display_name, g.a->roof.display_name, PhaseWord(g.p->phase),
                    human::Oi(rip.oi), human::Si(rip.perf_flops_per_s, "FLOP/s"), rip.phi,
                    rip.phi_log, BoundName(rip.regime), rip.measured ? ", measured" : "");
    const bool prefill = g.p->phase == Phase::kPrefill;
    svg.Marker(Shape::kDiamond, g.x, g.y, 6.5,
               {{"class", "aggregate"},
                {"data-phase", PhaseWord(g.p->phase)},
                {"data-model", g.a->model.name},
                {"data-device", g.a->roof.device},
                {"data-phi-log", fmt::format("{:.3g}", rip.phi_log)},
                {"fill", prefill ? g.colour : "white"},
                {"stroke", g.colour},
                {"stroke-width", prefill ? "1" : "2"}},
               tip);
    placer_.TakeMarker({g.x - 7.5, g.y - 9.5, g.x + 7.5, g.y + 9.5});
  }
}

void RooflineChart::PlaceLabel(SvgWriter& svg, const std::string& text,
                               const std::vector<Spot>& spots, const plot::Segment& what,
                               const std::string& colour, const Attrs& attrs) {
  const Spot s = placer_.Place(text, spots, what);
  const plot::Segment link = plot::Link(plot::TextBox(s.x, s.y, text, s.anchor), what);
  const double d = std::hypot(link.x1 - link.x0, link.y1 - link.y0);
  if (d > plot::kLeaderMin) {
    // From just outside the marker or line to just short of the text.
    const double ux = (link.x1 - link.x0) / d, uy = (link.y1 - link.y0) / d;
    svg.Line(link.x0 + 7 * ux, link.y0 + 7 * uy, link.x1 - 2 * ux, link.y1 - 2 * uy,
             {{"class", "leader"}, {"stroke", colour}, {"stroke-width", "0.7"}});
  }
  svg.Text(s.x, s.y, text, s.anchor, attrs);
}

// Ridge and Φ labels inside the plot, each at the first candidate spot that covers no other
// label, marker or line (or else the one that covers least).
void RooflineChart::DrawLabels(SvgWriter& svg) {
  const std::vector<double> radii = {8, 20, 34, 50, 70, 95};
  for (const RidgeMark& r : ridges_) {
    if (r.text.empty()) {
      continue;
    }
    // Above-left of the ridge first: the slope falls away below it and nothing is plotted there.
    std::vector<Spot> spots = {{r.x - 7, r.y - 7, Anchor::kEnd},
                               {r.x + 7, r.y - 7, Anchor::kStart}};
    const std::vector<Spot> ring = plot::RingSpots(r.x, r.y, radii);
    spots.insert(spots.end(), ring.begin(), ring.end());
    PlaceLabel(
        svg, r.text, spots, {r.x, r.y, r.x, r.y}, r.colour,
        {{"class", r.extra ? "ridge-label ridge-extra-label" : "ridge-label"}, {"fill", r.colour}});
  }
  const double fs = kFontSize;
  for (const Aggregate& g : aggregates_) {
    const std::string text =
        fmt::format("{} Φ-log {:.3g}", PhaseWord(g.p->phase), g.p->rip.phi_log);
    const double w = TextWidth(text), h = 1.05 * fs;
    const double dx = g.tx - g.x, dy = g.ty - g.y;
    const double len = std::hypot(dx, dy);
    std::vector<Spot> spots;
    if (len >= 24) {
      // Beside the segment, on either side, at a few places along it.
      const double nx = -dy / len, ny = dx / len;
      for (double t : {0.5, 0.35, 0.65, 0.2, 0.8}) {
        for (double d : {4.0, 16.0}) {
          for (double side : {1.0, -1.0}) {
            const double off = d + std::fabs(nx) * w / 2 + std::fabs(ny) * h / 2;
            spots.push_back({g.x + t * dx + side * nx * off,
                             g.y + t * dy + side * ny * off + 0.275 * fs, Anchor::kMiddle});
          }
        }
      }
    }
    const std::vector<Spot> ring = plot::RingSpots(g.x, g.y, {10, 22, 36, 52, 72, 95});
    spots.insert(spots.end(), ring.begin(), ring.end());
    PlaceLabel(svg, text, spots, {g.x, g.y, g.tx, g.ty}, g.colour,
               {{"class", "phi-label"},
                {"data-phase", PhaseWord(g.p->phase)},
                {"fill", single_ ? kPhiColour : g.colour}});
  }
}

// Ceiling labels in their column, pushed apart; a leader joins each to the end of its line.
void RooflineChart::DrawCeilingLabels(SvgWriter& svg) const {
  const double fs = kFontSize;
  std::vector<double> wanted;
  for (const CeilingLabel& c : ceiling_labels_) {
    wanted.push_back(c.line_y);
  }
  const std::vector<double> at = plot::Spread(wanted, fs + 3, plot_y0_ + fs / 2, plot_y1_ + 20);
  for (size_t k = 0; k < ceiling_labels_.size(); ++k) {
    const CeilingLabel& c = ceiling_labels_[k];
    svg.Open("g", {{"class", c.extra ? "ceiling-label ceiling-label-extra" : "ceiling-label"},
                   {"fill", c.colour}});
    svg.Line(plot_x1_, c.line_y, ceiling_x_ - 3, at[k],
             {{"class", "leader"},
              {"stroke", c.colour},
              {"stroke-width", "0.7"},
              {"stroke-opacity", "0.7"}});
    svg.Text(ceiling_x_, at[k] + 0.35 * fs, c.text, Anchor::kStart, {{"class", "ceiling-text"}});
    svg.Close();
  }
}

void RooflineChart::DrawLegend(SvgWriter& svg) const {
  svg.Open("g", {{"class", "legend"}});
  double y = plot_y0_ + 10;
  for (size_t k = 0; k < legend_.size(); ++k) {
    const LegendEntry& e = legend_[k];
    if (e.style == LegendStyle::kHeader) {
      y += k > 0 ? 8 : 0;
      svg.Text(legend_x_, y, e.text, Anchor::kStart,
               {{"class", "legend-header"}, {"font-weight", "bold"}, {"fill", kInk}});
      y += kLegendRow;
      continue;
    }
    Attrs group = {{"class", "legend-entry"}};
    group.insert(group.end(), e.data.begin(), e.data.end());
    svg.Open("g", group);
    const double x = legend_x_, cy = y - 4;
    if (e.style == LegendStyle::kLine) {
      Attrs a = {{"stroke", e.colour}, {"stroke-width", Num(e.line_width)}};
      if (!e.dash.empty()) {
        a.emplace_back("stroke-dasharray", e.dash);
      }
      svg.Line(x, cy, x + 24, cy, a);
      if (e.filled) {
        svg.Marker(e.shape, x + 12, cy, 4.5, {{"fill", e.colour}, {"stroke", e.colour}});
      }
    } else {
      svg.Marker(e.shape, x + 12, cy, e.shape == Shape::kDiamond ? 5 : 4,
                 {{"fill", e.filled ? e.colour : "white"},
                  {"stroke", e.colour},
                  {"stroke-width", e.filled ? "0.8" : "1.6"}});
    }
    svg.Text(x + 32, y, e.text, Anchor::kStart, {{"fill", kInk}});
    svg.Close();
    y += kLegendRow;
  }
  if (!footnote_.empty()) {
    y += 10;
    for (const std::string& line : footnote_) {
      svg.Text(legend_x_, y, line, Anchor::kStart, {{"class", "footnote"}, {"fill", "#555555"}});
      y += kLegendRow;
    }
  }
  svg.Close();
}

// Operators drawn at the same spot (gate, up and down projections of a decode step) form one
// group; the five groups of each phase with the largest share of its time are labelled with
// that share, largest first, each where it covers nothing else or with a leader line.
void RooflineChart::DrawOperatorLabels(SvgWriter& svg) {
  if (!single_) {
    return;
  }
  struct Group {
    Phase phase;
    double x = 0, y = 0;
    double time_s = 0;
    std::vector<std::pair<double, std::string>> names;  ///< (count x time, name)
    std::string colour;
  };
  std::vector<Group> groups;
  for (const OpPoint& p : ops_) {
    const OperatorResult& r = *p.r;
    const double x = xs_(r.oi), y = ys_(r.attainable_flops_per_s);
    auto g = std::find_if(groups.begin(), groups.end(), [&](const Group& q) {
      return q.phase == p.phase && std::fabs(q.x - x) < 1 && std::fabs(q.y - y) < 1;
    });
    if (g == groups.end()) {
      groups.push_back({p.phase, x, y, 0, {}, kPalette[static_cast<size_t>(r.op.kind) % kPalette.size()]});
      g = groups.end() - 1;
    }
    g->time_s += static_cast<double>(r.op.count) * r.time_s;
    g->names.emplace_back(static_cast<double>(r.op.count) * r.time_s, r.op.name);
  }
  std::vector<const Group*> chosen;
  for (Phase phase : {Phase::kPrefill, Phase::kDecode}) {
    std::vector<const Group*> of_phase;
    for (const Group& g : groups) {
      if (g.phase == phase) {
        of_phase.push_back(&g);
      }
    }
    std::stable_sort(of_phase.begin(), of_phase.end(),
                     [](const Group* a, const Group* b) { return a->time_s > b->time_s; });
    if (of_phase.size() > 5) {
      of_phase.resize(5);
    }
    chosen.insert(chosen.end(), of_phase.begin(), of_phase.end());
  }
  std::stable_sort(chosen.begin(), chosen.end(),
                   [](const Group* a, const Group* b) { return a->time_s > b->time_s; });
  svg.Open("g", {{"class", "op-labels"}});
  for (const Group* g : chosen) {
    double phase_time = 0;
    for (const PhaseResult& p : analyses_[0].phases) {
      if (p.phase == g->phase) {
        phase_time = p.totals.time_s;
      }
    }
    // Under half a percent of its phase is not worth a label.
    if (!(phase_time > 0) || g->time_s < 0.005 * phase_time) {
      continue;
    }
    // The group's own operators, largest first.
    std::vector<std::pair<double, std::string>> by_time = g->names;
    std::stable_sort(by_time.begin(), by_time.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    std::string names = by_time.front().second;
    for (size_t k = 1; k < by_time.size() && k < 3; ++k) {
      names += ", " + by_time[k].second;
    }
    if (g->names.size() > 3) {
      names += fmt::format(" +{}", g->names.size() - 3);
    }
    const std::string text = fmt::format("{} {:.0f}% of {}", names, 100 * g->time_s / phase_time,
                                         PhaseWord(g->phase));
    PlaceLabel(svg, text, RingSpots(g->x, g->y, {9, 20, 34, 50, 70, 95, 125, 160}),
               {g->x, g->y, g->x, g->y}, "#777777",
               {{"class", "op-label"}, {"data-phase", PhaseWord(g->phase)}, {"fill", "#444444"}});
  }
  svg.Close();
}

}  // namespace slmroof::plot::roofline
