#pragma once

// Private to the charts: an SVG text builder and the layout helpers the charts share.

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace slmroof::plot {

/// The one font size of chart text (titles aside), in px.
inline constexpr double kFontSize = 12;

/// Width estimate used for layout: 0.6 × font size per character (UTF-8 code points).
double TextWidth(std::string_view text, double font_size = kFontSize);

/// Escapes &, <, >, " and ' for element content and attribute values.
std::string Escape(std::string_view text);

/// A coordinate or length with at most two decimals. A non-finite value is a bug in the caller
/// (the charts filter their data first): std::logic_error.
std::string Num(double v);

/// Where a text's x coordinate sits: its start, middle or end.
enum class Anchor { kStart, kMiddle, kEnd };

/// An axis-aligned box in SVG coordinates (y grows downwards).
struct Box {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool Overlaps(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
  bool Inside(const Box& o) const { return x0 >= o.x0 && x1 <= o.x1 && y0 >= o.y0 && y1 <= o.y1; }
};

/// The box a text of `font_size` covers when drawn at baseline (x, y) with `anchor`.
Box TextBox(double x, double y, std::string_view text, Anchor anchor, double font_size = kFontSize);

/// A straight line segment, for label placement.
struct Segment {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

/// A label position candidate: baseline point and anchor.
struct Spot {
  double x = 0, y = 0;
  Anchor anchor = Anchor::kStart;
};

/// Labels further than this from what they name get a leader line.
inline constexpr double kLeaderMin = 16;

/// The shortest link from `target` (a marker as a point, or a line) to the box, as a segment from
/// the target (sampled) to the box's nearest point; its length is the label's distance.
Segment Link(const Box& box, const Segment& target);

/// Remembers what labels must not cover (other labels, markers, lines) and picks, among a
/// label's candidate spots, the first that covers nothing, or else the one that covers least.
class Placer {
 public:
  explicit Placer(const Box& area) : area_(area) {}
  /// Another label: covering one costs most.
  void TakeLabel(const Box& b) { labels_.push_back(b); }
  /// A data marker.
  void TakeMarker(const Box& b) { markers_.push_back(b); }
  /// A drawn line.
  void TakeLine(const Segment& s) { lines_.push_back(s); }
  /// The best of `spots` for a label naming `target`; its box (and its leader, when it needs
  /// one) is taken.
  Spot Place(std::string_view text, const std::vector<Spot>& spots, const Segment& target);

 private:
  double Cost(const Box& b) const;
  double LeaderCost(const Segment& leader) const;
  Box area_;
  std::vector<Box> labels_;
  std::vector<Box> markers_;
  std::vector<Segment> lines_;
};

/// Candidate spots for a label beside the point (x, y): eight directions (right, left, up,
/// down, then the diagonals) at each distance of `radii`, the label's near edge at that distance.
std::vector<Spot> RingSpots(double x, double y, const std::vector<double>& radii,
                            double font_size = kFontSize);

/// Moves 1-D label positions apart so neighbours are at least `gap` apart and all lie within
/// [lo, hi] (when they fit), keeping the order of `wanted`; returns them in input order.
std::vector<double> Spread(const std::vector<double>& wanted, double gap, double lo, double hi);

/// Attribute list of an element, values unescaped.
using Attrs = std::vector<std::pair<std::string, std::string>>;

/// Marker shapes: prefill points are circles, decode points triangles, phase aggregates
/// diamonds.
enum class Shape { kCircle, kTriangle, kDiamond, kSquare };

/// Builds an SVG document as text; escapes every attribute value and text, closes every element.
class SvgWriter {
 public:
  /// Starts the document: XML declaration, <svg> with width, height, viewBox and font, a white
  /// background.
  SvgWriter(double width, double height);
  /// Opens an element that gets children (e.g. <g>); Close() ends it.
  void Open(std::string_view tag, const Attrs& attrs);
  void Close();
  /// An element without children, or with a <title> tooltip when `tooltip` is not empty.
  void Element(std::string_view tag, const Attrs& attrs, std::string_view tooltip = {});
  void Line(double x0, double y0, double x1, double y1, Attrs attrs);
  void Rect(double x, double y, double w, double h, Attrs attrs);
  /// A polyline (open) through the points.
  void Polyline(const std::vector<std::pair<double, double>>& points, Attrs attrs);
  /// A marker of `size` (half its width) centred at (x, y).
  void Marker(Shape shape, double x, double y, double size, Attrs attrs,
              std::string_view tooltip = {});
  /// Text at baseline (x, y); `font_size` 0 means kFontSize (and no attribute).
  void Text(double x, double y, std::string_view text, Anchor anchor, Attrs attrs,
            double font_size = 0);
  /// Closes what is open and returns the document.
  std::string Finish();

 private:
  void Attributes(const Attrs& attrs);
  std::string out_;
  std::vector<std::string> open_;
};

/// Twelve distinguishable colours: operator kinds by their OpKind index, and series in order.
inline constexpr std::array<const char*, 12> kPalette = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#17becf", "#bcbd22", "#393b79", "#7f7f7f", "#000000"};

/// Label of the decade 10^k on an operational-intensity axis: "0.01", "1", "1000", "1e+04".
std::string DecadeLabel(int k);

/// Label of 10^k with an SI prefix and no unit: "1 G", "100 G", "1 T".
std::string SiDecadeLabel(int k);

/// Tick values for a linear axis over [lo, hi]: steps of 1, 2 or 5 × 10^n, about `target` of
/// them; `lo`/`hi` are widened to whole steps.
std::vector<double> NiceTicks(double* lo, double* hi, int target);

/// A compact number for tick labels: 3 significant digits, no trailing zeros.
std::string TickNumber(double v);

}  // namespace slmroof::plot
