// Plan files and quant-plan's score files (src/plan.cpp, src/sensitivity.cpp): the first byte
// picks the parser ('p' a plan, 'k' kl-ssm-quant's probe JSON, anything else a score CSV/JSON),
// the rest is the file. An accepted plan resolves on a small llama to one type per tensor and
// reads back as itself; accepted scores (at most 24) are planned on it, and the plan found must
// fit the budget, score no more than the greedy one and cost what its units add up to.

#include "harness.hpp"

#include "slmroof/plan.hpp"
#include "slmroof/quant_plan.hpp"
#include "slmroof/sensitivity.hpp"

namespace {

const slmroof::ModelSpec& Tiny() {
  static const slmroof::ModelSpec m = slmroof::ParseModelJson(
      R"({"model_type": "llama", "vocab_size": 512, "hidden_size": 256, "num_hidden_layers": 3,
          "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 512,
          "tie_word_embeddings": false})",
      "tiny.json", "tiny");
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  slmroof::fuzz::Quiet();
  (void)Tiny();
  (void)slmroof::fuzz::FixedRoof();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace slmroof;
  if (size == 0) {
    return 0;
  }
  const char mode = static_cast<char>(data[0]);
  const std::string text = fuzz::Text(data + 1, size - 1);
  fuzz::Try([&] {
    if (mode == 'p') {
      auto plan = std::make_shared<const QuantPlan>(ParsePlan(text, "fuzz.plan.json"));
      if (PlanJson(ParsePlan(PlanJson(*plan), "again.json")) != PlanJson(*plan)) {
        fuzz::Crash("a plan does not read back as itself");
      }
      const WeightSetting w = ResolveWeights(Tiny(), WithPlan(ParseWeightSetting("Q4_K_M"), plan));
      if (!w.per_tensor || w.per_tensor->size() != ListWeightTensors(Tiny()).size()) {
        fuzz::Crash("a resolved plan does not type every tensor");
      }
      Scenario s;
      s.weights = w;
      fuzz::CheckPositive(WeightsInMemory(Tiny(), s), "planned weight bytes");
      return;
    }
    const std::vector<SensitivityRow> rows =
        mode == 'k' ? ParseKlProbe(text, "fuzz.json", DTypeByName("q4_0"), "kl_student_to_teacher")
                    : ParseScores(text, "fuzz.scores");
    if (rows.empty() || rows.size() > 24) {
      return;
    }
    QuantPlanRequest q;
    q.model = Tiny();
    q.roof = fuzz::FixedRoof();
    q.scores = rows;
    q.scenario.seq_len = 64;
    q.max_bytes = 1.5e6 + static_cast<double>(data[size - 1]) * 2e4;
    q.node_limit = 200000;
    const QuantPlanResult r = PlanQuantization(q);
    if (r.feasible) {
      if (r.optimal.weight_bytes > *q.max_bytes * (1 + 1e-9)) {
        fuzz::Crash(fmt::format("plan of {} bytes over a budget of {}", r.optimal.weight_bytes,
                                *q.max_bytes));
      }
      if (r.proven && r.greedy_found && r.optimal.score > r.greedy.score + 1e-9 * std::fabs(r.greedy.score)) {
        fuzz::Crash("the proven optimum scores more than the greedy plan");
      }
    } else if (r.greedy_found && r.proven) {
      fuzz::Crash("greedy found a plan where the search proved there is none");
    }
  });
  return 0;
}
