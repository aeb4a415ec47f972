// The bad-input matrix run end to end (docs/robustness.md): the right exit code and exact message,
// nothing on stdout, no file left behind, within a CPU-time limit and a few hundred MB.

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "robustness/runner.hpp"

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

// docs/robustness.md shows the matrix between two markers; SLMROOF_UPDATE_DOCS=1 rewrites it.
TEST(RobustnessMatrix, DocsListEveryCase) {
  const std::string begin = "<!-- matrix:begin -->\n";
  const std::string end = "<!-- matrix:end -->";
  std::string doc = ReadDoc();
  const size_t b = doc.find(begin);
  const size_t e = doc.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  const std::string table = MatrixMarkdown();
  if (std::getenv("SLMROOF_UPDATE_DOCS") != nullptr) {
    doc.replace(b + begin.size(), e - b - begin.size(), table);
    std::ofstream(std::string(SLMROOF_SOURCE_DIR) + "/docs/robustness.md") << doc;
    return;
  }
  EXPECT_EQ(doc.substr(b + begin.size(), e - b - begin.size()), table)
      << "run: SLMROOF_UPDATE_DOCS=1 ./build/slmroof_tests --gtest_filter=RobustnessMatrix.Docs*";
}

}  // namespace
}  // namespace slmroof::robustness
