#pragma once

// Charts of finished results as self-contained SVG (docs/plots.md). Like the other renderers,
// the charts only read results: every point, ceiling and Φ comes from the result model.

#include <cstddef>
#include <cstdint>
#include <string>
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

/// One self-contained HTML page: the SVGs inline, inline CSS, `table_text` (e.g. the table
/// renderer's output) in a <pre>; no network access needed to view it.
std::string HtmlReport(const std::vector<std::string>& svgs, const std::string& title,
                       const std::string& table_text);

/// Whether `rsvg-convert` is on the PATH.
bool RasteriserAvailable();

/// Renders `svg` to a PNG file with rsvg-convert; the file is written whole or not at all.
/// Throws InputError when rsvg-convert is missing, fails, or the file cannot be written.
void SvgToPng(const std::string& svg, const std::string& png_path);

}  // namespace slmroof
