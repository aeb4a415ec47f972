#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "slmroof/dtype.hpp"
#include "slmroof/weights.hpp"

namespace slmroof {

/// One inference phase.
enum class Phase { kPrefill, kDecode };

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
};

/// What is being run: phase shape and storage types.
struct Scenario {
  bool prefill = true;       ///< analyse prefill of seq_len prompt tokens
  bool decode = true;        ///< analyse one decode step at context length seq_len
  int64_t seq_len = 1024;
  int64_t batch = 1;
  WeightSetting weights = ParseWeightSetting("fp16");
  DType act = DTypeByName("fp16");
  DType kv = DTypeByName("fp16");
  Fusion fusion = Fusion::kNone;
  MlaForm mla = MlaForm::kAbsorbed;
  Execution exec;
};

/// "prefill" or "decode".
std::string_view PhaseName(Phase p);
/// "none" or "flash".
std::string_view FusionName(Fusion f);
/// "absorbed" or "naive".
std::string_view MlaFormName(MlaForm f);

}  // namespace slmroof
