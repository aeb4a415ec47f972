// HuggingFace config.json (README "Inputs"; docs/cost-model.md §3 for what each field costs): one
// table row per model_type, and the reader that turns a config into layer groups.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "io/hf_family.hpp"
#include "io/model_common.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/text.hpp"
#include "slmroof/units.hpp"

namespace slmroof {

using nlohmann::json;

using reader::Family;
using reader::MoeRule;
using reader::WindowRule;

namespace {

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

// Multimodal model_types whose language model is a text_config of another type; their vision
// (and audio) towers are not costed.
struct Wrapper {
  const char* model_type;
  const char* architecture;
  const char* text_type;
  const char* towers;
  bool plural;
};
const Wrapper kWrappers[] = {
    {"gemma3", "Gemma3ForConditionalGeneration", "gemma3_text", "vision tower (vision_config)", false},
    {"qwen3_5", "Qwen3_5ForConditionalGeneration", "qwen3_5_text", "vision tower (vision_config)", false},
    {"qwen3_5_moe", "Qwen3_5MoeForConditionalGeneration", "qwen3_5_moe_text",
     "vision tower (vision_config)", false},
    {"gemma3n", "Gemma3nForConditionalGeneration", "gemma3n_text",
     "vision and audio towers (vision_config, audio_config)", true},
};

const Wrapper* FindWrapper(const std::string& type) {
  for (const Wrapper& w : kWrappers) {
    if (type == w.model_type) {
      return &w;
    }
  }
  return nullptr;
}

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
      : f_(f), top_(cfg), v_(f, cfg), as_(std::move(as_family)) {}

