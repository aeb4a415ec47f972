#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace slmroof {

/// Invalid input the user can fix (a file, a field, a preset name): exit code 1.
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

/// A malformed command line (bad option value, conflicting options): exit code 2.
class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& message) : std::runtime_error(message) {}
};

/// Returns the candidate closest to `name` by edit distance, or "" when none is close (or `name`
/// is longer than 64 bytes: no hint is worth a quadratic search).
std::string ClosestName(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace slmroof
