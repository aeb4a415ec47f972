#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace slmroof {

/// How a layer's attention is built. MHA, GQA and MQA are kStandard with different KV head counts.
enum class AttentionKind { kStandard, kMla };

/// One layer's attention block (docs/cost-model.md §4 and §5).
struct AttentionSpec {
  AttentionKind kind = AttentionKind::kStandard;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;   ///< standard attention only
  int64_t head_dim = 0;       ///< query/key width per head (standard attention)
  int64_t v_head_dim = 0;     ///< value width per head (both kinds)
  int64_t rope_dim = 0;       ///< rotated elements per query/key head (partial rotary < head_dim)
  bool qkv_bias = false;      ///< q, k and v projections carry a bias
  bool o_bias = false;        ///< the output projection carries a bias
  bool qk_norm = false;       ///< per-head RMSNorm on queries and keys (Qwen3)
  /// The q/k norms span all heads' width with a scale per element (OLMo 2, OLMoE), not one
  /// head's width shared by the heads.
  bool qk_norm_full = false;
  /// Tokens a query attends back over, itself included (§4.11); 0: the whole context.
  int64_t sliding_window = 0;
  /// A sigmoid gate from q_proj (twice as wide) scales the attention output per element before
  /// o_proj (Qwen3-Next's gated attention, §11.3).
  bool output_gate = false;
  /// The layer attends over an earlier layer's cache (Gemma 3n's last num_kv_shared_layers,
  /// §13.3): it projects queries only and holds no cache of its own. Its k/v weights still exist
  /// in the checkpoint and in memory, unused.
  bool kv_shared = false;
  // Multi-head latent attention (kind == kMla).
  int64_t q_lora_rank = 0;    ///< 0 when queries use one plain projection
  int64_t kv_lora_rank = 0;
  int64_t qk_nope_head_dim = 0;
  int64_t qk_rope_head_dim = 0;
  bool operator==(const AttentionSpec&) const = default;
};

/// The feed-forward block's shape.
enum class FfnKind { kGated, kMlp };

/// The FFN's non-linearity.
enum class Activation { kSilu, kGelu, kGeluTanh, kRelu, kReluSquared };

/// How a file holds a Gated DeltaNet layer's input projection (docs/gguf.md): one matrix (a
/// config's description), or the tensors llama.cpp's converters split it into.
enum class DeltaNetLayout {
  kFused,             ///< ssm_in: q, k, v, z, β and α rows
  kQkvzBa,            ///< ssm_in (q, k, v, z) + ssm_beta_alpha (older Qwen3-Next files)
  kQkvGateBa,         ///< attn_qkv + attn_gate (z) + ssm_beta_alpha (Qwen3-Next)
  kQkvGateAlphaBeta,  ///< attn_qkv + attn_gate + ssm_beta + ssm_alpha (Qwen3.5)
};

/// One layer's feed-forward block (docs/cost-model.md §6).
struct FfnSpec {
  FfnKind kind = FfnKind::kGated;
  Activation activation = Activation::kSilu;
  /// Width of the dense FFN; in a MoE layer, the total width of its shared experts (0: none).
  int64_t intermediate_size = 0;
  bool bias = false;
  // Mixture of experts (§6.3).
  int64_t num_experts = 0;        ///< routed experts (0: dense layer)
  int64_t num_shared_experts = 0; ///< shared experts, together intermediate_size wide
  int64_t experts_per_token = 0;  ///< k: routed experts each token is sent to
  int64_t expert_intermediate_size = 0;  ///< width of one routed expert
  bool router_bias = false;       ///< the router has a bias (gpt-oss)
  bool expert_bias = false;       ///< every routed expert's projections have biases (gpt-oss)
  bool is_moe() const { return num_experts > 0; }
  bool operator==(const FfnSpec&) const = default;
};

/// What mixes tokens in a layer (docs/cost-model.md §11).
enum class MixerKind {
  kAttention,      ///< softmax attention (standard or MLA)
  kMamba,          ///< a selective state-space layer, Mamba-1 or Mamba-2 (SsmSpec)
  kGatedDeltaNet,  ///< linear attention with a gated delta-rule state (Qwen3-Next, Qwen3.5)
  kShortConv,      ///< a gated short convolution (LFM2)
  kNone,           ///< no mixer: an FFN-only layer (Nemotron-H's MLP layers)
};

