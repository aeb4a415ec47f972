// A GGUF file as a model (src/io/gguf_model.cpp): its layers from the metadata, every tensor at
// its own type, against the equivalent config.json and the tensor sizes.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gguf_writer.hpp"
#include "slmroof/engine.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/graph.hpp"
#include "slmroof/io/gguf.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/plan.hpp"
#include "slmroof/weights.hpp"
#include "test_util.hpp"

namespace slmroof {
namespace {

using testing::GgufWriter;

constexpr uint32_t kF32 = 0, kF16 = 1, kQ8_0 = 8, kQ4K = 12, kQ6K = 14;

// A llama of 2 layers: d 256, 4 heads and 2 KV heads of 64, FFN 512, vocabulary 300, untied;
// token_embd q6_K, attention q4_K, ffn_down q8_0 in layer 0 and q6_K in layer 1, the rest f16.
GgufWriter TinyLlama(bool with_output = true, bool per_layer_kv = false) {
  GgufWriter w;
  w.Str("general.architecture", "llama");
  w.U32("general.file_type", 15);
  w.U32("llama.block_count", 2);
  w.U32("llama.embedding_length", 256);
  w.U32("llama.feed_forward_length", 512);
  w.U32("llama.attention.head_count", 4);
  if (per_layer_kv) {
    w.ArrU32("llama.attention.head_count_kv", {2, 2});
  } else {
    w.U32("llama.attention.head_count_kv", 2);
  }
  w.U32("llama.context_length", 4096);
  w.U32("llama.rope.dimension_count", 64);
  auto q = [](uint64_t rows, uint64_t cols, uint64_t block, uint64_t bytes) {
    return GgufWriter::Size({cols, rows}, block, bytes);
  };
  w.Add("token_embd.weight", {256, 300}, kQ6K, q(300, 256, 256, 210));
  w.Add("rope_freqs.weight", {32}, kF32, 128);
  if (with_output) {
    w.Add("output.weight", {256, 300}, kQ8_0, q(300, 256, 32, 34));
  }
  w.Add("output_norm.weight", {256}, kF32, 1024);
  for (int l = 0; l < 2; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    w.Add(p + "attn_norm.weight", {256}, kF32, 1024);
    w.Add(p + "attn_q.weight", {256, 256}, kQ4K, q(256, 256, 256, 144));
    w.Add(p + "attn_k.weight", {256, 128}, kQ4K, q(128, 256, 256, 144));
    w.Add(p + "attn_v.weight", {256, 128}, kQ4K, q(128, 256, 256, 144));
    w.Add(p + "attn_output.weight", {256, 256}, kQ4K, q(256, 256, 256, 144));
    w.Add(p + "ffn_norm.weight", {256}, kF32, 1024);
    w.Add(p + "ffn_gate.weight", {256, 512}, kF16, 256 * 512 * 2);
    w.Add(p + "ffn_up.weight", {256, 512}, kF16, 256 * 512 * 2);
    w.Add(p + "ffn_down.weight", {512, 256}, l == 0 ? kQ8_0 : kQ6K,
          l == 0 ? q(256, 512, 32, 34) : q(256, 512, 256, 210));
  }
  return w;
}

constexpr const char* kConfig = R"({"model_type": "llama", "vocab_size": 300, "hidden_size": 256,
    "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
    "intermediate_size": 512, "max_position_embeddings": 4096, "tie_word_embeddings": false})";

double TensorBytes(const GgufFile& f) {
  double b = 0;
  for (const GgufTensor& t : f.tensors) {
    b += static_cast<double>(t.bytes);
  }
  return b;
}

TEST(GgufModel, LayersEqualTheConfigsAndWeightBytesTheTensors) {
  const GgufFile f = ParseGguf(TinyLlama().Build(), "t.gguf");
  const ModelSpec m = ModelFromGguf(f, "t");
  const ModelSpec c = ParseModelJson(kConfig, "c.json", "c");
  ASSERT_EQ(m.groups.size(), c.groups.size());
  for (size_t i = 0; i < m.groups.size(); ++i) {
    EXPECT_TRUE(m.groups[i].layer == c.groups[i].layer);
    EXPECT_EQ(m.groups[i].repeat, c.groups[i].repeat);
  }
  EXPECT_EQ(m.stored_file_type, "Q4_K_M");
  EXPECT_EQ(m.stored_types.at("blk.1.ffn_down.weight"), "q6_k");
  // Memory holds exactly the file's tensors: rope_freqs (128 bytes) has no place in the cost
  // model and is held, not streamed.
  Scenario s;
  s.weights = StoredWeights(m, m.stored_file_type);
  EXPECT_EQ(s.weights.name, "file (Q4_K_M)");
  EXPECT_DOUBLE_EQ(WeightsInMemory(m, s), TensorBytes(f));
  EXPECT_DOUBLE_EQ(m.extra_weight_bytes, 128.0);
  // Decode streams each matrix at its own type: ffn_down 256·512 at q8_0 in layer 0, q6_K in 1.
  s.seq_len = 64;
  const auto ops = BuildOperators(m, s, Phase::kDecode);
  EXPECT_DOUBLE_EQ(testing::FindOp(ops, "down_proj.q8_0").weight_bytes, 256 * 512 * 34.0 / 32);
  EXPECT_DOUBLE_EQ(testing::FindOp(ops, "down_proj.q6_k").weight_bytes, 256 * 512 * 210.0 / 256);
  // The same costs as the config with the same types per tensor.
  Scenario sc = s;
  sc.weights = StoredWeights(m, "");
  const auto from_config = BuildOperators(c, sc, Phase::kDecode);
  ASSERT_EQ(ops.size(), from_config.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    EXPECT_EQ(ops[i].name, from_config[i].name);
    EXPECT_DOUBLE_EQ(ops[i].bytes(), from_config[i].bytes()) << ops[i].name;
    EXPECT_DOUBLE_EQ(ops[i].flops, from_config[i].flops) << ops[i].name;
  }
}

