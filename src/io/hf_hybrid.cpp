// HuggingFace configs of state-space and hybrid families (README "Inputs"; docs/cost-model.md
// §11): which layer is Mamba, linear attention, convolution, attention or MLP, and their shapes.
// Each family's keys and defaults follow its transformers configuration_<model_type>.py.
#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "io/hf_view.hpp"
#include "io/model_common.hpp"
#include "slmroof/limits.hpp"
#include "slmroof/text.hpp"

namespace slmroof::reader {

using nlohmann::json;

namespace {

constexpr IntRange kState{1, 1 << 16};     // d_state, dk, dv
constexpr IntRange kConv{1, 1024};         // convolution taps
constexpr IntRange kChunk{1, 1 << 16};

// Softmax attention of a hybrid family; `rope` is the rotated fraction of head_dim.
AttentionSpec Attention(const View& v, int64_t hidden, double rope, bool qk_norm) {
  AttentionSpec a;
  a.num_heads = v.Int("num_attention_heads", limits::kHeads);
  a.num_kv_heads = v.IntOr("num_key_value_heads", limits::kHeads, a.num_heads);
  a.head_dim = v.IntOr("head_dim", {0, limits::kHeadDim.max}, 0);
  if (a.head_dim == 0) {
    if (hidden % a.num_heads != 0) {
      v.FailKey("num_attention_heads", fmt::format("({}) does not divide hidden_size ({}) and no head_dim is given",
                                                a.num_heads, hidden));
    }
    a.head_dim = hidden / a.num_heads;
  }
  a.v_head_dim = a.head_dim;
  a.rope_dim = static_cast<int64_t>(std::floor(static_cast<double>(a.head_dim) * rope));
  a.qkv_bias = a.o_bias = v.Bool("attention_bias", false);
  a.qk_norm = qk_norm;
  return a;
}

// A gated (SwiGLU) or plain MLP of `width`.
FfnSpec Mlp(int64_t width, FfnKind kind, Activation act, bool bias) {
  FfnSpec f;
  f.kind = kind;
  f.activation = act;
  f.intermediate_size = width;
  f.bias = bias;
  return f;
}

// A Mamba-2 mixer from keys that differ by family: `names` gives the key of each field in order
// (state, heads, head_dim, groups, conv, chunk, expand); `d_inner_key` may name an explicit width.
struct Mamba2Keys {
  const char* state;
  const char* heads;
  const char* head_dim;
  const char* groups;
  const char* conv;
  const char* chunk;
  const char* expand;
  const char* d_inner;      // nullptr: heads × head_dim
  const char* conv_bias;
  const char* proj_bias;
  const char* norm;         // the gated-norm switch; nullptr: always normed
  int64_t state_default, groups_default, chunk_default;
  bool norm_default = true;      // when the `norm` key is absent
  int64_t d_inner_default = 0;   // when the `d_inner` key is absent; 0: heads × width or expand·D
};

SsmSpec Mamba2(const View& v, int64_t hidden, const Mamba2Keys& k) {
  SsmSpec m;
  m.version = 2;
  m.d_state = v.IntOr(k.state, kState, k.state_default);
  m.n_groups = v.IntOr(k.groups, limits::kHeads, k.groups_default);
  m.d_conv = v.IntOr(k.conv, kConv, 4);
  m.chunk_size = v.IntOr(k.chunk, kChunk, k.chunk_default);
  m.conv_bias = v.Bool(k.conv_bias, true);
  m.proj_bias = v.Bool(k.proj_bias, false);
  m.gated_norm = k.norm == nullptr || v.Bool(k.norm, k.norm_default);
  const int64_t expand = v.IntOr(k.expand, {1, 64}, 2);
  // The inner width: explicit (Falcon-H1's mamba_d_ssm), heads × head width, or expand × D; 0
  // below stands for a key the config leaves out (or sets to "auto").
  const int64_t width = k.d_inner != nullptr && v.IsNumber(k.d_inner)
                            ? v.Int(k.d_inner, limits::kIntermediate)
                            : k.d_inner_default;
  const int64_t heads = v.IsNumber(k.heads) ? v.Int(k.heads, limits::kHeads) : 0;
  const int64_t head_dim = v.IsNumber(k.head_dim) ? v.Int(k.head_dim, limits::kHeadDim) : 0;
  if (heads > 0 && head_dim > 0) {
    m.num_heads = heads;
    m.d_inner = width > 0 ? width : heads * head_dim;
  } else {
    m.d_inner = width > 0 ? width : expand * hidden;
    m.num_heads = heads > 0 ? heads : m.d_inner / (head_dim > 0 ? head_dim : 64);
  }
  return m;
}

void Append(ModelSpec* m, const LayerSpec& layer) { AppendLayers(m, layer, 1); }

LayerSpec Base(NormKind norm, int64_t norms) {
  LayerSpec l;
  l.norm = norm;
  l.norms_per_layer = norms;
  return l;
}

// mamba: every layer a Mamba-1 mixer, one RMSNorm, no FFN (configuration_mamba.py).
// falcon_mamba has the same keys and layers; its extra RMSNorms on B, C and Δ have no weights
// (modeling_falcon_mamba.py's rms_forward) and cost 4 FLOP per element of 2N + R: not counted.
void ReadMamba(const View& v, int64_t layers, ModelSpec* m) {
  LayerSpec l = Base(NormKind::kRmsNorm, 1);
  l.mixer = MixerKind::kMamba;
  l.has_ffn = false;
  SsmSpec& s = l.ssm;
  s.version = 1;
  const int64_t d = m->hidden_size;
  s.d_state = v.IntOr("state_size", kState, 16);
  s.d_conv = v.IntOr("conv_kernel", kConv, 4);
  s.d_inner = v.IntOr("intermediate_size", limits::kIntermediate, v.IntOr("expand", {1, 64}, 2) * d);
  s.dt_rank = v.IntOrAuto("time_step_rank", limits::kHeadDim, (d + 15) / 16);
  s.proj_bias = v.Bool("use_bias", false);
  s.conv_bias = v.Bool("use_conv_bias", true);
  AppendLayers(m, l, layers);
}

// mamba2: every layer a Mamba-2 mixer (configuration_mamba2.py: state 128, heads 128, head_dim
// 64, groups 8, chunk 256); modeling_mamba2.py's mixer always applies its gated RMSNorm.
void ReadMamba2(const View& v, int64_t layers, ModelSpec* m) {
  LayerSpec l = Base(NormKind::kRmsNorm, 1);
  l.mixer = MixerKind::kMamba;
  l.has_ffn = false;
  l.ssm = Mamba2(v, m->hidden_size,
                 {"state_size", "num_heads", "head_dim", "n_groups", "conv_kernel", "chunk_size",
                  "expand", nullptr, "use_conv_bias", "use_bias", nullptr, 128, 8, 256});
  AppendLayers(m, l, layers);
}

// nemotron_h: one mixer per layer, from hybrid_override_pattern ('M' Mamba-2, '*' attention, '-'
// MLP, 'E' MoE) or layers_block_type; attention without RoPE; relu² MLPs (configuration_nemotron_h.py).
void ReadNemotronH(const View& v, int64_t layers, ModelSpec* m) {
  std::vector<char> kinds;
  if (v.Has("layers_block_type")) {
    // Current transformers writes linear_attention / full_attention for mamba / attention.
    for (const std::string& k :
         v.Kinds("layers_block_type", layers,
                 {"mamba", "linear_attention", "attention", "full_attention", "mlp", "moe"})) {
      kinds.push_back(k == "mamba" || k == "linear_attention"      ? 'M'
                      : k == "attention" || k == "full_attention" ? '*'
                      : k == "mlp"                                ? '-'
                                                                  : 'E');
    }
  } else {
    const std::optional<std::string> pattern = v.OptString("hybrid_override_pattern");
    if (!pattern) {
      v.FailKey("hybrid_override_pattern", "is missing (and there is no layers_block_type)");
    }
    if (pattern->size() != static_cast<size_t>(layers)) {
      v.FailKey("hybrid_override_pattern", fmt::format("has {} characters for {} layers", pattern->size(), layers));
    }
    for (size_t i = 0; i < pattern->size(); ++i) {
      const char c = (*pattern)[i];
      if (c != 'M' && c != '*' && c != '-' && c != 'E') {
        v.FailKey("hybrid_override_pattern", fmt::format("has {} at position {}; expected M, *, - or E",
                                                      Excerpt(std::string(1, c)), i));
      }
      kinds.push_back(c);
    }
  }
  const int64_t d = m->hidden_size;
  const Activation act =
      ParseActivation(v.fields(), v.OptString("mlp_hidden_act").value_or("relu2"), "mlp_hidden_act");
  const bool mlp_bias = v.Bool("mlp_bias", false);
  for (char c : kinds) {
    LayerSpec l = Base(NormKind::kRmsNorm, 1);
    if (c == 'M') {
      l.mixer = MixerKind::kMamba;
      l.has_ffn = false;
      l.ssm = Mamba2(v, d,
                     {"ssm_state_size", "mamba_num_heads", "mamba_head_dim", "n_groups", "conv_kernel",
                      "chunk_size", "expand", nullptr, "use_conv_bias", "mamba_proj_bias", nullptr,
                      128, 8, 128});
    } else if (c == '*') {
      l.attention = Attention(v, d, 0.0, false);
      l.has_ffn = false;
    } else {
      l.mixer = MixerKind::kNone;
      if (c == '-') {
        l.ffn = Mlp(v.Int("intermediate_size", limits::kIntermediate), FfnKind::kMlp, act, mlp_bias);
      } else {
        FfnSpec& f = l.ffn;
        f = Mlp(0, FfnKind::kMlp, act, false);
        f.num_experts = v.Int("n_routed_experts", {1, limits::kExperts.max});
        f.experts_per_token = v.Int("num_experts_per_tok", {limits::kExpertsPerToken.min, f.num_experts});
        f.expert_intermediate_size = v.Int("moe_intermediate_size", limits::kIntermediate);
        f.num_shared_experts = v.IntOr("n_shared_experts", limits::kSharedExperts, 0);
        f.intermediate_size =
            f.num_shared_experts == 0
                ? 0
                : v.IntOr("moe_shared_expert_intermediate_size", limits::kIntermediate,
                          f.num_shared_experts * f.expert_intermediate_size);
      }
    }
    Append(m, l);
  }
}

// The Mamba-2 keys of granitemoehybrid, bamba and falcon_h1 (mamba_* names).
constexpr Mamba2Keys kMambaPrefixed{"mamba_d_state", "mamba_n_heads", "mamba_d_head", "mamba_n_groups",
                                    "mamba_d_conv", "mamba_chunk_size", "mamba_expand", nullptr,
                                    "mamba_conv_bias", "mamba_proj_bias", nullptr, 256, 1, 256};
// Falcon-H1: an explicit mamba_d_ssm (FalconH1Config's default 1024) and a gated norm only with
// mamba_rms_norm (default false; without it y·SiLU(z) remains).
constexpr Mamba2Keys kFalconH1{"mamba_d_state", "mamba_n_heads", "mamba_d_head", "mamba_n_groups",
                               "mamba_d_conv", "mamba_chunk_size", "mamba_expand", "mamba_d_ssm",
                               "mamba_conv_bias", "mamba_proj_bias", "mamba_rms_norm", 256, 1, 256,
                               false, 1024};

// granitemoehybrid (Granite 4.0-H): layer_types "mamba" / "attention"; every layer has an MLP,
// the shared_intermediate_size dense FFN plus, where num_local_experts > 0, routed experts;
// position_embedding_type "nope" drops RoPE. bamba: attn_layer_indices, a dense SwiGLU MLP.
void ReadGraniteHybrid(const View& v, const std::string& type, int64_t layers, ModelSpec* m) {
  std::vector<bool> attention(static_cast<size_t>(layers), false);
  if (type == "bamba") {
    attention = v.Indices("attn_layer_indices", layers);
  } else {
    const std::vector<std::string> kinds = v.Kinds("layer_types", layers, {"mamba", "attention"});
    for (size_t i = 0; i < kinds.size(); ++i) {
      attention[i] = kinds[i] == "attention";
    }
  }
  const int64_t d = m->hidden_size;
  const bool rope = v.OptString("position_embedding_type").value_or("rope") != "nope";
  FfnSpec ffn;
  if (type == "bamba") {
    ffn = Mlp(v.Int("intermediate_size", limits::kIntermediate), FfnKind::kGated, Activation::kSilu, false);
  } else {
    const int64_t experts = v.IntOr("num_local_experts", limits::kExperts, 0);
    const int64_t shared = v.IntOr("shared_intermediate_size", {0, limits::kIntermediate.max}, 0);
    ffn = Mlp(shared, FfnKind::kGated, Activation::kSilu, false);
    if (experts > 0) {
      ffn.num_experts = experts;
      ffn.experts_per_token = v.Int("num_experts_per_tok", {limits::kExpertsPerToken.min, experts});
      ffn.expert_intermediate_size = v.Int("intermediate_size", limits::kIntermediate);
      ffn.num_shared_experts = shared > 0 ? 1 : 0;
    }
  }
  for (int64_t i = 0; i < layers; ++i) {
    LayerSpec l = Base(NormKind::kRmsNorm, 2);
    l.ffn = ffn;
    if (attention[static_cast<size_t>(i)]) {
      // BambaConfig fixes partial_rotary_factor at 0.5.
      l.attention = Attention(v, d, !rope ? 0.0 : type == "bamba" ? 0.5 : 1.0, false);
    } else {
      l.mixer = MixerKind::kMamba;
      l.ssm = Mamba2(v, d, kMambaPrefixed);
    }
    Append(m, l);
  }
}

// falcon_h1: attention and Mamba-2 side by side in every layer, then a SwiGLU MLP.
void ReadFalconH1(const View& v, int64_t layers, ModelSpec* m) {
  LayerSpec l = Base(NormKind::kRmsNorm, 2);
  l.mixer = MixerKind::kMamba;
  l.parallel_attention = true;
  l.attention = Attention(v, m->hidden_size, 1.0, false);
  l.ssm = Mamba2(v, m->hidden_size, kFalconH1);
  l.ffn = Mlp(v.Int("intermediate_size", limits::kIntermediate), FfnKind::kGated, Activation::kSilu,
              v.Bool("mlp_bias", false));
  AppendLayers(m, l, layers);
}

// lfm2: gated short convolutions and GQA attention with q/k norms, each followed by a SwiGLU
// MLP; layer_types ("conv", "full_attention") or full_attn_idxs. The MLP width is
// intermediate_size, or block_ff_dim cut to 2/3, scaled and rounded up to block_multiple_of when
// block_auto_adjust_ff_dim (configuration_lfm2.py, modeling_lfm2.py).
void ReadLfm2(const View& v, int64_t layers, ModelSpec* m) {
  std::vector<bool> attention(static_cast<size_t>(layers), false);
  if (v.Has("layer_types")) {
    const std::vector<std::string> kinds = v.Kinds("layer_types", layers, {"conv", "full_attention"});
    for (size_t i = 0; i < kinds.size(); ++i) {
      attention[i] = kinds[i] == "full_attention";
    }
  } else {
    attention = v.Indices("full_attn_idxs", layers);
  }
  // Lfm2Config takes block_ff_dim over intermediate_size; Lfm2MLP then cuts it to 2/3 and, with
  // a block_ffn_dim_multiplier, scales it and rounds up to block_multiple_of.
  int64_t ff = v.Has("block_ff_dim") ? v.Int("block_ff_dim", limits::kIntermediate)
                                     : v.Int("intermediate_size", limits::kIntermediate);
  if (v.Bool("block_auto_adjust_ff_dim", true)) {
    ff = 2 * ff / 3;
    if (const std::optional<double> k = v.OptNumber("block_ffn_dim_multiplier", {0, 64})) {
      ff = static_cast<int64_t>(*k * static_cast<double>(ff));
      const int64_t multiple = v.IntOr("block_multiple_of", {1, 1 << 16}, 256);
      ff = (ff + multiple - 1) / multiple * multiple;
    }
    if (ff < 1) {
      v.FailKey("block_ff_dim", "leaves an MLP narrower than one unit");
    }
  }
  ShortConvSpec conv;
  conv.kernel = v.IntOr("conv_L_cache", kConv, 3);
  conv.bias = v.Bool("conv_bias", false);
  for (int64_t i = 0; i < layers; ++i) {
    LayerSpec l = Base(NormKind::kRmsNorm, 2);
    l.ffn = Mlp(ff, FfnKind::kGated, Activation::kSilu, false);
    if (attention[static_cast<size_t>(i)]) {
      l.attention = Attention(v, m->hidden_size, 1.0, true);
    } else {
      l.mixer = MixerKind::kShortConv;
      l.conv = conv;
    }
    Append(m, l);
  }
}

// qwen3_next (and the Qwen3.5 text models): Gated DeltaNet layers and gated full attention
// (q/k norms, a quarter of head_dim rotated), from layer_types or every full_attention_interval-th
// layer; MoE as Qwen's (decoder_sparse_step, mlp_only_layers, one shared expert) where
// num_experts > 0, else a dense SwiGLU (configuration_qwen3_next.py).
void ReadQwen3Next(const View& v, int64_t layers, ModelSpec* m) {
  std::vector<bool> full(static_cast<size_t>(layers), false);
  if (v.Has("layer_types")) {
    const std::vector<std::string> kinds =
        v.Kinds("layer_types", layers, {"linear_attention", "full_attention"});
    for (size_t i = 0; i < kinds.size(); ++i) {
      full[i] = kinds[i] == "full_attention";
    }
  } else {
    const int64_t interval = v.IntOr("full_attention_interval", {1, limits::kLayers.max}, 4);
    for (int64_t i = 0; i < layers; ++i) {
      full[static_cast<size_t>(i)] = (i + 1) % interval == 0;
    }
  }
  const int64_t d = m->hidden_size;
  // Qwen3.5 files nest the rotary fraction in rope_parameters.
  std::optional<double> rope = v.OptNumber("partial_rotary_factor", limits::kFraction);
  if (!rope && v.Has("rope_parameters")) {
    rope = v.Sub("rope_parameters").OptNumber("partial_rotary_factor", limits::kFraction);
  }
  AttentionSpec attention = Attention(v, d, rope.value_or(0.25), true);
  attention.output_gate = v.Bool("attn_output_gate", true);
  DeltaNetSpec delta;
  delta.num_k_heads = v.IntOr("linear_num_key_heads", limits::kHeads, 16);
  delta.num_v_heads = v.IntOr("linear_num_value_heads", limits::kHeads, 32);
  delta.head_k_dim = v.IntOr("linear_key_head_dim", kState, 128);
  delta.head_v_dim = v.IntOr("linear_value_head_dim", kState, 128);
  delta.conv_kernel = v.IntOr("linear_conv_kernel_dim", kConv, 4);
  const FfnSpec dense = Mlp(v.Int("intermediate_size", limits::kIntermediate), FfnKind::kGated,
                            Activation::kSilu, false);
  FfnSpec moe = dense;
  const int64_t experts = v.IntOr("num_experts", limits::kExperts, 0);
  std::vector<bool> dense_only(static_cast<size_t>(layers), false);
  int64_t step = 1;
  if (experts > 0) {
    moe.num_experts = experts;
    moe.experts_per_token = v.Int("num_experts_per_tok", {limits::kExpertsPerToken.min, experts});
    moe.expert_intermediate_size = v.Int("moe_intermediate_size", limits::kIntermediate);
    moe.intermediate_size = v.IntOr("shared_expert_intermediate_size", {0, limits::kIntermediate.max}, 0);
    moe.num_shared_experts = moe.intermediate_size > 0 ? 1 : 0;
    step = v.IntOr("decoder_sparse_step", {1, limits::kLayers.max}, 1);
    if (v.Has("mlp_only_layers")) {
      dense_only = v.Indices("mlp_only_layers", layers);
    }
  }
  for (int64_t i = 0; i < layers; ++i) {
    LayerSpec l = Base(NormKind::kRmsNorm, 2);
    const bool is_moe = experts > 0 && !dense_only[static_cast<size_t>(i)] && (i + 1) % step == 0;
    l.ffn = is_moe ? moe : dense;
    if (full[static_cast<size_t>(i)]) {
      l.attention = attention;
    } else {
      l.mixer = MixerKind::kGatedDeltaNet;
      l.delta = delta;
    }
    Append(m, l);
  }
  // Qwen3.5's multi-token-prediction layers only serve speculative decoding.
  const int64_t mtp = v.IntOr("mtp_num_hidden_layers", {0, limits::kLayers.max}, 0);
  if (mtp > 0) {
    m->warnings.push_back(fmt::format(
        "{}: the {} multi-token-prediction layer{} (mtp_num_hidden_layers) {} not costed: {} only "
        "speculative decoding",
        v.fields().origin(), mtp, mtp == 1 ? "" : "s", mtp == 1 ? "is" : "are", mtp == 1 ? "it serves" : "they serve"));
  }
}

// jamba: Mamba-1 layers with attention (no positional encoding) where i % attn_layer_period ==
// attn_layer_offset, and every layer an FFN, MoE where i % expert_layer_period ==
// expert_layer_offset (configuration_jamba.py: 8, 4, 2, 1; 16 experts, top 2). Its RMSNorms on Δ,
// B and C (R + 2N parameters per layer) are not counted.
void ReadJamba(const View& v, int64_t layers, ModelSpec* m) {
  const int64_t d = m->hidden_size;
  const int64_t attn_period = v.IntOr("attn_layer_period", {1, limits::kLayers.max}, 8);
  const int64_t attn_offset = v.IntOr("attn_layer_offset", {0, limits::kLayers.max}, 4);
  const int64_t moe_period = v.IntOr("expert_layer_period", {1, limits::kLayers.max}, 2);
  const int64_t moe_offset = v.IntOr("expert_layer_offset", {0, limits::kLayers.max}, 1);
  SsmSpec s;
  s.version = 1;
  s.d_state = v.IntOr("mamba_d_state", kState, 16);
  s.d_conv = v.IntOr("mamba_d_conv", kConv, 4);
  s.d_inner = v.IntOr("mamba_expand", {1, 64}, 2) * d;
  s.dt_rank = v.IntOrAuto("mamba_dt_rank", limits::kHeadDim, (d + 15) / 16);
  s.conv_bias = v.Bool("mamba_conv_bias", true);
  s.proj_bias = v.Bool("mamba_proj_bias", false);
  const FfnSpec dense = Mlp(v.Int("intermediate_size", limits::kIntermediate), FfnKind::kGated,
                            Activation::kSilu, false);
  FfnSpec moe = dense;
  moe.num_experts = v.IntOr("num_experts", limits::kExperts, 16);
  if (moe.num_experts > 0) {
    moe.experts_per_token = v.IntOr("num_experts_per_tok", {limits::kExpertsPerToken.min, moe.num_experts},
                                    std::min<int64_t>(2, moe.num_experts));
    moe.expert_intermediate_size = dense.intermediate_size;
    moe.intermediate_size = 0;
  }
  for (int64_t i = 0; i < layers; ++i) {
    LayerSpec l = Base(NormKind::kRmsNorm, 2);
    l.ffn = moe.num_experts > 1 && i % moe_period == moe_offset ? moe : dense;
    if (i % attn_period == attn_offset) {
      l.attention = Attention(v, d, 0.0, false);
    } else {
      l.mixer = MixerKind::kMamba;
      l.ssm = s;
    }
    Append(m, l);
  }
}

}  // namespace

const std::vector<HybridFamily>& HybridFamilies() {
  static const std::vector<HybridFamily> kFamilies = {
      {"mamba", "MambaForCausalLM", true},
      {"mamba2", "Mamba2ForCausalLM", true},
      {"nemotron_h", "NemotronHForCausalLM", false},
      {"granitemoehybrid", "GraniteMoeHybridForCausalLM", false},
      {"bamba", "BambaForCausalLM", false},
      {"falcon_h1", "FalconH1ForCausalLM", false},
      {"lfm2", "Lfm2ForCausalLM", true},
      {"qwen3_next", "Qwen3NextForCausalLM", false},
      {"qwen3_5_text", "Qwen3_5ForCausalLM", false},
      {"qwen3_5_moe_text", "Qwen3_5MoeForCausalLM", false},
      {"gemma3n_text", "Gemma3nForCausalLM", true},
      {"zamba2", "Zamba2ForCausalLM", true},
      {"falcon_mamba", "FalconMambaForCausalLM", true},
      {"jamba", "JambaForCausalLM", false},
  };
  return kFamilies;
}

void ReadHybridLayers(const JsonFields& f, const json& cfg, const std::string& type, int64_t layers,
                      ModelSpec* m) {
  const View v(f, cfg);
  if (type == "mamba" || type == "falcon_mamba") {
    ReadMamba(v, layers, m);
  } else if (type == "mamba2") {
    ReadMamba2(v, layers, m);
  } else if (type == "nemotron_h") {
    // NemotronHConfig's legacy argument names, used where a file has them instead.
    json filled = cfg;
    for (const auto& [key, alias] : {std::pair{"n_groups", "mamba_n_groups"},
                                     {"conv_kernel", "mamba_d_conv"},
                                     {"expand", "mamba_expand"},
                                     {"use_conv_bias", "mamba_conv_bias"},
                                     {"chunk_size", "mamba_chunk_size"},
                                     {"head_dim", "attention_head_dim"}}) {
      if (!filled.contains(key) && filled.contains(alias)) {
        filled[key] = filled[alias];
      }
    }
    ReadNemotronH(View(f, filled), layers, m);
  } else if (type == "granitemoehybrid" || type == "bamba") {
    ReadGraniteHybrid(v, type, layers, m);
  } else if (type == "falcon_h1") {
    ReadFalconH1(v, layers, m);
  } else if (type == "lfm2") {
    ReadLfm2(v, layers, m);
  } else if (type == "qwen3_next" || type == "qwen3_5_text" || type == "qwen3_5_moe_text") {
    ReadQwen3Next(v, layers, m);
  } else if (type == "zamba2") {
    ReadZamba2Layers(v, layers, m);
  } else if (type == "gemma3n_text") {
    ReadGemma3nLayers(v, layers, m);
  } else if (type == "jamba") {
    ReadJamba(v, layers, m);
  }
}

}  // namespace slmroof::reader
