#include "slmroof/engine_profile.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "slmroof/errors.hpp"
#include "slmroof/io/hardware_reader.hpp"
#include "slmroof/io/json_fields.hpp"
#include "slmroof/presets.hpp"
#include "slmroof/text.hpp"

namespace slmroof {

using nlohmann::json;

namespace {

SourcedValue ReadSourced(const JsonFields& f, const json& obj, const std::string& key,
                         const std::string& path, RealRange range, double fallback) {
  if (!obj.contains(key)) {
    return {fallback, ""};
  }
  const json& v = f.Object(obj, key, path + "." + key);
  SourcedValue out;
  out.value = f.Number(v, "value", path + "." + key + ".value", range);
  out.source = f.String(v, "source", path + "." + key + ".source");
  return out;
}

BackendProfile ReadBackend(const JsonFields& f, const std::string& name, const json& b,
                           const std::string& path) {
  if (!b.is_object()) {
    f.Fail(path, "must be an object");
  }
  BackendProfile p;
  p.name = name;
  if (auto act = f.OptString(b, "activation_type", path + ".activation_type")) {
    DTypeByName(*act);  // validates the name
    p.act = *act;
  }
  if (auto att = f.OptString(b, "attention", path + ".attention")) {
    if (*att != "flash" && *att != "none") {
      f.Fail(path + ".attention", "must be flash or none");
    }
    p.fusion = *att == "flash" ? Fusion::kFlash : Fusion::kNone;
  }
  if (auto u = f.OptInt(b, "n_ubatch", path + ".n_ubatch", limits::kUbatch)) {
    p.exec.n_ubatch = *u;
  }
  if (auto q = f.OptString(b, "quantized_math", path + ".quantized_math")) {
    Precision prec;
    if (!ParsePrecision(*q, &prec)) {
      f.Fail(path + ".quantized_math", "is not a precision (fp32, fp16, bf16, int8, int4)");
    }
    p.exec.quantized_math = prec;
  }
  if (auto kv = f.OptString(b, "unfused_kv_read", path + ".unfused_kv_read")) {
    if (*kv != "per_query_head" && *kv != "per_kv_head") {
      f.Fail(path + ".unfused_kv_read", "must be per_query_head or per_kv_head");
    }
    p.exec.unfused_kv_per_query_head = *kv == "per_query_head";
  }
  if (auto pad = f.OptInt(b, "kv_pad", path + ".kv_pad", limits::kKvPad)) {
    p.exec.kv_pad = *pad;
  }
  if (auto pad = f.OptInt(b, "kv_pad_unfused", path + ".kv_pad_unfused", limits::kKvPad)) {
    p.exec.kv_pad_unfused = *pad;
  }
  if (b.contains("mla")) {
    const json& mla = f.Object(b, "mla", path + ".mla");
    for (const char* phase : {"prefill", "decode"}) {
      if (auto form = f.OptString(mla, phase, path + ".mla." + phase)) {
        if (*form != "absorbed" && *form != "naive") {
          f.Fail(path + ".mla." + phase, "must be absorbed or naive");
        }
        (std::string(phase) == "prefill" ? p.exec.mla_prefill : p.exec.mla_decode) =
            *form == "naive" ? MlaForm::kNaive : MlaForm::kAbsorbed;
      }
    }
  }
  if (auto swa = f.OptString(b, "swa_cache", path + ".swa_cache")) {
    if (*swa != "window" && *swa != "window_plus_ubatch") {
      f.Fail(path + ".swa_cache", "must be window or window_plus_ubatch");
    }
    p.exec.swa_cache_adds_ubatch = *swa == "window_plus_ubatch";
  }
  p.exec.tied_output_duplicated =
      f.OptBool(b, "tied_output_duplicated", path + ".tied_output_duplicated").value_or(false);
  p.exec.float_math_from_weights =
      f.OptBool(b, "float_math_from_weights", path + ".float_math_from_weights").value_or(false);
  p.matrix_engines = f.OptBool(b, "matrix_engines", path + ".matrix_engines").value_or(false);
  p.bandwidth_fraction = ReadSourced(f, b, "bandwidth_fraction", path, limits::kAchievedFraction, 1);
  p.compute_fraction = ReadSourced(f, b, "compute_fraction", path, limits::kAchievedFraction, 1);
  p.exec.overhead_per_pass_s = ReadSourced(f, b, "overhead_per_pass_s", path, limits::kOverheadSeconds, 0).value;
  p.exec.overhead_per_layer_s = ReadSourced(f, b, "overhead_per_layer_s", path, limits::kOverheadSeconds, 0).value;
  p.notes = f.OptString(b, "notes", path + ".notes").value_or("");
  return p;
}

}  // namespace

EngineProfile ParseEngineJson(const std::string& text, const std::string& origin) {
  JsonFields f(origin);
  const json doc = f.ParseObject(text);
  EngineProfile e;
  e.name = f.Name(doc, "name", "name");
  e.display_name = f.OptString(doc, "display_name", "display_name", limits::kMaxDisplayNameBytes).value_or(e.name);
  e.source = f.OptString(doc, "source", "source").value_or("");
  const json& backends = f.Object(doc, "backends", "backends");
  for (const auto& [name, b] : backends.items()) {
    f.CheckNameKey(name, "backends." + name);
    e.backends.push_back(ReadBackend(f, name, b, "backends." + name));
  }
  if (e.backends.empty()) {
    f.Fail("backends", "must list at least one backend");
  }
  if (doc.contains("default_backend")) {
    for (const auto& [key, v] : f.Object(doc, "default_backend", "default_backend").items()) {
      // Keys are unit kinds ("gpu"), kind:device-prefix ("gpu:apple-"), or "" for any other.
      if (!key.empty()) {
        f.CheckNameKey(key, "default_backend." + key);
      }
      e.default_backend[key] = f.Name(doc["default_backend"], key, "default_backend." + key);
    }
  }
  return e;
}

EngineProfile LoadEngine(const std::string& name_or_path) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(name_or_path, ec)) {
    return ParseEngineJson(ReadTextFile(name_or_path), name_or_path);
  }
  const auto& presets = EmbeddedEnginePresets();
  if (const PresetText* p = FindPreset(presets, name_or_path)) {
    return ParseEngineJson(p->text, fmt::format("engine '{}'", p->name));
  }
  if (LooksLikePath(name_or_path)) {
    ReadTextFile(name_or_path);  // throws, saying why it cannot be read
  }
  const std::string hint = ClosestName(name_or_path, PresetNames(presets));
  throw InputError(fmt::format("unknown engine {}{} (engines: {})", Excerpt(name_or_path),
                               hint.empty() ? "" : fmt::format(", did you mean '{}'?", hint),
                               fmt::join(PresetNames(presets), ", ")));
}

