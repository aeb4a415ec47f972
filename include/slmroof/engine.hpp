#pragma once

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

/// Places every operator on the roof and sums the phase (docs/cost-model.md §7).
PhaseResult EvaluatePhase(std::vector<Operator> ops, const Roof& roof, Phase phase, double tokens,
                          double peak, double ridge, std::optional<double> measured_tps);

/// Φ and Φ-log of the point (oi, perf) against the ridge (ridge_oi, peak) (§9).
Rip ComputeRip(double oi, double perf_flops_per_s, double ridge_oi, double peak_flops_per_s);

/// Runs the whole analysis of one model on one roof.
AnalysisResult Analyze(const ModelSpec& model, const Roof& roof, const Scenario& scenario,
                       const MeasuredTps& measured);

/// Compares every later analysis's Φ with the first one's.
std::vector<RipComparison> CompareRip(const std::vector<AnalysisResult>& analyses);

}  // namespace slmroof
