#pragma once

#include <string>
#include <vector>

#include "slmroof/graph.hpp"
#include "slmroof/hardware.hpp"
#include "slmroof/model.hpp"
#include "slmroof/scenario.hpp"

namespace slmroof::testing {

/// Absolute path of a file under tests/data/.
inline std::string DataPath(const std::string& name) {
  return std::string(SLMROOF_SOURCE_DIR) + "/tests/data/" + name;
}

/// The operator called `name` in `ops`; fails the test when absent.
const Operator& FindOp(const std::vector<Operator>& ops, const std::string& name);

/// A device with one bandwidth and one peak for every precision.
Roof FlatRoof(double bandwidth, double peak);

/// Writes `text` to a file called `name` in the test's temporary directory; returns its path.
std::string WriteTempFile(const std::string& name, const std::string& text);

/// The whole content of a file ("" when it cannot be read).
std::string ReadWholeFile(const std::string& path);

/// Runs the slmroof binary with `args`; returns the exit code and fills stdout/stderr.
int RunBinary(const std::string& args, std::string* out, std::string* err);

}  // namespace slmroof::testing
