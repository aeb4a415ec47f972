// Dense feed-forward blocks: gated and plain MLPs (docs/cost-model.md §6.1–§6.2).
#include "graph/builder.hpp"

namespace slmroof::graph_detail {

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


void Builder::AddDenseFfn(const FfnSpec& f, double i, const std::string& p, int64_t count) {
  const double act = ActivationFlops(f.activation);
  if (f.kind == FfnKind::kGated) {
    AddLinear(p + "gate_proj", TensorRole::kFfnGate, d_, i, f.bias);
    AddLinear(p + "up_proj", TensorRole::kFfnUp, d_, i, f.bias);
    Add({p + "act_mul", OpKind::kActivation, count, t_ * i * (act + 1), {}, 3 * t_ * i * ba_, {},
         Precision::kFp32, {}, {}});
  } else {
    AddLinear(p + "up_proj", TensorRole::kFfnUp, d_, i, f.bias);
    Add({p + "act", OpKind::kActivation, count, t_ * i * act, {}, 2 * t_ * i * ba_, {},
         Precision::kFp32, {}, {}});
  }
  AddLinear(p + "down_proj", TensorRole::kFfnDown, i, d_, f.bias);
}

}  // namespace slmroof::graph_detail
