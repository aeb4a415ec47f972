#include "slmroof/io/hardware_reader.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "slmroof/errors.hpp"
#include "slmroof/prune.hpp"
#include "slmroof/io/json_fields.hpp"
#include "slmroof/presets.hpp"
#include "slmroof/text.hpp"

namespace slmroof {

using nlohmann::json;

namespace {

// A device figure within the same bounds as its command-line override (limits.hpp).
Figure ReadFigure(const JsonFields& f, const json& obj, const std::string& path, RealRange range) {
  Figure fig;
  fig.theoretical = f.Number(obj, "theoretical", path + ".theoretical", range);
  fig.measured = f.OptNumber(obj, "measured", path + ".measured", range);
  fig.source = f.String(obj, "source", path + ".source");
  return fig;
}

// What a power figure is: typical (measured under load), tdp or max; "tdp" when not said.
std::string PowerKind(const JsonFields& f, const json& power, const std::string& path) {
  const std::string kind = f.OptString(power, "kind", path).value_or("tdp");
  if (kind != "typical" && kind != "tdp" && kind != "max") {
    f.Fail(path, fmt::format("must be typical, tdp or max, got {}", Excerpt(kind)));
  }
  return kind;
}

// An optional {"value": bytes, "source": ...}; a value above the capacity is an error.
std::optional<double> OptSourcedBytes(const JsonFields& f, const json& obj, const std::string& key,
                                      const std::string& path, double capacity) {
  if (!obj.contains(key)) {
    return std::nullopt;
  }
  const json& v = f.Object(obj, key, path);
  const double bytes = f.Number(v, "value", path + ".value", limits::kCapacity);
  if (bytes > capacity) {
    f.Fail(path + ".value", fmt::format("{} is more than the capacity {}", bytes, capacity));
  }
  f.String(v, "source", path + ".source");
  return bytes;
}

}  // namespace

CalibrationEntry ParseCalibrationEntry(const JsonFields& f, const json& obj,
                                       const std::string& path) {
  if (!obj.is_object()) {
    f.Fail(path, "must be an object");
  }
  CalibrationEntry c;
  c.engine = f.Name(obj, "engine", path + ".engine");
  c.backend = f.Name(obj, "backend", path + ".backend");
  c.device = f.OptName(obj, "device", path + ".device").value_or("*");
  c.unit = f.OptName(obj, "unit", path + ".unit").value_or("*");
  c.source = f.OptString(obj, "source", path + ".source").value_or("");
  auto bounded = [&](const char* key, RealRange range) {
    return f.Number(obj, key, path + "." + key, range);
  };
  c.bandwidth_fraction = bounded("bandwidth_fraction", limits::kAchievedFraction);
  c.compute_fraction = bounded("compute_fraction", limits::kAchievedFraction);
  c.overhead_per_pass_s = bounded("overhead_per_pass_s", limits::kOverheadSeconds);
  c.overhead_per_layer_s = bounded("overhead_per_layer_s", limits::kOverheadSeconds);
  return c;
}

HardwareSpec ParseHardwareJson(const std::string& text, const std::string& origin) {
  JsonFields f(origin);
  const json doc = f.ParseObject(text);
  HardwareSpec hw;
  hw.name = f.Name(doc, "name", "name");
  hw.display_name = f.OptString(doc, "display_name", "display_name", limits::kMaxDisplayNameBytes).value_or(hw.name);
  if (doc.contains("aliases")) {
    const json& aliases = f.Array(doc, "aliases", "aliases");
    for (size_t i = 0; i < aliases.size(); ++i) {
      const std::string p = fmt::format("aliases[{}]", i);
      if (!aliases[i].is_string()) {
        f.Fail(p, "must be a name");
      }
      const std::string alias = aliases[i].get<std::string>();
      f.CheckNameKey(alias, p);
      hw.aliases.push_back(alias);
    }
  }
  hw.kind = f.OptString(doc, "kind", "kind").value_or("");
  const json& memory = f.Object(doc, "memory", "memory");
  hw.capacity_bytes = f.Number(memory, "capacity_bytes", "memory.capacity_bytes", limits::kCapacity);
  hw.usable_bytes = OptSourcedBytes(f, memory, "usable_bytes", "memory.usable_bytes",
                                    hw.capacity_bytes);
  hw.bandwidth_bytes_per_s = ReadFigure(
      f, f.Object(memory, "bandwidth_bytes_per_s", "memory.bandwidth_bytes_per_s"),
      "memory.bandwidth_bytes_per_s", limits::kBandwidth);
  if (doc.contains("power") && !doc["power"].is_null()) {
    const json& power = f.Object(doc, "power", "power");
    hw.power_w = f.Number(power, "watts", "power.watts", limits::kPower);
    hw.power_kind = PowerKind(f, power, "power.kind");
  }
  const json& units = f.Array(doc, "compute_units", "compute_units");
  if (units.empty()) {
    f.Fail("compute_units", "must list at least one compute unit");
  }
  for (size_t i = 0; i < units.size(); ++i) {
    const std::string p = fmt::format("compute_units[{}]", i);
    if (!units[i].is_object()) {
      f.Fail(p, "must be an object");
    }
    ComputeUnit unit;
    unit.name = f.Name(units[i], "name", p + ".name");
    unit.kind = f.OptString(units[i], "kind", p + ".kind").value_or("");
    const json& peaks = f.Object(units[i], "peak_flops_per_s", p + ".peak_flops_per_s");
    for (const auto& [key, value] : peaks.items()) {
      const std::string pp = p + ".peak_flops_per_s." + key;
      Precision precision;
      if (!ParsePrecision(key, &precision)) {
        f.Fail(pp, "is not a precision (known: fp32, fp16, bf16, int8, int4)");
      }
      if (!value.is_object()) {
        f.Fail(pp, "must be an object with 'theoretical' and 'source'");
      }
      unit.peak_flops_per_s[precision] = ReadFigure(f, value, pp, limits::kPeak);
    }
    if (unit.peak_flops_per_s.empty()) {
      f.Fail(p + ".peak_flops_per_s", "must list at least one precision");
    }
    if (units[i].contains("bandwidth_bytes_per_s")) {
      unit.bandwidth_bytes_per_s =
          ReadFigure(f, f.Object(units[i], "bandwidth_bytes_per_s", p + ".bandwidth_bytes_per_s"),
                     p + ".bandwidth_bytes_per_s", limits::kBandwidth);
    }
    unit.usable_bytes =
        OptSourcedBytes(f, units[i], "usable_bytes", p + ".usable_bytes", hw.capacity_bytes);
    if (units[i].contains("threads")) {
      const json& t = f.Object(units[i], "threads", p + ".threads");
      unit.threads = f.Int(t, "value", p + ".threads.value", limits::kThreads);
    }
    if (units[i].contains("sparsity")) {
      // {"pattern": "2:4", "source": "..."}: §12.2.
      const json& sp = f.Object(units[i], "sparsity", p + ".sparsity");
      const std::string pattern = f.String(sp, "pattern", p + ".sparsity.pattern");
      const std::optional<std::pair<int, int>> nm = ParseSparsity(pattern);
      if (!nm) {
        f.Fail(p + ".sparsity.pattern",
               fmt::format("must be N:M with 0 < N < M <= 16 (e.g. 2:4), got {}", Excerpt(pattern)));
      }
      unit.sparsity = *nm;
      f.String(sp, "source", p + ".sparsity.source");
    }
    if (units[i].contains("calibration")) {
      const json& list = f.Array(units[i], "calibration", p + ".calibration");
      for (size_t k = 0; k < list.size(); ++k) {
        CalibrationEntry c =
            ParseCalibrationEntry(f, list[k], fmt::format("{}.calibration[{}]", p, k));
        if (c.source.empty()) {
          f.Fail(fmt::format("{}.calibration[{}].source", p, k), "is missing");
        }
        unit.calibration.push_back(std::move(c));
      }
    }
    if (units[i].contains("power")) {
      const json& power = f.Object(units[i], "power", p + ".power");
      unit.power_w = f.Number(power, "watts", p + ".power.watts", limits::kPower);
      unit.power_kind = PowerKind(f, power, p + ".power.kind");
    }
    hw.units.push_back(std::move(unit));
  }
  return hw;
}

HardwareSpec LoadHardware(const std::string& name_or_path) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(name_or_path, ec)) {
    return ParseHardwareJson(ReadTextFile(name_or_path), name_or_path);
  }
  const auto& presets = EmbeddedHardwarePresets();
  if (const PresetText* p = FindPreset(presets, name_or_path)) {
    return ParseHardwareJson(p->text, fmt::format("preset '{}'", p->name));
  }
  for (const auto& [alias, preset] : HardwareAliases()) {
    if (alias == name_or_path) {
      return ParseHardwareJson(FindPreset(presets, preset)->text,
                               fmt::format("preset '{}'", preset));
    }
  }
  if (LooksLikePath(name_or_path)) {
    ReadTextFile(name_or_path);  // throws, saying why it cannot be read
  }
  const std::string hint = ClosestName(name_or_path, HardwareNamesAndAliases());
  throw InputError(fmt::format("unknown hardware {}{} (see 'slmroof list hardware')", Excerpt(name_or_path),
                               hint.empty() ? "" : fmt::format(", did you mean '{}'?", hint)));
}

const std::vector<std::pair<std::string, std::string>>& HardwareAliases() {
  static const std::vector<std::pair<std::string, std::string>> kAliases = [] {
    std::vector<std::pair<std::string, std::string>> aliases;
    for (const PresetText& p : EmbeddedHardwarePresets()) {
      for (const std::string& a : ParseHardwareJson(p.text, p.name).aliases) {
        aliases.emplace_back(a, p.name);
      }
    }
    std::sort(aliases.begin(), aliases.end());
    return aliases;
  }();
  return kAliases;
}

std::vector<std::string> HardwareNamesAndAliases() {
  std::vector<std::string> names = PresetNames(EmbeddedHardwarePresets());
  for (const auto& alias : HardwareAliases()) {
    names.push_back(alias.first);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace slmroof
