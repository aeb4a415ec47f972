// GGUF hybrid and state-space architectures (src/io/gguf_arch_hybrid.cpp), in the pattern of
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
using testing::gguf_arch::Shrunk;
using testing::gguf_arch::SsmKeys;

TEST(GgufArch, NemotronHPerLayerArrays) {
  const json cfg = Shrunk("nemotron-h-4b", {{"hidden_size", 256},
                                            {"num_hidden_layers", 5},
                                            {"hybrid_override_pattern", "M-M*-"},
                                            {"num_attention_heads", 4},
                                            {"num_key_value_heads", 2},
                                            {"attention_head_dim", 64},
                                            {"intermediate_size", 512},
                                            {"mamba_num_heads", 8},
                                            {"mamba_head_dim", 64},
                                            {"n_groups", 2},
                                            {"ssm_state_size", 16},
                                            {"chunk_size", nullptr},
                                            {"vocab_size", 300}});
  const ModelSpec c = FromConfig(cfg);
  const std::string a = "nemotron_h";
  auto file = [&](const std::vector<uint32_t>& kv) {
    GgufWriter w;
    w.Str("general.architecture", a);
    w.U32(a + ".block_count", 5);
    w.U32(a + ".context_length", 8192);
    w.U32(a + ".embedding_length", 256);
    w.U32(a + ".attention.head_count", 4);
    w.ArrU32(a + ".attention.head_count_kv", kv);
    w.ArrU32(a + ".feed_forward_length", {0, 512, 0, 0, 512});
    w.U32(a + ".attention.key_length", 64);
    w.U32(a + ".attention.value_length", 64);
    SsmKeys(&w, a, 16, 8, 512, 2);
    return w;
  };
  GgufWriter w = file({0, 0, 0, 2, 0});
  const auto types = AddTensors(&w, c);
  ExpectSameAsConfig(w, c, types);

  // An array of another length than block_count names the key.
  GgufWriter bad = file({0, 2});
  AddTensors(&bad, c);
  try {
    ModelFromGguf(ParseGguf(bad.Build(), "t.gguf"), "t");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "t.gguf: nemotron_h.attention.head_count_kv holds 2 values for 5 layers "
                 "(block_count)");
  }
}

TEST(GgufArch, GraniteHybridMoe) {
  const json cfg =
      Shrunk("granite-4.0-h-tiny", {{"hidden_size", 256},
                                    {"num_hidden_layers", 4},
                                    {"layer_types", {"mamba", "attention", "mamba", "mamba"}},
                                    {"num_attention_heads", 4},
                                    {"num_key_value_heads", 2},
                                    {"intermediate_size", 256},
                                    {"shared_intermediate_size", 512},
                                    {"num_local_experts", 4},
                                    {"num_experts_per_tok", 2},
                                    {"mamba_n_heads", 8},
                                    {"mamba_d_head", 32},
                                    {"mamba_d_state", 16},
                                    {"vocab_size", 300}});
  const ModelSpec c = FromConfig(cfg);
  GgufWriter w;
  const std::string a = "granitehybrid";
  w.Str("general.architecture", a);
  w.U32(a + ".block_count", 4);
  w.U32(a + ".context_length", 1 << 20);
  w.U32(a + ".embedding_length", 256);
  w.U32(a + ".feed_forward_length", 256);
  w.U32(a + ".attention.head_count", 4);
  w.ArrU32(a + ".attention.head_count_kv", {0, 2, 0, 0});
  w.U32(a + ".expert_count", 4);
  w.U32(a + ".expert_used_count", 2);
  w.U32(a + ".expert_shared_feed_forward_length", 512);
  w.Bool(a + ".rope.scaling.finetuned", false);
  SsmKeys(&w, a, 16, 8, 256, 1);
  const auto types = AddTensors(&w, c);
  const ModelSpec m = ExpectSameAsConfig(w, c, types);
  EXPECT_EQ(m.groups.front().layer.attention.rope_dim, 0);
}

