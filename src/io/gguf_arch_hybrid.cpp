// GGUF architectures with recurrent layers read as HuggingFace configs (docs/gguf.md "From GGUF
// metadata to a model"). llama.cpp's converter marks a hybrid's recurrent layers with a KV head
// count of 0 in the per-layer attention.head_count_kv array, and its MLP-only layers (Nemotron-H)
// with a non-zero entry of the per-layer feed_forward_length array; the Mamba-2 shape is in the
// ssm.* keys (time_step_rank holds the number of heads).
#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

#include "io/gguf_mapper.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/text.hpp"

namespace slmroof::gguf_detail {

using nlohmann::json;

namespace {

int64_t Layers(const json& cfg) { return cfg["num_hidden_layers"].get<int64_t>(); }

// The one non-zero value of a per-layer array (0 when every entry is 0): the HF configs these
// files come from have one width for all layers of a kind.
int64_t Uniform(const Mapper& m, const std::string& key, const std::vector<int64_t>& values) {
  int64_t v = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] < 0) {
      m.Fail(key, fmt::format("[{}] is negative ({})", i, values[i]));
    }
    if (values[i] != 0 && v != 0 && values[i] != v) {
      m.Fail(key,
             fmt::format("is {} in one layer and {} in layer {}, which slmroof does not map for "
                         "{} (one width for every layer of a kind)",
                         v, values[i], i, m.arch()));
    }
    if (values[i] != 0) {
      v = values[i];
    }
  }
  return v;
}

std::vector<int64_t> PerLayerOrZero(const Mapper& m, const std::string& key, int64_t layers) {
  return m.PerLayer(key, layers).value_or(std::vector<int64_t>(static_cast<size_t>(layers), 0));
}

// The Mamba-2 shape: state, heads (ssm.time_step_rank), head width (ssm.inner_size / heads),
// groups, convolution taps; `names` gives each family's config key in that order. The biases
// are read from the tensors the file holds.
void MapMamba2Keys(const Mapper& m, json* cfg, const std::array<const char*, 7>& names) {
  json& c = *cfg;
  const int64_t layers = Layers(c);
  const int64_t heads = m.Required("ssm.time_step_rank");
  const int64_t inner = m.Required("ssm.inner_size");
  if (heads <= 0 || inner % heads != 0) {
    m.Fail("ssm.inner_size", fmt::format("({}) is not a multiple of ssm.time_step_rank, the number "
                                         "of heads ({})",
                                         inner, heads));
  }
  c[names[0]] = m.Required("ssm.state_size");
  c[names[1]] = heads;
  c[names[2]] = inner / heads;
  c[names[3]] = m.Int("ssm.group_count").value_or(1);
  c[names[4]] = m.Required("ssm.conv_kernel");
  c[names[5]] = m.AnyLayerHas(layers, "ssm_conv1d.bias");
  c[names[6]] = m.AnyLayerHas(layers, "ssm_in.bias");
}

// Attention heads of a hybrid: head_count (one value or per layer), the KV heads of its
// attention layers, the head width when written.
void MapHybridAttention(const Mapper& m, json* cfg, const std::vector<int64_t>& kv) {
  json& c = *cfg;
  const int64_t layers = Layers(c);
  // Per block, MTP blocks included (block_count, not the decoder layers).
  const std::optional<std::vector<int64_t>> heads =
      m.PerLayer("attention.head_count", m.Required("block_count"));
  if (!heads) {
    m.Required("attention.head_count");
  }
  c["num_attention_heads"] = Uniform(m, "attention.head_count", *heads);
  // A model without attention layers has no KV head count: the reader's default stands.
  if (const int64_t kv_heads = Uniform(m, "attention.head_count_kv", kv); kv_heads > 0) {
    c["num_key_value_heads"] = kv_heads;
  }
  if (auto k = m.Int("attention.key_length")) {
    c["head_dim"] = *k;
  }
  c["attention_bias"] = m.AnyLayerHas(layers, "attn_output.bias");
}

}  // namespace

