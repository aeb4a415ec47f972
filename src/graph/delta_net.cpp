// Gated DeltaNet linear attention (Qwen3-Next, Qwen3.5): projections, short convolution, the gated
// delta-rule state of dk × dv per value head, gated norm (docs/cost-model.md §11.3, §11.5).
#include "graph/builder.hpp"

namespace slmroof::graph_detail {

void Builder::AddGatedDeltaNet(const DeltaNetSpec& g, const std::string& p, int64_t count) {
  const double hk = static_cast<double>(g.num_k_heads);
  const double hv = static_cast<double>(g.num_v_heads);
  const double dk = static_cast<double>(g.head_k_dim);
  const double dv = static_cast<double>(g.head_v_dim);
  const double qk = hk * dk;
  const double v = hv * dv;
  const double c = static_cast<double>(g.chunk_size);
  // q, k, v, z and the two gates β, α per value head, from one projection, or from the tensors
  // a file splits it into (ModelSpec::delta_layout), each at its own type.
  switch (model_.delta_layout) {
    case DeltaNetLayout::kFused:
      AddLinear(p + "delta_in", TensorRole::kSsmIn, d_, 2 * qk + 2 * v + 2 * hv, false);
      break;
    case DeltaNetLayout::kQkvzBa:
      AddLinear(p + "delta_in", TensorRole::kSsmIn, d_, 2 * qk + 2 * v, false);
      AddLinear(p + "delta_ba", TensorRole::kSsmAlpha, d_, 2 * hv, false);
      break;
    case DeltaNetLayout::kQkvGateBa:
    case DeltaNetLayout::kQkvGateAlphaBeta:
      AddLinear(p + "delta_qkv", TensorRole::kSsmQkv, d_, 2 * qk + v, false);
      AddLinear(p + "delta_gate", TensorRole::kSsmGate, d_, v, false);
      if (model_.delta_layout == DeltaNetLayout::kQkvGateBa) {
        AddLinear(p + "delta_ba", TensorRole::kSsmAlpha, d_, 2 * hv, false);
      } else {
        AddLinear(p + "delta_beta", TensorRole::kSsmBeta, d_, hv, false);
        AddLinear(p + "delta_alpha", TensorRole::kSsmAlpha, d_, hv, false);
      }
      break;
  }
  AddCausalConv(p + "delta_conv", 2 * qk + v, static_cast<double>(g.conv_kernel), false, true, 0, 0,
                count);
  // Per value head and token. Decode: S ← α·S (dk·dv), S·k (2·dk·dv), the rank-1 correction
  // β·(v − S·k)·kᵀ (2·dk·dv), o = S·q (2·dk·dv): 7·dk·dv. Chunked prefill with blocks of C
  // (fla's chunk_gated_delta_rule): K·Kᵀ and Q·Kᵀ within a block (4·C·dk), the WY transforms of
  // K and V (2·C·dk + 2·C·dv), the block's attention times V' (2·C·dv), the triangular solve
  // (C²/3), and the state read, correction and update (6·dk·dv). Both add the L2 norms of q and
  // k (4 FLOP per element) and the gates (6 per head). Reads q, k, v, β, α; writes o.
  const bool prefill = phase_ == Phase::kPrefill;
  const double per_head =
      prefill ? 6 * c * dk + 4 * c * dv + c * c / 3 + 6 * dk * dv : 7 * dk * dv;
  Add({p + "delta_rule",
       OpKind::kScan,
       count,
       t_ * (hv * per_head + 2 * qk * 4 + 6 * hv),
       PerPass(2 * hv * VectorBytes()),
       t_ * ((2 * qk + 2 * v + 2 * hv) * ba_),
       StateTraffic(hv * dk * dv),
       Precision::kFp32,
       {},
       {}});
  // o·SiLU(z), then RMSNorm per head: 9 FLOP per element; reads o and z, writes one row.
  Add({p + "delta_norm", OpKind::kNorm, count, t_ * v * 9, PerPass(dv * VectorBytes()),
       3 * t_ * v * ba_, {}, Precision::kFp32, {}, {}});
  AddLinear(p + "delta_out", TensorRole::kSsmOut, v, d_, false);
}

}  // namespace slmroof::graph_detail
