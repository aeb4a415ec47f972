// What differs from layer to layer of a transformer HuggingFace family (hf_family.hpp): which
// layers route to experts (docs/cost-model.md §6.3), rotate (SmolLM3) or attend through a sliding
// window (§4.11), as each family's transformers configuration and modeling files decide.
#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "io/hf_family.hpp"
#include "slmroof/limits.hpp"
#include "slmroof/text.hpp"

namespace slmroof::reader {

using nlohmann::json;

namespace {

// Reads the MoE layer of a family; false when the config routes to no experts (a Qwen MoE
// config with num_experts 0 is dense).
bool ReadMoe(const View& v, const Family& fam, const LayerSpec& dense, LayerSpec* out) {
  LayerSpec moe = dense;
  FfnSpec& ffn = moe.ffn;
  const char* experts_key = fam.moe == MoeRule::kDeepseek ? "n_routed_experts"
                            : v.Has("num_local_experts")    ? "num_local_experts"
                                                          : "num_experts";
  // A Qwen MoE config with num_experts 0 is dense; DeepSeek's always routes.
  ffn.num_experts = v.Int(experts_key, fam.moe == MoeRule::kDeepseek
                                         ? IntRange{1, limits::kExperts.max}
                                         : limits::kExperts);
  if (ffn.num_experts == 0) {
    return false;
  }
  const char* k_key = v.Has("num_experts_per_tok") || !v.Has("experts_per_token")
                          ? "num_experts_per_tok"
                          : "experts_per_token";
  ffn.experts_per_token = v.Int(k_key, {limits::kExpertsPerToken.min, ffn.num_experts});
  const bool own_width_key = fam.moe == MoeRule::kDeepseek || fam.moe == MoeRule::kQwen;
  ffn.expert_intermediate_size =
      v.Int(own_width_key ? "moe_intermediate_size" : "intermediate_size", limits::kIntermediate);
  ffn.bias = false;
  ffn.intermediate_size = 0;
  ffn.num_shared_experts = 0;
  const std::string type = fam.model_type;
  if (fam.moe == MoeRule::kDeepseek) {
    ffn.num_shared_experts = v.OptInt("n_shared_experts", limits::kSharedExperts).value_or(0);
    ffn.intermediate_size = ffn.num_shared_experts * ffn.expert_intermediate_size;
  } else if (type == "qwen2_moe" || type == "granitemoeshared") {
    // One shared expert of its own width (Qwen2-MoE also gates it with a D×1 sigmoid, D
    // parameters per layer, not counted).
    const char* key = type == "qwen2_moe" ? "shared_expert_intermediate_size"
                                          : "shared_intermediate_size";
    ffn.intermediate_size = v.OptInt(key, {0, limits::kIntermediate.max}).value_or(0);
    ffn.num_shared_experts = ffn.intermediate_size > 0 ? 1 : 0;
  } else if (type == "gpt_oss") {
    ffn.router_bias = true;
    ffn.expert_bias = true;
  }
  *out = moe;
  return true;
}

// SmolLM3 skips RoPE on some layers: no_rope_layers[i] is 1 where layer i uses RoPE, 0 where
// it does not (configuration_smollm3.py; absent: every 4th layer skips it, no_rope_layer_interval).
std::vector<bool> RopeLayers(const View& v, int64_t layers) {
  std::vector<bool> rope(static_cast<size_t>(layers), true);
  if (v.Has("no_rope_layers")) {
    const json& list = v.Array("no_rope_layers");
    if (list.size() != static_cast<size_t>(layers)) {
      v.FailKey("no_rope_layers", fmt::format("has {} entries for {} layers", list.size(), layers));
    }
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_number_integer() || (list[i] != 0 && list[i] != 1)) {
        v.Fail(fmt::format("{}[{}]", v.Path("no_rope_layers"), i), "must be 0 or 1");
      }
      rope[i] = list[i] == 1;
    }
  } else {
    const int64_t interval =
        v.OptInt("no_rope_layer_interval", {1, limits::kLayers.max}).value_or(4);
    for (int64_t i = 0; i < layers; ++i) {
      rope[static_cast<size_t>(i)] = (i + 1) % interval != 0;
    }
  }
  return rope;
}

