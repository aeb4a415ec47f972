#include "slmroof/validate.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "slmroof/engine.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/io/hardware_reader.hpp"
#include "slmroof/io/model_reader.hpp"

namespace slmroof {

namespace {

const ComputeUnit* UnitFor(const HardwareSpec& hw, const std::string& unit) {
  for (const ComputeUnit& u : hw.units) {
    if (u.name == unit) {
      return &u;
    }
  }
  for (const ComputeUnit& u : hw.units) {
    if (u.kind == unit) {
      return &u;
    }
  }
  return nullptr;
}

// The scenario a measurement ran: prefill of n_prompt tokens, or decode of n_gen tokens whose
// mean context is n_depth + n_gen/2 (docs/accuracy.md).
Scenario ScenarioOf(const Measurement& m) {
  Scenario s;
  s.batch = m.batch;
  s.weights = ParseWeightSetting(m.weights);
  s.kv = DTypeByName(m.kv.empty() ? "fp16" : m.kv);
  if (m.phase == "prefill") {
    s.prefill = true;
    s.decode = false;
    s.seq_len = m.n_prompt;
  } else {
    s.prefill = false;
    s.decode = true;
    s.seq_len = std::max<int64_t>(1, m.n_depth + m.n_gen / 2);
  }
  return s;
}

double Tps(const ModelSpec& model, const Roof& roof, const Scenario& s) {
  const AnalysisResult a = Analyze(model, roof, s, {});
  return a.phases.front().totals.tokens_per_s;
}

}  // namespace

double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  if (v.empty()) {
    return 0;
  }
  // Linear interpolation between order statistics (the "type 7" definition of R and numpy).
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

std::vector<ValidationGroup> Summarize(const std::vector<ValidationRow>& rows) {
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<const ValidationRow*>> by;
  for (const ValidationRow& r : rows) {
    if (!r.skipped.empty()) {
      continue;
    }
    by[{r.m.phase, "*", "*"}].push_back(&r);
    by[{r.m.phase, r.runtime.engine, r.family}].push_back(&r);
  }
  std::vector<ValidationGroup> out;
  for (const auto& [key, members] : by) {
    ValidationGroup g;
    std::tie(g.phase, g.engine, g.family) = key;
    g.rows = static_cast<int64_t>(members.size());
    std::vector<double> abs_err, ratios;
    for (const ValidationRow* r : members) {
      abs_err.push_back(std::abs(r->ratio() - 1));
      ratios.push_back(r->ratio());
      g.above_ideal += r->m.tokens_per_s > r->ideal_tps ? 1 : 0;
    }
    g.median_abs_error = Quantile(abs_err, 0.5);
    g.p90_abs_error = Quantile(abs_err, 0.9);
    g.median_ratio = Quantile(ratios, 0.5);
    out.push_back(g);
  }
  // Phase totals first ("*" sorts before letters), then the groups.
  std::stable_sort(out.begin(), out.end(), [](const ValidationGroup& a, const ValidationGroup& b) {
    return std::tie(a.phase, a.engine, a.family) < std::tie(b.phase, b.engine, b.family);
  });
  return out;
}

ValidationReport Validate(const std::vector<Measurement>& rows, const ValidateOptions& options) {
  ValidationReport report;
  std::map<std::string, ModelSpec> models;
  std::map<std::string, HardwareSpec> devices;
  const EngineProfile ideal = LoadEngine("ideal");
  for (const Measurement& m : rows) {
    ValidationRow r;
    r.m = m;
    try {
      if (!m.exclude.empty()) {
        throw InputError("excluded: " + m.exclude);
      }
      if (!models.count(m.model)) {
        models.emplace(m.model, LoadModel(m.model));
      }
      if (!devices.count(m.device)) {
        devices.emplace(m.device, LoadHardware(m.device));
      }
      const ModelSpec& model = models.at(m.model);
      const HardwareSpec& hw = devices.at(m.device);
      const ComputeUnit* unit = UnitFor(hw, m.unit);
      if (unit == nullptr) {
        throw InputError(fmt::format("device '{}' has no {} unit", m.device, m.unit));
      }
      const std::optional<EngineProfile> engine = options.engine_for(m.engine);
      if (!engine) {
        throw InputError(fmt::format("no profile for engine '{}'", m.engine));
      }
      std::vector<std::string> fallbacks;
      Roof roof = ResolveRoof(hw, RoofKind::kTheoretical, unit->name, &fallbacks);
      const Scenario base = ScenarioOf(m);
      if (m.phase == "prefill" && m.n_prompt < 1) {
        throw InputError("prefill row without its prompt length (n_prompt)");
      }
      if (m.phase == "decode" && m.n_gen < 1) {
        throw InputError("decode row without its generation length (n_gen)");
      }
      if (m.phase == "prefill" && m.n_depth > 0) {
        throw InputError("prefill after a filled cache (n_depth > 0) is not modelled yet");
      }
      r.family = hw.kind;
      r.unit = unit->name;
      r.seq_len = base.seq_len;
      r.scenario = base;
      // A CPU run on fewer threads than the unit has cores reaches that share of its compute.
      if (m.threads && unit->threads && *m.threads < *unit->threads) {
        r.thread_share = static_cast<double>(*m.threads) / static_cast<double>(*unit->threads);
      }
      r.bandwidth_bytes_per_s = roof.bandwidth_bytes_per_s;
      r.runtime = ResolveRuntime(*engine, options.use_row_backend ? m.backend : "", hw.name,
                                 unit->kind, hw.kind);
      Roof engine_roof = roof;
      AttachRuntime(r.runtime, &hw, &engine_roof);
      if (ApplyCalibration(options.calibration, &engine_roof)) {
        r.runtime.bandwidth_fraction = engine_roof.bandwidth_fraction;
        r.runtime.compute_fraction = engine_roof.compute_fraction;
        r.runtime.exec.overhead_per_pass_s = engine_roof.exec.overhead_per_pass_s;
        r.runtime.exec.overhead_per_layer_s = engine_roof.exec.overhead_per_layer_s;
      }
      // The row's own runtime ran with the attention form its source states; a forced engine
      // (--engine) keeps its own.
      if (m.flash_attn && r.runtime.engine == m.engine) {
        engine_roof.fusion = *m.flash_attn ? Fusion::kFlash : Fusion::kNone;
      }
      engine_roof.compute_fraction *= r.thread_share;
      r.peak_flops_per_s = PeakOf(engine_roof, model, WithRuntime(base, engine_roof)).peak_flops_per_s;
      r.predicted_tps = Tps(model, engine_roof, base);
      Roof ideal_roof = roof;
      Runtime bound = ResolveRuntime(ideal, "", hw.name, unit->kind);
      bound.matrix_engines = true;  // the bound: every engine the unit has
      AttachRuntime(bound, &hw, &ideal_roof);
      ideal_roof.compute_fraction *= r.thread_share;
      r.ideal_tps = Tps(model, ideal_roof, base);
      if (!std::isfinite(r.predicted_tps) || !(r.predicted_tps > 0) || !std::isfinite(r.ideal_tps)) {
        throw InputError("the prediction is not a finite throughput");
      }
    } catch (const InputError& e) {
      r.skipped = e.what();
    } catch (const UsageError& e) {
      r.skipped = e.what();
    }
    report.rows.push_back(std::move(r));
  }
  report.groups = Summarize(report.rows);
  return report;
}

}  // namespace slmroof
