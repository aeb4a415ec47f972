#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "slmroof/dtype.hpp"
#include "slmroof/execution.hpp"
#include "slmroof/weights.hpp"

namespace slmroof {

/// One inference phase.
enum class Phase { kPrefill, kDecode };




/// What is being run: phase shape and storage types.
struct Scenario {
  bool prefill = true;       ///< analyse prefill of seq_len prompt tokens
  bool decode = true;        ///< analyse one decode step at context length seq_len
  int64_t seq_len = 1024;
  int64_t batch = 1;
  int64_t ctx = 0;           ///< tokens the KV cache is sized for (0: seq_len)
  WeightSetting weights = ParseWeightSetting("fp16");
  DType act = DTypeByName("fp16");
  DType kv = DTypeByName("fp16");
  /// Storage of recurrent states (SSM, delta-rule and convolution states): fp32, as llama.cpp
  /// keeps them and Nemotron-H's mamba_ssm_cache_dtype asks (docs/cost-model.md §11.5).
  DType state = DTypeByName("fp32");
  /// N:M structured sparsity of the layers' weight matrices (--sparsity); {0, 0}: dense (§12.2).
  std::pair<int, int> sparsity{0, 0};
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
