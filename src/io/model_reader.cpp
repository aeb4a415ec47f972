#include "slmroof/io/model_reader.hpp"
#include "slmroof/io/gguf.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include <fmt/format.h>

#include "slmroof/errors.hpp"
#include "io/model_common.hpp"
#include "slmroof/io/json_fields.hpp"
#include "slmroof/presets.hpp"
#include "slmroof/text.hpp"
#include "slmroof/units.hpp"

namespace slmroof {

using nlohmann::json;

namespace reader {

Activation ParseActivation(const JsonFields& f, const std::string& value, const std::string& path) {
  const std::string v = ToLower(value);
  if (v == "silu" || v == "swish") {
    return Activation::kSilu;
  }
  if (v == "gelu" || v == "gelu_python") {  // erf form
    return Activation::kGelu;
  }
  if (v == "gelu_new" || v == "gelu_fast" || v == "gelu_pytorch_tanh") {  // tanh approximation
    return Activation::kGeluTanh;
  }
  if (v == "relu") {
    return Activation::kRelu;
  }
  if (v == "relu2" || v == "relu_squared" || v == "squared_relu") {
    return Activation::kReluSquared;
  }
  f.Fail(path, fmt::format("names an unknown activation {} (known: silu, gelu, gelu_pytorch_tanh, "
                           "relu, relu2)", Excerpt(value)));
}

void AppendLayers(ModelSpec* model, const LayerSpec& layer, int64_t repeat) {
  if (!model->groups.empty() && model->groups.back().layer == layer) {
    model->groups.back().repeat += repeat;
  } else {
    model->groups.push_back({layer, repeat});
  }
}

}  // namespace reader

namespace {

using reader::AppendLayers;
using reader::ParseActivation;

// ---------------------------------------------------------------------------------------------
// Native format (docs/model-format.md, "Native format").

NormKind ParseNorm(const JsonFields& f, const json& obj, const std::string& path) {
  const std::string v = f.OptString(obj, "norm", path).value_or("rmsnorm");
  if (v == "rmsnorm") {
    return NormKind::kRmsNorm;
  }
  if (v == "layernorm") {
    return NormKind::kLayerNorm;
  }
  f.Fail(path, fmt::format("must be \"rmsnorm\" or \"layernorm\", got {}", Excerpt(v)));
}

AttentionSpec ParseNativeAttention(const JsonFields& f, const json& obj, const std::string& p) {
  AttentionSpec a;
  const std::string type = f.String(obj, "type", p + ".type");
  a.num_heads = f.Int(obj, "num_heads", p + ".num_heads", limits::kHeads);
  if (type == "mla") {
    a.kind = AttentionKind::kMla;
    a.q_lora_rank = f.OptInt(obj, "q_lora_rank", p + ".q_lora_rank", limits::kQLoraRank).value_or(0);
    a.kv_lora_rank = f.Int(obj, "kv_lora_rank", p + ".kv_lora_rank", limits::kLoraRank);
    a.qk_nope_head_dim = f.Int(obj, "qk_nope_head_dim", p + ".qk_nope_head_dim", limits::kHeadDim);
    a.qk_rope_head_dim = f.Int(obj, "qk_rope_head_dim", p + ".qk_rope_head_dim", limits::kHeadDim);
    a.v_head_dim = f.Int(obj, "v_head_dim", p + ".v_head_dim", limits::kHeadDim);
    return a;
  }
  if (type != "standard") {
    f.Fail(p + ".type", fmt::format("must be \"standard\" or \"mla\", got {}", Excerpt(type)));
  }
  a.num_kv_heads = f.OptInt(obj, "num_kv_heads", p + ".num_kv_heads", limits::kHeads).value_or(a.num_heads);
  if (a.num_heads % a.num_kv_heads != 0) {
    f.Fail(p + ".num_kv_heads",
           fmt::format("({}) must divide num_heads ({})", a.num_kv_heads, a.num_heads));
  }
  a.head_dim = f.Int(obj, "head_dim", p + ".head_dim", limits::kHeadDim);
  a.v_head_dim = f.OptInt(obj, "v_head_dim", p + ".v_head_dim", limits::kHeadDim).value_or(a.head_dim);
  a.rope_dim = f.OptInt(obj, "rope_dim", p + ".rope_dim", {0, a.head_dim}).value_or(a.head_dim);
  a.qkv_bias = f.OptBool(obj, "qkv_bias", p + ".qkv_bias").value_or(false);
  a.o_bias = f.OptBool(obj, "o_bias", p + ".o_bias").value_or(false);
  a.qk_norm = f.OptBool(obj, "qk_norm", p + ".qk_norm").value_or(false);
  a.sliding_window =
      f.OptInt(obj, "sliding_window", p + ".sliding_window", limits::kWindow).value_or(0);
  return a;
}

// §11: a recurrent mixer: {"type": "mamba1" | "mamba2" | "gated_deltanet" | "short_conv", ...}.
void ParseNativeMixer(const JsonFields& f, const json& obj, const std::string& p, LayerSpec* layer) {
  constexpr IntRange kState{1, 1 << 16};
  constexpr IntRange kTaps{1, 1024};
  const std::string type = f.String(obj, "type", p + ".type");
  auto num = [&](const char* key, IntRange r) { return f.Int(obj, key, p + "." + key, r); };
  auto opt = [&](const char* key, IntRange r, int64_t fallback) {
    return f.OptInt(obj, key, p + "." + key, r).value_or(fallback);
  };
  if (type == "mamba1" || type == "mamba2") {
    layer->mixer = MixerKind::kMamba;
    SsmSpec& s = layer->ssm;
    s.version = type == "mamba1" ? 1 : 2;
    s.d_inner = num("d_inner", limits::kIntermediate);
    s.d_state = num("d_state", kState);
    s.d_conv = opt("d_conv", kTaps, 4);
    s.conv_bias = f.OptBool(obj, "conv_bias", p + ".conv_bias").value_or(true);
    s.proj_bias = f.OptBool(obj, "proj_bias", p + ".proj_bias").value_or(false);
    if (s.version == 1) {
      s.dt_rank = num("dt_rank", limits::kHeadDim);
    } else {
      s.num_heads = num("num_heads", limits::kHeads);
      s.n_groups = opt("n_groups", limits::kHeads, 1);
      s.chunk_size = opt("chunk_size", {1, 1 << 16}, 256);
      s.gated_norm = f.OptBool(obj, "gated_norm", p + ".gated_norm").value_or(true);
    }
  } else if (type == "gated_deltanet") {
    layer->mixer = MixerKind::kGatedDeltaNet;
    DeltaNetSpec& g = layer->delta;
    g.num_k_heads = num("num_k_heads", limits::kHeads);
    g.num_v_heads = num("num_v_heads", limits::kHeads);
    g.head_k_dim = num("head_k_dim", kState);
    g.head_v_dim = num("head_v_dim", kState);
    g.conv_kernel = opt("conv_kernel", kTaps, 4);
    g.chunk_size = opt("chunk_size", {1, 1 << 16}, 64);
  } else if (type == "short_conv") {
    layer->mixer = MixerKind::kShortConv;
    layer->conv.kernel = opt("kernel", kTaps, 3);
    layer->conv.bias = f.OptBool(obj, "bias", p + ".bias").value_or(false);
  } else {
    f.Fail(p + ".type", fmt::format("must be mamba1, mamba2, gated_deltanet or short_conv, got {}",
                                    Excerpt(type)));
  }
}

FfnSpec ParseNativeFfn(const JsonFields& f, const json& obj, const std::string& p) {
  FfnSpec ffn;
  const std::string type = f.String(obj, "type", p + ".type");
  if (type == "gated") {
    ffn.kind = FfnKind::kGated;
  } else if (type == "mlp") {
    ffn.kind = FfnKind::kMlp;
  } else {
    f.Fail(p + ".type", fmt::format("must be \"gated\" or \"mlp\", got {}", Excerpt(type)));
  }
  ffn.activation = ParseActivation(f, f.String(obj, "activation", p + ".activation"), p + ".activation");
  ffn.bias = f.OptBool(obj, "bias", p + ".bias").value_or(false);
  ffn.num_experts = f.OptInt(obj, "num_experts", p + ".num_experts", limits::kExperts).value_or(0);
  if (ffn.num_experts > 0) {
    ffn.num_shared_experts =
        f.OptInt(obj, "num_shared_experts", p + ".num_shared_experts", limits::kSharedExperts).value_or(0);
    ffn.experts_per_token = f.Int(obj, "experts_per_token", p + ".experts_per_token",
                                  {limits::kExpertsPerToken.min, ffn.num_experts});
    ffn.expert_intermediate_size = f.Int(obj, "expert_intermediate_size",
                                         p + ".expert_intermediate_size", limits::kIntermediate);
    // The shared experts' total width: num_shared_experts experts of the routed width unless
    // shared_intermediate_size says otherwise (§6.3).
    ffn.intermediate_size =
        ffn.num_shared_experts == 0
            ? 0
            : f.OptInt(obj, "shared_intermediate_size", p + ".shared_intermediate_size",
                       limits::kIntermediate)
                  .value_or(ffn.num_shared_experts * ffn.expert_intermediate_size);
    ffn.router_bias = f.OptBool(obj, "router_bias", p + ".router_bias").value_or(false);
    ffn.expert_bias = f.OptBool(obj, "expert_bias", p + ".expert_bias").value_or(false);
    if (ffn.bias) {
      f.Fail(p + ".bias", "is not supported together with experts (use expert_bias)");
    }
  } else {
    ffn.intermediate_size = f.Int(obj, "intermediate_size", p + ".intermediate_size", limits::kIntermediate);
  }
  return ffn;
}

ModelSpec ReadNative(const JsonFields& f, const json& doc, const std::string& name) {
  const int64_t version =
      f.Int(doc, "slmroof_model", "slmroof_model", {0, std::numeric_limits<int64_t>::max()});
  if (version != 1) {
    f.Fail("slmroof_model", fmt::format("is {}, but this slmroof reads version 1", version));
  }
  ModelSpec m;
  m.name = f.OptName(doc, "name", "name").value_or(name);
  m.display_name = f.OptString(doc, "display_name", "display_name", limits::kMaxDisplayNameBytes).value_or(m.name);
  m.source = f.OptString(doc, "source", "source").value_or("");
  m.family = "native";
  m.vocab_size = f.Int(doc, "vocab_size", "vocab_size", limits::kVocab);
  m.hidden_size = f.Int(doc, "hidden_size", "hidden_size", limits::kHidden);
  m.tie_word_embeddings = f.OptBool(doc, "tie_word_embeddings", "tie_word_embeddings").value_or(false);
  m.final_norm = ParseNorm(f, doc, "norm");
  m.max_context = f.OptInt(doc, "max_context", "max_context", limits::kContext).value_or(0);
  const json& layers = f.Array(doc, "layers", "layers");
  if (layers.size() > static_cast<size_t>(limits::kLayers.max)) {
    f.Fail("layers", fmt::format("has {} entries, more than the {} layers a model may have",
                                 layers.size(), limits::kLayers.max));
  }
  int64_t total_layers = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string p = fmt::format("layers[{}]", i);
    const json& g = layers[i];
    if (!g.is_object()) {
      f.Fail(p, "must be an object");
    }
    LayerSpec layer;
    layer.norm = m.final_norm;
    // A layer is a mixer (attention, or a recurrent "mixer" with attention beside it when both
    // are given) and an FFN; either may be absent, not both (docs/cost-model.md §11).
    const bool has_mixer = g.contains("mixer");
    const bool has_attention = g.contains("attention");
    layer.has_ffn = g.contains("ffn");
    if (!has_mixer && !has_attention && !layer.has_ffn) {
      f.Fail(p, "needs an \"attention\", a \"mixer\" or an \"ffn\"");
    }
    if (has_mixer) {
      ParseNativeMixer(f, f.Object(g, "mixer", p + ".mixer"), p + ".mixer", &layer);
      layer.parallel_attention = has_attention;
    } else if (!has_attention) {
      layer.mixer = MixerKind::kNone;
    }
    if (has_attention) {
      layer.attention = ParseNativeAttention(f, f.Object(g, "attention", p + ".attention"), p + ".attention");
    }
    if (layer.has_ffn) {
      layer.ffn = ParseNativeFfn(f, f.Object(g, "ffn", p + ".ffn"), p + ".ffn");
    }
    const bool both = layer.mixer != MixerKind::kNone && layer.has_ffn;
    layer.norms_per_layer = f.OptInt(g, "norms_per_layer", p + ".norms_per_layer", limits::kNormsPerLayer)
                                .value_or(both ? 2 : 1);
    if (layer.norms_per_layer == 3) {
      f.Fail(p + ".norms_per_layer", "must be 1, 2 or 4");
    }
    // The sum of repeats is checked as it grows, so it cannot overflow.
    const int64_t repeat = f.OptInt(g, "repeat", p + ".repeat", limits::kLayers).value_or(1);
    total_layers += repeat;
    if (total_layers > limits::kLayers.max) {
      f.Fail(p + ".repeat", fmt::format("brings the model to {} layers, more than {}", total_layers,
                                        limits::kLayers.max));
    }
    // Kept as written (not merged) so operator names follow the file's layer numbering.
    m.groups.push_back({layer, repeat});
  }
  return m;
}

}  // namespace