// nemotron_h: per layer, attention where head_count_kv > 0, an MLP (or, for nemotron_h_moe,
// experts) where feed_forward_length > 0, else Mamba-2: written back as
// hybrid_override_pattern.
void MapNemotronH(const Mapper& m, json* cfg) {
  json& c = *cfg;
  // A multi-token-prediction block the converter appends (nextn_predict_layers) is in
  // block_count and the arrays but is no decoder layer.
  const int64_t blocks = Layers(c);
  const int64_t mtp = m.Int("nextn_predict_layers").value_or(0);
  if (mtp < 0 || mtp >= blocks) {
    m.Fail("nextn_predict_layers", fmt::format("is {} for {} blocks", mtp, blocks));
  }
  const int64_t layers = blocks - mtp;
  c["num_hidden_layers"] = layers;
  const bool moe = m.arch() == "nemotron_h_moe";
  std::vector<int64_t> kv = PerLayerOrZero(m, "attention.head_count_kv", blocks);
  std::vector<int64_t> ff = PerLayerOrZero(m, "feed_forward_length", blocks);
  kv.resize(static_cast<size_t>(layers));
  ff.resize(static_cast<size_t>(layers));
  std::string pattern;
  for (int64_t i = 0; i < layers; ++i) {
    const auto k = static_cast<size_t>(i);
    if (kv[k] > 0 && ff[k] > 0) {
      m.Fail("feed_forward_length",
             fmt::format("[{}] and attention.head_count_kv[{}] are both set: "
                         "a {} layer holds one block",
                         i, i, m.arch()));
    }
    pattern += kv[k] > 0 ? '*' : ff[k] > 0 ? (moe ? 'E' : '-') : 'M';
  }
  c["hybrid_override_pattern"] = pattern;
  MapHybridAttention(m, cfg, kv);
  c["mlp_bias"] = m.AnyLayerHas(layers, "ffn_up.bias");
  if (moe) {
    if (m.Has("moe_latent_size")) {
      m.Fail("moe_latent_size", "is set: latent expert projections are not modelled");
    }
    c["n_routed_experts"] = m.Required("expert_count");
    c["num_experts_per_tok"] = m.Required("expert_used_count");
    c["moe_intermediate_size"] =
        m.Int("expert_feed_forward_length").value_or(Uniform(m, "feed_forward_length", ff));
    c["n_shared_experts"] = m.Int("expert_shared_count").value_or(0);
    if (auto s = m.Int("expert_shared_feed_forward_length")) {
      c["moe_shared_expert_intermediate_size"] = *s;
    }
  } else {
    c["intermediate_size"] = Uniform(m, "feed_forward_length", ff);
  }
  MapMamba2Keys(m, cfg,
                {"ssm_state_size", "mamba_num_heads", "mamba_head_dim", "n_groups", "conv_kernel",
                 "use_conv_bias", "mamba_proj_bias"});
}

// granitehybrid (Granite 4.0-H): attention where head_count_kv > 0, Mamba-2 elsewhere; every
// layer's dense FFN is the shared MLP (expert_shared_feed_forward_length), plus experts where
// expert_count > 0. The converter writes rope.scaling.finetuned false for the models without
// RoPE.
void MapGraniteHybrid(const Mapper& m, json* cfg) {
  json& c = *cfg;
  const int64_t layers = Layers(c);
  const std::optional<std::vector<int64_t>> kv = m.PerLayer("attention.head_count_kv", layers);
  if (!kv) {
    m.Required("attention.head_count_kv");
  }
  json types = json::array();
  for (int64_t v : *kv) {
    types.push_back(v > 0 ? "attention" : "mamba");
  }
  c["layer_types"] = types;
  MapHybridAttention(m, cfg, *kv);
  c["position_embedding_type"] = m.Bool("rope.scaling.finetuned").value_or(true) ? "rope" : "nope";
  c["intermediate_size"] = m.Required("feed_forward_length");
  c["shared_intermediate_size"] = m.Int("expert_shared_feed_forward_length").value_or(0);
  const int64_t experts = m.Int("expert_count").value_or(0);
  c["num_local_experts"] = experts;
  if (experts > 0) {
    c["num_experts_per_tok"] = m.Required("expert_used_count");
  }
  MapMamba2Keys(m, cfg,
                {"mamba_d_state", "mamba_n_heads", "mamba_d_head", "mamba_n_groups", "mamba_d_conv",
                 "mamba_conv_bias", "mamba_proj_bias"});
}

// lfm2: attention where head_count_kv > 0, gated short convolutions elsewhere. The converter
// writes the MLP width after Lfm2MLP's adjustment, so it is read as is.
void MapLfm2(const Mapper& m, json* cfg) {
  json& c = *cfg;
  const int64_t layers = Layers(c);
  const std::vector<int64_t> kv = PerLayerOrZero(m, "attention.head_count_kv", layers);
  json types = json::array();
  for (int64_t v : kv) {
    types.push_back(v > 0 ? "full_attention" : "conv");
  }
  c["layer_types"] = types;
  MapHybridAttention(m, cfg, kv);
  c["block_ff_dim"] = m.Required("feed_forward_length");
  c["block_auto_adjust_ff_dim"] = false;
  c["conv_L_cache"] = m.Required("shortconv.l_cache");
  c["conv_bias"] = m.AnyLayerHas(layers, "shortconv.in_proj.bias");
}