TEST(GgufArch, Lfm2) {
  const json cfg = Shrunk("lfm2-350m", {{"hidden_size", 256},
                                        {"num_hidden_layers", 4},
                                        {"full_attn_idxs", {1, 3}},
                                        {"num_attention_heads", 4},
                                        {"num_key_value_heads", 2},
                                        {"block_ff_dim", 768},
                                        {"vocab_size", 300}});
  const ModelSpec c = FromConfig(cfg);
  GgufWriter w;
  const std::string a = "lfm2";
  w.Str("general.architecture", a);
  w.U32(a + ".block_count", 4);
  w.U32(a + ".context_length", 128000);
  w.U32(a + ".embedding_length", 256);
  w.U32(a + ".feed_forward_length", 512);  // 2/3 of 768, rounded up to 256
  w.U32(a + ".attention.head_count", 4);
  w.ArrU32(a + ".attention.head_count_kv", {0, 2, 0, 2});
  w.U32(a + ".shortconv.l_cache", 3);
  const auto types = AddTensors(&w, c);
  ExpectSameAsConfig(w, c, types);
}

TEST(GgufArch, Mamba2) {
  const json cfg = Shrunk("mamba2-130m", {{"d_model", 256}, {"n_layer", 2}, {"vocab_size", 320}});
  const ModelSpec c = FromConfig(cfg);
  GgufWriter w;
  const std::string a = "mamba2";
  w.Str("general.architecture", a);
  w.U32(a + ".block_count", 2);
  w.U32(a + ".context_length", 1 << 20);
  w.U32(a + ".embedding_length", 256);
  w.U32(a + ".feed_forward_length", 0);
  w.U32(a + ".attention.head_count", 0);
  const SsmSpec& s = c.groups.front().layer.ssm;
  SsmKeys(&w, a, static_cast<uint32_t>(s.d_state), static_cast<uint32_t>(s.num_heads),
          static_cast<uint32_t>(s.d_inner), static_cast<uint32_t>(s.n_groups));
  const auto types = AddTensors(&w, c);
  ExpectSameAsConfig(w, c, types);
}

TEST(GgufArch, Mamba) {
  const json cfg = Shrunk("mamba-130m", {{"hidden_size", 256},
                                         {"d_model", 256},
                                         {"num_hidden_layers", 2},
                                         {"n_layer", 2},
                                         {"intermediate_size", 512},
                                         {"d_inner", 512},
                                         {"vocab_size", 320}});
  const ModelSpec c = FromConfig(cfg);
  const SsmSpec& s = c.groups.front().layer.ssm;
  GgufWriter w;
  const std::string a = "mamba";
  w.Str("general.architecture", a);
  w.U32(a + ".block_count", 2);
  w.U32(a + ".context_length", 1 << 20);
  w.U32(a + ".embedding_length", 256);
  w.U32(a + ".ssm.conv_kernel", static_cast<uint32_t>(s.d_conv));
  w.U32(a + ".ssm.state_size", static_cast<uint32_t>(s.d_state));
  w.U32(a + ".ssm.inner_size", static_cast<uint32_t>(s.d_inner));
  w.U32(a + ".ssm.time_step_rank", static_cast<uint32_t>(s.dt_rank));
  const auto types = AddTensors(&w, c);
  ExpectSameAsConfig(w, c, types);
}

