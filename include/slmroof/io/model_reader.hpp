#pragma once

#include <string>
#include <vector>

#include "slmroof/model.hpp"

namespace slmroof {

/// Builds a model from JSON text: the native format (has "slmroof_model") or a HuggingFace
/// config.json (has "model_type"). `origin` names the file in errors; `name` is the model's id.
/// `as_family`, when not empty, is the model_type an HF config is read as (--as).
ModelSpec ParseModelJson(const std::string& text, const std::string& origin, const std::string& name,
                         const std::string& as_family = "");

/// Loads a model from a file path or a preset name (docs/model-format.md).
/// `as_family` (--as) applies to HF config files only, never to presets.
ModelSpec LoadModel(const std::string& name_or_path, const std::string& as_family = "");

/// The HuggingFace model_type values slmroof reads.
const std::vector<std::string>& SupportedModelTypes();

}  // namespace slmroof
