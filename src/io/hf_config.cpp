// HuggingFace config.json (README "Inputs"; docs/cost-model.md §3 for what each field costs): one
// table row per model_type, and the reader that turns a config into layer groups.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "io/model_common.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/text.hpp"
#include "slmroof/units.hpp"

namespace slmroof {

using nlohmann::json;

namespace {

// Which layers of a family are MoE layers (§6.3), as transformers' modeling file decides.
enum class MoeRule {
  kNone,      ///< dense (num_experts etc. are ignored, with a warning)
  kDeepseek,  ///< n_routed_experts; layers i ≥ first_k_dense_replace with i % moe_layer_freq == 0
  kQwen,      ///< num_experts; layers not in mlp_only_layers with (i + 1) % decoder_sparse_step == 0
  kAll,       ///< num_local_experts or num_experts: every layer (mixtral, olmoe, granitemoe, gpt-oss)
};

// Which layers attend through `sliding_window` when the config has no `layer_types` list (§4.11),
// as the family's configuration file derives its default layer_types.
enum class WindowRule {
  kNone,       ///< the modeling file ignores sliding_window (warned when it is set)
  kAll,        ///< every layer (mistral, mixtral, phi3)
  kFromLayer,  ///< layers i ≥ max_window_layers, when use_sliding_window (qwen2, qwen3, smollm3)
  kAlternate,  ///< even layers local, odd layers global (gemma2, gpt-oss)
  kPattern,    ///< layer i global when (i + 1) % sliding_window_pattern == 0 (gemma3, cohere2)
};

// What a model_type means for the cost model: its defaults as transformers' configuration and
// modeling files for that type have them (the source of each row is the transformers file named
// after the model_type, e.g. models/olmo2/modeling_olmo2.py).
struct Family {
  const char* model_type;
  const char* architecture;  ///< the class `architectures` names, for configs without model_type
  bool mla;
  FfnKind ffn;
  NormKind norm;
  int64_t norms_per_layer;   ///< 1: attention and FFN read one norm in parallel (phi, cohere)
  bool qkv_bias;             ///< q/k/v bias regardless of attention_bias (Qwen2)
  bool qk_norm;              ///< RMSNorm or LayerNorm on queries and keys
  bool tie_default;          ///< tie_word_embeddings when the config omits it
  const char* default_act;
  double rotary_default;     ///< fraction of head_dim rotated when the config says nothing
  bool all_bias;             ///< every projection has a bias (phi)
  MoeRule moe = MoeRule::kNone;           ///< which layers route tokens to experts
  WindowRule window = WindowRule::kNone;  ///< which layers attend through sliding_window
};

constexpr FfnKind G = FfnKind::kGated;
constexpr FfnKind M = FfnKind::kMlp;
constexpr NormKind R = NormKind::kRmsNorm;
constexpr NormKind L = NormKind::kLayerNorm;

const Family kFamilies[] = {
    {"llama", "LlamaForCausalLM", false, G, R, 2, false, false, false, "silu", 1, false},
    {"mistral", "MistralForCausalLM", false, G, R, 2, false, false, false, "silu", 1, false, MoeRule::kNone, WindowRule::kAll},
    {"qwen2", "Qwen2ForCausalLM", false, G, R, 2, true, false, false, "silu", 1, false, MoeRule::kNone, WindowRule::kFromLayer},
    {"qwen3", "Qwen3ForCausalLM", false, G, R, 2, false, true, false, "silu", 1, false, MoeRule::kNone, WindowRule::kFromLayer},
    {"phi3", "Phi3ForCausalLM", false, G, R, 2, false, false, false, "silu", 1, false, MoeRule::kNone, WindowRule::kAll},
    {"gemma", "GemmaForCausalLM", false, G, R, 2, false, false, true, "gelu_pytorch_tanh", 1, false},
    {"gemma2", "Gemma2ForCausalLM", false, G, R, 4, false, false, true, "gelu_pytorch_tanh", 1, false, MoeRule::kNone, WindowRule::kAlternate},
    // Gemma 3: Gemma 2's four norms per layer plus q/k norms (modeling_gemma3.py).
    {"gemma3_text", "Gemma3ForCausalLM", false, G, R, 4, false, true, true, "gelu_pytorch_tanh", 1,
     false, MoeRule::kNone, WindowRule::kPattern},
    {"gpt_neox", "GPTNeoXForCausalLM", false, M, L, 2, false, false, false, "gelu", 0.25, false},
    {"deepseek_v2", "DeepseekV2ForCausalLM", true, G, R, 2, false, false, false, "silu", 1, false, MoeRule::kDeepseek},
    {"deepseek_v3", "DeepseekV3ForCausalLM", true, G, R, 2, false, false, false, "silu", 1, false, MoeRule::kDeepseek},
    // MiniCPM3Config ties embeddings by default (transformers configuration_minicpm3.py).
    {"minicpm3", "MiniCPM3ForCausalLM", true, G, R, 2, false, false, true, "silu", 1, false},
    {"plm", "PLMForCausalLM", true, M, R, 2, false, false, false, "relu2", 1, false},
    // SmolLM3: llama with RoPE skipped on some layers (no_rope_layers).
    {"smollm3", "SmolLM3ForCausalLM", false, G, R, 2, false, false, true, "silu", 1, false, MoeRule::kNone, WindowRule::kFromLayer},
    // Phi-1/1.5/2: one LayerNorm feeds attention and MLP in parallel; every projection has a bias;
    // partial rotary (PhiConfig's default 0.5).
    {"phi", "PhiForCausalLM", false, M, L, 1, false, false, false, "gelu_new", 0.5, true},
    // Granite: llama with scaling multipliers, which cost nothing.
    {"granite", "GraniteForCausalLM", false, G, R, 2, false, false, false, "silu", 1, false},
    // OLMo: LayerNorm without parameters (counted as LayerNorm: 2 x hidden per norm, < 0.02 %).
    {"olmo", "OlmoForCausalLM", false, G, L, 2, false, false, false, "silu", 1, false},
    // OLMo 2: norms after attention and after the MLP instead of before; q/k norms.
    {"olmo2", "Olmo2ForCausalLM", false, G, R, 2, false, true, false, "silu", 1, false},
    // StableLM: LayerNorm, partial rotary (0.25 by default), q/k/v bias with use_qkv_bias.
    {"stablelm", "StableLmForCausalLM", false, G, L, 2, false, false, false, "silu", 0.25, false},
    // Cohere (Command R) and Cohere2: one LayerNorm, attention and MLP in parallel.
    {"cohere", "CohereForCausalLM", false, G, L, 1, false, false, true, "silu", 1, false},
    {"cohere2", "Cohere2ForCausalLM", false, G, L, 1, false, false, true, "silu", 1, false, MoeRule::kNone, WindowRule::kPattern},
    // Mixture-of-experts families (§6.3). Mixtral, OLMoE and granitemoe name each expert's
    // width intermediate_size; OLMoE normalises queries and keys.
    {"mixtral", "MixtralForCausalLM", false, G, R, 2, false, false, false, "silu", 1, false,
     MoeRule::kAll, WindowRule::kAll},
    {"qwen2_moe", "Qwen2MoeForCausalLM", false, G, R, 2, true, false, false, "silu", 1, false,
     MoeRule::kQwen, WindowRule::kFromLayer},
    {"qwen3_moe", "Qwen3MoeForCausalLM", false, G, R, 2, false, true, false, "silu", 1, false,
     MoeRule::kQwen, WindowRule::kFromLayer},
    {"olmoe", "OlmoeForCausalLM", false, G, R, 2, false, true, false, "silu", 1, false, MoeRule::kAll},
    {"granitemoe", "GraniteMoeForCausalLM", false, G, R, 2, false, false, false, "silu", 1, false,
     MoeRule::kAll},
    {"granitemoeshared", "GraniteMoeSharedForCausalLM", false, G, R, 2, false, false, false, "silu",
     1, false, MoeRule::kAll},
    // gpt-oss: biased q/k/v/o projections, router and experts; alternating sliding and full
    // attention (modeling_gpt_oss.py). Its clamped SwiGLU is costed as SiLU.
    {"gpt_oss", "GptOssForCausalLM", false, G, R, 2, false, false, false, "silu", 1, false,
     MoeRule::kAll, WindowRule::kAlternate},
};

// model_type values that name another family's reader: gemma3 wraps a gemma3_text config (and a
// vision tower) in text_config.
const Family* FindFamily(const std::string& type) {
  for (const Family& f : kFamilies) {
    if (type == f.model_type) {
      return &f;
    }
  }
  return nullptr;
}

class HfReader {
 public:
  HfReader(const JsonFields& f, const json& cfg, std::string as_family)
      : f_(f), top_(cfg), cfg_(&cfg), as_(std::move(as_family)) {}