// §4.11: the window and the layers that attend through it. `layer_types` decides where a
// config has it; otherwise the family's rule. Returns 0 when no layer is windowed.
int64_t Windows(const View& v, const Family& fam, int64_t layers, std::vector<bool>* windowed) {
  if (fam.window == WindowRule::kNone || !v.Has("sliding_window")) {
    return 0;  // a window the family ignores is warned about in WarnIgnored
  }
  const std::string type = fam.model_type;
  if (fam.window == WindowRule::kFromLayer && !v.Bool("use_sliding_window", false)) {
    return 0;
  }
  const int64_t window = v.Int("sliding_window", limits::kWindow);
  if (v.Has("layer_types")) {
    const json& list = v.Array("layer_types");
    if (list.size() != static_cast<size_t>(layers)) {
      v.FailKey("layer_types", fmt::format("has {} entries for {} layers", list.size(), layers));
    }
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string path = fmt::format("{}[{}]", v.Path("layer_types"), i);
      const std::string kind = list[i].is_string() ? list[i].get<std::string>() : "";
      if (kind != "sliding_attention" && kind != "full_attention") {
        v.Fail(path, fmt::format("is {}; this family's layers are \"sliding_attention\" or "
                                  "\"full_attention\"",
                                  DescribeJson(list[i])));
      }
      (*windowed)[i] = kind == "sliding_attention";
    }
    return window;
  }
  int64_t pattern = 0;
  if (fam.window == WindowRule::kPattern) {
    pattern = v.OptInt("sliding_window_pattern", {1, limits::kLayers.max})
                  .value_or(type == "cohere2" ? 4 : 6);
  }
  const int64_t from = fam.window == WindowRule::kFromLayer
                           ? v.OptInt("max_window_layers", {0, limits::kLayers.max})
                                 .value_or(28)  // Qwen2Config's and Qwen3Config's default
                           : 0;
  for (int64_t i = 0; i < layers; ++i) {
    bool w = true;
    switch (fam.window) {
      case WindowRule::kNone:
        w = false;
        break;
      case WindowRule::kAll:
        break;
      case WindowRule::kFromLayer:
        w = i >= from;
        break;
      case WindowRule::kAlternate:
        w = i % 2 == 0;
        break;
      case WindowRule::kPattern:
        w = (i + 1) % pattern != 0;
        break;
    }
    (*windowed)[static_cast<size_t>(i)] = w;
  }
  return window;
}

}  // namespace

bool LayerPlan::IsMoe(int64_t i) const {
  switch (moe_rule) {
    case MoeRule::kNone:
      return false;
    case MoeRule::kDeepseek:
      return i >= first_dense && i % step == 0;
    case MoeRule::kQwen:
      return !dense_only[static_cast<size_t>(i)] && (i + 1) % step == 0;
    case MoeRule::kAll:
      return true;
  }
  return false;
}

LayerPlan PlanLayers(const View& v, const Family& fam, const LayerSpec& dense, int64_t layers) {
  LayerPlan plan;
  const size_t n = static_cast<size_t>(layers);
  if (fam.moe != MoeRule::kNone && ReadMoe(v, fam, dense, &plan.moe)) {
    plan.moe_rule = fam.moe;
    if (fam.moe == MoeRule::kDeepseek) {
      plan.first_dense = v.OptInt("first_k_dense_replace", limits::kLayerIndex).value_or(0);
      plan.step = std::max<int64_t>(1, v.OptInt("moe_layer_freq", limits::kLayerIndex).value_or(1));
    } else if (fam.moe == MoeRule::kQwen) {
      plan.step = std::max<int64_t>(1, v.OptInt("decoder_sparse_step", limits::kLayerIndex).value_or(1));
      plan.dense_only = v.Has("mlp_only_layers") ? v.Indices("mlp_only_layers", layers)
                                                   : std::vector<bool>(n, false);
    }
  }
  if (std::string(fam.model_type) == "smollm3") {
    plan.rope = RopeLayers(v, layers);
  }
  plan.windowed.assign(n, false);
  plan.window = Windows(v, fam, layers, &plan.windowed);
  return plan;
}

}  // namespace slmroof::reader
