// Gemma 3n (docs/cost-model.md §13) on a tiny shape by hand: per-layer embeddings, AltUp, LAuReL,
// the per-layer input gate and KV sharing; and the E2B preset against its published counts.
#include <algorithm>

#include <gtest/gtest.h>

#include "slmroof/engine.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/graph.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/weights.hpp"
#include "test_util.hpp"

namespace slmroof {
namespace {

using testing::FindOp;

// d 8, 5 layers (sliding, sliding, full, sliding, full; window 4), the last 2 reading earlier
// caches; 2 query heads and 1 KV head of 4; MLP 16; n = 4 AltUp streams, LAuReL rank 2,
// per-layer inputs of p = 3 from a table of 10 rows; vocabulary 20, tied.
constexpr const char* kTiny = R"({"model_type": "gemma3n_text", "vocab_size": 20,
    "hidden_size": 8, "num_hidden_layers": 5, "num_attention_heads": 2, "num_key_value_heads": 1,
    "head_dim": 4, "intermediate_size": 16, "sliding_window": 4,
    "layer_types": ["sliding_attention", "sliding_attention", "full_attention",
                    "sliding_attention", "full_attention"],
    "num_kv_shared_layers": 2, "altup_num_inputs": 4, "laurel_rank": 2,
    "hidden_size_per_layer_input": 3, "vocab_size_per_layer_input": 10})";

Scenario At(int64_t seq) {
  Scenario s;
  s.seq_len = seq;
  s.batch = 1;
  s.fusion = Fusion::kFlash;
  return s;
}

TEST(Gemma3n, TinyCountsByHand) {
  // Per layer: attention q 8·8 + k 8·4 + v 8·4 + o 8·8 + q/k norms 2·4 = 200 (the shared layers
  // keep their unused k and v); MLP 3·8·16 = 384; four norms 32; AltUp n² + n³ + d·n + 2d =
  // 16 + 64 + 32 + 16 = 128; LAuReL 2·8·2 + 8 = 40; per-layer input 2·8·3 + 8 = 56: 840, and
  // 4200 for five. Model: embedding 20·8 = 160, final norm 8, per-layer table 10·(5·3) = 150,
  // its projection 8·15 = 120 and norm 3, AltUp projections 2·3·8·8 = 384.
  const ModelSpec m = ParseModelJson(kTiny, "g.json", "g");
  const ParamCount p = CountParams(m);
  EXPECT_EQ(p.layers, 4200.0);
  EXPECT_EQ(p.per_layer_embedding, 150.0);
  EXPECT_EQ(p.globals, 120.0 + 3 + 384);
  EXPECT_EQ(p.total(), 4200.0 + 160 + 8 + 150 + 120 + 3 + 384);
  double listed = 0;
  for (const WeightTensor& t : ListWeightTensors(m)) {
    listed += t.elements;
  }
  EXPECT_EQ(listed, p.total());
}

TEST(Gemma3n, SharedLayersReadAnEarlierCache) {
  const ModelSpec m = ParseModelJson(kTiny, "g.json", "g");
  // Only layers 0-2 hold a cache, 2·1·4 = 8 elements per token each: 8 full, 16 windowed.
  const KvLayout kv = KvLayoutOf(m, MlaForm::kAbsorbed);
  EXPECT_EQ(kv.full, 8.0);
  ASSERT_EQ(kv.windowed.size(), 1U);
  EXPECT_EQ(kv.windowed[0].first, 4.0);
  EXPECT_EQ(kv.windowed[0].second, 16.0);
  const auto ops = BuildOperators(m, At(16), Phase::kDecode);
  // Layer 3 projects queries only: no k_proj, v_proj, k_norm or cache write; RoPE on the two
  // query heads only (3 FLOP per rotated element: 3·2·4).
  for (const char* name : {"L3.k_proj", "L3.v_proj", "L3.k_norm", "L3.kv_write"}) {
    EXPECT_TRUE(std::none_of(ops.begin(), ops.end(), [&](const Operator& op) { return op.name == name; }))
        << name;
  }
  EXPECT_EQ(FindOp(ops, "L2.kv_write").kv_bytes, 8 * 2.0);
  EXPECT_DOUBLE_EQ(FindOp(ops, "L3.rope").flops, 3 * 2 * 4.0);
  EXPECT_DOUBLE_EQ(FindOp(ops, "L2.rope").flops, 3 * 3 * 4.0);
  // It reads its source's window of cached rows exactly as layer 1 does: 4 rows of K and V at
  // fp16, 4·4·2·2 = 64 bytes.
  EXPECT_DOUBLE_EQ(FindOp(ops, "L3.attention").kv_bytes, 64.0);
  EXPECT_DOUBLE_EQ(FindOp(ops, "L3.attention").kv_bytes, FindOp(ops, "L0-1.attention").kv_bytes);
  // Layer 4 (full) reads all 16 rows of layer 2's cache: 16·4·2·2.
  EXPECT_DOUBLE_EQ(FindOp(ops, "L4.attention").kv_bytes, 256.0);
}