  ModelSpec Read(const std::string& name) {
    std::string type = as_.empty() ? ModelType() : as_;
    ModelSpec m;
    m.name = name;
    // A multimodal model keeps its language model in text_config.
    if (const Wrapper* w = FindWrapper(type)) {
      v_ = reader::View(f_, f_.Object(top_, "text_config", "text_config"), "text_config.");
      type = w->text_type;
      m.warnings.push_back(fmt::format("{}: the {} {} not costed; text generation only",
                                       f_.origin(), w->towers, w->plural ? "are" : "is"));
    }
    if (const reader::HybridFamily* hybrid = FindHybrid(type)) {
      return ReadHybrid(*hybrid, std::move(m));
    }
    const Family* fam = FindFamily(type);
    if (fam == nullptr) {
      // The list of supported types is too long for one message line (limits in
      // docs/robustness.md): the closest one, and where the list is.
      const std::string hint = ClosestName(type, SupportedModelTypes());
      f_.Fail(as_.empty() ? "model_type" : "--as",
              fmt::format("is {}, which slmroof does not read{} ({} model types are read, listed "
                          "by `slmroof analyze --help` under --as; a llama-shaped config can be "
                          "read with --as llama)",
                          Excerpt(type), hint.empty() ? "" : fmt::format("; did you mean '{}'?", hint),
                          SupportedModelTypes().size()));
    }
    m.family = type;
    if (type == "gemma3_text") {
      FillGemma3Defaults();
    }
    m.vocab_size = v_.Int("vocab_size", limits::kVocab);
    m.hidden_size = v_.Int("hidden_size", limits::kHidden);
    m.tie_word_embeddings = v_.Bool("tie_word_embeddings", fam->tie_default);
    m.final_norm = fam->norm;
    m.max_context = v_.OptInt("max_position_embeddings", limits::kContext).value_or(0);
    // Bounded before the per-layer loops below run.
    const int64_t layers = v_.Int("num_hidden_layers", limits::kLayers);
    const LayerSpec dense = BaseLayer(*fam, m.hidden_size);
    const reader::LayerPlan plan = reader::PlanLayers(v_, *fam, dense, layers);
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
    m.vocab_size = v_.Int("vocab_size", limits::kVocab);
    m.hidden_size = v_.Int("hidden_size", limits::kHidden);
    // LFM2 names the switch tie_embedding.
    m.tie_word_embeddings = v_.Bool("tie_word_embeddings", v_.Bool("tie_embedding", h.tie_default));
    m.final_norm = NormKind::kRmsNorm;
    m.max_context = v_.OptInt("max_position_embeddings", limits::kContext).value_or(0);
    const int64_t layers = v_.Int("num_hidden_layers", limits::kLayers);
    reader::ReadHybridLayers(f_, v_.json(), h.model_type, layers, &m);
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
    filled_ = v_.json();
    for (const auto& [key, value] : kDefaults) {
      if (!filled_.contains(key)) {
        filled_[key] = value;
      }
    }
    v_ = reader::View(f_, filled_, "text_config.");
  }
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
      for (const Wrapper& w : kWrappers) {
        if (a.get<std::string>() == w.architecture) {
          return w.model_type;
        }
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

  LayerSpec BaseLayer(const Family& fam, int64_t hidden) const {
    const std::string type = fam.model_type;
    LayerSpec layer;
    layer.norm = fam.norm;
    layer.norms_per_layer = fam.norms_per_layer;
    // StableLM with use_parallel_residual reads one norm for attention and MLP.
    if (type == "stablelm" && v_.Bool("use_parallel_residual", false)) {
      layer.norms_per_layer = 1;
    }
    AttentionSpec& a = layer.attention;
    a.num_heads = v_.Int("num_attention_heads", limits::kHeads);
    const bool bias = v_.Bool("attention_bias", type == "gpt_neox") || fam.all_bias;
    if (fam.mla) {
      a.kind = AttentionKind::kMla;
      a.q_lora_rank = v_.OptInt("q_lora_rank", limits::kQLoraRank).value_or(0);
      a.kv_lora_rank = v_.Int("kv_lora_rank", limits::kLoraRank);
      a.qk_nope_head_dim = v_.Int("qk_nope_head_dim", limits::kHeadDim);
      a.qk_rope_head_dim = v_.Int("qk_rope_head_dim", limits::kHeadDim);
      // MiniCPM3 publishes no v_head_dim: its value heads are hidden_size / heads wide.
      a.v_head_dim = v_.OptInt("v_head_dim", limits::kHeadDim).value_or(DividedHidden(hidden, a.num_heads));
    } else {
      a.num_kv_heads = v_.OptInt("num_key_value_heads", limits::kHeads).value_or(a.num_heads);
      // Some configs write head_dim 0 (or null) for "hidden_size / heads".
      a.head_dim = v_.OptInt("head_dim", {0, limits::kHeadDim.max}).value_or(0);
      if (a.head_dim == 0) {
        a.head_dim = DividedHidden(hidden, a.num_heads);
      }
      a.v_head_dim = a.head_dim;
      a.qkv_bias = bias || fam.qkv_bias || (type == "stablelm" && v_.Bool("use_qkv_bias", false));
      a.o_bias = bias;
      a.qk_norm_full = type == "olmo2" || type == "olmoe";  // q_norm over H·dh, k_norm over Hkv·dh
      a.qk_norm = fam.qk_norm || (type == "stablelm" && v_.Bool("qk_layernorm", false)) ||
                  ((type == "cohere" || type == "cohere2") && v_.Bool("use_qk_norm", false)) ||
                  (type == "phi" && v_.Bool("qk_layernorm", false));
      double fraction = v_.OptNumber("partial_rotary_factor", limits::kFraction)
                            .value_or(fam.rotary_default);
      if (type == "gpt_neox") {
        fraction = v_.OptNumber("rotary_pct", limits::kFraction).value_or(0.25);
      }
      a.rope_dim = static_cast<int64_t>(std::floor(static_cast<double>(a.head_dim) * fraction));
    }
    FfnSpec& ffn = layer.ffn;
    ffn.kind = fam.ffn;
    std::string act_key = "hidden_activation";
    std::optional<std::string> act = v_.OptString("hidden_activation");
    if (!act) {
      act_key = "hidden_act";
      act = v_.OptString("hidden_act");
    }
    ffn.activation = reader::ParseActivation(f_, act.value_or(fam.default_act), v_.Path(act_key));
    ffn.intermediate_size = v_.Int("intermediate_size", limits::kIntermediate);
    ffn.bias = v_.Bool("mlp_bias", type == "gpt_neox") || fam.all_bias;
    return layer;
  }

  int64_t DividedHidden(int64_t hidden, int64_t heads) const {
    if (hidden % heads != 0) {
      v_.FailKey("num_attention_heads",
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
    if (fam.window == WindowRule::kNone && v_.Has("sliding_window") &&
        v_["sliding_window"].is_number()) {
      const double window = v_["sliding_window"].get<double>();
      if (context == 0 || window < static_cast<double>(context)) {
        ignored.push_back(fmt::format("sliding_window ({})", DescribeJson(v_["sliding_window"])));
      }
    }
    if (fam.window == WindowRule::kNone && v_.Has("layer_types") && v_["layer_types"].is_array()) {
      const json& types = v_["layer_types"];
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
      if (v_.Has(key) && !applied) {
        ignored.emplace_back(key);
      }
    }
    if (fam.moe == MoeRule::kNone) {
      for (const char* key : {"num_experts", "num_local_experts", "n_routed_experts"}) {
        if (v_.Has(key) && v_[key].is_number() && v_[key].get<double>() > 1) {
          ignored.push_back(fmt::format("{} ({})", key, DescribeJson(v_[key])));
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
  reader::View v_;  ///< the language model's fields: the top level, or gemma3's text_config
  json filled_;     ///< v_'s object with a family's defaults filled in, where it needs them
  std::string as_;
};

}  // namespace

const std::vector<std::string>& SupportedModelTypes() {
  static const std::vector<std::string> kTypes = [] {
    std::vector<std::string> t;
    for (const Family& f : kFamilies) {
      t.emplace_back(f.model_type);
    }
    for (const Wrapper& w : kWrappers) {
      t.emplace_back(w.model_type);
    }
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
