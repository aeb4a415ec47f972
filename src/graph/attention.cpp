// Standard attention (MHA, GQA, MQA) and the attention core MLA shares (docs/cost-model.md
// §4.4–§4.8).
#include "graph/builder.hpp"

namespace slmroof::graph_detail {

// §4.6, §4.11: number of query-key scores per head summed over the batch.
CostPoly Builder::ScoresPerHead(int64_t window) const {
  const double w = static_cast<double>(window);
  if (phase_ == Phase::kDecode) {
    return window > 0 ? WindowedBN(w) : kBN;
  }
  // Unfused kernels compute the full square and mask it, window or not; flash kernels skip
  // masked tiles: B·N(N+1)/2, or B·S_W(N) through a window.
  if (s_.fusion != Fusion::kFlash) {
    return kBN2;
  }
  return window > 0 ? WindowedScores(w) : (kBN2 + kBN) * 0.5;
}

// §4.11: a decode step reads the cached rows its window covers; prefill reads every key once.
CostPoly Builder::KeysRead(int64_t window) const {
  return phase_ == Phase::kDecode && window > 0 ? WindowedBN(static_cast<double>(window)) : kBN;
}

// §4.6–§4.8: attention over the cache. `k_width`/`v_width` per head, `kv_heads` cached heads,
// `v_shares_k` when the value rows are a view of the key rows (absorbed MLA).
void Builder::AddAttentionCore(const std::string& prefix, double heads, double kv_heads, double k_width,
                      double v_width, bool v_shares_k, int64_t window, int64_t count) {
  const CostPoly scores = heads * ScoresPerHead(window);
  // Cached rows per KV head, read once per sequence; per query head where an unfused runtime
  // broadcasts a GQA group's K and V (§7.5).
  const bool per_query =
      s_.fusion == Fusion::kNone && s_.exec.unfused_kv_per_query_head;
  const CostPoly keys = KeysRead(window) * (per_query ? heads : kv_heads);
  const CostPoly q_read = t_ * heads * k_width * ba_;
  const CostPoly o_write = t_ * heads * v_width * ba_;
  const CostPoly k_read = keys * k_width * bkv_;
  const CostPoly v_read = keys * v_width * bkv_;
  if (s_.fusion == Fusion::kFlash) {
    const CostPoly flops = 2 * scores * k_width + 5 * scores + 2 * scores * v_width;
    Add({prefix + "attention",
         OpKind::kAttention,
         count,
         flops,
         {},
         q_read + o_write,
         v_shares_k ? k_read : k_read + v_read,
         attn_math_,
       {},
       {}});
    return;
  }
  Add({prefix + "attn_score",
       OpKind::kAttnScore,
       count,
       2 * scores * k_width,
       {},
       q_read + scores * ba_,
       k_read,
       attn_math_,
       {},
       {}});
  Add({prefix + "softmax",
       OpKind::kSoftmax,
       count,
       5 * scores,
       {},
       2 * scores * ba_,
       {},
       Precision::kFp32,
       {},
       {}});
  Add({prefix + "attn_value",
       OpKind::kAttnValue,
       count,
       2 * scores * v_width,
       {},
       scores * ba_ + o_write,
       v_read,
       attn_math_,
       {},
       {}});
}

void Builder::AddStandardAttention(const AttentionSpec& a, const std::string& p, int64_t count,
                                   double in_width) {
  const double in = in_width > 0 ? in_width : d_;
  const double h = static_cast<double>(a.num_heads);
  const double hkv = static_cast<double>(a.num_kv_heads);
  const double dh = static_cast<double>(a.head_dim);
  const double dv = static_cast<double>(a.v_head_dim);
  AddLinear(p + "q_proj", TensorRole::kAttnQ, in, h * dh * (a.output_gate ? 2 : 1), a.qkv_bias);
  // §13.3: a layer that reads an earlier layer's cache projects, normalises, rotates and writes
  // no keys or values.
  const double own_kv = a.kv_shared ? 0.0 : hkv;
  if (!a.kv_shared) {
    AddLinear(p + "k_proj", TensorRole::kAttnK, in, hkv * dh, a.qkv_bias);
    AddLinear(p + "v_proj", TensorRole::kAttnV, in, hkv * dv, a.qkv_bias);
  }
  if (a.qk_norm) {
    // §4.3: one RMSNorm row per head; the scale vector is shared by the heads.
    // One row per head, or one row across all heads (OLMo 2, OLMoE): the same FLOPs and rows.
    if (a.qk_norm_full) {
      AddNorm(p + "q_norm", NormKind::kRmsNorm, a.num_heads * a.head_dim, count, t_);
      if (!a.kv_shared) {
        AddNorm(p + "k_norm", NormKind::kRmsNorm, a.num_kv_heads * a.head_dim, count, t_);
      }
    } else {
      AddNorm(p + "q_norm", NormKind::kRmsNorm, a.head_dim, count, t_ * h);
      if (!a.kv_shared) {
        AddNorm(p + "k_norm", NormKind::kRmsNorm, a.head_dim, count, t_ * hkv);
      }
    }
  }
  if (a.rope_dim > 0) {
    const double r = static_cast<double>(a.rope_dim);
    AddRope(p + "rope", (h + own_kv) * r, r, count);
  }
  if (!a.kv_shared) {
    AddKvWrite(p + "kv_write", hkv * (dh + dv), count);
  }
  AddAttentionCore(p, h, hkv, dh, dv, false, a.sliding_window, count);
  if (a.output_gate) {
    // §11.3: o ⊙ sigmoid(gate), 5 FLOP per element (sigmoid 4, multiply 1); reads o and the
    // gate, writes one row.
    Add({p + "attn_gate", OpKind::kActivation, count, t_ * h * dv * 5, {}, 3 * t_ * h * dv * ba_, {},
         Precision::kFp32, {}, {}});
  }
  AddLinear(p + "o_proj", TensorRole::kAttnOutput, h * dv, d_, a.o_bias);
}

}  // namespace slmroof::graph_detail