/// A Mamba layer (§11.1, §11.2). E = d_inner, N = d_state, K = d_conv.
struct SsmSpec {
  int version = 2;              ///< 1: selective scan (Mamba-1); 2: SSD (Mamba-2)
  int64_t d_inner = 0;          ///< E
  int64_t d_state = 0;          ///< N
  int64_t d_conv = 4;           ///< K, the causal convolution's taps
  int64_t dt_rank = 0;          ///< R, Mamba-1's Δ rank
  int64_t num_heads = 0;        ///< H, Mamba-2 heads (head width E / H)
  int64_t n_groups = 1;         ///< G, Mamba-2 groups of B and C
  int64_t chunk_size = 256;     ///< Q, Mamba-2's SSD chunk
  bool proj_bias = false;       ///< in_proj and out_proj carry biases
  bool conv_bias = true;
  bool gated_norm = true;       ///< Mamba-2's gated RMSNorm before out_proj
  bool operator==(const SsmSpec&) const = default;
};

/// A Gated DeltaNet layer (§11.3): Hk query/key heads of dk, Hv value heads of dv.
struct DeltaNetSpec {
  int64_t num_k_heads = 0;
  int64_t num_v_heads = 0;
  int64_t head_k_dim = 0;
  int64_t head_v_dim = 0;
  int64_t conv_kernel = 4;
  int64_t chunk_size = 64;      ///< the chunked prefill's block (fla's chunk_gated_delta_rule)
  bool operator==(const DeltaNetSpec&) const = default;
};

/// A gated short convolution over the model width (§11.4).
struct ShortConvSpec {
  int64_t kernel = 3;           ///< L, LFM2's conv_L_cache
  bool bias = false;
  bool operator==(const ShortConvSpec&) const = default;
};

/// The normalisation layers use.
enum class NormKind { kRmsNorm, kLayerNorm };

/// Gemma 3n's additions to a decoder layer (docs/cost-model.md §13); all 0 elsewhere.
struct Gemma3nLayerSpec {
  int64_t altup_streams = 0;    ///< n: AltUp's copies of the residual stream (predict, correct)
  int64_t laurel_rank = 0;      ///< r: the LAuReL low-rank residual d → r → d
  int64_t per_layer_width = 0;  ///< p: the per-layer input gate d → p and projection p → d
  bool operator==(const Gemma3nLayerSpec&) const = default;
};

/// A Zamba2 hybrid layer's call of a shared transformer block before its Mamba-2 mixer
/// (docs/cost-model.md §14). The layer's `attention` and `ffn` then describe the shared block,
/// whose weights the model holds once per block; the call has its own KV cache, its own
/// d × d output projection and, optionally, its own LoRA adapters.
struct SharedBlockCall {
  int64_t block = -1;               ///< which shared block; -1: the layer calls none
  int64_t adapter_rank = 0;         ///< r of this call's LoRA adapters
  bool attention_adapters = false;  ///< LoRA on q, k and v (2d → r → 2d each)
  bool mlp_adapter = false;         ///< LoRA on the MLP's gate/up projection (d → r → 2F)
  bool operator==(const SharedBlockCall&) const = default;
};

/// Gemma 3n's model-level additions (§13): the per-layer embedding table, its projection from the
/// token embedding, and AltUp's stream projections; all 0 elsewhere.
struct Gemma3nModelSpec {
  int64_t per_layer_vocab = 0;  ///< Vp: rows of the per-layer embedding table
  int64_t per_layer_width = 0;  ///< p: each layer's slice of a row (a row holds L·p)
  int64_t altup_streams = 0;    ///< n: n − 1 projections d → d in, n − 1 out
  bool active() const { return per_layer_vocab > 0 || altup_streams > 0; }
  bool operator==(const Gemma3nModelSpec&) const = default;
};

/// Everything that defines one decoder layer.
struct LayerSpec {
  MixerKind mixer = MixerKind::kAttention;
  AttentionSpec attention;   ///< with mixer kAttention, or beside a Mamba mixer (parallel_attention)
  SsmSpec ssm;               ///< mixer kMamba
  DeltaNetSpec delta;        ///< mixer kGatedDeltaNet
  ShortConvSpec conv;        ///< mixer kShortConv
  /// Attention runs beside the Mamba mixer on the same normed input, their outputs added
  /// (Falcon-H1): the layer has both a KV cache and a recurrent state.
  bool parallel_attention = false;
  bool has_ffn = true;       ///< false: a mixer-only layer (Mamba models, Nemotron-H)
  FfnSpec ffn;
  NormKind norm = NormKind::kRmsNorm;
  /// Gemma-2 adds post-attention and post-FFN norms: 4; Phi and Cohere feed attention and FFN
  /// from one norm: 1.
  int64_t norms_per_layer = 2;
  Gemma3nLayerSpec gemma3n;  ///< AltUp, LAuReL and per-layer inputs (§13)
  SharedBlockCall shared;    ///< Zamba2's shared transformer block before the mixer (§14)
  bool operator==(const LayerSpec&) const = default;
};

