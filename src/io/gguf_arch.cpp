// GGUF architectures read as transformer HuggingFace configs (docs/gguf.md "From GGUF metadata to
// a model"): each `{arch}.*` key is written back as the config key llama.cpp's converter
// (convert_hf_to_gguf.py) wrote it from, for the reader of the model_type named beside it.
#include <fmt/format.h>

#include "io/gguf_mapper.hpp"

namespace slmroof::gguf_detail {

using nlohmann::json;

namespace {

// Each expert's width: expert_feed_forward_length, else feed_forward_length (OLMoE, gpt-oss).
int64_t ExpertWidth(const Mapper& m) {
  if (auto w = m.Int("expert_feed_forward_length")) {
    return *w;
  }
  return m.Required("feed_forward_length");
}

void MapDense(const Mapper& m, json* cfg) {
  MapTransformer(m, cfg);
  (*cfg)["intermediate_size"] = m.Required("feed_forward_length");
}

// Qwen2-MoE and Qwen3-MoE: every layer routes (llama.cpp has no decoder_sparse_step or
// mlp_only_layers); feed_forward_length, the dense width no layer uses then, may be absent.
void MapQwenMoe(const Mapper& m, json* cfg) {
  MapTransformer(m, cfg);
  json& c = *cfg;
  c["num_experts"] = m.Required("expert_count");
  c["num_experts_per_tok"] = m.Required("expert_used_count");
  c["moe_intermediate_size"] = m.Required("expert_feed_forward_length");
  c["intermediate_size"] =
      m.Int("feed_forward_length").value_or(c["moe_intermediate_size"].get<int64_t>());
  if (auto shared = m.Int("expert_shared_feed_forward_length")) {
    c["shared_expert_intermediate_size"] = *shared;
  }
}

// OLMoE names each expert's width intermediate_size; the converter writes it as
// feed_forward_length.
void MapOlmoe(const Mapper& m, json* cfg) {
  MapTransformer(m, cfg);
  json& c = *cfg;
  c["num_experts"] = m.Required("expert_count");
  c["num_experts_per_tok"] = m.Required("expert_used_count");
  c["intermediate_size"] = ExpertWidth(m);
}

// gpt-oss: every layer routes; the converter writes each expert's width as
// expert_feed_forward_length (and feed_forward_length), the window as attention.sliding_window
// (even layers slide, as the family's rule has it).
void MapGptOss(const Mapper& m, json* cfg) {
  MapTransformer(m, cfg);
  json& c = *cfg;
  c["num_local_experts"] = m.Required("expert_count");
  c["num_experts_per_tok"] = m.Required("expert_used_count");
  c["intermediate_size"] = ExpertWidth(m);
}

// DeepSeek-V2/V3 (MLA): the converter writes the MLA head widths as key_length_mla and
// value_length_mla (key_length and value_length then describe the latent cache as one KV head);
// older files have only key_length and value_length, the per-head widths. The rotated width
// is rope.dimension_count; every layer after leading_dense_block_count routes.
void MapDeepseek2(const Mapper& m, json* cfg) {
  json& c = *cfg;
  c["num_attention_heads"] = m.Required("attention.head_count");
  if (auto q = m.Int("attention.q_lora_rank"); q && *q > 0) {
    c["q_lora_rank"] = *q;
  }
  c["kv_lora_rank"] = m.Required("attention.kv_lora_rank");
  const int64_t rope = m.Required("rope.dimension_count");
  const bool mla_keys = m.Has("attention.key_length_mla");
  const int64_t k = m.Required(mla_keys ? "attention.key_length_mla" : "attention.key_length");
  if (k <= rope) {
    m.Fail(mla_keys ? "attention.key_length_mla" : "attention.key_length",
           fmt::format("({}) must exceed rope.dimension_count ({})", k, rope));
  }
  c["qk_rope_head_dim"] = rope;
  c["qk_nope_head_dim"] = k - rope;
  c["v_head_dim"] = m.Required(mla_keys ? "attention.value_length_mla" : "attention.value_length");
  c["intermediate_size"] = m.Required("feed_forward_length");
  c["n_routed_experts"] = m.Required("expert_count");
  c["num_experts_per_tok"] = m.Required("expert_used_count");
  c["moe_intermediate_size"] = m.Required("expert_feed_forward_length");
  c["n_shared_experts"] = m.Int("expert_shared_count").value_or(0);
  c["first_k_dense_replace"] = m.Int("leading_dense_block_count").value_or(0);
  c["moe_layer_freq"] = 1;
}

}  // namespace

void MapTransformer(const Mapper& m, json* cfg) {
  json& c = *cfg;
  const int64_t layers = c["num_hidden_layers"].get<int64_t>();
  c["num_attention_heads"] = m.Required("attention.head_count");
  if (auto kv = m.Int("attention.head_count_kv")) {
    c["num_key_value_heads"] = *kv;
  }
  const int64_t heads = c["num_attention_heads"].get<int64_t>();
  const int64_t hidden = c["hidden_size"].get<int64_t>();
  const std::optional<int64_t> key_length = m.Int("attention.key_length");
  const int64_t head_dim = key_length.value_or(heads > 0 ? hidden / heads : 0);
  if (key_length) {
    c["head_dim"] = head_dim;
  }
  if (auto rope = m.Int("rope.dimension_count"); rope && head_dim > 0) {
    c["partial_rotary_factor"] = static_cast<double>(*rope) / static_cast<double>(head_dim);
  }
  if (auto w = m.Int("attention.sliding_window")) {
    c["sliding_window"] = *w;
    const std::string& arch = m.arch();
    if (arch == "qwen2" || arch == "qwen3" || arch == "qwen2moe" || arch == "qwen3moe") {
      c["use_sliding_window"] = true;
    }
  }
  c["attention_bias"] = m.AnyLayerHas(layers, "attn_output.bias");
  c["mlp_bias"] = m.AnyLayerHas(layers, "ffn_up.bias");
}

const std::vector<GgufArch>& GgufArchitectures() {
  // llama.cpp's LLM_ARCH names (llama-arch.cpp) → transformers model_type.
  static const std::vector<GgufArch> kArchs = {
      {"llama", "llama", MapDense},
      {"qwen2", "qwen2", MapDense},
      {"qwen3", "qwen3", MapDense},
      {"phi3", "phi3", MapDense},
      {"gemma", "gemma", MapDense},
      {"gemma2", "gemma2", MapDense},
      {"gemma3", "gemma3_text", MapDense},
      {"granite", "granite", MapDense},
      {"olmo2", "olmo2", MapDense},
      {"stablelm", "stablelm", MapDense},
      {"smollm3", "smollm3", MapDense},
      {"qwen2moe", "qwen2_moe", MapQwenMoe},
      {"qwen3moe", "qwen3_moe", MapQwenMoe},
      {"olmoe", "olmoe", MapOlmoe},
      {"deepseek2", "deepseek_v2", MapDeepseek2},
      {"nemotron_h", "nemotron_h", MapNemotronH},
      {"nemotron_h_moe", "nemotron_h", MapNemotronH},
      {"granitehybrid", "granitemoehybrid", MapGraniteHybrid},
      {"lfm2", "lfm2", MapLfm2},
      {"mamba2", "mamba2", MapMamba2},
      {"mamba", "mamba", MapMamba},
      {"falcon-h1", "falcon_h1", MapFalconH1},
      {"jamba", "jamba", MapJamba},
      {"qwen3next", "qwen3_next", MapQwen3Next},
      {"gemma3n", "gemma3n_text", MapGemma3n},
      {"qwen35", "qwen3_5_text", MapQwen3Next},
      {"qwen35moe", "qwen3_5_moe_text", MapQwen3Next},
      {"gpt-oss", "gpt_oss", MapGptOss},
  };
  return kArchs;
}

}  // namespace slmroof::gguf_detail
