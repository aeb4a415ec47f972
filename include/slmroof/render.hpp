#pragma once

#include <string>
#include <vector>

#include "slmroof/result.hpp"

namespace slmroof {

/// Output formats of `analyze`.
enum class Format { kTable, kJson, kCsv };

/// Rounds to 10 significant digits so machine output does not change with compiler flags.
double RoundSig(double value);

/// The JSON contract for scripts (docs/output.md); SI base units throughout.
std::string RenderJson(const Report& report);

/// One row per operator and phase, header first.
std::string RenderCsv(const Report& report);

/// What the table for people shows.
struct TableOptions {
  bool summary_only = false;  ///< --summary: the header and the summary, no operator tables
  bool operators = false;     ///< --operators: with several models, each one's operator tables
};

/// Tables for people: the answer first (a summary per model, or one side-by-side table of several
/// models), then the operators sorted by time with a totals line.
std::string RenderTable(const Report& report, const TableOptions& options = {});

struct Comparison;

/// The JSON contract of `compare` (docs/compare.md): every metric of both sides at every point.
std::string RenderCompareJson(const Comparison& comparison);

/// `compare` for people: one block per point, one line per metric, thresholds at the end.
std::string RenderCompareTable(const Comparison& comparison);

struct ValidationReport;

/// `validate` for people: one line per row (predicted, measured, ratio), the summaries and the
/// skipped rows by reason (docs/accuracy.md).
std::string RenderValidateTable(const ValidationReport& report, bool rows);

/// `validate` as JSON: every row with the basis of its prediction, the summaries, the skipped rows.
std::string RenderValidateJson(const ValidationReport& report);

struct HtmlPage;
struct SweepSeriesPoint;

/// The HTML report of `analyze`: a title naming model, device and engine, a summary card
/// (TTFT, TPOT, tokens/s, memory, fit), and each phase's operators as a table.
HtmlPage AnalyzeHtmlPage(const Report& report);

/// The HTML report of `compare`: its thresholds as cards, one table of metrics per point.
HtmlPage CompareHtmlPage(const Comparison& comparison);

/// The HTML report of `sweep`: its rows as a table.
HtmlPage SweepHtmlPage(const std::vector<SweepSeriesPoint>& points);

/// One line per crossed threshold, naming its worst point, for stderr.
std::vector<std::string> CrossedThresholdMessages(const Comparison& comparison);

}  // namespace slmroof
