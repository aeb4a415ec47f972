#include "plot/svg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace slmroof::plot {

double TextWidth(std::string_view text, double font_size) {
  size_t chars = 0;
  for (char c : text) {
    // Count UTF-8 lead bytes only, so "Φ" is one character.
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++chars;
    }
  }
  return 0.6 * font_size * static_cast<double>(chars);
}

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters other than tab and line breaks are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string Num(double v) {
  if (!std::isfinite(v)) {
    throw std::logic_error("plot: a non-finite coordinate reached the SVG writer");
  }
  if (std::fabs(v) < 0.005) {
    return "0";
  }
  std::string s = fmt::format("{:.2f}", v);
  while (s.back() == '0') {
    s.pop_back();
  }
  if (s.back() == '.') {
    s.pop_back();
  }
  return s;
}

Box TextBox(double x, double y, std::string_view text, Anchor anchor, double font_size) {
  const double w = TextWidth(text, font_size);
  double x0 = x;
  if (anchor == Anchor::kMiddle) {
    x0 = x - w / 2;
  } else if (anchor == Anchor::kEnd) {
    x0 = x - w;
  }
  // Ascent about 0.8 em above the baseline, descent about 0.25 em below.
  return {x0, y - 0.8 * font_size, x0 + w, y + 0.25 * font_size};
}

namespace {

// Whether the segment crosses the box (Liang–Barsky clipping).
bool SegmentHitsBox(const Segment& s, const Box& b) {
  double t0 = 0, t1 = 1;
  const double dx = s.x1 - s.x0, dy = s.y1 - s.y0;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {s.x0 - b.x0, b.x1 - s.x0, s.y0 - b.y0, b.y1 - s.y0};
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0) {
      if (q[i] < 0) {
        return false;
      }
    } else {
      const double t = q[i] / p[i];
      if (p[i] < 0) {
        t0 = std::max(t0, t);
      } else {
        t1 = std::min(t1, t);
      }
    }
  }
  return t0 <= t1;
}

}  // namespace

Segment Link(const Box& box, const Segment& target) {
  Segment best;
  double best_d = std::numeric_limits<double>::infinity();
  for (int k = 0; k <= 32; ++k) {
    const double t = k / 32.0;
    const double x = target.x0 + t * (target.x1 - target.x0);
    const double y = target.y0 + t * (target.y1 - target.y0);
    const double bx = std::clamp(x, box.x0, box.x1), by = std::clamp(y, box.y0, box.y1);
    const double d = std::hypot(bx - x, by - y);
    if (d < best_d) {
      best_d = d;
      best = {x, y, bx, by};
    }
  }
  return best;
}

double Placer::Cost(const Box& b) const {
  // Leaving the area is worst, then covering a label, a leader crossing one, a marker, a line.
  double cost = b.Inside(area_) ? 0 : 1e4;
  for (const Box& l : labels_) {
    cost += l.Overlaps(b) ? 1000 : 0;
  }
  for (const Box& m : markers_) {
    cost += m.Overlaps(b) ? 30 : 0;
  }
  for (const Segment& s : lines_) {
    cost += SegmentHitsBox(s, b) ? 20 : 0;
  }
  return cost;
}

double Placer::LeaderCost(const Segment& leader) const {
  if (std::hypot(leader.x1 - leader.x0, leader.y1 - leader.y0) <= kLeaderMin) {
    return 0;
  }
  double cost = 2;  // a label needing no leader is better
  for (const Box& l : labels_) {
    cost += SegmentHitsBox(leader, l) ? 50 : 0;
  }
  return cost;
}

Spot Placer::Place(std::string_view text, const std::vector<Spot>& spots, const Segment& target) {
  Spot best = spots.front();
  double best_cost = std::numeric_limits<double>::infinity();
  for (const Spot& s : spots) {
    const Box box = TextBox(s.x, s.y, text, s.anchor);
    const double c = Cost(box) + LeaderCost(Link(box, target));
    if (c < best_cost) {
      best = s;
      best_cost = c;
      if (c == 0) {
        break;
      }
    }
  }
  const Box box = TextBox(best.x, best.y, text, best.anchor);
  labels_.push_back(box);
  const Segment leader = Link(box, target);
  if (std::hypot(leader.x1 - leader.x0, leader.y1 - leader.y0) > kLeaderMin) {
    lines_.push_back(leader);
  }
  return best;
}

