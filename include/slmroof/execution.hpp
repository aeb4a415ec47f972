#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "slmroof/dtype.hpp"

namespace slmroof {

/// Whether attention scores reach main memory (none) or stay on chip (flash).
enum class Fusion { kNone, kFlash };

/// How MLA attention is evaluated (docs/cost-model.md §5).
enum class MlaForm { kAbsorbed, kNaive };

/// How a runtime executes the operators: an engine profile resolved for one device unit
/// (docs/cost-model.md §7.5). The defaults are the ideal bound.
struct Execution {
  int64_t n_ubatch = 0;  ///< tokens per forward pass; 0: all of the phase's tokens in one pass
  std::optional<Precision> quantized_math;  ///< math of products with quantized weights
  bool float_math_from_weights = false;     ///< float weights: math in the weights' precision
  double overhead_per_pass_s = 0;   ///< fixed time per forward pass (launch, sync, sampling)
  double overhead_per_layer_s = 0;  ///< fixed time per layer per forward pass
  /// Unfused attention reads the cached keys and values once per query head, not once per KV
  /// head (llama.cpp without flash attention broadcasts K and V across a GQA group).
  bool unfused_kv_per_query_head = false;
  int64_t kv_pad = 0;  ///< the KV cache holds a multiple of this many tokens (flash attention)
  int64_t kv_pad_unfused = 0;  ///< the same without flash attention (0: kv_pad)
  /// MLA form per phase where the runtime fixes it (vLLM: naive prefill, absorbed decode); the
  /// cache holds what the decode form caches.
  std::optional<MlaForm> mla_prefill;
  std::optional<MlaForm> mla_decode;
  /// A tied embedding table is loaded twice: once for the input, once as the output on the
  /// device (llama.cpp's TENSOR_DUPLICATED on GPU backends).
  bool tied_output_duplicated = false;
  /// A sliding-window layer's cache holds the window plus one micro-batch of cells, padded
  /// (llama.cpp's llama_kv_cache_iswa), rather than the window alone (§8).
  bool swa_cache_adds_ubatch = false;
  /// The N:M sparsity that takes effect: the scenario's pattern where the unit runs it sparse,
  /// else {0, 0} (§12.2); set by WithRuntime, not by engine profiles.
  std::pair<int, int> sparsity{0, 0};
};

}  // namespace slmroof
