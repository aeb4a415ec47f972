#pragma once

// Private to the model readers (model_reader.cpp: the native format; hf_config.cpp: HuggingFace
// config.json): what both need to build a ModelSpec.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "slmroof/io/json_fields.hpp"
#include "slmroof/model.hpp"

namespace slmroof::reader {

/// The activation an HF or native config names; an unknown one fails naming `path`.
Activation ParseActivation(const JsonFields& f, const std::string& value, const std::string& path);

/// Appends `repeat` copies of `layer`, merged into the last group when identical.
void AppendLayers(ModelSpec* model, const LayerSpec& layer, int64_t repeat);

/// Reads a HuggingFace config.json (docs/model-format.md, "HuggingFace configs"); `as_family`,
/// when not empty, is the model_type to read it as whatever its own says (--as).
ModelSpec ReadHfConfig(const JsonFields& f, const nlohmann::json& cfg, const std::string& name,
                       const std::string& as_family);

/// Whether `doc` is a state-spaces `mamba_ssm` config (d_model, n_layer, no model_type).
bool IsMambaSsmConfig(const nlohmann::json& doc);

/// Reads a `mamba_ssm` MambaConfig (mamba_ssm_config.cpp; docs/model-format.md).
ModelSpec ReadMambaSsmConfig(const JsonFields& f, const nlohmann::json& doc, const std::string& name);

/// Appends Gemma 3n's decoder layers (a gemma3n_text config viewed by `v`) to `m` and sets its
/// per-layer embedding and AltUp fields (hf_gemma3n.cpp).
class View;
void ReadGemma3nLayers(const View& v, int64_t layers, ModelSpec* m);

/// Appends Zamba2's Mamba-2 and hybrid layers to `m` and sets its shared blocks (hf_zamba2.cpp).
void ReadZamba2Layers(const View& v, int64_t layers, ModelSpec* m);

/// A state-space or hybrid family hf_hybrid.cpp reads.
struct HybridFamily {
  const char* model_type;
  const char* architecture;  ///< the class `architectures` names
  bool tie_default;          ///< tie_word_embeddings when the config omits it
};
const std::vector<HybridFamily>& HybridFamilies();

/// Appends the layers of a hybrid family's config (`type` from HybridFamilies()), `layers` of
/// them, to `m`, whose vocabulary and width are read already (hf_hybrid.cpp).
void ReadHybridLayers(const JsonFields& f, const nlohmann::json& cfg, const std::string& type,
                      int64_t layers, ModelSpec* m);

}  // namespace slmroof::reader
