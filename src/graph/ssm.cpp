// Mamba layers: Mamba-1's selective scan and Mamba-2's SSD, with their causal convolution and
// recurrent state (docs/cost-model.md §11.1, §11.2, §11.5).
#include "graph/builder.hpp"

namespace slmroof::graph_detail {

void Builder::AddCausalConv(const std::string& name, double channels, double taps, bool bias,
                            bool silu, double extra_flops, double extra_rows, int64_t count) {
  const DType& type = types_.Of(TensorRole::kSsmConv, first_);
  // A K-tap dot product is 2K FLOP per channel, +1 for the bias, +4 for SiLU (§6.2).
  const double per_channel = 2 * taps + (bias ? 1.0 : 0.0) + (silu ? 4.0 : 0.0) + extra_flops;
  Add({name,
       OpKind::kConv,
       count,
       t_ * channels * per_channel,
       PerPass(channels * taps * type.bytes() + (bias ? channels * VectorBytes() : 0.0)),
       t_ * channels * (2 + extra_rows) * ba_,
       StateTraffic((taps - 1) * channels),
       Precision::kFp32,
       type.name,
       {}});
}

void Builder::AddMamba(const SsmSpec& m, const std::string& p, int64_t count) {
  const double e = static_cast<double>(m.d_inner);
  const double n = static_cast<double>(m.d_state);
  const double k = static_cast<double>(m.d_conv);
  const bool prefill = phase_ == Phase::kPrefill;
  if (m.version == 1) {
    // §11.1: in_proj to x and z, conv over x, x_proj to (Δ, B, C), dt_proj, scan, out_proj.
    const double r = static_cast<double>(m.dt_rank);
    AddLinear(p + "ssm_in", TensorRole::kSsmIn, d_, 2 * e, m.proj_bias);
    AddCausalConv(p + "ssm_conv", e, k, m.conv_bias, true, 0, 0, count);
    AddLinear(p + "ssm_x", TensorRole::kSsmX, e, r + 2 * n, false);
    AddLinear(p + "ssm_dt", TensorRole::kSsmDt, r, e, true);
    // The scan per token: 7·E·N in a decode step (discretise with exp, update, read out), 9·E·N
    // in the parallel scan of prefill; 10·E for softplus of Δ (exp, add, log: 3), the D skip
    // (multiply-add: 2) and the y·SiLU(z) gate (4 + 1). Reads x, Δ, z, B and C, writes y; A
    // (E×N) and D (E) are streamed with the weights.
    Add({p + "ssm_scan",
         OpKind::kScan,
         count,
         t_ * (e * n * (prefill ? 9.0 : 7.0) + 10 * e),
         PerPass((e * n + e) * VectorBytes()),
         t_ * (4 * e + 2 * n) * ba_,
         StateTraffic(e * n),
         Precision::kFp32,
         {},
         {}});
    AddLinear(p + "ssm_out", TensorRole::kSsmOut, e, d_, m.proj_bias);
    return;
  }
  // §11.2: in_proj to (z, x, B, C, dt), conv over x, B and C, SSD, gated norm, out_proj.
  const double h = static_cast<double>(m.num_heads);
  const double gn = static_cast<double>(m.n_groups) * n;
  const double q = static_cast<double>(m.chunk_size);
  AddLinear(p + "ssm_in", TensorRole::kSsmIn, d_, 2 * e + 2 * gn + h, m.proj_bias);
  AddCausalConv(p + "ssm_conv", e + 2 * gn, k, m.conv_bias, true, 0, 0, count);
  // Decode: the state update and read-out, 5·E·N, plus 2·E for the D skip and 6·H for dt. Prefill
  // with chunks of Q: 2·Q·(E + G·N) within chunks, 4·N·E for chunk states and outputs, 2·E·N/Q
  // for passing states between chunks, Q·H for the decay mask; the fp32 intermediates it writes
  // and reads back are the C·Bᵀ blocks (2·G·Q), the chunk states (4·E·N/Q) and dA (2·H) per token.
  const double g = static_cast<double>(m.n_groups);
  const CostPoly flops =
      prefill ? t_ * (2 * q * (e + gn) + 4 * n * e + 2 * e * n / q + q * h + 2 * e + 6 * h)
              : t_ * (5 * e * n + 2 * e + 6 * h);
  const CostPoly act = t_ * ((2 * e + 2 * gn + h) * ba_) +
                       (prefill ? t_ * ((2 * g * q + 4 * e * n / q + 2 * h) * 4.0) : CostPoly{});
  Add({p + "ssm_scan", OpKind::kScan, count, flops, PerPass(3 * h * VectorBytes()), act,
       StateTraffic(e * n), Precision::kFp32, {}, {}});
  // y·SiLU(z), 4 + 1 FLOP per element, then RMSNorm (4 more and its scale) when the layer has
  // the gated norm; reads y and z, writes one row.
  Add({p + "ssm_norm", m.gated_norm ? OpKind::kNorm : OpKind::kActivation, count,
       t_ * e * (m.gated_norm ? 9.0 : 5.0), m.gated_norm ? PerPass(e * VectorBytes()) : CostPoly{},
       3 * t_ * e * ba_, {}, Precision::kFp32, {}, {}});
  AddLinear(p + "ssm_out", TensorRole::kSsmOut, e, d_, m.proj_bias);
}

}  // namespace slmroof::graph_detail
