// `compare`: threshold parsing, the comparison model, and the real binary's output and exit codes.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <stdexcept>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "slmroof/compare.hpp"
#include "slmroof/text.hpp"
#include "slmroof/engine.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/io/model_reader.hpp"
#include "test_util.hpp"

namespace slmroof {
namespace {

using testing::RunBinary;

std::string ThresholdError(const std::string& expr) {
  try {
    ParseThreshold(expr);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(CompareThreshold, ParsesEveryForm) {
  Threshold t = ParseThreshold("tpot>+5%");
  EXPECT_EQ(t.expr, "tpot>+5%");
  EXPECT_STREQ(t.metric->name, "tpot");
  EXPECT_EQ(t.op, ThresholdOp::kGreater);
  EXPECT_EQ(t.value, 5);
  EXPECT_TRUE(t.percent);

  t = ParseThreshold(" decode_tps < -10 % ");
  EXPECT_STREQ(t.metric->name, "decode_tps");
  EXPECT_EQ(t.op, ThresholdOp::kLess);
  EXPECT_EQ(t.value, -10);
  EXPECT_TRUE(t.percent);

  t = ParseThreshold("memory>100MB");
  EXPECT_STREQ(t.metric->name, "memory");
  EXPECT_EQ(t.value, 100e6);
  EXPECT_FALSE(t.percent);

  t = ParseThreshold("ttft >= 0.5s");
  EXPECT_EQ(t.op, ThresholdOp::kGreaterEqual);
  EXPECT_EQ(t.value, 0.5);

  t = ParseThreshold("decode_phi_log<=-.25");
  EXPECT_STREQ(t.metric->name, "decode_phi_log");
  EXPECT_EQ(t.op, ThresholdOp::kLessEqual);
  EXPECT_EQ(t.value, -0.25);
}

TEST(CompareThreshold, MalformedExpressionsNameTheProblem) {
  EXPECT_EQ(ThresholdError(""),
            "--fail-if '': expected METRIC OP VALUE[UNIT|%], e.g. 'tpot>+5%' or 'tpot>+2ms'");
  EXPECT_EQ(ThresholdError(">5%"),
            "--fail-if '>5%': expected METRIC OP VALUE[UNIT|%], e.g. 'tpot>+5%' or 'tpot>+2ms'");
  EXPECT_EQ(ThresholdError("tpos>5%"),
            "--fail-if 'tpos>5%': unknown metric 'tpos', did you mean 'tpot'? (known: tpot, ttft, "
            "decode_tps, prefill_tps, memory, decode_oi, prefill_oi, decode_phi, prefill_phi, "
            "decode_phi_log, prefill_phi_log)");
  EXPECT_EQ(ThresholdError("tpot 5%"), "--fail-if 'tpot 5%': expected >, >=, < or <= after 'tpot'");
  EXPECT_EQ(ThresholdError("tpot=5%"), "--fail-if 'tpot=5%': expected >, >=, < or <= after 'tpot'");
  EXPECT_EQ(ThresholdError("tpot>"), "--fail-if 'tpot>': missing value after '>'");
  EXPECT_EQ(ThresholdError("tpot <= %"), "--fail-if 'tpot <= %': missing value after '<='");
  EXPECT_EQ(ThresholdError("tpot>abc"),
            "--fail-if 'tpot>abc': 'abc' is not a number (examples: +5%, -10%, +2ms, +100MB, 0.5)");
  EXPECT_EQ(ThresholdError("tpot>>5"),
            "--fail-if 'tpot>>5': '>5' is not a number (examples: +5%, -10%, +2ms, +100MB, 0.5)");
  EXPECT_EQ(ThresholdError("tpot>inf"),
            "--fail-if 'tpot>inf': 'inf' is not a number (examples: +5%, -10%, +2ms, +100MB, 0.5)");
  EXPECT_EQ(ThresholdError("memory>1e308TiB"), "--fail-if 'memory>1e308TiB': '1e308TiB' is too large");
  EXPECT_EQ(ThresholdError("memory>5ms"),
            "--fail-if 'memory>5ms': 'ms' is not a unit of memory (bytes; accepted: %, MB, B, kB, KB, "
            "GB, TB, KiB, MiB, GiB, TiB)");
  EXPECT_EQ(ThresholdError("decode_tps<-3"),
            "--fail-if 'decode_tps<-3': decode_tps is measured in tokens/s: give a unit (e.g. "
            "'decode_tps<-3tok/s') or a relative change ('decode_tps<-3%')");
  // A long number is not repeated in the hint (found by fuzz_threshold: a 532-byte message).
  const std::string long_number = "ttft>=-" + std::string(160, '9');
  EXPECT_EQ(ThresholdError(long_number),
            "--fail-if " + Excerpt(long_number, 80) +
                ": ttft is measured in s: give a unit (e.g. 'ttft>=5ms') or a relative change "
                "('ttft>=5%')");
  EXPECT_EQ(ThresholdError("tpot>5%%"),
            "--fail-if 'tpot>5%%': '%%' is not a unit of tpot (s; accepted: %, ms, s, us, \u00b5s, ns)");
}

TEST(CompareMetrics, OneTableInOutputOrder) {
  std::vector<std::string> names;
  for (const CompareMetric& m : CompareMetrics()) {
    names.emplace_back(m.name);
    EXPECT_EQ(FindCompareMetric(m.name), &m);
    EXPECT_EQ(m.rip_phase.has_value(), names.back().find("_phi") != std::string::npos) << m.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"tpot", "ttft", "decode_tps", "prefill_tps", "memory",
                                             "decode_oi", "prefill_oi", "decode_phi", "prefill_phi",
                                             "decode_phi_log", "prefill_phi_log"}));
  EXPECT_EQ(FindCompareMetric("latency"), nullptr);
}

// A result with only what the metrics read, for hand-computed comparisons.
AnalysisResult Fake(const std::string& device, double tpot, double memory, Bound decode_regime) {
  AnalysisResult a;
  a.model.name = "fake";
  a.roof.device = device;
  PhaseResult prefill;
  prefill.phase = Phase::kPrefill;
  prefill.totals.time_s = 0.5;
  prefill.totals.tokens_per_s = 2048;
  prefill.totals.oi = 200;
  prefill.rip.phi = 300;
  prefill.rip.phi_log = 0.1;
  prefill.rip.regime = Bound::kCompute;
  PhaseResult decode;
  decode.phase = Phase::kDecode;
  decode.totals.time_s = tpot;
  decode.totals.tokens_per_s = 1 / tpot;
  decode.totals.oi = 1;
  decode.rip.phi = 1000;
  decode.rip.phi_log = 2;
  decode.rip.regime = decode_regime;
  a.phases = {prefill, decode};
  a.memory.total_bytes = memory;
  return a;
}

TEST(Compare, DeltaRelativeAndComparableByHand) {
  // tpot 0.02 s -> 0.025 s: delta 0.005 s, relative 0.25; decode_tps 50 -> 40: relative -0.2.
  // memory 0 -> 1e9: no relative change from 0. Decode regimes differ: Φ incomparable.
  const Comparison c = BuildComparison({Fake("dev", 0.02, 0, Bound::kMemory)},
                                       {Fake("dev", 0.025, 1e9, Bound::kCompute)}, {});
  ASSERT_EQ(c.points.size(), 1u);
  const ComparePoint& p = c.points[0];
  EXPECT_EQ(p.hardware, "dev");
  ASSERT_EQ(p.metrics.size(), CompareMetrics().size());
  const MetricDiff& tpot = p.metrics[0];
  EXPECT_STREQ(tpot.metric->name, "tpot");
  EXPECT_DOUBLE_EQ(tpot.delta, 0.005);
  EXPECT_DOUBLE_EQ(*tpot.relative, 0.25);
  EXPECT_FALSE(tpot.comparable.has_value());
  EXPECT_DOUBLE_EQ(*p.metrics[2].relative, -0.2);
  const MetricDiff& memory = p.metrics[4];
  EXPECT_EQ(memory.delta, 1e9);
  EXPECT_FALSE(memory.relative.has_value());
  for (const MetricDiff& d : p.metrics) {
    if (d.metric->rip_phase == Phase::kDecode) {
      EXPECT_EQ(d.comparable, false) << d.metric->name;
    } else if (d.metric->rip_phase == Phase::kPrefill) {
      EXPECT_EQ(d.comparable, true) << d.metric->name;
    }
  }
}

TEST(Compare, ThresholdsCrossAtAnyPoint) {
  // Two points: tpot +10% on "a", +30% on "b"; decode Φ incomparable on "b" only.
  const Comparison c = BuildComparison(
      {Fake("a", 0.1, 1e9, Bound::kMemory), Fake("b", 0.1, 1e9, Bound::kMemory)},
      {Fake("a", 0.11, 1.5e9, Bound::kMemory), Fake("b", 0.13, 0, Bound::kCompute)},
      {ParseThreshold("tpot>+5%"), ParseThreshold("tpot>+50%"), ParseThreshold("memory>100MB"),
       ParseThreshold("decode_tps<=-20%"), ParseThreshold("decode_phi>-1")});
  ASSERT_EQ(c.thresholds.size(), 5u);
  const ThresholdResult& grew = c.thresholds[0];
  ASSERT_EQ(grew.hits.size(), 2u);
  EXPECT_EQ(grew.worst().hardware, "b");
  EXPECT_NEAR(grew.worst().value, 30, 1e-9);
  EXPECT_FALSE(c.thresholds[1].crossed());
  // memory: +5e8 bytes on "a", -1e9 on "b".
  ASSERT_EQ(c.thresholds[2].hits.size(), 1u);
  EXPECT_EQ(c.thresholds[2].hits[0].hardware, "a");
  EXPECT_EQ(c.thresholds[2].hits[0].value, 5e8);
  // decode_tps: 10 -> 1/0.13 is -23.1%, the worst downwards.
  ASSERT_EQ(c.thresholds[3].hits.size(), 1u);
  EXPECT_NEAR(c.thresholds[3].worst().value, -100.0 * 0.03 / 0.13, 1e-9);
  // Φ unchanged (delta 0 > -1) on "a"; "b" is across the ridge and is not compared.
  ASSERT_EQ(c.thresholds[4].hits.size(), 1u);
  EXPECT_EQ(c.thresholds[4].hits[0].hardware, "a");
  EXPECT_TRUE(c.crossed());
}

TEST(Compare, MetricValuesAreTheAnalysisFields) {
  const ModelSpec model = LoadModel("qwen2.5-0.5b");
  const Roof roof = testing::FlatRoof(100e9, 2e12);
  Scenario base_scenario;
  base_scenario.seq_len = 512;
  Scenario candidate_scenario = base_scenario;
  candidate_scenario.weights = ParseWeightSetting("q4_k");
  const AnalysisResult base = Analyze(model, roof, base_scenario, MeasuredTps{});
  const AnalysisResult candidate = Analyze(model, roof, candidate_scenario, MeasuredTps{});
  const Comparison c = BuildComparison({base}, {candidate}, {});
  EXPECT_EQ(c.base.model, "qwen2.5-0.5b");
  EXPECT_EQ(c.base.weights, "fp16");
  EXPECT_EQ(c.candidate.weights, "q4_k");
  EXPECT_EQ(c.points[0].seq_len, 512);
  EXPECT_EQ(c.points[0].batch, 1);
  auto fields = [](const AnalysisResult& a) {
    const PhaseResult& prefill = a.phases.at(0);
    const PhaseResult& decode = a.phases.at(1);
    EXPECT_EQ(prefill.phase, Phase::kPrefill);
    EXPECT_EQ(decode.phase, Phase::kDecode);
    return std::map<std::string, double>{{"tpot", decode.totals.time_s},
                                         {"ttft", prefill.totals.time_s},
                                         {"decode_tps", decode.totals.tokens_per_s},
                                         {"prefill_tps", prefill.totals.tokens_per_s},
                                         {"memory", a.memory.total_bytes},
                                         {"decode_oi", decode.totals.oi},
                                         {"prefill_oi", prefill.totals.oi},
                                         {"decode_phi", decode.rip.phi},
                                         {"prefill_phi", prefill.rip.phi},
                                         {"decode_phi_log", decode.rip.phi_log},
                                         {"prefill_phi_log", prefill.rip.phi_log}};
  };
  const auto base_fields = fields(base);
  const auto candidate_fields = fields(candidate);
  ASSERT_EQ(c.points[0].metrics.size(), base_fields.size());
  for (const MetricDiff& d : c.points[0].metrics) {
    const double b = base_fields.at(d.metric->name);
    const double k = candidate_fields.at(d.metric->name);
    EXPECT_EQ(d.base, b) << d.metric->name;
    EXPECT_EQ(d.candidate, k) << d.metric->name;
    EXPECT_EQ(d.delta, k - b) << d.metric->name;
    EXPECT_EQ(*d.relative, (k - b) / b) << d.metric->name;
  }
  // q4_k weights: fewer bytes per decode step, so decode is faster.
  EXPECT_LT(c.points[0].metrics[0].delta, 0);
}

TEST(Compare, ModelAgainstItselfIsAllZeroAndComparable) {
  const AnalysisResult a =
      Analyze(LoadModel("smollm2-135m"), testing::FlatRoof(50e9, 1e12), Scenario{}, MeasuredTps{});
  const Comparison c = BuildComparison({a}, {a}, {ParseThreshold("tpot>+0%")});
  for (const MetricDiff& d : c.points[0].metrics) {
    EXPECT_EQ(d.delta, 0) << d.metric->name;
    EXPECT_EQ(d.relative, 0.0) << d.metric->name;
    if (d.metric->rip_phase) {
      EXPECT_EQ(d.comparable, true) << d.metric->name;
    }
  }
  EXPECT_FALSE(c.crossed());
}

TEST(Compare, ListsOfDifferentLengthsAreABug) {
  const AnalysisResult a = Fake("a", 0.1, 1e9, Bound::kMemory);
  EXPECT_THROW(BuildComparison({}, {}, {}), std::invalid_argument);
  EXPECT_THROW(BuildComparison({a}, {a, a}, {}), std::invalid_argument);
  EXPECT_THROW(BuildComparison({a}, {Fake("b", 0.1, 1e9, Bound::kMemory)}, {}),
               std::invalid_argument);
}

// End to end through the real binary.

TEST(CompareCli, ModelAgainstItselfPassesTheGate) {
  std::string out, err;
  EXPECT_EQ(RunBinary("compare qwen2.5-1.5b qwen2.5-1.5b --fail-if 'tpot>+0%'", &out, &err), 0);
  EXPECT_EQ(err, "");
  EXPECT_NE(out.find("\nthresholds\n  tpot>+0%  not crossed\n"), std::string::npos) << out;
}

TEST(CompareCli, CrossedThresholdExitsFourAfterTheOutput) {
  std::string out, err;
  EXPECT_EQ(RunBinary("compare --engine ideal --fusion none qwen2.5-1.5b qwen2.5-1.5b@weights=fp32 --fail-if 'tpot>+5%' "
                      "--fail-if 'memory>+1TB'",
                      &out, &err),
            4);
  EXPECT_EQ(
      err,
      "slmroof: error: threshold 'tpot>+5%' crossed: jetson-orin-nano-super seq 1024 batch 1: "
      "tpot +98.8%\n");
  EXPECT_EQ(out.rfind("base:      Qwen2.5-1.5B-Instruct [qwen2.5-1.5b] weights fp16, act fp16, kv "
                      "fp16, fusion none, mla absorbed\n"
                      "candidate: Qwen2.5-1.5B-Instruct [qwen2.5-1.5b] weights fp32, act fp16, kv "
                      "fp16, fusion none, mla absorbed\n",
                      0),
            0u)
      << out;
  EXPECT_NE(out.find("  memory>+1TB  not crossed\n"), std::string::npos) << out;
  // Several points: the worst one is named and the others counted.
  EXPECT_EQ(
      RunBinary("compare --engine ideal qwen2.5-1.5b qwen2.5-1.5b@weights=fp32 --seq 1024,4096 --format json "
                "--fail-if 'tpot>+5%'",
                &out, &err),
      4);
  EXPECT_EQ(
      err.rfind("slmroof: error: threshold 'tpot>+5%' crossed: jetson-orin-nano-super seq ", 0), 0u)
      << err;
  EXPECT_NE(err.find(" (and 1 more point)\n"), std::string::npos) << err;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["thresholds"][0]["crossed"], true);
  EXPECT_EQ(j["thresholds"][0]["points"].size(), 2u);
}

TEST(CompareCli, UsageErrorsExitTwoWithNothingOnStdout) {
  const struct {
    const char* args;
    const char* message;
  } kCases[] = {
      {"compare qwen2.5-1.5b qwen2.5-1.5b --fail-if 'tpot>'",
       "slmroof: error: --fail-if 'tpot>': missing value after '>'\n"},
      {"compare qwen2.5-1.5b qwen2.5-1.5b --fail-if 'tpot=>5%'",
       "slmroof: error: --fail-if 'tpot=>5%': expected >, >=, < or <= after 'tpot'\n"},
      {"compare qwen2.5-1.5b qwen2.5-1.5b --fail-if 'latency>5%'",
       "slmroof: error: --fail-if 'latency>5%': unknown metric 'latency' (known: tpot, ttft, "
       "decode_tps, prefill_tps, memory, decode_oi, prefill_oi, decode_phi, prefill_phi, "
       "decode_phi_log, prefill_phi_log)\n"},
      {"compare qwen2.5-1.5b qwen2.5-1.5b@weight=q4_k",
       "slmroof: error: candidate 'qwen2.5-1.5b@weight=q4_k': unknown key 'weight' (keys: weights, "
       "plan, act, kv, state, prune, sparsity, fusion, mla)\n"},
      {"compare qwen2.5-1.5b@kv=int3 qwen2.5-1.5b",
       "slmroof: error: base 'qwen2.5-1.5b@kv=int3': kv: unknown data type 'int3', did you mean "
       "'int8'? (see 'slmroof list weights')\n"},
      {"compare qwen2.5-1.5b qwen2.5-1.5b@weights=Q4_K_X",
       "slmroof: error: candidate 'qwen2.5-1.5b@weights=Q4_K_X': unknown weight type 'Q4_K_X', "
       "did you mean 'Q4_K_M'? (a llama.cpp file type, a storage type or pure:TYPE: see 'slmroof "
       "list weights')\n"},
      {"compare qwen2.5-1.5b qwen2.5-1.5b@fusion=full",
       "slmroof: error: candidate 'qwen2.5-1.5b@fusion=full': fusion 'full' is not one of none, "
       "flash\n"},
      {"compare qwen2.5-1.5b qwen2.5-1.5b@mla",
       "slmroof: error: candidate 'qwen2.5-1.5b@mla': 'mla' is not of the form key=value\n"},
      {"compare qwen2.5-1.5b qwen2.5-1.5b --seq 1:1000 --batch 1:11",
       "slmroof: error: compare: 11000 points (devices x --seq x --batch) is more than 10000; "
       "narrow "
       "--seq or --batch\n"},
      {"compare qwen2.5-1.5b qwen2.5-1.5b --seq 16,0",
       "slmroof: error: --seq: 0 in '0' is outside [1, 1073741824]\n"},
      // A bad gate is reported before a bad model is even looked up.
      {"compare no-such-model qwen2.5-1.5b --fail-if 'tpot>'",
       "slmroof: error: --fail-if 'tpot>': missing value after '>'\n"},
  };
  for (const auto& c : kCases) {
    std::string out, err;
    EXPECT_EQ(RunBinary(c.args, &out, &err), 2) << c.args;
    EXPECT_EQ(out, "") << c.args;
    EXPECT_EQ(err, c.message) << c.args;
  }
}

TEST(CompareCli, JsonListsEveryMetricForBothSidesAtEveryPoint) {
  std::string out, err;
  ASSERT_EQ(RunBinary("compare --engine ideal qwen2.5-0.5b smollm2-360m@weights=q4_k,kv=q8_0 --hw "
                      "raspberry-pi-5,apple-m2 --seq 256,2048 --batch 1,4 --format json",
                      &out, &err),
            0)
      << err;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["base"]["model"], "qwen2.5-0.5b");
  EXPECT_EQ(j["base"]["weights"], "fp16");
  EXPECT_EQ(j["candidate"]["model"], "smollm2-360m");
  EXPECT_EQ(j["candidate"]["weights"], "q4_k");
  EXPECT_EQ(j["candidate"]["kv"], "q8_0");
  EXPECT_EQ(j["candidate"]["act"], "fp16");
  EXPECT_EQ(j["thresholds"], nlohmann::json::array());
  // Device, then seq, then batch.
  ASSERT_EQ(j["points"].size(), 8u);
  size_t i = 0;
  for (const char* hw : {"raspberry-pi-5", "apple-m2"}) {
    for (int seq : {256, 2048}) {
      for (int batch : {1, 4}) {
        const auto& p = j["points"][i++];
        EXPECT_EQ(p["hardware"], hw);
        EXPECT_EQ(p["seq_len"], seq);
        EXPECT_EQ(p["batch"], batch);
        ASSERT_EQ(p["metrics"].size(), CompareMetrics().size());
        for (const CompareMetric& m : CompareMetrics()) {
          const auto& v = p["metrics"][m.name];
          EXPECT_EQ(v["unit"], std::string(MetricUnitName(m.unit))) << m.name;
          ASSERT_TRUE(v["base"].is_number()) << m.name;
          ASSERT_TRUE(v["candidate"].is_number()) << m.name;
          const double base = v["base"].get<double>();
          const double candidate = v["candidate"].get<double>();
          // Each number is rounded to 10 significant digits on its own.
          const double tolerance = 1e-9 * (std::abs(base) + std::abs(candidate));
          EXPECT_NEAR(v["delta"].get<double>(), candidate - base, tolerance) << m.name;
          EXPECT_NEAR(v["relative"].get<double>(), (candidate - base) / base,
                      tolerance / std::abs(base) + 1e-9)
              << m.name;
          EXPECT_EQ(v.contains("comparable"), m.rip_phase.has_value()) << m.name;
        }
      }
    }
  }
}

