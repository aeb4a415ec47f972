#include "slmroof/presets.hpp"

#include <algorithm>
#include <vector>


namespace slmroof {

const PresetText* FindPreset(const std::vector<PresetText>& presets, const std::string& name) {
  for (const PresetText& p : presets) {
    if (name == p.name) {
      return &p;
    }
  }
  return nullptr;
}

std::vector<std::string> PresetNames(const std::vector<PresetText>& presets) {
  std::vector<std::string> names;
  for (const PresetText& p : presets) {
    names.emplace_back(p.name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace slmroof