  ModelSpec Read(const std::string& name) {
    std::string type = as_.empty() ? ModelType() : as_;
    ModelSpec m;
    m.name = name;
    // A multimodal Gemma 3 keeps its language model in text_config.
    if (type == "gemma3") {
      cfg_ = &f_.Object(top_, "text_config", "text_config");
      prefix_ = "text_config.";
      type = "gemma3_text";
      m.warnings.push_back(fmt::format(
          "{}: the vision tower (vision_config) is not costed; text generation only", f_.origin()));
    }
    if (const reader::HybridFamily* hybrid = FindHybrid(type)) {
      return ReadHybrid(*hybrid, std::move(m));
    }
    const Family* fam = FindFamily(type);
    if (fam == nullptr) {
      f_.Fail(as_.empty() ? "model_type" : "--as",
              fmt::format("is {}, which slmroof does not read (supported: {}; a llama-shaped config "
                          "can be read with --as llama)",
                          Excerpt(type), fmt::join(SupportedModelTypes(), ", ")));
    }
    m.family = type;
    if (type == "gemma3_text") {
      FillGemma3Defaults();
    }
    m.vocab_size = Int("vocab_size", limits::kVocab);
    m.hidden_size = Int("hidden_size", limits::kHidden);
    m.tie_word_embeddings = Bool("tie_word_embeddings", fam->tie_default);
    m.final_norm = fam->norm;
    m.max_context = OptInt("max_position_embeddings", limits::kContext).value_or(0);
    // Bounded before the per-layer loops below run.
    const int64_t layers = Int("num_hidden_layers", limits::kLayers);
    const LayerSpec dense = BaseLayer(*fam, m.hidden_size);
    const LayerPlan plan = Plan(*fam, dense, layers);
    for (int64_t i = 0; i < layers; ++i) {
      LayerSpec layer = plan.IsMoe(i) ? plan.moe : dense;
      if (!plan.rope.empty() && !plan.rope[static_cast<size_t>(i)]) {
        layer.attention.rope_dim = 0;
      }
      if (plan.WindowAt(i)) {
        layer.attention.sliding_window = plan.window;
      }
      reader::AppendLayers(&m, layer, 1);
    }
    WarnIgnored(*fam, &m);
    return m;
  }

