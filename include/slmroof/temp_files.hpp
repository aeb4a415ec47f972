#pragma once

#include <string>

namespace slmroof {

/// Makes every terminating signal that can be caught (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGALRM,
/// SIGUSR1, SIGUSR2, SIGXCPU, SIGVTALRM, SIGPROF) remove the live temporary files before the
/// process dies of it; ignores SIGPIPE and SIGXFSZ, so that a closed pipe or a file-size limit
/// becomes a write error the program reports (exit 1). Called once, first thing in main.
void InstallSignalHandling();

/// A temporary file that is removed when this object dies, unless released, and by the signal
/// handlers of InstallSignalHandling while it lives.
class TempFile {
 public:
  explicit TempFile(std::string path);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }
  /// Keeps the file (it was renamed into place, or is someone else's now).
  void Release();

 private:
  std::string path_;
  int slot_ = -1;  ///< index in the signal handlers' table, or -1 when the path did not fit
};

}  // namespace slmroof
