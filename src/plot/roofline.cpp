// The roofline chart (docs/plots.md). It reads finished analyses and draws them: every position
// is a value of the result model (operator OI and attainable performance, phase Φ points, π,
// the ridge, the roof's ceilings), only mapped to pixels. The one figure it derives is the ridge
// of a second roof given in the options (π / bandwidth of that roof), which no result holds.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "plot/roofline_chart.hpp"
#include "render/human.hpp"
#include "slmroof/errors.hpp"

namespace slmroof::plot::roofline {

// From the decade below the smallest value to the decade above the largest; a value within 5%
// of a decade of the frame gets one more decade, so that no marker sits on the frame.
void DecadeRange(double min, double max, int* lo, int* hi) {
  const double a = std::log10(min), b = std::log10(max);
  *lo = static_cast<int>(std::floor(a));
  if (a - *lo < 0.05) {
    --*lo;
  }
  *hi = static_cast<int>(std::ceil(b));
  if (*hi - b < 0.05) {
    ++*hi;
  }
}

std::string DeviceKey(const Roof& r) {
  return r.device + '\x1f' + r.unit + '\x1f' + std::string(RoofKindName(r.kind));
}

// Integer ceilings are operations, not floating-point operations.
const char* RateUnit(Precision p) {
  return p == Precision::kInt8 || p == Precision::kInt4 ? "OP/s" : "FLOP/s";
}

std::string PhaseWord(Phase p) { return std::string(PhaseName(p)); }

// Words of `text` in lines no wider than `width` at the default font size.
std::vector<std::string> Wrap(const std::string& text, double width) {
  std::vector<std::string> lines;
  std::string line;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    const std::string word = text.substr(start, end - start);
    const std::string joined = line.empty() ? word : line + " " + word;
    if (!line.empty() && TextWidth(joined) > width) {
      lines.push_back(line);
      line = word;
    } else {
      line = joined;
    }
    start = end + 1;
  }
  if (!line.empty()) {
    lines.push_back(line);
  }
  return lines;
}

// The scenario fields that can tell analyses apart, as (name, value).
std::vector<std::pair<std::string, std::string>> ScenarioFields(const Scenario& s) {
  return {{"seq", std::to_string(s.seq_len)},
          {"batch", std::to_string(s.batch)},
          {"weights", s.weights.name},
          {"act", s.act.name},
          {"kv", s.kv.name},
          {"fusion", std::string(FusionName(s.fusion))},
          {"mla", std::string(MlaFormName(s.mla))}};
}

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

// Devices (device + unit + roof kind) and models in order of first appearance; colours and
// labels of the analyses: what differs between them names them.
void RooflineChart::Classify() {
  const size_t n = analyses_.size();
  std::map<std::string, size_t> device_index;
  device_of_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const Roof& r = analyses_[i].roof;
    auto [it, added] = device_index.emplace(DeviceKey(r), devices_.size());
    if (added) {
      devices_.push_back({&r, r.display_name, ""});
    }
    device_of_[i] = it->second;
    if (std::find(models_.begin(), models_.end(), analyses_[i].model.name) == models_.end()) {
      models_.push_back(analyses_[i].model.name);
    }
  }
  single_ = n == 1;
  many_devices_ = devices_.size() > 1;
  many_models_ = models_.size() > 1;
  // The same device under two units or roof kinds needs both in its label.
  for (Device& d : devices_) {
    for (const Device& e : devices_) {
      if (&d != &e && e.roof->display_name == d.roof->display_name) {
        d.label = fmt::format("{} [{}, {}]", d.roof->display_name, d.roof->unit,
                              RoofKindName(d.roof->kind));
      }
    }
  }
  for (size_t k = 0; k < devices_.size(); ++k) {
    devices_[k].colour = many_devices_ ? plot::kPalette[k % plot::kPalette.size()] : kInk;
  }

  fields0_ = ScenarioFields(analyses_[0].scenario);
  field_varies_.assign(fields0_.size(), false);
  for (const AnalysisResult& a : analyses_) {
    const auto f = ScenarioFields(a.scenario);
    for (size_t k = 0; k < f.size(); ++k) {
      field_varies_[k] = field_varies_[k] || f[k].second != fields0_[k].second;
    }
  }
  colour_.assign(n, kInk);
  label_.assign(n, "");
  for (size_t i = 0; i < n; ++i) {
    std::vector<std::string> parts;
    if (many_models_ || !many_devices_) {
      parts.push_back(analyses_[i].model.display_name);
    }
    if (many_devices_) {
      parts.push_back(devices_[device_of_[i]].label);
    }
    const auto f = ScenarioFields(analyses_[i].scenario);
    std::vector<std::string> differs;
    for (size_t k = 0; k < f.size(); ++k) {
      if (field_varies_[k]) {
        differs.push_back(f[k].first + " " + f[k].second);
      }
    }
    label_[i] = fmt::format("{}", fmt::join(parts, " on "));
    if (!differs.empty()) {
      label_[i] += fmt::format(" ({})", fmt::join(differs, ", "));
    }
    if (single_) {
      continue;
    }
    if (many_devices_ && !many_models_) {
      colour_[i] = devices_[device_of_[i]].colour;
    } else {
      // Analyses take the colours after the devices', so roofs and points never share one.
      const size_t offset = many_devices_ ? devices_.size() : 0;
      colour_[i] = plot::kPalette[(offset + i) % plot::kPalette.size()];
    }
  }
}

