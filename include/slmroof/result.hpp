#pragma once

#include <optional>
#include <string>
#include <vector>

#include "slmroof/graph.hpp"
#include "slmroof/hardware.hpp"
#include "slmroof/scenario.hpp"
#include "slmroof/weights.hpp"

namespace slmroof {

/// Output schema version of the JSON renderer; bump on any incompatible change.
inline constexpr int kSchemaVersion = 1;

/// Which limit an operator or phase is up against.
enum class Bound { kMemory, kCompute };

/// "memory" or "compute".
std::string_view BoundName(Bound b);

/// One operator placed on the roofline (per instance).
struct OperatorResult {
  Operator op;
  double oi = 0;                      ///< FLOP per byte
  double peak_flops_per_s = 0;        ///< the ceiling its precision runs against
  Precision peak_precision = Precision::kFp32;  ///< whose ceiling that is (after fallback)
  double attainable_flops_per_s = 0;  ///< min(peak, oi × bandwidth)
  double time_s = 0;                  ///< max(flops / peak, bytes / bandwidth)
  Bound bound = Bound::kMemory;
};

/// Relative Inference Potential of an operating point (docs/cost-model.md §9).
struct Rip {
  double phi = 0;        ///< paper's definition: OI in FLOP/byte, performance in GFLOP/s
  double phi_log = 0;    ///< the same geometry in decades of the log-log roofline
  Bound regime = Bound::kMemory;
  double oi = 0;                  ///< operating point's FLOP/byte
  double perf_flops_per_s = 0;    ///< operating point's FLOP/s
  double roof_fraction = 0;       ///< perf / the roof at its OI, min(π, OI·BW) (§9.3)
  bool measured = false;          ///< from --measured-tps rather than the prediction
};

/// A phase's sums over its operators (count × per-instance values).
struct PhaseTotals {
  double flops = 0;
  double bytes = 0;
  double weight_bytes = 0;
  double act_bytes = 0;
  double kv_bytes = 0;
  double oi = 0;
  double time_s = 0;
  double tokens = 0;        ///< tokens the pass processes (prefill) or emits (decode)
  double tokens_per_s = 0;
  Bound bound = Bound::kMemory;  ///< the limit the larger share of the time is spent against
  std::optional<double> energy_per_token_j;
  double buffer_bytes = 0;  ///< the largest operator's activations in one forward pass (§8)
};

/// One phase's full result.
struct PhaseResult {
  Phase phase = Phase::kDecode;
  std::vector<OperatorResult> operators;
  PhaseTotals totals;
  Rip rip;
};

/// Memory needed to run the scenario (docs/cost-model.md §8).
struct MemoryFootprint {
  double weights_bytes = 0;
  double kv_cache_bytes = 0;    ///< the cache for the whole context (--ctx), padded
  double state_bytes = 0;       ///< recurrent (SSM, delta-rule, convolution) states, fixed size
  double kv_context = 0;        ///< tokens the cache holds per sequence
  double activation_bytes = 0;  ///< compute buffer: the largest operator's activations in one pass
  double decode_buffer_bytes = 0;  ///< the same for a decode step
  double output_bytes = 0;      ///< logits of the last position of each sequence (fp32)
  double total_bytes = 0;       ///< peak: weights + KV + state + the larger buffer + output
  double decode_bytes = 0;      ///< while decoding: weights + KV + decode buffer + output
  double usable_bytes = 0;      ///< what the runtime can allocate (capacity when not published)
  std::optional<bool> fits;     ///< peak ≤ usable; unknown when the device has no capacity
};

/// Summary of the model analysed.
struct ModelSummary {
  std::string name;
  std::string display_name;
  std::string family;
  std::string source;
  double params = 0;
  double active_params = 0;
  int64_t layers = 0;
};

/// Everything one `analyze` of one model on one device computes; renderers only read it.
struct AnalysisResult {
  ModelSummary model;
  Roof roof;
  double peak_flops_per_s = 0;  ///< π: the highest ceiling the scenario's operators use
  Precision peak_precision = Precision::kFp16;
  double ridge_oi = 0;          ///< π / bandwidth
  Scenario scenario;
  std::vector<PhaseResult> phases;
  WeightMix weights;  ///< the storage type of every weight tensor, summed by type (§2.2)
  MemoryFootprint memory;
};

/// The analysis's result for `phase`, or nullptr when that phase was not analysed.
inline const PhaseResult* FindPhase(const AnalysisResult& a, Phase phase) {
  for (const PhaseResult& p : a.phases) {
    if (p.phase == phase) {
      return &p;
    }
  }
  return nullptr;
}

/// Φ of two models on one device, phase by phase.
struct RipComparison {
  Phase phase = Phase::kDecode;
  std::string base;
  std::string other;
  double phi_base = 0, phi_other = 0, delta_phi = 0;
  double phi_log_base = 0, phi_log_other = 0, delta_phi_log = 0;
  bool comparable = true;  ///< false when the points sit on opposite sides of the ridge
};

/// A whole run: one or more analyses and, for several models, their Φ comparison.
struct Report {
  std::vector<AnalysisResult> analyses;
  std::vector<RipComparison> comparisons;
};

}  // namespace slmroof
