#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "render/human.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/io/hardware_reader.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/presets.hpp"
#include "slmroof/render.hpp"
#include "slmroof/weights.hpp"

namespace slmroof::cli {

namespace {

using Json = nlohmann::ordered_json;

// One listing: JSON rows and the same as text.
struct Listing {
  Json rows = Json::array();
  std::string text;
};

Listing Models() {
  Listing l;
  for (const std::string& name : PresetNames(EmbeddedModelPresets())) {
    const PresetText* p = FindPreset(EmbeddedModelPresets(), name);
    const ModelSpec m = ParseModelJson(p->text, fmt::format("preset '{}'", name), name);
    const ParamCount params = CountParams(m);
    const std::string attention = DescribeLayers(m);
    l.rows.push_back({{"name", m.name}, {"display_name", m.display_name}, {"family", m.family},
                      {"params", RoundSig(params.total())}, {"layers", m.NumLayers()},
                      {"attention", attention}, {"source", m.source}});
    l.text += fmt::format("{:<18} {:<30} {:>7.3g}B params  {:>3} layers  {:<10} {}\n", m.name,
                          m.display_name, params.total() / 1e9, m.NumLayers(), attention, m.family);
  }
  return l;
}

Listing Weights() {
  // What --weights, --act and --kv take: llama.cpp file types, then single storage types.
  Listing l;
  for (const LlamaFileType& f : LlamaFileTypes()) {
    const DType& t = DTypeByName(f.default_type);
    l.rows.push_back({{"name", f.name}, {"kind", "llama.cpp file type"}, {"default_type", t.name},
                      {"bits_per_weight", RoundSig(t.bits)}});
    l.text += fmt::format("{:<14} llama.cpp file type: most tensors {} ({:.4g} bits per weight), "
                          "the others as llama-quantize types them\n",
                          f.name, t.name, t.bits);
  }
  for (const DType& t : AllDTypes()) {
    l.rows.push_back({{"name", t.name}, {"kind", t.ggml ? "ggml type" : "storage type"},
                      {"bits_per_weight", RoundSig(t.bits)}, {"description", t.description}});
    l.text += fmt::format("{:<14} {:>6.4g} bits  {}\n", t.name, t.bits, t.description);
  }
  l.text += "pure:TYPE      every tensor of the model as one ggml type (llama-quantize --pure)\n";
  return l;
}

// "fp16 16.8T, int8 33.5T": a unit's peaks, highest precision first.
std::string PeaksText(const ComputeUnit& u) {
  std::vector<std::string> parts;
  for (const auto& [prec, fig] : u.peak_flops_per_s) {
    const bool integer = prec == Precision::kInt8 || prec == Precision::kInt4;
    parts.push_back(fmt::format("{} {}", PrecisionName(prec),
                                human::Si(fig.theoretical, integer ? "OP/s" : "FLOP/s")));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

// Each device, then one indented line per compute unit: its kind, the bandwidth it draws and
// its peak per precision (theoretical figures; `analyze --roof measured` uses the measured ones).
Listing Hardware() {
  Listing l;
  for (const std::string& name : PresetNames(EmbeddedHardwarePresets())) {
    const PresetText* p = FindPreset(EmbeddedHardwarePresets(), name);
    const HardwareSpec hw = ParseHardwareJson(p->text, fmt::format("preset '{}'", name));
    Json units = Json::array();
    std::string unit_lines;
    for (const ComputeUnit& u : hw.units) {
      const double bandwidth = u.bandwidth_bytes_per_s ? u.bandwidth_bytes_per_s->theoretical
                                                       : hw.bandwidth_bytes_per_s.theoretical;
      Json peaks = Json::object();
      for (const auto& [prec, fig] : u.peak_flops_per_s) {
        peaks[std::string(PrecisionName(prec))] = RoundSig(fig.theoretical);
      }
      units.push_back({{"name", u.name}, {"kind", u.kind},
                       {"bandwidth_bytes_per_s", RoundSig(bandwidth)},
                       {"peak_flops_per_s", peaks}});
      unit_lines += fmt::format("    {:<12} {:<4} {:>10}  {}\n", u.name, u.kind, human::Si(bandwidth, "B/s"),
                                PeaksText(u));
    }
    Json aliases = Json::array();
    for (const std::string& a : hw.aliases) {
      aliases.push_back(a);
    }
    l.rows.push_back({{"name", hw.name}, {"display_name", hw.display_name}, {"aliases", aliases},
                      {"kind", hw.kind},
                      {"bandwidth_bytes_per_s", RoundSig(hw.bandwidth_bytes_per_s.theoretical)},
                      {"capacity_bytes", RoundSig(hw.capacity_bytes)}, {"units", units}});
    l.text += fmt::format("{:<26} {:<50} {:>6.3g} GB{}\n{}", hw.name, hw.display_name,
                          hw.capacity_bytes / 1e9,
                          hw.aliases.empty() ? ""
                                             : fmt::format("  (also: {})", fmt::join(hw.aliases, ", ")),
                          unit_lines);
  }
  return l;
}

std::string Dump(const Json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

std::function<int()> SetupList(CLI::App& cmd) {
  auto what = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("table");
  cmd.add_option("what", *what,
                 "models, hardware or weights (file and storage types) [default: models and "
                 "hardware]")
      ->check(CLI::IsMember({"models", "hardware", "weights"}));
  cmd.add_option("--format", *format, "Output format")->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd.footer(
      "\nhardware: each device (capacity, aliases), then one line per compute unit: its kind, the "
      "bandwidth it draws and its theoretical peak per precision; --unit picks one.");
  return [what, format] {
    if (what->empty()) {
      const Listing models = Models();
      const Listing hardware = Hardware();
      Emit(*format == "json" ? Dump(Json{{"models", models.rows}, {"hardware", hardware.rows}})
                             : "Models (slmroof list models):\n" + models.text +
                                   "\nHardware (slmroof list hardware):\n" + hardware.text +
                                   "\nWeight types: slmroof list weights\n",
           "");
      return kExitOk;
    }
    const Listing l = *what == "models" ? Models() : *what == "weights" ? Weights() : Hardware();
    Emit(*format == "json" ? Dump(l.rows) : l.text, "");
    return kExitOk;
  };
}

}  // namespace slmroof::cli
