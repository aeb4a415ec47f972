#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "slmroof/hardware.hpp"

namespace slmroof {

/// Builds a device from hardware_specs/ JSON text; `origin` names the file in errors.
HardwareSpec ParseHardwareJson(const std::string& text, const std::string& origin);

class JsonFields;

/// Reads one runtime calibration (engine, backend, the four figures within their bounds; device,
/// unit and source when present), as device files and calibration files hold them.
CalibrationEntry ParseCalibrationEntry(const JsonFields& f, const nlohmann::json& obj,
                                       const std::string& path);

/// Loads a device from a file path, a preset name or a preset's alias ("rpi5").
HardwareSpec LoadHardware(const std::string& name_or_path);

/// Every alias of the hardware presets and the preset it selects, sorted by alias.
const std::vector<std::pair<std::string, std::string>>& HardwareAliases();

/// The hardware preset names and their aliases, sorted (for completion and hints).
std::vector<std::string> HardwareNamesAndAliases();

}  // namespace slmroof