 private:
  std::string Path(const char* key) const { return prefix_ + key; }

  static const reader::HybridFamily* FindHybrid(const std::string& type) {
    for (const reader::HybridFamily& h : reader::HybridFamilies()) {
      if (type == h.model_type) {
        return &h;
      }
    }
    return nullptr;
  }

  // §11: state-space and hybrid families; their layers come from hf_hybrid.cpp.
  ModelSpec ReadHybrid(const reader::HybridFamily& h, ModelSpec m) const {
    m.family = h.model_type;
    m.vocab_size = Int("vocab_size", limits::kVocab);
    m.hidden_size = Int("hidden_size", limits::kHidden);
    // LFM2 names the switch tie_embedding.
    m.tie_word_embeddings = Bool("tie_word_embeddings", Bool("tie_embedding", h.tie_default));
    m.final_norm = NormKind::kRmsNorm;
    m.max_context = OptInt("max_position_embeddings", limits::kContext).value_or(0);
    const int64_t layers = Int("num_hidden_layers", limits::kLayers);
    reader::ReadHybridLayers(f_, *cfg_, h.model_type, layers, &m);
    return m;
  }

  // A Gemma 3 text_config may leave shape fields to Gemma3TextConfig's defaults (transformers
  // models/gemma3/configuration_gemma3.py; google/gemma-3-4b-it names only hidden_size,
  // intermediate_size, num_hidden_layers and sliding_window): read a copy with them filled in.
  void FillGemma3Defaults() {
    static const std::pair<const char*, int64_t> kDefaults[] = {
        {"vocab_size", 262208},          {"hidden_size", 2304},       {"intermediate_size", 9216},
        {"num_hidden_layers", 26},       {"num_attention_heads", 8},  {"num_key_value_heads", 4},
        {"head_dim", 256},               {"max_position_embeddings", 131072},
        {"sliding_window", 4096}};
    filled_ = *cfg_;
    for (const auto& [key, value] : kDefaults) {
      if (!filled_.contains(key)) {
        filled_[key] = value;
      }
    }
    cfg_ = &filled_;
  }
  int64_t Int(const char* key, IntRange range) const { return f_.Int(*cfg_, key, Path(key), range); }
  std::optional<int64_t> OptInt(const char* key, IntRange range) const {
    return f_.OptInt(*cfg_, key, Path(key), range);
  }
  bool Bool(const char* key, bool fallback) const {
    return f_.OptBool(*cfg_, key, Path(key)).value_or(fallback);
  }
  bool Has(const char* key) const { return cfg_->contains(key) && !(*cfg_)[key].is_null(); }