TEST(GgufArch, NemotronHMoe) {
  const json cfg = Shrunk("nemotron-3-nano-30b-a3b", {{"hidden_size", 256},
                                                      {"num_hidden_layers", 5},
                                                      {"hybrid_override_pattern", "ME*EM"},
                                                      {"num_attention_heads", 4},
                                                      {"num_key_value_heads", 2},
                                                      {"head_dim", 64},
                                                      {"intermediate_size", 256},
                                                      {"moe_intermediate_size", 256},
                                                      {"moe_shared_expert_intermediate_size", 512},
                                                      {"n_routed_experts", 4},
                                                      {"num_experts_per_tok", 2},
                                                      {"n_shared_experts", 1},
                                                      {"mamba_num_heads", 8},
                                                      {"mamba_head_dim", 32},
                                                      {"n_groups", 2},
                                                      {"ssm_state_size", 16},
                                                      {"chunk_size", nullptr},
                                                      {"vocab_size", 300}});
  const ModelSpec c = FromConfig(cfg);
  GgufWriter w;
  const std::string a = "nemotron_h_moe";
  w.Str("general.architecture", a);
  w.U32(a + ".block_count", 5);
  w.U32(a + ".context_length", 262144);
  w.U32(a + ".embedding_length", 256);
  w.U32(a + ".attention.head_count", 4);
  w.ArrU32(a + ".attention.head_count_kv", {0, 0, 2, 0, 0});
  w.ArrU32(a + ".feed_forward_length", {0, 256, 0, 256, 0});
  w.U32(a + ".attention.key_length", 64);
  w.U32(a + ".expert_count", 4);
  w.U32(a + ".expert_used_count", 2);
  w.U32(a + ".expert_feed_forward_length", 256);
  w.U32(a + ".expert_shared_feed_forward_length", 512);
  w.U32(a + ".expert_shared_count", 1);
  SsmKeys(&w, a, 16, 8, 256, 2);
  const auto types = AddTensors(&w, c);
  ExpectSameAsConfig(w, c, types);

  // The same with an MTP block appended (attention and experts in block 5): not a layer.
  GgufWriter mtp;
  mtp.Str("general.architecture", a);
  mtp.U32(a + ".block_count", 6);
  mtp.U32(a + ".nextn_predict_layers", 1);
  mtp.U32(a + ".embedding_length", 256);
  mtp.ArrU32(a + ".attention.head_count", {4, 4, 4, 4, 4, 4});
  mtp.ArrU32(a + ".attention.head_count_kv", {0, 0, 2, 0, 0, 2});
  mtp.ArrU32(a + ".feed_forward_length", {0, 256, 0, 256, 0, 256});
  mtp.U32(a + ".attention.key_length", 64);
  mtp.U32(a + ".expert_count", 4);
  mtp.U32(a + ".expert_used_count", 2);
  mtp.U32(a + ".expert_feed_forward_length", 256);
  mtp.U32(a + ".expert_shared_feed_forward_length", 512);
  mtp.U32(a + ".expert_shared_count", 1);
  SsmKeys(&mtp, a, 16, 8, 256, 2);
  AddTensors(&mtp, c);
  const ModelSpec m = ModelFromGguf(ParseGguf(mtp.Build(), "t.gguf"), "t");
  EXPECT_EQ(m.NumLayers(), 5);
}

TEST(GgufArch, FalconH1ParallelAttentionAndMamba) {
  const json cfg = Shrunk("falcon-h1-0.5b", {{"hidden_size", 256},
                                             {"num_hidden_layers", 2},
                                             {"num_attention_heads", 4},
                                             {"num_key_value_heads", 2},
                                             {"head_dim", 64},
                                             {"intermediate_size", 512},
                                             {"mamba_d_ssm", 256},
                                             {"mamba_n_heads", 4},
                                             {"mamba_d_head", 64},
                                             {"mamba_d_state", 16},
                                             {"mamba_chunk_size", nullptr},
                                             {"vocab_size", 300}});
  const ModelSpec c = FromConfig(cfg);
  GgufWriter w;
  const std::string a = "falcon-h1";
  w.Str("general.architecture", a);
  w.U32(a + ".block_count", 2);
  w.U32(a + ".context_length", 16384);
  w.U32(a + ".embedding_length", 256);
  w.U32(a + ".feed_forward_length", 512);
  w.U32(a + ".attention.head_count", 4);
  w.U32(a + ".attention.head_count_kv", 2);
  w.U32(a + ".attention.key_length", 64);
  w.U32(a + ".attention.value_length", 64);
  SsmKeys(&w, a, 16, 4, 256, 1);
  const auto types = AddTensors(&w, c);
  const ModelSpec m = ExpectSameAsConfig(w, c, types);
  EXPECT_TRUE(m.groups.front().layer.parallel_attention);
}