TEST(GgufModel, TiedWhenTheFileHasNoOutput) {
  const ModelSpec m = ModelFromGguf(ParseGguf(TinyLlama(false).Build(), "t.gguf"), "t");
  EXPECT_TRUE(m.tie_word_embeddings);
}

// The same llama with every matrix at q8_0 and general.file_type 7 (Q8_0): llama-quantize's
// Q8_0 gives every matrix q8_0.
GgufWriter AllQ8() {
  GgufWriter w;
  w.Str("general.architecture", "llama");
  w.U32("general.file_type", 7);
  w.U32("llama.block_count", 1);
  w.U32("llama.embedding_length", 256);
  w.U32("llama.feed_forward_length", 512);
  w.U32("llama.attention.head_count", 4);
  w.U32("llama.attention.head_count_kv", 2);
  auto q8 = [](uint64_t rows, uint64_t cols) { return GgufWriter::Size({cols, rows}, 32, 34); };
  w.Add("token_embd.weight", {256, 300}, kQ8_0, q8(300, 256));
  w.Add("output.weight", {256, 300}, kQ8_0, q8(300, 256));
  w.Add("output_norm.weight", {256}, kF32, 1024);
  w.Add("blk.0.attn_norm.weight", {256}, kF32, 1024);
  w.Add("blk.0.attn_q.weight", {256, 256}, kQ8_0, q8(256, 256));
  w.Add("blk.0.attn_k.weight", {256, 128}, kQ8_0, q8(128, 256));
  w.Add("blk.0.attn_v.weight", {256, 128}, kQ8_0, q8(128, 256));
  w.Add("blk.0.attn_output.weight", {256, 256}, kQ8_0, q8(256, 256));
  w.Add("blk.0.ffn_norm.weight", {256}, kF32, 1024);
  w.Add("blk.0.ffn_gate.weight", {256, 512}, kQ8_0, q8(512, 256));
  w.Add("blk.0.ffn_up.weight", {256, 512}, kQ8_0, q8(512, 256));
  w.Add("blk.0.ffn_down.weight", {512, 256}, kQ8_0, q8(256, 512));
  return w;
}

TEST(GgufModel, FileTypeAgainstTheRecipe) {
  const GgufFile q8 = ParseGguf(AllQ8().Build(), "q8.gguf");
  const RecipeCheck same = CheckAgainstRecipe(ModelFromGguf(q8, "q8"));
  EXPECT_TRUE(same.matches);
  EXPECT_EQ(same.verdict, "the tensors are llama-quantize's Q8_0 mix (9 matrices checked)");
  // TinyLlama says Q4_K_M but keeps f16 FFNs and q4_K attn_v, where llama-quantize's Q4_K_M
  // gives q4_k gate/up, q6_k to attn_v and ffn_down in the first layers, q6_k output.
  const GgufFile mixed = ParseGguf(TinyLlama().Build(), "t.gguf");
  const RecipeCheck diff = CheckAgainstRecipe(ModelFromGguf(mixed, "t"));
  EXPECT_FALSE(diff.matches);
  EXPECT_EQ(diff.verdict.rfind("mixed: ", 0), 0U) << diff.verdict;
  EXPECT_GT(diff.differing, 0);
}

