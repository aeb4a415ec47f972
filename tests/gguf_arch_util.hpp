#pragma once

// Shared by the GGUF architecture tests (gguf_arch_test.cpp, gguf_hybrid_test.cpp): a file as
// llama.cpp's converter would write it from a shipped preset's config (shrunk to a few small
// layers), every matrix at a type of its own, and the checks that the model read back has the
// config's layers, holds exactly the file's tensor bytes, and costs every operator as the
// config does with the same type per tensor.

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gguf_writer.hpp"
#include "slmroof/engine.hpp"
#include "slmroof/graph.hpp"
#include "slmroof/gguf_summary.hpp"
#include "slmroof/io/gguf.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/plan.hpp"
#include "slmroof/presets.hpp"
#include "slmroof/weights.hpp"

namespace slmroof::testing::gguf_arch {

using nlohmann::json;

// A ggml type the tests write: id, elements and bytes per block, slmroof's name.
struct Ggml {
  uint32_t id;
  uint64_t block;
  uint64_t bytes;
  const char* name;
};
constexpr Ggml kF32{0, 1, 4, "fp32"}, kF16{1, 1, 2, "fp16"}, kQ8{8, 32, 34, "q8_0"},
    kQ4K{12, 256, 144, "q4_k"}, kQ6K{14, 256, 210, "q6_k"};

inline bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// A mixed file: routed experts q4_K, shared experts q8_0, ffn_down q6_K in layer 0, attention
// q8_0, recurrent projections q4_K, the rest f16; a row the block does not divide falls back to
// q8_0, then f16. Convolution taps are f32.
inline Ggml Pick(const WeightTensor& t) {
  Ggml g = kF16;
  if (t.role == TensorRole::kFfnGateExps || t.role == TensorRole::kFfnUpExps ||
      t.role == TensorRole::kFfnDownExps || t.role == TensorRole::kSsmIn ||
      t.role == TensorRole::kSsmOut) {
    g = kQ4K;
  } else if (t.name.find("_shexp") != std::string::npos ||
             t.name.find("attn_") != std::string::npos) {
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

inline const LayerSpec& LayerAt(const ModelSpec& c, int64_t il) {
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
inline std::map<std::string, std::string> AddTensors(GgufWriter* w, const ModelSpec& c,
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
        bias = static_cast<uint64_t>(m.version == 1 ? m.d_inner
                                                    : m.d_inner + 2 * m.n_groups * m.d_state);
        w->Add("blk." + std::to_string(t.layer) + ".ssm_conv1d.bias", {bias}, kF32.id, 4 * bias);
      }
      // Biases under the names the readers look for (the lister sums each layer's into one).
      std::string name = t.name;
      for (const auto& [from, to] :
           {std::pair<std::string, std::string>{"attn_output_bias", "attn_output.bias"},
            {"ffn_bias", "ffn_up.bias"}}) {
        if (EndsWith(name, "." + from)) {
          name = name.substr(0, name.size() - from.size()) + to;
        }
      }
      w->Add(name, {n - bias}, kF32.id, 4 * (n - bias));
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
inline json Shrunk(const std::string& preset, const json& changes) {
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

inline ModelSpec FromConfig(const json& cfg) { return ParseModelJson(cfg.dump(), "c.json", "c"); }

inline double TensorBytes(const GgufFile& f) {
  double b = 0;
  for (const GgufTensor& t : f.tensors) {
    b += static_cast<double>(t.bytes);
  }
  return b;
}

// inspect's summary, field by field, against sums taken here from the file's own tensor table:
// every (role, type) group and every role with its tensors, elements and bytes, the totals, the
// bits per weight, and the architecture's keys among the cost metadata.
inline void ExpectInspectFields(const GgufFile& f, const std::string& arch) {
  const GgufSummary s = Summarize(f);
  EXPECT_EQ(s.architecture, arch);
  struct Sum {
    int64_t tensors = 0;
    double elements = 0;
    double bytes = 0;
  };
  std::map<std::pair<std::string, std::string>, Sum> groups;
  std::map<std::string, Sum> roles;
  double elements = 0, bytes = 0;
  for (const GgufTensor& t : f.tensors) {
    std::string role = t.name;
    if (role.rfind("blk.", 0) == 0) {
      role = role.substr(role.find('.', 4) + 1);
    }
    for (Sum* x : {&groups[{role, t.type->name}], &roles[role]}) {
      x->tensors += 1;
      x->elements += t.elements();
      x->bytes += static_cast<double>(t.bytes);
    }
    elements += t.elements();
    bytes += static_cast<double>(t.bytes);
  }
  EXPECT_EQ(s.groups.size(), groups.size());
  for (const GgufGroup& g : s.groups) {
    const auto it = groups.find({g.role, g.type});
    ASSERT_NE(it, groups.end()) << g.role << " " << g.type;
    EXPECT_EQ(g.tensors, it->second.tensors) << g.role << " " << g.type;
    EXPECT_DOUBLE_EQ(g.elements, it->second.elements) << g.role << " " << g.type;
    EXPECT_DOUBLE_EQ(g.bytes, it->second.bytes) << g.role << " " << g.type;
  }
  EXPECT_EQ(s.roles.size(), roles.size());
  for (const GgufRole& r : s.roles) {
    const auto it = roles.find(r.role);
    ASSERT_NE(it, roles.end()) << r.role;
    EXPECT_EQ(r.tensors, it->second.tensors) << r.role;
    EXPECT_DOUBLE_EQ(r.bytes, it->second.bytes) << r.role;
    EXPECT_DOUBLE_EQ(r.bits_per_weight(), 8 * it->second.bytes / it->second.elements) << r.role;
  }
  EXPECT_DOUBLE_EQ(s.elements, elements);
  EXPECT_DOUBLE_EQ(s.bytes, bytes);
  EXPECT_DOUBLE_EQ(s.bits_per_weight(), 8 * bytes / elements);
  size_t arch_keys = 0;
  for (const GgufKv& kv : f.kv) {
    arch_keys += kv.key.rfind(arch + ".", 0) == 0 ? 1 : 0;
  }
  EXPECT_EQ(s.cost_keys.size(), arch_keys);
  for (const GgufKv* kv : s.cost_keys) {
    EXPECT_EQ(kv->key.rfind(arch + ".", 0), 0u) << kv->key;
  }
}

// The config with the plan inspect --emit-plan writes (read back from its JSON) costs every
// operator as the file does and holds the same weights, less the tensors the config does not
// describe.
inline void ExpectConfigPlusPlan(const ModelSpec& m, ModelSpec c, double file_bytes) {
  c.stored_types.clear();
  const QuantPlan plan = ParsePlan(PlanJson(PlanFromStoredTypes(m)), "emitted.json");
  Scenario s, sc;
  s.weights = StoredWeights(m, "");
  sc.weights = ResolveWeights(
      c, WithPlan(ParseWeightSetting("fp16"), std::make_shared<const QuantPlan>(plan)));
  EXPECT_DOUBLE_EQ(WeightsInMemory(c, sc), file_bytes - m.extra_weight_bytes);
  for (Phase phase : {Phase::kDecode, Phase::kPrefill}) {
    s.seq_len = sc.seq_len = 64;
    const auto a = BuildOperators(m, s, phase);
    const auto b = BuildOperators(c, sc, phase);
    EXPECT_EQ(a.size(), b.size());
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
      EXPECT_EQ(a[i].name, b[i].name);
      EXPECT_EQ(a[i].weight_type, b[i].weight_type) << a[i].name;
      EXPECT_DOUBLE_EQ(a[i].bytes(), b[i].bytes()) << a[i].name;
      EXPECT_DOUBLE_EQ(a[i].flops, b[i].flops) << a[i].name;
    }
  }
}

// The checks of this file (the layers, the weight bytes, every operator against the config with
// the same types per tensor, inspect's fields, the config with the emitted plan); returns the
// model read back.
inline ModelSpec ExpectSameAsConfig(const GgufWriter& w, ModelSpec c,
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
  // inspect's fields, and the config with the plan inspect --emit-plan writes.
  const GgufKv* arch = f.Find("general.architecture");
  ExpectInspectFields(f, arch != nullptr ? arch->value.get<std::string>() : "");
  ExpectConfigPlusPlan(m, c, TensorBytes(f));
  return m;
}

// Decode's weight bytes of the operators whose name ends with `tail`, by storage type.
inline std::map<std::string, double> WeightBytesOf(const std::vector<Operator>& ops,
                                                   const std::string& tail) {
  std::map<std::string, double> by;
  for (const Operator& op : ops) {
    if (EndsWith(op.name, tail) || op.name.find(tail + ".") != std::string::npos) {
      by[op.weight_type] += op.weight_bytes;
    }
  }
  return by;
}

// The keys TextModel.set_gguf_parameters writes for every transformer.
inline void TransformerKeys(GgufWriter* w, const std::string& a, const json& cfg) {
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

// The Mamba-2 keys GraniteHybridModel and NemotronHModel write (time_step_rank: the heads).
inline void SsmKeys(GgufWriter* w, const std::string& a, uint32_t state, uint32_t heads,
                    uint32_t inner, uint32_t groups) {
  w->U32(a + ".ssm.conv_kernel", 4);
  w->U32(a + ".ssm.state_size", state);
  w->U32(a + ".ssm.group_count", groups);
  w->U32(a + ".ssm.inner_size", inner);
  w->U32(a + ".ssm.time_step_rank", heads);
}

}  // namespace slmroof::testing::gguf_arch