// No preset ships a Jamba config: a small one in its transformers keys. Attention in layer 2,
// experts in the odd layers; the file marks them per layer (head_count_kv, ffn_gate_inp).
TEST(GgufArch, JambaPeriodsFromTheLayers) {
  const json cfg = json::parse(R"({"model_type": "jamba", "vocab_size": 300, "hidden_size": 256,
      "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2,
      "intermediate_size": 512, "attn_layer_period": 4, "attn_layer_offset": 2,
      "expert_layer_period": 2, "expert_layer_offset": 1, "num_experts": 4,
      "num_experts_per_tok": 2, "mamba_d_state": 16, "mamba_d_conv": 4, "mamba_expand": 2,
      "mamba_dt_rank": 16, "tie_word_embeddings": false, "max_position_embeddings": 4096})");
  const ModelSpec c = FromConfig(cfg);
  GgufWriter w;
  const std::string a = "jamba";
  w.Str("general.architecture", a);
  w.U32(a + ".block_count", 4);
  w.U32(a + ".context_length", 4096);
  w.U32(a + ".embedding_length", 256);
  w.U32(a + ".feed_forward_length", 512);
  w.U32(a + ".attention.head_count", 4);
  w.ArrU32(a + ".attention.head_count_kv", {0, 0, 2, 0});
  w.U32(a + ".expert_count", 4);
  w.U32(a + ".expert_used_count", 2);
  w.U32(a + ".ssm.conv_kernel", 4);
  w.U32(a + ".ssm.inner_size", 512);
  w.U32(a + ".ssm.state_size", 16);
  w.U32(a + ".ssm.time_step_rank", 16);
  const auto types = AddTensors(&w, c);
  const ModelSpec m = ExpectSameAsConfig(w, c, types);
  EXPECT_EQ(m.groups.size(), 4U);
}

// Qwen3.5's language model (the preset's text_config), shrunk: three Gated DeltaNet layers, then
// gated full attention.
json Qwen35Text() {
  const PresetText* p = FindPreset(EmbeddedModelPresets(), "qwen3.5-0.8b");
  json text = json::parse(p->text)["text_config"];
  text["hidden_size"] = 256;
  text["num_hidden_layers"] = 4;
  text["layer_types"] =
      json::array({"linear_attention", "linear_attention", "linear_attention", "full_attention"});
  text["num_attention_heads"] = 4;
  text["num_key_value_heads"] = 2;
  text["head_dim"] = 64;
  text["linear_num_key_heads"] = 2;
  text["linear_num_value_heads"] = 4;
  text["linear_key_head_dim"] = 64;
  text["linear_value_head_dim"] = 64;
  text["intermediate_size"] = 512;
  text["vocab_size"] = 300;
  return text;
}

// The keys Qwen3NextModel / Qwen3_5TextModel write; `mtp` appends that many MTP blocks.
GgufWriter Qwen3NextKeys(const std::string& a, int mtp) {
  GgufWriter w;
  w.Str("general.architecture", a);
  w.U32(a + ".block_count", 4 + mtp);
  if (mtp > 0) {
    w.U32(a + ".nextn_predict_layers", mtp);
  }
  w.U32(a + ".context_length", 262144);
  w.U32(a + ".embedding_length", 256);
  w.U32(a + ".feed_forward_length", 512);
  w.U32(a + ".attention.head_count", 4);
  w.U32(a + ".attention.head_count_kv", 2);
  w.U32(a + ".attention.key_length", 64);
  w.U32(a + ".attention.value_length", 64);
  w.U32(a + ".rope.dimension_count", 16);
  w.U32(a + ".full_attention_interval", 4);
  w.U32(a + ".ssm.conv_kernel", 4);
  w.U32(a + ".ssm.state_size", 64);
  w.U32(a + ".ssm.group_count", 2);
  w.U32(a + ".ssm.time_step_rank", 4);
  w.U32(a + ".ssm.inner_size", 256);
  return w;
}