TEST(Gemma3n, PerLayerInputsAndAltUpByHand) {
  const ModelSpec m = ParseModelJson(kTiny, "g.json", "g");
  const auto ops = BuildOperators(m, At(16), Phase::kDecode);
  // The per-layer embedding gathers L·p = 15 values per token (fp16 weights, fp16 activations):
  // 30 bytes read, 30 written.
  const Operator& gather = FindOp(ops, "per_layer_embedding");
  EXPECT_DOUBLE_EQ(gather.weight_bytes, 30.0);
  EXPECT_DOUBLE_EQ(gather.act_bytes, 30.0);
  // Its projection d → L·p: 2·8·15 FLOPs, 8·15 weights at 2 bytes.
  EXPECT_DOUBLE_EQ(FindOp(ops, "per_layer_model_proj").flops, 240.0);
  EXPECT_DOUBLE_EQ(FindOp(ops, "per_layer_model_proj").weight_bytes, 240.0);
  // AltUp in and out: 3 matrices of 8 × 8 each way, 2·3·64 FLOPs.
  EXPECT_DOUBLE_EQ(FindOp(ops, "altup_proj").flops, 384.0);
  EXPECT_DOUBLE_EQ(FindOp(ops, "altup_unembd_proj").flops, 384.0);
  // Prediction per layer: the n × n mix of four streams, 2·n²·d + n·d = 256 + 32.
  EXPECT_DOUBLE_EQ(FindOp(ops, "L2.altup_predict").flops, 288.0);
  EXPECT_DOUBLE_EQ(FindOp(ops, "L2.altup_predict_coef").flops, 2 * 4 * 16.0);
  // Correction: (2n + 2)·d = 80 FLOPs, and the output scale (8 weights at 2 bytes).
  EXPECT_DOUBLE_EQ(FindOp(ops, "L2.altup_correct").flops, 80.0);
  EXPECT_DOUBLE_EQ(FindOp(ops, "L2.altup_correct").weight_bytes, 16.0);
  // LAuReL: 8 → 2 → 8, 2·16 FLOPs each way.
  EXPECT_DOUBLE_EQ(FindOp(ops, "L2.laurel_l").flops, 32.0);
  EXPECT_DOUBLE_EQ(FindOp(ops, "L2.laurel_r").flops, 32.0);
  // Per-layer input: gate 8 → 3 (48), GELU-tanh times the input (3·(8 + 1) = 27), projection
  // 3 → 8 (48), added to the three other streams (24).
  EXPECT_DOUBLE_EQ(FindOp(ops, "L2.per_layer_gate").flops, 48.0);
  EXPECT_DOUBLE_EQ(FindOp(ops, "L2.per_layer_act_mul").flops, 27.0);
  EXPECT_DOUBLE_EQ(FindOp(ops, "L2.per_layer_proj").flops, 48.0);
  EXPECT_DOUBLE_EQ(FindOp(ops, "L2.per_layer_add").flops, 24.0);
}

TEST(Gemma3n, E2bPresetMatchesPublishedCounts) {
  const ModelSpec m = LoadModel("gemma-3n-e2b");
  const ParamCount p = CountParams(m);
  // llama.cpp's converter keeps the text model only; Ollama lists its gemma3n:e2b GGUF at
  // "4.46B" parameters: every tensor here, the per-layer table and the shared layers' unused k/v
  // included, 4,456,156,768.
  EXPECT_EQ(p.total(), 4456156768.0);
  // Google: "an effective memory load of just under 2 billion (1.91B) parameters": the text
  // model without the per-layer table and without the token embedding.
  EXPECT_NEAR((p.total() - p.per_layer_embedding - p.embedding) / 1.91e9, 1.0, 0.01);
  // The per-layer table: 262,144 rows of 30 · 256.
  EXPECT_EQ(p.per_layer_embedding, 262144.0 * 30 * 256);
  // 20 of 30 layers hold a cache (4 full, 16 windowed over 512), 2·2·256 elements per token each.
  const KvLayout kv = KvLayoutOf(m, MlaForm::kAbsorbed);
  EXPECT_EQ(kv.full, 4 * 1024.0);
  ASSERT_EQ(kv.windowed.size(), 1U);
  EXPECT_EQ(kv.windowed[0].second, 16 * 1024.0);
  // Decode streams the per-layer row, not the table: 7680 values at the table's type.
  Scenario s = At(1024);
  const auto ops = BuildOperators(m, s, Phase::kDecode);
  EXPECT_DOUBLE_EQ(FindOp(ops, "per_layer_embedding").weight_bytes, 7680 * 2.0);
}

TEST(Gemma3n, RefusesInconsistentShapes) {
  std::string text = kTiny;
  text.replace(text.find("\"intermediate_size\": 16"), 23, "\"intermediate_size\": [16, 16]");
  try {
    ParseModelJson(text, "g.json", "g");
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "g.json: field 'intermediate_size' has 2 entries for 5 layers");
  }
  // A layer reading an earlier cache needs one of its shape before it.
  ModelSpec m = ParseModelJson(kTiny, "g.json", "g");
  m.groups[0].layer.attention.kv_shared = true;
  EXPECT_THROW(ValidateModel(m, "m"), InputError);
}

}  // namespace
}  // namespace slmroof
