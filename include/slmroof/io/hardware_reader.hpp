#pragma once

#include <string>

#include "slmroof/hardware.hpp"

namespace slmroof {

/// Builds a device from hardware_specs/ JSON text; `origin` names the file in errors.
HardwareSpec ParseHardwareJson(const std::string& text, const std::string& origin);

/// Loads a device from a file path or a preset name.
HardwareSpec LoadHardware(const std::string& name_or_path);

}  // namespace slmroof