// falcon-h1: attention and Mamba-2 side by side in every layer, then a SwiGLU MLP. The Mamba
// width is explicit (ssm.inner_size, mamba_d_ssm); the gated norm exists where the file holds
// ssm_norm (mamba_rms_norm).
void MapFalconH1(const Mapper& m, json* cfg) {
  json& c = *cfg;
  const int64_t layers = Layers(c);
  MapHybridAttention(m, cfg, PerLayerOrZero(m, "attention.head_count_kv", layers));
  c["intermediate_size"] = m.Required("feed_forward_length");
  c["mlp_bias"] = m.AnyLayerHas(layers, "ffn_up.bias");
  MapMamba2Keys(m, cfg,
                {"mamba_d_state", "mamba_n_heads", "mamba_d_head", "mamba_n_groups", "mamba_d_conv",
                 "mamba_conv_bias", "mamba_proj_bias"});
  c["mamba_d_ssm"] = m.Required("ssm.inner_size");
  c["mamba_rms_norm"] = m.AnyLayerHas(layers, "ssm_norm.weight");
}

// The (period, offset) whose layers i % period == offset are exactly those `on` marks, the
// smallest period first; none marked: a period past the layers. Jamba's config places its
// attention and MoE layers this way; the file marks them layer by layer.
std::pair<int64_t, int64_t> PeriodOf(const Mapper& m, const std::string& key,
                                     const std::vector<bool>& on) {
  const auto n = static_cast<int64_t>(on.size());
  if (std::none_of(on.begin(), on.end(), [](bool b) { return b; })) {
    return {n + 1, n};
  }
  for (int64_t p = 1; p <= n; ++p) {
    for (int64_t o = 0; o < p; ++o) {
      bool fits = true;
      for (int64_t i = 0; i < n && fits; ++i) {
        fits = on[static_cast<size_t>(i)] == (i % p == o);
      }
      if (fits) {
        return {p, o};
      }
    }
  }
  m.Fail(key, "marks layers at no fixed period, which jamba's config cannot describe");
}

// jamba: attention where head_count_kv > 0, Mamba-1 elsewhere; MoE where the layer holds a
// router (ffn_gate_inp). ssm.inner_size is mamba_expand × the width, ssm.time_step_rank Δ's rank.
void MapJamba(const Mapper& m, json* cfg) {
  json& c = *cfg;
  const int64_t layers = Layers(c);
  const std::vector<int64_t> kv = PerLayerOrZero(m, "attention.head_count_kv", layers);
  std::vector<bool> attention, moe;
  for (int64_t i = 0; i < layers; ++i) {
    attention.push_back(kv[static_cast<size_t>(i)] > 0);
    moe.push_back(m.Tensor(fmt::format("blk.{}.ffn_gate_inp.weight", i)) != nullptr);
  }
  const auto [attn_period, attn_offset] = PeriodOf(m, "attention.head_count_kv", attention);
  c["attn_layer_period"] = attn_period;
  c["attn_layer_offset"] = attn_offset;
  MapHybridAttention(m, cfg, kv);
  c["intermediate_size"] = m.Required("feed_forward_length");
  const int64_t experts = m.Int("expert_count").value_or(0);
  c["num_experts"] = experts;
  if (experts > 0) {
    c["num_experts_per_tok"] = m.Required("expert_used_count");
    const auto [moe_period, moe_offset] = PeriodOf(m, "expert_count", moe);
    c["expert_layer_period"] = moe_period;
    c["expert_layer_offset"] = moe_offset;
  }
  const int64_t hidden = c["hidden_size"].get<int64_t>();
  const int64_t inner = m.Required("ssm.inner_size");
  if (hidden <= 0 || inner % hidden != 0) {
    m.Fail("ssm.inner_size", fmt::format("({}) is not a multiple of embedding_length ({}), which "
                                         "jamba's mamba_expand requires",
                                         inner, hidden));
  }
  c["mamba_expand"] = inner / hidden;
  c["mamba_d_state"] = m.Required("ssm.state_size");
  c["mamba_d_conv"] = m.Required("ssm.conv_kernel");
  c["mamba_dt_rank"] = m.Required("ssm.time_step_rank");
  c["mamba_conv_bias"] = m.AnyLayerHas(layers, "ssm_conv1d.bias");
  c["mamba_proj_bias"] = m.AnyLayerHas(layers, "ssm_in.bias");
}

