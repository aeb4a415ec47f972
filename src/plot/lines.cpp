// The sweep line chart (docs/plots.md): OI, time and Φ-log of sweep rows against the axis that
// varies. It reads the rows' totals and Φ as the sweep computed them.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include "plot/svg.hpp"
#include "render/human.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/plot.hpp"

namespace slmroof {

void SweepPlotSink::Row(const SweepRow& row) {
  if (points_.size() >= kSweepPlotMaxPoints) {
    throw UsageError(
        fmt::format("a sweep chart holds at most {} rows; narrow the grid or plot a part of it",
                    kSweepPlotMaxPoints));
  }
  const SweepSetting& s = *row.setting;
  SweepSeriesPoint p;
  p.model = s.model->name;
  p.hardware = s.roof->device;
  p.weights = s.scenario.weights.name;
  p.kv = s.scenario.kv.name;
  p.fusion = std::string(FusionName(s.scenario.fusion));
  p.layers = s.model->NumLayers();
  p.batch = row.batch;
  p.seq_len = row.seq_len;
  p.phase = row.phase;
  p.oi = row.totals.oi;
  p.time_s = row.totals.time_s;
  p.tokens_per_s = row.totals.tokens_per_s;
  p.phi = row.rip.phi;
  p.phi_log = row.rip.phi_log;
  points_.push_back(std::move(p));
}

namespace {

using plot::Anchor;
using plot::Num;
using plot::Shape;
using plot::SvgWriter;
using plot::TextWidth;

constexpr double kLeft = 84;
constexpr double kTop = 84;
constexpr double kPlotW = 620;
constexpr double kPanelH = 170;
constexpr double kPanelGap = 58;
constexpr double kLegendRow = 17;
constexpr const char* kInk = "#333333";

enum class XAxis { kSeqLen, kLayers, kBatch };

int64_t AxisValue(const SweepSeriesPoint& p, XAxis a) {
  switch (a) {
    case XAxis::kSeqLen:
      return p.seq_len;
    case XAxis::kLayers:
      return p.layers;
    case XAxis::kBatch:
      return p.batch;
  }
  return 0;
}

const char* AxisWord(XAxis a) {
  switch (a) {
    case XAxis::kSeqLen:
      return "seq";
    case XAxis::kLayers:
      return "layers";
    case XAxis::kBatch:
      return "batch";
  }
  return "";
}

// A linear or log10 scale onto pixels.
struct Scale {
  bool log = false;
  double lo = 0, hi = 1;  // in log10 units when log
  double p0 = 0, p1 = 1;
  double operator()(double v) const {
    const double t = ((log ? std::log10(v) : v) - lo) / (hi - lo);
    return p0 + t * (p1 - p0);
  }
};

// Log when every value is positive and they span more than a decade.
bool WantsLog(double min, double max) { return min > 0 && max / min > 10; }

// Ticks of a log scale: decades, with 2 and 5 between them when the range is short.
std::vector<double> LogTicks(const Scale& s) {
  std::vector<double> ticks;
  const bool fine = s.hi - s.lo < 2.5;
  for (int k = static_cast<int>(std::floor(s.lo)); k <= static_cast<int>(std::ceil(s.hi)); ++k) {
    for (double m : fine ? std::vector<double>{1, 2, 5} : std::vector<double>{1}) {
      const double v = m * std::pow(10.0, k);
      const double lv = std::log10(v);
      if (lv >= s.lo - 1e-9 && lv <= s.hi + 1e-9) {
        ticks.push_back(v);
      }
    }
  }
  return ticks;
}

struct Series {
  std::string label;
  std::string colour;
  std::map<Phase, std::vector<const SweepSeriesPoint*>> points;  // sorted by x
};

struct Panel {
  std::string title;
  std::string klass;
  std::function<double(const SweepSeriesPoint&)> value;
  std::function<std::string(double)> tick_label;
};

class LinesChart {
 public:
  LinesChart(const std::vector<SweepSeriesPoint>& points, const LinesOptions& o)
      : points_(points), options_(o) {}
  std::string Render();

 private:
  void ChooseAxis();
  void BuildSeries();
  void BuildPanels();
  void XScale();
  void Titles();
  void DrawPanel(SvgWriter& svg, size_t index) const;
  void DrawLegend(SvgWriter& svg, double x) const;

  using Fields = std::vector<std::pair<std::string, std::string>>;
  // What tells series apart: model, device, storage, fusion and the other varying axes.
  Fields SeriesFields(const SweepSeriesPoint& p) const;

