// End to end: the real binary, its exit codes, its streams and the golden files of tests/golden/.
#include <cstdio>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.hpp"

namespace slmroof {
namespace {

using testing::RunBinary;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Cli, GoldenFiles) {
  const std::string dir = std::string(SLMROOF_SOURCE_DIR) + "/tests/golden/";
  std::ifstream cases(dir + "CASES");
  std::string line;
  int checked = 0;
  while (std::getline(cases, line)) {
    if (line.empty()) {
      continue;
    }
    const size_t space = line.find(' ');
    const std::string name = line.substr(0, space);
    std::string out, err;
    ASSERT_EQ(RunBinary(line.substr(space + 1), &out, &err), 0) << name << ": " << err;
    EXPECT_EQ(out, ReadFile(dir + name)) << name << " differs; run scripts/update-goldens.sh and review";
    ++checked;
  }
  EXPECT_GE(checked, 8);
}

struct ErrorCase {
  const char* args;
  int code;
  const char* message;  // the whole of stderr
};

TEST(Cli, BadInputFailsCleanly) {
  const std::string tiny = testing::DataPath("tiny.json");
  const ErrorCase kCases[] = {
      {"analyze --seq 0", 2, "slmroof: error: --seq: '0' is outside [1, 1073741824]\n"},
      {"analyze --seq abc", 2,
       "slmroof: error: --seq: 'abc' is not a token count (examples: 4096, 4k = 4096, 1M)\n"},
      {"analyze --frobnicate", 2,
       "slmroof: error: The following argument was not expected: --frobnicate\nRun 'slmroof analyze --help' for usage.\n"},
      {"analyze --weights int3", 2, nullptr},
      {"analyze --bandwidth 12XB/s", 2,
       "slmroof: error: --bandwidth: cannot read '12XB/s' as a quantity (example: 120GB/s)\n"},
      {"analyze --measured-tps 25", 2,
       "slmroof: error: --measured-tps: with --phase both, give 'prefill=X,decode=Y'\n"},
      {"analyze --phase decode --measured-tps decode=25,prefill", 2,
       "slmroof: error: --measured-tps: 'prefill' is not of the form prefill=X or decode=Y\n"},
      {"analyze --measured-tps decode=25,generate=3", 2,
       "slmroof: error: --measured-tps: 'generate' is not prefill=X or decode=Y\n"},
      {"analyze --bandwidth 100GB/s --peak fp17=1T", 2,
       "slmroof: error: --peak: unknown precision 'fp17' (known: fp32, fp16, bf16, int8, int4)\n"},
      {"analyze qwen2.5-1.5 --hw rtx-3090", 1,
       "slmroof: error: unknown model 'qwen2.5-1.5', did you mean 'qwen2.5-1.5b'? (see 'slmroof list models')\n"},
      {"analyze --hw jetson-nano", 1,
       "slmroof: error: unknown hardware 'jetson-nano', did you mean 'jetson-orin-nano'? (see 'slmroof list hardware')\n"},
      {"analyze /no/such/model.json", 1, "slmroof: error: cannot open '/no/such/model.json': No such file or directory\n"},
      {"analyze --hw rtx-3090 --unit npu", 1,
       "slmroof: error: hardware 'rtx-3090' has no compute unit 'npu' (units: gpu, gpu-tensor)\n"},
  };
  for (const ErrorCase& c : kCases) {
    std::string out, err;
    EXPECT_EQ(RunBinary(c.args, &out, &err), c.code) << c.args;
    EXPECT_EQ(out, "") << c.args;
    if (c.message != nullptr) {
      EXPECT_EQ(err, c.message) << c.args;
    } else {
      EXPECT_EQ(err.rfind("slmroof: error: ", 0), 0u) << c.args << ": " << err;
    }
  }
}

TEST(Cli, PrecisionWithoutAPeakWarnsOncePerPair) {
  std::string out, err;
  ASSERT_EQ(RunBinary("analyze qwen2.5-0.5b --hw apple-m1-pro --unit ane --phase decode --engine ideal", &out, &err),
            0);
  EXPECT_EQ(err,
            "slmroof: warning: 'apple-m1-pro' unit 'ane' publishes no fp16 peak: fp16 work runs "
            "against its int8 ceiling\n"
            "slmroof: warning: 'apple-m1-pro' unit 'ane' publishes no fp32 peak: fp32 work runs "
            "against its int8 ceiling\n");
}

TEST(Cli, MalformedModelFileNamesFile) {
  const std::string path = ::testing::TempDir() + "broken.json";
  std::ofstream(path) << "{\"model_type\": \"llama\", \"hidden_size\": \"wide\"}";
  std::string out, err;
  EXPECT_EQ(RunBinary("analyze " + path, &out, &err), 1);
  EXPECT_EQ(out, "");
  EXPECT_EQ(err, "slmroof: error: " + path + ": field 'vocab_size' is missing\n");
}

TEST(Cli, OutputFileIsWrittenWholeOrNotAtAll) {
  const std::string path = ::testing::TempDir() + "slmroof-out.json";
  std::remove(path.c_str());
  std::string out, err;
  EXPECT_EQ(RunBinary("analyze no-such-model -o " + path, &out, &err), 1);
  EXPECT_FALSE(std::ifstream(path).good());
  EXPECT_EQ(RunBinary("analyze --format json -o " + path, &out, &err), 0);
  EXPECT_EQ(out, "");
  const auto j = nlohmann::json::parse(ReadFile(path));
  EXPECT_EQ(j["schema_version"], 1);
  std::remove(path.c_str());
}

TEST(Cli, JsonTotalsAreSumsAndCsvParsesBack) {
  std::string json_out, csv_out, err;
  const std::string args = "analyze smollm2-360m --hw apple-m2 --seq 512 --batch 2 --fusion flash";
  ASSERT_EQ(RunBinary(args + " --format json", &json_out, &err), 0) << err;
  ASSERT_EQ(RunBinary(args + " --format csv", &csv_out, &err), 0) << err;
  const auto j = nlohmann::json::parse(json_out);
  // Minimum shape of the contract.
  for (const char* key : {"schema_version", "model", "hardware", "scenario", "phases", "memory"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["scenario"]["seq_len"], 512);
  EXPECT_EQ(j["scenario"]["batch"], 2);
  size_t rows = 0;
  for (const auto& phase : j["phases"]) {
    double flops = 0, bytes = 0, time = 0;
    for (const auto& op : phase["operators"]) {
      const double c = op["count"].get<double>();
      flops += c * op["flops"].get<double>();
      bytes += c * op["bytes"].get<double>();
      time += c * op["time_s"].get<double>();
      // An operator that moves no bytes (the runtime's fixed overhead) has OI 0.
      const double op_bytes = op["bytes"].get<double>();
      EXPECT_NEAR(op["oi"].get<double>(), op_bytes > 0 ? op["flops"].get<double>() / op_bytes : 0.0,
                  1e-9 * op["oi"].get<double>() + 1e-12);
      ++rows;
    }
    const auto& t = phase["totals"];
    EXPECT_NEAR(t["flops"].get<double>(), flops, 1e-8 * flops);
    EXPECT_NEAR(t["bytes"].get<double>(), bytes, 1e-8 * bytes);
    EXPECT_NEAR(t["time_s"].get<double>(), time, 1e-8 * time);
    EXPECT_TRUE(phase["rip"].contains("phi"));
    EXPECT_TRUE(phase["rip"].contains("phi_log"));
  }
  // CSV: a header, then one row per operator and a total row per phase, all with the same
  // number of fields; each total row's sums are the operators' count x per-instance values.
  std::istringstream csv(csv_out);
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line.rfind("model,hardware,phase,name,kind,count,flops,flops_total,bytes,bytes_total", 0), 0u);
  const auto fields = std::count(line.begin(), line.end(), ',');
  size_t n = 0;
  size_t totals = 0;
  double time_sum = 0;
  while (std::getline(csv, line)) {
    EXPECT_EQ(std::count(line.begin(), line.end(), ','), fields) << line;
    std::vector<std::string> cells;
    std::stringstream fields_of(line);
    for (std::string cell; std::getline(fields_of, cell, ',');) {
      cells.push_back(cell);
    }
    cells.resize(22);
    if (cells[3] == "total") {
      ++totals;
      EXPECT_NEAR(std::stod(cells[20]), time_sum, 1e-8 * time_sum) << line;  // time_total_s
      EXPECT_FALSE(cells[21].empty()) << "tokens_per_s";
      time_sum = 0;
    } else {
      EXPECT_NEAR(std::stod(cells[20]), std::stod(cells[5]) * std::stod(cells[19]),
                  1e-9 * std::stod(cells[20]) + 1e-15) << line;  // count x time_s
      time_sum += std::stod(cells[20]);
      ++n;
    }
  }
  EXPECT_EQ(n, rows);
  EXPECT_EQ(totals, 2u);
}

TEST(Cli, CommandLineDeviceAndOverrides) {
  std::string out, err;
  ASSERT_EQ(RunBinary("analyze qwen2.5-0.5b --bandwidth 50GB/s --peak 1T --phase decode --format json",
                      &out, &err), 0) << err;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["hardware"]["name"], "custom");
  EXPECT_EQ(j["hardware"]["bandwidth_bytes_per_s"], 50e9);
  EXPECT_EQ(j["hardware"]["ridge_oi"], 20);
  EXPECT_TRUE(j["memory"]["fits"].is_null());
  ASSERT_EQ(RunBinary("analyze qwen2.5-0.5b --hw rtx-3090 --peak fp16=2T --phase decode --format json",
                      &out, &err), 0) << err;
  j = nlohmann::json::parse(out);
  EXPECT_EQ(j["hardware"]["peaks_flops_per_s"]["fp16"], 2e12);
  EXPECT_EQ(j["hardware"]["bandwidth_bytes_per_s"], 936.2e9);
}

