#include "slmroof/calibrate.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

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
    if (r.m.flash_attn && r.runtime.engine == r.m.engine) {
      roof.fusion = *r.m.flash_attn ? Fusion::kFlash : Fusion::kNone;
    }
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
  // Then Nelder-Mead over the fitted coordinates together: the per-pass and per-layer costs are
  // nearly collinear when the models have similar depths, which coordinate steps resolve slowly.
  // Coordinates: log fractions, and fixed costs in milliseconds and tens of microseconds.
  std::vector<int> dims = {0};
  if (fit_compute) {
    dims.push_back(1);
  }
  if (fit_overhead) {
    dims.push_back(2);
    dims.push_back(3);
  }
  auto to_figures = [&](const std::vector<double>& x) {
    RuntimeFigures g = f;
    for (size_t i = 0; i < dims.size(); ++i) {
      switch (dims[i]) {
        case 0:
          g.bandwidth_fraction = std::exp(std::clamp(x[i], std::log(0.02), 0.0));
          break;
        case 1:
          g.compute_fraction = std::exp(std::clamp(x[i], std::log(0.005), 0.0));
          break;
        case 2:
          g.overhead_per_pass_s = std::clamp(x[i], 0.0, 50.0) * 1e-3;
          break;
        default:
          g.overhead_per_layer_s = std::clamp(x[i], 0.0, 200.0) * 1e-5;
          break;
      }
    }
    return g;
  };
  std::vector<double> x0;
  for (int d : dims) {
    x0.push_back(d == 0   ? std::log(f.bandwidth_fraction)
                 : d == 1 ? std::log(f.compute_fraction)
                 : d == 2 ? f.overhead_per_pass_s * 1e3
                          : f.overhead_per_layer_s * 1e5);
  }
  const size_t n = dims.size();
  std::vector<std::vector<double>> simplex(n + 1, x0);
  std::vector<double> value(n + 1);
  for (size_t i = 0; i < n; ++i) {
    simplex[i + 1][i] += 0.1;
  }
  for (size_t i = 0; i <= n; ++i) {
    value[i] = loss(to_figures(simplex[i]));
  }
  for (int iter = 0; iter < 4000; ++iter) {
    std::vector<size_t> order(n + 1);
    for (size_t i = 0; i <= n; ++i) {
      order[i] = i;
    }
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return value[a] < value[b]; });
    const size_t best = order.front(), worst = order.back(), second = order[n - 1];
    if (value[worst] - value[best] < 1e-13) {
      break;
    }
    std::vector<double> centroid(n, 0.0);
    for (size_t i = 0; i <= n; ++i) {
      if (i != worst) {
        for (size_t k = 0; k < n; ++k) {
          centroid[k] += simplex[i][k] / static_cast<double>(n);
        }
      }
    }
    auto along = [&](double t) {
      std::vector<double> p(n);
      for (size_t k = 0; k < n; ++k) {
        p[k] = centroid[k] + t * (simplex[worst][k] - centroid[k]);
      }
      return p;
    };
    std::vector<double> reflected = along(-1);
    const double fr = loss(to_figures(reflected));
    if (fr < value[best]) {
      std::vector<double> expanded = along(-2);
      const double fe = loss(to_figures(expanded));
      simplex[worst] = fe < fr ? expanded : reflected;
      value[worst] = std::min(fe, fr);
    } else if (fr < value[second]) {
      simplex[worst] = reflected;
      value[worst] = fr;
    } else {
      std::vector<double> contracted = along(0.5);
      const double fc = loss(to_figures(contracted));
      if (fc < value[worst]) {
        simplex[worst] = contracted;
        value[worst] = fc;
      } else {
        for (size_t i = 0; i <= n; ++i) {
          if (i != best) {
            for (size_t k = 0; k < n; ++k) {
              simplex[i][k] = simplex[best][k] + 0.5 * (simplex[i][k] - simplex[best][k]);
            }
            value[i] = loss(to_figures(simplex[i]));
          }
        }
      }
    }
  }
  const size_t best = static_cast<size_t>(std::min_element(value.begin(), value.end()) - value.begin());
  const RuntimeFigures polished = to_figures(simplex[best]);
  return loss(polished) <= loss(f) ? polished : f;
}

std::vector<HeldOutPrediction> LeaveOneModelOut(const std::vector<PreparedRow>& rows) {
  // A calibration describes one build of a runtime, so a model is predicted only from the
  // models measured on the same unit in the same campaign (source): the validation set holds
  // campaigns years apart (llama.cpp discussion 4167 of 2023, 15396 of 2025) whose kernels differ.
  std::map<std::tuple<std::string, std::string, std::string, std::string, std::string>,
           std::vector<const PreparedRow*>>
      units;
  for (const PreparedRow& p : rows) {
    const ValidationRow& r = *p.row;
    units[{r.runtime.engine, r.runtime.backend, r.m.device, r.unit, r.m.source}].push_back(&p);
  }
  std::vector<HeldOutPrediction> out;
  for (const auto& [unit, members] : units) {
    std::set<std::string> models;
    for (const PreparedRow* p : members) {
      models.insert(p->row->m.model);
    }
    if (models.size() < 2) {
      continue;
    }
    for (const std::string& left_out : models) {
      std::vector<const PreparedRow*> train;
      int64_t prefill = 0, decode = 0;
      std::set<std::string> train_models;
      for (const PreparedRow* p : members) {
        if (p->row->m.model != left_out) {
          train.push_back(p);
          (p->row->m.phase == "prefill" ? prefill : decode) += 1;
          train_models.insert(p->row->m.model);
        }
      }
      const RuntimeFigures f =
          FitRuntime(train, {}, prefill >= 2, decode >= 3 && train_models.size() >= 2);
      for (const PreparedRow* p : members) {
        if (p->row->m.model == left_out) {
          out.push_back({p, p->Tps(f)});
        }
      }
    }
  }
  return out;
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
