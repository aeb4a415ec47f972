#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "slmroof/dtype.hpp"
#include "slmroof/execution.hpp"
#include "slmroof/units.hpp"

namespace slmroof {

/// A published figure: the datasheet (theoretical) value and, where known, a measured one.
struct Figure {
  double theoretical = 0;
  std::optional<double> measured;
  std::string source;
};

/// A runtime's fitted figures on one device unit (or on every device: "*"), as `calibrate`
/// writes them; a device file may carry its units' own (`--roof calibrated`).
struct CalibrationEntry {
  std::string engine, backend, device, unit;
  double bandwidth_fraction = 1;
  double compute_fraction = 1;
  double overhead_per_pass_s = 0;
  double overhead_per_layer_s = 0;
  std::string source;
};

/// One compute engine (CPU, GPU, NPU) of a device; all units share the device's memory.
struct ComputeUnit {
  std::string name;
  std::string kind;
  std::map<Precision, Figure> peak_flops_per_s;
  std::optional<Figure> bandwidth_bytes_per_s;  ///< what this unit can draw, when below the SoC's
  std::optional<double> usable_bytes;           ///< this unit's allocation limit (Metal working set)
  std::optional<int64_t> threads;               ///< cores a runtime uses (CPU units)
  std::optional<double> power_w;                ///< this unit's own power under load
  std::string power_kind;                       ///< typical, tdp or max (the file's power.kind)
  std::vector<CalibrationEntry> calibration;    ///< runtimes fitted on this unit
  /// N:M structured sparsity the unit's matrix engines run at M/N times the dense rate (NVIDIA
  /// tensor cores since Ampere: 2:4); {0, 0} when none is published (§12.2).
  std::pair<int, int> sparsity{0, 0};
};

/// A validated device description.
struct HardwareSpec {
  std::string name;
  std::string display_name;
  std::vector<std::string> aliases;  ///< short names that also select this preset (rpi5)
  std::string kind;
  double capacity_bytes = 0;
  std::optional<double> usable_bytes;  ///< what processes can allocate after the OS's share
  Figure bandwidth_bytes_per_s;
  std::optional<double> power_w;
  std::string power_kind;          ///< typical, tdp or max
  std::vector<ComputeUnit> units;  ///< the first is the default
};

/// Which ceilings to use; calibrated: the theoretical ones with the unit's own calibration of
/// the runtime (the device file's `calibration`).
enum class RoofKind { kTheoretical, kMeasured, kCalibrated };

/// "theoretical", "measured" or "calibrated".
std::string_view RoofKindName(RoofKind k);

/// The ceilings an analysis runs against: one bandwidth and a peak per precision.
struct Roof {
  std::string device;        ///< preset name, or "custom"
  std::string display_name;
  std::string unit;          ///< compute unit name
  std::string unit_kind;     ///< cpu, gpu or npu (a device from --bandwidth/--peak: cpu)
  RoofKind kind = RoofKind::kTheoretical;
  double bandwidth_bytes_per_s = 0;
  std::map<Precision, double> peak_flops_per_s;
  double capacity_bytes = 0;  ///< 0 when unknown (a device given only on the command line)
  double usable_bytes = 0;    ///< memory a runtime can allocate on this unit; 0 when unknown
  std::optional<int64_t> threads;  ///< the unit's cores (CPU units)
  std::pair<int, int> sparsity{0, 0};  ///< the unit's N:M sparse pattern (§12.2); {0, 0}: none
  std::optional<double> power_w;   ///< energy per token uses it (§7.3): the unit's, else the device's
  std::string power_kind;          ///< what that figure is: typical, tdp or max
  std::vector<CalibrationEntry> calibration;  ///< the unit's own runtime calibrations
  /// Fractions of the bandwidth and of every compute peak a runtime achieves (§7.5); 1 is the
  /// roofline bound. Operators are timed against the reduced ceilings; Φ keeps the device's.
  double bandwidth_fraction = 1;
  double compute_fraction = 1;
  std::string engine = "ideal";  ///< the runtime that executes on this unit (engines/)
  std::string backend;
  /// How that runtime executes (§7.5): Analyze applies these to the scenario. Empty act and
  /// fusion leave the scenario's own.
  Execution exec;
  std::optional<std::string> act;
  std::optional<Fusion> fusion;

  /// The ceiling for `p`; when the device publishes none, the nearest stand-in (§7.1), whose
  /// precision is stored in `*used`. Throws InputError when the device has no peak at all.
  double PeakFor(Precision p, Precision* used) const;
};

/// Command-line overrides of a device's figures.
struct RoofOverrides {
  std::optional<double> bandwidth_bytes_per_s;
  std::optional<PeakSpec> peak;
};

/// Picks the unit (default: the first) and roof kind; a missing measured figure falls back to the
/// theoretical one and is reported in `*fallbacks`.
Roof ResolveRoof(const HardwareSpec& hw, RoofKind kind, const std::string& unit,
                 std::vector<std::string>* fallbacks);

/// The measured figures of a device and unit (empty: the default unit) that lie more than 3×
/// below their theoretical ones, e.g. "bandwidth 3.98e9 B/s is 4.3x below 1.71e10": more often
/// an artefact of the benchmark than a property of the hardware.
std::vector<std::string> SuspectMeasuredFigures(const HardwareSpec& hw, const std::string& unit);

/// Raises each of the roof's peaks to the highest one a matrix engine of its unit publishes (the
/// units named after it with a suffix: gpu-tensor, gpu-xmx, gpu-wmma), for runtimes whose
/// matrix products use those engines (§7.5).
void UseMatrixEngines(const HardwareSpec& hw, Roof* roof);

/// Applies --bandwidth and --peak to a roof.
void ApplyOverrides(const RoofOverrides& overrides, Roof* roof);

/// A roof made only from --bandwidth and --peak (both required).
Roof CustomRoof(const RoofOverrides& overrides);

}  // namespace slmroof
