// Zamba2's shared transformer blocks (docs/cost-model.md §14): a hybrid layer runs one of the
// model's shared blocks on concat(hidden, token embedding), projects its output with its own
// d × d matrix and adds it to its Mamba-2 mixer's input. The block's weights are the model's,
// held once but streamed by every call; each call keeps its own KV cache and LoRA adapters.
#include "graph/builder.hpp"

namespace slmroof::graph_detail {

void Builder::AddSharedBlockCall(const LayerSpec& l, const std::string& p, int64_t count) {
  const SharedBlockCall& c = l.shared;
  const AttentionSpec& a = l.attention;
  const double d2 = 2 * d_;
  const double r = static_cast<double>(c.adapter_rank);
  // concat(hidden, embedding): two rows read, one of 2d written.
  Add({p + "shared_concat", OpKind::kResidual, count, {}, {}, 2 * t_ * d2 * ba_, {},
       Precision::kFp32, {}, {}});
  shared_weights_ = true;
  AddNorm(p + "shared_attn_norm", l.norm, 2 * model_.hidden_size, count, t_);
  AddStandardAttention(a, p + "shared_", count, d2);
  shared_weights_ = false;
  if (c.attention_adapters) {
    // LoRA on q, k and v: 2d → r → 2d each, added to the projections' outputs.
    AddLinear(p + "attn_adapter_down", TensorRole::kAdapter, d2, r, false, 3);
    AddLinear(p + "attn_adapter_up", TensorRole::kAdapterUp, r, d2, false, 3);
  }
  shared_weights_ = true;
  AddNorm(p + "shared_ffn_norm", l.norm, model_.hidden_size, count, t_);
  AddDenseFfn(l.ffn, static_cast<double>(l.ffn.intermediate_size), p + "shared_", count);
  shared_weights_ = false;
  if (c.mlp_adapter) {
    // LoRA on the gate/up projection: d → r → 2F.
    AddLinear(p + "ffn_adapter_down", TensorRole::kAdapter, d_, r, false);
    AddLinear(p + "ffn_adapter_up", TensorRole::kAdapterUp, r,
              2 * static_cast<double>(l.ffn.intermediate_size), false);
  }
  AddLinear(p + "shared_linear", TensorRole::kAdapter, d_, d_, false);
  // Added to the mixer's input (the layer's only residual is the mixer's, §4.10).
  Add({p + "shared_add", OpKind::kResidual, count, t_ * d_, {}, 3 * t_ * d_ * ba_, {},
       Precision::kFp32, {}, {}});
}

}  // namespace slmroof::graph_detail
