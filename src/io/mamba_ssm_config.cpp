// The config.json of state-spaces' own checkpoints (state-spaces/mamba-*, mamba2-*): the
// `mamba_ssm` package's MambaConfig (models/config_mamba.py) rather than a transformers config.
// Layers and defaults follow mamba_ssm's create_block (models/mixer_seq_simple.py) and its Mamba
// (modules/mamba_simple.py), Mamba2 (modules/mamba2.py), MHA (modules/mha.py) and GatedMLP
// (modules/mlp.py); docs/model-format.md "mamba_ssm configs", cost in docs/cost-model.md §11.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "io/hf_view.hpp"
#include "io/model_common.hpp"
#include "slmroof/limits.hpp"
#include "slmroof/text.hpp"

namespace slmroof::reader {

using nlohmann::json;

namespace {

constexpr IntRange kState{1, 1 << 16};
constexpr IntRange kConv{1, 1024};
constexpr IntRange kChunk{1, 1 << 16};

int64_t RoundUp(int64_t x, int64_t multiple) { return (x + multiple - 1) / multiple * multiple; }

// Keys a mixer's constructor accepts that only set initialisation, kernels or numerics.
const std::set<std::string> kCostless = {
    "layer",       "dt_min",   "dt_max",        "dt_init_floor", "dt_init", "dt_scale",
    "dt_limit",    "A_init_range", "conv_init", "norm_before_gate", "use_fast_path",
    "use_mem_eff_path", "sequence_parallel", "causal", "softmax_scale", "rotary_emb_base",
    "rotary_emb_interleaved"};

// Fails on a key the mixer's constructor would take that changes cost and is not read here, or
// that the constructor would refuse (a TypeError in mamba_ssm).
void CheckKeys(const View& v, const std::set<std::string>& read) {
  for (const auto& [key, value] : v.json().items()) {
    if (read.count(key) == 0 && kCostless.count(key) == 0) {
      v.Fail(v.Path(key), "is not a field slmroof reads for this mixer (it would change the cost "
                          "or is not a mamba_ssm argument)");
    }
  }
}

SsmSpec Mamba1(const View& s, int64_t d) {
  CheckKeys(s, {"d_state", "d_conv", "expand", "dt_rank", "conv_bias", "bias"});
  SsmSpec m;
  m.version = 1;
  m.d_state = s.IntOr("d_state", kState, 16);
  m.d_conv = s.IntOr("d_conv", kConv, 4);
  m.d_inner = s.IntOr("expand", {1, 64}, 2) * d;
  m.dt_rank = s.IntOrAuto("dt_rank", limits::kHeadDim, (d + 15) / 16);
  m.conv_bias = s.Bool("conv_bias", true);
  m.proj_bias = s.Bool("bias", false);
  return m;
}

SsmSpec Mamba2(const View& s, int64_t d) {
  CheckKeys(s, {"d_state", "d_conv", "expand", "headdim", "ngroups", "chunk_size", "rmsnorm",
                "bias", "conv_bias", "d_ssm", "D_has_hdim"});
  SsmSpec m;
  m.version = 2;
  m.d_state = s.IntOr("d_state", kState, 128);
  m.d_conv = s.IntOr("d_conv", kConv, 4);
  m.d_inner = s.IntOr("expand", {1, 64}, 2) * d;
  const int64_t headdim = s.IntOr("headdim", limits::kHeadDim, 64);
  m.n_groups = s.IntOr("ngroups", limits::kHeads, 1);
  m.chunk_size = s.IntOr("chunk_size", kChunk, 256);
  m.gated_norm = s.Bool("rmsnorm", true);
  m.proj_bias = s.Bool("bias", false);
  m.conv_bias = s.Bool("conv_bias", true);
  // d_ssm < d_inner runs the SSM on part of the width and a gated MLP on the rest; D_has_hdim
  // keeps D per channel. Neither is in the cost model, and no published checkpoint uses them.
  if (s.Has("d_ssm") && s.Int("d_ssm", limits::kIntermediate) != m.d_inner) {
    s.FailKey("d_ssm", "differs from expand × d_model, a split mixer slmroof does not cost");
  }
  if (s.Bool("D_has_hdim", false)) {
    s.FailKey("D_has_hdim", "is true, which slmroof does not cost");
  }
  if (m.d_inner % headdim != 0) {
    s.FailKey("headdim", fmt::format("({}) does not divide the inner width expand × d_model ({})",
                                     headdim, m.d_inner));
  }
  m.num_heads = m.d_inner / headdim;
  if (m.num_heads % m.n_groups != 0) {
    s.FailKey("ngroups", fmt::format("({}) does not divide the {} heads", m.n_groups, m.num_heads));
  }
  return m;
}

// mamba_ssm's MHA: a fused q/k/v projection and an output projection, biased by default.
AttentionSpec Mha(const View& a, int64_t d) {
  CheckKeys(a, {"num_heads", "num_heads_kv", "head_dim", "qkv_proj_bias", "out_proj_bias",
                "rotary_emb_dim", "mlp_dim", "d_conv"});
  AttentionSpec s;
  s.num_heads = a.Int("num_heads", limits::kHeads);
  s.num_kv_heads = a.IntOr("num_heads_kv", limits::kHeads, s.num_heads);
  if (s.num_heads % s.num_kv_heads != 0) {
    a.FailKey("num_heads_kv", fmt::format("({}) does not divide num_heads ({})", s.num_kv_heads,
                                          s.num_heads));
  }
  if (!a.Has("head_dim") && d % s.num_heads != 0) {
    a.FailKey("num_heads", fmt::format("({}) does not divide d_model ({}) and no head_dim is given",
                                       s.num_heads, d));
  }
  s.head_dim = a.IntOr("head_dim", limits::kHeadDim, d / s.num_heads);
  s.v_head_dim = s.head_dim;
  s.rope_dim = a.IntOr("rotary_emb_dim", {0, limits::kHeadDim.max}, 0);
  if (s.rope_dim > s.head_dim) {
    a.FailKey("rotary_emb_dim", fmt::format("({}) exceeds head_dim ({})", s.rope_dim, s.head_dim));
  }
  s.qkv_bias = a.Bool("qkv_proj_bias", true);
  s.o_bias = a.Bool("out_proj_bias", true);
  // mlp_dim fuses a gated MLP into the attention projections; d_conv adds a convolution over q/k/v.
  for (const char* key : {"mlp_dim", "d_conv"}) {
    if (a.IntOr(key, {0, limits::kIntermediate.max}, 0) != 0) {
      a.FailKey(key, "is not 0: attention with a fused MLP or convolution is not costed by slmroof");
    }
  }
  return s;
}

}  // namespace

bool IsMambaSsmConfig(const json& doc) {
  return doc.contains("d_model") && doc.contains("n_layer") && !doc.contains("model_type");
}

ModelSpec ReadMambaSsmConfig(const JsonFields& f, const json& doc, const std::string& name) {
  const View v(f, doc);
  ModelSpec m;
  m.name = name;
  m.family = "mamba_ssm";
  m.hidden_size = v.Int("d_model", limits::kHidden);
  const int64_t layers = v.Int("n_layer", limits::kLayers);
  // MambaLMHeadModel pads the vocabulary to a multiple of pad_vocab_size_multiple.
  const int64_t vocab = v.IntOr("vocab_size", limits::kVocab, 50277);
  m.vocab_size = RoundUp(vocab, v.IntOr("pad_vocab_size_multiple", {1, 1 << 16}, 8));
  if (m.vocab_size > limits::kVocab.max) {
    v.FailKey("vocab_size", fmt::format("padded to {} exceeds {}", m.vocab_size, limits::kVocab.max));
  }
  m.tie_word_embeddings = v.Bool("tie_embeddings", true);
  const NormKind norm = v.Bool("rms_norm", true) ? NormKind::kRmsNorm : NormKind::kLayerNorm;
  m.final_norm = norm;

  static const json kEmpty = json::object();
  const json& ssm_json = v.Has("ssm_cfg") ? f.Object(doc, "ssm_cfg", "ssm_cfg") : kEmpty;
  const View ssm(f, ssm_json, "ssm_cfg.");
  const std::string kind = ssm.OptString("layer").value_or("Mamba1");
  LayerSpec mixer;
  mixer.norm = norm;
  mixer.mixer = MixerKind::kMamba;
  if (kind == "Mamba1") {
    mixer.ssm = Mamba1(ssm, m.hidden_size);
  } else if (kind == "Mamba2") {
    mixer.ssm = Mamba2(ssm, m.hidden_size);
  } else {
    ssm.FailKey("layer", fmt::format("is {}; slmroof reads \"Mamba1\" and \"Mamba2\"", Excerpt(kind)));
  }
  // A block is norm → mixer, then norm → GatedMLP when d_intermediate > 0 (its width rounded up
  // to a multiple of 128).
  const int64_t mlp = v.IntOr("d_intermediate", {0, limits::kIntermediate.max}, 0);
  mixer.has_ffn = mlp > 0;
  mixer.norms_per_layer = mlp > 0 ? 2 : 1;
  if (mlp > 0) {
    mixer.ffn.kind = FfnKind::kGated;
    mixer.ffn.activation = Activation::kSilu;
    mixer.ffn.intermediate_size = RoundUp(mlp, 128);
  }
  std::vector<bool> attention(static_cast<size_t>(layers), false);
  LayerSpec attn = mixer;
  if (v.Has("attn_layer_idx")) {
    attention = v.Indices("attn_layer_idx", layers);
  }
  if (std::find(attention.begin(), attention.end(), true) != attention.end()) {
    const json& attn_json = f.Object(doc, "attn_cfg", "attn_cfg");
    attn.mixer = MixerKind::kAttention;
    attn.ssm = SsmSpec{};
    attn.attention = Mha(View(f, attn_json, "attn_cfg."), m.hidden_size);
  }
  for (int64_t i = 0; i < layers; ++i) {
    AppendLayers(&m, attention[static_cast<size_t>(i)] ? attn : mixer, 1);
  }
  return m;
}

}  // namespace slmroof::reader