std::string Error(const GgufWriter& w) {
  try {
    ModelFromGguf(ParseGguf(w.Build(), "t.gguf"), "t");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(GgufModel, RefusesWhatItCannotMap) {
  GgufWriter other;
  other.Str("general.architecture", "rwkv7");
  EXPECT_EQ(Error(other).rfind("t.gguf: general.architecture is 'rwkv7', which slmroof does not map "
                               "to a model yet (mapped: deepseek2, falcon-h1, gemma, ",
                               0),
            0U)
      << Error(other);
  // A shape the metadata implies that the file does not hold.
  GgufWriter wrong = TinyLlama();
  wrong.U32("llama.attention.key_length", 128);
  EXPECT_EQ(Error(wrong),
            "t.gguf: tensor blk.0.attn_q.weight has 65536 elements where the metadata implies 131072");
  EXPECT_EQ(Error(TinyLlama(true, true)),
            "t.gguf: llama.attention.head_count_kv holds one value per layer, which slmroof does "
            "not map for llama yet");
}

}  // namespace
}  // namespace slmroof

namespace slmroof {
namespace {

// The plan inspect --emit-plan writes reproduces the file: the config with that plan costs
// every operator as the GGUF model does, and holds the file's tensors but rope_freqs.
TEST(GgufModel, TheConfigWithTheEmittedPlanCostsAsTheFile) {
  const GgufFile f = ParseGguf(TinyLlama().Build(), "t.gguf");
  const ModelSpec m = ModelFromGguf(f, "t");
  const QuantPlan plan = PlanFromStoredTypes(m);
  EXPECT_EQ(plan.base, "Q4_K_M");
  const ModelSpec c = ParseModelJson(kConfig, "c.json", "c");
  Scenario from_file, from_config;
  from_file.seq_len = from_config.seq_len = 64;
  from_file.weights = StoredWeights(m, m.stored_file_type);
  from_config.weights = ResolveWeights(
      c, WithPlan(ParseWeightSetting("fp16"),
                  std::make_shared<const QuantPlan>(ParsePlan(PlanJson(plan), "t.plan.json"))));
  for (Phase p : {Phase::kPrefill, Phase::kDecode}) {
    const auto a = BuildOperators(m, from_file, p);
    const auto b = BuildOperators(c, from_config, p);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].name, b[i].name);
      EXPECT_DOUBLE_EQ(a[i].bytes(), b[i].bytes()) << a[i].name;
      EXPECT_DOUBLE_EQ(a[i].flops, b[i].flops) << a[i].name;
    }
  }
  EXPECT_DOUBLE_EQ(WeightsInMemory(c, from_config), TensorBytes(f) - 128);
}

TEST(GgufModel, InspectEmitsThePlanAnalyzeReads) {
  const std::string gguf = ::testing::TempDir() + "emit.gguf";
  const std::string plan = ::testing::TempDir() + "emit.plan.json";
  const std::string config = ::testing::TempDir() + "emit-config.json";
  std::ofstream(gguf, std::ios::binary) << TinyLlama().Build();
  std::ofstream(config) << kConfig;
  std::string out, err;
  ASSERT_EQ(testing::RunBinary("inspect " + gguf + " --emit-plan " + plan, &out, &err), 0) << err;
  ASSERT_EQ(testing::RunBinary("analyze " + gguf + " --seq 64 --format json", &out, &err), 0) << err;
  const auto from_file = nlohmann::json::parse(out);
  ASSERT_EQ(testing::RunBinary("analyze " + config + " --seq 64 --format json --plan " + plan, &out,
                               &err),
            0)
      << err;
  const auto from_config = nlohmann::json::parse(out);
  for (size_t p = 0; p < 2; ++p) {
    EXPECT_EQ(from_file.at("phases").at(p).at("totals").at("time_s"),
              from_config.at("phases").at(p).at("totals").at("time_s"));
  }
}

}  // namespace
}  // namespace slmroof

namespace slmroof {
namespace {

// Sweep's depth variants of a GGUF model keep its stored types: copies of the last layer store
// their tensors as it does (here ffn_down at q6_K in layer 1).
TEST(GgufModel, DepthVariantsKeepTheStoredTypes) {
  const ModelSpec m = ModelFromGguf(ParseGguf(TinyLlama().Build(), "t.gguf"), "t");
  const ModelSpec deeper = WithDepth(m, 4);
  EXPECT_EQ(deeper.stored_types.at("blk.3.ffn_down.weight"), "q6_k");
  EXPECT_EQ(deeper.stored_types.at("blk.0.ffn_down.weight"), "q8_0");
  EXPECT_EQ(deeper.stored_types.at("token_embd.weight"), "q6_k");
  const ModelSpec shallower = WithDepth(m, 1);
  EXPECT_EQ(shallower.stored_types.count("blk.1.ffn_down.weight"), 0u);
  Scenario s;
  s.weights = StoredWeights(deeper, "");
  const TensorTypes types = AssignTensorTypes(deeper, s.weights);
  EXPECT_EQ(types.Of(TensorRole::kFfnDown, 3).name, "q6_k");
  EXPECT_EQ(types.Of(TensorRole::kAttnQ, 2).name, "q4_k");
}

}  // namespace
}  // namespace slmroof
