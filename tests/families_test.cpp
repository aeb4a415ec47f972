// The dense families read from their real published config.json files (tests/data/hf/, sources in
// tests/data/hf/SOURCES.md): parameter counts against the published ones, the shape each family
// has, detection by `architectures`, --as, and the warnings for what is not modelled yet.
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "slmroof/errors.hpp"
#include "slmroof/io/model_reader.hpp"
#include "test_util.hpp"

namespace slmroof {
namespace {

using testing::RunBinary;

std::string Hf(const std::string& name) { return testing::DataPath("hf/" + name + ".config.json"); }

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Published {
  const char* file;
  const char* model_type;
  double params;  // tests/data/hf/SOURCES.md gives the source of each
};

TEST(Families, ParameterCountsMatchPublishedWithinOnePercent) {
  const Published kModels[] = {
      {"gemma-3-270m-it", "gemma3_text", 268098176},
      {"gemma-3-1b-it", "gemma3_text", 999885952},
      {"gemma-3-27b-it", "gemma3_text", 27009002240},  // text only (the vision tower is not costed)
      {"SmolLM3-3B", "smollm3", 3075117504},           // from the bf16 shard sizes, headers included
      {"phi-2", "phi", 2779683840},
      {"OLMo-2-1124-13B", "olmo2", 13716198400},
      {"stablelm-3b-4e1t", "stablelm", 2795443200},
      {"stablelm-2-zephyr-1_6b", "stablelm", 1644417024},
      {"Ministral-8B-Instruct-2410", "mistral", 8019808256},
      {"aya-23-8B", "cohere", 8e9},  // published rounded: "8-billion"
      {"granite-8b-instruct", "granite", 8170864640},
      {"OLMo-1B-hf", "olmo", 1176764416},
  };
  for (const Published& p : kModels) {
    const ModelSpec m = LoadModel(Hf(p.file));
    EXPECT_EQ(m.family, p.model_type) << p.file;
    EXPECT_NEAR(CountParams(m).total() / p.params, 1.0, 0.01) << p.file;
  }
}

TEST(Families, ShapesAsTheirModelingFilesBuildThem) {
  // Phi-2: one LayerNorm feeds attention and MLP; 40 % of each 80-wide head rotated; biases.
  const ModelSpec phi = LoadModel(Hf("phi-2"));
  const LayerSpec& pl = phi.groups.front().layer;
  EXPECT_EQ(pl.norms_per_layer, 1);
  EXPECT_EQ(pl.norm, NormKind::kLayerNorm);
  EXPECT_EQ(pl.attention.rope_dim, 32);
  EXPECT_TRUE(pl.attention.qkv_bias && pl.attention.o_bias && pl.ffn.bias);
  EXPECT_EQ(pl.ffn.kind, FfnKind::kMlp);
  // SmolLM3: every 4th layer without RoPE, so two alternating groups.
  const ModelSpec smol = LoadModel(Hf("SmolLM3-3B"));
  int64_t nope = 0;
  for (const LayerGroup& g : smol.groups) {
    nope += g.layer.attention.rope_dim == 0 ? g.repeat : 0;
  }
  EXPECT_EQ(nope, 9);
  EXPECT_EQ(smol.NumLayers(), 36);
  EXPECT_TRUE(smol.tie_word_embeddings);
  // Gemma 3: four norms per layer, q/k norms, head_dim 256 against hidden 1152 / 4 heads.
  const ModelSpec gemma = LoadModel(Hf("gemma-3-1b-it"));
  const AttentionSpec& ga = gemma.groups.front().layer.attention;
  EXPECT_EQ(gemma.groups.front().layer.norms_per_layer, 4);
  EXPECT_TRUE(ga.qk_norm);
  EXPECT_EQ(ga.head_dim, 256);
  EXPECT_EQ(ga.num_kv_heads, 1);
  // The multimodal wrapper's language model, with Gemma3TextConfig's default vocabulary.
  EXPECT_EQ(LoadModel(Hf("gemma-3-27b-it")).vocab_size, 262208);
  // OLMo 2: q/k norms. StableLM 2: q/k/v bias, a quarter of each head rotated.
  EXPECT_TRUE(LoadModel(Hf("OLMo-2-1124-13B")).groups.front().layer.attention.qk_norm);
  const ModelSpec stablelm = LoadModel(Hf("stablelm-2-zephyr-1_6b"));
  const AttentionSpec& sa = stablelm.groups.front().layer.attention;
  EXPECT_TRUE(sa.qkv_bias);
  EXPECT_FALSE(sa.o_bias);
  EXPECT_EQ(sa.rope_dim, sa.head_dim / 4);
  // Cohere: one LayerNorm, tied embeddings.
  const ModelSpec aya = LoadModel(Hf("aya-23-8B"));
  EXPECT_EQ(aya.groups.front().layer.norms_per_layer, 1);
  EXPECT_TRUE(aya.tie_word_embeddings);
  // Ministral: the explicit head_dim.
  EXPECT_EQ(LoadModel(Hf("Ministral-8B-Instruct-2410")).groups.front().layer.attention.head_dim, 128);
}

// Every family is recognised by its `architectures` class when model_type is absent.
TEST(Families, DetectedByArchitecturesWithoutModelType) {
  const std::pair<const char*, const char*> kCases[] = {
      {"phi-2", "phi"}, {"SmolLM3-3B", "smollm3"}, {"OLMo-2-1124-13B", "olmo2"},
      {"stablelm-3b-4e1t", "stablelm"}, {"aya-23-8B", "cohere"}, {"gemma-3-1b-it", "gemma3_text"},
      {"Ministral-8B-Instruct-2410", "mistral"}, {"granite-8b-instruct", "granite"},
      {"OLMo-1B-hf", "olmo"}};
  for (const auto& [file, type] : kCases) {
    nlohmann::json cfg = nlohmann::json::parse(Slurp(Hf(file)));
    ASSERT_TRUE(cfg.contains("architectures")) << file;
    cfg.erase("model_type");
    EXPECT_EQ(ParseModelJson(cfg.dump(), file, file).family, type) << file;
  }
  // The multimodal Gemma 3 wrapper.
  nlohmann::json cfg = nlohmann::json::parse(Slurp(Hf("gemma-3-27b-it")));
  cfg.erase("model_type");
  EXPECT_EQ(ParseModelJson(cfg.dump(), "g", "g").family, "gemma3_text");
}

TEST(Families, AsReadsAnUnfamiliarTypeAsAKnownOne) {
  nlohmann::json cfg = nlohmann::json::parse(Slurp(Hf("Ministral-8B-Instruct-2410")));
  cfg["model_type"] = "my_llama_variant";
  cfg["architectures"] = {"MyLlamaVariantForCausalLM"};
  const std::string path = ::testing::TempDir() + "variant.json";
  std::ofstream(path) << cfg.dump();
  EXPECT_THROW(LoadModel(path), InputError);
  const ModelSpec m = LoadModel(path, "llama");
  EXPECT_EQ(m.family, "llama");
  EXPECT_NEAR(CountParams(m).total(), 8019808256, 1);
  std::string out, err;
  EXPECT_EQ(RunBinary("analyze " + path, &out, &err), 1);
  EXPECT_NE(err.find("a llama-shaped config can be read with --as llama"), std::string::npos) << err;
  EXPECT_EQ(RunBinary("analyze --phase decode --as llama " + path, &out, &err), 0) << err;
  EXPECT_EQ(RunBinary("analyze --as bert " + path, &out, &err), 2);
  // Presets are never re-read.
  EXPECT_EQ(RunBinary("analyze qwen2.5-0.5b --phase decode --as llama --format json", &out, &err), 0);
  EXPECT_EQ(nlohmann::json::parse(out)["model"]["family"], "qwen2");
}

TEST(Families, OneWarningForWhatIsNotModelledYet) {
  std::string out, err;
  // Gemma 3 applies its windows; read as llama, whose modeling file ignores them, they are named.
  ASSERT_EQ(RunBinary("analyze " + Hf("gemma-3-270m-it") + " --phase decode", &out, &err), 0) << err;
  EXPECT_EQ(err, "");
  ASSERT_EQ(RunBinary("analyze " + Hf("gemma-3-270m-it") + " --as llama --phase decode", &out, &err),
            0)
      << err;
  EXPECT_EQ(err, "slmroof: warning: " + Hf("gemma-3-270m-it") +
                     ": sliding_window (512), layer_types change the cost but are not applied to "
                     "model_type llama: every layer is costed as full attention over the whole "
                     "context with a dense FFN (read the config --as the family that applies "
                     "them)\n");
  // A window no shorter than the context changes nothing and is not mentioned; neither is a
  // window the config switches off (Qwen2's use_sliding_window false).
  ASSERT_EQ(RunBinary("analyze qwen2.5-0.5b --phase decode", &out, &err), 0);
  EXPECT_EQ(err, "");
}

TEST(Families, WarnsBeyondTheTrainedContext) {
  std::string out, err;
  ASSERT_EQ(RunBinary("analyze qwen2.5-0.5b --phase decode --seq 64k", &out, &err), 0) << err;
  EXPECT_EQ(err,
            "slmroof: warning: qwen2.5-0.5b: --seq 65536 is beyond the 32768 tokens of context it "
            "was trained for (max_position_embeddings); the figures extrapolate past what the "
            "model can use\n");
  ASSERT_EQ(RunBinary("analyze qwen2.5-0.5b --phase decode --seq 32k", &out, &err), 0) << err;
  EXPECT_EQ(err, "");
  ASSERT_EQ(RunBinary("sweep qwen2.5-0.5b --phase decode --seq 16k,64k --format csv", &out, &err), 0);
  EXPECT_NE(err.find("--seq 65536 is beyond the 32768 tokens"), std::string::npos) << err;
  ASSERT_EQ(RunBinary("compare qwen2.5-0.5b qwen2.5-0.5b --seq 40k", &out, &err), 0);
  EXPECT_NE(err.find("--seq 40960 is beyond the 32768 tokens"), std::string::npos) << err;
}

}  // namespace
}  // namespace slmroof
