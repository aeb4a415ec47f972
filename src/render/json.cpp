#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "slmroof/render.hpp"

namespace slmroof {

using nlohmann::ordered_json;

double RoundSig(double value) {
  if (value == 0 || !std::isfinite(value)) {
    return value;
  }
  // strtod, not stod: a subnormal result is a value, not an error.
  return std::strtod(fmt::format("{:.10g}", value).c_str(), nullptr);
}

namespace {

// JSON has no inf or NaN: such a value (only reachable with absurd device figures) is null.
ordered_json Num(double v) { return std::isfinite(v) ? ordered_json(RoundSig(v)) : nullptr; }

ordered_json Optional(const std::optional<double>& v) {
  return v ? ordered_json(RoundSig(*v)) : ordered_json(nullptr);
}

std::string PhaseSelection(const Scenario& s) {
  if (s.prefill && s.decode) {
    return "both";
  }
  return s.prefill ? "prefill" : "decode";
}

ordered_json OperatorJson(const OperatorResult& r) {
  const Operator& op = r.op;
  ordered_json j;
  j["name"] = op.name;
  j["kind"] = std::string(OpKindName(op.kind));
  j["count"] = op.count;
  j["flops"] = Num(op.flops);
  j["bytes"] = Num(op.bytes());
  j["weight_bytes"] = Num(op.weight_bytes);
  j["act_bytes"] = Num(op.act_bytes);
  j["kv_bytes"] = Num(op.kv_bytes);
  j["oi"] = Num(r.oi);
  j["weight_type"] = op.weight_type.empty() ? ordered_json(nullptr) : ordered_json(op.weight_type);
  j["math_precision"] = std::string(PrecisionName(op.math));
  j["peak_precision"] = std::string(PrecisionName(r.peak_precision));
  j["attainable_flops_per_s"] = Num(r.attainable_flops_per_s);
  j["bound"] = std::string(BoundName(r.bound));
  j["time_s"] = Num(r.time_s);
  return j;
}

ordered_json PhaseJson(const PhaseResult& p) {
  ordered_json j;
  j["phase"] = std::string(PhaseName(p.phase));
  ordered_json ops = ordered_json::array();
  for (const OperatorResult& r : p.operators) {
    ops.push_back(OperatorJson(r));
  }
  j["operators"] = std::move(ops);
  const PhaseTotals& t = p.totals;
  ordered_json totals;
  totals["flops"] = Num(t.flops);
  totals["bytes"] = Num(t.bytes);
  totals["weight_bytes"] = Num(t.weight_bytes);
  totals["act_bytes"] = Num(t.act_bytes);
  totals["kv_bytes"] = Num(t.kv_bytes);
  totals["oi"] = Num(t.oi);
  totals["time_s"] = Num(t.time_s);
  totals["tokens"] = Num(t.tokens);
  totals["tokens_per_s"] = Num(t.tokens_per_s);
  totals["bound"] = std::string(BoundName(t.bound));
  totals["energy_per_token_j"] = Optional(t.energy_per_token_j);
  j["totals"] = std::move(totals);
  ordered_json rip;
  rip["phi"] = Num(p.rip.phi);
  rip["phi_log"] = Num(p.rip.phi_log);
  rip["regime"] = std::string(BoundName(p.rip.regime));
  rip["oi"] = Num(p.rip.oi);
  rip["perf_flops_per_s"] = Num(p.rip.perf_flops_per_s);
  rip["roof_fraction"] = Num(p.rip.roof_fraction);
  rip["point"] = p.rip.measured ? "measured" : "predicted";
  j["rip"] = std::move(rip);
  return j;
}

ordered_json AnalysisJson(const AnalysisResult& a, bool with_version) {
  ordered_json j;
  if (with_version) {
    j["schema_version"] = kSchemaVersion;
  }
  ordered_json model;
  model["name"] = a.model.name;
  model["display_name"] = a.model.display_name;
  model["family"] = a.model.family;
  model["params"] = Num(a.model.params);
  model["active_params"] = Num(a.model.active_params);
  model["layers"] = a.model.layers;
  model["source"] = a.model.source;
  j["model"] = std::move(model);

  const Roof& roof = a.roof;
  ordered_json hw;
  hw["name"] = roof.device;
  hw["display_name"] = roof.display_name;
  hw["unit"] = roof.unit;
  hw["roof"] = std::string(RoofKindName(roof.kind));
  hw["peak_flops_per_s"] = Num(a.peak_flops_per_s);
  hw["peak_precision"] = std::string(PrecisionName(a.peak_precision));
  hw["bandwidth_bytes_per_s"] = Num(roof.bandwidth_bytes_per_s);
  hw["ridge_oi"] = Num(a.ridge_oi);
  ordered_json peaks = ordered_json::object();
  for (Precision p : AllPrecisions()) {
    auto it = roof.peak_flops_per_s.find(p);
    if (it != roof.peak_flops_per_s.end()) {
      peaks[std::string(PrecisionName(p))] = Num(it->second);
    }
  }
  hw["peaks_flops_per_s"] = std::move(peaks);
  hw["engine"] = roof.engine;
  hw["backend"] = roof.backend;
  hw["bandwidth_fraction"] = Num(roof.bandwidth_fraction);
  hw["compute_fraction"] = Num(roof.compute_fraction);
  hw["n_ubatch"] = roof.exec.n_ubatch;
  hw["overhead_per_pass_s"] = Num(roof.exec.overhead_per_pass_s);
  hw["overhead_per_layer_s"] = Num(roof.exec.overhead_per_layer_s);
  hw["capacity_bytes"] = roof.capacity_bytes > 0 ? ordered_json(Num(roof.capacity_bytes)) : nullptr;
  hw["power_w"] = Optional(roof.power_w);
  hw["power_kind"] = roof.power_w ? ordered_json(roof.power_kind) : nullptr;
  j["hardware"] = std::move(hw);

  const Scenario& s = a.scenario;
  ordered_json sc;
  sc["phase"] = PhaseSelection(s);
  sc["seq_len"] = s.seq_len;
  sc["batch"] = s.batch;
  sc["weights"] = s.weights.name;
  sc["act"] = s.act.name;
  sc["kv"] = s.kv.name;
  sc["fusion"] = std::string(FusionName(s.fusion));
  sc["mla"] = std::string(MlaFormName(s.mla));
  j["scenario"] = std::move(sc);

  ordered_json mix;
  mix["bytes"] = Num(a.weights.bytes);
  mix["bits_per_weight"] = Num(a.weights.bits_per_weight());
  ordered_json types = ordered_json::array();
  for (const TypeShare& t : a.weights.types) {
    types.push_back({{"type", t.type}, {"tensors", t.tensors}, {"elements", Num(t.elements)},
                     {"bytes", Num(t.bytes)}});
  }
  mix["types"] = std::move(types);
  j["weights"] = std::move(mix);

  ordered_json phases = ordered_json::array();
  ordered_json latency;
  for (const PhaseResult& p : a.phases) {
    phases.push_back(PhaseJson(p));
    if (p.phase == Phase::kPrefill) {
      latency["ttft_s"] = Num(p.totals.time_s);
      latency["prefill_tokens_per_s"] = Num(p.totals.tokens_per_s);
    } else {
      latency["tpot_s"] = Num(p.totals.time_s);
      latency["decode_tokens_per_s"] = Num(p.totals.tokens_per_s);
    }
  }
  j["phases"] = std::move(phases);
  j["latency"] = std::move(latency);

  const MemoryFootprint& m = a.memory;
  ordered_json mem;
  mem["weights_bytes"] = Num(m.weights_bytes);
  mem["kv_cache_bytes"] = Num(m.kv_cache_bytes);
  mem["state_bytes"] = Num(m.state_bytes);
  mem["kv_context"] = Num(m.kv_context);
  mem["activation_bytes"] = Num(m.activation_bytes);
  mem["decode_buffer_bytes"] = Num(m.decode_buffer_bytes);
  mem["output_bytes"] = Num(m.output_bytes);
  mem["total_bytes"] = Num(m.total_bytes);
  mem["decode_bytes"] = Num(m.decode_bytes);
  mem["usable_bytes"] = m.usable_bytes > 0 ? ordered_json(Num(m.usable_bytes)) : nullptr;
  mem["capacity_bytes"] = roof.capacity_bytes > 0 ? ordered_json(Num(roof.capacity_bytes)) : nullptr;
  mem["fits"] = m.fits ? ordered_json(*m.fits) : nullptr;
  j["memory"] = std::move(mem);
  return j;
}

}  // namespace

std::string RenderJson(const Report& report) {
  ordered_json out;
  if (report.analyses.size() == 1) {
    out = AnalysisJson(report.analyses.front(), true);
  } else {
    out["schema_version"] = kSchemaVersion;
    ordered_json list = ordered_json::array();
    for (const AnalysisResult& a : report.analyses) {
      list.push_back(AnalysisJson(a, false));
    }
    out["analyses"] = std::move(list);
    ordered_json cmp = ordered_json::array();
    for (const RipComparison& c : report.comparisons) {
      ordered_json j;
      j["phase"] = std::string(PhaseName(c.phase));
      j["base"] = c.base;
      j["other"] = c.other;
      j["phi_base"] = Num(c.phi_base);
      j["phi_other"] = Num(c.phi_other);
      j["delta_phi"] = Num(c.delta_phi);
      j["phi_log_base"] = Num(c.phi_log_base);
      j["phi_log_other"] = Num(c.phi_log_other);
      j["delta_phi_log"] = Num(c.delta_phi_log);
      j["comparable"] = c.comparable;
      cmp.push_back(std::move(j));
    }
    out["rip_comparison"] = std::move(cmp);
  }
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace slmroof
