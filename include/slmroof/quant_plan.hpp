#pragma once

#include <optional>
#include <string>
#include <vector>

#include "slmroof/hardware.hpp"
#include "slmroof/mckp.hpp"
#include "slmroof/model.hpp"
#include "slmroof/plan.hpp"
#include "slmroof/result.hpp"
#include "slmroof/scenario.hpp"
#include "slmroof/sensitivity.hpp"

namespace slmroof {

/// What `quant-plan` is asked (docs/quant-plan.md).
struct QuantPlanRequest {
  ModelSpec model;
  Roof roof;
  Scenario scenario;        ///< seq_len, batch, act, kv... of the TTFT/TPOT prediction
  WeightSetting base = ParseWeightSetting("fp16");  ///< every tensor's type when no unit changes it (score 0)
  std::vector<SensitivityRow> scores;
  std::optional<double> max_bytes;   ///< weight bytes in memory, every tensor included
  std::optional<double> max_tpot_s;  ///< decode time per step at the scenario
  int frontier_points = 0;           ///< budgets solved for --frontier (0: none)
  int64_t node_limit = 2'000'000;   ///< per solve (about a second); past it: not proven
};

/// One choice for one unit: its type, its score and what it adds over keeping the base.
struct UnitChoice {
  const DType* type = nullptr;  ///< nullptr: keep the base types
  double score = 0;
  double bytes = 0;       ///< the unit's weight bytes at this type, as the runtime holds them
  double tpot_delta_s = 0;  ///< decode time with this unit alone changed, less the base's
};

/// A unit of the plan: tensors that move together, and its choices (the first keeps the base).
struct PlanUnit {
  std::string name;
  std::vector<std::string> tensors;
  std::vector<UnitChoice> choices;
  bool base_scored = false;  ///< a row scored the base type itself
};

/// A plan the planner proposes, with the predictions of a full analysis under it.
struct PlanOutcome {
  std::vector<int> pick;   ///< per unit, the index of its choice
  double score = 0;
  double weight_bytes = 0; ///< from the analysis (equals the knapsack's sum: checked)
  double tpot_s = 0;       ///< from the analysis
  double tpot_additive_s = 0;  ///< base TPOT plus the units' deltas (what the knapsack saw)
  double ttft_s = 0;
  double decode_tokens_per_s = 0;
  double decode_phi = 0;
  double prefill_phi = 0;
  QuantPlan plan;
};

/// One point of a frontier: the least score at a budget (or a greedy cut's plan).
struct FrontierPoint {
  double budget = 0;       ///< bytes or seconds
  bool feasible = false;
  bool proven = false;
  double score = 0;
  double weight_bytes = 0;
  double tpot_s = 0;       ///< additive
};

struct QuantPlanResult {
  std::vector<PlanUnit> units;
  double fixed_bytes = 0;       ///< weights no unit holds (memory, at the base types)
  double base_bytes = 0;        ///< all weights at the base
  double base_tpot_s = 0;
  double lightest_bytes = 0;    ///< every unit at its smallest choice
  double fastest_tpot_s = 0;    ///< every unit at its fastest choice (additive)
  bool feasible = false;
  bool proven = false;
  double lower_bound = 0;
  int64_t nodes = 0;
  PlanOutcome optimal;
  bool greedy_found = false;
  size_t greedy_cut = 0;        ///< entries of the sorted list the greedy plan applies
  PlanOutcome greedy;
  std::string frontier_resource;  ///< "bytes" or "tpot"
  std::vector<FrontierPoint> frontier;
  std::vector<FrontierPoint> greedy_curve;  ///< every cut of the greedy list
  std::vector<std::string> unplaced;  ///< score rows whose type does not fit their unit's rows
};

/// Builds the units from the scores, solves the knapsack exactly, runs the paper's greedy
/// baseline and the frontier. Throws InputError for scores naming nothing or overlapping units.
QuantPlanResult PlanQuantization(const QuantPlanRequest& request);

/// The plan file of a pick: the request's base and one rule per changed unit.
QuantPlan PlanOfPick(const QuantPlanRequest& request, const std::vector<PlanUnit>& units,
                     const std::vector<int>& pick);

}  // namespace slmroof
