// Bad input gets one clear message naming the file and the field (exact strings).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "slmroof/errors.hpp"
#include "slmroof/io/hardware_reader.hpp"
#include "slmroof/io/model_reader.hpp"

namespace slmroof {
namespace {

std::string ModelError(const std::string& text) {
  try {
    ParseModelJson(text, "m.json", "m");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

std::string HardwareError(const std::string& text) {
  try {
    ParseHardwareJson(text, "hw.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

constexpr const char* kLlama = R"({"model_type": "llama", "vocab_size": 1000, "hidden_size": 64,
  "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
  "intermediate_size": 128})";

std::string Llama(const std::string& key, const std::string& value) {
  nlohmann::json j = nlohmann::json::parse(kLlama);
  if (value.empty()) {
    j.erase(key);
  } else {
    j[key] = nlohmann::json::parse(value);
  }
  return j.dump();
}

TEST(Reader, HfLlamaParses) {
  const ModelSpec m = ParseModelJson(kLlama, "m.json", "m");
  EXPECT_EQ(m.groups.size(), 1u);
  EXPECT_EQ(m.groups[0].repeat, 2);
  EXPECT_EQ(m.groups[0].layer.attention.head_dim, 16);
  EXPECT_FALSE(m.tie_word_embeddings);
}

TEST(Reader, MalformedJson) {
  EXPECT_EQ(ModelError("{\"model_type\": "),
            "m.json: malformed JSON: parse error at line 1, column 16: syntax error while parsing "
            "value - unexpected end of input; expected '[', '{', or a literal");
}

TEST(Reader, OverflowingNumberIsInvalidInput) {
  EXPECT_EQ(ModelError("{\"model_type\": \"llama\", \"vocab_size\": 1e400}"),
            "m.json: malformed JSON: number overflow parsing '1e400'");
}

TEST(Reader, MissingField) {
  EXPECT_EQ(ModelError(Llama("hidden_size", "")), "m.json: field 'hidden_size' is missing");
}

TEST(Reader, MistypedField) {
  EXPECT_EQ(ModelError(Llama("num_hidden_layers", "\"28\"")),
            "m.json: field 'num_hidden_layers' must be an integer in [1, 4096], got string '28'");
  EXPECT_EQ(ModelError(Llama("tie_word_embeddings", "1")),
            "m.json: field 'tie_word_embeddings' must be true or false, got 1");
}

TEST(Reader, NonPositiveSizes) {
  EXPECT_EQ(ModelError(Llama("hidden_size", "0")),
            "m.json: field 'hidden_size' must be an integer in [1, 131072], got 0");
  EXPECT_EQ(ModelError(Llama("num_hidden_layers", "-3")),
            "m.json: field 'num_hidden_layers' must be an integer in [1, 4096], got -3");
  EXPECT_EQ(ModelError(Llama("intermediate_size", "2.5")),
            "m.json: field 'intermediate_size' must be an integer in [1, 1048576], got 2.5");
}

TEST(Reader, HeadsMustDivideHidden) {
  EXPECT_EQ(ModelError(Llama("num_attention_heads", "5")),
            "m.json: field 'num_attention_heads' (5) does not divide hidden_size (64) and no "
            "head_dim is given");
  // An explicit head_dim lifts the requirement (Gemma-2, Qwen3).
  EXPECT_EQ(ModelError(R"({"model_type": "llama", "vocab_size": 10, "hidden_size": 64,
    "num_hidden_layers": 1, "num_attention_heads": 5, "num_key_value_heads": 5, "head_dim": 16,
    "intermediate_size": 8})"), "no error");
}

TEST(Reader, KvHeadsMustDivideHeads) {
  EXPECT_EQ(ModelError(Llama("num_key_value_heads", "3")),
            "m.json: num_key_value_heads (3) must divide num_attention_heads (4)");
}

TEST(Reader, UnknownModelType) {
  EXPECT_EQ(ModelError(Llama("model_type", "\"bert\"")),
            "m.json: field 'model_type' is 'bert', which slmroof does not read (46 model types are "
            "read, listed by `slmroof analyze --help` under --as; a llama-shaped config can be read "
            "with --as llama)");
  // A near miss is named (the fuzzer's 'lfm0' made the full list run past 500 bytes).
  EXPECT_EQ(ModelError(Llama("model_type", "\"lfm0\"")),
            "m.json: field 'model_type' is 'lfm0', which slmroof does not read; did you mean "
            "'lfm2'? (46 model types are read, listed by `slmroof analyze --help` under --as; a "
            "llama-shaped config can be read with --as llama)");
}

TEST(Reader, PythonNonFiniteTokensAreStrings) {
  // Python's json writes Infinity, -Infinity and NaN (Nemotron-H's time_step_limit): outside
  // strings they read as strings, so a field the cost needs says so; inside strings nothing changes.
  const std::string head = R"({"model_type": "llama", "vocab_size": 1000, "num_hidden_layers": 2,
      "num_attention_heads": 4, "intermediate_size": 128, "time_step_limit": [0.0, Infinity],
      "x": [-Infinity, NaN], "note": "Infinity \" NaN", )";
  EXPECT_EQ(ModelError(head + R"("hidden_size": 64})"), "no error");
  EXPECT_EQ(ModelError(head + R"("hidden_size": Infinity})"),
            ModelError(head + R"("hidden_size": "Infinity"})"));
  EXPECT_NE(ModelError(head + R"("hidden_size": Infinity})"), "no error");
  // A token-shaped word near the end of the text (the scan never reads past it).
  EXPECT_EQ(ModelError(R"({"NaN": 1})").rfind("m.json: neither a slmroof model", 0), 0U);
  EXPECT_EQ(ModelError(R"({"a": NaN})").rfind("m.json: neither a slmroof model", 0), 0U);
  EXPECT_EQ(ModelError(R"({"a": Na})").rfind("m.json: malformed JSON", 0), 0U);
  EXPECT_EQ(ModelError(std::string("{\"a\": NaN\0}")).rfind("m.json: malformed JSON", 0), 0U);
  // Not a token where a value starts: still malformed.
  EXPECT_EQ(ModelError(R"({"a": Infinityx})").rfind("m.json: malformed JSON", 0), 0U);
  EXPECT_EQ(ModelError(R"({"a": 1 NaN})").rfind("m.json: malformed JSON", 0), 0U);
}

TEST(Reader, NeitherFormat) {
  EXPECT_EQ(ModelError("{\"hidden_size\": 3}"),
            "m.json: neither a slmroof model (no field 'slmroof_model'), a HuggingFace "
            "config.json (no field 'model_type') nor a mamba_ssm config (no fields 'd_model' and "
            "'n_layer')");
  EXPECT_EQ(ModelError("[1, 2]"), "m.json: expected a JSON object at the top level, got an array of 2 elements");
}

TEST(Reader, NativeFieldsNamePath) {
  EXPECT_EQ(ModelError(R"({"slmroof_model": 1, "vocab_size": 10, "hidden_size": 8, "layers": [
    {"attention": {"type": "standard", "num_heads": 2, "head_dim": 4},
     "ffn": {"type": "gated", "activation": "silu"}}]})"),
            "m.json: field 'layers[0].ffn.intermediate_size' is missing");
  EXPECT_EQ(ModelError(R"({"slmroof_model": 1, "vocab_size": 10, "hidden_size": 8, "layers": [
    {"attention": {"type": "sparse", "num_heads": 2}, "ffn": {}}]})"),
            "m.json: field 'layers[0].attention.type' must be \"standard\" or \"mla\", got 'sparse'");
  EXPECT_EQ(ModelError(R"({"slmroof_model": 2})"),
            "m.json: field 'slmroof_model' is 2, but this slmroof reads version 1");
}

