// Feed-forward blocks: gated and plain MLPs, the interim MoE (docs/cost-model.md §6).
#include "graph/builder.hpp"

namespace slmroof::graph_detail {

namespace {

// FLOPs per element of each non-linearity; special functions count as one FLOP (§6.2).
double ActivationFlops(Activation a) {
  switch (a) {
    case Activation::kSilu:
      return 4;
    case Activation::kGelu:
      return 5;
    case Activation::kGeluTanh:
      return 8;
    case Activation::kRelu:
      return 1;
    case Activation::kReluSquared:
      return 2;
  }
  return 0;
}

}  // namespace

void Builder::AddFfn(const FfnSpec& f, const std::string& p, int64_t count) {
  const double i = static_cast<double>(f.intermediate_size);
  if (f.num_experts > 0) {
    // Until MoE lands: the router plus a dense FFN as wide as shared + top-k experts (§6.3).
    AddLinear(p + "router", TensorRole::kFfnRouter, d_, static_cast<double>(f.num_experts), false);
  }
  const double act = ActivationFlops(f.activation);
  if (f.kind == FfnKind::kGated) {
    AddLinear(p + "gate_proj", TensorRole::kFfnGate, d_, i, f.bias);
    AddLinear(p + "up_proj", TensorRole::kFfnUp, d_, i, f.bias);
    Add({p + "act_mul",
         OpKind::kActivation,
         count,
         t_ * i * (act + 1),
         {},
         3 * t_ * i * ba_,
         {},
         Precision::kFp32,
       {},
       {}});
  } else {
    AddLinear(p + "up_proj", TensorRole::kFfnUp, d_, i, f.bias);
    Add({p + "act",
         OpKind::kActivation,
         count,
         t_ * i * act,
         {},
         2 * t_ * i * ba_,
         {},
         Precision::kFp32,
       {},
       {}});
  }
  AddLinear(p + "down_proj", TensorRole::kFfnDown, i, d_, f.bias);
}

}  // namespace slmroof::graph_detail
