#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "slmroof/dtype.hpp"
#include "slmroof/model.hpp"

namespace slmroof {

struct QuantPlan;

/// What a weight tensor is for; storage recipes choose types by role (docs/cost-model.md §2.2).
enum class TensorRole {
  kTokenEmbd,
  kOutput,
  kAttnQ,
  kAttnK,
  kAttnV,
  kAttnOutput,
  kAttnQA,   ///< MLA query down-projection
  kAttnQB,   ///< MLA query up-projection
  kAttnKvA,  ///< MLA joint KV down-projection (with the decoupled RoPE key)
  kAttnKvB,  ///< MLA KV up-projection (W_UK and W_UV)
  kAttnKB,   ///< MLA W_UK alone, where a file splits kv_b (attn_k_b, ModelSpec::split_kv_b)
  kAttnVB,   ///< MLA W_UV alone (attn_v_b)
  kFfnGate,  ///< a dense FFN's or the shared experts' gate projection
  kFfnUp,
  kFfnDown,
  kFfnRouter,
  kFfnGateExps,  ///< the routed experts' gate projections, stacked in one tensor (ffn_gate_exps)
  kFfnUpExps,    ///< the routed experts' up projections (ffn_up_exps)
  kFfnDownExps,  ///< the routed experts' down projections (ffn_down_exps)
  kSsmIn,    ///< a recurrent mixer's input projection (Mamba in_proj, DeltaNet qkvz/ba, LFM2 in_proj)
  kSsmOut,   ///< its output projection
  kSsmQkv,   ///< a DeltaNet layer's q, k, v rows held apart (attn_qkv; ModelSpec::delta_layout)
  kSsmGate,  ///< its z (output gate) rows held apart (attn_gate)
  kSsmAlpha, ///< its α rows, or α and β together (ssm_alpha, ssm_beta_alpha)
  kSsmBeta,  ///< its β rows (ssm_beta)
  kSsmX,     ///< Mamba-1 x_proj (Δ, B, C)
  kSsmDt,    ///< Mamba-1 dt_proj
  kSsmConv,  ///< depthwise causal-convolution taps (kept in float: too short a row to quantize)
  kVector,   ///< 1-D tensors: norm scales and shifts, biases
  kPerLayerEmbd,  ///< Gemma 3n's per-layer embedding table (quantized as token_embd)
  kPerLayerGate,  ///< Gemma 3n's per-layer input gate (inp_gate, d → p)
  kPerLayerProj,  ///< Gemma 3n's per-layer input projection (proj, p → d)
  kAltUp,    ///< Gemma 3n's AltUp, LAuReL and per-layer model projection, never quantized
  kAdapter,  ///< Zamba2's shared-block output projection and LoRA down-projections (rows of d, 2d)
  kAdapterUp,  ///< Zamba2's LoRA up-projections (rows of the rank r)
};
// One role holds tensors of one row length per layer, so a type's block fallback (§2.2) is the
// same for all of them; routed and shared experts have roles of their own, since files store
// them at different types.
inline constexpr int kTensorRoleCount = 35;

/// GGUF-style name of a role ("attn_v", "ffn_down").
std::string_view TensorRoleName(TensorRole role);

/// One weight tensor of a model, named as llama.cpp's GGUF files name it.
struct WeightTensor {
  std::string name;     ///< "blk.3.attn_v.weight"
  TensorRole role;
  int64_t layer = -1;   ///< -1 for tensors outside the decoder layers
  int64_t cols = 0;     ///< row length (ggml ne[0]): the input width of a matrix
  double elements = 0;  ///< all elements, every expert included
};

/// Every weight tensor of a model in the order llama.cpp's loader sorts them (globals first, then
/// layer by layer). Their elements sum to CountParams(model).total().
std::vector<WeightTensor> ListWeightTensors(const ModelSpec& model);

/// A --weights setting: one storage type for every tensor, or a llama.cpp file type (a recipe
/// that gives each tensor the type llama-quantize would, §2.2).
struct WeightSetting {
  std::string name;                 ///< "Q4_K_M" for a file type, "q4_k" for a single type
  const DType* type = nullptr;      ///< the single type, or the file type's default type
  int file_type = -1;               ///< index into LlamaFileTypes(), -1 for a single type
  bool pure = false;                ///< "pure:TYPE": llama-quantize --pure (shape fallbacks only)
  /// Each named tensor's type (a GGUF file's, docs/gguf.md); tensors not named take `type`, 1-D
  /// tensors F32. Null for the settings above.
  std::shared_ptr<const std::map<std::string, const DType*>> per_tensor;
  /// Cost a GGUF file's model at the types the file stores (other models: as set above).
  bool from_file = false;
  /// A mixed-precision plan applied on top (plan.hpp); resolved per model by ResolveWeights.
  std::shared_ptr<const QuantPlan> plan;
};

/// The setting of a model read from a GGUF file: every tensor at the type the file stores it in
/// (model.stored_types), named "file (<ftype>)".
WeightSetting StoredWeights(const ModelSpec& model, const std::string& file_type_name);

/// Parses "Q4_K_M" (a llama.cpp file type, case-insensitive), "q4_k" (a single type), or
/// "pure:q4_0"; throws UsageError naming the known names.
WeightSetting ParseWeightSetting(std::string_view text);

/// The names --weights accepts, file types first.
std::vector<std::string> WeightSettingNames();

/// llama.cpp's file types (LLAMA_FTYPE_*), by the names llama-quantize prints.
struct LlamaFileType {
  std::string name;          ///< "Q4_K_M"
  std::string default_type;  ///< the type most tensors get ("q4_k")
};
const std::vector<LlamaFileType>& LlamaFileTypes();

/// The storage type of each weight tensor of one model under one setting.
class TensorTypes {
 public:
  /// Types for `layers` decoder layers, every role at `fill`, 1-D tensors at `vector_type`.
  TensorTypes(int64_t layers, const DType* fill, const DType* vector_type);

  const DType& Of(TensorRole role, int64_t layer) const;
  void Set(TensorRole role, int64_t layer, const DType* type);

 private:
  std::vector<std::array<const DType*, kTensorRoleCount>> layers_;
  std::array<const DType*, kTensorRoleCount> globals_{};
};

/// Gives every tensor of `model` its type under `setting` (§2.2).
TensorTypes AssignTensorTypes(const ModelSpec& model, const WeightSetting& setting);

/// The same as a map from each tensor's name (ListWeightTensors) to its type.
std::map<std::string, const DType*> TypesByTensor(const ModelSpec& model,
                                                  const WeightSetting& setting);

/// The type llama.cpp's quantizer gives each tensor for one file type; `tensors` in loader order.
/// Defined in llama_recipe.cpp.
TensorTypes LlamaRecipe(const ModelSpec& model, const std::vector<WeightTensor>& tensors,
                        const LlamaFileType& file_type, bool pure);

/// Bytes of the tensors of one storage type.
struct TypeShare {
  std::string type;
  int64_t tensors = 0;
  double elements = 0;
  double bytes = 0;
};

/// A model's weights under a setting: total bytes and the share of each type.
struct WeightMix {
  double elements = 0;
  double bytes = 0;
  std::vector<TypeShare> types;  ///< largest share first
  double bits_per_weight() const { return elements > 0 ? 8.0 * bytes / elements : 0.0; }
};

/// Sums the bytes of every tensor at its type.
WeightMix MixOf(const ModelSpec& model, const WeightSetting& setting);

}  // namespace slmroof
