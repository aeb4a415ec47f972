// quant-plan (src/quant_planner.cpp, src/sensitivity.cpp): scores in the KL paper's own format on
// a Nemotron-H-shaped model, the optimum against the paper's greedy list, and the plan's round
// trip through analyze --plan.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "slmroof/engine.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/hardware.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/quant_plan.hpp"
#include "test_util.hpp"

namespace slmroof {
namespace {

// The HF module each GGUF matrix kind of Nemotron-H comes from (transformers' NemotronH names).
const std::map<std::string, std::string> kHfLeaf = {
    {"ssm_in", "in_proj"},  {"ssm_out", "out_proj"}, {"attn_q", "q_proj"},
    {"attn_k", "k_proj"},   {"attn_v", "v_proj"},    {"attn_output", "o_proj"},
    {"ffn_up", "up_proj"},  {"ffn_down", "down_proj"}};

// kl-ssm-quant's sensitivity_results.json for every Linear of a model, at one bit width:
// synthetic KL values (log-normal around `scale`, seeded), the file's five metrics.
std::string KlProbeFile(const ModelSpec& m, double scale, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> kl(0.0, 1.2);
  nlohmann::ordered_json doc;
  for (const WeightTensor& t : ListWeightTensors(m)) {
    std::string module;
    if (t.name == "output.weight") {
      module = "lm_head";
    } else if (t.layer >= 0 && kHfLeaf.count(TensorKind(t.name)) > 0) {
      module = fmt::format("backbone.layers.{}.mixer.{}", t.layer, kHfLeaf.at(TensorKind(t.name)));
    } else {
      continue;
    }
    const double v = scale * kl(rng);
    doc[module] = {{"perplexity", 10.0 + v},        {"sqnr_db", 30.0 - v},
                   {"kl_teacher_to_student", -v},   {"kl_student_to_teacher", v},
                   {"delta_cross_entropy", v / 2}};
  }
  return doc.dump(2);
}

QuantPlanRequest NemotronRequest() {
  QuantPlanRequest q;
  q.model = LoadModel("nemotron-h-4b");
  q.roof = testing::FlatRoof(100e9, 10e12);
  q.scenario.seq_len = 1024;
  q.base = ParseWeightSetting("fp16");
  std::vector<SensitivityRow> rows =
      ParseKlProbe(KlProbeFile(q.model, 1e-2, 1), "kl4.json", DTypeByName("q4_0"),
                   "kl_student_to_teacher");
  const std::vector<SensitivityRow> eight =
      ParseKlProbe(KlProbeFile(q.model, 2e-4, 2), "kl8.json", DTypeByName("q8_0"),
                   "kl_student_to_teacher");
  rows.insert(rows.end(), eight.begin(), eight.end());
  q.scores = rows;
  return q;
}

TEST(QuantPlan, KlProbesOnNemotronHBeatOrMatchTheGreedyList) {
  QuantPlanRequest q = NemotronRequest();
  q.frontier_points = 0;
  // Every Linear of the 52 layers (in/out of 24 Mamba-2, q/k/v/o of 4 attention, up/down of 24
  // MLP layers) and lm_head: 48 + 16 + 48 + 1 units.
  const QuantPlanResult probe = PlanQuantization(q);
  ASSERT_EQ(probe.units.size(), 113u);
  int better = 0;
  for (double share : {0.3, 0.4, 0.5, 0.6, 0.8}) {
    QuantPlanRequest at = q;
    at.max_bytes = probe.lightest_bytes + share * (probe.base_bytes - probe.lightest_bytes);
    const QuantPlanResult r = PlanQuantization(at);
    ASSERT_TRUE(r.feasible);
    ASSERT_TRUE(r.proven);
    ASSERT_TRUE(r.greedy_found);
    EXPECT_LE(r.optimal.weight_bytes, *at.max_bytes);
    EXPECT_LE(r.greedy.weight_bytes, *at.max_bytes);
    EXPECT_LE(r.optimal.score, r.greedy.score + 1e-15) << share;
    better += r.optimal.score < r.greedy.score * (1 - 1e-9) ? 1 : 0;
    // The plan round-trips: read back as a plan file, it gives the same bytes and types.
    const auto plan = std::make_shared<const QuantPlan>(ParsePlan(PlanJson(r.optimal.plan), "rt.json"));
    Scenario s;
    s.weights = ResolveWeights(q.model, WithPlan(q.base, plan));
    EXPECT_DOUBLE_EQ(WeightsInMemory(q.model, s), r.optimal.weight_bytes);
    const TensorTypes types = AssignTensorTypes(q.model, s.weights);
    const std::vector<WeightTensor> tensors = ListWeightTensors(q.model);
    for (size_t i = 0; i < r.units.size(); ++i) {
      const UnitChoice& c = r.units[i].choices[static_cast<size_t>(r.optimal.pick[i])];
      for (const WeightTensor& t : tensors) {
        if (t.name == r.units[i].tensors.front()) {
          EXPECT_EQ(types.Of(t.role, t.layer).name, c.type ? c.type->name : "fp16") << t.name;
        }
      }
    }
  }
  // Greedy takes whole prefixes of one list; the knapsack does strictly better at most budgets.
  EXPECT_GE(better, 3);
}

TEST(QuantPlan, TpotIsTheBasePlusEachUnitsChange) {
  QuantPlanRequest q = NemotronRequest();
  const QuantPlanResult base = PlanQuantization(q);
  q.max_tpot_s = base.base_tpot_s * 0.5;
  const QuantPlanResult r = PlanQuantization(q);
  ASSERT_TRUE(r.feasible);
  EXPECT_TRUE(r.proven);
  EXPECT_LE(r.optimal.tpot_s, *q.max_tpot_s * (1 + 1e-9));
  // Decode time is a sum over operators and a unit only changes its own: the full analysis of
  // the plan equals the base plus the units' changes measured alone.
  EXPECT_NEAR(r.optimal.tpot_s, r.optimal.tpot_additive_s, 1e-9 * r.optimal.tpot_s);
  if (r.greedy_found) {
    EXPECT_NEAR(r.greedy.tpot_s, r.greedy.tpot_additive_s, 1e-9 * r.greedy.tpot_s);
    EXPECT_LE(r.optimal.score, r.greedy.score + 1e-15);
  }
}

TEST(QuantPlan, FrontierIsMonotone) {
  QuantPlanRequest q = NemotronRequest();
  q.frontier_points = 6;
  q.max_bytes = 8e9;
  const QuantPlanResult r = PlanQuantization(q);
  ASSERT_EQ(r.frontier.size(), 6u);
  EXPECT_EQ(r.frontier_resource, "bytes");
  for (size_t i = 0; i < r.frontier.size(); ++i) {
    EXPECT_TRUE(r.frontier[i].feasible) << i;
    EXPECT_TRUE(r.frontier[i].proven) << i;
    EXPECT_LE(r.frontier[i].weight_bytes, r.frontier[i].budget * (1 + 1e-9));
    if (i > 0) {
      EXPECT_LE(r.frontier[i].score, r.frontier[i - 1].score + 1e-15);
    }
  }
  // The heaviest budget keeps everything at fp16: score 0.
  EXPECT_DOUBLE_EQ(r.frontier.back().score, 0.0);
}

std::string RequestError(QuantPlanRequest q) {
  try {
    PlanQuantization(q);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(QuantPlan, ScoreErrors) {
  QuantPlanRequest q;
  q.model = LoadModel("llama-3.2-1b");
  q.roof = testing::FlatRoof(100e9, 10e12);
  q.scores = ParseScores("tensor,type,score\nblk.0.ssm_in.weight,q4_0,0.1\n", "s.csv");
  EXPECT_EQ(RequestError(q),
            "s.csv:2: 'blk.0.ssm_in.weight' names no weight matrix of llama-3.2-1b (a GGUF tensor "
            "name, a glob over them, or an HF module name)");
  q.scores = ParseScores(
      "tensor,type,score\nblk.*.attn_v.weight,q4_0,0.1\nmodel.layers.3.self_attn.v_proj,q8_0,0.2\n",
      "s.csv");
  EXPECT_EQ(RequestError(q),
            "s.csv:3: 'model.layers.3.self_attn.v_proj' and 'blk.*.attn_v.weight' both hold "
            "blk.3.attn_v.weight; each tensor belongs to one unit");
  auto parse_error = [](const std::string& text) {
    try {
      ParseScores(text, "s.csv");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(parse_error("name,score\n"),
            "s.csv:1: the header must name the columns tensor (or tensor_or_pattern), type and score");
  EXPECT_EQ(parse_error("tensor,type,score\nx,q4_0,nan\n"),
            "s.csv:2: score 'nan' is not a number from -1e15 to 1e15");
  EXPECT_EQ(parse_error("tensor,type,score\nx,q4_0,1e308\n"),
            "s.csv:2: score '1e308' is not a number from -1e15 to 1e15");
  EXPECT_EQ(parse_error("tensor,type,score\nx,q4_0\n"), "s.csv:2: 2 fields, the header has 3");
  EXPECT_EQ(parse_error("tensor,type,score\nx,q5_q,1\n"),
            "s.csv:2: unknown data type 'q5_q', did you mean 'q5_k'? (see 'slmroof list weights')");
  EXPECT_EQ(parse_error(R"([{"tensor": "x", "type": "q4_0"}])"), "s.csv: field 'scores[0].score' is missing");
}

TEST(QuantPlan, HfModuleNames) {
  const ModelSpec m = LoadModel("falcon-h1-0.5b");
  const std::vector<WeightTensor> t = ListWeightTensors(m);
  auto names = [&](const std::string& unit) {
    std::vector<std::string> out;
    for (size_t i : UnitTensors(unit, t)) {
      out.push_back(t[i].name);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names("model.layers.3.mamba.in_proj"), V{"blk.3.ssm_in.weight"});
  EXPECT_EQ(names("model.layers.3.mamba.out_proj"), V{"blk.3.ssm_out.weight"});
  EXPECT_EQ(names("model.layers.3.self_attn.o_proj"), V{"blk.3.attn_output.weight"});
  EXPECT_EQ(names("model.layers.0.feed_forward.gate_proj"), V{"blk.0.ffn_gate.weight"});
  EXPECT_EQ(names("lm_head"), V{"output.weight"});
  EXPECT_EQ(names("blk.1.attn_q"), V{"blk.1.attn_q.weight"});
  EXPECT_EQ(names("blk.1?.ffn_down.weight").size(), 10u);
  EXPECT_TRUE(names("model.layers.99.mamba.in_proj").empty());
  EXPECT_TRUE(names("model.layers.1.mamba.conv1d").empty());  // not a Linear: never a unit
  // Granite's shared MLP: the shared expert beside routed ones, the dense FFN without them.
  const ModelSpec tiny = LoadModel("granite-4.0-h-tiny");
  const ModelSpec dense = LoadModel("granite-4.0-h-1b");
  const std::vector<WeightTensor> tt = ListWeightTensors(tiny), td = ListWeightTensors(dense);
  auto of = [](const std::vector<WeightTensor>& ts, const std::string& unit) {
    std::vector<std::string> out;
    for (size_t i : UnitTensors(unit, ts)) {
      out.push_back(ts[i].name);
    }
    return out;
  };
  EXPECT_EQ(of(tt, "model.layers.0.shared_mlp.input_linear"),
            (V{"blk.0.ffn_gate_shexp.weight", "blk.0.ffn_up_shexp.weight"}));
  EXPECT_EQ(of(td, "model.layers.0.shared_mlp.input_linear"),
            (V{"blk.0.ffn_gate.weight", "blk.0.ffn_up.weight"}));
  EXPECT_EQ(of(td, "model.layers.0.shared_mlp.output_linear"), V{"blk.0.ffn_down.weight"});
}

// A tied embedding table is held twice by llama.cpp's engine profile on some backends: each
// unit's bytes come from the analysis, so the plan's weights equal analyze's (a review found the
// planner stopping with an internal error on every tied model).
TEST(QuantPlan, TiedEmbeddingsAndTheBaseScore) {
  QuantPlanRequest q;
  q.model = LoadModel("llama-3.2-1b");
  q.roof = testing::FlatRoof(100e9, 10e12);
  q.roof.exec.tied_output_duplicated = true;  // as the llama.cpp profile says of some backends
  q.scores = ParseScores(
      "tensor,type,score\n"
      "token_embd,q4_0,0.3\n"
      "token_embd,fp16,0.01\n"
      "blk.*.attn_v.weight,q4_0,0.2\n"
      "blk.*.ffn_down.weight,q8_0,0.05\n"
      "blk.*.ffn_down.weight,q4_0,0.4\n",
      "s.csv");
  q.max_bytes = 2.2e9;
  const QuantPlanResult r = PlanQuantization(q);
  ASSERT_TRUE(r.feasible);
  EXPECT_TRUE(r.proven);
  // The base holds the table twice: 128,256 × 2048 fp16 elements more than the tensor list.
  Scenario plain;
  EXPECT_DOUBLE_EQ(r.base_bytes, WeightsInMemory(q.model, plain) + 128256.0 * 2048 * 2);
  // The token_embd unit at q4_0 saves both copies: 2 × (2 − 18/32) bytes per element.
  ASSERT_EQ(r.units[0].name, "token_embd");
  EXPECT_DOUBLE_EQ(r.units[0].choices[0].bytes - r.units[0].choices[1].bytes,
                   2 * 128256.0 * 2048 * (2 - 18.0 / 32));
  EXPECT_TRUE(r.units[0].base_scored);
  EXPECT_DOUBLE_EQ(r.units[0].choices[0].score, 0.01);
  Scenario s;
  s.weights = ResolveWeights(q.model, WithPlan(q.base, std::make_shared<const QuantPlan>(r.optimal.plan)));
  EXPECT_DOUBLE_EQ(Analyze(q.model, q.roof, s, MeasuredTps{}).memory.weights_bytes,
                   r.optimal.weight_bytes);
  EXPECT_LE(r.optimal.weight_bytes, 2.2e9);
  q.scores.push_back(q.scores[1]);
  EXPECT_EQ(RequestError(q), "s.csv:3: a second score for 'token_embd' at its base type fp16");
}

// The example files of docs/quant-plan.md are this generator's output: checked here, rewritten
// with SLMROOF_UPDATE_DOCS=1.
TEST(QuantPlan, DocsExampleFilesAreTheGenerators) {
  const ModelSpec m = LoadModel("nemotron-h-4b");
  const std::pair<std::string, std::string> files[] = {
      {testing::DataPath("kl-probe/nemotron-h-4b-kl4.json"), KlProbeFile(m, 1e-2, 1) + "\n"},
      {testing::DataPath("kl-probe/nemotron-h-4b-kl8.json"), KlProbeFile(m, 2e-4, 2) + "\n"}};
  for (const auto& [path, text] : files) {
    if (std::getenv("SLMROOF_UPDATE_DOCS") != nullptr) {
      std::ofstream(path) << text;
    }
    EXPECT_EQ(testing::ReadWholeFile(path), text)
        << path << ": run SLMROOF_UPDATE_DOCS=1 ./build/tests/slmroof_tests --gtest_filter='*Docs*'";
  }
}

TEST(QuantPlan, CommandWritesAPlanAnalyzeReads) {
  const ModelSpec m = LoadModel("nemotron-h-4b");
  const std::string kl4 = testing::WriteTempFile("qp-kl4.json", KlProbeFile(m, 1e-2, 1));
  const std::string kl8 = testing::WriteTempFile("qp-kl8.json", KlProbeFile(m, 2e-4, 2));
  const std::string plan = ::testing::TempDir() + "qp-plan.json";
  const std::string svg = ::testing::TempDir() + "qp-frontier.svg";
  std::remove(plan.c_str());
  std::string out, err;
  ASSERT_EQ(testing::RunBinary("quant-plan nemotron-h-4b --hw jetson-orin-nano-super --kl-probe q4_0=" +
                                   kl4 + " --kl-probe q8_0=" + kl8 +
                                   " --max-bytes 4.5GB --frontier 4 --format json --plan-out " +
                                   plan + " --plot " + svg,
                               &out, &err),
            0)
      << err;
  const auto j = nlohmann::json::parse(out);
  EXPECT_TRUE(j.at("proven_optimal").get<bool>());
  EXPECT_LE(j.at("optimal").at("weight_bytes").get<double>(), 4.5e9);
  ASSERT_EQ(testing::RunBinary("analyze nemotron-h-4b --hw jetson-orin-nano-super --format json --plan " +
                                   plan,
                               &out, &err),
            0)
      << err;
  const auto a = nlohmann::json::parse(out);
  EXPECT_DOUBLE_EQ(a.at("memory").at("weights_bytes").get<double>(),
                   j.at("optimal").at("weight_bytes").get<double>());
  const std::string text = testing::ReadWholeFile(svg);
  EXPECT_NE(text.find("optimal at 4 budgets"), std::string::npos);
  // Over budget: exit 1, no plan written.
  std::remove(plan.c_str());
  EXPECT_EQ(testing::RunBinary("quant-plan nemotron-h-4b --kl-probe q4_0=" + kl4 +
                                   " --max-bytes 100MB --plan-out " + plan,
                               &out, &err),
            1);
  EXPECT_FALSE(std::ifstream(plan).good());
}

}  // namespace
}  // namespace slmroof
