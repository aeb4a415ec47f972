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