// One solid roof per device and π (analyses of one device normally share π), and the second
// roofs of the options that match a device.
void RooflineChart::CollectRoofs() {
  for (size_t i = 0; i < analyses_.size(); ++i) {
    const AnalysisResult& a = analyses_[i];
    if (!Positive(a.roof.bandwidth_bytes_per_s) || !Positive(a.peak_flops_per_s) ||
        !Positive(a.ridge_oi)) {
      continue;
    }
    const std::string key = DeviceKey(a.roof);
    const bool seen = std::any_of(roofs_.begin(), roofs_.end(), [&](const RoofLine& r) {
      return DeviceKey(*r.roof) == key && r.pi == a.peak_flops_per_s;
    });
    if (seen) {
      continue;
    }
    const std::string& colour = devices_[device_of_[i]].colour;
    roofs_.push_back({&a.roof, a.peak_flops_per_s, a.ridge_oi, colour});
    for (const Roof& extra : options_.extra_roofs) {
      if (extra.device != a.roof.device || !Positive(extra.bandwidth_bytes_per_s)) {
        continue;
      }
      // At the precision of the solid roof, so that the two compare like for like.
      Precision used = a.peak_precision;
      const double pi = extra.PeakFor(a.peak_precision, &used);
      if (Positive(pi)) {
        extras_.push_back({&extra, pi, pi / extra.bandwidth_bytes_per_s, used, colour});
      }
    }
  }
}

// Operators (one analysis only) and phase aggregates; zero-FLOP operators have no place on a
// log axis and are named in the footnote instead.
void RooflineChart::CollectPoints() {
  if (single_) {
    for (const PhaseResult& p : analyses_[0].phases) {
      for (const OperatorResult& r : p.operators) {
        if (Positive(r.oi) && Positive(r.attainable_flops_per_s)) {
          ops_.push_back({&r, p.phase});
          kinds_.insert(r.op.kind);
          op_phases_.insert(p.phase);
        } else if (std::find(not_shown_.begin(), not_shown_.end(), r.op.name) == not_shown_.end()) {
          not_shown_.push_back(r.op.name);
        }
      }
    }
  }
  for (size_t i = 0; i < analyses_.size(); ++i) {
    for (const PhaseResult& p : analyses_[i].phases) {
      if (Positive(p.rip.oi) && Positive(p.rip.perf_flops_per_s) &&
          Positive(analyses_[i].ridge_oi) && Positive(analyses_[i].peak_flops_per_s)) {
        aggregates_.push_back({&analyses_[i], &p, colour_[i], 0, 0, 0, 0});
        aggregate_phases_.insert(p.phase);
        any_measured_ = any_measured_ || p.rip.measured;
      }
    }
  }
}

