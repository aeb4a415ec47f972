#pragma once

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
  double bytes() const { return weight_bytes + act_bytes + kv_bytes; }
};

/// The operator list of one phase (docs/cost-model.md §4–§6).
std::vector<Operator> BuildOperators(const ModelSpec& model, const Scenario& scenario, Phase phase);

/// Tokens one pass of the phase processes: batch × seq_len for prefill, batch for decode.
double PhaseTokens(const Scenario& scenario, Phase phase);

/// KV-cache elements one token adds to one layer (§4.4, §5.3).
double KvElementsPerToken(const LayerSpec& layer, MlaForm mla);

/// KV-cache bytes held for batch sequences of seq_len tokens.
double KvCacheBytes(const ModelSpec& model, const Scenario& scenario);

}  // namespace slmroof
