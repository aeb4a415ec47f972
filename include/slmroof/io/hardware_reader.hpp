#pragma once

#include <string>

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

/// Loads a device from a file path or a preset name.
HardwareSpec LoadHardware(const std::string& name_or_path);

}  // namespace slmroof