// x covers every plotted OI and ridge/100 .. ridge×10; y every plotted performance and every
// ceiling (docs/plots.md).
void RooflineChart::Scales() {
  double x_min = std::numeric_limits<double>::infinity(), x_max = 0;
  double y_min = std::numeric_limits<double>::infinity(), y_max = 0;
  auto see = [&](double x, double y) {
    if (x > 0) {
      x_min = std::min(x_min, x);
      x_max = std::max(x_max, x);
    }
    if (y > 0) {
      y_min = std::min(y_min, y);
      y_max = std::max(y_max, y);
    }
  };
  for (const OpPoint& p : ops_) {
    see(p.r->oi, p.r->attainable_flops_per_s);
  }
  for (const Aggregate& g : aggregates_) {
    see(g.p->rip.oi, g.p->rip.perf_flops_per_s);
  }
  for (const RoofLine& r : roofs_) {
    see(r.ridge / 100, r.pi);
    see(r.ridge * 10, 0);
    for (const auto& [precision, peak] : r.roof->peak_flops_per_s) {
      see(0, Positive(peak) ? peak : 0);
    }
  }
  for (const ExtraLine& e : extras_) {
    see(e.ridge / 100, e.pi);
    see(e.ridge * 10, 0);
  }
  if (!(x_max > 0) || !(y_max > 0)) {
    throw InputError("nothing to plot: no roof or point with positive values");
  }
  DecadeRange(x_min, x_max, &xs_.lo, &xs_.hi);
  DecadeRange(y_min, y_max, &ys_.lo, &ys_.hi);
  xs_.p0 = plot_x0_;
  xs_.p1 = plot_x1_;
  ys_.p0 = plot_y1_;
  ys_.p1 = plot_y0_;
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

const PhaseResult* PhaseOf(const AnalysisResult& a, Phase phase) {
  for (const PhaseResult& p : a.phases) {
    if (p.phase == phase) {
      return &p;
    }
  }
  return nullptr;
}

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
    if (const PhaseResult* p = PhaseOf(a, Phase::kPrefill)) {
      parts.push_back(fmt::format("TTFT {} ({:.4g} tok/s)", human::Seconds(p->totals.time_s),
                                  p->totals.tokens_per_s));
    }
    if (const PhaseResult* p = PhaseOf(a, Phase::kDecode)) {
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
    const PhaseResult* pa = PhaseOf(a, ph);
    const PhaseResult* pb = PhaseOf(b, ph);
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

std::string RooflineChart::Render() {
  Classify();
  CollectRoofs();
  CollectPoints();
  Titles();
  Scales();
  CeilingLabels();
  Legend();

  const double width =
      std::max(legend_x_ + legend_w_ + 20,
               std::max({TextWidth(title_, 15), TextWidth(subtitle_), TextWidth(headline_, 13)}) +
                   kLeft + 20);
  const double height = std::max(plot_y1_ + 58, plot_y0_ + legend_h_ + 20);
  SvgWriter svg(width, height);
  svg.Text(kLeft, 26, title_, Anchor::kStart,
           {{"class", "title"}, {"font-weight", "bold"}, {"fill", kInk}}, 15);
  svg.Text(kLeft, 46, subtitle_, Anchor::kStart, {{"class", "subtitle"}, {"fill", "#555555"}});
  if (!headline_.empty()) {
    svg.Text(kLeft, 66, headline_, Anchor::kStart,
             {{"class", "headline"}, {"font-weight", "bold"}, {"fill", kHeadlineColour}}, 13);
  }
  DrawAxes(svg);
  DrawRoofs(svg);
  DrawPhiSegments(svg);
  DrawPoints(svg);
  DrawLabels(svg);
  DrawOperatorLabels(svg);
  DrawCeilingLabels(svg);
  DrawLegend(svg);
  return svg.Finish();
}

}  // namespace slmroof::plot::roofline

namespace slmroof {

std::string RooflineSvg(const std::vector<AnalysisResult>& analyses, const RooflineOptions& o) {
  if (analyses.empty()) {
    throw InputError("nothing to plot: no analysis");
  }
  return plot::roofline::RooflineChart(analyses, o).Render();
}

}  // namespace slmroof
