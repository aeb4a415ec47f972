// Reading measurements (slmroof CSV, llama-bench JSON/JSONL/CSV) and calibration files.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "slmroof/engine_profile.hpp"
#include <fmt/format.h>

#include "slmroof/errors.hpp"
#include "slmroof/io/hardware_reader.hpp"
#include "slmroof/io/measurement_reader.hpp"
#include "test_util.hpp"

namespace slmroof {
namespace {

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(Measurements, CsvQuotingFollowsRfc4180) {
  const auto rows = ParseCsv("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",x\n\n", "t.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "b,c", "say \"hi\""}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"two\nlines", "x"}));
  try {
    ParseCsv("a,\"open\n", "t.csv");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "t.csv:1: unterminated quoted field");
  }
}

TEST(Measurements, FileTypesFromLlamaBenchModelType) {
  EXPECT_EQ(FileTypeFromModelType("llama 7B Q4_0"), "Q4_0");
  EXPECT_EQ(FileTypeFromModelType("qwen2 1.5B Q4_K - Medium"), "Q4_K_M");
  EXPECT_EQ(FileTypeFromModelType("llama 8B Q4_K - Small"), "Q4_K_S");
  EXPECT_EQ(FileTypeFromModelType("llama 8B Q3_K - Large"), "Q3_K_L");
  EXPECT_EQ(FileTypeFromModelType("llama 8B Q2_K - Medium"), "Q2_K");
  EXPECT_EQ(FileTypeFromModelType("llama 8B Q2_K - Small"), "Q2_K_S");
  EXPECT_EQ(FileTypeFromModelType("llama 8B IQ4_XS - 4.25 bpw"), "IQ4_XS");
  EXPECT_EQ(FileTypeFromModelType("llama 7B F16"), "F16");
  EXPECT_EQ(FileTypeFromModelType("gpt-oss 20B MXFP4 MoE"), "MXFP4_MOE");
  EXPECT_EQ(FileTypeFromModelType("llama 7B"), "");
}

// A real llama-bench JSON file, measured on the project's CI machine (validation/local/README.md).
TEST(Measurements, ReadsARealLlamaBenchJsonFile) {
  const std::string path = std::string(SLMROOF_SOURCE_DIR) +
                           "/validation/local/raw/smollm2-135m-Q4_K_M-pp512-tg128.json";
  try {
    ReadMeasurements(path);
    FAIL() << "needs --model and --hw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("pass --model and --hw"), std::string::npos);
  }
  const std::vector<Measurement> rows = ReadMeasurements(path, {"smollm2-135m", "raspberry-pi-5", ""});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].phase, "prefill");
  EXPECT_EQ(rows[0].n_prompt, 512);
  EXPECT_DOUBLE_EQ(rows[0].tokens_per_s, 325.51511);
  EXPECT_EQ(rows[1].phase, "decode");
  EXPECT_EQ(rows[1].n_gen, 128);
  for (const Measurement& m : rows) {
    EXPECT_EQ(m.weights, "Q4_K_M");
    EXPECT_EQ(m.engine, "llama.cpp");
    EXPECT_EQ(m.backend, "cpu");
    EXPECT_EQ(m.unit, "cpu");
    EXPECT_EQ(m.kv, "f16");
    EXPECT_EQ(m.threads, 2);
    EXPECT_FALSE(m.flash_attn.has_value());  // -1: auto
  }
}

TEST(Measurements, ReadsLlamaBenchJsonLinesAndCsv) {
  const std::string jsonl = Write(
      "bench.jsonl",
      "{\"backends\":\"Metal,BLAS\",\"model_type\":\"llama 7B Q4_0\",\"n_prompt\":0,\"n_gen\":128,"
      "\"n_threads\":8,\"type_k\":\"q8_0\",\"flash_attn\":1,\"avg_ts\":36.4}\n\n");
  const auto a = ReadMeasurements(jsonl, {"llama-2-7b", "apple-m1-pro", ""});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].backend, "metal");
  EXPECT_EQ(a[0].unit, "gpu");
  EXPECT_EQ(a[0].kv, "q8_0");
  EXPECT_EQ(a[0].flash_attn, true);
  EXPECT_DOUBLE_EQ(a[0].tokens_per_s, 36.4);
  const std::string csv = Write(
      "bench.csv",
      "build_commit,backends,model_type,n_threads,n_prompt,n_gen,n_depth,avg_ts\n"
      "abc,CUDA,\"qwen2 1.5B Q8_0\",4,512,0,0,4460.5\n"
      "abc,CUDA,\"qwen2 1.5B Q8_0\",4,512,128,0,300\n");
  const auto b = ReadMeasurements(csv, {"qwen2.5-1.5b", "rtx-3090", ""});
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].backend, "cuda");
  EXPECT_EQ(b[0].weights, "Q8_0");
  EXPECT_EQ(b[0].phase, "prefill");
  EXPECT_FALSE(b[1].exclude.empty());  // pp+tg has no single phase
}

