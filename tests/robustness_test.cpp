// The bad-input matrix run end to end (docs/robustness.md): the right exit code and exact message,
// nothing on stdout, no file left behind, within a CPU-time limit and a few hundred MB.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <gtest/gtest.h>

#include "robustness/runner.hpp"
#include "slmroof/limits.hpp"
#include "slmroof/temp_files.hpp"

namespace slmroof::robustness {
namespace {

#ifdef SLMROOF_SANITIZED
constexpr int kCpuLimitS = 20;  // ASan and UBSan slow everything down several times
constexpr long kMaxRssKb = 2L << 20;
#else
constexpr int kCpuLimitS = 1;  // the kernel kills a run that spins longer (SIGXCPU)
constexpr long kMaxRssKb = 300L << 10;
#endif

// A C++ literal of `s`, printed on a mismatch so a changed message is easy to review.
std::string Literal(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\x{:02x}\"\"", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

TEST(RobustnessMatrix, HasAtLeastEightyRows) { EXPECT_GE(Matrix().size(), 80u); }

TEST(RobustnessMatrix, EveryCaseFailsCleanly) {
  int row = 0;
  for (const Case& c : Matrix()) {
    ++row;
    SCOPED_TRACE(fmt::format("row {}: {}: {}", row, c.klass, c.what));
    const Outcome o = RunCase(c, kCpuLimitS);
    EXPECT_EQ(o.files_after, o.files_before) << "a file was left behind or removed";
    EXPECT_LE(o.max_rss_kb, kMaxRssKb) << "peak memory";
    if (c.mode == Mode::kSignalOnTempFile) {
      EXPECT_EQ(o.term_signal, c.exit) << "stderr: " << o.err;
      continue;
    }
    EXPECT_TRUE(o.exited) << "killed by signal " << o.term_signal << "; stderr: " << o.err;
    EXPECT_EQ(o.exit_code, c.exit);
    EXPECT_EQ(o.err, c.message) << "actual: " << Literal(o.err);
    EXPECT_EQ(o.out, "") << "nothing on stdout";
  }
}

std::string ReadDoc() {
  std::ifstream in(std::string(SLMROOF_SOURCE_DIR) + "/docs/robustness.md");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Checks that docs/robustness.md holds `table` between <!-- NAME:begin --> and <!-- NAME:end -->;
// with SLMROOF_UPDATE_DOCS=1 set, rewrites that part instead.
void ExpectDocSection(const std::string& name, const std::string& table) {
  const std::string begin = "<!-- " + name + ":begin -->\n";
  const std::string end = "<!-- " + name + ":end -->";
  std::string doc = ReadDoc();
  const size_t b = doc.find(begin);
  const size_t e = doc.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  if (std::getenv("SLMROOF_UPDATE_DOCS") != nullptr) {
    doc.replace(b + begin.size(), e - b - begin.size(), table);
    std::ofstream(std::string(SLMROOF_SOURCE_DIR) + "/docs/robustness.md") << doc;
    return;
  }
  EXPECT_EQ(doc.substr(b + begin.size(), e - b - begin.size()), table)
      << "run: SLMROOF_UPDATE_DOCS=1 ./build/tests/slmroof_tests --gtest_filter='*Docs*'";
}

TEST(RobustnessMatrix, DocsListEveryCase) { ExpectDocSection("matrix", MatrixMarkdown()); }

// The bounds table of docs/robustness.md is limits.hpp's, number for number.
TEST(Bounds, DocsListEveryBound) {
  auto number = [](double v) {
    return v == std::floor(v) && std::fabs(v) < 1e15 ? fmt::format("{:.0f}", v) : fmt::format("{:g}", v);
  };
  std::string table = "| input | field | min | max |\n|---|---|---|---|\n";
  for (const DocumentedLimit& l : DocumentedLimits()) {
    table += fmt::format("| {} | {} | {} | {} |\n", l.input, l.field, number(l.min), number(l.max));
  }
  ExpectDocSection("bounds", table);
}

}  // namespace
}  // namespace slmroof::robustness

namespace slmroof::robustness {
namespace {

bool ValidUtf8Text(const std::string& s) {
  // Decodes as nlohmann does: a dump with the strict handler throws on invalid UTF-8.
  try {
    nlohmann::json(s).dump();
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

// A model file whose name is not valid UTF-8 still gives valid UTF-8 (and valid JSON) in every
// format; it used to be an internal error in JSON and invalid UTF-8 in JSON Lines.
TEST(Output, FileNamesThatAreNotUtf8StayValid) {
  const std::string name = "bad\xff\xfe-name.json";
  auto setup = [&](const std::string& dir) {
    std::ifstream in(std::string(SLMROOF_SOURCE_DIR) + "/configs/qwen2.5-0.5b.json");
    std::ofstream(dir + "/" + name) << in.rdbuf();
  };
  const std::vector<std::vector<std::string>> runs = {
      {"analyze", name, "--format", "json"},
      {"analyze", name, "--format", "csv"},
      {"analyze", name},
      {"sweep", name, "--format", "jsonl", "--seq", "1,2"},
      {"sweep", name, "--format", "csv", "--seq", "1,2"},
      {"compare", name, "qwen2.5-0.5b", "--format", "json"},
  };
  for (const std::vector<std::string>& args : runs) {
    Case c;
    c.args = args;
    c.setup = setup;
    const Outcome o = RunCase(c, 10);
    EXPECT_EQ(o.exit_code, 0) << args[1] << ": " << o.err;
    EXPECT_TRUE(ValidUtf8Text(o.out)) << fmt::format("{}", fmt::join(args, " "));
    if (args.size() > 2) {  // the table names the model by its display name instead
      EXPECT_NE(o.out.find("bad\xEF\xBF\xBD\xEF\xBF\xBD-name"), std::string::npos)
          << "the name is shown with U+FFFD for each invalid byte";
    }
    const bool jsonl = std::find(args.begin(), args.end(), "jsonl") != args.end();
    const bool json = std::find(args.begin(), args.end(), "json") != args.end();
    if (jsonl) {
      std::istringstream lines(o.out);
      for (std::string line; std::getline(lines, line);) {
        EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded());
      }
    }
    if (json) {
      EXPECT_FALSE(nlohmann::json::parse(o.out, nullptr, false).is_discarded());
    }
  }
}

// -o through a symbolic link writes the file the link names, also when it does not exist yet
// (a dangling link); the link itself stays a link.
TEST(Output, WritesThroughSymbolicLinks) {
  for (const bool dangling : {true, false}) {
    Case c;
    c.args = {"analyze", "qwen2.5-0.5b", "--format", "json", "-o", "link.json"};
    c.setup = [dangling](const std::string& dir) {
      mkdir((dir + "/sub").c_str(), 0755);
      if (!dangling) {
        std::ofstream(dir + "/sub/target.json") << "old";
      }
      ASSERT_EQ(symlink("sub/target.json", (dir + "/link.json").c_str()), 0);
    };
    const Outcome o = RunCase(c, 10);
    EXPECT_EQ(o.exit_code, 0) << o.err;
    const std::vector<std::string> expected = {"link.json", "sub", "sub/target.json"};
    EXPECT_EQ(o.files_after, expected);
    // The new file is the analysis (the only file created, or the replaced target).
    if (dangling) {
      ASSERT_EQ(o.new_file_texts.size(), 1u);
      EXPECT_FALSE(nlohmann::json::parse(o.new_file_texts[0], nullptr, false).is_discarded());
    }
  }
}

}  // namespace
}  // namespace slmroof::robustness

namespace slmroof {
namespace {

// Every temporary file (of -o, of a chart, the SVG handed to rsvg-convert) is a TempFile: a
// terminating signal removes all that are alive, and the process still dies of the signal.
TEST(TempFiles, SignalsRemoveEveryLiveTemporaryFile) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGALRM, SIGUSR1}) {
    char dir_template[] = "/tmp/slmroof-tempfile-XXXXXX";
    const std::string dir = mkdtemp(dir_template);
    const std::string kept = dir + "/kept";
    const std::string a = dir + "/a.slmroof-1";
    const std::string b = dir + "/b.slmroof-2";
    const pid_t pid = fork();
    if (pid == 0) {
      const rlimit no_core{0, 0};
      setrlimit(RLIMIT_CORE, &no_core);
      InstallSignalHandling();
      for (const std::string& p : {kept, a, b}) {
        std::ofstream(p) << "x";
      }
      TempFile released(kept);
      released.Release();  // renamed into place: no longer the handler's to remove
      TempFile first(a);
      TempFile second(b);
      raise(sig);
      _exit(0);  // not reached
    }
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status)) << sig;
    EXPECT_EQ(WTERMSIG(status), sig);
    EXPECT_EQ(access(a.c_str(), F_OK), -1) << strsignal(sig);
    EXPECT_EQ(access(b.c_str(), F_OK), -1) << strsignal(sig);
    EXPECT_EQ(access(kept.c_str(), F_OK), 0) << strsignal(sig);
    std::remove(kept.c_str());
    rmdir(dir.c_str());
  }
}

}  // namespace
}  // namespace slmroof