ModelSpec ParseModelJson(const std::string& text, const std::string& origin, const std::string& name,
                         const std::string& as_family) {
  JsonFields f(origin);
  const json doc = f.ParseObject(text);
  ModelSpec m;
  if (doc.contains("slmroof_model")) {
    if (!as_family.empty()) {
      throw UsageError(fmt::format("--as {}: {} is a slmroof model file, not a HuggingFace config",
                                   as_family, origin));
    }
    m = ReadNative(f, doc, name);
  } else if (doc.contains("model_type") || doc.contains("architectures") ||
             reader::IsMambaSsmConfig(doc)) {
    if (reader::IsMambaSsmConfig(doc)) {
      if (!as_family.empty()) {
        throw UsageError(fmt::format("--as {}: {} is a mamba_ssm config, read as it is", as_family,
                                     origin));
      }
      m = reader::ReadMambaSsmConfig(f, doc, name);
    } else {
      m = reader::ReadHfConfig(f, doc, name, as_family);
    }
    if (doc.contains("_slmroof") && doc["_slmroof"].is_object()) {
      const json& meta = doc["_slmroof"];
      m.display_name = f.OptString(meta, "display_name", "_slmroof.display_name", limits::kMaxDisplayNameBytes).value_or(name);
      m.source = f.OptString(meta, "source", "_slmroof.source").value_or("");
    }
  } else {
    throw InputError(fmt::format(
        "{}: neither a slmroof model (no field 'slmroof_model'), a HuggingFace config.json (no "
        "field 'model_type') nor a mamba_ssm config (no fields 'd_model' and 'n_layer')",
        origin));
  }
  if (m.display_name.empty()) {
    m.display_name = m.name;
  }
  ValidateModel(m, origin);
  return m;
}

