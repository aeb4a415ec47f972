#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/io/hardware_reader.hpp"
#include "slmroof/plot.hpp"
#include "slmroof/units.hpp"

namespace slmroof::cli {

Output::Output(const std::string& path) {
  if (path.empty() || path == "-") {
    file_ = stdout;
    return;
  }
  path_ = path;
  tmp_ = path + ".slmroof-tmp";
  file_ = std::fopen(tmp_.c_str(), "wb");
  if (!file_) {
    throw InputError(fmt::format("cannot write '{}'", path));
  }
}

Output::~Output() {
  if (!tmp_.empty() && file_) {  // not committed: leave nothing behind
    std::fclose(file_);
    std::remove(tmp_.c_str());
  }
}

void Output::Commit() {
  if (tmp_.empty()) {
    std::fflush(file_);
    return;
  }
  const bool written = std::fflush(file_) == 0 && std::ferror(file_) == 0;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  std::error_code ec;
  if (written && closed) {
    std::filesystem::rename(tmp_, path_, ec);
  }
  if (!written || !closed || ec) {
    std::filesystem::remove(tmp_, ec);
    throw InputError(fmt::format("cannot write '{}'", path_));
  }
}

void Emit(const std::string& text, const std::string& path) {
  Output out(path);
  std::fwrite(text.data(), 1, text.size(), out.file());
  out.Commit();
}

std::vector<std::string> DTypeNames() {
  std::vector<std::string> names;
  for (const DType& t : AllDTypes()) {
    names.push_back(t.name);
  }
  return names;
}

void AddRoofOptions(CLI::App& cmd, RoofOptions* o, bool several) {
  if (several) {
    cmd.add_option("--hw", o->hw,
                   fmt::format("Hardware presets or files; repeat or separate with commas [default: {}]",
                               kDefaultHardware))
        ->delimiter(',')
        ->allow_extra_args(false);  // `--hw X MODEL` leaves MODEL to the positionals
  } else {
    cmd.add_option("--hw", o->hw, fmt::format("Hardware preset or file [default: {}]", kDefaultHardware))
        ->expected(1);
  }
  cmd.add_option("--unit", o->unit, "Compute unit of the device (cpu, gpu, npu) [default: its first]");
  cmd.add_option("--roof", o->roof, "Ceilings to use")
      ->check(CLI::IsMember({"theoretical", "measured"}))
      ->capture_default_str();
  cmd.add_option("--bandwidth", o->bandwidth, "Memory bandwidth, e.g. 120GB/s (overrides the device's)");
  cmd.add_option("--peak", o->peak, "Compute peak for every precision (3.5T) or per precision "
                                    "(fp16=3.5T,int8=7T); overrides the device's");
}

std::vector<Roof> ResolveRoofs(const RoofOptions& o) {
  RoofOverrides overrides;
  if (!o.bandwidth.empty()) {
    overrides.bandwidth_bytes_per_s = ParseBandwidth(o.bandwidth, "--bandwidth");
  }
  if (!o.peak.empty()) {
    overrides.peak = ParsePeakSpec(o.peak);
  }
  const RoofKind kind = o.roof == "measured" ? RoofKind::kMeasured : RoofKind::kTheoretical;
  if (o.hw.empty() && (overrides.bandwidth_bytes_per_s || overrides.peak)) {
    Roof roof = CustomRoof(overrides);
    roof.kind = kind;
    return {roof};
  }
  std::vector<Roof> roofs;
  const std::vector<std::string> names =
      o.hw.empty() ? std::vector<std::string>{kDefaultHardware} : o.hw;
  for (const std::string& name : names) {
    const HardwareSpec hw = LoadHardware(name);
    std::vector<std::string> fallbacks;
    Roof roof = ResolveRoof(hw, kind, o.unit, &fallbacks);
    if (!fallbacks.empty()) {
      spdlog::warn("'{}' has no measured {}; using the theoretical figure", hw.name,
                   fmt::join(fallbacks, ", "));
    }
    ApplyOverrides(overrides, &roof);
    roofs.push_back(std::move(roof));
  }
  return roofs;
}

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
  const std::string ext = ToLower(std::filesystem::path(o.path).extension().string());
  if (ext == ".png") {
    return "png";
  }
  return ext == ".html" || ext == ".htm" ? "html" : "svg";
}

}  // namespace

void CheckPlotOptions(const PlotOptions& o) {
  if (o.path.empty()) {
    if (!o.format.empty()) {
      throw UsageError("--plot-format needs --plot FILE");
    }
    return;
  }
  if (PlotFormat(o) == "png" && !RasteriserAvailable()) {
    throw UsageError(
        "--plot: PNG needs rsvg-convert (Debian package librsvg2-bin); install it or use "
        "--plot-format svg");
  }
}

void WritePlots(const PlotOptions& o, const std::vector<std::string>& svgs,
                const std::string& title, const std::string& table_text) {
  const std::string format = PlotFormat(o);
  if (format == "html") {
    Emit(HtmlReport(svgs, title, table_text), o.path);
    return;
  }
  const std::filesystem::path first(o.path);
  std::vector<std::string> written;
  for (size_t i = 0; i < svgs.size(); ++i) {
    std::filesystem::path path = first;
    if (i > 0) {
      path.replace_filename(fmt::format("{}-{}{}", first.stem().string(), i + 1,
                                        first.extension().string()));
    }
    if (format == "png") {
      SvgToPng(svgs[i], path.string());
    } else {
      Emit(svgs[i], path.string());
    }
    written.push_back(path.string());
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

}  // namespace slmroof::cli
