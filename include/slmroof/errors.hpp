#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace slmroof {

/// Exit codes of every subcommand (README "Exit codes", `slmroof --help`).
enum ExitCode : int {
  kExitOk = 0,        ///< done; for a gate: nothing crossed
  kExitInput = 1,     ///< invalid input: a file, a field, a preset name (InputError)
  kExitUsage = 2,     ///< a malformed command line (UsageError)
  kExitInternal = 3,  ///< a defect of slmroof: please report it
  kExitGate = 4,      ///< a gate fired: compare --fail-if crossed, validate --max-error exceeded
};

/// One line per exit code, for --help and the manual page.
const char* ExitCodesText();

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
