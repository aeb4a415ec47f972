// Mixture-of-experts blocks: router, shared experts, routed experts streamed by the expected
// number of distinct experts the tokens touch, and the weighted combine (docs/cost-model.md §6.3).
#include <fmt/format.h>

#include "graph/builder.hpp"

namespace slmroof::graph_detail {

void Builder::AddExpertLinear(const std::string& name, TensorRole role, const FfnSpec& f,
                              double in, double out) {
  const double k = static_cast<double>(f.experts_per_token);
  const double e = static_cast<double>(f.num_experts);
  const auto runs = TypeRuns(role);
  const double kept = SparseKept(role);
  for (const auto& [type, count] : runs) {
    const double bias_bytes = f.expert_bias ? out * VectorBytes() : 0.0;
    Add({runs.size() > 1 ? fmt::format("{}.{}", name, type->name) : name,
         OpKind::kLinear,
         count,
         k * (2 * t_ * in * out * kept + (f.expert_bias ? t_ * out : CostPoly{})),
         ExpertsTouched(f.experts_per_token, f.num_experts) *
             (e * (in * out * (type->bytes() * kept + SparseIndexBytes(role)) + bias_bytes)),
         k * t_ * (in + out) * ba_,
         {},
         Matmul(*type),
         type->name,
         {}});
  }
}

void Builder::AddMoe(const FfnSpec& f, const std::string& p, int64_t count) {
  const double e = static_cast<double>(f.num_experts);
  const double k = static_cast<double>(f.experts_per_token);
  const double ie = static_cast<double>(f.expert_intermediate_size);
  // The router scores every expert for every token.
  AddLinear(p + "router", TensorRole::kFfnRouter, d_, e, f.router_bias);
  // Softmax (or sigmoid) over the E scores, 5 FLOP each as in §4.7, and one comparison each to
  // pick the top k; reads the scores, writes k weights and k int32 expert ids per token.
  Add({p + "route", OpKind::kRoute, count, 6 * t_ * e, {}, t_ * (e * ba_ + k * (ba_ + 4.0)), {},
       Precision::kFp32, {}, {}});
  const bool shared = f.intermediate_size > 0;
  if (shared) {
    FfnSpec dense = f;
    dense.bias = false;
    AddDenseFfn(dense, static_cast<double>(f.intermediate_size), p + "shared.", count);
  }
  const double act = ActivationFlops(f.activation);
  if (f.kind == FfnKind::kGated) {
    AddExpertLinear(p + "experts.gate_proj", TensorRole::kFfnGateExps, f, d_, ie);
    AddExpertLinear(p + "experts.up_proj", TensorRole::kFfnUpExps, f, d_, ie);
    Add({p + "experts.act_mul", OpKind::kActivation, count, k * t_ * ie * (act + 1), {},
         3 * k * t_ * ie * ba_, {}, Precision::kFp32, {}, {}});
  } else {
    AddExpertLinear(p + "experts.up_proj", TensorRole::kFfnUpExps, f, d_, ie);
    Add({p + "experts.act", OpKind::kActivation, count, k * t_ * ie * act, {},
         2 * k * t_ * ie * ba_, {}, Precision::kFp32, {}, {}});
  }
  AddExpertLinear(p + "experts.down_proj", TensorRole::kFfnDownExps, f, ie, d_);
  // Each token's k expert rows scaled by their weights and summed (2 FLOP per element), plus
  // the shared experts' row (1 FLOP); reads those rows, writes one.
  const double rows = k + (shared ? 1.0 : 0.0);
  Add({p + "moe_combine", OpKind::kResidual, count, t_ * d_ * (2 * k + (shared ? 1.0 : 0.0)), {},
       t_ * d_ * (rows + 1) * ba_, {}, Precision::kFp32, {}, {}});
}

}  // namespace slmroof::graph_detail