std::vector<Spot> RingSpots(double x, double y, const std::vector<double>& radii,
                            double font_size) {
  static const double kDirections[8][2] = {{1, 0},      {-1, 0},      {0, -1},    {0, 1},
                                           {0.7, -0.7}, {-0.7, -0.7}, {0.7, 0.7}, {-0.7, 0.7}};
  std::vector<Spot> spots;
  for (double r : radii) {
    for (const auto& d : kDirections) {
      Spot s;
      s.x = x + r * d[0];
      s.anchor = d[0] > 0 ? Anchor::kStart : (d[0] < 0 ? Anchor::kEnd : Anchor::kMiddle);
      if (d[1] < 0) {
        s.y = y + r * d[1] - 0.25 * font_size;  // the box's bottom edge at distance r above
      } else if (d[1] > 0) {
        s.y = y + r * d[1] + 0.8 * font_size;  // its top edge at distance r below
      } else {
        s.y = y + 0.275 * font_size;  // vertically centred on the point
      }
      spots.push_back(s);
    }
  }
  return spots;
}

std::vector<double> Spread(const std::vector<double>& wanted, double gap, double lo, double hi) {
  std::vector<size_t> order(wanted.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return wanted[a] < wanted[b]; });
  // Clusters of labels that touch; each sits where its members want to be on average, within
  // [lo, hi], and merges with the one before it when they overlap.
  struct Cluster {
    size_t first = 0, count = 0;
    double sum = 0;  // Σ (wanted − k·gap) over members k = 0..count−1
    double top = 0;
  };
  auto place = [&](Cluster* c) {
    const double extent = gap * static_cast<double>(c->count - 1);
    c->top = c->sum / static_cast<double>(c->count);
    c->top = std::min(c->top, hi - extent);
    c->top = std::max(c->top, lo);
  };
  std::vector<Cluster> clusters;
  for (size_t i = 0; i < order.size(); ++i) {
    Cluster c{i, 1, wanted[order[i]], 0};
    place(&c);
    while (!clusters.empty()) {
      Cluster& prev = clusters.back();
      if (prev.top + gap * static_cast<double>(prev.count) <= c.top) {
        break;
      }
      for (size_t k = 0; k < c.count; ++k) {
        prev.sum += wanted[order[c.first + k]] - gap * static_cast<double>(prev.count + k);
      }
      prev.count += c.count;
      place(&prev);
      c = prev;
      clusters.pop_back();
    }
    clusters.push_back(c);
  }
  std::vector<double> out(wanted.size());
  for (const Cluster& c : clusters) {
    for (size_t k = 0; k < c.count; ++k) {
      out[order[c.first + k]] = c.top + gap * static_cast<double>(k);
    }
  }
  return out;
}

SvgWriter::SvgWriter(double width, double height) {
  out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  Open("svg", {{"xmlns", "http://www.w3.org/2000/svg"},
               {"width", Num(width)},
               {"height", Num(height)},
               {"viewBox", fmt::format("0 0 {} {}", Num(width), Num(height))},
               {"font-family", "sans-serif"},
               {"font-size", Num(kFontSize)}});
  Rect(0, 0, width, height, {{"class", "background"}, {"fill", "white"}});
}

void SvgWriter::Attributes(const Attrs& attrs) {
  for (const auto& [name, value] : attrs) {
    out_ += ' ';
    out_ += name;
    out_ += "=\"";
    out_ += Escape(value);
    out_ += '"';
  }
}

void SvgWriter::Open(std::string_view tag, const Attrs& attrs) {
  out_ += '<';
  out_ += tag;
  Attributes(attrs);
  out_ += ">\n";
  open_.emplace_back(tag);
}

void SvgWriter::Close() {
  out_ += "</" + open_.back() + ">\n";
  open_.pop_back();
}

void SvgWriter::Element(std::string_view tag, const Attrs& attrs, std::string_view tooltip) {
  out_ += '<';
  out_ += tag;
  Attributes(attrs);
  if (tooltip.empty()) {
    out_ += "/>\n";
    return;
  }
  out_ += "><title>";
  out_ += Escape(tooltip);
  out_ += "</title></";
  out_ += tag;
  out_ += ">\n";
}

void SvgWriter::Line(double x0, double y0, double x1, double y1, Attrs attrs) {
  attrs.insert(attrs.begin(), {{"x1", Num(x0)}, {"y1", Num(y0)}, {"x2", Num(x1)}, {"y2", Num(y1)}});
  Element("line", attrs);
}

void SvgWriter::Rect(double x, double y, double w, double h, Attrs attrs) {
  attrs.insert(attrs.begin(),
               {{"x", Num(x)}, {"y", Num(y)}, {"width", Num(w)}, {"height", Num(h)}});
  Element("rect", attrs);
}

