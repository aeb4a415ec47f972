// A GGUF file as a model (docs/gguf.md "From GGUF metadata to a model"): general.architecture
// names the family, its `{arch}.*` keys are read as the HuggingFace config keys they were
// converted from (llama.cpp's convert_hf_to_gguf), and the HF reader builds the layers. Every
// matrix the layers imply must then be in the file with that shape; each is costed at the type
// the file stores it in.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "io/gguf_mapper.hpp"
#include "io/model_common.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/gguf_summary.hpp"
#include "slmroof/io/gguf.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/limits.hpp"
#include "slmroof/text.hpp"
#include "slmroof/weights.hpp"

namespace slmroof {

using nlohmann::json;

namespace gguf_detail {

Mapper::Mapper(const GgufFile& f, std::string arch) : f_(f), arch_(std::move(arch)) {
  // MoE files hold thousands of tensors: one lookup table instead of a scan per name. The
  // first of two tensors of one name wins, as a scan would find it.
  tensors_.reserve(f.tensors.size());
  for (const GgufTensor& t : f.tensors) {
    tensors_.emplace(t.name, &t);
  }
}

const GgufTensor* Mapper::Tensor(const std::string& name) const {
  const auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : it->second;
}

bool Mapper::AnyLayerHas(int64_t layers, const std::string& suffix) const {
  for (int64_t i = 0; i < layers; ++i) {
    if (Tensor(fmt::format("blk.{}.{}", i, suffix)) != nullptr) {
      return true;
    }
  }
  return false;
}

const GgufKv* Mapper::Find(const std::string& key) const { return f_.Find(arch_ + "." + key); }

bool Mapper::Has(const std::string& key) const { return Find(key) != nullptr; }

void Mapper::Fail(const std::string& key, const std::string& what) const {
  throw InputError(fmt::format("{}: {}.{} {}", OneLine(f_.path, 200), arch_, key, what));
}

std::optional<int64_t> Mapper::Int(const std::string& key) const {
  const GgufKv* kv = Find(key);
  if (kv == nullptr) {
    return std::nullopt;
  }
  if (kv->value.is_array()) {
    Fail(key,
         fmt::format("holds one value per layer, which slmroof does not map for {} yet", arch_));
  }
  if (!kv->value.is_number_integer()) {
    Fail(key, fmt::format("must be an integer, got {}", DescribeJson(kv->value)));
  }
  return kv->value.get<int64_t>();
}

int64_t Mapper::Required(const std::string& key) const {
  const std::optional<int64_t> v = Int(key);
  if (!v) {
    throw InputError(
        fmt::format("{}: the metadata has no {}.{}", OneLine(f_.path, 200), arch_, key));
  }
  return *v;
}

std::optional<std::vector<int64_t>> Mapper::PerLayer(const std::string& key, int64_t layers) const {
  const GgufKv* kv = Find(key);
  if (kv == nullptr) {
    return std::nullopt;
  }
  const json& v = kv->value;
  if (v.is_number_integer()) {
    return std::vector<int64_t>(static_cast<size_t>(layers), v.get<int64_t>());
  }
  if (!v.is_array()) {
    Fail(key, fmt::format("must be an integer or one integer per layer, got {}", DescribeJson(v)));
  }
  if (v.size() != static_cast<size_t>(layers)) {
    Fail(key, fmt::format("holds {} values for {} layers (block_count)", kv->count, layers));
  }
  std::vector<int64_t> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_number_integer()) {
      Fail(key, fmt::format("[{}] must be an integer, got {}", i, DescribeJson(v[i])));
    }
    out.push_back(v[i].get<int64_t>());
  }
  return out;
}

std::optional<std::vector<bool>> Mapper::PerLayerBool(const std::string& key,
                                                      int64_t layers) const {
  const GgufKv* kv = Find(key);
  if (kv == nullptr) {
    return std::nullopt;
  }
  const json& v = kv->value;
  if (!v.is_array()) {
    Fail(key, fmt::format("must hold one bool per layer, got {}", DescribeJson(v)));
  }
  if (v.size() != static_cast<size_t>(layers)) {
    Fail(key, fmt::format("holds {} values for {} layers (block_count)", kv->count, layers));
  }
  std::vector<bool> out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_boolean()) {
      Fail(key, fmt::format("[{}] must be a bool, got {}", i, DescribeJson(v[i])));
    }
    out.push_back(v[i].get<bool>());
  }
  return out;
}

std::optional<double> Mapper::Number(const std::string& key) const {
  const GgufKv* kv = Find(key);
  if (kv == nullptr) {
    return std::nullopt;
  }
  if (kv->value.is_boolean()) {
    return kv->value.get<bool>() ? 1.0 : 0.0;
  }
  if (!kv->value.is_number()) {
    Fail(key, fmt::format("must be a number, got {}", DescribeJson(kv->value)));
  }
  return kv->value.get<double>();
}

