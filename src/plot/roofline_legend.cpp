// The roofline chart's words (docs/plots.md): title, headline, ceiling labels and legend.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "plot/roofline_chart.hpp"
#include "render/human.hpp"

namespace slmroof::plot::roofline {

LegendEntry Header(std::string text) {
  LegendEntry e;
  e.style = LegendStyle::kHeader;
  e.text = std::move(text);
  return e;
}

LegendEntry MarkerEntry(std::string text, Shape shape, bool filled, std::string colour) {
  LegendEntry e;
  e.text = std::move(text);
  e.shape = shape;
  e.filled = filled;
  e.colour = std::move(colour);
  return e;
}

LegendEntry LineEntry(std::string text, std::string colour, double width, std::string dash) {
  LegendEntry e;
  e.style = LegendStyle::kLine;
  e.text = std::move(text);
  e.colour = std::move(colour);
  e.line_width = width;
  e.dash = std::move(dash);
  e.filled = false;
  return e;
}

void RooflineChart::Titles() {
  const AnalysisResult& a0 = analyses_[0];
  const size_t n = analyses_.size();
  if (single_) {
    title_ = fmt::format("{} on {} [{}, {} roof]", a0.model.display_name, a0.roof.display_name,
                         a0.roof.unit, RoofKindName(a0.roof.kind));
  } else if (!many_devices_) {
    title_ = fmt::format("{} {} on {}", n, models_.size() == n ? "models" : "analyses",
                         devices_[0].label);
  } else if (!many_models_ && devices_.size() == n) {
    title_ = fmt::format("one workload on {} devices: {}", n, a0.model.display_name);
  } else {
    title_ = fmt::format("{} analyses on {} devices", n, devices_.size());
  }
  if (!options_.title.empty()) {
    title_ = options_.title;
  }
  std::vector<std::string> common;
  for (size_t k = 0; k < fields0_.size(); ++k) {
    const auto& [name, value] = fields0_[k];
    const bool shown = name == "seq" || name == "batch" || name == "weights" || name == "kv" ||
                       name == "fusion" || (name == "act" && value != "fp16");
    if (shown && !field_varies_[k]) {
      common.push_back(name + " " + value);
    }
  }
  subtitle_ = fmt::format("{}", fmt::join(common, ", "));
  if (many_devices_) {
    subtitle_ = "each device against its own roof; " + subtitle_;
  }
  Headline();
  if (!headline_.empty()) {
    plot_y0_ += kHeadlineRow;
    plot_y1_ += kHeadlineRow;
    placer_ = plot::Placer({plot_x0_ + 2, plot_y0_ + 2, plot_x1_ - 2, plot_y1_ - 2});
  }
}

namespace {

std::string MemoryText(const AnalysisResult& a) {
  const MemoryFootprint& m = a.memory;
  if (!m.fits) {
    return fmt::format("memory {}", human::Si(m.total_bytes, "B"));
  }
  return fmt::format("memory {} of {}: {}", human::Si(m.total_bytes, "B"),
                     human::Si(m.usable_bytes, "B"), *m.fits ? "fits" : "DOES NOT FIT");
}

// "462 ms → 476 ms (+3.0%)"
std::string Change(const std::string& a, const std::string& b, double va, double vb) {
  return va > 0 ? fmt::format("{} → {} ({:+.3g}%)", a, b, 100 * (vb / va - 1))
                : fmt::format("{} → {}", a, b);
}

}  // namespace

// The numbers people came for, above the plot: one analysis states its time to first token,
// time per token with tokens/s, and memory; two analyses on one device (compare) their change.
void RooflineChart::Headline() {
  if (single_) {
    const AnalysisResult& a = analyses_[0];
    std::vector<std::string> parts;
    if (const PhaseResult* p = FindPhase(a, Phase::kPrefill)) {
      parts.push_back(fmt::format("TTFT {} ({:.4g} tok/s)", human::Seconds(p->totals.time_s),
                                  p->totals.tokens_per_s));
    }
    if (const PhaseResult* p = FindPhase(a, Phase::kDecode)) {
      parts.push_back(fmt::format("TPOT {} ({:.4g} tok/s)", human::Seconds(p->totals.time_s),
                                  p->totals.tokens_per_s));
    }
    parts.push_back(MemoryText(a));
    if (a.roof.engine != "ideal") {
      parts.push_back(fmt::format("{} {}", a.roof.engine, a.roof.backend));
    }
    headline_ = fmt::format("{}", fmt::join(parts, "  ·  "));
    return;
  }
  if (analyses_.size() != 2 || many_devices_) {
    return;
  }
  const AnalysisResult& a = analyses_[0];
  const AnalysisResult& b = analyses_[1];
  std::vector<std::string> parts;
  for (Phase ph : {Phase::kDecode, Phase::kPrefill}) {
    const PhaseResult* pa = FindPhase(a, ph);
    const PhaseResult* pb = FindPhase(b, ph);
    if (pa != nullptr && pb != nullptr) {
      parts.push_back(fmt::format("{} {}", ph == Phase::kDecode ? "TPOT" : "TTFT",
                                  Change(human::Seconds(pa->totals.time_s),
                                         human::Seconds(pb->totals.time_s), pa->totals.time_s,
                                         pb->totals.time_s)));
    }
  }
  parts.push_back(fmt::format("memory {}", Change(human::Si(a.memory.total_bytes, "B"),
                                                  human::Si(b.memory.total_bytes, "B"),
                                                  a.memory.total_bytes, b.memory.total_bytes)));
  headline_ = fmt::format("{}", fmt::join(parts, "  ·  "));
}

// Per roof, one label per distinct ceiling (precisions of equal value share one), and one per
// second roof; they sit in a column right of the plot.
void RooflineChart::CeilingLabels() {
  for (const RoofLine& r : roofs_) {
    std::vector<std::pair<double, std::vector<Precision>>> groups;
    for (const auto& [precision, peak] : r.roof->peak_flops_per_s) {
      if (!Positive(peak)) {
        continue;
      }
      // Init-capture: clang 14 does not let a lambda capture a structured binding (C++20 does).
      auto g = std::find_if(groups.begin(), groups.end(), [p = peak](const auto& x) {
        return std::fabs(x.first - p) <= 1e-9 * p;
      });
      if (g == groups.end()) {
        groups.push_back({peak, {precision}});
      } else {
        g->second.push_back(precision);
      }
    }
    for (const auto& [peak, precisions] : groups) {
      std::vector<std::string> names;
      bool integer = true;
      for (Precision p : precisions) {
        names.emplace_back(PrecisionName(p));
        integer = integer && std::string_view(RateUnit(p)) == "OP/s";
      }
      ceiling_labels_.push_back({fmt::format("{} {}", fmt::join(names, "/"),
                                             human::Si(peak, integer ? "OP/s" : "FLOP/s")),
                                 r.colour, ys_(peak), false});
    }
  }
  for (const ExtraLine& e : extras_) {
    ceiling_labels_.push_back(
        {fmt::format("{}{} {} {}", Suspect(*e.roof) ? "suspect " : "", RoofKindName(e.roof->kind),
                     PrecisionName(e.precision), human::Si(e.pi, RateUnit(e.precision))),
         e.colour, ys_(e.pi), true});
  }
  double width = 0;
  for (const CeilingLabel& c : ceiling_labels_) {
    width = std::max(width, TextWidth(c.text));
  }
  ceiling_x_ = plot_x1_ + 18;
  legend_x_ = ceiling_x_ + width + 28;
}

void RooflineChart::Legend() {
  const size_t n = analyses_.size();
  if (single_) {
    legend_.push_back(Header("operator kinds"));
    for (OpKind k : kinds_) {
      LegendEntry e = MarkerEntry(std::string(OpKindName(k)), Shape::kCircle, true,
                                  plot::kPalette[static_cast<size_t>(k) % plot::kPalette.size()]);
      e.data = {{"data-kind", e.text}};
      legend_.push_back(e);
    }
  } else {
    legend_.push_back(Header(!many_devices_ && models_.size() == n ? "models"
                             : many_devices_ && !many_models_      ? "devices"
                                                                   : "analyses"));
    for (size_t i = 0; i < n; ++i) {
      LegendEntry e = LineEntry(label_[i], colour_[i], 2);
      e.shape = Shape::kDiamond;
      e.filled = true;
      e.data = {{"data-model", analyses_[i].model.name}, {"data-device", analyses_[i].roof.device}};
      legend_.push_back(e);
    }
  }
  legend_.push_back(Header("markers"));
  for (Phase ph : {Phase::kPrefill, Phase::kDecode}) {
    if (op_phases_.count(ph) != 0) {
      legend_.push_back(MarkerEntry(PhaseWord(ph) + " operator",
                                    ph == Phase::kPrefill ? Shape::kCircle : Shape::kTriangle, true,
                                    "#777777"));
    }
  }
  for (Phase ph : {Phase::kPrefill, Phase::kDecode}) {
    if (aggregate_phases_.count(ph) != 0) {
      legend_.push_back(
          MarkerEntry(PhaseWord(ph) + " phase total", Shape::kDiamond, ph == Phase::kPrefill));
    }
  }
  if (!aggregates_.empty()) {
    legend_.push_back(
        LineEntry("Φ: to the ridge, or up to π", single_ ? kPhiColour : kInk, 2, "5 3"));
  }
  legend_.push_back(Header("roofs"));
  legend_.push_back(LineEntry(fmt::format("roof ({}{})",
                                         Suspect(analyses_[0].roof) &&
                                                 analyses_[0].roof.kind == RoofKind::kMeasured
                                             ? "suspect "
                                             : "",
                                         RoofKindName(analyses_[0].roof.kind)),
                             kInk, 2.5));
  legend_.push_back(LineEntry("ceiling of each precision", kCeilingGrey, 1));
  std::set<RoofKind> extra_kinds;
  for (const ExtraLine& x : extras_) {
    extra_kinds.insert(x.roof->kind);
  }
  for (RoofKind k : extra_kinds) {
    const bool suspect = std::any_of(extras_.begin(), extras_.end(), [&](const ExtraLine& x) {
      return x.roof->kind == k && Suspect(*x.roof);
    });
    legend_.push_back(LineEntry(
        fmt::format("{}{} roof", suspect && k == RoofKind::kMeasured ? "suspect " : "",
                    RoofKindName(k)),
        kInk, 1.5, "6 4"));
  }
  legend_.push_back(MarkerEntry("ridge (π / bandwidth)", Shape::kCircle, true));
  for (RoofKind k : extra_kinds) {
    legend_.push_back(
        MarkerEntry(fmt::format("ridge of the {} roof", RoofKindName(k)), Shape::kCircle, false));
  }

  legend_w_ = 180;
  for (const LegendEntry& e : legend_) {
    legend_w_ = std::max(legend_w_, TextWidth(e.text) + (e.style == LegendStyle::kHeader ? 0 : 32));
  }
  if (!not_shown_.empty()) {
    // The footnote may widen the legend a little rather than wrap.
    const std::string text = fmt::format("not shown: {} (no FLOPs)", fmt::join(not_shown_, ", "));
    legend_w_ = std::max(legend_w_, std::min(TextWidth(text), 340.0));
    footnote_ = Wrap(text, legend_w_);
  }
  if (any_measured_) {
    for (const std::string& line : Wrap("phase totals from measured throughput", legend_w_)) {
      footnote_.push_back(line);
    }
  }
  // A roof whose measured figures look like benchmark artefacts: said, not silently drawn. The
  // solid roof itself is measured when the analysis chose --roof measured.
  for (const auto& [device, note] : options_.device_notes) {
    // Init-capture: clang 14 does not let a lambda capture a structured binding.
    const bool plotted = std::any_of(devices_.begin(), devices_.end(), [name = device](const Device& d) {
      return d.roof->device == name;
    });
    if (!plotted) {
      continue;
    }
    for (const std::string& line : Wrap(note, legend_w_)) {
      footnote_.push_back(line);
    }
  }
  legend_h_ = 10;
  for (size_t k = 0; k < legend_.size(); ++k) {
    legend_h_ += (legend_[k].style == LegendStyle::kHeader && k > 0 ? 8 : 0) + kLegendRow;
  }
  legend_h_ += footnote_.empty() ? 0 : 10 + kLegendRow * static_cast<double>(footnote_.size());
}

}  // namespace slmroof::plot::roofline
