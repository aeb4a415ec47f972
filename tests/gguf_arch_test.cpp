// GGUF mixture-of-experts and MLA architectures (src/io/gguf_arch.cpp), in the pattern of
// gguf_arch_util.hpp.
#include <gtest/gtest.h>

#include "gguf_arch_util.hpp"
#include "slmroof/errors.hpp"

namespace slmroof {
namespace {

using nlohmann::json;
using testing::GgufWriter;
using testing::gguf_arch::AddTensors;
using testing::gguf_arch::EndsWith;
using testing::gguf_arch::ExpectSameAsConfig;
using testing::gguf_arch::FromConfig;
using testing::gguf_arch::kF16;
using testing::gguf_arch::Shrunk;
using testing::gguf_arch::TransformerKeys;
using testing::gguf_arch::WeightBytesOf;

TEST(GgufArch, Qwen3MoeEveryExpertAtItsType) {
  const json cfg = Shrunk("qwen3-30b-a3b", {{"hidden_size", 256},
                                            {"num_hidden_layers", 3},
                                            {"num_attention_heads", 4},
                                            {"num_key_value_heads", 2},
                                            {"head_dim", 64},
                                            {"num_experts", 4},
                                            {"num_experts_per_tok", 2},
                                            {"moe_intermediate_size", 256},
                                            {"intermediate_size", 512},
                                            {"vocab_size", 300}});
  const ModelSpec c = FromConfig(cfg);
  GgufWriter w;
  TransformerKeys(&w, "qwen3moe", cfg);
  w.U32("qwen3moe.feed_forward_length", 512);
  w.U32("qwen3moe.expert_count", 4);
  w.U32("qwen3moe.expert_used_count", 2);
  w.U32("qwen3moe.expert_feed_forward_length", 256);
  const auto types = AddTensors(&w, c, [](const WeightTensor& t) -> std::vector<uint64_t> {
    if (EndsWith(t.name, "_exps.weight")) {
      return {static_cast<uint64_t>(t.cols),
              static_cast<uint64_t>(t.elements) / 4 / static_cast<uint64_t>(t.cols), 4};
    }
    return {};
  });
  const ModelSpec m = ExpectSameAsConfig(w, c, types);
  EXPECT_EQ(m.stored_types.at("blk.2.ffn_down_exps.weight"), "q4_k");
  EXPECT_EQ(m.stored_types.at("blk.0.attn_q.weight"), "q8_0");
}

// DeepSeek-V2-Lite (MLA without a query LoRA, two shared experts, one leading dense layer).
json DeepseekConfig() {
  return Shrunk("deepseek-v2-lite", {{"hidden_size", 256},
                                     {"num_hidden_layers", 3},
                                     {"num_attention_heads", 2},
                                     {"num_key_value_heads", 2},
                                     {"kv_lora_rank", 64},
                                     {"qk_nope_head_dim", 32},
                                     {"qk_rope_head_dim", 32},
                                     {"v_head_dim", 32},
                                     {"intermediate_size", 512},
                                     {"moe_intermediate_size", 256},
                                     {"n_routed_experts", 4},
                                     {"num_experts_per_tok", 2},
                                     {"n_shared_experts", 2},
                                     {"vocab_size", 300}});
}

// The keys DeepseekV2Model.set_gguf_parameters writes; `mla_keys` as current converters do
// (one KV head of the latent width, the head widths in key_length_mla / value_length_mla),
// otherwise as older ones did.
GgufWriter DeepseekKeys(bool mla_keys) {
  GgufWriter w;
  const std::string a = "deepseek2";
  w.Str("general.architecture", a);
  w.U32(a + ".block_count", 3);
  w.U32(a + ".context_length", 163840);
  w.U32(a + ".embedding_length", 256);
  w.U32(a + ".feed_forward_length", 512);
  w.U32(a + ".attention.head_count", 2);
  w.U32(a + ".attention.head_count_kv", mla_keys ? 1 : 2);
  w.U32(a + ".attention.kv_lora_rank", 64);
  w.U32(a + ".attention.key_length", mla_keys ? 64 + 32 : 64);
  w.U32(a + ".attention.value_length", mla_keys ? 64 : 32);
  if (mla_keys) {
    w.U32(a + ".attention.key_length_mla", 64);
    w.U32(a + ".attention.value_length_mla", 32);
  }
  w.U32(a + ".rope.dimension_count", 32);
  w.U32(a + ".leading_dense_block_count", 1);
  w.U32(a + ".expert_count", 4);
  w.U32(a + ".expert_used_count", 2);
  w.U32(a + ".expert_shared_count", 2);
  w.U32(a + ".expert_feed_forward_length", 256);
  w.F32(a + ".expert_weights_scale", 1.0F);
  return w;
}

TEST(GgufArch, Deepseek2SplitKvBEachHalfAtItsType) {
  ModelSpec c = FromConfig(DeepseekConfig());
  c.split_kv_b = true;  // what the file holds: attn_k_b and attn_v_b
  GgufWriter w = DeepseekKeys(true);
  const auto types = AddTensors(&w, c, [](const WeightTensor& t) -> std::vector<uint64_t> {
    if (EndsWith(t.name, "attn_k_b.weight")) {
      return {32, 64, 2};  // d_n × d_c per head, as the converter transposes W_UK
    }
    if (EndsWith(t.name, "attn_v_b.weight")) {
      return {64, 32, 2};
    }
    return {};
  });
  const ModelSpec m = ExpectSameAsConfig(w, c, types);
  EXPECT_TRUE(m.split_kv_b);
  EXPECT_EQ(m.groups.front().layer.attention.kind, AttentionKind::kMla);
}

TEST(GgufArch, Deepseek2OlderFileWithKvB) {
  const ModelSpec c = FromConfig(DeepseekConfig());
  GgufWriter w = DeepseekKeys(false);
  const auto types = AddTensors(&w, c);
  const ModelSpec m = ExpectSameAsConfig(w, c, types);
  EXPECT_FALSE(m.split_kv_b);
  EXPECT_EQ(m.stored_types.at("blk.1.attn_kv_b.weight"), "q8_0");
}

// Routed experts and shared experts of one layer at different types (task of the role split):
// each costs at its own.
TEST(GgufArch, RoutedAndSharedExpertsAtTheirOwnTypes) {
  const ModelSpec c = FromConfig(DeepseekConfig());
  GgufWriter w = DeepseekKeys(false);
  AddTensors(&w, c);
  const ModelSpec m = ModelFromGguf(ParseGguf(w.Build(), "t.gguf"), "t");
  ASSERT_EQ(m.stored_types.at("blk.1.ffn_down_exps.weight"), "q4_k");
  ASSERT_EQ(m.stored_types.at("blk.1.ffn_down_shexp.weight"), "q8_0");
  const WeightSetting stored = StoredWeights(m, "");
  const TensorTypes types = AssignTensorTypes(m, stored);
  for (int64_t l = 1; l < 3; ++l) {
    EXPECT_EQ(types.Of(TensorRole::kFfnDownExps, l).name, "q4_k");
    EXPECT_EQ(types.Of(TensorRole::kFfnUpExps, l).name, "q4_k");
    EXPECT_EQ(types.Of(TensorRole::kFfnDown, l).name, "q8_0");
    EXPECT_EQ(types.Of(TensorRole::kFfnGate, l).name, "q8_0");
  }
  EXPECT_EQ(types.Of(TensorRole::kFfnDown, 0).name, "q6_k");  // the dense layer
  Scenario s;
  s.weights = stored;
  s.seq_len = 64;
  const auto ops = BuildOperators(m, s, Phase::kDecode);
  const auto experts = WeightBytesOf(ops, "experts.down_proj");
  const auto shared = WeightBytesOf(ops, "shared.down_proj");
  ASSERT_EQ(experts.size(), 1U);
  EXPECT_EQ(experts.begin()->first, "q4_k");
  ASSERT_EQ(shared.size(), 1U);
  EXPECT_EQ(shared.begin()->first, "q8_0");
  // The shared experts' down projection (2·256 wide) streams at q8_0: 512·256·34/32 per layer.
  EXPECT_DOUBLE_EQ(shared.begin()->second, 512 * 256 * 34.0 / 32);
}

// No preset ships a Qwen2-MoE config: a small one, with a shared expert of its own width.
TEST(GgufArch, Qwen2MoeSharedExpert) {
  const json cfg = json::parse(R"({"model_type": "qwen2_moe", "vocab_size": 300,
      "hidden_size": 256, "num_hidden_layers": 2, "num_attention_heads": 4,
      "num_key_value_heads": 2, "intermediate_size": 512, "moe_intermediate_size": 256,
      "shared_expert_intermediate_size": 512, "num_experts": 4, "num_experts_per_tok": 2,
      "max_position_embeddings": 4096, "tie_word_embeddings": false})");
  const ModelSpec c = FromConfig(cfg);
  GgufWriter w;
  TransformerKeys(&w, "qwen2moe", cfg);
  w.U32("qwen2moe.feed_forward_length", 512);
  w.U32("qwen2moe.expert_count", 4);
  w.U32("qwen2moe.expert_used_count", 2);
  w.U32("qwen2moe.expert_feed_forward_length", 256);
  w.U32("qwen2moe.expert_shared_feed_forward_length", 512);
  const auto types = AddTensors(&w, c);
  const ModelSpec m = ExpectSameAsConfig(w, c, types);
  EXPECT_EQ(m.stored_types.at("blk.1.ffn_up_shexp.weight"), "q8_0");
  EXPECT_EQ(m.stored_types.at("blk.1.ffn_up_exps.weight"), "q4_k");
}

TEST(GgufArch, Olmoe) {
  const json cfg = Shrunk("olmoe-1b-7b", {{"hidden_size", 256},
                                          {"num_hidden_layers", 2},
                                          {"num_attention_heads", 4},
                                          {"num_key_value_heads", 4},
                                          {"num_experts", 4},
                                          {"num_experts_per_tok", 2},
                                          {"intermediate_size", 256},
                                          {"vocab_size", 300}});
  const ModelSpec c = FromConfig(cfg);
  GgufWriter w;
  TransformerKeys(&w, "olmoe", cfg);
  w.U32("olmoe.feed_forward_length", 256);
  w.U32("olmoe.expert_count", 4);
  w.U32("olmoe.expert_used_count", 2);
  const auto types = AddTensors(&w, c);
  ExpectSameAsConfig(w, c, types);
}

TEST(GgufArch, GptOssBiasedExpertsAndAlternatingWindows) {
  const json cfg =
      Shrunk("gpt-oss-20b",
             {{"hidden_size", 256},
              {"num_hidden_layers", 4},
              {"layer_types",
               {"sliding_attention", "full_attention", "sliding_attention", "full_attention"}},
              {"num_attention_heads", 4},
              {"num_key_value_heads", 2},
              {"head_dim", 64},
              {"num_local_experts", 4},
              {"experts_per_token", 2},
              {"num_experts_per_tok", 2},
              {"intermediate_size", 256},
              {"vocab_size", 300}});
  const ModelSpec c = FromConfig(cfg);
  GgufWriter w;
  TransformerKeys(&w, "gpt-oss", cfg);
  w.U32("gpt-oss.feed_forward_length", 256);
  w.U32("gpt-oss.expert_count", 4);
  w.U32("gpt-oss.expert_used_count", 2);
  w.U32("gpt-oss.expert_feed_forward_length", 256);
  w.U32("gpt-oss.attention.sliding_window", 128);
  const auto types = AddTensors(&w, c);
  const ModelSpec m = ExpectSameAsConfig(w, c, types);
  EXPECT_EQ(m.groups.front().layer.attention.sliding_window, 128);
  EXPECT_TRUE(m.groups.front().layer.ffn.expert_bias);
}

TEST(GgufArch, UnmappedArchitectureNamed) {
  GgufWriter w;
  w.Str("general.architecture", "rwkv7");
  try {
    ModelFromGguf(ParseGguf(w.Build(), "t.gguf"), "t");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(
                  "t.gguf: general.architecture is 'rwkv7', which slmroof "
                  "does not map to a model yet (mapped: deepseek2, falcon-h1, gemma, ",
                  0),
              0U)
        << e.what();
  }
}

// block_count drives per-layer arrays and tensor names: bounded first.
TEST(GgufArch, BlockCountBoundedFirst) {
  GgufWriter w;
  w.Str("general.architecture", "nemotron_h");
  w.U32("nemotron_h.block_count", 5000);
  w.U32("nemotron_h.embedding_length", 256);
  w.U32("nemotron_h.attention.head_count_kv", 2);
  w.Add("token_embd.weight", {256, 300}, kF16.id, 256 * 300 * 2);
  try {
    ModelFromGguf(ParseGguf(w.Build(), "t.gguf"), "t");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "t.gguf: nemotron_h.block_count is 5000; expected 1 to 4096");
  }
}

}  // namespace
}  // namespace slmroof
