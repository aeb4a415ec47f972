// slmroof sweep: every row equals what analyze gives for the same point, rows stream in a stable
// order, and bad grids fail before any row is printed.
#include "slmroof/sweep.hpp"

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "slmroof/io/model_reader.hpp"
#include "slmroof/presets.hpp"
#include "test_util.hpp"

namespace slmroof {
namespace {

using testing::RunBinary;

std::vector<std::string> Split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::stringstream in(line);
  std::string cell;
  while (std::getline(in, cell, sep)) {
    out.push_back(cell);
  }
  if (!line.empty() && line.back() == sep) {
    out.emplace_back();
  }
  return out;
}

// CSV text as one map per row, keyed by the header.
std::vector<std::map<std::string, std::string>> ParseCsv(const std::string& text) {
  std::stringstream in(text);
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = Split(line, ',');
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    const std::vector<std::string> cells = Split(line, ',');
    EXPECT_EQ(cells.size(), header.size()) << line;
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size() && i < cells.size(); ++i) {
      row[header[i]] = cells[i];
    }
    rows.push_back(row);
  }
  return rows;
}

// Keeps rows with a copy of their scenario: a row's setting lives only while its rows stream.
class Collect : public SweepSink {
 public:
  void Row(const SweepRow& r) override {
    rows.push_back(r);
    rows.back().setting = nullptr;
    scenarios.push_back(r.setting->scenario);
  }
  std::vector<SweepRow> rows;
  std::vector<Scenario> scenarios;
};

// The acceptance command, row by row against `analyze --format json` at each point.
TEST(Sweep, EveryCsvRowEqualsAnalyze) {
  std::string out, err;
  ASSERT_EQ(RunBinary("sweep --model qwen2.5-1.5b --hw jetson-orin-nano-super --seq 128:32768:x2 "
                      "--format csv",
                      &out, &err),
            0)
      << err;
  const auto rows = ParseCsv(out);
  ASSERT_EQ(rows.size(), 18u);  // 9 lengths × 2 phases
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    const int64_t seq = int64_t{128} << (i / 2);
    EXPECT_EQ(row.at("seq_len"), std::to_string(seq));
    EXPECT_EQ(row.at("phase"), i % 2 == 0 ? "prefill" : "decode");
    std::string json_text;
    ASSERT_EQ(RunBinary(fmt::format("analyze qwen2.5-1.5b --hw jetson-orin-nano-super --seq {} "
                                    "--format json",
                                    seq),
                        &json_text, &err),
              0);
    const auto a = nlohmann::json::parse(json_text);
    const auto& phase = a["phases"][i % 2];
    ASSERT_EQ(phase["phase"], row.at("phase"));
    // The JSON holds 10-digit values; the CSV prints 10 digits: equal when read back.
    auto same = [&](const std::string& column, const nlohmann::json& value) {
      EXPECT_EQ(std::stod(row.at(column)), value.get<double>()) << column << " at seq " << seq;
    };
    for (const char* key : {"flops", "bytes", "weight_bytes", "act_bytes", "kv_bytes", "oi",
                            "time_s", "tokens", "tokens_per_s", "energy_per_token_j"}) {
      same(key, phase["totals"][key]);
    }
    EXPECT_EQ(row.at("bound"), phase["totals"]["bound"]);
    same("phi", phase["rip"]["phi"]);
    same("phi_log", phase["rip"]["phi_log"]);
    EXPECT_EQ(row.at("regime"), phase["rip"]["regime"]);
    for (const char* key : {"weights_bytes", "kv_cache_bytes", "activation_bytes", "total_bytes",
                            "capacity_bytes"}) {
      same(key, a["memory"][key]);
    }
    EXPECT_EQ(row.at("fits"), a["memory"]["fits"].get<bool>() ? "true" : "false");
    same("peak_flops_per_s", a["hardware"]["peak_flops_per_s"]);
    same("ridge_oi", a["hardware"]["ridge_oi"]);
    same("bandwidth_bytes_per_s", a["hardware"]["bandwidth_bytes_per_s"]);
    EXPECT_EQ(row.at("layers"), "28");
  }
}

