#include "slmroof/presets.hpp"

#include <sys/stat.h>

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

bool LooksLikePath(const std::string& name) {
  struct stat st {};
  return lstat(name.c_str(), &st) == 0 || name.find('/') != std::string::npos ||
         name.ends_with(".json");
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