TEST(Measurements, MalformedLlamaBenchValuesAreErrors) {
  const std::string base =
      "{\"backends\":\"CPU\",\"model_type\":\"llama 7B Q4_0\",\"n_prompt\":512,\"n_gen\":0,";
  const struct {
    const char* fields;
    const char* message;
  } kCases[] = {
      {"\"n_threads\":0,\"avg_ts\":10}", "'n_threads' must be a whole number from 1 to 2^30, got 0"},
      {"\"n_threads\":2,\"avg_ts\":0}", "'avg_ts' must be positive, got 0"},
      {"\"n_threads\":1e300,\"avg_ts\":10}", "'n_threads' must be a whole number from 1 to 2^30"},
      {"\"n_threads\":2.5,\"avg_ts\":10}", "'n_threads' must be a whole number from 1 to 2^30"},
      {"\"n_threads\":[1],\"avg_ts\":10}", "has no 'n_threads'"},
  };
  for (const auto& c : kCases) {
    const std::string path = Write("bad.jsonl", base + c.fields + "\n");
    try {
      ReadMeasurements(path, {"llama-2-7b", "raspberry-pi-5", ""});
      ADD_FAILURE() << c.fields;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << e.what();
    }
  }
}

TEST(Measurements, CalibrationFilesApplyPerUnitThenPerBackend) {
  const std::string path = Write(
      "cal.json",
      R"({"entries": [
        {"engine": "llama.cpp", "backend": "metal", "device": "*", "unit": "*",
         "bandwidth_fraction": 0.5, "compute_fraction": 0.5, "overhead_per_pass_s": 0.001,
         "overhead_per_layer_s": 0},
        {"engine": "llama.cpp", "backend": "metal", "device": "apple-m1-pro", "unit": "gpu",
         "bandwidth_fraction": 0.8, "compute_fraction": 0.7, "overhead_per_pass_s": 0.002,
         "overhead_per_layer_s": 1e-5}]})");
  const auto c = LoadCalibration(path);
  Roof roof;
  roof.engine = "llama.cpp";
  roof.backend = "metal";
  roof.device = "apple-m1-pro";
  roof.unit = "gpu";
  ASSERT_TRUE(ApplyCalibration(c, &roof));
  EXPECT_DOUBLE_EQ(roof.bandwidth_fraction, 0.8);
  EXPECT_DOUBLE_EQ(roof.exec.overhead_per_layer_s, 1e-5);
  roof.device = "apple-m2";
  ASSERT_TRUE(ApplyCalibration(c, &roof));
  EXPECT_DOUBLE_EQ(roof.bandwidth_fraction, 0.5);
  roof.backend = "cpu";
  EXPECT_FALSE(ApplyCalibration(c, &roof));
  const std::string bad = Write("bad-cal.json", R"({"entries": [{"engine": "x", "backend": "y",
      "device": "*", "unit": "*", "bandwidth_fraction": 2, "compute_fraction": 1,
      "overhead_per_pass_s": 0, "overhead_per_layer_s": 0}]})");
  try {
    LoadCalibration(bad);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              bad + ": field 'entries[0].bandwidth_fraction' must be a number in [0.001, 1], got 2");
  }
}

TEST(Measurements, CalibratedRoofUsesTheDeviceFilesCalibration) {
  std::string out, err;
  ASSERT_EQ(testing::RunBinary("analyze llama-3.2-1b --hw apple-m1-pro --roof calibrated "
                               "--phase decode --format json",
                               &out, &err),
            0)
      << err;
  EXPECT_EQ(err, "");
  const HardwareSpec hw = LoadHardware("apple-m1-pro");
  ASSERT_FALSE(hw.units.front().calibration.empty());
  const CalibrationEntry& c = hw.units.front().calibration.front();
  const nlohmann::json hw_json = nlohmann::json::parse(out)["hardware"];
  EXPECT_DOUBLE_EQ(hw_json["bandwidth_fraction"].get<double>(), c.bandwidth_fraction);
  EXPECT_DOUBLE_EQ(hw_json["compute_fraction"].get<double>(), c.compute_fraction);
  EXPECT_NEAR(hw_json["overhead_per_pass_s"].get<double>(), c.overhead_per_pass_s, 1e-15);
  EXPECT_NEAR(hw_json["overhead_per_layer_s"].get<double>(), c.overhead_per_layer_s, 1e-15);
  EXPECT_NE(out.find("\"roof\": \"calibrated\""), std::string::npos);
  // A device without one says so and keeps the engine's figures.
  ASSERT_EQ(testing::RunBinary("analyze llama-3.2-1b --hw apple-m2 --roof calibrated --phase decode",
                               &out, &err),
            0);
  EXPECT_EQ(err,
            "slmroof: warning: 'apple-m2' unit 'gpu' carries no calibration of llama.cpp metal; "
            "using the engine's figures\n");
}

}  // namespace
}  // namespace slmroof
