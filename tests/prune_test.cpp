// Structured pruning (docs/cost-model.md §12): each override changes exactly the costs it should.
#include <gtest/gtest.h>

#include "slmroof/engine.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/graph.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/prune.hpp"
#include "test_util.hpp"

namespace slmroof {
namespace {

using testing::FindOp;

Scenario At(int64_t seq) {
  Scenario s;
  s.seq_len = seq;
  s.batch = 1;
  return s;
}

ModelSpec Pruned(const std::string& name, const std::string& spec) {
  return Prune(LoadModel(name), ParsePrune(spec, "--prune"));
}

TEST(Prune, FfnHalvesTheFfnAndNothingElse) {
  // Qwen2.5-0.5B: I 4864 → 2432.
  const ModelSpec base = LoadModel("qwen2.5-0.5b");
  const ModelSpec half = Pruned("qwen2.5-0.5b", "ffn=0.5");
  EXPECT_EQ(half.groups[0].layer.ffn.intermediate_size, 2432);
  const auto a = BuildOperators(base, At(512), Phase::kDecode);
  const auto b = BuildOperators(half, At(512), Phase::kDecode);
  for (const char* op : {"gate_proj", "up_proj", "down_proj", "act_mul"}) {
    EXPECT_DOUBLE_EQ(FindOp(b, op).flops, FindOp(a, op).flops / 2) << op;
  }
  for (const char* op : {"q_proj", "k_proj", "attn_score", "o_proj", "lm_head"}) {
    EXPECT_DOUBLE_EQ(FindOp(b, op).flops, FindOp(a, op).flops) << op;
    EXPECT_DOUBLE_EQ(FindOp(b, op).bytes(), FindOp(a, op).bytes()) << op;
  }
  // Three D×I matrices per layer lose half their elements.
  EXPECT_DOUBLE_EQ(CountParams(base).total() - CountParams(half).total(), 24 * 3 * 896.0 * 2432);
  EXPECT_NE(half.display_name.find("pruned ffn=0.5"), std::string::npos);
}

TEST(Prune, HeadsStayAMultipleOfTheKvHeads) {
  // 14 query heads over 2 KV heads: half is 7, rounded down to 6 to keep GQA groups whole.
  const ModelSpec m = Pruned("qwen2.5-0.5b", "heads=0.5");
  EXPECT_EQ(m.groups[0].layer.attention.num_heads, 6);
  EXPECT_EQ(m.groups[0].layer.attention.num_kv_heads, 2);
  const auto ops = BuildOperators(m, At(512), Phase::kDecode);
  EXPECT_DOUBLE_EQ(FindOp(ops, "q_proj").flops, 2 * 896.0 * 6 * 64 + 6 * 64);  // with its bias
  EXPECT_DOUBLE_EQ(FindOp(ops, "o_proj").flops, 2 * 6 * 64.0 * 896);
  // The cache is unchanged: the KV heads are.
  EXPECT_DOUBLE_EQ(KvCacheBytes(m, At(512)), KvCacheBytes(LoadModel("qwen2.5-0.5b"), At(512)));
}

TEST(Prune, KvHeadsDivideTheQueryHeadsAndMhaHeadsShrinkAsTriples) {
  // Llama-3.2-1B: 32 query heads over 8 KV heads. kv_heads=0.75 asks for 6, which does not divide
  // 32: 4 are kept and the query heads stay 32.
  const ModelSpec gqa = Pruned("llama-3.2-1b", "kv_heads=0.75");
  EXPECT_EQ(gqa.groups[0].layer.attention.num_heads, 32);
  EXPECT_EQ(gqa.groups[0].layer.attention.num_kv_heads, 4);
  // Both: 24 query heads over 6 KV heads.
  const ModelSpec both = Pruned("llama-3.2-1b", "heads=0.75,kv_heads=0.75");
  EXPECT_EQ(both.groups[0].layer.attention.num_heads, 24);
  EXPECT_EQ(both.groups[0].layer.attention.num_kv_heads, 6);
  // Pythia-160m is MHA (12 heads): heads=0.5 keeps 6 query, key and value heads.
  const ModelSpec mha = Pruned("pythia-160m", "heads=0.5");
  EXPECT_EQ(mha.groups[0].layer.attention.num_heads, 6);
  EXPECT_EQ(mha.groups[0].layer.attention.num_kv_heads, 6);
}

TEST(Prune, KvHeadsHalveTheCache) {
  const ModelSpec m = Pruned("qwen2.5-0.5b", "kv_heads=0.5");
  EXPECT_EQ(m.groups[0].layer.attention.num_kv_heads, 1);
  EXPECT_EQ(m.groups[0].layer.attention.num_heads, 14);
  EXPECT_DOUBLE_EQ(KvCacheBytes(m, At(4096)), KvCacheBytes(LoadModel("qwen2.5-0.5b"), At(4096)) / 2);
}

TEST(Prune, DroppedLayersLeaveTheRest) {
  const ModelSpec base = LoadModel("qwen2.5-0.5b");
  const ModelSpec m = Pruned("qwen2.5-0.5b", "layers=drop:10-13");
  EXPECT_EQ(m.NumLayers(), 20);
  EXPECT_DOUBLE_EQ(KvCacheBytes(m, At(1024)), KvCacheBytes(base, At(1024)) * 20 / 24);
  const double per_layer = LayerParams(base.groups[0].layer, base.hidden_size, false);
  EXPECT_DOUBLE_EQ(CountParams(base).total() - CountParams(m).total(), 4 * per_layer);
  // Two ranges; a single index.
  EXPECT_EQ(Pruned("qwen2.5-0.5b", "layers=drop:0-1:23").NumLayers(), 21);
}

TEST(Prune, FewerExpertsStreamFewerInPrefill) {
  const ModelSpec base = LoadModel("qwen3-30b-a3b");
  const ModelSpec m = Pruned("qwen3-30b-a3b", "experts=32");
  EXPECT_EQ(m.groups[0].layer.ffn.num_experts, 32);
  // Decode at batch 1 still streams top-8; a 512-token prompt now streams (nearly) 32, not 128.
  EXPECT_DOUBLE_EQ(FindOp(BuildOperators(m, At(64), Phase::kDecode), "experts.up_proj").weight_bytes,
                   FindOp(BuildOperators(base, At(64), Phase::kDecode), "experts.up_proj").weight_bytes);
  const double expert = 2048.0 * 768 * 2;
  EXPECT_NEAR(FindOp(BuildOperators(m, At(512), Phase::kPrefill), "experts.up_proj").weight_bytes / expert,
              32, 1e-9);
  // Active parameters lose only the router's rows of the experts removed: 48 layers × D × 96.
  EXPECT_DOUBLE_EQ(CountParams(base).active() - CountParams(m).active(), 48 * 2048.0 * 96);
  EXPECT_LT(CountParams(m).total(), CountParams(base).total());
}

TEST(Prune, BadSpecsAreClearErrors) {
  for (const char* bad : {"", "ffn=2", "ffn=0", "ffn=x", "heads", "depth=0.5", "experts=0",
                          "experts=1.5", "layers=keep:1-2", "layers=drop:5-2", "layers=drop:a"}) {
    EXPECT_THROW(ParsePrune(bad, "--prune"), UsageError) << bad;
  }
  EXPECT_THROW(Pruned("qwen2.5-0.5b", "layers=drop:20-30"), InputError);
  EXPECT_THROW(Pruned("qwen2.5-0.5b", "layers=drop:0-23"), InputError);
}

TEST(Prune, ComparePrunedAgainstQuantizedEndToEnd) {
  std::string out, err;
  ASSERT_EQ(testing::RunBinary("compare qwen2.5-1.5b@prune=ffn=0.5+layers=drop:20-27 "
                               "qwen2.5-1.5b@weights=Q4_K_M --hw rpi5 --seq 1024 --format json",
                               &out, &err),
            0)
      << err;
  EXPECT_NE(out.find("pruned ffn=0.5+layers=drop:20-27"), std::string::npos);
  EXPECT_EQ(testing::RunBinary("analyze qwen2.5-1.5b --prune ffn=3", &out, &err), 2);
  EXPECT_NE(err.find("--prune: ffn='3' must be a fraction kept"), std::string::npos) << err;
  EXPECT_EQ(testing::RunBinary("sweep qwen2.5-0.5b --prune kv_heads=0.5 --seq 128,256 --format csv",
                               &out, &err),
            0)
      << err;
}

}  // namespace
}  // namespace slmroof
