#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "slmroof/dtype.hpp"
#include "slmroof/hardware.hpp"
#include "slmroof/scenario.hpp"

namespace slmroof {

/// A figure of an engine profile with where it comes from.
struct SourcedValue {
  double value = 0;
  std::string source;
};

/// How one backend of a runtime executes a model (docs/cost-model.md §7.5; engines/*.json).
struct BackendProfile {
  std::string name;                    ///< cpu, cuda, metal, vulkan
  std::optional<std::string> act;      ///< activation storage type the runtime uses
  std::optional<Fusion> fusion;        ///< attention form
  Execution exec;
  bool matrix_engines = false;         ///< matrix products run on the unit's tensor/XMX engines
  SourcedValue bandwidth_fraction{1, ""};
  SourcedValue compute_fraction{1, ""};
  std::string notes;
};

/// A runtime: its backends and which one a device unit gets by default.
struct EngineProfile {
  std::string name;
  std::string display_name;
  std::string source;
  std::vector<BackendProfile> backends;
  std::map<std::string, std::string> default_backend;  ///< unit kind -> backend ("gpu:apple-" keys
                                                       ///< match a device-name prefix first)
};

/// Loads an engine profile by name (embedded, from engines/) or from a file.
EngineProfile LoadEngine(const std::string& name_or_path);

/// Builds an engine profile from engines/ JSON text; `origin` names the file in errors.
EngineProfile ParseEngineJson(const std::string& text, const std::string& origin);

/// Names of the embedded engine profiles.
std::vector<std::string> EngineNames();

/// What an analysis needs from a profile for one device unit.
struct Runtime {
  std::string engine;
  std::string backend;
  std::optional<std::string> act;
  std::optional<Fusion> fusion;
  Execution exec;
  bool matrix_engines = false;
  double bandwidth_fraction = 1;
  double compute_fraction = 1;
};

/// The backend `backend` of `engine` (empty: the default for the unit kind and device), resolved
/// for one unit; throws InputError when the engine has no such backend or none for the unit.
/// A profile entry "BACKEND/DEVICE_KIND" (e.g. "cuda/edge-soc") holds what the backend achieves
/// on that kind of device and is preferred over "BACKEND" when `device_kind` matches.
Runtime ResolveRuntime(const EngineProfile& engine, const std::string& backend,
                       const std::string& device, const std::string& unit_kind,
                       const std::string& device_kind = "");

/// Reads a calibration file (`slmroof calibrate -o FILE`); throws InputError naming the field.
std::vector<CalibrationEntry> LoadCalibration(const std::string& path);

/// The same from the file's text; `origin` names it in errors.
std::vector<CalibrationEntry> ParseCalibrationJson(const std::string& text,
                                                   const std::string& origin);

/// Replaces the roof runtime's fractions and fixed costs by the calibration's entry for its
/// engine, backend, device and unit (else for its engine and backend on any device); returns
/// false, changing nothing, when there is none.
bool ApplyCalibration(const std::vector<CalibrationEntry>& calibration, Roof* roof);

/// Puts a runtime on a roof: its fractions, execution, activation type and attention form, and
/// with matrix engines the unit's tensor/XMX ceilings (`hw`: the device the roof came from, or
/// nullptr for a device given on the command line).
void AttachRuntime(const Runtime& runtime, const HardwareSpec* hw, Roof* roof);

}  // namespace slmroof
