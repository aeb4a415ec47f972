#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "slmroof/dtype.hpp"
#include "slmroof/model.hpp"
#include "slmroof/weights.hpp"

namespace slmroof {

/// One line of a mixed-precision plan (docs/gguf.md "Plan files"): the tensors it selects and
/// the type they get. Every selector given must hold; a rule with none selects every matrix.
struct PlanRule {
  std::string tensors;  ///< a glob over GGUF tensor names ("blk.*.ffn_down.weight"); empty: any
  std::string role;     ///< a tensor kind ("attn_v", "ssm_in") or group ("experts"); empty: any
  std::vector<std::pair<int64_t, int64_t>> layers;  ///< inclusive layer ranges; empty: any
  std::string layers_text;  ///< as written, for messages and for writing the plan back
  const DType* type = nullptr;
};

/// A mixed-precision plan: storage types by rule on top of a base setting; later rules win.
struct QuantPlan {
  std::string origin;  ///< the file it was read from, for messages and names
  std::string base;    ///< a --weights setting ("Q4_K_M", "q8_0"); empty: the command's own
  std::string model;   ///< the model it was written for (informational)
  std::vector<PlanRule> rules;
};

/// Parses a plan file's text; throws InputError naming `origin`, the rule and the field.
QuantPlan ParsePlan(const std::string& text, const std::string& origin);

/// Reads a plan file (ParsePlan of its contents).
QuantPlan ReadPlan(const std::string& path);

/// The plan as JSON text, in the form ParsePlan reads.
std::string PlanJson(const QuantPlan& plan);

/// True when `name` matches the glob `pattern` ('*' any run of characters, '?' one character).
bool GlobMatch(std::string_view pattern, std::string_view name);

/// The kind of a tensor as plans name it: "blk.3.attn_v.weight" -> "attn_v",
/// "output.weight" -> "output", "shared_blk.0.ffn_up.weight" -> "ffn_up".
std::string TensorKind(std::string_view name);

/// True when `rule` selects `tensor` (a matrix: 1-D tensors stay F32 and are never selected).
bool RuleSelects(const PlanRule& rule, const WeightTensor& tensor);

/// The setting a command costs `model` at: `setting` itself, a GGUF model's stored types when
/// `setting` asks for them (`from_file`), and a plan's rules applied on top. Throws InputError
/// when a plan gives a tensor a type whose block does not divide its rows, or gives two tensors
/// that slmroof costs as one (a role in one layer) different types, and, with
/// `every_rule_selects`, when a rule selects no matrix (a typo, or a plan for another model;
/// sweep's depth variants are resolved without it, so that a rule on layers 12-15 is a no-op at
/// depth 8).
WeightSetting ResolveWeights(const ModelSpec& model, const WeightSetting& setting,
                             bool every_rule_selects = true);

/// Two tensors `setting` (per tensor) gives different types although slmroof costs them as one
/// (one type per role and layer), or nothing.
std::optional<std::pair<std::string, std::string>> CollapsedTensors(const ModelSpec& model,
                                                                    const WeightSetting& setting);

/// `setting` with `plan` applied on top (its base replaces `setting` when the plan names one);
/// named "plan FILE".
WeightSetting WithPlan(const WeightSetting& setting, std::shared_ptr<const QuantPlan> plan);

/// The plan that reproduces a model's stored types (a GGUF file's mix): the file type's recipe
/// as the base when the file records one, and a rule for each kind and type that differs,
/// with the layers it differs in.
QuantPlan PlanFromStoredTypes(const ModelSpec& model);

}  // namespace slmroof
