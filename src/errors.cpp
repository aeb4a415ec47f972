#include "slmroof/errors.hpp"

#include <algorithm>

namespace slmroof {

const char* ExitCodesText() {
  return "  0  success; with a gate (compare --fail-if, validate --max-error): nothing crossed\n"
         "  1  invalid input: a file, a field or a preset name (the message names it)\n"
         "  2  usage: a malformed command line (run 'slmroof SUBCOMMAND --help')\n"
         "  3  internal error: a defect of slmroof, please report it\n"
         "  4  a gate fired: a compare --fail-if threshold was crossed, or validate --max-error\n"
         "     was exceeded\n";
}

std::string ClosestName(const std::string& name, const std::vector<std::string>& candidates) {
  // Levenshtein distance; a candidate that contains the name, or is contained in it, also counts.
  // No real name is long; a long input gets no hint instead of a quadratic-time search.
  if (name.size() > 64) {
    return "";
  }
  std::string best;
  size_t best_distance = std::max<size_t>(3, name.size() / 2) + 1;
  for (const std::string& c : candidates) {
    std::vector<size_t> prev(c.size() + 1), cur(c.size() + 1);
    for (size_t j = 0; j <= c.size(); ++j) {
      prev[j] = j;
    }
    for (size_t i = 1; i <= name.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= c.size(); ++j) {
        const size_t sub = prev[j - 1] + (name[i - 1] == c[j - 1] ? 0 : 1);
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      }
      std::swap(prev, cur);
    }
    size_t d = prev[c.size()];
    if (c.find(name) != std::string::npos || name.find(c) != std::string::npos) {
      d = std::min<size_t>(d, 1);
    }
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

}  // namespace slmroof