// In process and bit for bit: the vectorised blocks against Analyze over every preset, both
// fusions, both MLA forms, two storage setups and several batch sizes.
TEST(Sweep, BlocksEqualAnalyzeToTheBit) {
  const Roof roof = testing::FlatRoof(100e9, 10e12);
  // A runtime that micro-batches, multiplies quantized weights in int8, reaches 70 % of the
  // bandwidth and pays a fixed time per pass and layer (§7.5).
  Roof runtime_roof = roof;
  runtime_roof.bandwidth_fraction = 0.7;
  runtime_roof.compute_fraction = 0.45;
  Execution runtime;
  runtime.n_ubatch = 512;
  runtime.quantized_math = Precision::kInt8;
  runtime.float_math_from_weights = true;
  runtime.overhead_per_pass_s = 1.5e-4;
  runtime.overhead_per_layer_s = 7e-6;
  runtime_roof.exec = runtime;
  runtime_roof.sparsity = {2, 4};  // and 2:4 sparse weights (§12.2)
  struct Run {
    std::string name;
    MlaForm mla;
    bool runtime;
  };
  std::vector<Run> runs;
  for (const std::string& name : PresetNames(EmbeddedModelPresets())) {
    runs.push_back({name, MlaForm::kAbsorbed, false});
    runs.push_back({name, MlaForm::kNaive, false});
    runs.push_back({name, MlaForm::kAbsorbed, true});
  }
  for (const auto& [name, mla, with_runtime] : runs) {
    SweepSpec spec;
    spec.mla = mla;
    spec.models = {LoadModel(name)};
    spec.roofs = {with_runtime ? runtime_roof : roof};
    if (with_runtime) {
      spec.sparsity = {2, 4};
    }
    spec.weights = {ParseWeightSetting("fp16"), ParseWeightSetting("q4_k"),
                    ParseWeightSetting("Q4_K_M")};
    spec.kv = {DTypeByName("int8")};
    spec.fusion = {Fusion::kNone, Fusion::kFlash};
    spec.seq_len = ParseIntAxis("1,7,100:5000:+700,32768", "--seq", 1, 1 << 30);
    spec.batch = ParseIntAxis("1,3,16", "--batch", 1, 1 << 20);
    Collect sink;
    RunSweep(spec, sink);
    ASSERT_EQ(static_cast<double>(sink.rows.size()), SweepRowCount(spec));
    for (size_t i = 0; i < sink.rows.size(); ++i) {
      const SweepRow& r = sink.rows[i];
      Scenario s = sink.scenarios[i];
      s.seq_len = r.seq_len;
      s.batch = r.batch;
      const AnalysisResult a = Analyze(spec.models[0], spec.roofs[0], s, {});
      const PhaseResult& p = a.phases[r.phase == Phase::kPrefill ? 0 : 1];
      const std::string where =
          fmt::format("{} {} {} {} seq {} batch {} {}", name, MlaFormName(mla), s.weights.name,
                      FusionName(s.fusion), s.seq_len, s.batch, PhaseName(r.phase));
      EXPECT_EQ(r.totals.flops, p.totals.flops) << where;
      EXPECT_EQ(r.totals.bytes, p.totals.bytes) << where;
      EXPECT_EQ(r.totals.kv_bytes, p.totals.kv_bytes) << where;
      EXPECT_EQ(r.totals.time_s, p.totals.time_s) << where;
      EXPECT_EQ(r.totals.bound, p.totals.bound) << where;
      EXPECT_EQ(r.rip.phi, p.rip.phi) << where;
      EXPECT_EQ(r.rip.phi_log, p.rip.phi_log) << where;
      EXPECT_EQ(r.memory.total_bytes, a.memory.total_bytes) << where;
      EXPECT_EQ(r.memory.activation_bytes, a.memory.activation_bytes) << where;
      EXPECT_EQ(r.memory.weights_bytes, a.memory.weights_bytes) << where;
      EXPECT_EQ(r.memory.kv_cache_bytes, a.memory.kv_cache_bytes) << where;
      EXPECT_EQ(r.memory.fits, a.memory.fits) << where;
      EXPECT_EQ(r.totals.weight_bytes, p.totals.weight_bytes) << where;
      EXPECT_EQ(r.totals.act_bytes, p.totals.act_bytes) << where;
      EXPECT_EQ(r.totals.tokens, p.totals.tokens) << where;
      EXPECT_EQ(r.totals.tokens_per_s, p.totals.tokens_per_s) << where;
      EXPECT_EQ(r.totals.energy_per_token_j, p.totals.energy_per_token_j) << where;
      EXPECT_EQ(r.rip.regime, p.rip.regime) << where;
    }
  }
}

