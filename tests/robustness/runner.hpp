#pragma once

// The bad-input matrix (docs/robustness.md): every class of bad input, run end to end against
// the real binary.

#include <functional>
#include <string>
#include <vector>

namespace slmroof::robustness {

/// How the binary's surroundings are set up beyond its arguments.
enum class Mode {
  kNormal,           ///< stdout and stderr are pipes read by the test
  kStdoutFull,       ///< stdout is /dev/full: every write fails with ENOSPC
  kStdoutClosed,     ///< stdout is a pipe whose reader has gone: writes fail with EPIPE
  kFileSizeLimit,    ///< RLIMIT_FSIZE of 4 KiB: a larger write raises SIGXFSZ / fails with EFBIG
  kSignalOnTempFile  ///< `signal` is sent once a temporary file (*.slmroof-*) appears
};

/// One row of the matrix.
struct Case {
  std::string klass;  ///< the class of bad input (model file, option, output, signal, ...)
  std::string what;   ///< what is wrong, in a few words
  std::vector<std::string> args;  ///< arguments after the binary's name
  int exit = 1;                   ///< expected exit status (or the signal, for kSignalOnTempFile)
  std::string message;            ///< expected stderr, exactly (empty for kSignalOnTempFile)
  Mode mode = Mode::kNormal;
  int signal = 0;
  /// Creates the files the case reads, in the directory the binary runs in (its cwd).
  std::function<void(const std::string& dir)> setup;
};

/// Every case of the matrix, in the order docs/robustness.md lists them.
const std::vector<Case>& Matrix();

/// What one run did.
struct Outcome {
  bool exited = false;
  int exit_code = -1;
  int term_signal = 0;
  std::string out;
  std::string err;
  long max_rss_kb = 0;
  double cpu_s = 0;
  std::vector<std::string> files_before;  ///< every path under the run directory
  std::vector<std::string> files_after;
  std::vector<std::string> new_file_texts;  ///< the contents of files the run created
};

/// Runs `c` in a fresh directory with a CPU limit of `cpu_limit_s` seconds (a hang is killed
/// by SIGXCPU and shows as a signal), then removes the directory.
Outcome RunCase(const Case& c, int cpu_limit_s);

/// The matrix as the markdown table docs/robustness.md holds between its markers.
std::string MatrixMarkdown();

}  // namespace slmroof::robustness