// qwen3next, qwen35, qwen35moe: Gated DeltaNet layers, gated full attention every
// full_attention_interval-th layer. ssm.group_count is the key heads, ssm.time_step_rank the
// value heads, ssm.state_size the key head width, ssm.inner_size all value heads' width. The
// multi-token-prediction layers a file appends (nextn_predict_layers) are not decoder layers.
void MapQwen3Next(const Mapper& m, json* cfg) {
  json& c = *cfg;
  const int64_t block_count = Layers(c);
  const int64_t mtp = m.Int("nextn_predict_layers").value_or(0);
  if (mtp < 0 || mtp >= block_count) {
    m.Fail("nextn_predict_layers", fmt::format("is {} for {} blocks", mtp, block_count));
  }
  if (mtp > 0) {
    c["num_hidden_layers"] = block_count - mtp;
    c["mtp_num_hidden_layers"] = mtp;
  }
  MapTransformer(m, cfg);
  c["intermediate_size"] =
      m.Int("feed_forward_length").value_or(m.Int("expert_feed_forward_length").value_or(0));
  if (auto interval = m.Int("full_attention_interval")) {
    c["full_attention_interval"] = *interval;
  }
  const int64_t value_heads = m.Required("ssm.time_step_rank");
  const int64_t inner = m.Required("ssm.inner_size");
  if (value_heads <= 0 || inner % value_heads != 0) {
    m.Fail("ssm.inner_size", fmt::format("({}) is not a multiple of ssm.time_step_rank, the number "
                                         "of value heads ({})",
                                         inner, value_heads));
  }
  c["linear_num_key_heads"] = m.Required("ssm.group_count");
  c["linear_num_value_heads"] = value_heads;
  c["linear_key_head_dim"] = m.Required("ssm.state_size");
  c["linear_value_head_dim"] = inner / value_heads;
  c["linear_conv_kernel_dim"] = m.Required("ssm.conv_kernel");
  if (auto experts = m.Int("expert_count"); experts && *experts > 0) {
    c["num_experts"] = *experts;
    c["num_experts_per_tok"] = m.Required("expert_used_count");
    c["moe_intermediate_size"] = m.Required("expert_feed_forward_length");
    c["shared_expert_intermediate_size"] = m.Int("expert_shared_feed_forward_length").value_or(0);
  }
}

// gemma3n: per-layer FFN widths and sliding/global pattern arrays; the per-layer embedding
// table's rows and LAuReL's rank are read from the tensors (per_layer_token_embd, laurel_l).
void MapGemma3n(const Mapper& m, json* cfg) {
  json& c = *cfg;
  const int64_t layers = Layers(c);
  c["num_attention_heads"] = m.Required("attention.head_count");
  c["num_key_value_heads"] = m.Required("attention.head_count_kv");
  c["head_dim"] = m.Required("attention.key_length");
  const std::optional<std::vector<int64_t>> ff = m.PerLayer("feed_forward_length", layers);
  if (!ff) {
    m.Required("feed_forward_length");
  }
  c["intermediate_size"] = *ff;
  if (auto w = m.Int("attention.sliding_window")) {
    c["sliding_window"] = *w;
  }
  if (auto pattern = m.PerLayerBool("attention.sliding_window_pattern", layers)) {
    json types = json::array();
    for (bool sliding : *pattern) {
      types.push_back(sliding ? "sliding_attention" : "full_attention");
    }
    c["layer_types"] = types;
  }
  c["num_kv_shared_layers"] = m.Int("attention.shared_kv_layers").value_or(0);
  c["altup_num_inputs"] = m.Required("altup.num_inputs");
  c["hidden_size_per_layer_input"] = m.Required("embedding_length_per_layer_input");
  const GgufTensor* table = m.Tensor("per_layer_token_embd.weight");
  if (table == nullptr || table->ne.size() != 2) {
    throw InputError(fmt::format("{}: the file has no 2-D per_layer_token_embd.weight",
                                 OneLine(m.file().path, 200)));
  }
  c["vocab_size_per_layer_input"] = table->ne[1];
  const GgufTensor* laurel = m.Tensor("blk.0.laurel_l.weight");
  c["laurel_rank"] = laurel != nullptr && laurel->ne.size() == 2 ? laurel->ne[1] : 0;
  c["attention_bias"] = m.AnyLayerHas(layers, "attn_output.bias");
}

// mamba2: Mamba-2 layers only; the converter's context_length (2^20) is a placeholder.
void MapMamba2(const Mapper& m, json* cfg) {
  cfg->erase("max_position_embeddings");
  MapMamba2Keys(m, cfg,
                {"state_size", "num_heads", "head_dim", "n_groups", "conv_kernel", "use_conv_bias",
                 "use_bias"});
}

// mamba: Mamba-1 layers only; time_step_rank is Δ's rank here.
void MapMamba(const Mapper& m, json* cfg) {
  json& c = *cfg;
  cfg->erase("max_position_embeddings");
  const int64_t layers = Layers(c);
  c["state_size"] = m.Required("ssm.state_size");
  c["conv_kernel"] = m.Required("ssm.conv_kernel");
  c["intermediate_size"] = m.Required("ssm.inner_size");
  c["time_step_rank"] = m.Required("ssm.time_step_rank");
  c["use_conv_bias"] = m.AnyLayerHas(layers, "ssm_conv1d.bias");
  c["use_bias"] = m.AnyLayerHas(layers, "ssm_in.bias");
}

}  // namespace slmroof::gguf_detail
