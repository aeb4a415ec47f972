#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "slmroof/io/hardware_reader.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/presets.hpp"
#include "slmroof/render.hpp"
#include "slmroof/weights.hpp"

namespace slmroof::cli {

std::function<int()> SetupList(CLI::App& cmd) {
  auto what = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("table");
  cmd.add_option("what", *what, "models, hardware or weights (file and storage types)")
      ->required()
      ->check(CLI::IsMember({"models", "hardware", "weights"}));
  cmd.add_option("--format", *format, "Output format")->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  return [what, format] {
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    std::string text;
    if (*what == "models") {
      for (const std::string& name : PresetNames(EmbeddedModelPresets())) {
        const PresetText* p = FindPreset(EmbeddedModelPresets(), name);
        const ModelSpec m = ParseModelJson(p->text, fmt::format("preset '{}'", name), name);
        const ParamCount params = CountParams(m);
        const AttentionSpec& a = m.groups.front().layer.attention;
        const std::string attention =
            a.kind == AttentionKind::kMla ? "MLA"
            : a.num_kv_heads == a.num_heads ? "MHA"
            : a.num_kv_heads == 1 ? "MQA" : fmt::format("GQA {}/{}", a.num_heads, a.num_kv_heads);
        rows.push_back({{"name", m.name}, {"display_name", m.display_name}, {"family", m.family},
                        {"params", RoundSig(params.total())}, {"layers", m.NumLayers()},
                        {"attention", attention}, {"source", m.source}});
        text += fmt::format("{:<18} {:<30} {:>7.3g}B params  {:>3} layers  {:<10} {}\n", m.name,
                            m.display_name, params.total() / 1e9, m.NumLayers(), attention, m.family);
      }
    } else if (*what == "weights") {
      // What --weights, --act and --kv take: llama.cpp file types, then single storage types.
      for (const LlamaFileType& f : LlamaFileTypes()) {
        const DType& t = DTypeByName(f.default_type);
        rows.push_back({{"name", f.name}, {"kind", "llama.cpp file type"},
                        {"default_type", t.name}, {"bits_per_weight", RoundSig(t.bits)}});
        text += fmt::format("{:<14} llama.cpp file type: most tensors {} ({:.4g} bits per weight), the "
                            "others as llama-quantize types them\n",
                            f.name, t.name, t.bits);
      }
      for (const DType& t : AllDTypes()) {
        rows.push_back({{"name", t.name}, {"kind", t.ggml ? "ggml type" : "storage type"},
                        {"bits_per_weight", RoundSig(t.bits)}, {"description", t.description}});
        text += fmt::format("{:<14} {:>6.4g} bits  {}\n", t.name, t.bits, t.description);
      }
      text += "pure:TYPE      every tensor of the model as one ggml type (llama-quantize --pure)\n";
    } else {
      for (const std::string& name : PresetNames(EmbeddedHardwarePresets())) {
        const PresetText* p = FindPreset(EmbeddedHardwarePresets(), name);
        const HardwareSpec hw = ParseHardwareJson(p->text, fmt::format("preset '{}'", name));
        const ComputeUnit& u = hw.units.front();
        Precision used;
        Roof roof;
        roof.device = hw.name;
        for (const auto& [prec, fig] : u.peak_flops_per_s) {
          roof.peak_flops_per_s[prec] = fig.theoretical;
        }
        const double peak = roof.PeakFor(Precision::kFp16, &used);
        rows.push_back({{"name", hw.name}, {"display_name", hw.display_name}, {"kind", hw.kind},
                        {"bandwidth_bytes_per_s", RoundSig(hw.bandwidth_bytes_per_s.theoretical)},
                        {"unit", u.name}, {"peak_flops_per_s", RoundSig(peak)},
                        {"peak_precision", std::string(PrecisionName(used))},
                        {"capacity_bytes", RoundSig(hw.capacity_bytes)}});
        text += fmt::format("{:<24} {:<48} {:>7.4g} GB/s  {:>7.4g} TFLOP/s {} ({})\n", hw.name,
                            hw.display_name, hw.bandwidth_bytes_per_s.theoretical / 1e9, peak / 1e12,
                            PrecisionName(used), u.name);
      }
    }
    Emit(*format == "json" ? rows.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n" : text, "");
    return 0;
  };
}

}  // namespace slmroof::cli
