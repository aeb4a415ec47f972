#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "slmroof/graph.hpp"
#include "slmroof/hardware.hpp"
#include "slmroof/model.hpp"
#include "slmroof/result.hpp"
#include "slmroof/scenario.hpp"

namespace slmroof {

/// Measured throughput per phase (tokens/s), from --measured-tps.
struct MeasuredTps {
  std::optional<double> prefill;
  std::optional<double> decode;
};

/// π, the highest ceiling any operator of the scenario runs against, and the ridge (§9.3).
struct ScenarioPeak {
  double peak_flops_per_s = 0;
  Precision precision = Precision::kFp16;
  double ridge_oi = 0;
};

/// π and the ridge of a scenario on a roof: the highest ceiling its operators use.
ScenarioPeak PeakOf(const Roof& roof, const ModelSpec& model, const Scenario& scenario);

/// Count-weighted sums over a phase's operators at one point (§7.2).
struct PhaseSums {
  double flops = 0;
  double bytes = 0;
  double weight_bytes = 0;
  double act_bytes = 0;
  double kv_bytes = 0;
  double time_s = 0;
  double memory_bound_time_s = 0;  ///< roofline time of the memory-bound operators
  double fixed_time_s = 0;         ///< the runtime's fixed time (overhead rows)
  double max_act_bytes = 0;        ///< the largest instance's activations in one pass (§8)
};

/// One phase's operator costs placed on one roof, ready to evaluate at many (batch, seq_len)
/// points at once with Eigen arrays (§7.4). `analyze` evaluates one point through it and `sweep`
/// whole blocks, so the two agree to the bit.
class PhaseKernel {
 public:
  /// `n_ubatch` splits the phase's tokens into forward passes (Passes, §1.1).
  PhaseKernel(const std::vector<OperatorCost>& costs, const Roof& roof, Phase phase,
              int64_t n_ubatch);

  /// Fills sums[i] for the point (batch[i], seq_len[i]) for i < n.
  void Evaluate(const double* batch, const double* seq_len, size_t n, PhaseSums* sums) const;

 private:
  struct Term {
    CostPoly flops, weight_bytes, act_bytes, kv_bytes, fixed_s;
    double count = 1;
    double ceiling = 0;
  };
  std::vector<Term> terms_;
  double bandwidth_ = 0;
  Phase phase_;
  int64_t n_ubatch_;
};

/// Phase totals and Φ from the sums (§7.2, §7.3, §9.3); `tokens` from PhaseTokens.
void FinishPhase(const PhaseSums& sums, double tokens, const Roof& roof, const ScenarioPeak& peak,
                 std::optional<double> measured_tps, PhaseTotals* totals, Rip* rip);

/// What a scenario's memory is made of (§8).
struct MemoryParts {
  double weights_bytes = 0;
  double kv_cache_bytes = 0;
  double state_bytes = 0;  ///< recurrent states of every sequence (§11.5)
  double kv_context = 0;
  double prefill_buffer_bytes = 0;
  double decode_buffer_bytes = 0;
  double output_bytes = 0;
};

/// The memory a scenario needs against what the unit can allocate (§8): `usable_bytes`, or the
/// capacity when 0; `fits` is left unknown when both are 0.
MemoryFootprint Footprint(const MemoryParts& parts, double usable_bytes, double capacity_bytes);

/// Places every operator of a phase on the roof at one point and sums the phase (§7).
PhaseResult EvaluatePhase(const std::vector<OperatorCost>& costs, const Roof& roof, Phase phase,
                          int64_t batch, int64_t seq_len, int64_t n_ubatch,
                          const ScenarioPeak& peak, std::optional<double> measured_tps);

/// Φ and Φ-log of the point (oi, perf) against the ridge (ridge_oi, peak) (§9).
Rip ComputeRip(double oi, double perf_flops_per_s, double ridge_oi, double peak_flops_per_s);

/// Name, provenance, parameter counts and depth of a model, as results report them.
ModelSummary SummarizeModel(const ModelSpec& model);

/// Weights the runtime holds in memory (§8): every tensor at its type, and a tied embedding
/// table twice where the runtime duplicates it.
double WeightsInMemory(const ModelSpec& model, const Scenario& scenario);

/// The scenario as the roof's runtime executes it: its execution, and its activation type and
/// attention form where it sets them (§7.5).
Scenario WithRuntime(const Scenario& scenario, const Roof& roof);

/// Runs the whole analysis of one model on one roof (the scenario as its runtime executes it).
AnalysisResult Analyze(const ModelSpec& model, const Roof& roof, const Scenario& scenario,
                       const MeasuredTps& measured);

/// Compares every later analysis's Φ with the first one's.
std::vector<RipComparison> CompareRip(const std::vector<AnalysisResult>& analyses);

}  // namespace slmroof
