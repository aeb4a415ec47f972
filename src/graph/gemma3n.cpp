// Gemma 3n's additions to a transformer (docs/cost-model.md §13): per-layer embeddings gathered
// per token and projected from the token embedding, AltUp's n copies of the residual stream
// (predicted before each layer, corrected after it, projected in and out once per pass), the
// LAuReL low-rank residual and the per-layer input gate. Attention and MLP run once per token on
// the active stream only; KV sharing is in attention.cpp.
#include "graph/builder.hpp"

namespace slmroof::graph_detail {

// §13.2: before the first layer. The per-layer embedding row (L·p values per token) is gathered
// from its table, the token embedding is projected to L·p and normed per layer slice, the two
// are added and scaled; AltUp's n − 1 extra streams are projected from the embedding (d × d each)
// and rescaled to its RMS.
void Builder::AddGemma3nInputs() {
  const Gemma3nModelSpec& g = model_.gemma3n;
  if (g.per_layer_width > 0) {
    const double lp = static_cast<double>(model_.NumLayers() * g.per_layer_width);
    const DType& table = types_.Of(TensorRole::kPerLayerEmbd, -1);
    Add({"per_layer_embedding", OpKind::kEmbedding, 1, {}, t_ * lp * table.bytes(),
         t_ * lp * ba_, {}, Matmul(table), table.name, {}});
    AddLinear("per_layer_model_proj", TensorRole::kAltUp, d_, lp, false);
    AddNorm("per_layer_proj_norm", NormKind::kRmsNorm, g.per_layer_width, 1,
            t_ * static_cast<double>(model_.NumLayers()));
    // (projection + embedding) · 2^-½: 2 FLOP per value, two rows read, one written.
    Add({"per_layer_inputs", OpKind::kResidual, 1, 2 * t_ * lp, {}, 3 * t_ * lp * ba_, {},
         Precision::kFp32, {}, {}});
  }
  if (g.altup_streams > 1) {
    const double extra = static_cast<double>(g.altup_streams - 1);
    AddLinear("altup_proj", TensorRole::kAltUp, d_, d_, false, extra);
    // Each stream's RMS against the embedding's, then a scale: 4 FLOP per element.
    Add({"altup_rescale", OpKind::kActivation, 1, 4 * t_ * extra * d_, {},
         t_ * (extra + 1) * d_ * ba_ + t_ * extra * d_ * ba_, {}, Precision::kFp32, {}, {}});
  }
}

// §13.2: after the last layer, the n − 1 extra streams are projected back (d × d each), rescaled
// to the active stream's RMS, and the n streams averaged.
void Builder::AddGemma3nOutputs() {
  const Gemma3nModelSpec& g = model_.gemma3n;
  if (g.altup_streams <= 1) {
    return;
  }
  const double n = static_cast<double>(g.altup_streams);
  AddLinear("altup_unembd_proj", TensorRole::kAltUp, d_, d_, false, n - 1);
  Add({"altup_merge", OpKind::kActivation, 1, t_ * (4 * (n - 1) + n) * d_, {},
       t_ * (n + 1) * d_ * ba_, {}, Precision::kFp32, {}, {}});
}

// §13.2: AltUp's prediction before a layer: a normed copy of the active stream routes to n
// weights (d × n, tanh), which give an n × n mixing matrix (n → n²); every stream becomes its
// own value plus the mix of all n: 2n² FLOP per element of a stream.
void Builder::AddAltUpPredict(const Gemma3nLayerSpec& g, const std::string& p, int64_t count) {
  const double n = static_cast<double>(g.altup_streams);
  AddNorm(p + "altup_router_norm", NormKind::kRmsNorm, model_.hidden_size, count, t_);
  AddLinear(p + "altup_router", TensorRole::kAltUp, d_, n, false);
  AddLinear(p + "altup_predict_coef", TensorRole::kVector, n, n * n, false);  // F32 (§13.1)
  Add({p + "altup_predict", OpKind::kActivation, count, t_ * (2 * n * n * d_ + n * d_), {},
       2 * t_ * n * d_ * ba_, {}, Precision::kFp32, {}, {}});
}

// §13.2: LAuReL beside attention on the normed input: d → r → d, a norm, added to the residual.
void Builder::AddLaurel(const Gemma3nLayerSpec& g, const std::string& p, int64_t count) {
  const double r = static_cast<double>(g.laurel_rank);
  AddLinear(p + "laurel_l", TensorRole::kAltUp, d_, r, false);
  AddLinear(p + "laurel_r", TensorRole::kAltUp, r, d_, false);
  AddNorm(p + "laurel_post_norm", NormKind::kRmsNorm, model_.hidden_size, count, t_);
  // (residual + attention + LAuReL)·2^-½: 3 FLOP per element, three rows read, one written.
  Add({p + "laurel_add", OpKind::kResidual, count, 3 * t_ * d_, {}, 4 * t_ * d_ * ba_, {},
       Precision::kFp32, {}, {}});
}

// §13.2: after the layer, AltUp's correction (the router again on the layer's output, n → n
// weights, each stream moved by its weight times the active stream's innovation, the active
// stream scaled) and the per-layer input: gate d → p, GELU-tanh times this layer's slice of the
// per-layer inputs, projection p → d, a norm, added to the n − 1 other streams.
void Builder::AddGemma3nLayerTail(const Gemma3nLayerSpec& g, const std::string& p, int64_t count) {
  if (g.altup_streams > 0) {
    const double n = static_cast<double>(g.altup_streams);
    AddNorm(p + "altup_correct_router_norm", NormKind::kRmsNorm, model_.hidden_size, count, t_);
    AddLinear(p + "altup_correct_router", TensorRole::kAltUp, d_, n, false);
    AddLinear(p + "altup_correct_coef", TensorRole::kVector, n, n, false);  // F32 (§13.1)
    // Innovation (d), n streams × (multiply, add) (2n·d), output scale (d); the scale vector is
    // a weight read once per pass.
    Add({p + "altup_correct", OpKind::kActivation, count, t_ * (2 * n + 2) * d_,
         PerPass(d_ * VectorBytes()), t_ * (2 * n + 1) * d_ * ba_, {}, Precision::kFp32, {}, {}});
  }
  if (g.per_layer_width > 0) {
    const double w = static_cast<double>(g.per_layer_width);
    const double streams = static_cast<double>(std::max<int64_t>(g.altup_streams - 1, 0));
    AddLinear(p + "per_layer_gate", TensorRole::kPerLayerGate, d_, w, false);
    Add({p + "per_layer_act_mul", OpKind::kActivation, count,
         t_ * w * (ActivationFlops(Activation::kGeluTanh) + 1), {}, 3 * t_ * w * ba_, {},
         Precision::kFp32, {}, {}});
    AddLinear(p + "per_layer_proj", TensorRole::kPerLayerProj, w, d_, false);
    AddNorm(p + "per_layer_post_norm", NormKind::kRmsNorm, model_.hidden_size, count, t_);
    if (streams > 0) {  // added to the other streams only; with one stream to none
      Add({p + "per_layer_add", OpKind::kResidual, count, t_ * streams * d_, {},
           t_ * (2 * streams + 1) * d_ * ba_, {}, Precision::kFp32, {}, {}});
    }
  }
}

}  // namespace slmroof::graph_detail