  const std::vector<SweepSeriesPoint>& points_;
  const LinesOptions& options_;
  std::map<XAxis, std::set<int64_t>> values_;
  XAxis xaxis_ = XAxis::kSeqLen;
  std::vector<XAxis> others_;
  Fields first_;
  std::vector<bool> varies_;
  std::vector<Series> series_;
  bool decode_ = false, prefill_ = false;
  std::vector<Panel> panels_;
  std::string time_name_;
  Scale xs_;
  std::vector<double> xticks_;
  std::string title_, subtitle_;
  double marker_ = 3.5;
};

// The x axis: the first of seq_len, layers, batch that varies; the others that vary split the
// rows into separate lines.
void LinesChart::ChooseAxis() {
  for (const SweepSeriesPoint& p : points_) {
    for (XAxis a : {XAxis::kSeqLen, XAxis::kLayers, XAxis::kBatch}) {
      values_[a].insert(AxisValue(p, a));
    }
  }
  // Depth varies when one model comes at several depths: models of different depths side by
  // side are not a depth sweep.
  std::map<std::string, std::set<int64_t>> depths;
  for (const SweepSeriesPoint& p : points_) {
    depths[p.model].insert(p.layers);
  }
  const bool depth_varies =
      std::any_of(depths.begin(), depths.end(), [](const auto& d) { return d.second.size() > 1; });
  std::vector<XAxis> varying;
  for (XAxis a : {XAxis::kSeqLen, XAxis::kLayers, XAxis::kBatch}) {
    if (a == XAxis::kLayers ? depth_varies : values_[a].size() > 1) {
      varying.push_back(a);
    }
  }
  if (varying.empty()) {
    throw InputError("nothing varies to plot against");
  }
  xaxis_ = varying.front();
  others_.assign(varying.begin() + 1, varying.end());
}

LinesChart::Fields LinesChart::SeriesFields(const SweepSeriesPoint& p) const {
  Fields f = {{"model", p.model},
              {"hardware", p.hardware},
              {"weights", p.weights},
              {"kv", p.kv},
              {"fusion", p.fusion}};
  for (XAxis a : others_) {
    f.push_back({AxisWord(a), std::to_string(AxisValue(p, a))});
  }
  return f;
}

// Series in order of first appearance, named by the fields that differ between them, their
// points sorted along x.
void LinesChart::BuildSeries() {
  first_ = SeriesFields(points_[0]);
  varies_.assign(first_.size(), false);
  for (const SweepSeriesPoint& p : points_) {
    const Fields f = SeriesFields(p);
    for (size_t k = 0; k < f.size(); ++k) {
      varies_[k] = varies_[k] || f[k].second != first_[k].second;
    }
  }
  std::map<Fields, size_t> index;
  for (const SweepSeriesPoint& p : points_) {
    const Fields f = SeriesFields(p);
    auto [it, added] = index.emplace(f, series_.size());
    if (added) {
      std::vector<std::string> parts;
      for (size_t k = 0; k < f.size(); ++k) {
        if (varies_[k]) {
          // Model and device by name alone, the rest as "weights q4_k".
          parts.push_back(k < 2 ? f[k].second : f[k].first + " " + f[k].second);
        }
      }
      Series s;
      s.label =
          parts.empty() ? p.model + " on " + p.hardware : fmt::format("{}", fmt::join(parts, ", "));
      s.colour = plot::kPalette[series_.size() % plot::kPalette.size()];
      series_.push_back(std::move(s));
    }
    series_[it->second].points[p.phase].push_back(&p);
    decode_ = decode_ || p.phase == Phase::kDecode;
    prefill_ = prefill_ || p.phase == Phase::kPrefill;
  }
  for (Series& s : series_) {
    for (auto& [phase, pts] : s.points) {
      std::stable_sort(pts.begin(), pts.end(), [&](const auto* a, const auto* b) {
        return AxisValue(*a, xaxis_) < AxisValue(*b, xaxis_);
      });
    }
  }
  const size_t per_line = points_.size() / series_.size();
  marker_ = per_line > 120 ? 2.5 : 3.5;
}

void LinesChart::BuildPanels() {
  const std::string phase = decode_ && prefill_ ? "" : (decode_ ? "decode " : "prefill ");
  panels_.push_back({phase + "operational intensity (FLOP/byte)", "panel-oi",
                     [](const SweepSeriesPoint& p) { return p.oi; }, plot::TickNumber});
  std::string time_title = "time per output token (one decode step)";
  time_name_ = "TPOT";
  if (prefill_ && !decode_) {
    time_title = "time to first token (prefill)";
    time_name_ = "TTFT";
  } else if (prefill_) {
    time_title = "time: per output token (decode), to first token (prefill)";
    time_name_ = "TPOT, TTFT";
  }
  panels_.push_back(
      {time_title, "panel-time", [](const SweepSeriesPoint& p) { return p.time_s; },
       [](double v) { return v >= 1 ? plot::TickNumber(v) + " s" : human::Seconds(v); }});
  panels_.push_back({phase + "Φ-log (decades to the ridge, or up to π)", "panel-phi-log",
                     [](const SweepSeriesPoint& p) { return p.phi_log; }, plot::TickNumber});
}

// x over the distinct values (all ≥ 1), log when they span more than a decade; ticks at the
// values themselves when few and their labels fit, else at decades or even steps.
void LinesChart::XScale() {
  const double x_min = static_cast<double>(*values_[xaxis_].begin());
  const double x_max = static_cast<double>(*values_[xaxis_].rbegin());
  xs_.log = WantsLog(x_min, x_max);
  const double a = xs_.log ? std::log10(x_min) : x_min, b = xs_.log ? std::log10(x_max) : x_max;
  xs_.lo = a - 0.03 * (b - a);
  xs_.hi = b + 0.03 * (b - a);
  xs_.p0 = kLeft;
  xs_.p1 = kLeft + kPlotW;

  std::vector<double> data;
  for (int64_t v : values_[xaxis_]) {
    data.push_back(static_cast<double>(v));
  }
  bool fits = data.size() <= 12;
  for (size_t k = 1; k < data.size() && fits; ++k) {
    const double room = xs_(data[k]) - xs_(data[k - 1]);
    const double need =
        (TextWidth(plot::TickNumber(data[k])) + TextWidth(plot::TickNumber(data[k - 1]))) / 2 + 8;
    fits = room >= need;
  }
  if (fits) {
    xticks_ = data;
  } else if (xs_.log) {
    xticks_ = LogTicks(xs_);
  } else {
    double lo = x_min, hi = x_max;
    for (double t : plot::NiceTicks(&lo, &hi, 8)) {
      if (t >= xs_.lo && t <= xs_.hi) {
        xticks_.push_back(t);
      }
    }
  }
}

// The title names the panels and the x axis; the subtitle what every line shares.
void LinesChart::Titles() {
  const char* x_name = xaxis_ == XAxis::kSeqLen   ? "sequence length"
                       : xaxis_ == XAxis::kLayers ? "depth (layers)"
                                                  : "batch size";
  title_ = options_.title.empty() ? fmt::format("OI, {} and Φ-log against {}", time_name_, x_name)
                                  : options_.title;
  std::vector<std::string> constant;
  for (XAxis a : {XAxis::kSeqLen, XAxis::kLayers, XAxis::kBatch}) {
    if (values_[a].size() == 1) {
      constant.push_back(std::string(AxisWord(a)) + " " + std::to_string(*values_[a].begin()));
    }
  }
  for (size_t k = 2; k < first_.size(); ++k) {
    if (!varies_[k]) {
      constant.push_back(first_[k].first + " " + first_[k].second);
    }
  }
  if (!varies_[0] && !varies_[1]) {
    subtitle_ = first_[0].second + " on " + first_[1].second + "; ";
  } else if (!varies_[0]) {
    subtitle_ = first_[0].second + "; ";
  } else if (!varies_[1]) {
    subtitle_ = "on " + first_[1].second + "; ";
  }
  subtitle_ += fmt::format("{}", fmt::join(constant, ", "));
}

void LinesChart::DrawPanel(SvgWriter& svg, size_t index) const {
  const Panel& panel = panels_[index];
  const bool last = index + 1 == panels_.size();
  const double top = kTop + static_cast<double>(index) * (kPanelH + kPanelGap);
  const double bottom = top + kPanelH;

  // y over this panel's finite values: log when all are positive and span more than a decade.
  double y_min = std::numeric_limits<double>::infinity();
  double y_max = -std::numeric_limits<double>::infinity();
  for (const SweepSeriesPoint& p : points_) {
    const double v = panel.value(p);
    if (std::isfinite(v)) {
      y_min = std::min(y_min, v);
      y_max = std::max(y_max, v);
    }
  }
  if (!std::isfinite(y_min)) {
    y_min = 0;
    y_max = 1;
  }
  Scale ys;
  ys.log = WantsLog(y_min, y_max);
  std::vector<double> yticks;
  if (ys.log) {
    const double a = std::log10(y_min), b = std::log10(y_max);
    ys.lo = a - 0.05 * (b - a);
    ys.hi = b + 0.05 * (b - a);
    yticks = LogTicks(ys);
  } else {
    double lo = y_min, hi = y_max;
    yticks = plot::NiceTicks(&lo, &hi, 4);
    // Positive data starts the axis near its smallest value, not at a rounded-down zero (a time
    // axis would read "0 ns" under data that starts at 20 ms).
    const double pad = 0.05 * (y_max > y_min ? y_max - y_min : std::fabs(y_max));
    if (y_min > 0 && lo < y_min - pad) {
      std::vector<double> kept;
      for (double t : yticks) {
        if (t >= y_min - pad) {
          kept.push_back(t);
        }
      }
      if (kept.size() >= 2) {
        lo = y_min - pad;
        yticks = kept;
      }
    }
    ys.lo = lo;
    ys.hi = hi;
  }
  ys.p0 = bottom;
  ys.p1 = top;

  svg.Open("g", {{"class", "panel " + panel.klass}});
  svg.Text(kLeft, top - 9, panel.title, Anchor::kStart,
           {{"class", "panel-title"}, {"font-weight", "bold"}, {"fill", kInk}});
  svg.Open("g", {{"class", "grid"}, {"stroke", "#e4e4e4"}});
  for (double t : xticks_) {
    svg.Line(xs_(t), top, xs_(t), bottom, {});
  }
  for (double t : yticks) {
    svg.Line(kLeft, ys(t), kLeft + kPlotW, ys(t), {});
  }
  svg.Close();
  svg.Rect(kLeft, top, kPlotW, kPanelH,
           {{"class", "frame"}, {"fill", "none"}, {"stroke", "#888888"}});
  svg.Open("g", {{"class", "axis-y"}, {"data-scale", ys.log ? "log" : "linear"}, {"fill", kInk}});
  for (double t : yticks) {
    svg.Line(kLeft - 5, ys(t), kLeft, ys(t), {{"class", "tick-mark"}, {"stroke", "#888888"}});
    svg.Text(kLeft - 8, ys(t) + 4, panel.tick_label(t), Anchor::kEnd, {{"class", "tick"}});
  }
  svg.Close();
  // Panels share x; only the bottom one labels it.
  svg.Open("g", {{"class", "axis-x"}, {"data-scale", xs_.log ? "log" : "linear"}, {"fill", kInk}});
  for (double t : xticks_) {
    svg.Line(xs_(t), bottom, xs_(t), bottom + 5, {{"class", "tick-mark"}, {"stroke", "#888888"}});
    if (last) {
      svg.Text(xs_(t), bottom + 19, plot::TickNumber(t), Anchor::kMiddle, {{"class", "tick"}});
    }
  }
  if (last) {
    const char* x_title = xaxis_ == XAxis::kSeqLen
                              ? "sequence length (prompt tokens; decode context)"
                          : xaxis_ == XAxis::kLayers ? "layers (depth variant)"
                                                     : "batch size";
    svg.Text(kLeft + kPlotW / 2, bottom + 42, x_title, Anchor::kMiddle, {{"class", "axis-title"}});
  }
  svg.Close();

  // One line per series and phase (decode solid, prefill dashed), a marker per point.
  for (size_t si = 0; si < series_.size(); ++si) {
    const Series& s = series_[si];
    for (const auto& [phase, pts] : s.points) {
      std::vector<std::pair<double, double>> line;
      std::vector<const SweepSeriesPoint*> shown;
      for (const SweepSeriesPoint* p : pts) {
        const double v = panel.value(*p);
        if (std::isfinite(v) && (!ys.log || v > 0)) {
          line.emplace_back(xs_(static_cast<double>(AxisValue(*p, xaxis_))), ys(v));
          shown.push_back(p);
        }
      }
      const std::string phase_name(PhaseName(phase));
      plot::Attrs attrs = {{"class", "series-line"},   {"data-series", std::to_string(si)},
                           {"data-phase", phase_name}, {"stroke", s.colour},
                           {"stroke-width", "1.8"},    {"stroke-linejoin", "round"}};
      if (phase == Phase::kPrefill) {
        attrs.emplace_back("stroke-dasharray", "6 3");
      }
      svg.Polyline(line, attrs);
      for (size_t k = 0; k < line.size(); ++k) {
        const SweepSeriesPoint& p = *shown[k];
        const std::string tip =
            fmt::format("{}, {}: {} {} → {}", s.label, phase_name, AxisWord(xaxis_),
                        AxisValue(p, xaxis_), panel.tick_label(panel.value(p)));
        svg.Marker(phase == Phase::kPrefill ? Shape::kCircle : Shape::kTriangle, line[k].first,
                   line[k].second, marker_,
                   {{"class", "series-point"},
                    {"data-series", std::to_string(si)},
                    {"data-phase", phase_name},
                    {"fill", s.colour},
                    {"stroke", "white"},
                    {"stroke-width", "0.5"}},
                   tip);
      }
    }
  }
  svg.Close();
}

// Series colours, then the phases' line styles when both are drawn.
void LinesChart::DrawLegend(SvgWriter& svg, double x) const {
  svg.Open("g", {{"class", "legend"}});
  double y = kTop + 10;
  auto header = [&](const char* text) {
    svg.Text(x, y, text, Anchor::kStart,
             {{"class", "legend-header"}, {"font-weight", "bold"}, {"fill", kInk}});
    y += kLegendRow;
  };
  auto entry = [&](const plot::Attrs& data, const std::string& colour, const char* dash,
                   Shape shape, const std::string& text) {
    plot::Attrs group = {{"class", "legend-entry"}};
    group.insert(group.end(), data.begin(), data.end());
    svg.Open("g", group);
    plot::Attrs line = {{"stroke", colour}, {"stroke-width", "1.8"}};
    if (*dash != '\0') {
      line.emplace_back("stroke-dasharray", dash);
    }
    svg.Line(x, y - 4, x + 24, y - 4, line);
    svg.Marker(shape, x + 12, y - 4, 3.5, {{"fill", colour}});
    svg.Text(x + 32, y, text, Anchor::kStart, {{"fill", kInk}});
    svg.Close();
    y += kLegendRow;
  };
  header("series");
  for (size_t si = 0; si < series_.size(); ++si) {
    entry({{"data-series", std::to_string(si)}}, series_[si].colour, "",
          decode_ ? Shape::kTriangle : Shape::kCircle, series_[si].label);
  }
  if (decode_ && prefill_) {
    y += 8;
    header("phases");
    entry({{"data-phase", "decode"}}, kInk, "", Shape::kTriangle, "decode");
    entry({{"data-phase", "prefill"}}, kInk, "6 3", Shape::kCircle, "prefill");
  }
  svg.Close();
}

std::string LinesChart::Render() {
  ChooseAxis();
  BuildSeries();
  BuildPanels();
  XScale();
  Titles();

  double legend_w = 150;
  for (const Series& s : series_) {
    legend_w = std::max(legend_w, TextWidth(s.label) + 34);
  }
  const double legend_x = kLeft + kPlotW + 34;
  const double legend_rows =
      1 + static_cast<double>(series_.size()) + (decode_ && prefill_ ? 3.5 : 0);
  const double panels_bottom = kTop + 3 * kPanelH + 2 * kPanelGap;
  const double width = std::max(legend_x + legend_w + 20,
                                std::max(TextWidth(title_, 15), TextWidth(subtitle_)) + kLeft + 20);
  const double height = std::max(panels_bottom + 56, kTop + 10 + legend_rows * kLegendRow + 20);

  SvgWriter svg(width, height);
  svg.Text(kLeft, 26, title_, Anchor::kStart,
           {{"class", "title"}, {"font-weight", "bold"}, {"fill", kInk}}, 15);
  svg.Text(kLeft, 46, subtitle_, Anchor::kStart, {{"class", "subtitle"}, {"fill", "#555555"}});
  for (size_t k = 0; k < panels_.size(); ++k) {
    DrawPanel(svg, k);
  }
  DrawLegend(svg, legend_x);
  return svg.Finish();
}

}  // namespace

std::string SweepLinesSvg(const std::vector<SweepSeriesPoint>& points, const LinesOptions& o) {
  if (points.empty()) {
    throw InputError("nothing to plot: the sweep has no rows");
  }
  return LinesChart(points, o).Render();
}

}  // namespace slmroof
