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

#include "plot/svg.hpp"
#include "render/human.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/plot.hpp"

namespace slmroof {

namespace {

using plot::Anchor;
using plot::Attrs;
using plot::Box;
using plot::kFontSize;
using plot::Num;
using plot::Shape;
using plot::Spot;
using plot::SvgWriter;
using plot::TextWidth;

constexpr double kPlotW = 600;
constexpr double kPlotH = 440;
constexpr double kLeft = 84;
constexpr double kTop = 66;
constexpr double kLegendRow = 17;
constexpr const char* kInk = "#333333";
constexpr const char* kPhiColour = "#c0392b";  // Φ segments of the one-analysis chart
constexpr const char* kCeilingGrey = "#999999";

bool Positive(double v) { return std::isfinite(v) && v > 0; }

// A log10 axis: decades lo..hi mapped onto pixels p0..p1.
struct LogScale {
  int lo = 0, hi = 1;
  double p0 = 0, p1 = 1;
  double operator()(double v) const { return p0 + (std::log10(v) - lo) / (hi - lo) * (p1 - p0); }
};

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

struct Device {
  const Roof* roof = nullptr;
  std::string label;
  std::string colour;
};

// A solid roof: the memory slope up to the ridge, flat at π.
struct RoofLine {
  const Roof* roof = nullptr;
  double pi = 0;
  double ridge = 0;
  std::string colour;
};

// A second roof drawn dashed, at the precision of the solid roof it belongs to.
struct ExtraLine {
  const Roof* roof = nullptr;
  double pi = 0;
  double ridge = 0;
  Precision precision = Precision::kFp16;
  std::string colour;
};

struct OpPoint {
  const OperatorResult* r = nullptr;
  Phase phase = Phase::kDecode;
};

struct Aggregate {
  const AnalysisResult* a = nullptr;
  const PhaseResult* p = nullptr;
  std::string colour;
  double x = 0, y = 0;    // px
  double tx = 0, ty = 0;  // the end of its Φ segment, px
};

struct RidgeMark {
  double x = 0, y = 0;  // px
  std::string text;     // empty: marked, not labelled
  std::string colour;
  bool extra = false;
};

struct CeilingLabel {
  std::string text;
  std::string colour;
  double line_y = 0;  // px of the line it names
  bool extra = false;
};

enum class LegendStyle { kHeader, kMarker, kLine };

struct LegendEntry {
  LegendStyle style = LegendStyle::kMarker;
  std::string text;
  std::string colour = kInk;
  Shape shape = Shape::kCircle;
  bool filled = true;  // kMarker: filled or open; kLine: with the marker on the line or not
  double line_width = 1;
  std::string dash;
  Attrs data;
};

LegendEntry Header(std::string text) {
  LegendEntry e;
  e.style = LegendStyle::kHeader;
  e.text = std::move(text);
  return e;
}

LegendEntry MarkerEntry(std::string text, Shape shape, bool filled, std::string colour = kInk) {
  LegendEntry e;
  e.text = std::move(text);
  e.shape = shape;
  e.filled = filled;
  e.colour = std::move(colour);
  return e;
}

LegendEntry LineEntry(std::string text, std::string colour, double width, std::string dash = "") {
  LegendEntry e;
  e.style = LegendStyle::kLine;
  e.text = std::move(text);
  e.colour = std::move(colour);
  e.line_width = width;
  e.dash = std::move(dash);
  e.filled = false;
  return e;
}

class RooflineChart {
 public:
  RooflineChart(const std::vector<AnalysisResult>& analyses, const RooflineOptions& o)
      : analyses_(analyses), options_(o) {}

  std::string Render();

 private:
  void Classify();
  void CollectRoofs();
  void CollectPoints();
  void Scales();
  void Titles();
  void CeilingLabels();
  void Legend();
  void DrawAxes(SvgWriter& svg) const;
  void DrawRoofs(SvgWriter& svg);
  void DrawPhiSegments(SvgWriter& svg);
  void DrawPoints(SvgWriter& svg);
  void DrawLabels(SvgWriter& svg);
  void DrawCeilingLabels(SvgWriter& svg) const;
  void DrawLegend(SvgWriter& svg) const;
  // Draws `text` at the best of `spots`; a thin leader joins it to `what` (the marker or line it
  // names) when it landed far from it.
  void PlaceLabel(SvgWriter& svg, const std::string& text, const std::vector<Spot>& spots,
                  const plot::Segment& what, const std::string& colour, const Attrs& attrs);

