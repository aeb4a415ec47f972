#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "slmroof/dtype.hpp"
#include "slmroof/model.hpp"
#include "slmroof/scenario.hpp"

namespace slmroof {

/// What an operator does; renderers colour and group by it.
enum class OpKind {
  kEmbedding,
  kNorm,
  kLinear,
  kRope,
  kKvWrite,
  kAttnScore,
  kSoftmax,
  kAttnValue,
  kAttention,  ///< fused (flash) attention: scores never reach memory
  kResidual,
  kActivation,
  kRoute,      ///< a MoE router's softmax and top-k selection
  kConv,       ///< a depthwise causal convolution (Mamba, DeltaNet, LFM2)
  kScan,       ///< a recurrent state update: selective scan, SSD, delta rule
  kLmHead,
  kOverhead,   ///< a runtime's fixed cost per forward pass (launches, synchronisation, sampling)
};

/// Lower-case name of an operator kind ("attn_score").
std::string_view OpKindName(OpKind k);

/// One operator instance's cost; `count` identical instances share a row.
struct Operator {
  std::string name;
  OpKind kind = OpKind::kLinear;
  int64_t count = 1;
  double flops = 0;
  double weight_bytes = 0;  ///< weights streamed from memory
  double act_bytes = 0;     ///< activations read and written
  double kv_bytes = 0;      ///< KV cache or recurrent state read and written
  Precision math = Precision::kFp16;  ///< the precision its arithmetic runs in
  std::string weight_type;  ///< storage type of its weight matrix; empty when it has none
  double fixed_s = 0;       ///< time spent regardless of FLOPs and bytes (runtime overhead)
  double bytes() const { return weight_bytes + act_bytes + kv_bytes; }
};

/// The parameters of a cost's terms beyond the polynomial (docs/cost-model.md §1.2).
struct CostShape {
  double window = 0;       ///< W of the windowed terms c5, c6; 0 when the cost has none
  double expert_hit = 0;   ///< k/E of the expert term c7: the chance one draw picks a given expert
  bool draws_per_position = false;  ///< c7 draws B·N tokens (prefill) rather than B (decode)
  double ubatch = 0;       ///< tokens per forward pass for c7 (n_ubatch; 0: one pass)
};

/// A cost of batch B and sequence length N (docs/cost-model.md §1.1–§1.2):
///   c0 + c1·B + c2·B·N + c3·B·N² + c4·P + c5·B·min(N, W) + c6·B·S_W(N) + c7·X,
/// where P is the number of micro-batches the phase's tokens are processed in (Passes),
/// S_W(N) = Σ_{i=1..N} min(i, W) the causal scores of a sliding window, and X the expected
/// fraction of a layer's experts the phase's tokens touch, summed over its passes (ExpertPasses).
/// Every operator cost has this form, so a whole sweep axis is evaluated from eight numbers per
/// cost and its shape.
struct CostPoly {
  std::array<double, 8> c{};
  CostShape shape = {};

  /// The value at batch b, sequence length n and p passes, evaluated as
  /// ((((c0 + c1·b) + c2·bn) + c3·bn2) + c4·p), then + c5·(b·min(n, W)), + c6·(b·S_W(n)),
  /// + c7·X, each term beyond c4 added only when its coefficient is not zero, with bn = b·n and
  /// bn2 = bn·n; the vectorised sweep uses the same order, so both agree to the bit. Defined in
  /// graph.cpp, built without floating-point contraction, so that no caller's flags (an
  /// FMA-capable target) change its rounding.
  double At(double b, double n, double p) const;
};

/// min(n, w): the keys a query at position n sees through a window of w (§1.2).
double WindowKeys(double n, double w);

/// S_w(n) = Σ_{i=1..n} min(i, w): the scores of a causal prefill of n tokens through a window
/// of w, m(m+1)/2 + (n − m)·m with m = min(n, w) (§1.2).
double WindowScores(double n, double w);

/// Σ over the passes of 1 − (1 − hit)^t: the expected fraction of E experts that the t tokens of
/// each pass touch with k = hit·E uniform draws per token, for `tokens` tokens in passes of
/// `ubatch` (0: one pass) (§1.2, §6.3).
double ExpertPasses(double tokens, double ubatch, double hit);

/// Forward passes of a phase: its tokens (PhaseTokens) in micro-batches of n_ubatch, rounded up;
/// 1 when n_ubatch is 0 (one pass over all tokens) (§1.1).
double Passes(Phase phase, double batch, double seq_len, int64_t n_ubatch);

/// Sums coefficient by coefficient; the two shapes must agree on every term both use (an
/// internal error otherwise).
CostPoly operator+(const CostPoly& x, const CostPoly& y);
CostPoly operator*(const CostPoly& x, double k);
CostPoly operator*(double k, const CostPoly& x);

/// One operator's cost for any (batch, seq_len); `count` identical instances share a row.
struct OperatorCost {
  std::string name;
  OpKind kind = OpKind::kLinear;
  int64_t count = 1;
  CostPoly flops;
  CostPoly weight_bytes;
  CostPoly act_bytes;
  CostPoly kv_bytes;
  Precision math = Precision::kFp16;
  std::string weight_type;
  CostPoly fixed_s;