std::optional<bool> Mapper::Bool(const std::string& key) const {
  const GgufKv* kv = Find(key);
  if (kv == nullptr) {
    return std::nullopt;
  }
  if (kv->value.is_boolean()) {
    return kv->value.get<bool>();
  }
  if (kv->value.is_number_integer()) {
    return kv->value.get<int64_t>() != 0;
  }
  Fail(key, fmt::format("must be a bool, got {}", DescribeJson(kv->value)));
}

}  // namespace gguf_detail

namespace {

using gguf_detail::GgufArch;
using gguf_detail::Mapper;

// Recurrent layers' A, D and gated-norm scales are 2-D in llama.cpp's files ({1, H}, {N, E},
// {E/G, G}), and so are the biases of stacked experts ({width, E}), but they are among the
// per-layer vectors the layers count (docs/cost-model.md §11, §6.3).
bool IsLayerVector(const std::string& name) {
  for (const char* tail : {".ssm_a", ".ssm_d", ".ssm_norm.weight", ".bias"}) {
    const std::string t = tail;
    if (name.size() >= t.size() && name.compare(name.size() - t.size(), t.size(), t) == 0) {
      return true;
    }
  }
  return false;
}

// The tensors llama.cpp's converters split a Gated DeltaNet layer's input projection into, as
// the first such layer holds them; kFused (one ssm_in) when it holds none of the split names.
DeltaNetLayout DeltaLayoutOf(const Mapper& m, const ModelSpec& model) {
  int64_t il = 0;
  for (const LayerGroup& g : model.groups) {
    if (g.layer.mixer == MixerKind::kGatedDeltaNet) {
      auto has = [&](const char* suffix) {
        return m.Tensor(fmt::format("blk.{}.{}.weight", il, suffix)) != nullptr;
      };
      if (has("attn_qkv")) {
        return has("ssm_beta") ? DeltaNetLayout::kQkvGateAlphaBeta : DeltaNetLayout::kQkvGateBa;
      }
      return has("ssm_beta_alpha") ? DeltaNetLayout::kQkvzBa : DeltaNetLayout::kFused;
    }
    il += g.repeat;
  }
  return DeltaNetLayout::kFused;
}

const GgufArch* FindArch(const std::string& arch) {
  for (const GgufArch& a : gguf_detail::GgufArchitectures()) {
    if (arch == a.arch) {
      return &a;
    }
  }
  return nullptr;
}

}  // namespace

ModelSpec ModelFromGguf(const GgufFile& f, const std::string& name) {
  const std::string arch = f.Architecture();
  const GgufArch* mapped = FindArch(arch);
  if (mapped == nullptr) {
    std::vector<std::string> known;
    for (const GgufArch& a : gguf_detail::GgufArchitectures()) {
      known.emplace_back(a.arch);
    }
    std::sort(known.begin(), known.end());
    throw InputError(fmt::format("{}: general.architecture is {}, which slmroof does not map to a "
                                 "model yet (mapped: {})",
                                 OneLine(f.path, 200), arch.empty() ? "missing" : Excerpt(arch),
                                 fmt::join(known, ", ")));
  }
  const Mapper m(f, arch);
  json cfg;
  cfg["model_type"] = mapped->model_type;
  const GgufTensor* embd = m.Tensor("token_embd.weight");
  if (embd == nullptr || embd->ne.size() != 2) {
    throw InputError(fmt::format("{}: the file has no 2-D token_embd.weight", OneLine(f.path, 200)));
  }
  cfg["vocab_size"] = embd->ne[1];
  cfg["hidden_size"] = m.Required("embedding_length");
  // Bounded before any per-layer array or tensor name is built from it.
  const int64_t layers = m.Required("block_count");
  if (layers < limits::kLayers.min || layers > limits::kLayers.max) {
    m.Fail("block_count", fmt::format("is {}; expected {} to {}", layers, limits::kLayers.min,
                                      limits::kLayers.max));
  }
  cfg["num_hidden_layers"] = layers;
  if (auto c = m.Int("context_length")) {
    cfg["max_position_embeddings"] = *c;
  }
  cfg["tie_word_embeddings"] = m.Tensor("output.weight") == nullptr;
  mapped->map(m, &cfg);

  JsonFields fields(fmt::format("{} (GGUF metadata)", f.path));
  ModelSpec model = reader::ReadHfConfig(fields, cfg, name, "");
  model.family = arch;
  if (const GgufKv* t = f.Find("general.file_type"); t != nullptr && t->value.is_number_integer()) {
    model.stored_file_type = LlamaFtypeName(t->value.get<int64_t>());
  }
  model.display_name = name;
  model.source = f.path;
  ValidateModel(model, f.path);
  // llama.cpp's converter splits MLA's kv_b into attn_k_b and attn_v_b (older files keep
  // attn_kv_b): the layers then list the two.
  model.split_kv_b =
      m.Tensor("blk.0.attn_k_b.weight") != nullptr && m.Tensor("blk.0.attn_kv_b.weight") == nullptr;
  model.delta_layout = DeltaLayoutOf(m, model);

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
    if (t.ne.size() > 1 && matched.count(t.name) == 0 && !IsLayerVector(t.name)) {
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