ModelSpec LoadModel(const std::string& name_or_path, const std::string& as_family) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(name_or_path, ec)) {
    // The stem names the model in every output: kept valid UTF-8 whatever the file system holds.
    const std::string stem = ValidUtf8(std::filesystem::path(name_or_path).stem().string());
    if (LooksLikeGguf(name_or_path)) {
      if (!as_family.empty()) {
        throw UsageError(fmt::format("--as {}: {} is a GGUF file, read by its general.architecture",
                                     as_family, name_or_path));
      }
      return ModelFromGguf(ReadGguf(name_or_path), stem);
    }
    return ParseModelJson(ReadTextFile(name_or_path), name_or_path, stem, as_family);
  }
  const auto& presets = EmbeddedModelPresets();
  if (const PresetText* p = FindPreset(presets, ToLower(name_or_path))) {
    return ParseModelJson(p->text, fmt::format("preset '{}'", p->name), p->name);
  }
  if (LooksLikePath(name_or_path)) {
    ReadTextFile(name_or_path);  // throws, saying why it cannot be read
  }
  const std::string hint = ClosestName(ToLower(name_or_path), PresetNames(presets));
  throw InputError(fmt::format("unknown model {}{} (see 'slmroof list models')", Excerpt(name_or_path),
                               hint.empty() ? "" : fmt::format(", did you mean '{}'?", hint)));
}

}  // namespace slmroof
