// Mixed-precision plans (docs/gguf.md "Plan files"): storage types by rule over the tensors of
// a model, resolved into one type per tensor before anything is costed.
#include "slmroof/plan.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "slmroof/errors.hpp"
#include "slmroof/io/json_fields.hpp"
#include "slmroof/text.hpp"
#include "slmroof/units.hpp"

namespace slmroof {

namespace {

using nlohmann::json;

constexpr size_t kMaxRules = 100000;

// Groups a plan may name instead of one kind, by how llama.cpp names their tensors.
bool InGroup(std::string_view group, std::string_view kind) {
  if (group == "experts") {
    return kind.ends_with("_exps");
  }
  if (group == "shared_experts") {
    return kind.ends_with("_shexp");
  }
  if (group == "attn") {
    return kind.starts_with("attn_");
  }
  if (group == "ffn") {
    return kind.starts_with("ffn_");
  }
  if (group == "ssm") {
    return kind.starts_with("ssm_") || kind.starts_with("shortconv.");
  }
  return false;
}
const std::vector<std::string>& Groups() {
  static const std::vector<std::string> kGroups = {"experts", "shared_experts", "attn", "ffn",
                                                   "ssm"};
  return kGroups;
}

// "0-3,8" -> {{0, 3}, {8, 8}}; every bound within limits::kDepth's layer indices.
std::vector<std::pair<int64_t, int64_t>> ParseLayerList(const std::string& text,
                                                        const JsonFields& f,
                                                        const std::string& path) {
  std::vector<std::pair<int64_t, int64_t>> out;
  const int64_t top = limits::kDepth.max - 1;
  auto number = [&](std::string_view s) {
    s = Trim(s);
    int64_t v = -1;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 0 || v > top) {
      f.Fail(path, fmt::format("has {}, which is not a layer index from 0 to {} (write ranges "
                               "as '0-3,8')",
                               Excerpt(s), top));
    }
    return v;
  };
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) {
      comma = text.size();
    }
    const std::string_view item = std::string_view(text).substr(start, comma - start);
    const size_t dash = item.find('-');
    const int64_t a = number(dash == std::string_view::npos ? item : item.substr(0, dash));
    const int64_t b = dash == std::string_view::npos ? a : number(item.substr(dash + 1));
    if (b < a) {
      f.Fail(path, fmt::format("has the range {}, which runs backwards", Excerpt(item)));
    }
    out.emplace_back(a, b);
    start = comma + 1;
  }
  return out;
}

std::string LayerListText(const std::vector<int64_t>& layers) {
  std::string text;
  for (size_t i = 0; i < layers.size();) {
    size_t j = i;
    while (j + 1 < layers.size() && layers[j + 1] == layers[j] + 1) {
      ++j;
    }
    text += text.empty() ? "" : ",";
    text += i == j ? fmt::format("{}", layers[i]) : fmt::format("{}-{}", layers[i], layers[j]);
    i = j + 1;
  }
  return text;
}

PlanRule ParseRule(const json& r, const JsonFields& f, const std::string& path) {
  if (!r.is_object()) {
    f.Fail(path, fmt::format("must be an object with \"type\" and selectors, got {}",
                             DescribeJson(r)));
  }
  for (const auto& [key, value] : r.items()) {
    if (key != "tensors" && key != "role" && key != "layers" && key != "type" && key != "comment") {
      f.Fail(path + "." + key, "is not a rule field (tensors, role, layers, type, comment)");
    }
  }
  PlanRule rule;
  rule.tensors = f.OptString(r, "tensors", path + ".tensors", limits::kMaxNameBytes).value_or("");
  rule.role = ToLower(f.OptString(r, "role", path + ".role", limits::kMaxNameBytes).value_or(""));
  if (r.contains("layers")) {
    const json& l = r.at("layers");
    if (l.is_number_integer()) {
      const int64_t top = limits::kDepth.max - 1;
      if (l.is_number_unsigned() ? l.get<uint64_t>() > static_cast<uint64_t>(top)
                                 : (l.get<int64_t>() < 0 || l.get<int64_t>() > top)) {
        f.Fail(path + ".layers", fmt::format("is {}, which is not a layer index from 0 to {}",
                                             DescribeJson(l), top));
      }
      rule.layers_text = std::to_string(l.get<int64_t>());
    } else if (l.is_string()) {
      rule.layers_text = f.String(r, "layers", path + ".layers", limits::kMaxNameBytes);
    } else {
      f.Fail(path + ".layers", fmt::format("must be a layer index or a list such as \"0-3,8\", "
                                           "got {}", DescribeJson(l)));
    }
    rule.layers = ParseLayerList(rule.layers_text, f, path + ".layers");
  }
  const std::string type = f.String(r, "type", path + ".type", limits::kMaxNameBytes);
  try {
    rule.type = &DTypeByName(type);
  } catch (const UsageError& e) {
    f.Fail(path + ".type", fmt::format("names an {}", e.what()));
  }
  return rule;
}

