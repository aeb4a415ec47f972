#include "slmroof/temp_files.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>

namespace slmroof {

namespace {

// The signal handler may only touch memory that is valid at any instant: a fixed table of path
// buffers, each published by an atomic flag after its path is written.
constexpr int kSlots = 64;
constexpr size_t kPathBytes = 4096;
char g_paths[kSlots][kPathBytes];
std::atomic<bool> g_used[kSlots];

constexpr int kCleanupSignals[] = {SIGINT,  SIGTERM, SIGHUP,    SIGQUIT, SIGALRM,
                                   SIGUSR1, SIGUSR2, SIGXCPU, SIGVTALRM, SIGPROF};

extern "C" void RemoveTempFilesAndDie(int sig) {
  for (int i = 0; i < kSlots; ++i) {
    if (g_used[i].load()) {
      unlink(g_paths[i]);  // async-signal-safe
    }
  }
  // Die of the same signal, so the parent sees what happened (exit status 128 + sig in a shell).
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, nullptr);
  raise(sig);
}

}  // namespace

void InstallSignalHandling() {
  struct sigaction sa {};
  sa.sa_handler = RemoveTempFilesAndDie;
  sigemptyset(&sa.sa_mask);
  for (int sig : kCleanupSignals) {
    sigaddset(&sa.sa_mask, sig);  // one cleanup at a time
  }
  for (int sig : kCleanupSignals) {
    struct sigaction old {};
    sigaction(sig, nullptr, &old);
    // A signal the parent ignored (nohup, a background job's SIGINT) stays ignored.
    if (old.sa_handler != SIG_IGN) {
      sigaction(sig, &sa, nullptr);
    }
  }
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, nullptr);  // write() then fails with EPIPE
  sigaction(SIGXFSZ, &ignore, nullptr);  // write() then fails with EFBIG
}

TempFile::TempFile(std::string path) : path_(std::move(path)) {
  if (path_.size() >= kPathBytes) {
    return;  // removed by the destructor only; no such path fits a real file system anyway
  }
  for (int i = 0; i < kSlots; ++i) {
    if (!g_used[i].load()) {
      std::memcpy(g_paths[i], path_.c_str(), path_.size() + 1);
      g_used[i].store(true);
      slot_ = i;
      return;
    }
  }
}

TempFile::~TempFile() {
  if (!path_.empty()) {
    unlink(path_.c_str());
  }
  Release();
}

void TempFile::Release() {
  if (slot_ >= 0) {
    g_used[slot_].store(false);
    slot_ = -1;
  }
  path_.clear();
}

}  // namespace slmroof