std::vector<std::string> EngineNames() { return PresetNames(EmbeddedEnginePresets()); }

Runtime ResolveRuntime(const EngineProfile& engine, const std::string& backend,
                       const std::string& device, const std::string& unit_kind,
                       const std::string& device_kind) {
  std::string chosen = backend;
  if (chosen.empty()) {
    // "gpu:apple-" style keys pick by device-name prefix, longest first; then the kind alone.
    size_t best = 0;
    for (const auto& [key, value] : engine.default_backend) {
      const std::string prefix = unit_kind + ":";
      if (key.starts_with(prefix)) {
        const std::string device_prefix = key.substr(prefix.size());
        if (device.starts_with(device_prefix) && device_prefix.size() + 1 > best) {
          best = device_prefix.size() + 1;
          chosen = value;
        }
      }
    }
    if (chosen.empty()) {
      auto it = engine.default_backend.find(unit_kind);
      if (it == engine.default_backend.end()) {
        throw InputError(fmt::format("engine '{}' has no backend for a {} unit (pass --backend)",
                                     engine.name, unit_kind.empty() ? "custom" : unit_kind));
      }
      chosen = it->second;
    }
  }
  const std::string variant = chosen + "/" + device_kind;
  const bool has_variant = std::any_of(engine.backends.begin(), engine.backends.end(),
                                       [&](const BackendProfile& b) { return b.name == variant; });
  for (const BackendProfile& b : engine.backends) {
    if (b.name == (has_variant ? variant : chosen)) {
      Runtime r;
      r.engine = engine.name;
      r.backend = chosen;
      r.act = b.act;
      r.fusion = b.fusion;
      r.exec = b.exec;
      r.matrix_engines = b.matrix_engines;
      r.bandwidth_fraction = b.bandwidth_fraction.value;
      r.compute_fraction = b.compute_fraction.value;
      return r;
    }
  }
  std::vector<std::string> names;
  for (const BackendProfile& b : engine.backends) {
    names.push_back(b.name);
  }
  throw InputError(fmt::format("engine '{}' has no backend '{}' (backends: {})", engine.name, chosen,
                               fmt::join(names, ", ")));
}

std::vector<CalibrationEntry> LoadCalibration(const std::string& path) {
  return ParseCalibrationJson(ReadTextFile(path), path);
}

std::vector<CalibrationEntry> ParseCalibrationJson(const std::string& text,
                                                   const std::string& origin) {
  JsonFields f(origin);
  const json doc = f.Parse(text);
  if (!doc.is_object()) {
    throw InputError(
        fmt::format("{}: expected a calibration object (slmroof calibrate -o)", origin));
  }
  const json& entries = f.Array(doc, "entries", "entries");
  std::vector<CalibrationEntry> out;
  for (size_t i = 0; i < entries.size(); ++i) {
    out.push_back(ParseCalibrationEntry(f, entries[i], fmt::format("entries[{}]", i)));
  }
  return out;
}

bool ApplyCalibration(const std::vector<CalibrationEntry>& calibration, Roof* roof) {
  const CalibrationEntry* found = nullptr;
  for (const CalibrationEntry& c : calibration) {
    if (c.engine != roof->engine || c.backend != roof->backend) {
      continue;
    }
    if (c.device == roof->device && c.unit == roof->unit) {
      found = &c;
      break;
    }
    if (c.device == "*" && found == nullptr) {
      found = &c;
    }
  }
  if (found == nullptr) {
    return false;
  }
  roof->bandwidth_fraction = found->bandwidth_fraction;
  roof->compute_fraction = found->compute_fraction;
  roof->exec.overhead_per_pass_s = found->overhead_per_pass_s;
  roof->exec.overhead_per_layer_s = found->overhead_per_layer_s;
  return true;
}

void AttachRuntime(const Runtime& runtime, const HardwareSpec* hw, Roof* roof) {
  if (runtime.matrix_engines && hw != nullptr) {
    UseMatrixEngines(*hw, roof);
  }
  roof->exec = runtime.exec;
  roof->act = runtime.act;
  roof->fusion = runtime.fusion;
  roof->bandwidth_fraction = runtime.bandwidth_fraction;
  roof->compute_fraction = runtime.compute_fraction;
  roof->engine = runtime.engine;
  roof->backend = runtime.backend;
}

}  // namespace slmroof
