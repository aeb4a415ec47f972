// GGUF architectures beyond the dense transformers (src/io/gguf_arch*.cpp): each test writes the
// file llama.cpp's converter would write from a shipped preset's config (shrunk to a few small
// layers), every matrix at a type of its own, and checks that the model read back has the
// config's layers, holds exactly the file's tensor bytes, and costs every operator as the config
// does with the same type per tensor.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "gguf_writer.hpp"
#include "slmroof/engine.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/graph.hpp"
#include "slmroof/io/gguf.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/presets.hpp"
#include "slmroof/weights.hpp"

namespace slmroof {
namespace {

using nlohmann::json;
using testing::GgufWriter;

// A ggml type the tests write: id, elements and bytes per block, slmroof's name.
struct Ggml {
  uint32_t id;
  uint64_t block;
  uint64_t bytes;
  const char* name;
};
constexpr Ggml kF32{0, 1, 4, "fp32"}, kF16{1, 1, 2, "fp16"}, kQ8{8, 32, 34, "q8_0"},
    kQ4K{12, 256, 144, "q4_k"}, kQ6K{14, 256, 210, "q6_k"};

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// A mixed file: routed experts q4_K, shared experts q8_0, ffn_down q6_K in layer 0, attention
// q8_0, recurrent projections q4_K, the rest f16; a row the block does not divide falls back to
// q8_0, then f16. Convolution taps are f32.
Ggml Pick(const WeightTensor& t) {
  Ggml g = kF16;
  if (t.role == TensorRole::kFfnGateExps || t.role == TensorRole::kFfnUpExps ||
      t.role == TensorRole::kFfnDownExps || t.role == TensorRole::kSsmIn ||
      t.role == TensorRole::kSsmOut) {
    g = kQ4K;
  } else if (t.name.find("_shexp") != std::string::npos || t.name.find("attn_") != std::string::npos) {
    g = kQ8;
  } else if (t.role == TensorRole::kFfnDown && t.layer == 0) {
    g = kQ6K;
  } else if (t.role == TensorRole::kSsmConv) {
    g = kF32;
  }
  if (t.cols % static_cast<int64_t>(g.block) != 0) {
    g = t.cols % 32 == 0 ? kQ8 : kF16;
  }
  return g;
}

const LayerSpec& LayerAt(const ModelSpec& c, int64_t il) {
  for (const LayerGroup& g : c.groups) {
    if (il < g.repeat) {
      return g.layer;
    }
    il -= g.repeat;
  }
  return c.groups.back().layer;
}

// The file's tensors: every tensor the config's model lists, matrices at Pick's types (2-D,
// or 3-D where `shape` says so), 1-D ones f32.
using Shape = std::function<std::vector<uint64_t>(const WeightTensor&)>;
std::map<std::string, std::string> AddTensors(GgufWriter* w, const ModelSpec& c,
                                              const Shape& shape = nullptr) {
  std::map<std::string, std::string> types;
  for (const WeightTensor& t : ListWeightTensors(c)) {
    const auto n = static_cast<uint64_t>(t.elements);
    if (t.role == TensorRole::kVector) {
      // A Mamba layer's convolution bias is a tensor of its own, as in llama.cpp's files.
      const LayerSpec* l = t.layer >= 0 ? &LayerAt(c, t.layer) : nullptr;
      uint64_t bias = 0;
      if (l != nullptr && l->mixer == MixerKind::kMamba && l->ssm.conv_bias &&
          EndsWith(t.name, "ssm_vectors")) {
        const SsmSpec& m = l->ssm;
        bias = static_cast<uint64_t>(m.version == 1 ? m.d_inner : m.d_inner + 2 * m.n_groups * m.d_state);
        w->Add("blk." + std::to_string(t.layer) + ".ssm_conv1d.bias", {bias}, kF32.id, 4 * bias);
      }
      w->Add(t.name, {n - bias}, kF32.id, 4 * (n - bias));
      continue;
    }
    const Ggml g = Pick(t);
    std::vector<uint64_t> ne = shape ? shape(t) : std::vector<uint64_t>{};
    if (ne.empty()) {
      ne = {static_cast<uint64_t>(t.cols), n / static_cast<uint64_t>(t.cols)};
    }
    w->Add(t.name, ne, g.id, n / g.block * g.bytes);
    types[t.name] = g.name;
  }
  return types;
}

// A preset's config with some keys replaced (null removes one).
json Shrunk(const std::string& preset, const json& changes) {
  const PresetText* p = FindPreset(EmbeddedModelPresets(), preset);
  EXPECT_NE(p, nullptr) << preset;
  // nemotron-h-4b's time_step_limit holds Infinity, which JSON lacks: a large number instead.
  std::string text = p->text;
  for (size_t at = text.find("Infinity"); at != std::string::npos; at = text.find("Infinity")) {
    text.replace(at, 8, "1e300");
  }
  json cfg = json::parse(text);
  for (const auto& [key, value] : changes.items()) {
    if (value.is_null()) {
      cfg.erase(key);
    } else {
      cfg[key] = value;
    }
  }
  return cfg;
}

ModelSpec FromConfig(const json& cfg) { return ParseModelJson(cfg.dump(), "c.json", "c"); }

double TensorBytes(const GgufFile& f) {
  double b = 0;
  for (const GgufTensor& t : f.tensors) {
    b += static_cast<double>(t.bytes);
  }
  return b;
}

// The three checks of this file; returns the model read back.
ModelSpec ExpectSameAsConfig(const GgufWriter& w, ModelSpec c,
                             const std::map<std::string, std::string>& types) {
  const GgufFile f = ParseGguf(w.Build(), "t.gguf");
  const ModelSpec m = ModelFromGguf(f, "t");
  EXPECT_EQ(m.NumLayers(), c.NumLayers());
  EXPECT_EQ(m.vocab_size, c.vocab_size);
  EXPECT_EQ(m.hidden_size, c.hidden_size);
  EXPECT_EQ(m.tie_word_embeddings, c.tie_word_embeddings);
  EXPECT_EQ(m.groups.size(), c.groups.size());
  for (size_t i = 0; i < std::min(m.groups.size(), c.groups.size()); ++i) {
    EXPECT_TRUE(m.groups[i].layer == c.groups[i].layer) << "group " << i;
    EXPECT_EQ(m.groups[i].repeat, c.groups[i].repeat) << "group " << i;
  }
  EXPECT_EQ(m.stored_types, types);
  Scenario s;
  s.weights = StoredWeights(m, "");
  EXPECT_DOUBLE_EQ(WeightsInMemory(m, s), TensorBytes(f));
  c.stored_types = types;
  Scenario sc = s;
  sc.weights = StoredWeights(c, "");
  for (Phase phase : {Phase::kDecode, Phase::kPrefill}) {
    s.seq_len = sc.seq_len = 64;
    const auto ops = BuildOperators(m, s, phase);
    const auto from_config = BuildOperators(c, sc, phase);
    EXPECT_EQ(ops.size(), from_config.size());
    for (size_t i = 0; i < std::min(ops.size(), from_config.size()); ++i) {
      EXPECT_EQ(ops[i].name, from_config[i].name);
      EXPECT_EQ(ops[i].weight_type, from_config[i].weight_type) << ops[i].name;
      EXPECT_DOUBLE_EQ(ops[i].bytes(), from_config[i].bytes()) << ops[i].name;
      EXPECT_DOUBLE_EQ(ops[i].flops, from_config[i].flops) << ops[i].name;
    }
  }
  return m;
}

// Decode's weight bytes of the operators whose name ends with `tail`, by storage type.
std::map<std::string, double> WeightBytesOf(const std::vector<Operator>& ops, const std::string& tail) {
  std::map<std::string, double> by;
  for (const Operator& op : ops) {
    if (EndsWith(op.name, tail) || op.name.find(tail + ".") != std::string::npos) {
      by[op.weight_type] += op.weight_bytes;
    }
  }
  return by;
}

// The keys TextModel.set_gguf_parameters writes for every transformer.
void TransformerKeys(GgufWriter* w, const std::string& a, const json& cfg) {
  w->Str("general.architecture", a);
  w->U32(a + ".block_count", cfg["num_hidden_layers"]);
  w->U32(a + ".context_length", cfg["max_position_embeddings"]);
  w->U32(a + ".embedding_length", cfg["hidden_size"]);
  w->U32(a + ".attention.head_count", cfg["num_attention_heads"]);
  if (cfg.contains("num_key_value_heads")) {
    w->U32(a + ".attention.head_count_kv", cfg["num_key_value_heads"]);
  }
  if (cfg.contains("head_dim")) {
    w->U32(a + ".attention.key_length", cfg["head_dim"]);
    w->U32(a + ".attention.value_length", cfg["head_dim"]);
  }
}

TEST(GgufArch, Qwen3MoeEveryExpertAtItsType) {
  const json cfg = Shrunk("qwen3-30b-a3b", {{"hidden_size", 256}, {"num_hidden_layers", 3},
                                            {"num_attention_heads", 4}, {"num_key_value_heads", 2},
                                            {"head_dim", 64}, {"num_experts", 4},
                                            {"num_experts_per_tok", 2},
                                            {"moe_intermediate_size", 256},
                                            {"intermediate_size", 512}, {"vocab_size", 300}});
  const ModelSpec c = FromConfig(cfg);
  GgufWriter w;
  TransformerKeys(&w, "qwen3moe", cfg);
  w.U32("qwen3moe.feed_forward_length", 512);
  w.U32("qwen3moe.expert_count", 4);
  w.U32("qwen3moe.expert_used_count", 2);
  w.U32("qwen3moe.expert_feed_forward_length", 256);
  const auto types = AddTensors(&w, c, [](const WeightTensor& t) -> std::vector<uint64_t> {
    if (EndsWith(t.name, "_exps.weight")) {
      return {static_cast<uint64_t>(t.cols), static_cast<uint64_t>(t.elements) / 4 /
                                                 static_cast<uint64_t>(t.cols), 4};
    }
    return {};
  });
  const ModelSpec m = ExpectSameAsConfig(w, c, types);
  EXPECT_EQ(m.stored_types.at("blk.2.ffn_down_exps.weight"), "q4_k");
  EXPECT_EQ(m.stored_types.at("blk.0.attn_q.weight"), "q8_0");
}

// DeepSeek-V2-Lite (MLA without a query LoRA, two shared experts, one leading dense layer).
json DeepseekConfig() {
  return Shrunk("deepseek-v2-lite", {{"hidden_size", 256}, {"num_hidden_layers", 3},
                                     {"num_attention_heads", 2}, {"num_key_value_heads", 2},
                                     {"kv_lora_rank", 64}, {"qk_nope_head_dim", 32},
                                     {"qk_rope_head_dim", 32}, {"v_head_dim", 32},
                                     {"intermediate_size", 512}, {"moe_intermediate_size", 256},
                                     {"n_routed_experts", 4}, {"num_experts_per_tok", 2},
                                     {"n_shared_experts", 2}, {"vocab_size", 300}});
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

// The Mamba-2 keys GraniteHybridModel and NemotronHModel write (time_step_rank: the heads).
void SsmKeys(GgufWriter* w, const std::string& a, uint32_t state, uint32_t heads, uint32_t inner,
             uint32_t groups) {
  w->U32(a + ".ssm.conv_kernel", 4);
  w->U32(a + ".ssm.state_size", state);
  w->U32(a + ".ssm.group_count", groups);
  w->U32(a + ".ssm.inner_size", inner);
  w->U32(a + ".ssm.time_step_rank", heads);
}

TEST(GgufArch, NemotronHPerLayerArrays) {
  const json cfg = Shrunk("nemotron-h-4b", {{"hidden_size", 256}, {"num_hidden_layers", 5},
                                            {"hybrid_override_pattern", "M-M*-"},
                                            {"num_attention_heads", 4}, {"num_key_value_heads", 2},
                                            {"attention_head_dim", 64}, {"intermediate_size", 512},
                                            {"mamba_num_heads", 8}, {"mamba_head_dim", 64},
                                            {"n_groups", 2}, {"ssm_state_size", 16},
                                            {"chunk_size", nullptr}, {"vocab_size", 300}});
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
    EXPECT_STREQ(e.what(), "t.gguf: nemotron_h.attention.head_count_kv holds 2 values for 5 layers "
                           "(block_count)");
  }
}

TEST(GgufArch, GraniteHybridMoe) {
  const json cfg = Shrunk(
      "granite-4.0-h-tiny",
      {{"hidden_size", 256}, {"num_hidden_layers", 4},
       {"layer_types", {"mamba", "attention", "mamba", "mamba"}}, {"num_attention_heads", 4},
       {"num_key_value_heads", 2}, {"intermediate_size", 256}, {"shared_intermediate_size", 512},
       {"num_local_experts", 4}, {"num_experts_per_tok", 2}, {"mamba_n_heads", 8},
       {"mamba_d_head", 32}, {"mamba_d_state", 16}, {"vocab_size", 300}});
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
  const json cfg = Shrunk("lfm2-350m", {{"hidden_size", 256}, {"num_hidden_layers", 4},
                                        {"full_attn_idxs", {1, 3}}, {"num_attention_heads", 4},
                                        {"num_key_value_heads", 2}, {"block_ff_dim", 768},
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
  const json cfg = Shrunk("mamba-130m", {{"hidden_size", 256}, {"d_model", 256}, {"num_hidden_layers", 2},
                                         {"n_layer", 2}, {"intermediate_size", 512},
                                         {"d_inner", 512}, {"vocab_size", 320}});
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

TEST(GgufArch, UnmappedArchitectureNamed) {
  GgufWriter w;
  w.Str("general.architecture", "jamba");
  try {
    ModelFromGguf(ParseGguf(w.Build(), "t.gguf"), "t");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("t.gguf: general.architecture is 'jamba', which slmroof "
                                          "does not map to a model yet (mapped: deepseek2, gemma, ",
                                          0),
              0U)
        << e.what();
  }
}

}  // namespace
}  // namespace slmroof