TEST(Cli, MeasuredThroughputReachesPhi) {
  std::string out, err;
  ASSERT_EQ(RunBinary("analyze --measured-tps prefill=1000,decode=20 --format json", &out, &err), 0) << err;
  const auto j = nlohmann::json::parse(out);
  for (const auto& phase : j["phases"]) {
    EXPECT_EQ(phase["rip"]["point"], "measured");
    const double tps = phase["phase"] == "prefill" ? 1000 : 20;
    // Perf = FLOPs of the pass × measured tokens/s ÷ tokens of the pass (docs §9.3).
    EXPECT_NEAR(phase["rip"]["perf_flops_per_s"].get<double>(),
                phase["totals"]["flops"].get<double>() * tps / phase["totals"]["tokens"].get<double>(),
                1e-8 * phase["rip"]["perf_flops_per_s"].get<double>());
  }
}

TEST(Cli, HelpAndVersionGoToStdout) {
  std::string out, err;
  EXPECT_EQ(RunBinary("--help", &out, &err), 0);
  EXPECT_NE(out.find("analyze"), std::string::npos);
  EXPECT_NE(out.find("list"), std::string::npos);
  EXPECT_EQ(RunBinary("--version", &out, &err), 0);
  EXPECT_EQ(out.rfind("slmroof ", 0), 0u);
  EXPECT_EQ(RunBinary("analyze --help", &out, &err), 0);
  EXPECT_NE(out.find("--measured-tps"), std::string::npos);
}