bool InLayers(const PlanRule& rule, int64_t layer) {
  if (rule.layers.empty()) {
    return true;
  }
  return std::any_of(rule.layers.begin(), rule.layers.end(),
                     [&](const auto& r) { return layer >= r.first && layer <= r.second; });
}

std::string RuleName(const QuantPlan& plan, size_t i) {
  return fmt::format("{}: rules[{}]", OneLine(plan.origin, 200), i);
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view name) {
  // Iterative with one backtrack point: linear in practice, never exponential.
  size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

std::string TensorKind(std::string_view name) {
  for (std::string_view prefix : {"blk.", "shared_blk."}) {
    if (name.starts_with(prefix)) {
      const size_t dot = name.find('.', prefix.size());
      name = dot == std::string_view::npos ? name : name.substr(dot + 1);
      break;
    }
  }
  for (std::string_view suffix : {".weight", ".bias"}) {
    if (name.ends_with(suffix)) {
      name.remove_suffix(suffix.size());
      break;
    }
  }
  return std::string(name);
}

bool RuleSelects(const PlanRule& rule, const WeightTensor& t) {
  if (t.role == TensorRole::kVector || t.cols <= 0) {
    return false;
  }
  if (!rule.tensors.empty() && !GlobMatch(rule.tensors, t.name)) {
    return false;
  }
  if (!rule.role.empty()) {
    const std::string kind = TensorKind(t.name);
    if (kind != rule.role && !InGroup(rule.role, kind)) {
      return false;
    }
  }
  if (!rule.layers.empty() && (t.layer < 0 || !InLayers(rule, t.layer))) {
    return false;
  }
  return true;
}

QuantPlan ParsePlan(const std::string& text, const std::string& origin) {
  const JsonFields f(origin);
  const json doc = f.ParseObject(text);
  for (const auto& [key, value] : doc.items()) {
    if (key != "slmroof_plan" && key != "base" && key != "model" && key != "rules" &&
        key != "comment") {
      f.Fail(key, "is not a plan field (slmroof_plan, base, model, rules, comment)");
    }
  }
  (void)f.OptInt(doc, "slmroof_plan", "slmroof_plan", {1, 1});  // checked: only version 1 exists
  QuantPlan plan;
  plan.origin = origin;
  plan.base = f.OptString(doc, "base", "base", limits::kMaxNameBytes).value_or("");
  if (!plan.base.empty() && ToLower(plan.base) != "file") {
    try {
      (void)ParseWeightSetting(plan.base);
    } catch (const UsageError& e) {
      f.Fail("base", fmt::format("is not a weight setting: {}", e.what()));
    }
  }
  plan.model = f.OptString(doc, "model", "model", limits::kMaxNameBytes).value_or("");
  const json& rules = f.Array(doc, "rules", "rules");
  if (rules.size() > kMaxRules) {
    f.Fail("rules", fmt::format("holds {} rules; at most {} are read", rules.size(), kMaxRules));
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    plan.rules.push_back(ParseRule(rules[i], f, fmt::format("rules[{}]", i)));
  }
  return plan;
}

QuantPlan ReadPlan(const std::string& path) { return ParsePlan(ReadTextFile(path), path); }

std::string PlanJson(const QuantPlan& plan) {
  nlohmann::ordered_json doc;
  doc["slmroof_plan"] = 1;
  if (!plan.model.empty()) {
    doc["model"] = plan.model;
  }
  if (!plan.base.empty()) {
    doc["base"] = plan.base;
  }
  doc["rules"] = nlohmann::ordered_json::array();
  for (const PlanRule& r : plan.rules) {
    nlohmann::ordered_json j;
    if (!r.tensors.empty()) {
      j["tensors"] = r.tensors;
    }
    if (!r.role.empty()) {
      j["role"] = r.role;
    }
    if (!r.layers_text.empty()) {
      j["layers"] = r.layers_text;
    }
    j["type"] = r.type->name;
    doc["rules"].push_back(j);
  }
  return doc.dump(2) + "\n";
}

WeightSetting WithPlan(const WeightSetting& setting, std::shared_ptr<const QuantPlan> plan) {
  WeightSetting s = setting;
  if (!plan->base.empty()) {
    if (ToLower(plan->base) == "file") {
      s = WeightSetting{};
      s.name = "file";
      s.type = &DTypeByName("fp16");
      s.from_file = true;
    } else {
      s = ParseWeightSetting(plan->base);
    }
  }
  const std::string file = std::filesystem::path(plan->origin).filename().string();
  s.name = plan->base.empty() ? fmt::format("plan {} on {}", file, setting.name)
                              : fmt::format("plan {} ({})", file, s.name);
  s.plan = std::move(plan);
  return s;
}

WeightSetting ResolveWeights(const ModelSpec& model, const WeightSetting& setting,
                             bool every_rule_selects) {
  WeightSetting base = setting;
  base.plan = nullptr;
  base.from_file = false;
  if (setting.from_file && !model.stored_types.empty()) {
    base = StoredWeights(model, model.stored_file_type);
  }
  if (!setting.plan) {
    return base;
  }
  const QuantPlan& plan = *setting.plan;
  const std::vector<WeightTensor> tensors = ListWeightTensors(model);
  auto map = std::make_shared<std::map<std::string, const DType*>>(TypesByTensor(model, base));
  std::set<std::string> kinds;
  for (const WeightTensor& t : tensors) {
    kinds.insert(TensorKind(t.name));
  }
  for (size_t i = 0; i < plan.rules.size(); ++i) {
    const PlanRule& rule = plan.rules[i];
    if (!rule.role.empty() && kinds.count(rule.role) == 0 &&
        std::find(Groups().begin(), Groups().end(), rule.role) == Groups().end()) {
      const std::vector<std::string> names(kinds.begin(), kinds.end());
      const std::string hint = ClosestName(rule.role, names);
      throw InputError(fmt::format("{}: role {} is no kind of tensor {} has{}", RuleName(plan, i),
                                   Excerpt(rule.role), model.name,
                                   hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
    }
    size_t selected = 0;
    for (const WeightTensor& t : tensors) {
      if (!RuleSelects(rule, t)) {
        continue;
      }
      ++selected;
      if (t.cols % rule.type->block_elems != 0) {
        throw InputError(fmt::format("{}: {} has rows of {} elements, which {}'s blocks of {} do "
                                     "not divide",
                                     RuleName(plan, i), t.name, t.cols, rule.type->name,
                                     rule.type->block_elems));
      }
      (*map)[t.name] = rule.type;
    }
    if (selected == 0 && every_rule_selects) {
      throw InputError(fmt::format("{}: selects no matrix of {} ({} layers)", RuleName(plan, i),
                                   model.name, model.NumLayers()));
    }
  }
  WeightSetting resolved;
  resolved.name = setting.name;
  resolved.type = base.type;
  resolved.per_tensor = map;
  if (const auto pair = CollapsedTensors(model, resolved)) {
    throw InputError(fmt::format("{}: the plan gives {} {} and {} {}, which slmroof costs as one "
                                 "tensor kind",
                                 OneLine(plan.origin, 200), pair->first, map->at(pair->first)->name,
                                 pair->second, map->at(pair->second)->name));
  }
  return resolved;
}

std::optional<std::pair<std::string, std::string>> CollapsedTensors(const ModelSpec& model,
                                                                    const WeightSetting& setting) {
  if (!setting.per_tensor) {
    return std::nullopt;
  }
  // slmroof costs one type per role and layer (TensorTypes): tensors sharing one must agree.
  std::map<std::pair<int, int64_t>, const WeightTensor*> first;
  const std::vector<WeightTensor> tensors = ListWeightTensors(model);
  for (const WeightTensor& t : tensors) {
    first.emplace(std::pair{static_cast<int>(t.role), t.layer}, &t);
  }
  auto type_of = [&](const WeightTensor& t) {
    const auto it = setting.per_tensor->find(t.name);
    return it == setting.per_tensor->end() ? nullptr : it->second;
  };
  for (const WeightTensor& t : tensors) {
    const WeightTensor* other = first.at({static_cast<int>(t.role), t.layer});
    if (other != &t && type_of(*other) != type_of(t)) {
      return std::pair{other->name, t.name};
    }
  }
  return std::nullopt;
}

QuantPlan PlanFromStoredTypes(const ModelSpec& model) {
  QuantPlan plan;
  plan.model = model.name;
  plan.origin = model.name;
  WeightSetting base;
  base.name = "fp16";
  base.type = &DTypeByName("fp16");
  if (!model.stored_file_type.empty()) {
    try {
      base = ParseWeightSetting(model.stored_file_type);
      plan.base = base.name;
    } catch (const UsageError&) {
      // A file type slmroof has no recipe for: every differing tensor gets a rule.
    }
  }
  if (plan.base.empty()) {
    plan.base = "f16";
    base = ParseWeightSetting("f16");
  }
  const std::vector<WeightTensor> tensors = ListWeightTensors(model);
  const TensorTypes base_types = AssignTensorTypes(model, base);
  // Differences grouped by kind and type, in file order.
  struct Group {
    std::string kind;
    const DType* type;
    std::vector<int64_t> layers;
    std::vector<std::string> globals;
  };
  std::vector<Group> groups;
  std::map<std::string, size_t> of_kind;  // the layers' matrices of each kind
  std::set<std::string> global_kinds;     // kinds some tensor outside the layers has too
  for (const WeightTensor& t : tensors) {
    if (t.role == TensorRole::kVector || t.cols <= 0) {
      continue;
    }
    const std::string kind = TensorKind(t.name);
    if (t.layer >= 0 && t.name.starts_with("blk.")) {
      of_kind[kind] += 1;
    } else {
      global_kinds.insert(kind);
    }
    const auto it = model.stored_types.find(t.name);
    if (it == model.stored_types.end()) {
      continue;
    }
    const DType* stored = &DTypeByName(it->second);
    if (stored == &base_types.Of(t.role, t.layer)) {
      continue;
    }
    auto g = std::find_if(groups.begin(), groups.end(),
                          [&](const Group& x) { return x.kind == kind && x.type == stored; });
    if (g == groups.end()) {
      groups.push_back({kind, stored, {}, {}});
      g = groups.end() - 1;
    }
    if (t.layer >= 0 && t.name.starts_with("blk.")) {
      g->layers.push_back(t.layer);
    } else {
      g->globals.push_back(t.name);
    }
  }
  for (const Group& g : groups) {
    for (const std::string& name : g.globals) {
      plan.rules.push_back({name, "", {}, "", g.type});
    }
    if (g.layers.empty()) {
      continue;
    }
    PlanRule rule{"", g.kind, {}, "", g.type};
    if (g.layers.size() != of_kind.at(g.kind) || global_kinds.count(g.kind) > 0) {
      rule.layers_text = LayerListText(g.layers);
      for (size_t i = 0; i < g.layers.size();) {
        size_t j = i;
        while (j + 1 < g.layers.size() && g.layers[j + 1] == g.layers[j] + 1) {
          ++j;
        }
        rule.layers.emplace_back(g.layers[i], g.layers[j]);
        i = j + 1;
      }
    }
    plan.rules.push_back(rule);
  }
  return plan;
}

}  // namespace slmroof
