#include "slmroof/sweep.hpp"

#include <algorithm>
#include <array>

#include "slmroof/graph.hpp"
#include "slmroof/plan.hpp"

namespace slmroof {

double SweepRowCount(const SweepSpec& s) {
  const double phases = (s.prefill ? 1.0 : 0.0) + (s.decode ? 1.0 : 0.0);
  const double depths = s.layers.size() == 0 ? 1.0 : static_cast<double>(s.layers.size());
  return static_cast<double>(s.models.size()) * depths * static_cast<double>(s.roofs.size()) *
         static_cast<double>(s.weights.size()) * static_cast<double>(s.kv.size()) *
         static_cast<double>(s.fusion.size()) * static_cast<double>(s.batch.size()) *
         static_cast<double>(s.seq_len.size()) * phases;
}

namespace {

// Points evaluated together: large enough to amortise the per-operator setup, small enough that
// the kernel's arrays stay in cache.
constexpr size_t kBlock = 512;

class Runner {
 public:
  Runner(const SweepSpec& spec, SweepSink& sink,
         const std::function<void(double, double)>& progress)
      : spec_(spec), sink_(sink), progress_(progress), total_(SweepRowCount(spec)) {
    if (spec_.prefill) {
      phases_.push_back(Phase::kPrefill);
    }
    if (spec_.decode) {
      phases_.push_back(Phase::kDecode);
    }
  }

  void Run() {
    for (const ModelSpec& model : spec_.models) {
      if (spec_.layers.size() == 0) {
        RunModel(model);
        continue;
      }
      for (size_t i = 0; i < spec_.layers.size(); ++i) {
        RunModel(WithDepth(model, spec_.layers.at(i)));
      }
    }
  }

 private:
  void RunModel(const ModelSpec& model) {
    for (const Roof& roof : spec_.roofs) {
      for (const WeightSetting& w : spec_.weights) {
        for (const DType& kv : spec_.kv) {
          for (Fusion f : spec_.fusion) {
            SweepSetting setting;
            setting.id = ++settings_;
            setting.model = &model;
            setting.roof = &roof;
            Scenario& s = setting.scenario;
            s.prefill = spec_.prefill;
            s.decode = spec_.decode;
            s.weights = ResolveWeights(model, w, spec_.layers.size() == 0);
            s.act = spec_.act;
            s.kv = kv;
            s.state = spec_.state;
            s.sparsity = spec_.sparsity;
            s.fusion = f;
            s.mla = spec_.mla;
            s = WithRuntime(s, roof);
            setting.peak = PeakOf(roof, model, s);
            if (spec_.operators) {
              RunPerPoint(setting);
            } else {
              RunBlocks(setting, WeightsInMemory(model, s),
                        KvLayoutFor(model, s));
            }
          }
        }
      }
    }
  }

