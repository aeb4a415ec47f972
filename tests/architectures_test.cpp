// Hand-computed costs of mixture-of-experts layers and sliding-window attention on tiny shapes
// (docs/cost-model.md §1.2, §4.11, §6.3), the distinct-experts formula against a simulation, and
// the windows and experts of real presets.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include <fmt/format.h>

#include "slmroof/engine.hpp"
#include "slmroof/graph.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/presets.hpp"
#include "test_util.hpp"

namespace slmroof {
namespace {

using testing::FindOp;

// V 1000, D 64, H 4, Hkv 2, dh 16, no RoPE, RMSNorm, fp16 throughout. `attention` and `ffn` are
// the JSON of each layer's blocks.
ModelSpec Tiny(const std::vector<std::pair<std::string, std::string>>& layers) {
  std::string list;
  for (const auto& [attention, ffn] : layers) {
    list += fmt::format("{}{{\"attention\": {}, \"ffn\": {}}}", list.empty() ? "" : ",", attention, ffn);
  }
  return ParseModelJson(fmt::format(R"({{"slmroof_model": 1, "vocab_size": 1000, "hidden_size": 64,
                                        "norm": "rmsnorm", "layers": [{}]}})",
                                    list),
                        "tiny", "tiny", "");
}

constexpr const char* kAttention =
    R"({"type": "standard", "num_heads": 4, "num_kv_heads": 2, "head_dim": 16, "rope_dim": 0})";
constexpr const char* kWindowed =
    R"({"type": "standard", "num_heads": 4, "num_kv_heads": 2, "head_dim": 16, "rope_dim": 0,
        "sliding_window": 4})";
// E 4 routed experts of width 32, k 2, one shared expert of width 32.
constexpr const char* kMoe =
    R"({"type": "gated", "activation": "silu", "num_experts": 4, "experts_per_token": 2,
        "expert_intermediate_size": 32, "num_shared_experts": 1})";
constexpr const char* kDense = R"({"type": "gated", "activation": "silu", "intermediate_size": 128})";

Scenario At(int64_t seq, Fusion fusion = Fusion::kNone) {
  Scenario s;
  s.seq_len = seq;
  s.batch = 1;
  s.fusion = fusion;
  return s;
}

void ExpectCost(const std::vector<Operator>& ops, const std::string& name, double flops,
                double weight_bytes, double bytes) {
  const Operator& op = FindOp(ops, name);
  EXPECT_DOUBLE_EQ(op.flops, flops) << name;
  EXPECT_DOUBLE_EQ(op.weight_bytes, weight_bytes) << name;
  EXPECT_DOUBLE_EQ(op.bytes(), bytes) << name;
}

TEST(CostForm, WindowScoresAreTheCausalSumThroughTheWindow) {
  for (double w : {1.0, 3.0, 7.0, 64.0}) {
    double sum = 0;
    for (double n = 1; n <= 100; ++n) {
      sum += std::min(n, w);
      EXPECT_EQ(WindowScores(n, w), sum) << "n " << n << " w " << w;
      EXPECT_EQ(WindowKeys(n, w), std::min(n, w));
    }
  }
}

TEST(CostForm, ExpertPassesSplitTokensIntoMicroBatches) {
  // One pass: 1 − (1 − h)^t.
  EXPECT_DOUBLE_EQ(ExpertPasses(1, 0, 0.25), 0.25);
  EXPECT_DOUBLE_EQ(ExpertPasses(3, 0, 0.5), 1 - 0.125);
  // 10 tokens in passes of 4: two full passes and one of 2.
  EXPECT_DOUBLE_EQ(ExpertPasses(10, 4, 0.5), 2 * (1 - 1.0 / 16) + (1 - 0.25));
  // Every expert routed to (k = E).
  EXPECT_EQ(ExpertPasses(7, 0, 1), 1);
}

TEST(Moe, DistinctExpertsMatchMonteCarlo) {
  // Uniform top-k routing: each token picks k distinct experts out of E at random.
  std::mt19937_64 rng(20261202);
  for (const auto& [e, k] : std::vector<std::pair<int, int>>{{16, 2}, {64, 6}, {128, 8}}) {
    for (int t : {1, 4, 16, 64, 512}) {
      constexpr int kTrials = 4000;
      double total = 0;
      std::vector<int> experts(static_cast<size_t>(e));
      for (int trial = 0; trial < kTrials; ++trial) {
        std::set<int> touched;
        for (int token = 0; token < t; ++token) {
          std::iota(experts.begin(), experts.end(), 0);
          // A partial Fisher-Yates shuffle draws k distinct experts.
          for (int j = 0; j < k; ++j) {
            std::uniform_int_distribution<int> pick(j, e - 1);
            std::swap(experts[static_cast<size_t>(j)], experts[static_cast<size_t>(pick(rng))]);
            touched.insert(experts[static_cast<size_t>(j)]);
          }
        }
        total += static_cast<double>(touched.size());
      }
      const double simulated = total / kTrials;
      const double formula = e * ExpertPasses(t, 0, static_cast<double>(k) / e);
      EXPECT_NEAR(simulated / formula, 1.0, 0.01) << "E " << e << " k " << k << " t " << t;
    }
  }
}