/// A run of identical consecutive layers.
struct LayerGroup {
  LayerSpec layer;
  int64_t repeat = 1;
};

/// A validated model description: layers need not all be alike.
struct ModelSpec {
  std::string name;          ///< preset name or file stem
  std::string display_name;
  std::string family;        ///< model_type for HF configs, "native" otherwise
  std::string source;        ///< where the figures come from
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  bool tie_word_embeddings = false;
  NormKind final_norm = NormKind::kRmsNorm;
  int64_t max_context = 0;   ///< the context it was trained for (max_position_embeddings); 0: unknown
  Gemma3nModelSpec gemma3n;  ///< per-layer embeddings and AltUp projections (§13)
  int64_t shared_blocks = 0; ///< Zamba2's distinct shared transformer blocks (§14)
  std::vector<LayerGroup> groups;
  std::vector<std::string> warnings;  ///< approximations the reader made, shown on stderr
  /// A GGUF file's storage type of each tensor it holds, by name (slmroof type names); empty
  /// for configs. analyze costs these unless --weights is given.
  std::map<std::string, std::string> stored_types;
  std::string stored_file_type;  ///< the file type its quantizer recorded ("Q4_K_M"), if any
  /// Bytes of a GGUF file's tensors the cost model has no place for (llama.cpp's rope_freqs):
  /// held in memory, never streamed.
  double extra_weight_bytes = 0;
  /// MLA's kv_b is held as two tensors, attn_k_b (W_UK, rows of qk_nope_head_dim) and attn_v_b
  /// (W_UV), each at its own type, as llama.cpp's converter writes GGUF files (docs/gguf.md).
  bool split_kv_b = false;
  /// The tensors a Gated DeltaNet layer's input projection is held in, each at its own type.
  DeltaNetLayout delta_layout = DeltaNetLayout::kFused;

  int64_t NumLayers() const;
};

/// Whether a layer holds a KV cache: softmax attention as its mixer, beside it, or in the
/// shared block it calls (Zamba2).
inline bool HasAttention(const LayerSpec& l) {
  return l.mixer == MixerKind::kAttention || l.parallel_attention || l.shared.block >= 0;
}

/// Whether a layer's attention and FFN are those of a shared block it calls (§14): their
/// weights belong to the model, not to the layer.
inline bool CallsSharedBlock(const LayerSpec& l) { return l.shared.block >= 0; }

/// Elements of the recurrent state one sequence keeps in a layer, SSM or delta-rule state plus
/// convolution state (§11.5); 0 for attention-only and FFN-only layers.
double StateElements(const LayerSpec& layer, int64_t hidden_size);

/// Parameter counts in elements (docs/cost-model.md §3).
struct ParamCount {
  double embedding = 0;  ///< token embedding table
  double lm_head = 0;    ///< 0 when tied to the embedding
  double layers = 0;     ///< all decoder layers, every expert included
  double active_layers = 0;  ///< decoder layers with only shared + top-k experts
  double final_norm = 0;
  double per_layer_embedding = 0;  ///< Gemma 3n's per-layer embedding table (§13.1)
  double globals = 0;  ///< other model-level matrices: Gemma 3n's AltUp and per-layer projections
  double total() const {
    return embedding + lm_head + layers + final_norm + per_layer_embedding + globals;
  }
  double active() const {
    return embedding + lm_head + active_layers + final_norm + per_layer_embedding + globals;
  }
};

/// The kinds of layer a model is made of, in order of first appearance: its attention
/// ("GQA 32/8", "MLA"), "Mamba-1", "Mamba-2", "DeltaNet", "conv", joined by " + ", with " + MoE"
/// when any layer routes to experts ("Mamba-2 + GQA 32/2 + MoE").
std::string DescribeLayers(const ModelSpec& model);

/// Counts a model's parameters.
ParamCount CountParams(const ModelSpec& model);

/// Weight elements of one layer; with `active_only`, only shared + top-k experts.
double LayerParams(const LayerSpec& layer, int64_t hidden_size, bool active_only);

/// Parameters of one shared transformer block, whose shape a calling Zamba2 layer describes
/// (§14.1); CountParams counts it once per block.
double SharedBlockParams(const LayerSpec& layer, int64_t hidden_size);

/// The paper's depth variant with `layers` (≥ 1) layers: the model's first layers, extended with
/// copies of its last layer when it has fewer.
ModelSpec WithDepth(const ModelSpec& model, int64_t layers);

/// Checks sizes and divisibility; throws InputError naming `origin` and the field.
void ValidateModel(const ModelSpec& model, const std::string& origin);

}  // namespace slmroof
