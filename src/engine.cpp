#include "slmroof/engine.hpp"

#include <algorithm>
#include <cmath>

#include <Eigen/Core>

namespace slmroof {

std::string_view BoundName(Bound b) { return b == Bound::kCompute ? "compute" : "memory"; }

Rip ComputeRip(double oi, double perf, double ridge_oi, double peak) {
  Rip rip;
  rip.oi = oi;
  rip.perf_flops_per_s = perf;
  // §9.1: the paper measures performance in GFLOP/s and OI in FLOP/byte.
  const double gap_g = (peak - perf) / 1e9;
  // §9.2: the same distances taken between log10 coordinates (decades).
  const double gap_log = std::log10(peak / perf);
  if (oi < ridge_oi) {
    rip.regime = Bound::kMemory;
    const double doi = ridge_oi - oi;
    const double doi_log = std::log10(ridge_oi / oi);
    rip.phi = std::sqrt(doi * doi + gap_g * gap_g);
    rip.phi_log = std::sqrt(doi_log * doi_log + gap_log * gap_log);
  } else {
    rip.regime = Bound::kCompute;
    rip.phi = gap_g;
    rip.phi_log = gap_log;
  }
  return rip;
}

PhaseResult EvaluatePhase(std::vector<Operator> ops, const Roof& roof, Phase phase, double tokens,
                          double peak, double ridge, std::optional<double> measured_tps) {
  const Eigen::Index n = static_cast<Eigen::Index>(ops.size());
  Eigen::ArrayXd flops(n), bytes(n), ceiling(n), count(n);
  std::vector<Precision> used(ops.size());
  for (Eigen::Index i = 0; i < n; ++i) {
    const Operator& op = ops[static_cast<size_t>(i)];
    flops(i) = op.flops;
    bytes(i) = op.bytes();
    count(i) = static_cast<double>(op.count);
    ceiling(i) = roof.PeakFor(op.math, &used[static_cast<size_t>(i)]);
  }
  const double bw = roof.bandwidth_bytes_per_s;
  // §7.1: the roofline of each operator.
  const Eigen::ArrayXd oi = flops / bytes;
  const Eigen::ArrayXd attainable = ceiling.min(oi * bw);
  const Eigen::ArrayXd compute_time = flops / ceiling;
  const Eigen::ArrayXd memory_time = bytes / bw;
  const Eigen::ArrayXd time = compute_time.max(memory_time);

  PhaseResult result;
  result.phase = phase;
  PhaseTotals& t = result.totals;
  double memory_bound_time = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const size_t k = static_cast<size_t>(i);
    OperatorResult r;
    r.op = std::move(ops[k]);
    r.oi = oi(i);
    r.peak_flops_per_s = ceiling(i);
    r.peak_precision = used[k];
    r.attainable_flops_per_s = attainable(i);
    r.time_s = time(i);
    r.bound = compute_time(i) > memory_time(i) ? Bound::kCompute : Bound::kMemory;
    if (r.bound == Bound::kMemory) {
      memory_bound_time += count(i) * time(i);
    }
    t.weight_bytes += count(i) * r.op.weight_bytes;
    t.act_bytes += count(i) * r.op.act_bytes;
    t.kv_bytes += count(i) * r.op.kv_bytes;
    result.operators.push_back(std::move(r));
  }
  // §7.2: phase totals are count-weighted sums.
  t.flops = (count * flops).sum();
  t.bytes = (count * bytes).sum();
  t.time_s = (count * time).sum();
  t.oi = t.flops / t.bytes;
  t.tokens = tokens;
  t.tokens_per_s = tokens / t.time_s;
  t.bound = memory_bound_time * 2 >= t.time_s ? Bound::kMemory : Bound::kCompute;
  if (roof.power_w) {
    t.energy_per_token_j = *roof.power_w * t.time_s / tokens;  // §7.3
  }
  // §9.3: the operating point is the phase aggregate, or the measured throughput.
  double perf = t.flops / t.time_s;
  if (measured_tps) {
    perf = t.flops * *measured_tps / tokens;
  }
  result.rip = ComputeRip(t.oi, perf, ridge, peak);
  result.rip.measured = measured_tps.has_value();
  return result;
}

AnalysisResult Analyze(const ModelSpec& model, const Roof& roof, const Scenario& scenario,
                       const MeasuredTps& measured) {
  AnalysisResult a;
  const ParamCount params = CountParams(model);
  a.model = {model.name,     model.display_name, model.family,       model.source,
             params.total(), params.active(),    model.NumLayers()};
  a.roof = roof;
  a.scenario = scenario;
  // §9.3: π is the highest ceiling any operator of the scenario runs against, so that no
  // operating point can sit above it.
  const Precision matmul = WiderPrecision(scenario.act.math, scenario.weights.math);
  const Precision attention = WiderPrecision(scenario.act.math, scenario.kv.math);
  for (Precision p : {matmul, attention, Precision::kFp32}) {
    Precision used;
    const double peak = roof.PeakFor(p, &used);
    if (peak > a.peak_flops_per_s) {
      a.peak_flops_per_s = peak;
      a.peak_precision = used;
    }
  }
  a.ridge_oi = a.peak_flops_per_s / roof.bandwidth_bytes_per_s;

  double largest_activation = 0;
  auto run = [&](Phase phase, std::optional<double> tps) {
    PhaseResult r = EvaluatePhase(BuildOperators(model, scenario, phase), roof, phase,
                                  PhaseTokens(scenario, phase), a.peak_flops_per_s, a.ridge_oi, tps);
    for (const OperatorResult& o : r.operators) {
      largest_activation = std::max(largest_activation, o.op.act_bytes);
    }
    a.phases.push_back(std::move(r));
  };
  if (scenario.prefill) {
    run(Phase::kPrefill, measured.prefill);
  }
  if (scenario.decode) {
    run(Phase::kDecode, measured.decode);
  }
  // §8: weights at their storage type, the cache for batch × seq_len tokens, one activation.
  MemoryFootprint& m = a.memory;
  m.weights_bytes = params.total() * scenario.weights.bytes();
  m.kv_cache_bytes = KvCacheBytes(model, scenario);
  m.activation_bytes = largest_activation;
  m.total_bytes = m.weights_bytes + m.kv_cache_bytes + m.activation_bytes;
  if (roof.capacity_bytes > 0) {
    m.fits = m.total_bytes <= roof.capacity_bytes;
  }
  return a;
}

std::vector<RipComparison> CompareRip(const std::vector<AnalysisResult>& analyses) {
  std::vector<RipComparison> out;
  if (analyses.size() < 2) {
    return out;
  }
  const AnalysisResult& base = analyses.front();
  for (size_t i = 1; i < analyses.size(); ++i) {
    const AnalysisResult& other = analyses[i];
    for (size_t p = 0; p < base.phases.size() && p < other.phases.size(); ++p) {
      const Rip& x = base.phases[p].rip;
      const Rip& y = other.phases[p].rip;
      RipComparison c;
      c.phase = base.phases[p].phase;
      c.base = base.model.name;
      c.other = other.model.name;
      c.phi_base = x.phi;
      c.phi_other = y.phi;
      c.delta_phi = y.phi - x.phi;
      c.phi_log_base = x.phi_log;
      c.phi_log_other = y.phi_log;
      c.delta_phi_log = y.phi_log - x.phi_log;
      c.comparable = x.regime == y.regime;
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace slmroof
