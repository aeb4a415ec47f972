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
  double kv_bytes = 0;      ///< KV cache read and written
  Precision math = Precision::kFp16;  ///< the precision its arithmetic runs in
  std::string weight_type;  ///< storage type of its weight matrix; empty when it has none
  double fixed_s = 0;       ///< time spent regardless of FLOPs and bytes (runtime overhead)
  double bytes() const { return weight_bytes + act_bytes + kv_bytes; }
};

/// A cost as a polynomial in batch B and sequence length N plus a term per forward pass P
/// (docs/cost-model.md §1.1): c[0] + c[1]·B + c[2]·B·N + c[3]·B·N² + c[4]·P, where P is the number
/// of micro-batches the phase's tokens are processed in (Passes). Every operator cost has this
/// form, so a whole sweep axis is evaluated from five numbers per cost.
struct CostPoly {
  std::array<double, 5> c{};

  /// The value at batch b, sequence length n and p passes, evaluated as
  /// (((c0 + c1·b) + c2·bn) + c3·bn2) + c4·p with bn = b·n and bn2 = bn·n; the vectorised sweep
  /// uses the same order, so both agree to the bit. Defined in graph.cpp, built without
  /// floating-point contraction, so that no caller's flags (an FMA-capable target) change its
  /// rounding.
  double At(double b, double n, double p) const;
};

/// Forward passes of a phase: its tokens (PhaseTokens) in micro-batches of n_ubatch, rounded up;
/// 1 when n_ubatch is 0 (one pass over all tokens) (§1.1).
double Passes(Phase phase, double batch, double seq_len, int64_t n_ubatch);

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

/// KV-cache elements one token adds over all layers.
double KvElementsPerTokenAllLayers(const ModelSpec& model, MlaForm mla);

/// Tokens the KV cache holds per sequence: the context (--ctx, else seq_len) rounded up to the
/// runtime's padding (§8).
double KvContext(const Scenario& scenario);

/// The runtime's KV padding for the scenario's attention form.
int64_t KvPad(const Scenario& scenario);

/// A context of `tokens` rounded up to a multiple of `pad` (unchanged when pad is 0).
double PaddedContext(double tokens, int64_t pad);

/// KV-cache bytes held for batch sequences of KvContext tokens: ((B·C)·elements)·bkv (§8).
double KvCacheBytes(const ModelSpec& model, const Scenario& scenario);

/// The logits buffer: the vocabulary in fp32 for the last position of each sequence (§8).
double OutputBytes(const ModelSpec& model, double batch);

/// The same, from the elements one token adds over all layers and the bytes per element.
double KvCacheBytes(double batch, double seq_len, double elements_per_token,
                    double bytes_per_element);

}  // namespace slmroof
