// End to end against the binary: what a new user meets first (help, suggestions, completion),
// the exit codes a CI gate relies on, and formats chosen by file names (issue 10).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace slmroof {
namespace {

using testing::RunBinary;

std::string TempDir() {
  char dir[] = "/tmp/slmroof-first-hour-XXXXXX";
  return mkdtemp(dir);
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

TEST(FirstHour, BareCallPrintsHelpToStderr) {
  std::string out, err;
  EXPECT_EQ(RunBinary("", &out, &err), 2);
  EXPECT_EQ(out, "");
  EXPECT_NE(err.find("Subcommands:"), std::string::npos) << err;
  EXPECT_NE(err.find("Exit codes:"), std::string::npos) << err;
}

TEST(FirstHour, HelpSubcommand) {
  std::string out, err;
  ASSERT_EQ(RunBinary("help", &out, &err), 0) << err;
  EXPECT_NE(out.find("Subcommands:"), std::string::npos);
  EXPECT_NE(out.find("  4  a gate fired"), std::string::npos) << out;
  ASSERT_EQ(RunBinary("help compare", &out, &err), 0) << err;
  EXPECT_EQ(out.rfind("Compare two models", 0), 0u) << out;
  EXPECT_NE(out.find("Usage: slmroof compare"), std::string::npos) << out;
  EXPECT_EQ(RunBinary("help anlyze", &out, &err), 2);
  EXPECT_NE(err.find("unknown subcommand 'anlyze', did you mean 'analyze'?"), std::string::npos) << err;
  // The manual page names every subcommand and the exit codes.
  ASSERT_EQ(RunBinary("help --man", &out, &err), 0) << err;
  EXPECT_EQ(out.rfind(".TH SLMROOF 1", 0), 0u);
  for (const char* sub : {"analyze", "compare", "sweep", "validate", "calibrate", "list",
                          "completion", "help"}) {
    EXPECT_NE(out.find(std::string(".SS \"") + sub + "\""), std::string::npos) << sub;
  }
  EXPECT_NE(out.find(".SH \"EXIT STATUS\""), std::string::npos);
}

TEST(FirstHour, UnknownSubcommandIsSuggested) {
  std::string out, err;
  EXPECT_EQ(RunBinary("anlyze", &out, &err), 2);
  EXPECT_EQ(out, "");
  EXPECT_EQ(err.rfind("slmroof: error: unknown subcommand 'anlyze', did you mean 'analyze'?", 0), 0u)
      << err;
  // Options without a subcommand.
  EXPECT_EQ(RunBinary("--seq 4k", &out, &err), 2);
  EXPECT_NE(err.find("Run 'slmroof"), std::string::npos) << err;
  // A usage error inside a subcommand points to that subcommand's help.
  EXPECT_EQ(RunBinary("sweep --frobnicate", &out, &err), 2);
  EXPECT_NE(err.find("Run 'slmroof sweep --help' for usage."), std::string::npos) << err;
}

TEST(FirstHour, ListWithoutArgumentListsModelsAndHardwareWithUnits) {
  std::string out, err;
  ASSERT_EQ(RunBinary("list", &out, &err), 0) << err;
  EXPECT_NE(out.find("Models (slmroof list models):\nbamba-9b "), std::string::npos) << out;
  EXPECT_NE(out.find("Hardware (slmroof list hardware):\n"), std::string::npos);
  EXPECT_EQ(out.find("what"), std::string::npos) << "an internal name leaked";
  // Every unit of a device, with its bandwidth and peaks.
  ASSERT_EQ(RunBinary("list hardware", &out, &err), 0) << err;
  const size_t rtx = out.find("\nrtx-3090 ");
  ASSERT_NE(rtx, std::string::npos) << out;
  EXPECT_NE(out.find("\n    gpu          gpu ", rtx), std::string::npos) << out.substr(rtx, 400);
  EXPECT_NE(out.find("\n    gpu-tensor   gpu ", rtx), std::string::npos) << out.substr(rtx, 400);
  ASSERT_EQ(RunBinary("list hardware --format json", &out, &err), 0) << err;
  EXPECT_NE(out.find("\"units\": ["), std::string::npos);
}

TEST(FirstHour, CompletionScriptsParse) {
  const std::string dir = TempDir();
  for (const char* shell : {"bash", "zsh", "fish"}) {
    std::string out, err;
    ASSERT_EQ(RunBinary(std::string("completion ") + shell, &out, &err), 0) << shell << err;
    const std::string path = dir + "/completion." + shell;
    std::ofstream(path) << out;
    const std::string check = std::string(shell) + " -n " + path;
    // bash is always there; zsh and fish are installed by scripts/test.sh.
    if (std::string(shell) != "bash" &&
        std::system((std::string("command -v ") + shell + " >/dev/null").c_str()) != 0) {
      ADD_FAILURE() << shell << " is not installed (scripts/test.sh installs it)";
      continue;
    }
    EXPECT_EQ(std::system(check.c_str()), 0) << check;
    std::remove(path.c_str());
  }
  // bash: the subcommands, a preset name after --hw, an enumerated value.
  const std::string script = dir + "/run.sh";
  std::ofstream(script) << "source <(" << SLMROOF_BINARY << " completion bash)\n"
                        << "t() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); "
                           "COMPREPLY=(); _slmroof; echo \"${COMPREPLY[*]}\"; }\n"
                        << "t slmroof an\nt slmroof analyze --hw raspberry-pi-5-1\n"
                        << "t slmroof analyze --phase d\nt slmroof sweep --forma\n"
                        // A flag takes no value: after it come the models again.
                        << "t slmroof analyze --summary qwen2.5-0.\nt slmroof analyze --unit an\n";
  std::string out, err;
  const std::string cmd = "bash " + script + " >" + dir + "/out 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream in(dir + "/out");
  out.assign(std::istreambuf_iterator<char>(in), {});
  EXPECT_EQ(out, "analyze\nraspberry-pi-5-16gb\ndecode\n--format\nqwen2.5-0.5b\nane\n");
  std::remove(script.c_str());
  std::remove((dir + "/out").c_str());
  rmdir(dir.c_str());
}

TEST(FirstHour, TokenCountsTakeK) {
  std::string a, b, err;
  ASSERT_EQ(RunBinary("analyze --seq 4k --format json", &a, &err), 0) << err;
  ASSERT_EQ(RunBinary("analyze --seq 4096 --format json", &b, &err), 0) << err;
  EXPECT_EQ(a, b);
  ASSERT_EQ(RunBinary("sweep --seq 1k:4k:x2 --phase decode --format csv", &a, &err), 0) << err;
  ASSERT_EQ(RunBinary("sweep --seq 1024,2048,4096 --phase decode --format csv", &b, &err), 0) << err;
  EXPECT_EQ(a, b);
  EXPECT_EQ(RunBinary("analyze --seq 4x", &a, &err), 2);
  EXPECT_EQ(err, "slmroof: error: --seq: '4x' is not a token count (examples: 4096, 4k = 4096, 1M)\n");
  EXPECT_EQ(RunBinary("analyze --seq 2048M", &a, &err), 2);
  EXPECT_EQ(err, "slmroof: error: --seq: '2048M' is outside [1, 1073741824]\n");
}

// compare's exit codes: 0 nothing crossed, 1 invalid input, 2 usage, 3 internal error, 4 a
// threshold crossed.
TEST(FirstHour, EveryExitCodeOfCompare) {
  std::string out, err;
  EXPECT_EQ(RunBinary("compare qwen2.5-0.5b qwen2.5-0.5b --fail-if 'tpot>+1%'", &out, &err), 0) << err;
  EXPECT_EQ(RunBinary("compare qwen2.5-0.5b /no/such.json --fail-if 'tpot>+5%'", &out, &err), 1);
  EXPECT_EQ(err, "slmroof: error: cannot open '/no/such.json': No such file or directory\n");
  EXPECT_EQ(RunBinary("compare qwen2.5-0.5b qwen2.5-0.5b --fail-if 'tpot>5'", &out, &err), 2);
  const std::string env_cmd = std::string("SLMROOF_FAULT=internal ") + SLMROOF_BINARY +
                              " compare qwen2.5-0.5b qwen2.5-0.5b >/dev/null 2>&1";
  const int status = std::system(env_cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  EXPECT_EQ(RunBinary("compare --engine ideal qwen2.5-0.5b qwen2.5-0.5b@weights=fp32 --fail-if 'tpot>+5ms'",
                      &out, &err),
            4);
  EXPECT_NE(err.find("threshold 'tpot>+5ms' crossed"), std::string::npos) << err;
}

TEST(FirstHour, ThresholdsTakeUnits) {
  std::string out, err;
  EXPECT_EQ(RunBinary("compare qwen2.5-0.5b qwen2.5-0.5b --fail-if 'tpot>5'", &out, &err), 2);
  EXPECT_EQ(err,
            "slmroof: error: --fail-if 'tpot>5': tpot is measured in s: give a unit (e.g. "
            "'tpot>5ms') or a relative change ('tpot>5%')\n");
  EXPECT_EQ(RunBinary("compare qwen2.5-0.5b qwen2.5-0.5b --fail-if 'memory>+100MB' "
                      "--fail-if 'decode_tps<-3tok/s' --fail-if 'decode_oi>+1'",
                      &out, &err),
            0)
      << err;
  EXPECT_EQ(RunBinary("compare qwen2.5-0.5b qwen2.5-0.5b --fail-if 'memory>+100ms'", &out, &err), 2);
  EXPECT_NE(err.find("'ms' is not a unit of memory (bytes; accepted: %, MB, B, kB"), std::string::npos)
      << err;
}

TEST(FirstHour, OutputFormatsFollowFileNames) {
  const std::string dir = TempDir();
  std::string out, err;
  // A known extension picks the format.
  ASSERT_EQ(RunBinary("analyze --phase decode -o " + dir + "/a.json", &out, &err), 0) << err;
  std::ifstream json(dir + "/a.json");
  EXPECT_EQ(json.get(), '{');
  ASSERT_EQ(RunBinary("analyze --phase decode -o " + dir + "/a.txt", &out, &err), 0) << err;
  // Unknown ones are refused, naming the accepted ones, and nothing is written.
  EXPECT_EQ(RunBinary("analyze -o " + dir + "/a.jsonl", &out, &err), 2);
  EXPECT_EQ(err, "slmroof: error: -o '" + dir +
                     "/a.jsonl': unknown extension '.jsonl'; name the file with one of .txt "
                     "(table), .json (json), .csv (csv), or give --format\n");
  EXPECT_FALSE(Exists(dir + "/a.jsonl"));
  EXPECT_EQ(RunBinary("sweep -o " + dir + "/s.json", &out, &err), 2);
  EXPECT_EQ(RunBinary("compare qwen2.5-0.5b qwen2.5-0.5b -o " + dir + "/c.csv", &out, &err), 2);
  EXPECT_EQ(RunBinary("analyze -o " + dir + "/noext", &out, &err), 2);
  EXPECT_NE(err.find("has no extension"), std::string::npos) << err;
  // "-" is stdout, in the default format.
  EXPECT_EQ(RunBinary("analyze --phase decode --summary -o -", &out, &err), 0) << err;
  EXPECT_NE(out.find("time per output token"), std::string::npos);
  // --format makes any name acceptable.
  EXPECT_EQ(RunBinary("analyze --phase decode --format json -o " + dir + "/a.out", &out, &err), 0) << err;
  // Charts: .svg, .png, .html; others are refused unless --plot-format says.
  EXPECT_EQ(RunBinary("analyze --plot " + dir + "/x.pdf", &out, &err), 2);
  EXPECT_EQ(err, "slmroof: error: --plot '" + dir +
                     "/x.pdf': unknown chart extension '.pdf'; name the file .svg, .png or .html, or "
                     "give --plot-format\n");
  EXPECT_EQ(out, "");
  EXPECT_EQ(RunBinary("analyze --plot " + dir + "/x.jpg", &out, &err), 2);
  EXPECT_FALSE(Exists(dir + "/x.pdf") || Exists(dir + "/x.jpg"));
  EXPECT_EQ(RunBinary("analyze --phase decode --plot " + dir + "/x.chart --plot-format svg", &out, &err), 0)
      << err;
  for (const char* f : {"a.json", "a.txt", "a.out", "x.chart"}) {
    std::remove((dir + "/" + f).c_str());
  }
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace slmroof
