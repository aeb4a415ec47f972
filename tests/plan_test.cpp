// Mixed-precision plans (src/plan.cpp, docs/gguf.md "Plan files"): parsing, selection, the
// types they resolve to, and the commands that take --plan.
#include <cstdio>
#include <fstream>
#include <memory>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "slmroof/engine.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/graph.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/plan.hpp"
#include "test_util.hpp"

namespace slmroof {
namespace {

std::shared_ptr<const QuantPlan> Plan(const std::string& text, const std::string& origin = "p.json") {
  return std::make_shared<const QuantPlan>(ParsePlan(text, origin));
}

std::string ParseError(const std::string& text) {
  try {
    ParsePlan(text, "p.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string ResolveError(const ModelSpec& m, const std::string& text) {
  try {
    ResolveWeights(m, WithPlan(ParseWeightSetting("Q4_K_M"), Plan(text)));
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Plan, GlobMatch) {
  EXPECT_TRUE(GlobMatch("blk.*.ffn_down.weight", "blk.12.ffn_down.weight"));
  EXPECT_FALSE(GlobMatch("blk.*.ffn_down.weight", "blk.1.ffn_down_exps.weight"));
  EXPECT_TRUE(GlobMatch("blk.*.ffn_down*", "blk.1.ffn_down_exps.weight"));
  EXPECT_TRUE(GlobMatch("blk.?.attn_v.weight", "blk.7.attn_v.weight"));
  EXPECT_FALSE(GlobMatch("blk.?.attn_v.weight", "blk.17.attn_v.weight"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYc"));
  EXPECT_FALSE(GlobMatch("a*b", "a"));
  EXPECT_FALSE(GlobMatch("output.weight", "output.weight2"));
  // Many stars against a long name that never matches: one backtrack point, no blow-up.
  EXPECT_FALSE(GlobMatch(std::string(60, '*') + "x", std::string(100000, 'a')));
}

TEST(Plan, TensorKind) {
  EXPECT_EQ(TensorKind("blk.3.attn_v.weight"), "attn_v");
  EXPECT_EQ(TensorKind("blk.10.ffn_down_exps.weight"), "ffn_down_exps");
  EXPECT_EQ(TensorKind("output.weight"), "output");
  EXPECT_EQ(TensorKind("shared_blk.0.ffn_up.weight"), "ffn_up");
  EXPECT_EQ(TensorKind("blk.0.shortconv.in_proj.weight"), "shortconv.in_proj");
}

// llama-3.2-1b: 16 layers, attn_v 2048 → 8·64 = 1,048,576 elements each.
TEST(Plan, RulesOnTopOfTheBase) {
  const ModelSpec m = LoadModel("llama-3.2-1b");
  const WeightSetting q4km = ParseWeightSetting("Q4_K_M");
  const WeightSetting w = ResolveWeights(
      m, WithPlan(q4km, Plan(R"({"rules": [
          {"role": "attn_v", "layers": "0-3", "type": "q8_0"},
          {"tensors": "blk.*.ffn_down.weight", "layers": 15, "type": "bf16"}]})")));
  EXPECT_EQ(w.name, "plan p.json on Q4_K_M");
  const TensorTypes base = AssignTensorTypes(m, q4km);
  const TensorTypes planned = AssignTensorTypes(m, w);
  for (int64_t l = 0; l < 16; ++l) {
    EXPECT_EQ(planned.Of(TensorRole::kAttnV, l).name,
              l <= 3 ? "q8_0" : base.Of(TensorRole::kAttnV, l).name) << l;
    EXPECT_EQ(planned.Of(TensorRole::kFfnDown, l).name,
              l == 15 ? "bf16" : base.Of(TensorRole::kFfnDown, l).name) << l;
    EXPECT_EQ(&planned.Of(TensorRole::kAttnQ, l), &base.Of(TensorRole::kAttnQ, l));
    EXPECT_EQ(&planned.Of(TensorRole::kVector, l), &base.Of(TensorRole::kVector, l));
  }
  // Bytes: the base's, less the four attn_v and one ffn_down at their recipe types, plus the
  // same elements at q8_0 (34 bytes per 32) and bf16 (2 bytes).
  Scenario s;
  s.weights = q4km;
  const double base_bytes = WeightsInMemory(m, s);
  double expected = base_bytes;
  const double v = 2048.0 * 512, down = 8192.0 * 2048;
  for (int64_t l = 0; l <= 3; ++l) {
    expected += v * (34.0 / 32 - base.Of(TensorRole::kAttnV, l).bytes());
  }
  expected += down * (2.0 - base.Of(TensorRole::kFfnDown, 15).bytes());
  s.weights = w;
  EXPECT_DOUBLE_EQ(WeightsInMemory(m, s), expected);
}

TEST(Plan, ABaseOfItsOwnAndNoRulesIsThatSetting) {
  const ModelSpec m = LoadModel("qwen2.5-0.5b");
  Scenario a, b;
  a.seq_len = b.seq_len = 512;
  a.weights = ParseWeightSetting("Q4_K_M");
  b.weights = ResolveWeights(m, WithPlan(ParseWeightSetting("fp16"),
                                         Plan(R"({"base": "q4_k_m", "rules": []})", "dir/x.json")));
  EXPECT_EQ(b.weights.name, "plan x.json (Q4_K_M)");
  for (Phase p : {Phase::kPrefill, Phase::kDecode}) {
    const auto x = BuildOperators(m, a, p);
    const auto y = BuildOperators(m, b, p);
    ASSERT_EQ(x.size(), y.size());
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(x[i].name, y[i].name);
      EXPECT_DOUBLE_EQ(x[i].bytes(), y[i].bytes()) << x[i].name;
      EXPECT_DOUBLE_EQ(x[i].flops, y[i].flops) << x[i].name;
    }
  }
  EXPECT_DOUBLE_EQ(WeightsInMemory(m, a), WeightsInMemory(m, b));
}

TEST(Plan, GroupsSelectByName) {
  const ModelSpec m = LoadModel("qwen3-30b-a3b");
  const PlanRule experts = ParsePlan(R"({"rules": [{"role": "experts", "type": "q4_k"}]})", "p")
                               .rules.at(0);
  const PlanRule attn = ParsePlan(R"({"rules": [{"role": "attn", "layers": "1", "type": "q8_0"}]})",
                                  "p").rules.at(0);
  size_t n_experts = 0, n_attn = 0;
  for (const WeightTensor& t : ListWeightTensors(m)) {
    if (RuleSelects(experts, t)) {
      ++n_experts;
      EXPECT_TRUE(t.name.ends_with("_exps.weight")) << t.name;
    }
    if (RuleSelects(attn, t)) {
      ++n_attn;
      EXPECT_TRUE(t.name.starts_with("blk.1.attn_")) << t.name;
    }
  }
  EXPECT_EQ(n_experts, 48u * 3);  // gate, up and down of 48 layers
  EXPECT_EQ(n_attn, 4u);          // q, k, v, output: norms are never selected
}

TEST(Plan, ParseErrors) {
  EXPECT_EQ(ParseError(R"({"rules": [{"role": "attn_v", "type": "q9_k"}]})"),
            "p.json: field 'rules[0].type' names an unknown data type 'q9_k', did you mean 'q6_k'? "
            "(see 'slmroof list weights')");
  EXPECT_EQ(ParseError(R"({"rules": [{"roles": "attn_v", "type": "q8_0"}]})"),
            "p.json: field 'rules[0].roles' is not a rule field (tensors, role, layers, type, "
            "comment)");
  EXPECT_EQ(ParseError(R"({"rules": [{"role": "attn_v", "layers": "5-2", "type": "q8_0"}]})"),
            "p.json: field 'rules[0].layers' has the range '5-2', which runs backwards");
  EXPECT_EQ(ParseError(R"({"rules": [{"role": "attn_v", "layers": "1,x", "type": "q8_0"}]})"),
            "p.json: field 'rules[0].layers' has 'x', which is not a layer index from 0 to 4095 "
            "(write ranges as '0-3,8')");
  EXPECT_EQ(ParseError(R"({"base": "Q4_K_Q", "rules": []})"),
            "p.json: field 'base' is not a weight setting: unknown weight type 'Q4_K_Q', did you mean "
            "'Q4_K_M'? (a "
            "llama.cpp file type, a storage type or pure:TYPE: see 'slmroof list weights')");
  EXPECT_EQ(ParseError(R"({"base": "Q4_K_M"})"), "p.json: field 'rules' is missing");
  EXPECT_EQ(ParseError(R"({"slmroof_plan": 2, "rules": []})"),
            "p.json: field 'slmroof_plan' must be an integer in [1, 1], got 2");
}

TEST(Plan, ResolveErrors) {
  const ModelSpec m = LoadModel("llama-3.2-1b");
  EXPECT_EQ(ResolveError(m, R"({"rules": [{"role": "atn_v", "type": "q8_0"}]})"),
            "p.json: rules[0]: role 'atn_v' is no kind of tensor llama-3.2-1b has (did you mean "
            "'attn_v'?)");
  EXPECT_EQ(ResolveError(m, R"({"rules": [{"role": "attn_v", "layers": "16-20", "type": "q8_0"}]})"),
            "p.json: rules[0]: selects no matrix of llama-3.2-1b (16 layers)");
  EXPECT_EQ(ResolveError(m, R"({"rules": [{"role": "ssm_in", "type": "q8_0"}]})"),
            "p.json: rules[0]: role 'ssm_in' is no kind of tensor llama-3.2-1b has");
  // A row of 96 elements is not a whole number of q4_K's 256-element blocks.
  const ModelSpec tiny = ParseModelJson(
      R"({"model_type": "llama", "vocab_size": 300, "hidden_size": 256, "num_hidden_layers": 2,
          "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 96})",
      "c.json", "tiny");
  EXPECT_EQ(ResolveError(tiny, R"({"rules": [{"role": "ffn_down", "type": "q4_k"}]})"),
            "p.json: rules[0]: blk.0.ffn_down.weight has rows of 96 elements, which q4_k's blocks "
            "of 256 do not divide");
}

TEST(Plan, JsonRoundTrips) {
  const QuantPlan p = ParsePlan(R"({"slmroof_plan": 1, "model": "m", "base": "Q4_K_M",
      "rules": [{"tensors": "output.weight", "type": "q8_0"},
                {"role": "attn_v", "layers": "0-3,8", "type": "q6_k", "comment": "why"}]})", "p");
  const QuantPlan q = ParsePlan(PlanJson(p), "q");
  EXPECT_EQ(PlanJson(p), PlanJson(q));
  ASSERT_EQ(q.rules.size(), 2u);
  EXPECT_EQ(q.rules[1].layers, (std::vector<std::pair<int64_t, int64_t>>{{0, 3}, {8, 8}}));
  EXPECT_EQ(q.base, "Q4_K_M");
}

// The example of docs/gguf.md "Plan files" parses and resolves on the model it names.
TEST(Plan, TheDocsExampleResolves) {
  const std::string doc = testing::ReadWholeFile(std::string(SLMROOF_SOURCE_DIR) + "/docs/gguf.md");
  const size_t section = doc.find("## Plan files");
  ASSERT_NE(section, std::string::npos);
  const size_t start = doc.find("```json\n", section);
  ASSERT_NE(start, std::string::npos);
  const size_t end = doc.find("```", start + 8);
  const QuantPlan plan = ParsePlan(doc.substr(start + 8, end - start - 8), "docs/gguf.md");
  const ModelSpec m = LoadModel(plan.model);
  const WeightSetting w = ResolveWeights(m, WithPlan(ParseWeightSetting("fp16"),
                                                     std::make_shared<const QuantPlan>(plan)));
  const TensorTypes types = AssignTensorTypes(m, w);
  EXPECT_EQ(types.Of(TensorRole::kOutput, -1).name, "q8_0");
  EXPECT_EQ(types.Of(TensorRole::kAttnV, 47).name, "q6_k");
  bool experts_iq4 = false;
  for (const WeightTensor& t : ListWeightTensors(m)) {
    if (t.name == "blk.21.ffn_up_exps.weight") {
      experts_iq4 = types.Of(t.role, t.layer).name == "iq4_xs";
    }
  }
  EXPECT_TRUE(experts_iq4);
}

TEST(Plan, CommandsTakeIt) {
  const std::string plan = testing::WriteTempFile("cli-plan.json",
                                     R"({"base": "Q4_K_M", "rules": [{"role": "ffn_down", "type": "q8_0"}]})");
  std::string out, err;
  ASSERT_EQ(testing::RunBinary("analyze llama-3.2-1b --seq 256 --summary --plan " + plan, &out, &err), 0)
      << err;
  EXPECT_NE(out.find("plan cli-plan.json (Q4_K_M)"), std::string::npos) << out;
  ASSERT_EQ(testing::RunBinary("sweep llama-3.2-1b --seq 256 --phase decode --format csv --plan " +
                                   plan + " --weights Q4_K_M,q8_0",
                               &out, &err),
            0)
      << err;
  // The plan's base replaces each --weights setting: two rows of the same weights.
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3) << out;
  ASSERT_EQ(testing::RunBinary("compare llama-3.2-1b llama-3.2-1b@plan=" + plan +
                                   " --weights Q4_K_M --seq 256 --format json",
                               &out, &err),
            0)
      << err;
  const auto j = nlohmann::json::parse(out);
  EXPECT_NE(j.dump().find("plan cli-plan.json (Q4_K_M)"), std::string::npos);
  // A plan that fits the model badly fails before any row.
  const std::string bad = testing::WriteTempFile("cli-bad.json", R"({"rules": [{"role": "ssm_in", "type": "q8_0"}]})");
  EXPECT_EQ(testing::RunBinary("sweep llama-3.2-1b --seq 256 --plan " + bad, &out, &err), 1);
  EXPECT_EQ(out, "");
  EXPECT_NE(err.find("role 'ssm_in' is no kind of tensor llama-3.2-1b has"), std::string::npos)
      << err;
}

}  // namespace
}  // namespace slmroof
