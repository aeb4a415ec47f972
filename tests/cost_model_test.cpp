// Hand-computed costs of the tiny model of tests/data/tiny.json (docs/cost-model.md §10):
// V 1000, D 64, 2 layers, H 4, Hkv 2, dh 16, rope 16, gated SiLU FFN I 128, untied, RMSNorm,
// fp16 everywhere (2 bytes), B 1, N 8.
#include <gtest/gtest.h>

#include "slmroof/engine.hpp"
#include "slmroof/graph.hpp"
#include "slmroof/io/model_reader.hpp"
#include "test_util.hpp"

namespace slmroof {
namespace {

using testing::DataPath;
using testing::FindOp;

Scenario Tiny() {
  Scenario s;
  s.seq_len = 8;
  s.batch = 1;
  return s;
}

void ExpectCost(const std::vector<Operator>& ops, const std::string& name, double flops, double bytes,
                int64_t count) {
  const Operator& op = FindOp(ops, name);
  EXPECT_DOUBLE_EQ(op.flops, flops) << name;
  EXPECT_DOUBLE_EQ(op.bytes(), bytes) << name;
  EXPECT_EQ(op.count, count) << name;
}

TEST(CostModel, TinyDecodeByHand) {
  const ModelSpec m = LoadModel(DataPath("tiny.json"));
  const auto ops = BuildOperators(m, Tiny(), Phase::kDecode);
  // embedding: read one row (64·2) and write it (64·2).
  ExpectCost(ops, "embedding", 0, 256, 1);
  // RMSNorm: 4·64 FLOP; γ 64·2 + read/write 2·64·2.
  ExpectCost(ops, "attn_norm", 256, 384, 2);
  // q_proj 64→64: 2·64·64 FLOP; weights 64·64·2 + in/out (64+64)·2.
  ExpectCost(ops, "q_proj", 8192, 8448, 2);
  // k_proj 64→32: 2·64·32; weights 64·32·2 + (64+32)·2.
  ExpectCost(ops, "k_proj", 4096, 4288, 2);
  ExpectCost(ops, "v_proj", 4096, 4288, 2);
  // rope: (4+2)·16 = 96 rotated elements, 3 FLOP each; read+write 96·2·2, cos/sin 16·4.
  ExpectCost(ops, "rope", 288, 448, 2);
  // kv_write: 2·(16+16) = 64 elements read at 2 B and written at 2 B.
  ExpectCost(ops, "kv_write", 0, 256, 2);
  // attn_score: 4 heads × 8 keys = 32 scores, 2·16 FLOP each; q 64·2 + scores 32·2 + K 8·2·16·2.
  ExpectCost(ops, "attn_score", 1024, 704, 2);
  // softmax: 5 FLOP per score; read+write 32·2·2.
  ExpectCost(ops, "softmax", 160, 128, 2);
  // attn_value: 2·32·16; probabilities 32·2 + output 64·2 + V 8·2·16·2.
  ExpectCost(ops, "attn_value", 1024, 704, 2);
  ExpectCost(ops, "o_proj", 8192, 8448, 2);
  // residual: 64 adds; read two rows, write one: 3·64·2. Two per layer.
  ExpectCost(ops, "residual_add", 64, 384, 4);
  // gate_proj 64→128: 2·64·128; weights 64·128·2 + (64+128)·2.
  ExpectCost(ops, "gate_proj", 16384, 16768, 2);
  ExpectCost(ops, "up_proj", 16384, 16768, 2);
  // act_mul: SiLU 4 + gate multiply 1 per element; read 2·128·2, write 128·2.
  ExpectCost(ops, "act_mul", 640, 768, 2);
  ExpectCost(ops, "down_proj", 16384, 16768, 2);
  ExpectCost(ops, "final_norm", 256, 384, 1);
  // lm_head: 2·64·1000; weights 64·1000·2 + hidden 64·2 + fp32 logits 1000·4.
  ExpectCost(ops, "lm_head", 128000, 132128, 1);
  EXPECT_EQ(ops.size(), 19u);
}

TEST(CostModel, TinyPrefillByHand) {
  const ModelSpec m = LoadModel(DataPath("tiny.json"));
  const auto ops = BuildOperators(m, Tiny(), Phase::kPrefill);
  ExpectCost(ops, "embedding", 0, 2048, 1);            // 8 rows read and written
  ExpectCost(ops, "q_proj", 65536, 10240, 2);          // 2·8·64·64; 8192 + 8·128·2
  ExpectCost(ops, "k_proj", 32768, 5632, 2);           // 2·8·64·32; 4096 + 8·96·2
  ExpectCost(ops, "kv_write", 0, 2048, 2);             // 8·64·(2+2)
  // Unfused: the full 8×8 square per head, 256 scores: 2·256·16 FLOP;
  // Q 8·4·16·2 + scores 256·2 + K 8·2·16·2.
  ExpectCost(ops, "attn_score", 8192, 2048, 2);
  ExpectCost(ops, "softmax", 1280, 1024, 2);           // 5·256; 2·256·2
  ExpectCost(ops, "attn_value", 8192, 2048, 2);        // probs 512 + out 1024 + V 512
  ExpectCost(ops, "gate_proj", 131072, 19456, 2);      // 2·8·64·128; 16384 + 8·192·2
  ExpectCost(ops, "act_mul", 5120, 6144, 2);           // 8·128·5; 3·8·128·2
  ExpectCost(ops, "lm_head", 128000, 132128, 1);       // last position only
}

TEST(CostModel, FlashPrefillSkipsMaskedScores) {
  const ModelSpec m = LoadModel(DataPath("tiny.json"));
  Scenario s = Tiny();
  s.fusion = Fusion::kFlash;
  const auto ops = BuildOperators(m, s, Phase::kPrefill);
  // 4 heads × 8·9/2 = 144 causal scores: 2·144·16 + 5·144 + 2·144·16 FLOP;
  // Q 1024 + O 1024 + K 512 + V 512 bytes, no score traffic.
  ExpectCost(ops, "attention", 9936, 3072, 2);
  for (const Operator& op : ops) {
    EXPECT_NE(op.kind, OpKind::kSoftmax);
    EXPECT_NE(op.kind, OpKind::kAttnScore);
  }
}

TEST(CostModel, TinyParamsAndKvCache) {
  const ModelSpec m = LoadModel(DataPath("tiny.json"));
  // embedding 64000 + lm_head 64000 + 2 × (attention 12288 + FFN 24576 + norms 128) + final 64.
  EXPECT_DOUBLE_EQ(CountParams(m).total(), 202048);
  // 8 tokens × 2 layers × 2·2·16 elements × 2 bytes.
  EXPECT_DOUBLE_EQ(KvCacheBytes(m, Tiny()), 2048);
}

TEST(CostModel, AttentionVariantsScaleKvTraffic) {
  ModelSpec m = LoadModel(DataPath("tiny.json"));
  const Scenario s = Tiny();
  // MHA: 4 KV heads; MQA: 1. The K read of a decode step is B·N·Hkv·dh·2 bytes.
  for (int64_t kv_heads : {4, 2, 1}) {
    m.groups[0].layer.attention.num_kv_heads = kv_heads;
    const auto ops = BuildOperators(m, s, Phase::kDecode);
    const Operator& score = FindOp(ops, "attn_score");
    EXPECT_DOUBLE_EQ(score.kv_bytes, 8.0 * static_cast<double>(kv_heads) * 16 * 2) << kv_heads;
    EXPECT_DOUBLE_EQ(score.flops, 1024) << kv_heads;  // query heads do the work either way
    EXPECT_DOUBLE_EQ(FindOp(ops, "k_proj").flops, 2.0 * 64 * 16 * static_cast<double>(kv_heads));
  }
}

TEST(CostModel, BatchScalesActivationsNotWeights) {
  const ModelSpec m = LoadModel(DataPath("tiny.json"));
  Scenario s = Tiny();
  s.batch = 3;
  const auto ops = BuildOperators(m, s, Phase::kDecode);
  const Operator& q = FindOp(ops, "q_proj");
  EXPECT_DOUBLE_EQ(q.flops, 3 * 8192.0);
  EXPECT_DOUBLE_EQ(q.weight_bytes, 8192);
  EXPECT_DOUBLE_EQ(q.act_bytes, 3 * 256.0);
  EXPECT_DOUBLE_EQ(FindOp(ops, "attn_score").kv_bytes, 3 * 512.0);
}

TEST(CostModel, QuantizedTypesChangeBytesAndPrecision) {
  const ModelSpec m = LoadModel(DataPath("tiny.json"));
  Scenario s = Tiny();
  s.weights = ParseWeightSetting("int4");
  s.kv = DTypeByName("q8_0");
  const auto ops = BuildOperators(m, s, Phase::kDecode);
  const Operator& q = FindOp(ops, "q_proj");
  // int4 with an fp16 scale per 128 elements: 4.125 bits.
  EXPECT_DOUBLE_EQ(q.weight_bytes, 64 * 64 * 4.125 / 8);
  EXPECT_EQ(q.math, Precision::kFp16);  // weight-only quantization computes in fp16
  // q8_0: 8.5 bits per element.
  EXPECT_DOUBLE_EQ(FindOp(ops, "attn_score").kv_bytes, 8 * 2 * 16 * 8.5 / 8);
  s.act = DTypeByName("int8");
  EXPECT_EQ(FindOp(BuildOperators(m, s, Phase::kDecode), "q_proj").math, Precision::kInt8);
}

TEST(CostModel, MlaTinyShapes) {
  const ModelSpec m = LoadModel(DataPath("tiny-mla.json"));
  Scenario s = Tiny();
  const auto absorbed = BuildOperators(m, s, Phase::kDecode);
  // q_absorb: per head 16 → 32: 2·4·16·32 FLOP; weights 4·16·32·2 B.
  const Operator& qa = FindOp(absorbed, "q_absorb");
  EXPECT_DOUBLE_EQ(qa.flops, 4096);
  EXPECT_DOUBLE_EQ(qa.weight_bytes, 4096);
  // Scores over the 32+8 latent: 2·4·8·40; K read 8·40·2; value re-reads the 32-wide latent.
  EXPECT_DOUBLE_EQ(FindOp(absorbed, "attn_score").flops, 2560);
  EXPECT_DOUBLE_EQ(FindOp(absorbed, "attn_score").kv_bytes, 640);
  EXPECT_DOUBLE_EQ(FindOp(absorbed, "attn_value").kv_bytes, 512);
  EXPECT_DOUBLE_EQ(KvElementsPerToken(m.groups[0].layer, MlaForm::kAbsorbed), 40);
  s.mla = MlaForm::kNaive;
  const auto naive = BuildOperators(m, s, Phase::kDecode);
  // Naive caches 4 heads × (16+8) keys and 4 × 16 values per token.
  EXPECT_DOUBLE_EQ(KvElementsPerToken(m.groups[0].layer, MlaForm::kNaive), 160);
  EXPECT_DOUBLE_EQ(FindOp(naive, "kv_b_proj").flops, 2.0 * 32 * 4 * 32);
  EXPECT_DOUBLE_EQ(FindOp(naive, "attn_score").kv_bytes, 8 * 4 * 24 * 2.0);
}

}  // namespace
}  // namespace slmroof