TEST(CompareCli, TableSaysIncomparableAcrossTheRidge) {
  // On the M2 at seq 128, fp32 moves prefill to the other side of the ridge; decode stays put.
  std::string out, err;
  ASSERT_EQ(
      RunBinary("compare --engine ideal --fusion none qwen2.5-0.5b "
                "qwen2.5-0.5b@weights=fp32,act=fp32,kv=fp32 --hw apple-m2 "
                "--seq 128",
                &out, &err),
      0)
      << err;
  EXPECT_NE(out.find("\napple-m2, seq 128, batch 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\n  prefill_phi            522.1        947.3  incomparable\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\n  prefill_phi_log       0.0685        0.134  incomparable\n"),
            std::string::npos)
      << out;
  EXPECT_NE(
      out.find("\n  tpot                 9.93 ms      19.9 ms      +9.92 ms    +99.9%  worse\n"),
      std::string::npos)
      << out;
  EXPECT_EQ(out.find("decode_phi           3479         3530  incomparable"), std::string::npos);
}

TEST(CompareCli, WholeFilePathIsNotSplitAtAt) {
  const std::string path = ::testing::TempDir() + "tiny@weights=fp32.json";
  {
    std::ifstream in(testing::DataPath("tiny.json"));
    std::ofstream(path) << in.rdbuf();
  }
  std::string out, err;
  EXPECT_EQ(RunBinary("compare '" + path + "' '" + path + "@kv=q8_0' --format json", &out, &err), 0)
      << err;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["base"]["weights"], "fp16");
  EXPECT_EQ(j["candidate"]["kv"], "q8_0");
  EXPECT_EQ(j["candidate"]["weights"], "fp16");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace slmroof
