#include "slmroof/weights.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "slmroof/errors.hpp"
#include "slmroof/plan.hpp"
#include "slmroof/text.hpp"
#include "slmroof/units.hpp"

namespace slmroof {

namespace {

// 1-D tensors outside GGUF: HF checkpoints store them in the float type of the weights, and
// integer-quantised checkpoints (AWQ, GPTQ) in fp16 (§2.2). GGUF files keep them in F32
// (llama_recipe.cpp).
const DType* VectorTypeFor(const DType& single) {
  return single.quantized ? &DTypeByName("fp16") : &single;
}


}  // namespace

const std::vector<LlamaFileType>& LlamaFileTypes() {
  // llama.cpp src/llama-quant.cpp, llama_ftype_get_default_type.
  static const std::vector<LlamaFileType> kTypes = {
      {"F32", "fp32"},       {"F16", "fp16"},       {"BF16", "bf16"},      {"Q8_0", "q8_0"},
      {"Q6_K", "q6_k"},      {"Q5_K_M", "q5_k"},    {"Q5_K_S", "q5_k"},    {"Q5_1", "q5_1"},
      {"Q5_0", "q5_0"},      {"Q4_K_M", "q4_k"},    {"Q4_K_S", "q4_k"},    {"Q4_1", "q4_1"},
      {"Q4_0", "q4_0"},      {"IQ4_XS", "iq4_xs"},  {"IQ4_NL", "iq4_nl"},  {"MXFP4_MOE", "mxfp4"},
      {"Q3_K_L", "q3_k"},    {"Q3_K_M", "q3_k"},    {"Q3_K_S", "q3_k"},    {"IQ3_M", "iq3_s"},
      {"IQ3_S", "iq3_s"},    {"IQ3_XS", "iq3_s"},   {"IQ3_XXS", "iq3_xxs"}, {"Q2_K", "q2_k"},
      {"Q2_K_S", "q2_k"},    {"IQ2_M", "iq2_s"},    {"IQ2_S", "iq2_xs"},   {"IQ2_XS", "iq2_xs"},
      {"IQ2_XXS", "iq2_xxs"}, {"TQ2_0", "tq2_0"},   {"IQ1_M", "iq1_m"},    {"TQ1_0", "tq1_0"},
      {"IQ1_S", "iq1_s"},
  };
  return kTypes;
}

WeightSetting ParseWeightSetting(std::string_view text) {
  WeightSetting s;
  const std::string lower = ToLower(text);
  if (lower.starts_with("pure:")) {
    const DType& t = DTypeByName(lower.substr(5));
    if (!t.ggml) {
      throw UsageError(fmt::format("{}: pure: takes a ggml type, not '{}'", Excerpt(text), t.name));
    }
    s.name = "pure:" + t.name;
    s.type = &t;
    s.pure = true;
    return s;
  }
  const std::vector<LlamaFileType>& files = LlamaFileTypes();
  for (size_t i = 0; i < files.size(); ++i) {
    if (ToLower(files[i].name) == lower) {
      s.name = files[i].name;
      s.type = &DTypeByName(files[i].default_type);
      s.file_type = static_cast<int>(i);
      return s;
    }
  }
  if (const DType* t = FindDType(lower)) {
    s.name = t->name;
    s.type = t;
    return s;
  }
  const std::vector<std::string> names = WeightSettingNames();
  const std::string hint = ClosestName(std::string(text), names);
  throw UsageError(fmt::format("unknown weight type {}{} (a llama.cpp file type, a storage type or "
                               "pure:TYPE: see 'slmroof list weights')",
                               Excerpt(text), hint.empty() ? "" : fmt::format(", did you mean '{}'?", hint)));
}

WeightSetting StoredWeights(const ModelSpec& model, const std::string& file_type_name) {
  auto map = std::make_shared<std::map<std::string, const DType*>>();
  for (const auto& [name, type] : model.stored_types) {
    (*map)[name] = &DTypeByName(type);
  }
  WeightSetting s;
  s.name = file_type_name.empty() ? "file" : fmt::format("file ({})", file_type_name);
  s.type = &DTypeByName("fp16");
  s.per_tensor = std::move(map);
  return s;
}

std::vector<std::string> WeightSettingNames() {
  std::vector<std::string> names;
  for (const LlamaFileType& f : LlamaFileTypes()) {
    names.push_back(f.name);
  }
  for (const DType& t : AllDTypes()) {
    if (std::none_of(LlamaFileTypes().begin(), LlamaFileTypes().end(),
                     [&](const LlamaFileType& f) { return ToLower(f.name) == t.name; })) {
      names.push_back(t.name);
    }
  }
  return names;
}

TensorTypes::TensorTypes(int64_t layers, const DType* fill, const DType* vector_type)
    : layers_(static_cast<size_t>(layers)) {
  for (auto& row : layers_) {
    row.fill(fill);
    row[static_cast<size_t>(TensorRole::kVector)] = vector_type;
    row[static_cast<size_t>(TensorRole::kSsmConv)] = vector_type;  // short taps stay in float
  }
  globals_.fill(fill);
  globals_[static_cast<size_t>(TensorRole::kVector)] = vector_type;
}

const DType& TensorTypes::Of(TensorRole role, int64_t layer) const {
  const auto r = static_cast<size_t>(role);
  if (layer < 0) {
    return *globals_[r];
  }
  return *layers_.at(static_cast<size_t>(layer))[r];
}

void TensorTypes::Set(TensorRole role, int64_t layer, const DType* type) {
  const auto r = static_cast<size_t>(role);
  if (layer < 0) {
    globals_[r] = type;
  } else {
    layers_.at(static_cast<size_t>(layer))[r] = type;
  }
}

TensorTypes AssignTensorTypes(const ModelSpec& model, const WeightSetting& setting) {
  if (setting.plan || setting.from_file) {
    return AssignTensorTypes(model, ResolveWeights(model, setting));
  }
  const std::vector<WeightTensor> tensors = ListWeightTensors(model);
  if (setting.per_tensor) {
    TensorTypes types(model.NumLayers(), setting.type, &DTypeByName("fp32"));
    for (const WeightTensor& t : tensors) {
      const auto it = setting.per_tensor->find(t.name);
      if (it != setting.per_tensor->end()) {
        types.Set(t.role, t.layer, it->second);
      }
    }
    return types;
  }
  if (setting.file_type >= 0) {
    return LlamaRecipe(model, tensors, LlamaFileTypes()[static_cast<size_t>(setting.file_type)],
                       false);
  }
  if (setting.pure || (setting.type->ggml && setting.type->quantized)) {
    // A single ggml type is a pure file of that type: its shape fallbacks still apply.
    return LlamaRecipe(model, tensors, {setting.type->name, setting.type->name}, true);
  }
  return TensorTypes(model.NumLayers(), setting.type, VectorTypeFor(*setting.type));
}

std::map<std::string, const DType*> TypesByTensor(const ModelSpec& model,
                                                  const WeightSetting& setting) {
  const TensorTypes types = AssignTensorTypes(model, setting);
  std::map<std::string, const DType*> map;
  for (const WeightTensor& t : ListWeightTensors(model)) {
    map[t.name] = &types.Of(t.role, t.layer);
  }
  return map;
}

WeightMix MixOf(const ModelSpec& model, const WeightSetting& setting) {
  const TensorTypes types = AssignTensorTypes(model, setting);
  WeightMix mix;
  std::map<std::string, TypeShare> by_type;
  for (const WeightTensor& t : ListWeightTensors(model)) {
    const DType& type = types.Of(t.role, t.layer);
    const double bytes = t.elements * type.bytes();
    TypeShare& share = by_type[type.name];
    share.type = type.name;
    share.tensors += 1;
    share.elements += t.elements;
    share.bytes += bytes;
    mix.elements += t.elements;
    mix.bytes += bytes;
  }
  for (auto& [name, share] : by_type) {
    mix.types.push_back(share);
  }
  std::stable_sort(mix.types.begin(), mix.types.end(),
                   [](const TypeShare& a, const TypeShare& b) { return a.bytes > b.bytes; });
  return mix;
}

}  // namespace slmroof
