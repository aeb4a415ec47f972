// Multi-head latent attention, absorbed or naive (docs/cost-model.md §5).
#include "graph/builder.hpp"

namespace slmroof::graph_detail {

// §5: multi-head latent attention, absorbed or naive.
void Builder::AddMlaAttention(const AttentionSpec& a, const std::string& p, int64_t count) {
  const double h = static_cast<double>(a.num_heads);
  const double dq = static_cast<double>(a.q_lora_rank);
  const double dc = static_cast<double>(a.kv_lora_rank);
  const double dn = static_cast<double>(a.qk_nope_head_dim);
  const double dr = static_cast<double>(a.qk_rope_head_dim);
  const double dv = static_cast<double>(a.v_head_dim);
  if (a.q_lora_rank > 0) {
    AddLinear(p + "q_a_proj", TensorRole::kAttnQA, d_, dq, false);
    AddNorm(p + "q_a_norm", NormKind::kRmsNorm, a.q_lora_rank, count, t_);
    AddLinear(p + "q_b_proj", TensorRole::kAttnQB, dq, h * (dn + dr), false);
  } else {
    AddLinear(p + "q_proj", TensorRole::kAttnQ, d_, h * (dn + dr), false);
  }
  AddLinear(p + "kv_a_proj", TensorRole::kAttnKvA, d_, dc + dr, false);
  AddNorm(p + "kv_a_norm", NormKind::kRmsNorm, a.kv_lora_rank, count, t_);
  AddRope(p + "rope", (h + 1) * dr, dr, count);
  if (PhaseMla(s_, phase_) == MlaForm::kAbsorbed) {
    // §5.2: W_UK folded into the query, attention as MQA over the latent, W_UV after it.
    // A file that splits kv_b holds W_UK and W_UV as tensors of their own types.
    const bool split = model_.split_kv_b;
    AddLinear(p + "q_absorb", split ? TensorRole::kAttnKB : TensorRole::kAttnKvB, dn, dc, false, h);
    AddKvWrite(p + "kv_write", dc + dr, count);
    AddAttentionCore(p, h, 1, dc + dr, dc, true, a.sliding_window, count);
    AddLinear(p + "v_absorb", split ? TensorRole::kAttnVB : TensorRole::kAttnKvB, dc, dv, false, h);
  } else {
    // §5.1: new tokens are decompressed into per-head keys and values, which are cached.
    if (model_.split_kv_b) {
      AddLinear(p + "k_b_proj", TensorRole::kAttnKB, dc, h * dn, false);
      AddLinear(p + "v_b_proj", TensorRole::kAttnVB, dc, h * dv, false);
    } else {
      AddLinear(p + "kv_b_proj", TensorRole::kAttnKvB, dc, h * (dn + dv), false);
    }
    AddKvWrite(p + "kv_write", h * (dn + dr + dv), count);
    AddAttentionCore(p, h, h, dn + dr, dv, false, a.sliding_window, count);
  }
  AddLinear(p + "o_proj", TensorRole::kAttnOutput, h * dv, d_, false);
}

}  // namespace slmroof::graph_detail
