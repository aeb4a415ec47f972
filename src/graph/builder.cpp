// The builder of one phase's operators: embedding, projections, norms, layers, LM head
// (docs/cost-model.md §4).
#include "graph/builder.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace slmroof::graph_detail {

std::vector<OperatorCost> Builder::Build() {
  // §4.1: the embedding reads one table row per token and writes it as an activation.
  const DType& embd = types_.Of(TensorRole::kTokenEmbd, -1);
  Add({"embedding", OpKind::kEmbedding, 1, {}, t_ * d_ * embd.bytes(), t_ * d_ * ba_, {},
       Matmul(embd), embd.name, {}});
  AddGemma3nInputs();
  const bool several = model_.groups.size() > 1;
  first_ = 0;
  for (const LayerGroup& g : model_.groups) {
    std::string prefix;
    if (several) {
      prefix = g.repeat == 1 ? fmt::format("L{}.", first_)
                             : fmt::format("L{}-{}.", first_, first_ + g.repeat - 1);
    }
    repeat_ = g.repeat;
    AddLayer(g.layer, g.repeat, prefix);
    first_ += g.repeat;
  }
  first_ = -1;
  repeat_ = 1;
  AddGemma3nOutputs();
  AddNorm("final_norm", model_.final_norm, model_.hidden_size, 1, t_);
  // §4.9: logits only for the last position of each sequence, written in fp32. A tied model
  // multiplies by the embedding table.
  const double v = static_cast<double>(model_.vocab_size);
  const DType& out = types_.Of(
      model_.tie_word_embeddings ? TensorRole::kTokenEmbd : TensorRole::kOutput, -1);
  Add({"lm_head",
       OpKind::kLmHead,
       1,
       2 * kB * d_ * v,
       Const(d_ * v * out.bytes()),
       kB * d_ * ba_ + kB * v * 4.0,
       {},
       Matmul(out),
       out.name,
       {}});
  // §7.5: the runtime's fixed cost per forward pass.
  const double fixed = s_.exec.overhead_per_pass_s +
                       static_cast<double>(model_.NumLayers()) * s_.exec.overhead_per_layer_s;
  if (fixed > 0) {
    Add({"overhead", OpKind::kOverhead, 1, {}, {}, {}, {}, Precision::kFp32, {}, PerPass(fixed)});
  }
  return std::move(ops_);
}

// §2.3: the precision a matrix product with weights of `type` runs in; an engine profile may
// say that quantized weights meet int8 activations (llama.cpp CPU/CUDA) or are dequantized to
// fp16 (Metal), and that float weights set the math precision (§7.5).
Precision Builder::Matmul(const DType& type) const {
  if (type.quantized && s_.exec.quantized_math) {
    return *s_.exec.quantized_math;
  }
  if (!type.quantized && s_.exec.float_math_from_weights) {
    return type.math;
  }
  return WiderPrecision(s_.act.math, type.math);
}

// §4.2: a projection of every token from width `in` to width `out`, once per head when
// `heads` > 1 (the absorbed MLA products of §5.2 apply a separate matrix to each head). Layers
// of the group whose `role` tensor has another storage type get a row of their own (§2.2).
std::vector<std::pair<const DType*, int64_t>> Builder::TypeRuns(TensorRole role) const {
  std::vector<std::pair<const DType*, int64_t>> runs;
  if (shared_weights_) {
    return {{&types_.Of(role, -1), repeat_}};  // §14: a shared block's tensors are the model's
  }
  for (int64_t l = first_; l < first_ + repeat_; ++l) {
    const DType* type = &types_.Of(role, l);
    auto it = std::find_if(runs.begin(), runs.end(), [&](const auto& r) { return r.first == type; });
    if (it == runs.end()) {
      runs.push_back({type, 1});
    } else {
      ++it->second;
    }
  }
  return runs;
}

void Builder::AddLinear(const std::string& name, TensorRole role, double in, double out, bool bias,
                        double heads) {
  const auto runs = TypeRuns(role);
  const double kept = SparseKept(role);
  for (const auto& [type, count] : runs) {
    const double bias_bytes = bias ? out * VectorBytes() : 0.0;
    Add({runs.size() > 1 ? fmt::format("{}.{}", name, type->name) : name,
         OpKind::kLinear,
         count,
         heads * (2 * t_ * in * out * kept + (bias ? t_ * out : CostPoly{})),
         PerPass(heads * (in * out * (type->bytes() * kept + SparseIndexBytes(role)) + bias_bytes)),
         heads * t_ * (in + out) * ba_,
         {},
         Matmul(*type),
         type->name,
         {}});
  }
}