  /// The operator at one point, processed in `passes` forward passes.
  Operator At(int64_t batch, int64_t seq_len, double passes) const;
};

/// The operator costs of one phase (docs/cost-model.md §4–§6); the scenario's seq_len and batch
/// are not used.
std::vector<OperatorCost> BuildOperatorCosts(const ModelSpec& model, const Scenario& scenario,
                                             Phase phase);

/// The operator list of one phase at the scenario's seq_len and batch.
std::vector<Operator> BuildOperators(const ModelSpec& model, const Scenario& scenario, Phase phase);

/// Tokens one pass of the phase processes: batch × seq_len for prefill, batch for decode.
double PhaseTokens(Phase phase, double batch, double seq_len);

/// KV-cache elements one token adds to one layer (§4.4, §5.3).
double KvElementsPerToken(const LayerSpec& layer, MlaForm mla);

/// The MLA form a phase runs in: the runtime's for that phase, else the scenario's (§5, §7.5).
MlaForm PhaseMla(const Scenario& scenario, Phase phase);

/// What one token adds to the KV cache over all layers, split by how far the layers attend (§8).
struct KvLayout {
  double full = 0;  ///< elements per token of the layers that attend over the whole context
  /// (window W, elements per token) of sliding-window layers, one entry per distinct window in
  /// layer order; such a layer holds min(context, W) tokens.
  std::vector<std::pair<double, double>> windowed;
  double per_token() const;  ///< all elements one token adds while the context is below every W
};

/// The KV layout of a model in one MLA form.
KvLayout KvLayoutOf(const ModelSpec& model, MlaForm mla);

/// The layout a runtime allocates for the scenario: the decode MLA form, and each window widened
/// to the cells the runtime keeps for it (§8: llama.cpp adds one micro-batch and pads).
KvLayout KvLayoutFor(const ModelSpec& model, const Scenario& scenario);

/// Tokens the KV cache holds per sequence: the context (--ctx, else seq_len) rounded up to the
/// runtime's padding (§8).
double KvContext(const Scenario& scenario);

/// The runtime's KV padding for the scenario's attention form.
int64_t KvPad(const Scenario& scenario);

/// A context of `tokens` rounded up to a multiple of `pad` (unchanged when pad is 0).
double PaddedContext(double tokens, int64_t pad);

/// KV-cache bytes held for batch sequences of KvContext tokens: ((B·C)·elements)·bkv (§8).
double KvCacheBytes(const ModelSpec& model, const Scenario& scenario);

/// Recurrent-state elements one sequence keeps over all layers (§11.5).
double StateElementsAllLayers(const ModelSpec& model);

/// Recurrent-state bytes of `batch` sequences: (B·elements)·bytes (§8, §11.5).
double StateBytes(double batch, double elements, double bytes_per_element);

/// The logits buffer: the vocabulary in fp32 for the last position of each sequence (§8).
double OutputBytes(const ModelSpec& model, double batch);

/// The same from the layout: ((B·C)·full)·bkv, then + ((B·min(C, W))·e)·bkv per window, in
/// layout order (§8).
double KvCacheBytes(double batch, double context, const KvLayout& layout,
                    double bytes_per_element);

}  // namespace slmroof
