// The options and files of --plot, shared by analyze, sweep and compare (docs/plots.md).
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/io/hardware_reader.hpp"
#include "slmroof/plot.hpp"
#include "slmroof/text.hpp"
#include "slmroof/units.hpp"

namespace slmroof::cli {

void AddPlotOptions(CLI::App& cmd, PlotOptions* o) {
  cmd.add_option("--plot", o->path, "Also draw the results to FILE (.svg, .png or .html)");
  cmd.add_option("--plot-format", o->format,
                 "Chart format [default: from the --plot file's extension, else svg]")
      ->check(CLI::IsMember({"svg", "png", "html"}));
}

namespace {

std::string PlotFormat(const PlotOptions& o) {
  if (!o.format.empty()) {
    return o.format;
  }
  const std::string ext = ExtensionOf(o.path);
  if (ext == ".svg" || ext == ".png") {
    return ext.substr(1);
  }
  if (ext == ".html" || ext == ".htm") {
    return "html";
  }
  if (IsStream(o.path) || o.path == "-") {  // a FIFO, a device or stdout
    return "svg";
  }
  throw UsageError(fmt::format(
      "--plot {}: {}; name the file .svg, .png or .html, or give --plot-format", Excerpt(o.path, 80),
      ext.empty() ? "the file name has no extension to choose the format by"
                  : fmt::format("unknown chart extension {}", Excerpt(ext))));
}

}  // namespace

void CheckPlotOptions(const PlotOptions& o) {
  if (o.path.empty()) {
    if (!o.format.empty()) {
      throw UsageError("--plot-format needs --plot FILE");
    }
    return;
  }
  if (PlotFormat(o) == "png" && !RasteriserAvailable()) {  // also refuses an unknown extension
    throw UsageError(
        "--plot: PNG needs rsvg-convert (Debian package librsvg2-bin); install it or use "
        "--plot-format svg");
  }
}

namespace {

// A chart's name as part of a file name: lower case, letters, digits, '.' and '-' only.
std::string FileWord(const std::string& name) {
  std::string out;
  for (char c : ToLower(name)) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    if (keep) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') {
    out.pop_back();
  }
  return out;
}

}  // namespace

std::vector<std::unique_ptr<Output>> StagePlots(const PlotOptions& o,
                                               const std::vector<Chart>& charts, HtmlPage page) {
  std::vector<std::unique_ptr<Output>> staged;
  const std::string format = PlotFormat(o);
  auto write = [&](const std::string& text, const std::string& path) {
    staged.push_back(std::make_unique<Output>(path, "--plot"));
    Output& out = *staged.back();
    if (std::fwrite(text.data(), 1, text.size(), out.file()) != text.size()) {
      CannotWrite("--plot", path, errno);
    }
    out.Close();
  };
  if (format == "html") {
    for (const Chart& c : charts) {
      page.svgs.push_back(c.svg);
    }
    write(HtmlReport(page), o.path);
    return staged;
  }
  const std::filesystem::path first(o.path);
  std::set<std::string> used;
  for (size_t i = 0; i < charts.size(); ++i) {
    std::filesystem::path path = first;
    if (charts.size() > 1) {
      std::string word = FileWord(charts[i].name);
      if (word.empty() || !used.insert(word).second) {
        word += (word.empty() ? "" : "-") + std::to_string(i + 1);  // never two files of one name
      }
      path.replace_filename(
          fmt::format("{}-{}{}", first.stem().string(), word, first.extension().string()));
    }
    if (format == "png") {
      staged.push_back(std::make_unique<Output>(path.string(), "--plot"));
      Output& out = *staged.back();
      out.Close();
      if (out.temp_path().empty()) {  // a FIFO or device: rsvg-convert writes to it in place
        SvgToPng(charts[i].svg, path.string());
      } else {
        SvgToPng(charts[i].svg, out.temp_path());
      }
    } else {
      write(charts[i].svg, path.string());
    }
  }
  return staged;
}

void PublishPlots(const std::vector<std::unique_ptr<Output>>& staged) {
  std::vector<std::string> written;
  for (const std::unique_ptr<Output>& out : staged) {
    out->Publish();
    written.push_back(out->path());
  }
  if (written.size() > 1) {
    spdlog::info("wrote {} charts: {}", written.size(), fmt::join(written, ", "));
  }
}

std::vector<Roof> OtherRoofs(const RoofOptions& o) {
  std::vector<Roof> roofs;
  if (o.hw.empty() || !o.bandwidth.empty() || !o.peak.empty()) {
    return roofs;  // a device from the command line has one roof only
  }
  // The calibrated roof has the theoretical ceilings.
  const RoofKind used = o.roof == "measured" ? RoofKind::kMeasured : RoofKind::kTheoretical;
  const RoofKind other = used == RoofKind::kMeasured ? RoofKind::kTheoretical : RoofKind::kMeasured;
  for (const std::string& name : o.hw) {
    const HardwareSpec hw = LoadHardware(name);
    std::vector<std::string> ignored;
    const Roof a = ResolveRoof(hw, used, o.unit, &ignored);
    Roof b = ResolveRoof(hw, other, o.unit, &ignored);
    // Only a device with measured figures has a second roof worth drawing.
    if (a.bandwidth_bytes_per_s != b.bandwidth_bytes_per_s ||
        a.peak_flops_per_s != b.peak_flops_per_s) {
      roofs.push_back(std::move(b));
    }
  }
  return roofs;
}

RooflineOptions ChartOptions(const RoofOptions& o) {
  RooflineOptions chart;
  chart.extra_roofs = OtherRoofs(o);
  if (!o.bandwidth.empty() || !o.peak.empty()) {
    return chart;  // a device from the command line has no measured figures
  }
  const std::vector<std::string> devices =
      o.hw.empty() ? std::vector<std::string>{kDefaultHardware} : o.hw;
  for (const std::string& name : devices) {
    const HardwareSpec hw = LoadHardware(name);
    const std::vector<std::string> suspects = SuspectMeasuredFigures(hw, o.unit);
    if (suspects.empty()) {
      continue;
    }
    chart.suspect_devices.push_back(hw.name);
    chart.device_notes.emplace_back(
        hw.name, fmt::format("suspect measured roof of {}: {} (a benchmark artefact?)", hw.name,
                             fmt::join(suspects, "; ")));
  }
  return chart;
}

}  // namespace slmroof::cli