TEST(GgufArch, Qwen35SplitDeltaNetProjections) {
  ModelSpec c = FromConfig(Qwen35Text());
  c.delta_layout = DeltaNetLayout::kQkvGateAlphaBeta;  // attn_qkv, attn_gate, ssm_beta, ssm_alpha
  GgufWriter w = Qwen3NextKeys("qwen35", 1);
  const auto types = AddTensors(&w, c);
  const ModelSpec m = ExpectSameAsConfig(w, c, types);
  EXPECT_EQ(m.delta_layout, DeltaNetLayout::kQkvGateAlphaBeta);
  EXPECT_EQ(m.stored_types.at("blk.0.attn_gate.weight"), "q8_0");
  EXPECT_EQ(m.stored_types.at("blk.0.ssm_beta.weight"), "fp16");
}

TEST(GgufArch, Qwen3NextOlderFileWithQkvzAndBetaAlpha) {
  ModelSpec c = FromConfig(Qwen35Text());
  c.delta_layout = DeltaNetLayout::kQkvzBa;  // ssm_in (q, k, v, z), ssm_beta_alpha
  GgufWriter w = Qwen3NextKeys("qwen3next", 0);
  const auto types = AddTensors(&w, c);
  const ModelSpec m = ExpectSameAsConfig(w, c, types);
  EXPECT_EQ(m.delta_layout, DeltaNetLayout::kQkvzBa);
  EXPECT_EQ(m.stored_types.at("blk.1.ssm_in.weight"), "q4_k");
}

// Gemma 3n's language model (the preset's text_config), shrunk: sliding and global layers, the
// last two reading earlier layers' caches.
TEST(GgufArch, Gemma3nPerLayerArraysAndTables) {
  const PresetText* p = FindPreset(EmbeddedModelPresets(), "gemma-3n-e2b");
  json text = json::parse(p->text)["text_config"];
  text["model_type"] = "gemma3n_text";
  text["hidden_size"] = 256;
  text["num_hidden_layers"] = 5;
  text["layer_types"] = json::array({"sliding_attention", "full_attention", "sliding_attention",
                                     "sliding_attention", "full_attention"});
  text["activation_sparsity_pattern"] = json::array({0.95, 0.95, 0.0, 0.0, 0.0});
  text["intermediate_size"] = json::array({512, 512, 512, 256, 256});
  text["num_attention_heads"] = 4;
  text["num_key_value_heads"] = 2;
  text["head_dim"] = 64;
  text["laurel_rank"] = 32;
  text["hidden_size_per_layer_input"] = 32;
  text["vocab_size"] = 300;
  text["vocab_size_per_layer_input"] = 300;
  text["num_kv_shared_layers"] = 2;
  const ModelSpec c = FromConfig(text);
  GgufWriter w;
  const std::string a = "gemma3n";
  w.Str("general.architecture", a);
  w.U32(a + ".block_count", 5);
  w.U32(a + ".context_length", 32768);
  w.U32(a + ".embedding_length", 256);
  w.ArrU32(a + ".feed_forward_length", {512, 512, 512, 256, 256});
  w.U32(a + ".attention.head_count", 4);
  w.U32(a + ".attention.head_count_kv", 2);
  w.U32(a + ".attention.key_length", 64);
  w.U32(a + ".attention.value_length", 64);
  w.U32(a + ".attention.sliding_window", 512);
  w.ArrBool(a + ".attention.sliding_window_pattern", {true, false, true, true, false});
  w.U32(a + ".attention.shared_kv_layers", 2);
  w.U32(a + ".altup.active_idx", 0);
  w.U32(a + ".altup.num_inputs", 4);
  w.U32(a + ".embedding_length_per_layer_input", 32);
  const auto types = AddTensors(&w, c, [](const WeightTensor& t) -> std::vector<uint64_t> {
    if (t.name == "per_layer_token_embd.weight") {
      return {5 * 32, 300};
    }
    if (EndsWith(t.name, "laurel_l.weight")) {
      return {256, 32};
    }
    return {};
  });
  ExpectSameAsConfig(w, c, types);
}

}  // namespace
}  // namespace slmroof
