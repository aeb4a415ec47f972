// LFM2's gated short convolution: in_proj to (B, C, x), B·x, a depthwise causal convolution of L
// taps over the model width, C·y, out_proj (docs/cost-model.md §11.4, §11.5).
#include "graph/builder.hpp"

namespace slmroof::graph_detail {

void Builder::AddShortConv(const ShortConvSpec& c, const std::string& p, int64_t count) {
  AddLinear(p + "conv_in", TensorRole::kSsmIn, d_, 3 * d_, c.bias);
  // The two gates (B·x before, C·y after) are fused around the convolution: 2 FLOP and two more
  // rows read (B and C) per channel; no SiLU.
  AddCausalConv(p + "conv", d_, static_cast<double>(c.kernel), c.bias, false, 2, 2, count);
  AddLinear(p + "conv_out", TensorRole::kSsmOut, d_, d_, c.bias);
}

}  // namespace slmroof::graph_detail
