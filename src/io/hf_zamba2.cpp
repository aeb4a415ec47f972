// HuggingFace zamba2 configs (docs/cost-model.md §14): Mamba-2 layers, some of which ("hybrid")
// first call one of num_mem_blocks shared transformer blocks, cycling through them. Keys and
// defaults follow transformers' configuration_zamba2.py and modeling_zamba2.py; the keys of
// Zyphra's earlier files (state_size, lora_rank, "m"/"g" layers ..., e.g. Zyphra/Zamba2-1.2B at
// 4f8e85cd) are read as their transformers counterparts.
#include <fmt/format.h>

#include "io/hf_view.hpp"
#include "io/model_common.hpp"
#include "slmroof/limits.hpp"

namespace slmroof::reader {

namespace {

constexpr IntRange kState{1, 1 << 16};
constexpr IntRange kConv{1, 1024};

// The transformers key, or Zyphra's earlier name for it.
int64_t IntEither(const View& v, const char* key, const char* legacy, IntRange r, int64_t fallback) {
  return v.Has(key) ? v.Int(key, r) : v.IntOr(legacy, r, fallback);
}
bool BoolEither(const View& v, const char* key, const char* legacy, bool fallback) {
  return v.Has(key) ? v.Bool(key, fallback) : v.Bool(legacy, fallback);
}

}  // namespace

void ReadZamba2Layers(const View& v, int64_t layers, ModelSpec* m) {
  const int64_t d = m->hidden_size;
  const std::vector<std::string> kinds =
      v.Kinds("layers_block_type", layers, {"mamba", "hybrid", "m", "g"});
  SsmSpec s;
  s.version = 2;
  s.d_state = IntEither(v, "mamba_d_state", "state_size", kState, 64);
  s.d_conv = IntEither(v, "mamba_d_conv", "conv_dimension", kConv, 4);
  s.d_inner = IntEither(v, "mamba_expand", "expansion_factor", {1, 64}, 2) * d;
  s.n_groups = v.IntOr("mamba_ngroups", limits::kHeads, 1);
  s.chunk_size = v.IntOr("chunk_size", {1, 1 << 16}, 256);
  s.conv_bias = true;  // modeling_zamba2.py builds conv1d with a bias whatever use_conv_bias says
  s.proj_bias = v.Bool("add_bias_linear", false);
  s.gated_norm = true;
  if (v.Has("n_mamba_heads")) {
    s.num_heads = v.Int("n_mamba_heads", limits::kHeads);
  } else {
    const int64_t head_dim = v.IntOr("mamba_headdim", limits::kHeadDim, s.d_inner / 8);
    if (s.d_inner % head_dim != 0) {
      v.FailKey("mamba_headdim", fmt::format("({}) does not divide the inner width {}", head_dim, s.d_inner));
    }
    s.num_heads = s.d_inner / head_dim;
  }

  LayerSpec mamba;
  mamba.mixer = MixerKind::kMamba;
  mamba.ssm = s;
  mamba.has_ffn = false;
  mamba.norms_per_layer = 1;

  // The shared block: attention over concat(hidden, embedding), 2d wide, in heads of 2d / H;
  // a gated MLP of intermediate_size (Zyphra's ffn_hidden_size), GELU by default.
  LayerSpec hybrid = mamba;
  AttentionSpec& a = hybrid.attention;
  a.num_heads = v.IntOr("num_attention_heads", limits::kHeads, 32);
  a.num_kv_heads = v.IntOr("num_key_value_heads", limits::kHeads, a.num_heads);
  if ((2 * d) % a.num_heads != 0) {
    v.FailKey("num_attention_heads",
              fmt::format("({}) does not divide the shared attention's width 2·hidden_size ({})",
                          a.num_heads, 2 * d));
  }
  a.head_dim = 2 * d / a.num_heads;
  a.v_head_dim = a.head_dim;
  a.rope_dim = v.Bool("use_mem_rope", false) ? a.head_dim : 0;
  FfnSpec& f = hybrid.ffn;
  f.kind = FfnKind::kGated;
  f.activation = ParseActivation(v.fields(), v.OptString("hidden_act").value_or("gelu"),
                                 v.Path("hidden_act"));
  f.intermediate_size = IntEither(v, "intermediate_size", "ffn_hidden_size", limits::kIntermediate, 4 * d);
  f.bias = s.proj_bias;
  SharedBlockCall& c = hybrid.shared;
  c.adapter_rank = IntEither(v, "adapter_rank", "lora_rank", {1, limits::kHidden.max}, 128);
  c.attention_adapters =
      BoolEither(v, "use_shared_attention_adapter", "use_shared_attention_lora", false);
  // transformers builds the MLP adapters (one version switched them with use_shared_mlp_adapter,
  // which Zamba2-2.7B's file sets); Zyphra's first files switch them with use_shared_block_lora.
  c.mlp_adapter = BoolEither(v, "use_shared_mlp_adapter", "use_shared_block_lora", true);
  if (c.attention_adapters && a.num_kv_heads != a.num_heads) {
    v.FailKey("num_key_value_heads",
              "must equal num_attention_heads when the shared attention has adapters (their "
              "outputs are 2·hidden_size wide)");
  }
  m->shared_blocks = v.IntOr("num_mem_blocks", {1, limits::kLayers.max}, 1);

  int64_t calls = 0;
  for (const std::string& kind : kinds) {
    if (kind == "hybrid" || kind == "g") {
      hybrid.shared.block = calls++ % m->shared_blocks;
      AppendLayers(m, hybrid, 1);
    } else {
      AppendLayers(m, mamba, 1);
    }
  }
}

}  // namespace slmroof::reader
