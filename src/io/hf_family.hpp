#pragma once

// Private to the HuggingFace readers: what a transformer model_type means for the cost model
// (hf_config.cpp holds the table) and what differs from layer to layer within it (hf_layers.cpp).

#include <cstdint>
#include <vector>

#include "io/hf_view.hpp"
#include "slmroof/model.hpp"

namespace slmroof::reader {

/// Which layers of a family are MoE layers (§6.3), as transformers' modeling file decides.
enum class MoeRule {
  kNone,      ///< dense (num_experts etc. are ignored, with a warning)
  kDeepseek,  ///< n_routed_experts; layers i ≥ first_k_dense_replace with i % moe_layer_freq == 0
  kQwen,      ///< num_experts; layers not in mlp_only_layers with (i + 1) % decoder_sparse_step == 0
  kAll,       ///< num_local_experts or num_experts: every layer (mixtral, olmoe, granitemoe, gpt-oss)
};

/// Which layers attend through `sliding_window` when the config has no `layer_types` list
/// (§4.11), as the family's configuration file derives its default layer_types.
enum class WindowRule {
  kNone,       ///< the modeling file ignores sliding_window (warned when it is set)
  kAll,        ///< every layer (mistral, mixtral, phi3)
  kFromLayer,  ///< layers i ≥ max_window_layers, when use_sliding_window (qwen2, qwen3, smollm3)
  kAlternate,  ///< even layers local, odd layers global (gemma2, gpt-oss)
  kPattern,    ///< layer i global when (i + 1) % sliding_window_pattern == 0 (gemma3, cohere2)
};

/// What a model_type means for the cost model: its defaults as transformers' configuration and
/// modeling files for that type have them (the source of each row is the transformers file named
/// after the model_type, e.g. models/olmo2/modeling_olmo2.py).
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

/// What differs from layer to layer of a transformer family: experts (§6.3), RoPE (SmolLM3),
/// windows (§4.11).
struct LayerPlan {
  LayerSpec moe;                  ///< the MoE layer, when moe_rule is not kNone
  MoeRule moe_rule = MoeRule::kNone;
  int64_t first_dense = 0;        ///< DeepSeek first_k_dense_replace
  int64_t step = 1;               ///< DeepSeek moe_layer_freq, Qwen decoder_sparse_step
  std::vector<bool> dense_only;   ///< Qwen mlp_only_layers, by layer
  std::vector<bool> rope;         ///< empty: every layer rotates
  std::vector<bool> windowed;     ///< by layer
  int64_t window = 0;             ///< 0: no layer is windowed

  bool IsMoe(int64_t i) const;
  bool WindowAt(int64_t i) const { return window > 0 && windowed[static_cast<size_t>(i)]; }
};

/// The plan of a `layers`-layer model of family `fam` whose dense layer is `dense`.
LayerPlan PlanLayers(const View& v, const Family& fam, const LayerSpec& dense, int64_t layers);

}  // namespace slmroof::reader