TEST(Sweep, RowsComeInTheDocumentedOrder) {
  std::string out, err;
  ASSERT_EQ(RunBinary("sweep --model smollm2-135m --hw raspberry-pi-5,apple-m1 --batch 1,4 "
                      "--seq 8,16 --phase decode --kv fp16,int8 --format csv",
                      &out, &err),
            0)
      << err;
  std::vector<std::string> order;
  for (const auto& row : ParseCsv(out)) {
    order.push_back(row.at("hardware") + "/" + row.at("kv") + "/" + row.at("batch") + "/" +
                    row.at("seq_len"));
  }
  const std::vector<std::string> expected = {
      "raspberry-pi-5/fp16/1/8", "raspberry-pi-5/fp16/1/16", "raspberry-pi-5/fp16/4/8",
      "raspberry-pi-5/fp16/4/16", "raspberry-pi-5/int8/1/8", "raspberry-pi-5/int8/1/16",
      "raspberry-pi-5/int8/4/8",  "raspberry-pi-5/int8/4/16", "apple-m1/fp16/1/8",
      "apple-m1/fp16/1/16",       "apple-m1/fp16/4/8",        "apple-m1/fp16/4/16",
      "apple-m1/int8/1/8",        "apple-m1/int8/1/16",       "apple-m1/int8/4/8",
      "apple-m1/int8/4/16"};
  EXPECT_EQ(order, expected);
}

TEST(Sweep, DepthVariantsTruncateOrExtendWithTheLastLayer) {
  std::string out, err;
  ASSERT_EQ(RunBinary("sweep qwen2.5-0.5b --layers 2:64:x2 --phase decode --seq 1024 --format csv",
                      &out, &err),
            0)
      << err;
  const auto rows = ParseCsv(out);
  ASSERT_EQ(rows.size(), 6u);
  // Weights grow by the same amount for every layer added: the embedding plus L equal layers.
  std::vector<double> weights;
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].at("layers"), std::to_string(2 << i));
    weights.push_back(std::stod(rows[i].at("weights_bytes")));
  }
  const double per_layer = (weights[1] - weights[0]) / 2;
  EXPECT_NEAR(weights[5] - weights[4], 32 * per_layer, 1e-6 * weights[5]);
  // DeepSeek-V2-Lite's first layer is dense and the rest MoE: 4 layers keep the dense one and
  // three MoE layers, 40 add 13 copies of the last.
  const ModelSpec ds = LoadModel("deepseek-v2-lite");
  const ModelSpec four = WithDepth(ds, 4);
  ASSERT_EQ(four.groups.size(), 2u);
  EXPECT_EQ(four.groups[0].repeat, 1);
  EXPECT_EQ(four.groups[1].repeat, 3);
  EXPECT_EQ(WithDepth(ds, 40).groups[1].repeat, 39);
  EXPECT_EQ(WithDepth(ds, 1).groups.size(), 1u);
}

TEST(Sweep, OperatorRowsEqualAnalyzeCsv) {
  std::string sweep, analyze, err;
  ASSERT_EQ(RunBinary("sweep qwen2.5-0.5b --seq 300 --phase decode --operators --format csv",
                      &sweep, &err),
            0)
      << err;
  ASSERT_EQ(RunBinary("analyze qwen2.5-0.5b --seq 300 --phase decode --format csv", &analyze, &err),
            0);
  const auto s = ParseCsv(sweep);
  const auto a = ParseCsv(analyze);
  // sweep: the totals row, then one row per operator; analyze: the operators, then its total row.
  ASSERT_EQ(s.size(), a.size());
  EXPECT_EQ(s[0].at("name"), "total");
  EXPECT_EQ(a.back().at("name"), "total");
  EXPECT_EQ(s[0].at("time_s"), a.back().at("time_total_s"));
  for (size_t i = 0; i + 1 < a.size(); ++i) {
    for (const char* key : {"name", "kind", "count", "flops", "bytes", "weight_bytes", "act_bytes",
                            "kv_bytes", "oi", "math_precision", "peak_precision",
                            "attainable_flops_per_s", "bound", "time_s"}) {
      EXPECT_EQ(s[i + 1].at(key), a[i].at(key)) << key << " of " << a[i].at("name");
    }
  }
}

TEST(Sweep, JsonLinesCarryTheCsvColumns) {
  std::string csv, jsonl, err;
  const std::string args = "sweep --seq 64,128 --hw raspberry-pi-5,apple-m1 --format ";
  ASSERT_EQ(RunBinary(args + "csv", &csv, &err), 0) << err;
  ASSERT_EQ(RunBinary(args + "jsonl", &jsonl, &err), 0) << err;
  const auto rows = ParseCsv(csv);
  std::stringstream in(jsonl);
  std::string line;
  size_t i = 0;
  const std::string header = csv.substr(0, csv.find('\n'));
  for (; std::getline(in, line); ++i) {
    const auto j = nlohmann::ordered_json::parse(line);
    std::vector<std::string> keys;
    for (const auto& [key, value] : j.items()) {
      keys.push_back(key);
    }
    EXPECT_EQ(fmt::format("{}", fmt::join(keys, ",")), header);
    ASSERT_LT(i, rows.size());
    EXPECT_EQ(j["hardware"], rows[i].at("hardware"));
    EXPECT_EQ(j["time_s"].get<double>(), std::stod(rows[i].at("time_s")));
  }
  EXPECT_EQ(i, rows.size());
}