  // Totals only: every phase's kernel over blocks of points (§7.4).
  void RunBlocks(const SweepSetting& setting, double weights_bytes, const KvLayout& kv_layout) {
    std::vector<PhaseKernel> kernels;
    for (Phase p : phases_) {
      kernels.emplace_back(BuildOperatorCosts(*setting.model, setting.scenario, p), *setting.roof, p,
                           setting.scenario.exec.n_ubatch);
    }
    const size_t nb = spec_.batch.size();
    const size_t ns = spec_.seq_len.size();
    const double points = static_cast<double>(nb) * static_cast<double>(ns);
    std::array<double, kBlock> b{}, n{};
    std::array<int64_t, kBlock> bi{}, ni{};
    std::vector<std::array<PhaseSums, kBlock>> sums(kernels.size());
    SweepRow row;
    row.setting = &setting;
    const Roof& roof = *setting.roof;
    const double kv_bytes_per_element = setting.scenario.kv.bytes();
    const double state_elements = StateElementsAllLayers(*setting.model);
    const double state_bytes_per_element = setting.scenario.state.bytes();
    // Walk batch-major, seq-minor, a block at a time.
    size_t batch_i = 0, seq_i = 0;
    for (double done = 0; done < points;) {
      size_t m = 0;
      for (; m < kBlock && batch_i < nb; ++m) {
        bi[m] = spec_.batch.at(batch_i);
        ni[m] = spec_.seq_len.at(seq_i);
        b[m] = static_cast<double>(bi[m]);
        n[m] = static_cast<double>(ni[m]);
        if (++seq_i == ns) {
          seq_i = 0;
          ++batch_i;
        }
      }
      for (size_t k = 0; k < kernels.size(); ++k) {
        kernels[k].Evaluate(b.data(), n.data(), m, sums[k].data());
      }
      for (size_t i = 0; i < m; ++i) {
        // §8, as Analyze computes it.
        MemoryParts parts;
        for (size_t k = 0; k < kernels.size(); ++k) {
          (phases_[k] == Phase::kPrefill ? parts.prefill_buffer_bytes : parts.decode_buffer_bytes) =
              sums[k][i].max_act_bytes;
        }
        parts.weights_bytes = weights_bytes;
        parts.kv_context = PaddedContext(n[i], KvPad(setting.scenario));
        parts.kv_cache_bytes = KvCacheBytes(b[i], parts.kv_context, kv_layout, kv_bytes_per_element);
        parts.state_bytes = StateBytes(b[i], state_elements, state_bytes_per_element);
        parts.output_bytes = OutputBytes(*setting.model, b[i]);
        row.memory = Footprint(parts, roof.usable_bytes, roof.capacity_bytes);
        row.batch = bi[i];
        row.seq_len = ni[i];
        for (size_t k = 0; k < kernels.size(); ++k) {
          row.phase = phases_[k];
          FinishPhase(sums[k][i], PhaseTokens(row.phase, b[i], n[i]), roof, setting.peak,
                      std::nullopt, &row.totals, &row.rip);
          sink_.Row(row);
        }
      }
      done += static_cast<double>(m);
      Report(static_cast<double>(m) * static_cast<double>(phases_.size()));
    }
  }

  // With operators: the analyze path at every point, which also yields each operator.
  void RunPerPoint(const SweepSetting& setting) {
    SweepRow row;
    row.setting = &setting;
    Scenario s = setting.scenario;
    for (size_t bi = 0; bi < spec_.batch.size(); ++bi) {
      for (size_t si = 0; si < spec_.seq_len.size(); ++si) {
        s.batch = spec_.batch.at(bi);
        s.seq_len = spec_.seq_len.at(si);
        const AnalysisResult a = Analyze(*setting.model, *setting.roof, s, {});
        row.batch = s.batch;
        row.seq_len = s.seq_len;
        row.memory = a.memory;
        for (const PhaseResult& p : a.phases) {
          row.phase = p.phase;
          row.totals = p.totals;
          row.rip = p.rip;
          row.detail = &p;
          sink_.Row(row);
        }
        Report(static_cast<double>(a.phases.size()));
      }
    }
  }

  void Report(double rows) {
    done_ += rows;
    if (progress_) {
      progress_(done_, total_);
    }
  }

  const SweepSpec& spec_;
  SweepSink& sink_;
  const std::function<void(double, double)>& progress_;
  std::vector<Phase> phases_;
  double total_ = 0;
  double done_ = 0;
  uint64_t settings_ = 0;
};

}  // namespace

void SweepAnalysesSink::Row(const SweepRow& row) {
  const SweepSetting& s = *row.setting;
  const bool same_point = !analyses_.empty() && last_setting_ == s.id &&
                          analyses_.back().scenario.batch == row.batch &&
                          analyses_.back().scenario.seq_len == row.seq_len;
  if (!same_point) {
    AnalysisResult a;
    // The model changes only with the setting: count its parameters once per setting.
    a.model = last_setting_ == s.id ? analyses_.back().model : SummarizeModel(*s.model);
    a.roof = *s.roof;
    a.peak_flops_per_s = s.peak.peak_flops_per_s;
    a.peak_precision = s.peak.precision;
    a.ridge_oi = s.peak.ridge_oi;
    a.scenario = s.scenario;
    a.scenario.batch = row.batch;
    a.scenario.seq_len = row.seq_len;
    a.memory = row.memory;
    analyses_.push_back(std::move(a));
    last_setting_ = s.id;
  }
  PhaseResult p;
  p.phase = row.phase;
  if (row.detail) {
    p.operators = row.detail->operators;
  }
  p.totals = row.totals;
  p.rip = row.rip;
  analyses_.back().phases.push_back(std::move(p));
}

void RunSweep(const SweepSpec& spec, SweepSink& sink,
              const std::function<void(double, double)>& progress) {
  Runner(spec, sink, progress).Run();
}

}  // namespace slmroof
