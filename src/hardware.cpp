#include "slmroof/hardware.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "slmroof/errors.hpp"

namespace slmroof {

std::string_view RoofKindName(RoofKind k) {
  switch (k) {
    case RoofKind::kMeasured:
      return "measured";
    case RoofKind::kCalibrated:
      return "calibrated";
    case RoofKind::kTheoretical:
      break;
  }
  return "theoretical";
}

double Roof::PeakFor(Precision p, Precision* used) const {
  // A precision without a published ceiling runs on the nearest wider one (§7.1): int4 kernels
  // fall back to int8 units, integer and half kernels to fp16/bf16, then fp32.
  std::vector<Precision> chain;
  switch (p) {
    case Precision::kInt4:
      chain = {Precision::kInt4, Precision::kInt8, Precision::kFp16, Precision::kBf16, Precision::kFp32};
      break;
    case Precision::kInt8:
      chain = {Precision::kInt8, Precision::kFp16, Precision::kBf16, Precision::kFp32};
      break;
    case Precision::kFp16:
      chain = {Precision::kFp16, Precision::kBf16, Precision::kFp32};
      break;
    case Precision::kBf16:
      chain = {Precision::kBf16, Precision::kFp16, Precision::kFp32};
      break;
    case Precision::kFp32:
      chain = {Precision::kFp32};
      break;
  }
  for (Precision c : chain) {
    auto it = peak_flops_per_s.find(c);
    if (it != peak_flops_per_s.end()) {
      *used = c;
      return it->second;
    }
  }
  // Nothing wider is published: take the lowest ceiling the unit has, the conservative choice.
  if (peak_flops_per_s.empty()) {
    throw InputError(fmt::format("hardware '{}': unit '{}' publishes no compute peak", device, unit));
  }
  auto lowest = std::min_element(peak_flops_per_s.begin(), peak_flops_per_s.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
  *used = lowest->first;
  return lowest->second;
}

Roof ResolveRoof(const HardwareSpec& hw, RoofKind kind, const std::string& unit,
                 std::vector<std::string>* fallbacks) {
  const ComputeUnit* chosen = &hw.units.front();
  if (!unit.empty()) {
    auto it = std::find_if(hw.units.begin(), hw.units.end(),
                           [&](const ComputeUnit& u) { return u.name == unit; });
    if (it == hw.units.end()) {
      std::vector<std::string> names;
      for (const ComputeUnit& u : hw.units) {
        names.push_back(u.name);
      }
      throw InputError(fmt::format("hardware '{}' has no compute unit '{}' (units: {})", hw.name,
                                   unit, fmt::join(names, ", ")));
    }
    chosen = &*it;
  }
  Roof roof;
  roof.device = hw.name;
  roof.display_name = hw.display_name;
  roof.unit = chosen->name;
  roof.unit_kind = chosen->kind;
  roof.calibration = chosen->calibration;
  for (CalibrationEntry& c : roof.calibration) {
    c.device = hw.name;
    c.unit = chosen->name;
  }
  roof.kind = kind;
  roof.capacity_bytes = hw.capacity_bytes;
  roof.power_w = hw.power_w;
  roof.power_kind = hw.power_kind;
  auto pick = [&](const Figure& f, const std::string& what) {
    if (kind == RoofKind::kMeasured) {
      if (f.measured) {
        return *f.measured;
      }
      fallbacks->push_back(what);
    }
    return f.theoretical;
  };
  // A unit that cannot draw the SoC's bandwidth (an Apple CPU cluster) has its own figure.
  roof.bandwidth_bytes_per_s = chosen->bandwidth_bytes_per_s
                                   ? pick(*chosen->bandwidth_bytes_per_s, "unit bandwidth")
                                   : pick(hw.bandwidth_bytes_per_s, "bandwidth");
  roof.usable_bytes = chosen->usable_bytes.value_or(hw.usable_bytes.value_or(0));
  roof.threads = chosen->threads;
  roof.sparsity = chosen->sparsity;
  // §7.3: the unit's own power where published (a CPU cluster draws less than the board).
  if (chosen->power_w) {
    roof.power_w = chosen->power_w;
    roof.power_kind = chosen->power_kind;
  }
  for (const auto& [p, figure] : chosen->peak_flops_per_s) {
    roof.peak_flops_per_s[p] = pick(figure, fmt::format("{} peak", PrecisionName(p)));
  }
  return roof;
}

std::vector<std::string> SuspectMeasuredFigures(const HardwareSpec& hw, const std::string& unit) {
  std::vector<std::string> out;
  auto check = [&](const Figure& f, const std::string& what, const char* unit_name) {
    if (f.measured && *f.measured * 3 < f.theoretical) {
      out.push_back(fmt::format("{} {:.3g} {} is {:.2g}x below the theoretical {:.3g}", what,
                                *f.measured, unit_name, f.theoretical / *f.measured, f.theoretical));
    }
  };
  check(hw.bandwidth_bytes_per_s, "bandwidth", "B/s");
  for (const ComputeUnit& u : hw.units) {
    if (unit.empty() ? &u == &hw.units.front() : u.name == unit) {
      for (const auto& [p, figure] : u.peak_flops_per_s) {
        check(figure, fmt::format("{} peak", PrecisionName(p)), "FLOP/s");
      }
    }
  }
  return out;
}

void UseMatrixEngines(const HardwareSpec& hw, Roof* roof) {
  const std::string prefix = roof->unit + "-";
  for (const ComputeUnit& u : hw.units) {
    if (!u.name.starts_with(prefix)) {
      continue;
    }
    for (const auto& [p, figure] : u.peak_flops_per_s) {
      double& peak = roof->peak_flops_per_s[p];
      peak = std::max(peak, roof->kind == RoofKind::kMeasured && figure.measured ? *figure.measured
                                                                                : figure.theoretical);
    }
  }
}

void ApplyOverrides(const RoofOverrides& overrides, Roof* roof) {
  if (overrides.bandwidth_bytes_per_s) {
    roof->bandwidth_bytes_per_s = *overrides.bandwidth_bytes_per_s;
  }
  if (overrides.peak) {
    if (overrides.peak->all > 0) {
      for (Precision p : AllPrecisions()) {
        roof->peak_flops_per_s[p] = overrides.peak->all;
      }
    }
    for (const auto& [p, v] : overrides.peak->each) {
      roof->peak_flops_per_s[p] = v;
    }
  }
}

Roof CustomRoof(const RoofOverrides& overrides) {
  if (!overrides.bandwidth_bytes_per_s || !overrides.peak) {
    throw UsageError("a device given on the command line needs both --bandwidth and --peak (or pass --hw)");
  }
  Roof roof;
  roof.device = "custom";
  roof.display_name = "custom device (--bandwidth/--peak)";
  roof.unit = "custom";
  roof.unit_kind = "cpu";
  ApplyOverrides(overrides, &roof);
  return roof;
}

}  // namespace slmroof