  const std::vector<AnalysisResult>& analyses_;
  const RooflineOptions& options_;

  // Who is plotted.
  std::vector<Device> devices_;
  std::vector<size_t> device_of_;
  std::vector<std::string> models_;
  bool single_ = true, many_devices_ = false, many_models_ = false;
  std::vector<std::string> colour_, label_;  // per analysis
  std::vector<std::pair<std::string, std::string>> fields0_;
  std::vector<bool> field_varies_;

  // What is plotted.
  std::vector<RoofLine> roofs_;
  std::vector<ExtraLine> extras_;
  std::vector<OpPoint> ops_;
  std::vector<std::string> not_shown_;
  std::set<OpKind> kinds_;
  std::set<Phase> op_phases_, aggregate_phases_;
  bool any_measured_ = false;
  std::vector<Aggregate> aggregates_;
  std::vector<RidgeMark> ridges_;

  // Layout.
  LogScale xs_, ys_;
  double plot_x0_ = kLeft, plot_x1_ = kLeft + kPlotW, plot_y0_ = kTop, plot_y1_ = kTop + kPlotH;
  std::string title_, subtitle_;
  std::vector<CeilingLabel> ceiling_labels_;
  double ceiling_x_ = 0;
  std::vector<LegendEntry> legend_;
  std::vector<std::string> footnote_;
  double legend_x_ = 0, legend_w_ = 0, legend_h_ = 0;
  plot::Placer placer_{{kLeft + 2, kTop + 2, kLeft + kPlotW - 2, kTop + kPlotH - 2}};
};

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
        {fmt::format("{} {} {}", RoofKindName(e.roof->kind), PrecisionName(e.precision),
                     human::Si(e.pi, RateUnit(e.precision))),
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
  legend_.push_back(
      LineEntry(fmt::format("roof ({})", RoofKindName(analyses_[0].roof.kind)), kInk, 2.5));
  legend_.push_back(LineEntry("ceiling of each precision", kCeilingGrey, 1));
  std::set<RoofKind> extra_kinds;
  for (const ExtraLine& x : extras_) {
    extra_kinds.insert(x.roof->kind);
  }
  for (RoofKind k : extra_kinds) {
    legend_.push_back(LineEntry(fmt::format("{} roof", RoofKindName(k)), kInk, 1.5, "6 4"));
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
  legend_h_ = 10;
  for (size_t k = 0; k < legend_.size(); ++k) {
    legend_h_ += (legend_[k].style == LegendStyle::kHeader && k > 0 ? 8 : 0) + kLegendRow;
  }
  legend_h_ += footnote_.empty() ? 0 : 10 + kLegendRow * static_cast<double>(footnote_.size());
}

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

std::string RooflineChart::Render() {
  Classify();
  CollectRoofs();
  CollectPoints();
  Scales();
  Titles();
  CeilingLabels();
  Legend();

  const double width = std::max(legend_x_ + legend_w_ + 20,
                                std::max(TextWidth(title_, 15), TextWidth(subtitle_)) + kLeft + 20);
  const double height = std::max(plot_y1_ + 58, plot_y0_ + legend_h_ + 20);
  SvgWriter svg(width, height);
  svg.Text(kLeft, 26, title_, Anchor::kStart,
           {{"class", "title"}, {"font-weight", "bold"}, {"fill", kInk}}, 15);
  svg.Text(kLeft, 46, subtitle_, Anchor::kStart, {{"class", "subtitle"}, {"fill", "#555555"}});
  DrawAxes(svg);
  DrawRoofs(svg);
  DrawPhiSegments(svg);
  DrawPoints(svg);
  DrawLabels(svg);
  DrawCeilingLabels(svg);
  DrawLegend(svg);
  return svg.Finish();
}

}  // namespace

std::string RooflineSvg(const std::vector<AnalysisResult>& analyses, const RooflineOptions& o) {
  if (analyses.empty()) {
    throw InputError("nothing to plot: no analysis");
  }
  return RooflineChart(analyses, o).Render();
}

}  // namespace slmroof