TEST(Moe, TinyDecodeByHand) {
  const ModelSpec m = Tiny({{kAttention, kMoe}});
  const auto ops = BuildOperators(m, At(8), Phase::kDecode);
  // router 64→4: 2·64·4 FLOP; weights 64·4·2; in/out (64 + 4)·2.
  ExpectCost(ops, "router", 512, 512, 648);
  // route: 6 FLOP per score; scores 4·2 in, 2 weights (2 B) and 2 ids (4 B) out.
  ExpectCost(ops, "route", 24, 0, 20);
  // The shared expert is a dense gated FFN of width 32: 2·64·32, weights 64·32·2, (64+32)·2.
  ExpectCost(ops, "shared.gate_proj", 4096, 4096, 4288);
  // Routed: k = 2 rows of 2·64·32; at B = 1 exactly k experts of 64·32·2 bytes are streamed
  // (E·(1 − (1 − k/E)^1) = k); in/out k·(64+32)·2.
  ExpectCost(ops, "experts.gate_proj", 8192, 8192, 8576);
  ExpectCost(ops, "experts.up_proj", 8192, 8192, 8576);
  // SiLU 4 + gate 1 per element of k·32; read 2, write 1 row of k·32 at 2 B.
  ExpectCost(ops, "experts.act_mul", 320, 0, 384);
  ExpectCost(ops, "experts.down_proj", 8192, 8192, 8576);
  // combine: 2 FLOP per element for each of k rows, 1 for the shared row; read 3 rows, write 1.
  ExpectCost(ops, "moe_combine", 320, 0, 512);
  // The whole layer's parameters count every expert; active ones k + shared.
  const ParamCount p = CountParams(m);
  const double attention = 64.0 * 64 + 2 * 64 * 32 + 64 * 64;
  const double expert = 3.0 * 64 * 32;
  EXPECT_DOUBLE_EQ(p.layers, attention + 64 * 4 + expert * (1 + 4) + 2 * 64);
  EXPECT_DOUBLE_EQ(p.active_layers, attention + 64 * 4 + expert * (1 + 2) + 2 * 64);
}

TEST(Moe, PrefillStreamsNearlyEveryExpert) {
  const ModelSpec m = Tiny({{kAttention, kMoe}});
  // 512 tokens in one pass: E·(1 − 0.5^512) experts, all four to double precision.
  const auto ops = BuildOperators(m, At(512), Phase::kPrefill);
  EXPECT_DOUBLE_EQ(FindOp(ops, "experts.down_proj").weight_bytes, 4 * 64 * 32 * 2.0);
  // In micro-batches of 100 tokens: five passes of 100 and one of 12, each streaming
  // E·(1 − 0.5^t) experts.
  Scenario s = At(512);
  s.exec.n_ubatch = 100;
  const auto passes = BuildOperators(m, s, Phase::kPrefill);
  EXPECT_DOUBLE_EQ(FindOp(passes, "experts.down_proj").weight_bytes,
                   4 * 64 * 32 * 2.0 * (5 * (1 - std::pow(0.5, 100)) + (1 - std::pow(0.5, 12))));
  // A batch of 3 decode steps draws 3·k experts: E·(1 − 0.5^3) = 3.5 of them.
  Scenario b = At(8);
  b.batch = 3;
  EXPECT_DOUBLE_EQ(FindOp(BuildOperators(m, b, Phase::kDecode), "experts.up_proj").weight_bytes,
                   3.5 * 64 * 32 * 2);
}

TEST(Windows, TinyDecodeAndPrefillByHand) {
  const ModelSpec m = Tiny({{kWindowed, kDense}});
  // Decode at N = 8 through a window of 4: 4 heads × 4 keys = 16 scores of 2·16 FLOP; Q 64·2,
  // scores 16·2, K 4 rows × 2 heads × 16 × 2 B.
  const auto decode = BuildOperators(m, At(8), Phase::kDecode);
  ExpectCost(decode, "attn_score", 512, 0, 416);
  ExpectCost(decode, "softmax", 80, 0, 64);
  // Below the window nothing changes: N = 3 sees 3 keys.
  EXPECT_DOUBLE_EQ(FindOp(BuildOperators(m, At(3), Phase::kDecode), "attn_score").flops,
                   2.0 * 4 * 3 * 16);
  // Flash prefill of 8 tokens: S_4(8) = 4·5/2 + 4·4 = 26 scores per head, 104 in all, each
  // 2·16 + 5 + 2·16 FLOP; Q and O 8·64·2 each; every cached row read once, 8 × 2 × 32 × 2 B.
  const auto prefill = BuildOperators(m, At(8, Fusion::kFlash), Phase::kPrefill);
  ExpectCost(prefill, "attention", 104 * 69.0, 0, 2048 + 1024);
  // Unfused prefill computes the full square and masks it: 8·8·4 scores.
  EXPECT_DOUBLE_EQ(FindOp(BuildOperators(m, At(8), Phase::kPrefill), "attn_score").flops,
                   2.0 * 256 * 16);
}

