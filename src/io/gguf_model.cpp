// A GGUF file as a model (docs/gguf.md "From GGUF metadata to a model"): general.architecture
// names the family, its `{arch}.*` keys are read as the HuggingFace config keys they were
// converted from (llama.cpp's convert_hf_to_gguf), and the HF reader builds the layers. Every
// matrix the layers imply must then be in the file with that shape; each is costed at the type
// the file stores it in.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "io/model_common.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/gguf_summary.hpp"
#include "slmroof/io/gguf.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/text.hpp"
#include "slmroof/weights.hpp"

namespace slmroof {

namespace {

using nlohmann::json;

// general.architecture → the transformers model_type whose reader applies (llama.cpp's
// LLM_ARCH names, llama-arch.cpp). Architectures with per-layer arrays, experts or recurrent
// layers are not mapped yet.
const std::map<std::string, std::string>& Architectures() {
  static const std::map<std::string, std::string> kMap = {
      {"llama", "llama"},     {"qwen2", "qwen2"},     {"qwen3", "qwen3"},
      {"phi3", "phi3"},       {"gemma", "gemma"},     {"gemma2", "gemma2"},
      {"gemma3", "gemma3_text"}, {"granite", "granite"}, {"olmo2", "olmo2"},
      {"stablelm", "stablelm"}, {"smollm3", "smollm3"}};
  return kMap;
}

class Mapper {
 public:
  Mapper(const GgufFile& f, std::string arch) : f_(f), arch_(std::move(arch)) {}

  const GgufTensor* Tensor(const std::string& name) const {
    for (const GgufTensor& t : f_.tensors) {
      if (t.name == name) {
        return &t;
      }
    }
    return nullptr;
  }

  // {arch}.<key> as a scalar integer; absent: nullopt; an array: an error (per-layer values).
  std::optional<int64_t> Int(const std::string& key) const {
    const GgufKv* kv = f_.Find(arch_ + "." + key);
    if (kv == nullptr) {
      return std::nullopt;
    }
    if (kv->value.is_array()) {
      throw InputError(fmt::format("{}: {}.{} holds one value per layer, which slmroof does not "
                                   "map for {} yet",
                                   OneLine(f_.path, 200), arch_, key, arch_));
    }
    if (!kv->value.is_number_integer()) {
      throw InputError(fmt::format("{}: {}.{} must be an integer, got {}", OneLine(f_.path, 200),
                                   arch_, key, DescribeJson(kv->value)));
    }
    return kv->value.get<int64_t>();
  }
  int64_t Required(const std::string& key) const {
    const std::optional<int64_t> v = Int(key);
    if (!v) {
      throw InputError(fmt::format("{}: the metadata has no {}.{}", OneLine(f_.path, 200), arch_, key));
    }
    return *v;
  }