// §4.3: RMSNorm costs 4 FLOP per element, LayerNorm 7; both read and write each row once.
void Builder::AddNorm(const std::string& name, NormKind kind, int64_t width, int64_t count,
             const CostPoly& rows) {
  const double w = static_cast<double>(width);
  const double per = kind == NormKind::kLayerNorm ? 7.0 : 4.0;
  const double params = kind == NormKind::kLayerNorm ? 2.0 * w : w;
  Add({name,
       OpKind::kNorm,
       count,
       per * rows * w,
       PerPass(params * VectorBytes()),
       2 * rows * w * ba_,
       {},
       Precision::kFp32,
       {},
       {}});
}

// §4.5: rotating `rotated` elements per token costs 3 FLOP each; the cos/sin row is fp32.
void Builder::AddRope(const std::string& name, double rotated, double rope_dim, int64_t count) {
  Add({name,
       OpKind::kRope,
       count,
       3 * t_ * rotated,
       {},
       2 * t_ * rotated * ba_ + t_ * rope_dim * 4.0,
       {},
       Precision::kFp32,
       {},
       {}});
}

// §4.4: new keys and values are converted to the cache type and written.
void Builder::AddKvWrite(const std::string& name, double elements_per_token, int64_t count) {
  Add({name,
       OpKind::kKvWrite,
       count,
       {},
       {},
       t_ * elements_per_token * ba_,
       t_ * elements_per_token * bkv_,
       Precision::kFp32,
       {},
       {}});
}

void Builder::AddLayer(const LayerSpec& layer, int64_t repeat, const std::string& p) {
  const Gemma3nLayerSpec& g = layer.gemma3n;
  if (g.altup_streams > 0) {
    AddAltUpPredict(g, p, repeat);
  }
  if (CallsSharedBlock(layer)) {
    AddSharedBlockCall(layer, p, repeat);
  }
  AddLayerCore(layer, repeat, p);
  AddGemma3nLayerTail(g, p, repeat);
}

void Builder::AddLayerCore(const LayerSpec& layer, int64_t repeat, const std::string& p) {
  const bool mixer = layer.mixer != MixerKind::kNone;
  if (mixer) {
    AddNorm(p + (layer.mixer == MixerKind::kAttention ? "attn_norm" : "mixer_norm"), layer.norm,
            model_.hidden_size, repeat, t_);
  }
  switch (layer.mixer) {
    case MixerKind::kAttention:
      break;
    case MixerKind::kMamba:
      AddMamba(layer.ssm, p, repeat);
      break;
    case MixerKind::kGatedDeltaNet:
      AddGatedDeltaNet(layer.delta, p, repeat);
      break;
    case MixerKind::kShortConv:
      AddShortConv(layer.conv, p, repeat);
      break;
    case MixerKind::kNone:
      break;
  }
  // Attention as the mixer, or beside a Mamba mixer on the same normed input (Falcon-H1); a
  // shared block's is built by AddSharedBlockCall.
  if (HasAttention(layer) && !CallsSharedBlock(layer)) {
    if (layer.attention.kind == AttentionKind::kMla) {
      AddMlaAttention(layer.attention, p, repeat);
    } else {
      AddStandardAttention(layer.attention, p, repeat);
    }
  }
  if (layer.gemma3n.laurel_rank > 0) {
    AddLaurel(layer.gemma3n, p, repeat);
  }
  if (layer.norms_per_layer > 2) {
    AddNorm(p + "post_norm", layer.norm, model_.hidden_size, repeat * (layer.norms_per_layer - 2),
            t_);
  }
  // §4.10: a residual add after the mixer and one after the FFN, each reading two rows and
  // writing one; parallel mixers add their two outputs first (§11.6).
  const int64_t adds = (mixer ? 1 : 0) + (layer.has_ffn ? 1 : 0) + (layer.parallel_attention ? 1 : 0);
  Add({p + "residual_add",
       OpKind::kResidual,
       adds * repeat,
       t_ * d_,
       {},
       3 * t_ * d_ * ba_,
       {},
       Precision::kFp32,
       {},
       {}});
  if (!layer.has_ffn) {
    return;
  }
  // §4.10: with one norm per layer (Phi, Cohere), the FFN reads the attention's normed input; an
  // FFN-only layer (Nemotron-H) has its own.
  if (layer.norms_per_layer >= 2 || !mixer) {
    AddNorm(p + "ffn_norm", layer.norm, model_.hidden_size, repeat, t_);
  }
  AddFfn(layer.ffn, p, repeat);
}

}  // namespace slmroof::graph_detail
