#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "slmroof/axis.hpp"
#include "slmroof/dtype.hpp"
#include "slmroof/engine.hpp"
#include "slmroof/hardware.hpp"
#include "slmroof/model.hpp"
#include "slmroof/result.hpp"
#include "slmroof/scenario.hpp"

namespace slmroof {

/// Rows a sweep may print without --force: 10 million (about 3 GB of CSV).
inline constexpr double kSweepRowLimit = 1e7;

/// A grid of scenarios: the cartesian product of every list and axis.
struct SweepSpec {
  std::vector<ModelSpec> models;
  IntAxis layers;                  ///< depth variants (WithDepth); empty: each model as given
  std::vector<Roof> roofs;
  std::vector<WeightSetting> weights;
  DType act = DTypeByName("fp16");
  std::vector<DType> kv;
  DType state = DTypeByName("fp32");  ///< recurrent-state storage (§11.5)
  std::pair<int, int> sparsity{0, 0};   ///< N:M weight sparsity (§12.2)
  std::vector<Fusion> fusion;
  MlaForm mla = MlaForm::kAbsorbed;
  IntAxis batch;
  IntAxis seq_len;
  bool prefill = true;
  bool decode = true;
  bool operators = false;          ///< also produce every operator (per-point path, slower)
};

/// What stays fixed over a run of rows: the model variant, device and storage types.
struct SweepSetting {
  uint64_t id = 0;                 ///< distinct for every setting of one run
  const ModelSpec* model = nullptr;
  const Roof* roof = nullptr;
  Scenario scenario;               ///< seq_len and batch vary per row
  ScenarioPeak peak;
};

/// One point and phase of the grid, with the same totals `analyze` gives for it.
struct SweepRow {
  const SweepSetting* setting = nullptr;
  int64_t batch = 0;
  int64_t seq_len = 0;
  Phase phase = Phase::kDecode;
  PhaseTotals totals;
  Rip rip;
  MemoryFootprint memory;
  const PhaseResult* detail = nullptr;  ///< the operators, with SweepSpec::operators
};

/// Receives rows in the grid's order: model, layers, device, weights, kv, fusion, batch, seq_len,
/// phase (the last varies fastest).
class SweepSink {
 public:
  virtual ~SweepSink() = default;
  virtual void Row(const SweepRow& row) = 0;
};

/// Gathers rows back into one AnalysisResult per point (its phases' totals and Φ, operators with
/// SweepSpec::operators), for renderers that take analyses, such as the roofline chart.
class SweepAnalysesSink : public SweepSink {
 public:
  void Row(const SweepRow& row) override;
  const std::vector<AnalysisResult>& analyses() const { return analyses_; }

 private:
  std::vector<AnalysisResult> analyses_;
  uint64_t last_setting_ = 0;
};

/// Rows the grid produces (points × phases), as a double so that huge grids do not overflow.
double SweepRowCount(const SweepSpec& spec);

/// Evaluates the grid in blocks of points and streams the rows; memory does not grow with the
/// number of points. `progress(done, total)` is called after each block when set.
void RunSweep(const SweepSpec& spec, SweepSink& sink,
              const std::function<void(double, double)>& progress = {});

}  // namespace slmroof
