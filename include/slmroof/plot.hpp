#pragma once

// Charts of finished results as self-contained SVG (docs/plots.md). Like the other renderers,
// the charts only read results: every point, ceiling and Φ comes from the result model.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "slmroof/hardware.hpp"
#include "slmroof/result.hpp"
#include "slmroof/scenario.hpp"
#include "slmroof/sweep.hpp"

namespace slmroof {

/// How the roofline chart is drawn.
struct RooflineOptions {
  /// Second roofs drawn dashed (e.g. the measured roof when the analysis used the theoretical
  /// one), matched to an analysis's roof by device name; unmatched ones are ignored.
  std::vector<Roof> extra_roofs;
  /// Replaces the generated title line when not empty (the scenario line stays).
  std::string title;
  /// Devices whose measured figures look like benchmark artefacts (SuspectMeasuredFigures): their
  /// measured roof is labelled "suspect", and the device's note under the legend says why.
  std::vector<std::string> suspect_devices;
  /// Footnotes under the legend, each shown when its device (Roof::device) is in the chart.
  std::vector<std::pair<std::string, std::string>> device_notes;
};

/// A log-log roofline chart of finished analyses as an SVG document. One analysis: every operator
/// of every phase plus the phase aggregates and their Φ; several analyses on one device: each
/// one's phase aggregates against the shared roof; one workload on several devices: a roof per
/// device and each device's aggregates. Throws InputError when `analyses` is empty.
std::string RooflineSvg(const std::vector<AnalysisResult>& analyses, const RooflineOptions& o);

/// One sweep row, as much of it as the line chart needs.
struct SweepSeriesPoint {
  std::string model;     ///< preset name or file stem (the sweep's `model` column)
  std::string hardware;  ///< device name (the sweep's `hardware` column)
  std::string weights;   ///< storage type names and fusion, to keep settings on separate lines
  std::string kv;
  std::string fusion;
  int64_t layers = 0;
  int64_t batch = 0;
  int64_t seq_len = 0;
  Phase phase = Phase::kDecode;
  double oi = 0;
  double time_s = 0;
  double tokens_per_s = 0;
  double phi = 0;
  double phi_log = 0;
};

/// Rows a SweepPlotSink keeps before it refuses more: a chart of more points is unreadable.
inline constexpr size_t kSweepPlotMaxPoints = 100000;

/// Collects sweep rows for SweepLinesSvg; copies what it needs, since a row's setting is only
/// valid during the Row call. Throws UsageError past kSweepPlotMaxPoints rows.
class SweepPlotSink : public SweepSink {
 public:
  void Row(const SweepRow& row) override;
  /// The rows received so far, in the sweep's order.
  const std::vector<SweepSeriesPoint>& points() const { return points_; }

 private:
  std::vector<SweepSeriesPoint> points_;
};

/// How the sweep line chart is drawn.
struct LinesOptions {
  std::string title;  ///< replaces the generated title line when not empty
};

/// Three stacked panels (OI, time per token or to first token, Φ-log) against whichever of
/// seq_len, layers or batch varies (the first that does, in that order), one line per series
/// (model, device, storage and the other varying axes) and phase. Throws InputError "nothing
/// varies to plot against" when none of the three varies, and when `points` is empty.
std::string SweepLinesSvg(const std::vector<SweepSeriesPoint>& points, const LinesOptions& o);

/// A table of an HTML report: text cells, numbers right-aligned.
struct HtmlTable {
  std::string caption;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> numeric;  ///< per column: right-aligned
};

/// What an HTML report shows, top to bottom: its title and a line under it, a summary card of
/// headline figures (label, value), the charts, then the tables.
struct HtmlPage {
  std::string title;
  std::string subtitle;
  std::vector<std::pair<std::string, std::string>> summary;
  std::vector<std::string> svgs;
  std::vector<HtmlTable> tables;
  std::string footer;
};

/// One self-contained HTML page (inline CSS and SVG; no network access needed to view it).
std::string HtmlReport(const HtmlPage& page);

/// SVG documents side by side in one document (top-aligned), e.g. a roofline and a bar chart.
std::string SvgBeside(const std::vector<std::string>& svgs);

struct Comparison;

/// The change of every metric at one point of a comparison as horizontal bars of Δ% (green
/// better, red worse, grey without a direction or incomparable), the point's --fail-if
/// thresholds as vertical lines (red where crossed). Throws std::out_of_range for a bad index.
std::string CompareBarsSvg(const Comparison& comparison, size_t point);

struct QuantPlanResult;

/// quant-plan's frontier: the least total score at each budget (a step line) beside every cut of
/// the greedy list. Throws InputError when the result has no frontier.
std::string FrontierSvg(const QuantPlanResult& result, const std::string& title);

/// Whether `rsvg-convert` is on the PATH.
bool RasteriserAvailable();

/// Renders `svg` to a PNG file with rsvg-convert; the file is written whole or not at all.
/// Throws InputError when rsvg-convert is missing, fails, or the file cannot be written.
void SvgToPng(const std::string& svg, const std::string& png_path);

}  // namespace slmroof
