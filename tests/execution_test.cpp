// How a runtime executes the operators (docs/cost-model.md §1.1 passes, §7.5): the math of
// quantized products, micro-batched prefill, achieved fractions of the ceilings, fixed overhead.
// The tiny model of tests/data/tiny.json: D 64, 2 layers, H 4, Hkv 2, dh 16, FFN 128, V 1000.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "slmroof/engine.hpp"
#include "slmroof/graph.hpp"
#include "slmroof/io/model_reader.hpp"
#include "test_util.hpp"

namespace slmroof {
namespace {

using testing::DataPath;
using testing::FindOp;

// A CPU with SDOT: 17.1 GB/s, fp32 153.6 G, fp16 307.2 G, int8 614.4 G (the Pi 5's figures).
Roof Cpu() {
  Roof roof;
  roof.device = "cpu";
  roof.unit = "cpu";
  roof.bandwidth_bytes_per_s = 17.1e9;
  roof.peak_flops_per_s = {{Precision::kFp32, 153.6e9},
                           {Precision::kFp16, 307.2e9},
                           {Precision::kInt8, 614.4e9}};
  return roof;
}

TEST(Execution, QuantizedMatmulRunsAtTheInt8DotCeiling) {
  const ModelSpec m = LoadModel(DataPath("tiny.json"));
  Scenario s;
  s.seq_len = 512;
  s.weights = ParseWeightSetting("pure:q4_0");
  s.act = DTypeByName("fp32");
  // Without a profile, q4_0 (int4 codes) against fp32 activations runs at fp32.
  EXPECT_EQ(FindOp(BuildOperators(m, s, Phase::kPrefill), "q_proj").math, Precision::kFp32);
  // llama.cpp's CPU backend quantizes activations to Q8 and multiplies with int8 dot products.
  s.exec.quantized_math = Precision::kInt8;
  s.exec.float_math_from_weights = true;
  Roof roof = Cpu();
  roof.exec = s.exec;  // Analyze takes the execution from the roof's runtime
  const AnalysisResult a = Analyze(m, roof, s, {});
  const OperatorResult* q = nullptr;
  for (const OperatorResult& r : a.phases[0].operators) {
    if (r.op.name == "q_proj") {
      q = &r;
    }
  }
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->op.math, Precision::kInt8);
  EXPECT_DOUBLE_EQ(q->peak_flops_per_s, 614.4e9);
  // 2·512·64·64 = 4194304 FLOP at 614.4 GOP/s = 6.827 us; bytes: weights 64·64·18/32 = 2304,
  // activations 512·(64+64)·4 = 262144: 264448 B at 17.1 GB/s = 15.46 us, so memory-bound.
  EXPECT_DOUBLE_EQ(q->op.flops, 4194304);
  EXPECT_DOUBLE_EQ(q->op.bytes(), 264448);
  EXPECT_DOUBLE_EQ(q->time_s, 264448 / 17.1e9);
  // fp16 weights with the same profile run at the fp16 ceiling, not at the activations' fp32.
  s.weights = ParseWeightSetting("fp16");
  EXPECT_EQ(FindOp(BuildOperators(m, s, Phase::kPrefill), "q_proj").math, Precision::kFp16);
}

TEST(Execution, MicroBatchedPrefillStreamsWeightsOncePerPass) {
  const ModelSpec m = LoadModel(DataPath("tiny.json"));
  Scenario s;
  s.seq_len = 8;
  s.exec.n_ubatch = 3;  // 8 tokens in passes of 3, 3, 2: three passes
  EXPECT_DOUBLE_EQ(Passes(Phase::kPrefill, 1, 8, 3), 3);
  EXPECT_DOUBLE_EQ(Passes(Phase::kPrefill, 2, 8, 3), 6);  // 16 tokens
  EXPECT_DOUBLE_EQ(Passes(Phase::kDecode, 4, 8, 3), 2);   // a step of 4 tokens
  EXPECT_DOUBLE_EQ(Passes(Phase::kPrefill, 1, 8, 0), 1);
  const auto ops = BuildOperators(m, s, Phase::kPrefill);
  // q_proj 64→64 at fp16: 8192 B of weights per pass, 3 passes.
  EXPECT_DOUBLE_EQ(FindOp(ops, "q_proj").weight_bytes, 3 * 8192.0);
  // RMSNorm scale 64·2 B per pass.
  EXPECT_DOUBLE_EQ(FindOp(ops, "attn_norm").weight_bytes, 3 * 128.0);
  // The LM head runs once, on the pass holding the last prompt token: 64·1000·2.
  EXPECT_DOUBLE_EQ(FindOp(ops, "lm_head").weight_bytes, 128000);
  // The embedding reads one row per token whatever the passes.
  EXPECT_DOUBLE_EQ(FindOp(ops, "embedding").weight_bytes, 8 * 64 * 2.0);
}

TEST(Execution, FixedOverheadPerPassAndLayer) {
  const ModelSpec m = LoadModel(DataPath("tiny.json"));
  const Roof roof = testing::FlatRoof(1e9, 1e12);
  Scenario base;
  base.seq_len = 8;
  Scenario s = base;
  s.exec.overhead_per_pass_s = 1e-3;
  s.exec.overhead_per_layer_s = 1e-4;
  Roof with_overhead = roof;
  with_overhead.exec = s.exec;
  const AnalysisResult a0 = Analyze(m, roof, base, {});
  const AnalysisResult a1 = Analyze(m, with_overhead, base, {});
  // One pass each phase: 1 ms + 2 layers · 0.1 ms = 1.2 ms more per phase.
  for (size_t p = 0; p < 2; ++p) {
    EXPECT_NEAR(a1.phases[p].totals.time_s - a0.phases[p].totals.time_s, 1.2e-3, 1e-15) << p;
    EXPECT_DOUBLE_EQ(a1.phases[p].totals.flops, a0.phases[p].totals.flops);
    EXPECT_DOUBLE_EQ(a1.phases[p].totals.bytes, a0.phases[p].totals.bytes);
  }
  // The operators outlive the reference FindOp returns into them.
  const std::vector<Operator> decode_ops = BuildOperators(m, s, Phase::kDecode);
  const Operator& o = FindOp(decode_ops, "overhead");
  EXPECT_DOUBLE_EQ(o.fixed_s, 1.2e-3);
  EXPECT_EQ(o.kind, OpKind::kOverhead);
  // Prefill in 3 passes pays it three times.
  s.exec.n_ubatch = 3;
  EXPECT_DOUBLE_EQ(FindOp(BuildOperators(m, s, Phase::kPrefill), "overhead").fixed_s, 3.6e-3);
}

// A runtime's fixed time counts toward neither bound: a phase of memory-bound operators stays
// memory-bound however large its overhead.
TEST(Execution, FixedTimeDoesNotDecideThePhaseBound) {
  const ModelSpec m = LoadModel(DataPath("tiny.json"));
  Scenario s;
  s.seq_len = 8;
  s.prefill = false;
  Roof roof = testing::FlatRoof(1e9, 1e15);  // every decode operator memory-bound
  roof.exec.overhead_per_pass_s = 1.0;       // far more than the operators' time
  const AnalysisResult a = Analyze(m, roof, s, {});
  EXPECT_EQ(a.phases[0].totals.bound, Bound::kMemory);
  EXPECT_GT(a.phases[0].totals.time_s, 1.0);
}

TEST(Execution, AchievedFractionsScaleTheTimesNotTheDevice) {
  const ModelSpec m = LoadModel(DataPath("tiny.json"));
  Scenario s;
  s.seq_len = 8;
  s.prefill = false;
  Roof roof = testing::FlatRoof(1e9, 1e15);  // every decode operator memory-bound
  const AnalysisResult full = Analyze(m, roof, s, {});
  roof.bandwidth_fraction = 0.5;
  const AnalysisResult half = Analyze(m, roof, s, {});
  EXPECT_DOUBLE_EQ(half.phases[0].totals.time_s, 2 * full.phases[0].totals.time_s);
  // Φ still measures against the device: the slower point has more potential left.
  EXPECT_GT(half.phases[0].rip.phi_log, full.phases[0].rip.phi_log);
  EXPECT_DOUBLE_EQ(half.ridge_oi, full.ridge_oi);
}

// §8 by hand on tiny.json: fp16 weights 202048·2 B; the cache for --ctx 100 padded to 128 tokens:
// 2 layers · 2·(2·16) elements · 2 B = 256 B per token, 32768 B; logits 1000·4 B; the prefill
// buffer is the largest operator's activations in one pass of 8 tokens (act_mul 3·8·128·2 B).
TEST(Execution, MemoryAsTheRuntimeAllocatesIt) {
  const ModelSpec m = LoadModel(DataPath("tiny.json"));
  Scenario s;
  s.seq_len = 16;
  s.ctx = 100;
  Roof roof = testing::FlatRoof(1e9, 1e12);
  roof.exec.kv_pad = 128;
  roof.exec.n_ubatch = 8;  // 16 prompt tokens in 2 passes
  roof.capacity_bytes = 1e6;
  roof.usable_bytes = 4.5e5;
  const AnalysisResult a = Analyze(m, roof, s, {});
  EXPECT_DOUBLE_EQ(a.memory.weights_bytes, 404096);
  EXPECT_DOUBLE_EQ(a.memory.kv_context, 128);
  EXPECT_DOUBLE_EQ(a.memory.kv_cache_bytes, 32768);
  EXPECT_DOUBLE_EQ(a.memory.output_bytes, 4000);
  EXPECT_DOUBLE_EQ(a.memory.activation_bytes, 3 * 8 * 128 * 2.0);
  // Decode's buffer: the LM head's activations, 64·2 in and 1000·4 of logits out (more than one
  // token's act_mul, 3·128·2).
  EXPECT_DOUBLE_EQ(a.memory.decode_buffer_bytes, 4128);
  EXPECT_DOUBLE_EQ(a.memory.total_bytes, 404096 + 32768 + 6144 + 4000.0);
  EXPECT_DOUBLE_EQ(a.memory.decode_bytes, 404096 + 32768 + 4128 + 4000.0);
  EXPECT_DOUBLE_EQ(a.memory.usable_bytes, 4.5e5);
  EXPECT_EQ(a.memory.fits, true);  // 447008 B peak of 450000 usable
  roof.usable_bytes = 4.4e5;
  EXPECT_EQ(Analyze(m, roof, s, {}).memory.fits, false);
  roof.usable_bytes = 0;  // not published: the capacity
  EXPECT_DOUBLE_EQ(Analyze(m, roof, s, {}).memory.usable_bytes, 1e6);
}

// Llama-2-7B Q4_0 at a 4096 context fits an 8 GB Raspberry Pi 5 under llama.cpp: 3.56 GiB of
// weights and 2 GiB of f16 cache.
TEST(Execution, Llama2Q4_0At4096FitsAPi5) {
  std::string out, err;
  ASSERT_EQ(testing::RunBinary("analyze llama-2-7b --hw raspberry-pi-5 --weights Q4_0 --seq 4096 "
                               "--format json",
                               &out, &err),
            0)
      << err;
  const nlohmann::json memory = nlohmann::json::parse(out)["memory"];
  // 3.56 GiB of Q4_0 weights (llama-bench's figure) and 32 layers · 2 · 4096 · 4096 tokens · 2 B.
  EXPECT_NEAR(memory["weights_bytes"].get<double>() / (3.56 * 1024 * 1024 * 1024), 1, 0.005);
  EXPECT_DOUBLE_EQ(memory["kv_cache_bytes"].get<double>(), 32.0 * 2 * 4096 * 4096 * 2);
  EXPECT_LE(memory["total_bytes"].get<double>(), 8.0 * 1024 * 1024 * 1024);
  EXPECT_EQ(memory["fits"], true) << memory.dump();
}

// llama.cpp issue #9112 (validation/memory-cases.md): Phi-3.5-mini Q8_0 with n_ctx 131072 on an
// M2 Ultra Mac Pro with 64 GB ran out of Metal memory (recommendedMaxWorkingSetSize 49152 MiB;
// the KV cache alone is 49152 MiB). slmroof must say it does not fit.
TEST(Execution, Phi35At131072DoesNotFitA64GbMac) {
  std::string out, err;
  ASSERT_EQ(testing::RunBinary("analyze phi-3.5-mini --hw apple-m2-ultra-60c --weights Q8_0 "
                               "--seq 512 --ctx 131072 --format json",
                               &out, &err),
            0)
      << err;
  const nlohmann::json memory = nlohmann::json::parse(out)["memory"];
  // 32 layers · 2 · 3072 · 131072 · 2 B = 48 GiB, the log's "KV self size = 49152.00 MiB".
  EXPECT_NEAR(memory["kv_cache_bytes"].get<double>() / (49152.0 * 1024 * 1024), 1, 1e-9);
  EXPECT_NEAR(memory["usable_bytes"].get<double>() / (49152.0 * 1024 * 1024), 1, 1e-9);
  EXPECT_EQ(memory["fits"], false);
}

TEST(Execution, MeasuredFiguresFarBelowTheoreticalAreFlagged) {
  HardwareSpec hw;
  hw.name = "x";
  hw.bandwidth_bytes_per_s = {17.1e9, 3.98e9, ""};
  ComputeUnit cpu;
  cpu.name = "cpu";
  cpu.peak_flops_per_s[Precision::kFp32] = {153.6e9, 78.56e9, ""};  // 2x below: fine
  cpu.peak_flops_per_s[Precision::kFp16] = {307.2e9, 1.48e9, ""};
  hw.units.push_back(cpu);
  const std::vector<std::string> s = SuspectMeasuredFigures(hw, "");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0], "bandwidth 3.98e+09 B/s is 4.3x below the theoretical 1.71e+10");
  EXPECT_EQ(s[1], "fp16 peak 1.48e+09 FLOP/s is 2.1e+02x below the theoretical 3.07e+11");
}

}  // namespace
}  // namespace slmroof