TEST(Reader, UnknownPresetSuggestsClosest) {
  try {
    LoadModel("qwen2.5-1.5");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "unknown model 'qwen2.5-1.5', did you mean 'qwen2.5-1.5b'? (see 'slmroof list models')");
  }
  try {
    LoadHardware("jetson-nano");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "unknown hardware 'jetson-nano', did you mean 'jetson-orin-nano'? (see 'slmroof list hardware')");
  }
}

TEST(Reader, MissingFile) {
  EXPECT_THROW(LoadModel("/nonexistent/model.json"), InputError);
  try {
    LoadModel("/nonexistent/model.json");
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "cannot open '/nonexistent/model.json': No such file or directory");
  }
}

constexpr const char* kHw = R"({"name": "d", "memory": {"capacity_bytes": 8e9,
  "bandwidth_bytes_per_s": {"theoretical": 1e11, "source": "x"}},
  "compute_units": [{"name": "gpu", "peak_flops_per_s": {"fp16": {"theoretical": 1e12, "source": "y"}}}]})";

TEST(Reader, HardwareParsesAndValidates) {
  const HardwareSpec hw = ParseHardwareJson(kHw, "hw.json");
  EXPECT_EQ(hw.units[0].peak_flops_per_s.at(Precision::kFp16).theoretical, 1e12);
  std::string bad = kHw;
  bad.replace(bad.find("1e11"), 4, "-5");
  EXPECT_EQ(HardwareError(bad), "hw.json: field 'memory.bandwidth_bytes_per_s.theoretical' must be a number in [1, 1e+18], got -5");
  bad = kHw;
  bad.replace(bad.find("\"fp16\""), 6, "\"fp64\"");
  EXPECT_EQ(HardwareError(bad),
            "hw.json: field 'compute_units[0].peak_flops_per_s.fp64' is not a precision (known: fp32, "
            "fp16, bf16, int8, int4)");
  EXPECT_EQ(HardwareError(R"({"name": "d"})"), "hw.json: field 'memory' is missing");
}

}  // namespace
}  // namespace slmroof