TEST(Windows, KvCacheHoldsTheWindowOfLocalLayersOnly) {
  // Layer 0 local (W = 4), layer 1 global; 64 KV elements per token per layer at 2 B.
  const ModelSpec m = Tiny({{kWindowed, kDense}, {kAttention, kDense}});
  Scenario s = At(8);
  EXPECT_DOUBLE_EQ(KvCacheBytes(m, s), 8 * 64 * 2.0 + 4 * 64 * 2.0);
  s.ctx = 2;
  s.seq_len = 2;
  EXPECT_DOUBLE_EQ(KvCacheBytes(m, s), 2 * 64 * 2.0 + 2 * 64 * 2.0);
  // llama.cpp keeps pad(W + n_ubatch) cells for a windowed layer: pad(4 + 512, 256) = 768.
  s.ctx = 4096;
  s.exec.n_ubatch = 512;
  s.exec.kv_pad = 256;
  s.exec.swa_cache_adds_ubatch = true;
  EXPECT_DOUBLE_EQ(KvCacheBytes(m, s), 4096 * 64 * 2.0 + 768 * 64 * 2.0);
}

TEST(Windows, Gemma2HoldsHalfTheContextInItsLocalLayers) {
  const ModelSpec m = LoadModel("gemma-2-2b");
  const KvLayout layout = KvLayoutOf(m, MlaForm::kAbsorbed);
  // 26 layers of 4 KV heads × (256 + 256): 13 global, 13 local with a window of 4096.
  const double e = 4 * 512;
  EXPECT_DOUBLE_EQ(layout.full, 13 * e);
  ASSERT_EQ(layout.windowed.size(), 1u);
  EXPECT_DOUBLE_EQ(layout.windowed[0].first, 4096);
  EXPECT_DOUBLE_EQ(layout.windowed[0].second, 13 * e);
  Scenario s = At(8192);
  EXPECT_DOUBLE_EQ(KvCacheBytes(m, s), (13 * 8192.0 + 13 * 4096.0) * e * 2);
  // Even layers are local, odd layers global (transformers' Gemma2 layer_types).
  EXPECT_EQ(m.groups.front().layer.attention.sliding_window, 4096);
  EXPECT_EQ(m.groups[1].layer.attention.sliding_window, 0);
  EXPECT_TRUE(m.warnings.empty());
}

TEST(Windows, GptOssAlternatesWindowedAndFullLayers) {
  const ModelSpec m = LoadModel("gpt-oss-20b");
  // 24 layers alternating sliding (W = 128) and full attention, starting with sliding.
  ASSERT_EQ(m.groups.size(), 24u);
  for (size_t i = 0; i < m.groups.size(); ++i) {
    EXPECT_EQ(m.groups[i].layer.attention.sliding_window, i % 2 == 0 ? 128 : 0) << i;
  }
  // 8 KV heads × (64 + 64) per layer: at 8192 tokens the 12 full layers hold 8192 tokens and
  // the 12 windowed ones 128.
  const double e = 8 * 128;
  Scenario s = At(8192);
  EXPECT_DOUBLE_EQ(KvCacheBytes(m, s), (12 * 8192.0 + 12 * 128.0) * e * 2);
  // A decode step reads 128 cached rows in a windowed layer, 8192 in a full one.
  const auto ops = BuildOperators(m, At(8192, Fusion::kFlash), Phase::kDecode);
  EXPECT_DOUBLE_EQ(FindOp(ops, "L0.attention").kv_bytes, 128 * e * 2);
  EXPECT_DOUBLE_EQ(FindOp(ops, "L1.attention").kv_bytes, 8192 * e * 2);
  // Every layer is MoE: 32 experts, 4 per token, with biased router and experts.
  const FfnSpec& f = m.groups[0].layer.ffn;
  EXPECT_EQ(f.num_experts, 32);
  EXPECT_EQ(f.experts_per_token, 4);
  EXPECT_TRUE(f.router_bias && f.expert_bias);
  EXPECT_TRUE(m.warnings.empty());
}

TEST(Moe, QwenMoeDecodeStreamsTopKOfEveryLayerAndPrefillAllExperts) {
  const ModelSpec m = LoadModel("qwen3-30b-a3b");
  const FfnSpec& f = m.groups[0].layer.ffn;
  ASSERT_EQ(f.num_experts, 128);
  ASSERT_EQ(f.experts_per_token, 8);
  const double expert = 2048.0 * 768 * 2;  // one expert's gate matrix at fp16
  EXPECT_DOUBLE_EQ(FindOp(BuildOperators(m, At(1024), Phase::kDecode), "experts.gate_proj").weight_bytes,
                   8 * expert);
  // 512 prompt tokens touch 128·(1 − (1 − 8/128)^512) = all but 5e-15 of the experts.
  const double touched = FindOp(BuildOperators(m, At(512), Phase::kPrefill), "experts.gate_proj").weight_bytes / expert;
  EXPECT_NEAR(touched, 128, 1e-9);
  EXPECT_EQ(FindOp(BuildOperators(m, At(512), Phase::kPrefill), "experts.gate_proj").count, 48);
}

}  // namespace
}  // namespace slmroof