TEST(Sweep, BadGridsAreUsageErrors) {
  const std::pair<const char*, const char*> kCases[] = {
      {"sweep --seq ''", "slmroof: error: --seq: the value is empty\n"},
      {"sweep --seq 128:4096:+0", "slmroof: error: --seq: step 0 in '128:4096:+0' never reaches 4096\n"},
      {"sweep --seq 4096:128:256",
       "slmroof: error: --seq: '4096:128:256' goes down from 4096 to 128 but its step 256 goes up; "
       "use a negative step (-K) or /K\n"},
      {"sweep --seq 0:4096:+256",
       "slmroof: error: --seq: 0 in '0:4096:+256' is outside [1, 1073741824]\n"},
      {"sweep --batch 1:8:x1", "slmroof: error: --batch: factor 1 in '1:8:x1' must be at least 2\n"},
      {"sweep --layers 0:8", "slmroof: error: --layers: 0 in '0:8' is outside [1, 4096]\n"},
      {"sweep --layers ''", "slmroof: error: --layers: the value is empty\n"},
      {"sweep --seq 10:1:+-2",
       "slmroof: error: --seq: step '+-2' in '10:1:+-2' is not +K, -K, xK or /K with an integer "
       "K\n"},
      {"sweep --seq 1:6000000",
       "slmroof: error: the grid has 12000000 rows, more than the safety limit of 10000000; narrow "
       "it or pass --force\n"},
  };
  for (const auto& [args, message] : kCases) {
    std::string out, err;
    EXPECT_EQ(RunBinary(args, &out, &err), 2) << args;
    EXPECT_EQ(out, "") << args;
    EXPECT_EQ(err, message) << args;
  }
}

// A block holds 512 points: 1100 points make two full blocks and a partial one.
TEST(Sweep, BlockBoundariesChangeNothing) {
  const Roof roof = testing::FlatRoof(50e9, 2e12);
  SweepSpec spec;
  spec.models = {LoadModel("llama-3.2-1b")};
  spec.roofs = {roof};
  spec.weights = {ParseWeightSetting("q4_k")};
  spec.kv = {DTypeByName("fp16")};
  spec.fusion = {Fusion::kFlash};
  spec.seq_len = ParseIntAxis("1:1100", "--seq", 1, 1 << 30);
  spec.batch = ParseIntAxis("2", "--batch", 1, 1 << 20);
  Collect sink;
  RunSweep(spec, sink);
  ASSERT_EQ(sink.rows.size(), 2200u);
  for (size_t i = 0; i < sink.rows.size(); ++i) {
    const SweepRow& r = sink.rows[i];
    ASSERT_EQ(r.seq_len, static_cast<int64_t>(i / 2 + 1));
    Scenario s = sink.scenarios[i];
    s.seq_len = r.seq_len;
    s.batch = r.batch;
    const AnalysisResult a = Analyze(spec.models[0], roof, s, {});
    const PhaseResult& p = a.phases[i % 2];
    EXPECT_EQ(r.totals.time_s, p.totals.time_s) << r.seq_len;
    EXPECT_EQ(r.totals.flops, p.totals.flops) << r.seq_len;
    EXPECT_EQ(r.memory.total_bytes, a.memory.total_bytes) << r.seq_len;
  }
}

TEST(Sweep, WriteErrorsAreReported) {
  std::string out, err;
  EXPECT_EQ(RunBinary("sweep --seq 1:3 --format csv -o /nonexistent-dir/x.csv", &out, &err), 1);
  EXPECT_EQ(err, "slmroof: error: -o: cannot write '/nonexistent-dir/x.csv': No such file or "
                 "directory\n");
  EXPECT_EQ(RunBinary("analyze --format csv -o /dev/full", &out, &err), 1);
  EXPECT_EQ(err, "slmroof: error: -o: cannot write '/dev/full': No space left on device\n");
}

TEST(Sweep, OutputFileIsWrittenWhole) {
  const std::string path = ::testing::TempDir() + "/slmroof-sweep.csv";
  std::remove(path.c_str());
  std::string out, err;
  ASSERT_EQ(RunBinary("sweep --seq 1:50 --format csv -o " + path, &out, &err), 0) << err;
  EXPECT_EQ(out, "");
  std::ifstream in(path);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
  }
  EXPECT_EQ(lines, 101);  // header + 50 points × 2 phases
  std::remove(path.c_str());
}

}  // namespace
}  // namespace slmroof