void SvgWriter::Polyline(const std::vector<std::pair<double, double>>& points, Attrs attrs) {
  std::string pts;
  for (const auto& [x, y] : points) {
    if (!pts.empty()) {
      pts += ' ';
    }
    pts += Num(x) + "," + Num(y);
  }
  attrs.insert(attrs.begin(), {"points", pts});
  attrs.emplace_back("fill", "none");
  Element("polyline", attrs);
}

void SvgWriter::Marker(Shape shape, double x, double y, double size, Attrs attrs,
                       std::string_view tooltip) {
  auto polygon = [&](std::initializer_list<std::pair<double, double>> pts) {
    std::string text;
    for (const auto& [px, py] : pts) {
      if (!text.empty()) {
        text += ' ';
      }
      text += Num(px) + "," + Num(py);
    }
    attrs.insert(attrs.begin(), {"points", text});
    Element("polygon", attrs, tooltip);
  };
  switch (shape) {
    case Shape::kCircle:
      attrs.insert(attrs.begin(), {{"cx", Num(x)}, {"cy", Num(y)}, {"r", Num(size)}});
      Element("circle", attrs, tooltip);
      break;
    case Shape::kTriangle:
      polygon({{x, y - 1.2 * size},
               {x + 1.1 * size, y + 0.8 * size},
               {x - 1.1 * size, y + 0.8 * size}});
      break;
    case Shape::kDiamond:
      polygon({{x, y - 1.3 * size}, {x + size, y}, {x, y + 1.3 * size}, {x - size, y}});
      break;
    case Shape::kSquare:
      attrs.insert(attrs.begin(), {{"x", Num(x - size)},
                                   {"y", Num(y - size)},
                                   {"width", Num(2 * size)},
                                   {"height", Num(2 * size)}});
      Element("rect", attrs, tooltip);
      break;
  }
}

void SvgWriter::Text(double x, double y, std::string_view text, Anchor anchor, Attrs attrs,
                     double font_size) {
  out_ += "<text";
  Attributes({{"x", Num(x)}, {"y", Num(y)}});
  if (anchor == Anchor::kMiddle) {
    Attributes({{"text-anchor", "middle"}});
  } else if (anchor == Anchor::kEnd) {
    Attributes({{"text-anchor", "end"}});
  }
  if (font_size > 0) {
    Attributes({{"font-size", Num(font_size)}});
  }
  Attributes(attrs);
  out_ += '>';
  out_ += Escape(text);
  out_ += "</text>\n";
}

std::string SvgWriter::Finish() {
  while (!open_.empty()) {
    Close();
  }
  return std::move(out_);
}

std::string DecadeLabel(int k) {
  if (k < 0 && k >= -3) {
    return fmt::format("{:.{}f}", std::pow(10.0, k), -k);
  }
  if (k >= 0 && k <= 4) {
    return fmt::format("{:.0f}", std::pow(10.0, k));
  }
  return fmt::format("1e{}", k);
}

std::string SiDecadeLabel(int k) {
  static const char* kPrefixes[] = {"p", "n", "µ", "m", "", "k", "M", "G", "T", "P", "E"};
  const int group = static_cast<int>(std::floor(k / 3.0));
  if (group < -4 || group > 6) {
    return fmt::format("1e{}", k);
  }
  const int mantissa_digits = k - 3 * group;
  const std::string mantissa = fmt::format("{:.0f}", std::pow(10.0, mantissa_digits));
  const char* prefix = kPrefixes[group + 4];
  return *prefix == '\0' ? mantissa : mantissa + " " + prefix;
}

std::vector<double> NiceTicks(double* lo, double* hi, int target) {
  double span = *hi - *lo;
  if (!(span > 0)) {
    const double pad = *lo != 0 ? std::fabs(*lo) * 0.1 : 1;
    *lo -= pad;
    *hi += pad;
    span = *hi - *lo;
  }
  const double raw = span / std::max(target, 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * mag;
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  const double first = std::floor(*lo / step + 1e-9);
  const double last = std::ceil(*hi / step - 1e-9);
  *lo = first * step;
  *hi = last * step;
  std::vector<double> ticks;
  for (double i = first; i <= last + 0.5; ++i) {
    ticks.push_back(std::fabs(i) < 0.5 ? 0.0 : i * step);
  }
  return ticks;
}

std::string TickNumber(double v) {
  if (v == 0) {
    return "0";
  }
  const double a = std::fabs(v);
  if (a >= 1e-3 && a < 1e6) {
    return fmt::format("{:.6g}", v);
  }
  return fmt::format("{:.3g}", v);
}

}  // namespace slmroof::plot
