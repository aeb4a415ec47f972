#pragma once

#include <string>
#include <vector>

#include "slmroof/dtype.hpp"
#include "slmroof/weights.hpp"

namespace slmroof {

/// One sensitivity measurement (docs/quant-plan.md "Scores"): storing `unit` alone at `type`
/// costs `score` (a KL divergence, an MSE, any score that adds up over units; lower is better).
struct SensitivityRow {
  std::string unit;           ///< a GGUF tensor name, a glob over them, or an HF module name
  const DType* type = nullptr;
  double score = 0;
  std::string where;          ///< "FILE:LINE" or "FILE: KEY", for messages
};

/// Reads a generic score file: CSV with a header naming the columns tensor (or
/// tensor_or_pattern, pattern, unit), type and score, '#' comments; or JSON, an array of
/// {"tensor", "type", "score"} objects. Throws InputError naming the file, the line and the field.
std::vector<SensitivityRow> ReadScores(const std::string& path);
std::vector<SensitivityRow> ParseScores(const std::string& text, const std::string& origin);

/// The per-layer output of kl-ssm-quant's probe scripts (sensitivity_results*.json): an object
/// of HF module names, each an object of metrics, every unit probed at one bit width, which the
/// caller names as `type`. `metric` is the column taken (kl_student_to_teacher, the paper's).
std::vector<SensitivityRow> ReadKlProbe(const std::string& path, const DType& type,
                                        const std::string& metric);
std::vector<SensitivityRow> ParseKlProbe(const std::string& text, const std::string& origin,
                                         const DType& type, const std::string& metric);

/// The metrics of kl-ssm-quant's files that add up over units and are lower-better.
const std::vector<std::string>& KlProbeMetrics();

/// The tensors of `tensors` a unit names: an exact GGUF name, a glob ('*', '?') over GGUF
/// names, or an HF module name ("backbone.layers.3.mixer.in_proj", "model.layers.0.mlp.up_proj",
/// "lm_head") translated to the GGUF tensor it is converted to. Only matrices are returned;
/// empty when nothing matches.
std::vector<size_t> UnitTensors(const std::string& unit, const std::vector<WeightTensor>& tensors);

}  // namespace slmroof