 private:
  const GgufFile& f_;
  std::string arch_;
};

}  // namespace

ModelSpec ModelFromGguf(const GgufFile& f, const std::string& name) {
  const std::string arch = f.Architecture();
  const auto it = Architectures().find(arch);
  if (it == Architectures().end()) {
    std::vector<std::string> known;
    for (const auto& [a, t] : Architectures()) {
      known.push_back(a);
    }
    throw InputError(fmt::format("{}: general.architecture is {}, which slmroof does not map to a "
                                 "model yet (mapped: {})",
                                 OneLine(f.path, 200), arch.empty() ? "missing" : Excerpt(arch),
                                 fmt::join(known, ", ")));
  }
  const Mapper m(f, arch);
  json cfg;
  cfg["model_type"] = it->second;
  const GgufTensor* embd = m.Tensor("token_embd.weight");
  if (embd == nullptr || embd->ne.size() != 2) {
    throw InputError(fmt::format("{}: the file has no 2-D token_embd.weight", OneLine(f.path, 200)));
  }
  cfg["vocab_size"] = embd->ne[1];
  cfg["hidden_size"] = m.Required("embedding_length");
  cfg["num_hidden_layers"] = m.Required("block_count");
  cfg["num_attention_heads"] = m.Required("attention.head_count");
  if (auto kv = m.Int("attention.head_count_kv")) {
    cfg["num_key_value_heads"] = *kv;
  }
  cfg["intermediate_size"] = m.Required("feed_forward_length");
  if (auto c = m.Int("context_length")) {
    cfg["max_position_embeddings"] = *c;
  }
  const int64_t heads = cfg["num_attention_heads"].get<int64_t>();
  const int64_t hidden = cfg["hidden_size"].get<int64_t>();
  const int64_t head_dim = m.Int("attention.key_length").value_or(heads > 0 ? hidden / heads : 0);
  if (m.Int("attention.key_length")) {
    cfg["head_dim"] = head_dim;
  }
  if (auto rope = m.Int("rope.dimension_count"); rope && head_dim > 0) {
    cfg["partial_rotary_factor"] = static_cast<double>(*rope) / static_cast<double>(head_dim);
  }
  if (auto w = m.Int("attention.sliding_window")) {
    cfg["sliding_window"] = *w;
    if (arch == "qwen2" || arch == "qwen3") {
      cfg["use_sliding_window"] = true;
    }
  }
  cfg["tie_word_embeddings"] = m.Tensor("output.weight") == nullptr;
  cfg["attention_bias"] = m.Tensor("blk.0.attn_output.bias") != nullptr;
  cfg["mlp_bias"] = m.Tensor("blk.0.ffn_up.bias") != nullptr;

  JsonFields fields(fmt::format("{} (GGUF metadata)", f.path));
  ModelSpec model = reader::ReadHfConfig(fields, cfg, name, "");
  model.family = arch;
  if (const GgufKv* t = f.Find("general.file_type"); t != nullptr && t->value.is_number_integer()) {
    model.stored_file_type = LlamaFtypeName(t->value.get<int64_t>());
  }
  model.display_name = name;
  model.source = f.path;
  ValidateModel(model, f.path);

  // Every matrix the layers imply must be in the file, with the same elements; 1-D tensors
  // (norms, biases) are F32 in GGUF files and summed below.
  double listed_bytes = 0;
  std::map<std::string, bool> matched;
  for (const WeightTensor& t : ListWeightTensors(model)) {
    if (t.role == TensorRole::kVector) {
      listed_bytes += t.elements * 4;
      continue;
    }
    const GgufTensor* g = m.Tensor(t.name);
    if (g == nullptr) {
      throw InputError(fmt::format("{}: the metadata implies a tensor {} that the file does not "
                                   "hold",
                                   OneLine(f.path, 200), t.name));
    }
    if (g->elements() != t.elements) {
      throw InputError(fmt::format("{}: tensor {} has {} elements where the metadata implies {}",
                                   OneLine(f.path, 200), t.name, g->elements(), t.elements));
    }
    if (*g->type->dtype == '\0') {
      throw InputError(fmt::format("{}: tensor {} is stored as {}, which slmroof cannot cost",
                                   OneLine(f.path, 200), t.name, g->type->name));
    }
    model.stored_types[t.name] = g->type->dtype;
    matched[t.name] = true;
    listed_bytes += static_cast<double>(g->bytes);
  }
  double file_bytes = 0;
  std::vector<std::string> unplaced;
  for (const GgufTensor& t : f.tensors) {
    file_bytes += static_cast<double>(t.bytes);
    if (t.ne.size() > 1 && matched.count(t.name) == 0) {
      unplaced.push_back(t.name);
    }
  }
  // The rest (rope_freqs, 1-D tensors the cost model aggregates differently) is held, not streamed.
  model.extra_weight_bytes = std::max(0.0, file_bytes - listed_bytes);
  if (!unplaced.empty()) {
    model.warnings.push_back(fmt::format(
        "{}: {} tensor{} the cost model has no place for ({}{}) count{} in memory only",
        f.path, unplaced.size(), unplaced.size() == 1 ? "" : "s",
        fmt::join(unplaced.begin(), unplaced.begin() + std::min<size_t>(unplaced.size(), 3), ", "),
        unplaced.size() > 3 ? ", …" : "", unplaced.size() == 1 ? "s" : ""));
  }
  return model;
}

RecipeCheck CheckAgainstRecipe(const ModelSpec& model) {
  RecipeCheck c;
  if (model.stored_file_type.empty()) {
    c.verdict = "not compared with a recipe: general.file_type is absent or unknown";
    return c;
  }
  WeightSetting setting;
  try {
    setting = ParseWeightSetting(model.stored_file_type);
  } catch (const UsageError&) {
    c.verdict = fmt::format("not compared: slmroof has no recipe for {}", model.stored_file_type);
    return c;
  }
  const TensorTypes recipe = AssignTensorTypes(model, setting);
  std::vector<std::string> examples;
  int64_t matrices = 0;
  for (const WeightTensor& t : ListWeightTensors(model)) {
    const auto stored = model.stored_types.find(t.name);
    if (t.role == TensorRole::kVector || stored == model.stored_types.end()) {
      continue;
    }
    ++matrices;
    const std::string& expected = recipe.Of(t.role, t.layer).name;
    if (expected != stored->second) {
      ++c.differing;
      if (examples.size() < 3) {
        examples.push_back(fmt::format("{} is {} where the recipe gives {}", t.name, stored->second,
                                       expected));
      }
    }
  }
  c.matches = c.differing == 0;
  c.verdict = c.matches
                  ? fmt::format("the tensors are llama-quantize's {} mix ({} matrices checked)",
                                model.stored_file_type, matrices)
                  : fmt::format("mixed: {} of {} matrices differ from llama-quantize's {} ({}{})",
                                c.differing, matrices, model.stored_file_type,
                                fmt::join(examples, "; "), c.differing > 3 ? "; …" : "");
  return c;
}

}  // namespace slmroof
