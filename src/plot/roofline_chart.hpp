#pragma once

// Private to the roofline chart (roofline.cpp: what is plotted and the layout; roofline_draw.cpp:
// drawing it). Not part of the public plot API (slmroof/plot.hpp).

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "plot/svg.hpp"
#include "slmroof/plot.hpp"

namespace slmroof::plot::roofline {

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
constexpr const char* kHeadlineColour = "#1f4e79";
constexpr double kHeadlineRow = 20;  // the headline line moves the plot down by this much

inline bool Positive(double v) { return std::isfinite(v) && v > 0; }

// A log10 axis: decades lo..hi mapped onto pixels p0..p1.
struct LogScale {
  int lo = 0, hi = 1;
  double p0 = 0, p1 = 1;
  double operator()(double v) const { return p0 + (std::log10(v) - lo) / (hi - lo) * (p1 - p0); }
};

// From the decade below the smallest value to the decade above the largest; a value within 5%
// of a decade of the frame gets one more decade, so that no marker sits on the frame.
void DecadeRange(double min, double max, int* lo, int* hi);

std::string DeviceKey(const Roof& r);

// Integer ceilings are operations, not floating-point operations.
const char* RateUnit(Precision p);

std::string PhaseWord(Phase p);

// Words of `text` in lines no wider than `width` at the default font size.
std::vector<std::string> Wrap(const std::string& text, double width);

// The scenario fields that can tell analyses apart, as (name, value).
std::vector<std::pair<std::string, std::string>> ScenarioFields(const Scenario& s);

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

LegendEntry Header(std::string text);
LegendEntry MarkerEntry(std::string text, Shape shape, bool filled, std::string colour = kInk);
LegendEntry LineEntry(std::string text, std::string colour, double width, std::string dash = "");

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
  void Headline();
  // Whether the device's measured figures were flagged as suspect (RooflineOptions).
  bool Suspect(const Roof& r) const {
    return r.kind == RoofKind::kMeasured &&
           std::find(options_.suspect_devices.begin(), options_.suspect_devices.end(), r.device) !=
               options_.suspect_devices.end();
  }
  void CeilingLabels();
  void Legend();
  void DrawAxes(SvgWriter& svg) const;
  void DrawRoofs(SvgWriter& svg);
  void DrawPhiSegments(SvgWriter& svg);
  void DrawPoints(SvgWriter& svg);
  void DrawLabels(SvgWriter& svg);
  // The operators that take the most time, up to five per phase, labelled with their share.
  void DrawOperatorLabels(SvgWriter& svg);
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
  std::string headline_;  ///< the answer: time to first token, time per token, memory and fit
  std::vector<CeilingLabel> ceiling_labels_;
  double ceiling_x_ = 0;
  std::vector<LegendEntry> legend_;
  std::vector<std::string> footnote_;
  double legend_x_ = 0, legend_w_ = 0, legend_h_ = 0;
  plot::Placer placer_{{kLeft + 2, kTop + 2, kLeft + kPlotW - 2, kTop + kPlotH - 2}};
};

}  // namespace slmroof::plot::roofline