TEST(Cli, WarningsGoToStderrOnly) {
  std::string out, err;
  ASSERT_EQ(RunBinary("analyze qwen2.5-0.5b --phase decode --format csv --ctx 64k", &out, &err), 0);
  EXPECT_NE(err.find("slmroof: warning: qwen2.5-0.5b: --ctx 65536 is beyond"), std::string::npos);
  EXPECT_EQ(out.find("warning"), std::string::npos);
}

}  // namespace
}  // namespace slmroof

namespace slmroof {
namespace {

TEST(Readme, ExampleOutputIsTheGoldenDefault) {
  const std::string readme = ReadFile(std::string(SLMROOF_SOURCE_DIR) + "/README.md");
  const std::string golden = ReadFile(std::string(SLMROOF_SOURCE_DIR) + "/tests/golden/default.txt");
  const std::string open = "<!-- golden:default.txt -->\n";
  const size_t begin = readme.find(open);
  const size_t end = readme.find("<!-- /golden -->");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ(readme.substr(begin + open.size(), end - begin - open.size()), golden)
      << "README example drifted: run scripts/update-goldens.sh";
}

}  // namespace
}  // namespace slmroof

namespace slmroof {
namespace {

// --plot writes charts beside the data: a roofline for analyze and for a sweep of single points,
// lines for a sweep along an axis, one chart per point for compare.
TEST(CliPlot, EverySubcommandDrawsItsChart) {
  const std::string dir = ::testing::TempDir();
  std::string out, err;
  ASSERT_EQ(RunBinary("analyze --plot " + dir + "/a.svg", &out, &err), 0) << err;
  EXPECT_NE(out.find("time to first token"), std::string::npos);  // the table still prints
  const std::string roofline = ReadFile(dir + "/a.svg");
  EXPECT_NE(roofline.find("<svg"), std::string::npos);
  EXPECT_NE(roofline.find("class=\"op-point"), std::string::npos);

  ASSERT_EQ(RunBinary("sweep qwen2.5-1.5b --hw raspberry-pi-5,apple-m1-pro --seq 1024 --plot " +
                          dir + "/devices.svg",
                      &out, &err),
            0)
      << err;
  EXPECT_NE(ReadFile(dir + "/devices.svg").find("one workload on 2 devices"), std::string::npos);

  ASSERT_EQ(RunBinary("sweep qwen2.5-1.5b --phase decode --seq 128:4096:x2 --format csv --plot " +
                          dir + "/lines.svg",
                      &out, &err),
            0)
      << err;
  EXPECT_NE(ReadFile(dir + "/lines.svg").find("against sequence length"), std::string::npos);
  EXPECT_EQ(out.substr(0, 6), "model,");  // stdout is still the CSV

  ASSERT_EQ(RunBinary("compare qwen2.5-1.5b qwen2.5-1.5b@weights=q4_k --seq 512,1024 --plot " +
                          dir + "/cmp.html",
                      &out, &err),
            0)
      << err;
  const std::string html = ReadFile(dir + "/cmp.html");
  size_t charts = 0, bars = 0;
  for (size_t at = html.find("(candidate) on"); at != std::string::npos;
       at = html.find("(candidate) on", at + 1)) {
    ++charts;
  }
  for (size_t at = html.find("Δ candidate against base"); at != std::string::npos;
       at = html.find("Δ candidate against base", at + 1)) {
    ++bars;
  }
  EXPECT_EQ(charts, 2u);  // a roofline per point
  EXPECT_EQ(bars, 2u);    // beside its bars
  EXPECT_NE(html.find("<table>"), std::string::npos);
  EXPECT_EQ(html.find("<pre>"), std::string::npos);
}

// Several charts are named after what they show; a threshold is drawn on its bar; the roofline
// states the headline numbers and labels the operators that take the most time.
TEST(CliPlot, ChartsSayWhatTheyShow) {
  char dir_template[] = "/tmp/slmroof-charts-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  std::string out, err;
  ASSERT_EQ(RunBinary("compare qwen2.5-1.5b qwen2.5-1.5b@weights=q4_k --seq 512,4k --hw rpi5,orin-nano-super "
                      "--fail-if 'tpot>+5%' --plot " + dir + "/cmp.svg",
                      &out, &err),
            0)
      << err;
  for (const char* name : {"raspberry-pi-5-seq512", "raspberry-pi-5-seq4096",
                           "jetson-orin-nano-super-seq512", "jetson-orin-nano-super-seq4096"}) {
    const std::string svg = ReadFile(dir + "/cmp-" + name + ".svg");
    EXPECT_NE(svg.find("class=\"threshold\""), std::string::npos) << name;
    EXPECT_NE(svg.find("data-metric=\"tpot\""), std::string::npos) << name;
    EXPECT_NE(svg.find("class=\"headline\""), std::string::npos) << name;
    std::remove((dir + "/cmp-" + std::string(name) + ".svg").c_str());
  }
  ASSERT_EQ(RunBinary("analyze --phase decode --plot " + dir + "/a.svg", &out, &err), 0) << err;
  const std::string svg = ReadFile(dir + "/a.svg");
  EXPECT_NE(svg.find(">TPOT 82 ms (12.2 tok/s)"), std::string::npos);
  EXPECT_NE(svg.find("memory 3.58 GB of 8.59 GB: fits"), std::string::npos);
  EXPECT_NE(svg.find("gate_proj, up_proj, down_proj +5"), std::string::npos);
  std::remove((dir + "/a.svg").c_str());
  rmdir(dir.c_str());
}

TEST(CliPlot, BadPlotOptionsAreUsageErrors) {
  std::string out, err;
  EXPECT_EQ(RunBinary("analyze --plot-format png", &out, &err), 2);
  EXPECT_EQ(err, "slmroof: error: --plot-format needs --plot FILE\n");
  EXPECT_EQ(out, "");
  EXPECT_EQ(RunBinary("sweep --seq 1:60000 --plot /tmp/x.svg", &out, &err), 2);
  EXPECT_EQ(err,
            "slmroof: error: --plot: a chart holds at most 100000 rows and the grid has 120000; "
            "narrow the grid\n");
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace slmroof
