#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "render/human.hpp"
#include "slmroof/render.hpp"

namespace slmroof {

namespace {

using human::Oi;
using human::Seconds;
using human::Si;

// "Q4_K_M (4.87 bpw: q4_k 71%, q6_k 24%, fp32 0.1%)": the setting and, when its tensors do not all
// share one type, the share of the weight bytes each type holds.
std::string WeightsText(const AnalysisResult& a) {
  const WeightMix& mix = a.weights;
  if (mix.types.size() <= 1 || mix.bytes <= 0) {
    return a.scenario.weights.name;
  }
  std::vector<std::string> shares;
  for (const TypeShare& t : mix.types) {
    shares.push_back(fmt::format("{} {:.3g}%", t.type, 100.0 * t.bytes / mix.bytes));
  }
  return fmt::format("{} ({:.3g} bpw: {})", a.scenario.weights.name, mix.bits_per_weight(),
                     fmt::join(shares, ", "));
}

void Header(const AnalysisResult& a, std::string* out) {
  const Roof& roof = a.roof;
  const Scenario& s = a.scenario;
  *out += fmt::format("{} ({} params) on {} [{}, {} roof]\n", a.model.display_name,
                      Si(a.model.params, ""), roof.display_name, roof.unit, RoofKindName(roof.kind));
  if (roof.engine == "ideal") {
    *out += "  engine ideal: the roofline bound\n";
  } else {
    *out += fmt::format(
        "  engine {} {}: reaches {:.3g}% of the bandwidth and {:.3g}% of compute, "
        "{} per pass + {} per layer\n",
        roof.engine, roof.backend, 100 * roof.bandwidth_fraction, 100 * roof.compute_fraction,
        Seconds(roof.exec.overhead_per_pass_s), Seconds(roof.exec.overhead_per_layer_s));
  }
  *out += fmt::format("  peak {} ({}), bandwidth {}, ridge {} FLOP/B\n",
                      Si(a.peak_flops_per_s, "FLOP/s"), PrecisionName(a.peak_precision),
                      Si(roof.bandwidth_bytes_per_s, "B/s"), Oi(a.ridge_oi));
  *out += fmt::format("  seq {}, batch {}, weights {}, act {}, kv {}, fusion {}, mla {}\n", s.seq_len,
                      s.batch, WeightsText(a), s.act.name, s.kv.name, FusionName(s.fusion),
                      MlaFormName(s.mla));
}

void PhaseTable(const PhaseResult& p, const Roof& roof, int64_t seq_len, int64_t batch,
                std::string* out) {
  const PhaseTotals& t = p.totals;
  if (p.phase == Phase::kPrefill) {
    *out += fmt::format("\nprefill: {} prompt tokens x batch {}\n", seq_len, batch);
  } else {
    *out += fmt::format("\ndecode: one step, batch {}, context {} tokens\n", batch, seq_len);
  }
  std::vector<size_t> order(p.operators.size());
  std::iota(order.begin(), order.end(), 0);
  auto total_time = [&](size_t i) {
    return static_cast<double>(p.operators[i].op.count) * p.operators[i].time_s;
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return total_time(x) > total_time(y); });
  size_t width = 8;
  for (const OperatorResult& r : p.operators) {
    width = std::max(width, r.op.name.size());
  }
  const std::string row = "  {:<{}} {:>5} {:>11} {:>10} {:>8} {:>14} {:>7} {:>10} {:>6}\n";
  *out += fmt::format(fmt::runtime(row), "operator", width, "count", "FLOPs", "bytes", "OI",
                      "attainable", "bound", "time", "share");
  for (size_t i : order) {
    const OperatorResult& r = p.operators[i];
    const double c = static_cast<double>(r.op.count);
    *out += fmt::format(fmt::runtime(row), r.op.name, width, r.op.count, Si(c * r.op.flops, "FLOP"),
                        Si(c * r.op.bytes(), "B"), Oi(r.oi), Si(r.attainable_flops_per_s, "FLOP/s"),
                        BoundName(r.bound), Seconds(c * r.time_s),
                        fmt::format("{:.1f}%", 100 * total_time(i) / t.time_s));
  }
  *out += fmt::format(fmt::runtime(row), "total", width, "", Si(t.flops, "FLOP"), Si(t.bytes, "B"),
                      Oi(t.oi), Si(t.flops / t.time_s, "FLOP/s"), BoundName(t.bound),
                      Seconds(t.time_s), "100%");
  const char* label = p.phase == Phase::kPrefill ? "time to first token" : "time per output token";
  *out += fmt::format("  {} {}, {:.4g} tokens/s", label, Seconds(t.time_s), t.tokens_per_s);
  if (t.energy_per_token_j) {
    *out += fmt::format(", {:.3g} J/token (at {:.3g} W, {})", *t.energy_per_token_j,
                        roof.power_w.value_or(0), roof.power_kind);
  }
  *out += "\n";
  *out += fmt::format("  Φ {:.4g} ({}-bound, paper units), Φ-log {:.3g} decades, point {} at OI {} and {}\n",
                      p.rip.phi, BoundName(p.rip.regime), p.rip.phi_log,
                      p.rip.measured ? "measured" : "predicted", Oi(p.rip.oi),
                      Si(p.rip.perf_flops_per_s, "FLOP/s"));
}

void Memory(const AnalysisResult& a, std::string* out) {
  const MemoryFootprint& m = a.memory;
  const std::string state =
      m.state_bytes > 0 ? fmt::format(" + recurrent state {}", Si(m.state_bytes, "B")) : std::string();
  *out += fmt::format(
      "\nmemory: weights {} + KV cache {} ({:.0f} tokens){} + compute buffer {} + output {} = {} "
      "peak, {} while decoding",
      Si(m.weights_bytes, "B"), Si(m.kv_cache_bytes, "B"), m.kv_context, state,
      Si(m.activation_bytes, "B"), Si(m.output_bytes, "B"), Si(m.total_bytes, "B"),
      Si(m.decode_bytes, "B"));
  if (m.fits) {
    *out += fmt::format("; usable {} of {}: {}\n", Si(m.usable_bytes, "B"),
                        Si(a.roof.capacity_bytes, "B"), *m.fits ? "fits" : "DOES NOT FIT");
  } else {
    *out += " (device capacity unknown)\n";
  }
}

std::string FitsText(const MemoryFootprint& m) {
  return m.fits ? (*m.fits ? "fits" : "DOES NOT FIT") : "capacity unknown";
}

// The answer first: one line per phase (time, tokens/s, bound, share of the roof, Φ) and one for
// memory.
void Summary(const AnalysisResult& a, std::string* out) {
  *out += "\nsummary\n";
  for (const PhaseResult& p : a.phases) {
    const PhaseTotals& t = p.totals;
    const bool prefill = p.phase == Phase::kPrefill;
    *out += fmt::format("  {:<22} {:>8}  {:>6} tokens/s  {:<14} {:>5.1f}% of the roof  "
                        "Φ {:.4g} (Φ-log {:.3g})",
                        prefill ? "time to first token" : "time per output token", Seconds(t.time_s),
                        fmt::format("{:.4g}", t.tokens_per_s),
                        fmt::format("{}-bound", BoundName(t.bound)), 100 * p.rip.roof_fraction,
                        p.rip.phi, p.rip.phi_log);
    if (t.energy_per_token_j) {
      *out += fmt::format("  {:.3g} J/token", *t.energy_per_token_j);
    }
    *out += "\n";
  }
  const MemoryFootprint& m = a.memory;
  *out += fmt::format("  {:<22} {:>8}  peak, {} while decoding", "memory", Si(m.total_bytes, "B"),
                      Si(m.decode_bytes, "B"));
  if (m.fits) {
    *out += fmt::format(", of {} usable: {}\n", Si(m.usable_bytes, "B"), FitsText(m));
  } else {
    *out += " (device capacity unknown)\n";
  }
}

// "+12.3%", or "n/a" when the first model's value is zero.
std::string Change(double value, double first) {
  if (first == 0) {
    return "n/a";
  }
  return fmt::format("{:+.3g}%", 100 * (value / first - 1));
}

// Several models on one device: one row each with the figures people compare, then the change of
// each against the first model.
void SideBySide(const Report& report, std::string* out) {
  const AnalysisResult& first = report.analyses.front();
  const Scenario& s = first.scenario;
  *out += fmt::format("{} models on {} [{}, {} roof]", report.analyses.size(), first.roof.display_name,
                      first.roof.unit, RoofKindName(first.roof.kind));
  *out += first.roof.engine == "ideal" ? ", engine ideal (the roofline bound)\n"
                                       : fmt::format(", engine {} {}\n", first.roof.engine,
                                                     first.roof.backend);
  *out += fmt::format("  seq {}, batch {}, weights {}, act {}, kv {}, fusion {}, mla {}\n\n",
                      s.seq_len, s.batch, s.weights.name, s.act.name, s.kv.name,
                      FusionName(s.fusion), MlaFormName(s.mla));
  size_t width = 5;
  for (const AnalysisResult& a : report.analyses) {
    width = std::max(width, a.model.name.size());
  }
  // Columns: name, params, TTFT, prefill tokens/s, TPOT, decode tokens/s, memory, fits, decode OI,
  // decode Φ, decode Φ-log. A phase not analysed prints "-".
  struct Figures {
    std::string cells[10];
    double values[10] = {};
  };
  auto figures = [](const AnalysisResult& a) {
    Figures f;
    const PhaseResult* pre = FindPhase(a, Phase::kPrefill);
    const PhaseResult* dec = FindPhase(a, Phase::kDecode);
    f.cells[0] = Si(a.model.params, "");
    f.values[0] = a.model.params;
    if (pre != nullptr) {
      f.cells[1] = Seconds(pre->totals.time_s);
      f.values[1] = pre->totals.time_s;
      f.cells[2] = fmt::format("{:.4g}", pre->totals.tokens_per_s);
      f.values[2] = pre->totals.tokens_per_s;
    }
    if (dec != nullptr) {
      f.cells[3] = Seconds(dec->totals.time_s);
      f.values[3] = dec->totals.time_s;
      f.cells[4] = fmt::format("{:.4g}", dec->totals.tokens_per_s);
      f.values[4] = dec->totals.tokens_per_s;
      f.cells[7] = Oi(dec->totals.oi);
      f.values[7] = dec->totals.oi;
      f.cells[8] = fmt::format("{:.4g}", dec->rip.phi);
      f.values[8] = dec->rip.phi;
      f.cells[9] = fmt::format("{:.3g}", dec->rip.phi_log);
      f.values[9] = dec->rip.phi_log;
    }
    f.cells[5] = Si(a.memory.total_bytes, "B");
    f.values[5] = a.memory.total_bytes;
    f.cells[6] = a.memory.fits ? (*a.memory.fits ? "yes" : "NO") : "?";
    for (std::string& c : f.cells) {
      if (c.empty()) {
        c.assign(1, '-');  // (GCC 12 reports a false -Wrestrict for c = "-")
      }
    }
    return f;
  };
  const std::string row =
      "  {:<{}} {:>8} {:>9} {:>13} {:>9} {:>12} {:>9} {:>5} {:>9} {:>10} {:>12}\n";
  *out += fmt::format(fmt::runtime(row), "model", width, "params", "TTFT", "prefill tok/s", "TPOT",
                      "decode tok/s", "memory", "fits", "decode OI", "decode Φ", "decode Φ-log");
  std::vector<Figures> all;
  for (const AnalysisResult& a : report.analyses) {
    all.push_back(figures(a));
    const Figures& f = all.back();
    *out += fmt::format(fmt::runtime(row), a.model.name, width, f.cells[0], f.cells[1], f.cells[2],
                        f.cells[3], f.cells[4], f.cells[5], f.cells[6], f.cells[7], f.cells[8],
                        f.cells[9]);
  }
  *out += fmt::format(
      "\n  change against {} (the first model), + is more: less TTFT, TPOT and memory is better,\n"
      "  more tokens/s is better; OI and Φ have no better direction (Φ across the ridge: below)\n",
      first.model.name);
  for (size_t i = 1; i < report.analyses.size(); ++i) {
    const Figures& f = all[i];
    std::string cells[10];
    for (int c = 0; c < 10; ++c) {
      cells[c] = all[0].cells[c] == "-" || f.cells[c] == "-" || c == 6
                     ? (c == 6 ? f.cells[6] : "-")
                     : Change(f.values[c], all[0].values[c]);
    }
    *out += fmt::format(fmt::runtime(row), report.analyses[i].model.name, width, cells[0], cells[1],
                        cells[2], cells[3], cells[4], cells[5], cells[6], cells[7], cells[8],
                        cells[9]);
  }
}

void Comparisons(const Report& report, std::string* out) {
  if (report.comparisons.empty()) {
    return;
  }
  *out += "\nrelative inference potential (other - base)\n";
  for (const RipComparison& c : report.comparisons) {
    *out += fmt::format("  {:<8} {} vs {}: ", PhaseName(c.phase), c.other, c.base);
    if (c.comparable) {
      *out += fmt::format("ΔΦ {:+.4g}, ΔΦ-log {:+.3g}\n", c.delta_phi, c.delta_phi_log);
    } else {
      *out += fmt::format("incomparable (opposite sides of the ridge); Φ {:.4g} vs {:.4g}\n",
                          c.phi_other, c.phi_base);
    }
  }
}

}  // namespace

std::string RenderTable(const Report& report, const TableOptions& options) {
  std::string out;
  const bool several = report.analyses.size() > 1;
  if (several) {
    SideBySide(report, &out);
    Comparisons(report, &out);
    if (!options.operators || options.summary_only) {
      return out;
    }
    out += "\n";
  }
  for (size_t i = 0; i < report.analyses.size(); ++i) {
    const AnalysisResult& a = report.analyses[i];
    if (i > 0) {
      out += "\n";
    }
    Header(a, &out);
    Summary(a, &out);
    if (options.summary_only) {
      continue;
    }
    for (const PhaseResult& p : a.phases) {
      PhaseTable(p, a.roof, a.scenario.seq_len, a.scenario.batch, &out);
    }
    Memory(a, &out);
  }
  return out;
}

}  // namespace slmroof
