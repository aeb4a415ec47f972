// `slmroof inspect FILE.gguf`: a GGUF file's architecture, cost metadata, tensors by role and
// type, bits per weight and file type, read from its header and tensor table only.
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "render/human.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/gguf_summary.hpp"
#include "slmroof/io/gguf.hpp"
#include "slmroof/model.hpp"
#include "slmroof/plan.hpp"
#include "slmroof/render.hpp"
#include "slmroof/text.hpp"

namespace slmroof::cli {

namespace {

using Json = nlohmann::ordered_json;

// A metadata value on one line: arrays of more than 8 values are cut, with their length.
std::string Compact(const GgufKv& kv) {
  if (kv.type == 9) {
    if (kv.value.is_null()) {
      return fmt::format("[{} values, not kept]", kv.count);
    }
    std::vector<std::string> parts;
    for (size_t i = 0; i < kv.value.size() && i < 8; ++i) {
      parts.push_back(kv.value[i].dump());
    }
    return fmt::format("[{}{}]{}", fmt::join(parts, ", "), kv.value.size() > 8 ? ", …" : "",
                       kv.value.size() > 8 ? fmt::format(" ({} values)", kv.value.size()) : "");
  }
  if (kv.value.is_string()) {
    return Excerpt(kv.value.get<std::string>());
  }
  return kv.value.is_null() ? "(not kept)" : kv.value.dump();
}

std::string Text(const GgufSummary& s, size_t tensors, size_t keys, const std::string& recipe) {
  std::string out = fmt::format("{}: GGUF v{}, {}, {} tensors, {} metadata keys\n", s.path, s.version,
                                human::Si(s.file_bytes, "B"), tensors, keys);
  out += fmt::format("  architecture  {}{}\n", s.architecture.empty() ? "(none)" : s.architecture,
                     s.name.empty() ? "" : fmt::format(" ({})", OneLine(s.name, 100)));
  out += fmt::format("  file type     {}\n",
                     s.file_type < 0 ? std::string("(general.file_type absent)")
                                     : fmt::format("{} (general.file_type {})",
                                                   s.file_type_name.empty() ? "unknown" : s.file_type_name,
                                                   s.file_type));
  if (!recipe.empty()) {
    out += fmt::format("                {}\n", recipe);
  }
  out += fmt::format("  weights       {} elements, {}, {:.4g} bits per weight: {}\n",
                     human::Si(s.elements, ""), human::Si(s.bytes, "B"), s.bits_per_weight(),
                     s.TypeMix());
  if (s.vocab > 0) {
    out += fmt::format("  vocabulary    {} tokens\n", s.vocab);
  }
  if (!s.cost_keys.empty()) {
    out += fmt::format("\nmetadata ({}.*)\n", s.architecture);
    size_t width = 0;
    for (const GgufKv* kv : s.cost_keys) {
      width = std::max(width, kv->key.size());
    }
    for (const GgufKv* kv : s.cost_keys) {
      out += fmt::format("  {:<{}}  {}\n", kv->key, width, Compact(*kv));
    }
  }
  out += "\ntensors by role and type\n";
  out += fmt::format("  {:<32} {:<8} {:>7} {:>10} {:>10} {:>8}\n", "role", "type", "tensors",
                     "elements", "bytes", "bits/w");
  for (const GgufGroup& g : s.groups) {
    out += fmt::format("  {:<32} {:<8} {:>7} {:>10} {:>10} {:>8.4g}\n", g.role, g.type, g.tensors,
                       human::Si(g.elements, ""), human::Si(g.bytes, "B"),
                       g.elements > 0 ? 8 * g.bytes / g.elements : 0.0);
  }
  out += "\nbits per weight by role\n";
  for (const GgufRole& r : s.roles) {
    out += fmt::format("  {:<32} {:>8.4g}  ({} of the bytes)\n", r.role, r.bits_per_weight(),
                       fmt::format("{:.3g}%", s.bytes > 0 ? 100 * r.bytes / s.bytes : 0.0));
  }
  return out;
}

Json ToJson(const GgufSummary& s, const GgufFile& f, const std::string& recipe) {
  Json meta = Json::object();
  for (const GgufKv* kv : s.cost_keys) {
    meta[kv->key] = kv->value.is_null() && kv->type == 9 ? Json{{"count", kv->count}}
                                                          : Json::parse(kv->value.dump());
  }
  Json groups = Json::array();
  for (const GgufGroup& g : s.groups) {
    groups.push_back({{"role", g.role}, {"type", g.type}, {"tensors", g.tensors},
                      {"elements", g.elements}, {"bytes", g.bytes},
                      {"bits_per_weight", RoundSig(g.elements > 0 ? 8 * g.bytes / g.elements : 0)}});
  }
  Json roles = Json::array();
  for (const GgufRole& r : s.roles) {
    roles.push_back({{"role", r.role}, {"tensors", r.tensors}, {"elements", r.elements},
                     {"bytes", r.bytes}, {"bits_per_weight", RoundSig(r.bits_per_weight())}});
  }
  return {{"path", s.path},
          {"gguf_version", s.version},
          {"file_bytes", s.file_bytes},
          {"architecture", s.architecture},
          {"name", s.name},
          {"file_type", s.file_type < 0 ? Json(nullptr)
                                        : Json{{"id", s.file_type}, {"name", s.file_type_name}}},
          {"recipe_check", recipe},
          {"vocab", s.vocab},
          {"metadata", meta},
          {"tensor_count", f.tensors.size()},
          {"elements", s.elements},
          {"bytes", s.bytes},
          {"bits_per_weight", RoundSig(s.bits_per_weight())},
          {"groups", groups},
          {"roles", roles}};
}

}  // namespace

std::function<int()> SetupInspect(CLI::App& cmd) {
  auto path = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("table");
  auto emit_plan = std::make_shared<std::string>();
  cmd.add_option("file", *path, "A GGUF file")->required();
  cmd.add_option("--emit-plan", *emit_plan,
                 "Also write the plan that reproduces the file's tensor types to FILE (JSON: the "
                 "file type's recipe and a rule per difference; for analyze --plan)");
  cmd.add_option("--format", *format, "Output format")->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd.footer("\nReads the header, the metadata and the tensor table only, never the tensor data.");
  return [path, format, emit_plan] {
    const GgufFile file = ReadGguf(*path);
    const GgufSummary s = Summarize(file);
    std::string plan_text;
    if (!emit_plan->empty()) {
      // Needs the model: an architecture that does not map is an error, before anything is written.
      plan_text = PlanJson(PlanFromStoredTypes(
          ModelFromGguf(file, std::filesystem::path(*path).stem().string())));
    }
    // The file type llama.cpp would call it: the stored types against its recipe, where the
    // architecture maps to a model (docs/gguf.md).
    std::string recipe;
    try {
      const ModelSpec model = ModelFromGguf(file, "inspect");
      recipe = CheckAgainstRecipe(model).verdict;
    } catch (const InputError& e) {
      recipe = fmt::format("not compared with a recipe: {}", OneLine(e.what(), 200));
    }
    Emit(*format == "json"
             ? ToJson(s, file, recipe).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"
             : Text(s, file.tensors.size(), file.kv.size(), recipe),
         "");
    if (!emit_plan->empty()) {
      Emit(plan_text, *emit_plan);
    }
    return kExitOk;
  };
}

}  // namespace slmroof::cli
