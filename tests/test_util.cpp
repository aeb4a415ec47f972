#include "test_util.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace slmroof::testing {

std::string WriteTempFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const Operator& FindOp(const std::vector<Operator>& ops, const std::string& name) {
  for (const Operator& op : ops) {
    if (op.name == name) {
      return op;
    }
  }
  ADD_FAILURE() << "no operator " << name;
  static const Operator kNone;
  return kNone;
}

Roof FlatRoof(double bandwidth, double peak) {
  Roof roof;
  roof.device = "flat";
  roof.display_name = "flat test device";
  roof.unit = "test";
  roof.bandwidth_bytes_per_s = bandwidth;
  for (Precision p : AllPrecisions()) {
    roof.peak_flops_per_s[p] = peak;
  }
  roof.capacity_bytes = 1e9;
  return roof;
}

namespace {
std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

int RunBinary(const std::string& args, std::string* out, std::string* err) {
  char dir_template[] = "/tmp/slmroof-test-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (dir == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return -1;
  }
  const std::string o = std::string(dir) + "/out";
  const std::string e = std::string(dir) + "/err";
  const std::string cmd = std::string(SLMROOF_BINARY) + " " + args + " >" + o + " 2>" + e + " </dev/null";
  const int status = std::system(cmd.c_str());
  *out = Slurp(o);
  *err = Slurp(e);
  std::remove(o.c_str());
  std::remove(e.c_str());
  rmdir(dir);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace slmroof::testing
