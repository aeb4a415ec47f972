#pragma once

#include <string>
#include <vector>

#include "slmroof/model.hpp"

namespace slmroof {

/// Builds a model from JSON text: the native format (has "slmroof_model") or a HuggingFace
/// config.json (has "model_type"). `origin` names the file in errors; `name` is the model's id.
ModelSpec ParseModelJson(const std::string& text, const std::string& origin, const std::string& name);

/// Loads a model from a file path or a preset name (docs/model-format.md).
ModelSpec LoadModel(const std::string& name_or_path);

/// The HuggingFace model_type values slmroof reads.
const std::vector<std::string>& SupportedModelTypes();

}  // namespace slmroof
