// Invariants of the roofline engine and Φ (docs/cost-model.md §7 and §9).
#include <cmath>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "slmroof/engine.hpp"
#include "slmroof/io/hardware_reader.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/presets.hpp"
#include "test_util.hpp"

namespace slmroof {
namespace {

void ExpectInvariants(const AnalysisResult& a, const std::string& what) {
  const double bw = a.roof.bandwidth_bytes_per_s;
  for (const PhaseResult& p : a.phases) {
    double flops = 0, bytes = 0, time = 0;
    for (const OperatorResult& r : p.operators) {
      const Operator& op = r.op;
      ASSERT_TRUE(std::isfinite(r.oi) && std::isfinite(r.time_s)) << what << " " << op.name;
      EXPECT_GT(op.bytes(), 0) << what << " " << op.name;
      EXPECT_GE(op.flops, 0) << what << " " << op.name;
      EXPECT_DOUBLE_EQ(r.oi, op.flops / op.bytes()) << what << " " << op.name;
      EXPECT_LE(r.attainable_flops_per_s, r.peak_flops_per_s * (1 + 1e-12)) << what << " " << op.name;
      EXPECT_LE(r.attainable_flops_per_s, r.oi * bw * (1 + 1e-12)) << what << " " << op.name;
      EXPECT_LE(r.peak_flops_per_s, a.peak_flops_per_s) << what << " " << op.name;
      EXPECT_GE(r.time_s, op.flops / r.peak_flops_per_s * (1 - 1e-12)) << what << " " << op.name;
      EXPECT_GE(r.time_s, op.bytes() / bw * (1 - 1e-12)) << what << " " << op.name;
      const double c = static_cast<double>(op.count);
      flops += c * op.flops;
      bytes += c * op.bytes();
      time += c * r.time_s;
    }
    const PhaseTotals& t = p.totals;
    EXPECT_NEAR(t.flops, flops, 1e-9 * flops) << what;
    EXPECT_NEAR(t.bytes, bytes, 1e-9 * bytes) << what;
    EXPECT_NEAR(t.time_s, time, 1e-9 * time) << what;
    EXPECT_NEAR(t.bytes, t.weight_bytes + t.act_bytes + t.kv_bytes, 1e-9 * bytes) << what;
    EXPECT_DOUBLE_EQ(t.oi, t.flops / t.bytes) << what;
    EXPECT_DOUBLE_EQ(t.tokens_per_s, t.tokens / t.time_s) << what;
    // The predicted aggregate never sits above the roof at its own OI.
    EXPECT_LE(p.rip.perf_flops_per_s, std::min(a.peak_flops_per_s, t.oi * bw) * (1 + 1e-9)) << what;
    EXPECT_GE(p.rip.phi, 0) << what;
    EXPECT_GE(p.rip.phi_log, 0) << what;
  }
}

TEST(Engine, InvariantsHoldForEveryPresetAndScenario) {
  const HardwareSpec hw = LoadHardware("jetson-orin-nano-super");
  std::vector<std::string> fallbacks;
  const Roof roof = ResolveRoof(hw, RoofKind::kTheoretical, "", &fallbacks);
  for (const PresetText& preset : EmbeddedModelPresets()) {
    const ModelSpec m = LoadModel(preset.name);
    for (int64_t seq : {1, 128, 4096}) {
      for (Fusion fusion : {Fusion::kNone, Fusion::kFlash}) {
        for (const char* w : {"fp16", "q4_k"}) {
          Scenario s;
          s.seq_len = seq;
          s.batch = seq == 128 ? 4 : 1;
          s.fusion = fusion;
          s.weights = ParseWeightSetting(w);
          ExpectInvariants(Analyze(m, roof, s, {}),
                           fmt::format("{} seq {} {} {}", preset.name, seq, FusionName(fusion), w));
        }
      }
    }
  }
}

TEST(Engine, OperatorPlacementOnAFlatRoof) {
  // 100 B/s and 1000 FLOP/s: ridge at 10 FLOP/B.
  const Roof roof = testing::FlatRoof(100, 1000);
  // Constant costs (no B or N terms); decode at batch 2 emits 2 tokens.
  const OperatorCost mem{"m", OpKind::kLinear, 3, {{50}}, {{10}}, {}, {}, Precision::kFp16, {}, {}};  // OI 5
  const OperatorCost comp{"c", OpKind::kLinear, 1, {{400}}, {{20}}, {}, {}, Precision::kFp16, {}, {}};  // OI 20
  const ScenarioPeak peak{1000, Precision::kFp16, 10};
  const PhaseResult r =
      EvaluatePhase({mem, comp}, roof, Phase::kDecode, 2, 1, 0, peak, std::nullopt);
  EXPECT_EQ(r.operators[0].bound, Bound::kMemory);
  EXPECT_DOUBLE_EQ(r.operators[0].attainable_flops_per_s, 500);
  EXPECT_DOUBLE_EQ(r.operators[0].time_s, 0.1);   // 10 B / 100 B/s
  EXPECT_EQ(r.operators[1].bound, Bound::kCompute);
  EXPECT_DOUBLE_EQ(r.operators[1].attainable_flops_per_s, 1000);
  EXPECT_DOUBLE_EQ(r.operators[1].time_s, 0.4);   // 400 FLOP / 1000 FLOP/s
  // Totals: 3·50 + 400 FLOP, 3·10 + 20 B, 3·0.1 + 0.4 s.
  EXPECT_DOUBLE_EQ(r.totals.flops, 550);
  EXPECT_DOUBLE_EQ(r.totals.bytes, 50);
  EXPECT_DOUBLE_EQ(r.totals.time_s, 0.7);
  EXPECT_DOUBLE_EQ(r.totals.tokens_per_s, 2 / 0.7);
  EXPECT_EQ(r.totals.bound, Bound::kCompute);  // 0.4 s of 0.7 s against the compute roof
}

TEST(Engine, PhiFollowsThePaperDefinition) {
  // Ridge (10 FLOP/B, 100 GFLOP/s). Memory-bound point (2, 20 GFLOP/s):
  // sqrt((10-2)^2 + (100-20)^2) in (FLOP/B, GFLOP/s) coordinates.
  Rip m = ComputeRip(2, 20e9, 10, 100e9);
  EXPECT_EQ(m.regime, Bound::kMemory);
  EXPECT_DOUBLE_EQ(m.phi, std::sqrt(64.0 + 6400.0));
  EXPECT_DOUBLE_EQ(m.phi_log, std::hypot(std::log10(5.0), std::log10(5.0)));
  // Compute-bound point: vertical distance only.
  Rip c = ComputeRip(40, 60e9, 10, 100e9);
  EXPECT_EQ(c.regime, Bound::kCompute);
  EXPECT_DOUBLE_EQ(c.phi, 40);
  EXPECT_DOUBLE_EQ(c.phi_log, std::log10(100.0 / 60.0));
  // On the ridge itself there is no potential left.
  EXPECT_DOUBLE_EQ(ComputeRip(10, 100e9, 10, 100e9).phi, 0);
}

// Decode only, context 8: the tiny model's scenario for the Φ tests.
Scenario TinyDecode() {
  Scenario s;
  s.seq_len = 8;
  s.prefill = false;
  return s;
}

TEST(Engine, MeasuredThroughputSetsTheOperatingPoint) {
  const ModelSpec m = LoadModel(testing::DataPath("tiny.json"));
  const Scenario s = TinyDecode();
  const Roof roof = testing::FlatRoof(1e9, 1e12);
  const AnalysisResult a = Analyze(m, roof, s, MeasuredTps{std::nullopt, 100.0});
  const PhaseResult& p = a.phases.front();
  EXPECT_TRUE(p.rip.measured);
  // One token per step: performance = FLOPs per step × 100 steps/s.
  EXPECT_DOUBLE_EQ(p.rip.perf_flops_per_s, p.totals.flops * 100);
}

TEST(Engine, ComparisonFlagsOppositeSidesOfTheRidge) {
  const ModelSpec tiny = LoadModel(testing::DataPath("tiny.json"));
  Scenario s = TinyDecode();
  // A batch of 4096 pushes the decode OI of the same model past a ridge of 10 FLOP/B.
  const Roof roof = testing::FlatRoof(1e9, 1e10);
  AnalysisResult a = Analyze(tiny, roof, s, {});
  s.batch = 4096;
  AnalysisResult b = Analyze(tiny, roof, s, {});
  b.model.name = "tiny-batched";
  ASSERT_EQ(a.phases[0].rip.regime, Bound::kMemory);
  ASSERT_EQ(b.phases[0].rip.regime, Bound::kCompute);
  const auto cmp = CompareRip({a, b});
  ASSERT_EQ(cmp.size(), 1u);
  EXPECT_FALSE(cmp[0].comparable);
  EXPECT_DOUBLE_EQ(cmp[0].delta_phi, b.phases[0].rip.phi - a.phases[0].rip.phi);
  EXPECT_TRUE(CompareRip({a, a})[0].comparable);
}

TEST(Engine, MemoryFootprintAndFit) {
  const ModelSpec m = LoadModel(testing::DataPath("tiny.json"));
  Scenario s;
  s.seq_len = 8;
  Roof roof = testing::FlatRoof(1e9, 1e12);
  const AnalysisResult a = Analyze(m, roof, s, {});
  EXPECT_DOUBLE_EQ(a.memory.weights_bytes, 202048 * 2.0);
  EXPECT_DOUBLE_EQ(a.memory.kv_cache_bytes, 2048);
  // The largest activation traffic is prefill's act_mul: read 2·8·128·2, write 8·128·2.
  EXPECT_DOUBLE_EQ(a.memory.activation_bytes, 6144);
  EXPECT_EQ(a.memory.fits, true);
  roof.capacity_bytes = 1000;
  EXPECT_EQ(Analyze(m, roof, s, {}).memory.fits, false);
}

}  // namespace
}  // namespace slmroof