  // Configs without model_type are recognised by the class `architectures` names.
  std::string ModelType() const {
    if (auto type = f_.OptString(top_, "model_type", "model_type")) {
      return *type;
    }
    const json& archs = f_.Array(top_, "architectures", "architectures");
    for (const json& a : archs) {
      if (!a.is_string()) {
        continue;
      }
      if (a.get<std::string>() == "Gemma3ForConditionalGeneration") {
        return "gemma3";
      }
      for (const Family& fam : kFamilies) {
        if (a.get<std::string>() == fam.architecture) {
          return fam.model_type;
        }
      }
      for (const reader::HybridFamily& h : reader::HybridFamilies()) {
        if (a.get<std::string>() == h.architecture) {
          return h.model_type;
        }
      }
    }
    f_.Fail("model_type", fmt::format("is missing and 'architectures' ({}) names no model slmroof reads",
                                      DescribeJson(archs)));
  }

  // What differs from layer to layer: experts (§6.3), RoPE (SmolLM3), windows (§4.11).
  struct LayerPlan {
    LayerSpec moe;
    MoeRule moe_rule = MoeRule::kNone;
    int64_t first_dense = 0;            ///< DeepSeek first_k_dense_replace
    int64_t step = 1;                   ///< DeepSeek moe_layer_freq, Qwen decoder_sparse_step
    std::vector<bool> dense_only;       ///< Qwen mlp_only_layers, by layer
    std::vector<bool> rope;             ///< empty: every layer rotates
    std::vector<bool> windowed;         ///< by layer
    int64_t window = 0;
    bool IsMoe(int64_t i) const {
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
    bool WindowAt(int64_t i) const { return window > 0 && windowed[static_cast<size_t>(i)]; }
  };

  LayerPlan Plan(const Family& fam, const LayerSpec& dense, int64_t layers) const {
    LayerPlan plan;
    const size_t n = static_cast<size_t>(layers);
    if (fam.moe != MoeRule::kNone && ReadMoe(fam, dense, &plan.moe)) {
      plan.moe_rule = fam.moe;
      if (fam.moe == MoeRule::kDeepseek) {
        plan.first_dense = OptInt("first_k_dense_replace", limits::kLayerIndex).value_or(0);
        plan.step = std::max<int64_t>(1, OptInt("moe_layer_freq", limits::kLayerIndex).value_or(1));
      } else if (fam.moe == MoeRule::kQwen) {
        plan.step = std::max<int64_t>(1, OptInt("decoder_sparse_step", limits::kLayerIndex).value_or(1));
        plan.dense_only = LayerFlags("mlp_only_layers", layers);
      }
    }
    if (std::string(fam.model_type) == "smollm3") {
      plan.rope = RopeLayers(layers);
    }
    plan.windowed.assign(n, false);
    plan.window = Windows(fam, layers, &plan.windowed);
    return plan;
  }

