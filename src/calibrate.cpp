#include "slmroof/calibrate.hpp"

#include <algorithm>
#include <cmath>

#include "slmroof/engine.hpp"
#include "slmroof/graph.hpp"
#include "slmroof/io/hardware_reader.hpp"
#include "slmroof/io/model_reader.hpp"

namespace slmroof {

double PreparedRow::Tps(const RuntimeFigures& f) const {
  double time = 0;
  for (size_t i = 0; i < compute_s.size(); ++i) {
    time += std::max(compute_s[i] / f.compute_fraction, memory_s[i] / f.bandwidth_fraction);
  }
  time += passes * (f.overhead_per_pass_s + layers * f.overhead_per_layer_s);
  return tokens / time;
}

std::vector<PreparedRow> PrepareRows(const ValidationReport& report) {
  std::vector<PreparedRow> out;
  for (const ValidationRow& r : report.rows) {
    if (!r.skipped.empty()) {
      continue;
    }
    const ModelSpec model = LoadModel(r.m.model);
    const HardwareSpec hw = LoadHardware(r.m.device);
    std::vector<std::string> fallbacks;
    Roof roof = ResolveRoof(hw, RoofKind::kTheoretical, r.unit, &fallbacks);
    Runtime runtime = r.runtime;
    runtime.bandwidth_fraction = 1;
    runtime.exec.overhead_per_pass_s = 0;
    runtime.exec.overhead_per_layer_s = 0;
    AttachRuntime(runtime, &hw, &roof);
    roof.compute_fraction = r.thread_share;
    const Scenario s = WithRuntime(r.scenario, roof);
    const Phase phase = r.m.phase == "prefill" ? Phase::kPrefill : Phase::kDecode;
    PreparedRow p;
    p.row = &r;
    const double b = static_cast<double>(s.batch);
    const double n = static_cast<double>(s.seq_len);
    p.passes = Passes(phase, b, n, s.exec.n_ubatch);
    p.layers = static_cast<double>(model.NumLayers());
    p.tokens = PhaseTokens(phase, b, n);
    p.measured_tps = r.m.tokens_per_s;
    for (const OperatorCost& c : BuildOperatorCosts(model, s, phase)) {
      const Operator op = c.At(s.batch, s.seq_len, p.passes);
      Precision used;
      const double count = static_cast<double>(op.count);
      p.compute_s.push_back(count * op.flops / (roof.PeakFor(op.math, &used) * roof.compute_fraction));
      p.memory_s.push_back(count * op.bytes() / roof.bandwidth_bytes_per_s);
    }
    out.push_back(std::move(p));
  }
  return out;
}

double RmsLogError(const std::vector<const PreparedRow*>& rows, const RuntimeFigures& f) {
  double sum = 0;
  for (const PreparedRow* r : rows) {
    const double e = std::log(r->Tps(f) / r->measured_tps);
    sum += e * e;
  }
  return rows.empty() ? 0 : std::sqrt(sum / static_cast<double>(rows.size()));
}

namespace {

// Golden-section search of `loss` over [lo, hi] (a unimodal section along one coordinate).
template <typename Loss>
double GoldenSection(Loss loss, double lo, double hi) {
  const double g = (std::sqrt(5.0) - 1) / 2;
  double a = lo, b = hi;
  double c = b - g * (b - a), d = a + g * (b - a);
  double fc = loss(c), fd = loss(d);
  for (int i = 0; i < 60; ++i) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = loss(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = loss(d);
    }
  }
  return (a + b) / 2;
}

}  // namespace

RuntimeFigures FitRuntime(const std::vector<const PreparedRow*>& rows, RuntimeFigures start,
                          bool fit_compute, bool fit_overhead) {
  RuntimeFigures f = start;
  if (rows.empty()) {
    return f;
  }
  auto loss = [&](const RuntimeFigures& x) { return RmsLogError(rows, x); };
  // Fractions are searched in log space (a tenfold range matters as much at 0.05 as at 0.5),
  // fixed costs linearly up to 50 ms per pass and 2 ms per layer.
  for (int sweep = 0; sweep < 12; ++sweep) {
    f.bandwidth_fraction = std::exp(GoldenSection(
        [&](double v) {
          RuntimeFigures x = f;
          x.bandwidth_fraction = std::exp(v);
          return loss(x);
        },
        std::log(0.02), 0.0));
    if (fit_compute) {
      f.compute_fraction = std::exp(GoldenSection(
          [&](double v) {
            RuntimeFigures x = f;
            x.compute_fraction = std::exp(v);
            return loss(x);
          },
          std::log(0.005), 0.0));
    }
    if (fit_overhead) {
      f.overhead_per_pass_s = GoldenSection(
          [&](double v) {
            RuntimeFigures x = f;
            x.overhead_per_pass_s = v;
            return loss(x);
          },
          0.0, 0.05);
      f.overhead_per_layer_s = GoldenSection(
          [&](double v) {
            RuntimeFigures x = f;
            x.overhead_per_layer_s = v;
            return loss(x);
          },
          0.0, 0.002);
    }
  }
  return f;
}

bool InFitSplit(const std::string& id) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h % 2 == 0;
}

}  // namespace slmroof
