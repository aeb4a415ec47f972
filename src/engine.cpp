#include "slmroof/engine.hpp"

#include <algorithm>
#include <cmath>

#include <Eigen/Core>

#include "slmroof/prune.hpp"

namespace slmroof {

std::string_view BoundName(Bound b) { return b == Bound::kCompute ? "compute" : "memory"; }

Rip ComputeRip(double oi, double perf, double ridge_oi, double peak) {
  Rip rip;
  rip.oi = oi;
  rip.perf_flops_per_s = perf;
  // §9.3: how much of the roof at its own OI the point reaches; BW = π / OI_r.
  rip.roof_fraction = perf / std::min(peak, oi * (peak / ridge_oi));
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

ScenarioPeak PeakOf(const Roof& roof, const ModelSpec& model, const Scenario& scenario) {
  // §9.3: π is the highest ceiling any operator of the scenario runs against, so that no
  // operating point can sit above it. Both phases run the same operators in the same precisions.
  ScenarioPeak out;
  for (const OperatorCost& op : BuildOperatorCosts(model, scenario, Phase::kDecode)) {
    Precision used;
    const double peak = roof.PeakFor(op.math, &used);
    if (peak > out.peak_flops_per_s) {
      out.peak_flops_per_s = peak;
      out.precision = used;
    }
  }
  out.ridge_oi = out.peak_flops_per_s / roof.bandwidth_bytes_per_s;
  return out;
}

PhaseKernel::PhaseKernel(const std::vector<OperatorCost>& costs, const Roof& roof, Phase phase,
                         int64_t n_ubatch)
    : bandwidth_(roof.bandwidth_bytes_per_s * roof.bandwidth_fraction),
      phase_(phase),
      n_ubatch_(n_ubatch) {
  for (const OperatorCost& c : costs) {
    Precision used;
    terms_.push_back({c.flops, c.weight_bytes, c.act_bytes, c.kv_bytes, c.fixed_s,
                      static_cast<double>(c.count),
                      roof.PeakFor(c.math, &used) * roof.compute_fraction});
  }
}

namespace {

// The points of one block: B, N, B·N, B·N² and the passes P.
struct Points {
  const Eigen::Map<const Eigen::ArrayXd>& b;
  const Eigen::Map<const Eigen::ArrayXd>& n;
  const Eigen::ArrayXd& bn;
  const Eigen::ArrayXd& bn2;
  const Eigen::ArrayXd& passes;
};

// out = ((((c0 + c1·B) + c2·BN) + c3·BN2) + c4·P), then the terms beyond the polynomial one
// point at a time through the helpers CostPoly::At calls, in its order (§1.2); a zero term adds
// exactly 0, so skipping it changes no bit.
void EvalPoly(const CostPoly& p, const Points& x, Eigen::ArrayXd* out) {
  out->setConstant(p.c[0]);
  if (p.c[1] != 0) {
    *out += p.c[1] * x.b;
  }
  if (p.c[2] != 0) {
    *out += p.c[2] * x.bn;
  }
  if (p.c[3] != 0) {
    *out += p.c[3] * x.bn2;
  }
  if (p.c[4] != 0) {
    *out += p.c[4] * x.passes;
  }
  const Eigen::Index m = out->size();
  if (p.c[5] != 0) {
    for (Eigen::Index i = 0; i < m; ++i) {
      (*out)(i) += p.c[5] * (x.b(i) * WindowKeys(x.n(i), p.shape.window));
    }
  }
  if (p.c[6] != 0) {
    for (Eigen::Index i = 0; i < m; ++i) {
      (*out)(i) += p.c[6] * (x.b(i) * WindowScores(x.n(i), p.shape.window));
    }
  }
  if (p.c[7] != 0) {
    for (Eigen::Index i = 0; i < m; ++i) {
      const double draws = p.shape.draws_per_position ? x.bn(i) : x.b(i);
      (*out)(i) += p.c[7] * ExpertPasses(draws, p.shape.ubatch, p.shape.expert_hit);
    }
  }
}

}  // namespace

void PhaseKernel::Evaluate(const double* batch, const double* seq_len, size_t n,
                           PhaseSums* sums) const {
  using Eigen::ArrayXd;
  const Eigen::Index m = static_cast<Eigen::Index>(n);
  const Eigen::Map<const ArrayXd> b(batch, m);
  const Eigen::Map<const ArrayXd> s(seq_len, m);
  const ArrayXd bn = b * s;
  const ArrayXd bn2 = bn * s;
  ArrayXd passes(m);
  for (Eigen::Index i = 0; i < m; ++i) {
    passes(i) = Passes(phase_, b(i), s(i), n_ubatch_);
  }
  const Points points{b, s, bn, bn2, passes};
  ArrayXd f(m), w(m), a(m), k(m), x(m), q(m), compute(m), memory(m), time(m);
  ArrayXd sf = ArrayXd::Zero(m), sq = sf, sw = sf, sa = sf, sk = sf, st = sf, smem = sf, amax = sf;
  ArrayXd sx = sf;
  for (const Term& t : terms_) {
    EvalPoly(t.flops, points, &f);
    EvalPoly(t.weight_bytes, points, &w);
    EvalPoly(t.act_bytes, points, &a);
    EvalPoly(t.kv_bytes, points, &k);
    EvalPoly(t.fixed_s, points, &x);
    q = (w + a) + k;
    // §7.1 for every point at once, §7.5 the runtime's fixed time.
    compute = f / t.ceiling;
    memory = q / bandwidth_;
    time = compute.max(memory) + x;
    // §7.2: count-weighted sums, accumulated operator by operator in graph order.
    sf += t.count * f;
    sq += t.count * q;
    sw += t.count * w;
    sa += t.count * a;
    sk += t.count * k;
    st += t.count * time;
    smem += (compute > memory).select(0.0, t.count * (time - x));
    sx += t.count * x;
    amax = amax.max(a / passes);
  }
  for (Eigen::Index i = 0; i < m; ++i) {
    sums[i] = {sf(i), sq(i), sw(i), sa(i), sk(i), st(i), smem(i), sx(i), amax(i)};
  }
}

void FinishPhase(const PhaseSums& sums, double tokens, const Roof& roof, const ScenarioPeak& peak,
                 std::optional<double> measured_tps, PhaseTotals* totals, Rip* rip) {
  PhaseTotals& t = *totals;
  t.flops = sums.flops;
  t.bytes = sums.bytes;
  t.weight_bytes = sums.weight_bytes;
  t.act_bytes = sums.act_bytes;
  t.kv_bytes = sums.kv_bytes;
  t.time_s = sums.time_s;
  t.oi = t.flops / t.bytes;
  t.tokens = tokens;
  t.tokens_per_s = tokens / t.time_s;
  // §7.2: the limit the larger share of the roofline time (fixed time aside, §7.5) is spent against.
  t.bound = sums.memory_bound_time_s * 2 >= t.time_s - sums.fixed_time_s ? Bound::kMemory
                                                                         : Bound::kCompute;
  t.buffer_bytes = sums.max_act_bytes;
  t.energy_per_token_j.reset();
  if (roof.power_w) {
    t.energy_per_token_j = *roof.power_w * t.time_s / tokens;  // §7.3
  }
  // §9.3: the operating point is the phase aggregate, or the measured throughput.
  double perf = t.flops / t.time_s;
  if (measured_tps) {
    perf = t.flops * *measured_tps / tokens;
  }
  *rip = ComputeRip(t.oi, perf, peak.ridge_oi, peak.peak_flops_per_s);
  rip->measured = measured_tps.has_value();
}

MemoryFootprint Footprint(const MemoryParts& p, double usable_bytes, double capacity_bytes) {
  // §8: weights at their storage types, the cache for the whole context, the compute buffer of
  // one forward pass, the logits.
  MemoryFootprint m;
  m.weights_bytes = p.weights_bytes;
  m.kv_cache_bytes = p.kv_cache_bytes;
  m.state_bytes = p.state_bytes;
  m.kv_context = p.kv_context;
  m.activation_bytes = std::max(p.prefill_buffer_bytes, p.decode_buffer_bytes);
  m.decode_buffer_bytes = p.decode_buffer_bytes;
  m.output_bytes = p.output_bytes;
  // A model without recurrent layers adds a state of exactly 0, which changes no bit.
  const double cache = (p.weights_bytes + p.kv_cache_bytes) + p.state_bytes;
  m.total_bytes = (cache + m.activation_bytes) + p.output_bytes;
  m.decode_bytes = (cache + p.decode_buffer_bytes) + p.output_bytes;
  m.usable_bytes = usable_bytes > 0 ? usable_bytes : capacity_bytes;
  if (m.usable_bytes > 0) {
    m.fits = m.total_bytes <= m.usable_bytes;
  }
  return m;
}

PhaseResult EvaluatePhase(const std::vector<OperatorCost>& costs, const Roof& roof, Phase phase,
                          int64_t batch, int64_t seq_len, int64_t n_ubatch,
                          const ScenarioPeak& peak, std::optional<double> measured_tps) {
  PhaseResult result;
  result.phase = phase;
  const double b = static_cast<double>(batch);
  const double n = static_cast<double>(seq_len);
  const double passes = Passes(phase, b, n, n_ubatch);
  const double bw = roof.bandwidth_bytes_per_s * roof.bandwidth_fraction;
  for (const OperatorCost& c : costs) {
    // §7.1: the roofline of one operator, with the formulas the kernel applies to whole arrays;
    // §7.5: against the fractions of the ceilings the runtime reaches, plus its fixed time.
    OperatorResult r;
    r.op = c.At(batch, seq_len, passes);
    r.peak_flops_per_s = roof.PeakFor(c.math, &r.peak_precision) * roof.compute_fraction;
    const double compute = r.op.flops / r.peak_flops_per_s;
    const double memory = r.op.bytes() / bw;
    r.oi = r.op.bytes() > 0 ? r.op.flops / r.op.bytes() : 0.0;
    r.attainable_flops_per_s = std::min(r.peak_flops_per_s, r.oi * bw);
    r.time_s = std::max(compute, memory) + r.op.fixed_s;
    r.bound = compute > memory ? Bound::kCompute : Bound::kMemory;
    result.operators.push_back(std::move(r));
  }
  PhaseSums sums;
  PhaseKernel(costs, roof, phase, n_ubatch).Evaluate(&b, &n, 1, &sums);
  FinishPhase(sums, PhaseTokens(phase, b, n), roof, peak, measured_tps, &result.totals,
              &result.rip);
  return result;
}

ModelSummary SummarizeModel(const ModelSpec& model) {
  const ParamCount params = CountParams(model);
  return {model.name,     model.display_name, model.family,      model.source,
          params.total(), params.active(),    model.NumLayers()};
}

double WeightsInMemory(const ModelSpec& model, const Scenario& s) {
  WeightMix mix = MixOf(model, s.weights);
  if (s.exec.sparsity.second > 0) {
    // §12.2: the layers' matrices keep N of every M weights plus their index bits.
    const auto [n, m] = s.exec.sparsity;
    const double kept = static_cast<double>(n) / m;
    const double index = kept * SparsityIndexBits(m) / 8.0;
    const TensorTypes types = AssignTensorTypes(model, s.weights);
    mix.bytes = 0;
    for (const WeightTensor& t : ListWeightTensors(model)) {
      const double b = types.Of(t.role, t.layer).bytes();
      const bool sparse = t.layer >= 0 && t.cols > 0 && t.role != TensorRole::kFfnRouter &&
                          t.role != TensorRole::kSsmConv;
      mix.bytes += sparse ? t.elements * (b * kept + index) : t.elements * b;
    }
  }
  mix.bytes += model.extra_weight_bytes;
  if (!model.tie_word_embeddings || !s.exec.tied_output_duplicated) {
    return mix.bytes;
  }
  const TensorTypes types = AssignTensorTypes(model, s.weights);
  const double table = static_cast<double>(model.vocab_size) * static_cast<double>(model.hidden_size);
  return mix.bytes + table * types.Of(TensorRole::kTokenEmbd, -1).bytes();
}

Scenario WithRuntime(const Scenario& scenario, const Roof& roof) {
  Scenario s = scenario;
  s.exec = roof.exec;
  if (roof.act) {
    s.act = DTypeByName(*roof.act);
  }
  if (roof.fusion) {
    s.fusion = *roof.fusion;
  }
  // §12.2: sparse weights pay off only on a unit whose matrix engines run that pattern.
  s.exec.sparsity = scenario.sparsity.second > 0 && scenario.sparsity == roof.sparsity
                        ? scenario.sparsity
                        : std::pair<int, int>{0, 0};
  return s;
}

AnalysisResult Analyze(const ModelSpec& model, const Roof& roof, const Scenario& requested,
                       const MeasuredTps& measured) {
  const Scenario scenario = WithRuntime(requested, roof);
  AnalysisResult a;
  a.model = SummarizeModel(model);
  a.roof = roof;
  a.scenario = scenario;
  const ScenarioPeak peak = PeakOf(roof, model, scenario);
  a.peak_flops_per_s = peak.peak_flops_per_s;
  a.peak_precision = peak.precision;
  a.ridge_oi = peak.ridge_oi;

  MemoryParts parts;
  auto run = [&](Phase phase, std::optional<double> tps) {
    a.phases.push_back(EvaluatePhase(BuildOperatorCosts(model, scenario, phase), roof, phase,
                                     scenario.batch, scenario.seq_len, scenario.exec.n_ubatch, peak,
                                     tps));
    (phase == Phase::kPrefill ? parts.prefill_buffer_bytes : parts.decode_buffer_bytes) =
        a.phases.back().totals.buffer_bytes;
  };
  if (scenario.prefill) {
    run(Phase::kPrefill, measured.prefill);
  }
  if (scenario.decode) {
    run(Phase::kDecode, measured.decode);
  }
  a.weights = MixOf(model, scenario.weights);
  parts.weights_bytes = WeightsInMemory(model, scenario);
  parts.kv_context = KvContext(scenario);
  parts.kv_cache_bytes = KvCacheBytes(model, scenario);
  parts.state_bytes = StateBytes(static_cast<double>(scenario.batch), StateElementsAllLayers(model),
                                 scenario.state.bytes());
  parts.output_bytes = OutputBytes(model, static_cast<double>(scenario.batch));
  a.memory = Footprint(parts, roof.usable_bytes, roof.capacity_bytes);
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