  // Reads the MoE layer of a family; false when the config routes to no experts (a Qwen MoE
  // config with num_experts 0 is dense).
  bool ReadMoe(const Family& fam, const LayerSpec& dense, LayerSpec* out) const {
    LayerSpec moe = dense;
    FfnSpec& ffn = moe.ffn;
    const char* experts_key = fam.moe == MoeRule::kDeepseek ? "n_routed_experts"
                              : Has("num_local_experts")    ? "num_local_experts"
                                                            : "num_experts";
    // A Qwen MoE config with num_experts 0 is dense; DeepSeek's always routes.
    ffn.num_experts = Int(experts_key, fam.moe == MoeRule::kDeepseek
                                           ? IntRange{1, limits::kExperts.max}
                                           : limits::kExperts);
    if (ffn.num_experts == 0) {
      return false;
    }
    const char* k_key = Has("num_experts_per_tok") || !Has("experts_per_token")
                            ? "num_experts_per_tok"
                            : "experts_per_token";
    ffn.experts_per_token = Int(k_key, {limits::kExpertsPerToken.min, ffn.num_experts});
    const bool own_width_key = fam.moe == MoeRule::kDeepseek || fam.moe == MoeRule::kQwen;
    ffn.expert_intermediate_size =
        Int(own_width_key ? "moe_intermediate_size" : "intermediate_size", limits::kIntermediate);
    ffn.bias = false;
    ffn.intermediate_size = 0;
    ffn.num_shared_experts = 0;
    const std::string type = fam.model_type;
    if (fam.moe == MoeRule::kDeepseek) {
      ffn.num_shared_experts = OptInt("n_shared_experts", limits::kSharedExperts).value_or(0);
      ffn.intermediate_size = ffn.num_shared_experts * ffn.expert_intermediate_size;
    } else if (type == "qwen2_moe" || type == "granitemoeshared") {
      // One shared expert of its own width (Qwen2-MoE also gates it with a D×1 sigmoid, D
      // parameters per layer, not counted).
      const char* key = type == "qwen2_moe" ? "shared_expert_intermediate_size"
                                            : "shared_intermediate_size";
      ffn.intermediate_size = OptInt(key, {0, limits::kIntermediate.max}).value_or(0);
      ffn.num_shared_experts = ffn.intermediate_size > 0 ? 1 : 0;
    } else if (type == "gpt_oss") {
      ffn.router_bias = true;
      ffn.expert_bias = true;
    }
    *out = moe;
    return true;
  }

  // A list of layer indices (mlp_only_layers) as flags by layer.
  std::vector<bool> LayerFlags(const char* key, int64_t layers) const {
    std::vector<bool> flags(static_cast<size_t>(layers), false);
    if (!Has(key)) {
      return flags;
    }
    const json& list = f_.Array(*cfg_, key, Path(key));
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string path = fmt::format("{}[{}]", Path(key), i);
      if (!list[i].is_number_integer() || list[i].get<int64_t>() < 0 ||
          list[i].get<int64_t>() >= layers) {
        f_.Fail(path, fmt::format("must be a layer index from 0 to {}", layers - 1));
      }
      flags[list[i].get<size_t>()] = true;
    }
    return flags;
  }

  // SmolLM3 skips RoPE on some layers: no_rope_layers[i] is 1 where layer i uses RoPE, 0 where
  // it does not (configuration_smollm3.py; absent: every 4th layer skips it, no_rope_layer_interval).
  std::vector<bool> RopeLayers(int64_t layers) const {
    std::vector<bool> rope(static_cast<size_t>(layers), true);
    if (Has("no_rope_layers")) {
      const json& list = f_.Array(*cfg_, "no_rope_layers", Path("no_rope_layers"));
      if (list.size() != static_cast<size_t>(layers)) {
        f_.Fail(Path("no_rope_layers"), fmt::format("has {} entries for {} layers", list.size(), layers));
      }
      for (size_t i = 0; i < list.size(); ++i) {
        if (!list[i].is_number_integer() || (list[i] != 0 && list[i] != 1)) {
          f_.Fail(fmt::format("{}[{}]", Path("no_rope_layers"), i), "must be 0 or 1");
        }
        rope[i] = list[i] == 1;
      }
    } else {
      const int64_t interval =
          OptInt("no_rope_layer_interval", {1, limits::kLayers.max}).value_or(4);
      for (int64_t i = 0; i < layers; ++i) {
        rope[static_cast<size_t>(i)] = (i + 1) % interval != 0;
      }
    }
    return rope;
  }

