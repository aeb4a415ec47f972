// Typed access to a HuggingFace config's fields (hf_view.hpp).
#include "io/hf_view.hpp"

#include <fmt/format.h>

#include "slmroof/text.hpp"

namespace slmroof::reader {

int64_t View::IntOrAuto(const char* key, IntRange r, int64_t automatic) const {
  if (Has(key) && (*cfg_)[key].is_string()) {
    if ((*cfg_)[key].get<std::string>() != "auto") {
      FailKey(key, fmt::format("must be an integer or \"auto\", got {}",
                               Excerpt((*cfg_)[key].get<std::string>())));
    }
    return automatic;
  }
  return IntOr(key, r, automatic);
}

std::vector<std::string> View::Kinds(const char* key, int64_t layers,
                                     const std::set<std::string>& allowed) const {
  const nlohmann::json& list = Array(key);
  if (list.size() != static_cast<size_t>(layers)) {
    FailKey(key, fmt::format("has {} entries for {} layers", list.size(), layers));
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string kind = list[i].is_string() ? list[i].get<std::string>() : "";
    if (allowed.count(kind) == 0) {
      Fail(fmt::format("{}[{}]", Path(key), i),
           fmt::format("is {}; expected one of {}", DescribeJson(list[i]), fmt::join(allowed, ", ")));
    }
    out.push_back(kind);
  }
  return out;
}

std::vector<bool> View::Indices(const char* key, int64_t layers) const {
  std::vector<bool> flags(static_cast<size_t>(layers), false);
  const nlohmann::json& list = Array(key);
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_number_integer() || list[i].get<int64_t>() < 0 ||
        list[i].get<int64_t>() >= layers) {
      Fail(fmt::format("{}[{}]", Path(key), i),
           fmt::format("must be a layer index from 0 to {}", layers - 1));
    }
    flags[list[i].get<size_t>()] = true;
  }
  return flags;
}

}  // namespace slmroof::reader