  // §4.11: the window and the layers that attend through it. `layer_types` decides where a
  // config has it; otherwise the family's rule. Returns 0 when no layer is windowed.
  int64_t Windows(const Family& fam, int64_t layers, std::vector<bool>* windowed) const {
    if (fam.window == WindowRule::kNone || !Has("sliding_window")) {
      return 0;  // a window the family ignores is warned about in WarnIgnored
    }
    const std::string type = fam.model_type;
    if (fam.window == WindowRule::kFromLayer && !Bool("use_sliding_window", false)) {
      return 0;
    }
    const int64_t window = Int("sliding_window", limits::kWindow);
    if (Has("layer_types")) {
      const json& list = f_.Array(*cfg_, "layer_types", Path("layer_types"));
      if (list.size() != static_cast<size_t>(layers)) {
        f_.Fail(Path("layer_types"), fmt::format("has {} entries for {} layers", list.size(), layers));
      }
      for (size_t i = 0; i < list.size(); ++i) {
        const std::string path = fmt::format("{}[{}]", Path("layer_types"), i);
        const std::string kind = list[i].is_string() ? list[i].get<std::string>() : "";
        if (kind != "sliding_attention" && kind != "full_attention") {
          f_.Fail(path, fmt::format("is {}; this family's layers are \"sliding_attention\" or "
                                    "\"full_attention\"",
                                    DescribeJson(list[i])));
        }
        (*windowed)[i] = kind == "sliding_attention";
      }
      return window;
    }
    int64_t pattern = 0;
    if (fam.window == WindowRule::kPattern) {
      pattern = OptInt("sliding_window_pattern", {1, limits::kLayers.max})
                    .value_or(type == "cohere2" ? 4 : 6);
    }
    const int64_t from = fam.window == WindowRule::kFromLayer
                             ? OptInt("max_window_layers", {0, limits::kLayers.max})
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

  LayerSpec BaseLayer(const Family& fam, int64_t hidden) const {
    const std::string type = fam.model_type;
    LayerSpec layer;
    layer.norm = fam.norm;
    layer.norms_per_layer = fam.norms_per_layer;
    // StableLM with use_parallel_residual reads one norm for attention and MLP.
    if (type == "stablelm" && Bool("use_parallel_residual", false)) {
      layer.norms_per_layer = 1;
    }
    AttentionSpec& a = layer.attention;
    a.num_heads = Int("num_attention_heads", limits::kHeads);
    const bool bias = Bool("attention_bias", type == "gpt_neox") || fam.all_bias;
    if (fam.mla) {
      a.kind = AttentionKind::kMla;
      a.q_lora_rank = OptInt("q_lora_rank", limits::kQLoraRank).value_or(0);
      a.kv_lora_rank = Int("kv_lora_rank", limits::kLoraRank);
      a.qk_nope_head_dim = Int("qk_nope_head_dim", limits::kHeadDim);
      a.qk_rope_head_dim = Int("qk_rope_head_dim", limits::kHeadDim);
      // MiniCPM3 publishes no v_head_dim: its value heads are hidden_size / heads wide.
      a.v_head_dim = OptInt("v_head_dim", limits::kHeadDim).value_or(DividedHidden(hidden, a.num_heads));
    } else {
      a.num_kv_heads = OptInt("num_key_value_heads", limits::kHeads).value_or(a.num_heads);
      // Some configs write head_dim 0 (or null) for "hidden_size / heads".
      a.head_dim = OptInt("head_dim", {0, limits::kHeadDim.max}).value_or(0);
      if (a.head_dim == 0) {
        a.head_dim = DividedHidden(hidden, a.num_heads);
      }
      a.v_head_dim = a.head_dim;
      a.qkv_bias = bias || fam.qkv_bias || (type == "stablelm" && Bool("use_qkv_bias", false));
      a.o_bias = bias;
      a.qk_norm_full = type == "olmo2" || type == "olmoe";  // q_norm over H·dh, k_norm over Hkv·dh
      a.qk_norm = fam.qk_norm || (type == "stablelm" && Bool("qk_layernorm", false)) ||
                  ((type == "cohere" || type == "cohere2") && Bool("use_qk_norm", false)) ||
                  (type == "phi" && Bool("qk_layernorm", false));
      double fraction = f_.OptNumber(*cfg_, "partial_rotary_factor", Path("partial_rotary_factor"),
                                     limits::kFraction)
                            .value_or(fam.rotary_default);
      if (type == "gpt_neox") {
        fraction = f_.OptNumber(*cfg_, "rotary_pct", Path("rotary_pct"), limits::kFraction).value_or(0.25);
      }
      a.rope_dim = static_cast<int64_t>(std::floor(static_cast<double>(a.head_dim) * fraction));
    }
    FfnSpec& ffn = layer.ffn;
    ffn.kind = fam.ffn;
    std::string act_key = "hidden_activation";
    std::optional<std::string> act = f_.OptString(*cfg_, "hidden_activation", Path("hidden_activation"));
    if (!act) {
      act_key = "hidden_act";
      act = f_.OptString(*cfg_, "hidden_act", Path("hidden_act"));
    }
    ffn.activation = reader::ParseActivation(f_, act.value_or(fam.default_act), Path(act_key.c_str()));
    ffn.intermediate_size = Int("intermediate_size", limits::kIntermediate);
    ffn.bias = Bool("mlp_bias", type == "gpt_neox") || fam.all_bias;
    return layer;
  }

  int64_t DividedHidden(int64_t hidden, int64_t heads) const {
    if (hidden % heads != 0) {
      f_.Fail(Path("num_attention_heads"),
              fmt::format("({}) does not divide hidden_size ({}) and no head_dim is given", heads, hidden));
    }
    return hidden / heads;
  }

  // One warning naming every field present that changes cost but that slmroof does not model yet
  // (README "Inputs"): the figures then describe the model as if those fields were absent.
  void WarnIgnored(const Family& fam, ModelSpec* m) const {
    std::vector<std::string> ignored;
    const int64_t context = m->max_context;
    // A family without a window rule: transformers' modeling file attends over the whole
    // context whatever sliding_window says, but the user may expect otherwise.
    const std::string type = fam.model_type;
    if (fam.window == WindowRule::kNone && Has("sliding_window") &&
        (*cfg_)["sliding_window"].is_number()) {
      const double window = (*cfg_)["sliding_window"].get<double>();
      if (context == 0 || window < static_cast<double>(context)) {
        ignored.push_back(fmt::format("sliding_window ({})", DescribeJson((*cfg_)["sliding_window"])));
      }
    }
    if (fam.window == WindowRule::kNone && Has("layer_types") && (*cfg_)["layer_types"].is_array()) {
      const json& types = (*cfg_)["layer_types"];
      const bool all_full = std::all_of(types.begin(), types.end(), [](const json& t) {
        return t.is_string() && t.get<std::string>() == "full_attention";
      });
      if (!all_full) {
        ignored.emplace_back("layer_types");
      }
    }
    for (const char* key : {"sliding_window_pattern", "attention_chunk_size"}) {
      const bool applied =
          fam.window == WindowRule::kPattern && std::string(key) == "sliding_window_pattern";
      if (Has(key) && !applied) {
        ignored.emplace_back(key);
      }
    }
    if (fam.moe == MoeRule::kNone) {
      for (const char* key : {"num_experts", "num_local_experts", "n_routed_experts"}) {
        if (Has(key) && (*cfg_)[key].is_number() && (*cfg_)[key].get<double>() > 1) {
          ignored.push_back(fmt::format("{} ({})", key, DescribeJson((*cfg_)[key])));
        }
      }
    }
    if (ignored.empty()) {
      return;
    }
    m->warnings.push_back(fmt::format(
        "{}: {} {} the cost but {} not applied to model_type {}: every layer is costed as full "
        "attention over the whole context with a dense FFN (read the config --as the family that "
        "applies {})",
        f_.origin(), fmt::join(ignored, ", "), ignored.size() == 1 ? "changes" : "change",
        ignored.size() == 1 ? "is" : "are", type, ignored.size() == 1 ? "it" : "them"));
  }

  const JsonFields& f_;
  const json& top_;
  const json* cfg_;     ///< the language model's fields: the top level, or gemma3's text_config
  json filled_;         ///< cfg_ with a family's defaults filled in, where it needs them
  std::string prefix_;  ///< the JSON path of cfg_ ("text_config.")
  std::string as_;
};

}  // namespace

const std::vector<std::string>& SupportedModelTypes() {
  static const std::vector<std::string> kTypes = [] {
    std::vector<std::string> t;
    for (const Family& f : kFamilies) {
      t.emplace_back(f.model_type);
    }
    t.emplace_back("gemma3");
    for (const reader::HybridFamily& h : reader::HybridFamilies()) {
      t.emplace_back(h.model_type);
    }
    std::sort(t.begin(), t.end());
    return t;
  }();
  return kTypes;
}

namespace reader {

ModelSpec ReadHfConfig(const JsonFields& f, const json& cfg, const std::string& name,
                       const std::string& as_family) {
  return HfReader(f, cfg, as_family).Read(name);
}

}  // namespace reader

}  // namespace slmroof
