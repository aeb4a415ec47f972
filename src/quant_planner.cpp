// quant-plan (docs/quant-plan.md): sensitivity scores, a model, a device and a budget in; the
// plan of least total score within the budget out, beside the greedy plan of the KL paper.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "slmroof/engine.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/quant_plan.hpp"
#include "slmroof/text.hpp"

namespace slmroof {

namespace {

using TypeMap = std::map<std::string, const DType*>;

WeightSetting PerTensor(const TypeMap& map, const std::string& name) {
  WeightSetting s;
  s.name = name;
  s.type = &DTypeByName("fp16");
  s.per_tensor = std::make_shared<const TypeMap>(map);
  return s;
}

const PhaseResult* PhaseOf(const AnalysisResult& a, Phase p) {
  for (const PhaseResult& r : a.phases) {
    if (r.phase == p) {
      return &r;
    }
  }
  return nullptr;
}

// One decode step under `w` on the request's device and engine: its time and the weights held
// (with what the runtime adds, e.g. a second copy of a tied embedding table).
struct Probe {
  double time_s;
  double weight_bytes;
};
Probe DecodeProbe(const QuantPlanRequest& q, const WeightSetting& w) {
  Scenario s = q.scenario;
  s.prefill = false;
  s.decode = true;
  s.weights = w;
  const AnalysisResult a = Analyze(q.model, q.roof, s, MeasuredTps{});
  return {PhaseOf(a, Phase::kDecode)->totals.time_s, a.memory.weights_bytes};
}

// A unit's tensors may change type only where the type's blocks divide their rows.
bool Fits(const DType& type, const std::vector<WeightTensor>& tensors, const std::vector<size_t>& idx) {
  return std::all_of(idx.begin(), idx.end(),
                     [&](size_t i) { return tensors[i].cols % type.block_elems == 0; });
}

struct Built {
  std::vector<PlanUnit> units;
  std::vector<std::vector<size_t>> tensor_idx;
  std::vector<std::string> unplaced;
};

Built BuildUnits(const QuantPlanRequest& q, const std::vector<WeightTensor>& tensors,
                 const TypeMap& base) {
  Built b;
  std::map<std::string, size_t> unit_of_name;
  std::map<size_t, size_t> owner;  // tensor index -> unit
  for (const SensitivityRow& row : q.scores) {
    auto it = unit_of_name.find(row.unit);
    if (it == unit_of_name.end()) {
      const std::vector<size_t> idx = UnitTensors(row.unit, tensors);
      if (idx.empty()) {
        throw InputError(fmt::format("{}: {} names no weight matrix of {} (a GGUF tensor name, a "
                                     "glob over them, or an HF module name)",
                                     row.where, Excerpt(row.unit, 80), q.model.name));
      }
      for (size_t i : idx) {
        const auto [o, fresh] = owner.emplace(i, b.units.size());
        if (!fresh) {
          throw InputError(fmt::format("{}: {} and {} both hold {}; each tensor belongs to one unit",
                                       row.where, Excerpt(row.unit, 60),
                                       Excerpt(b.units[o->second].name, 60), tensors[i].name));
        }
      }
      PlanUnit u;
      u.name = row.unit;
      UnitChoice keep;
      for (size_t i : idx) {
        u.tensors.push_back(tensors[i].name);
        keep.bytes += tensors[i].elements * base.at(tensors[i].name)->bytes();
      }
      u.choices.push_back(keep);
      it = unit_of_name.emplace(row.unit, b.units.size()).first;
      b.units.push_back(std::move(u));
      b.tensor_idx.push_back(idx);
    }
    PlanUnit& u = b.units[it->second];
    const std::vector<size_t>& idx = b.tensor_idx[it->second];
    const bool is_base = std::all_of(idx.begin(), idx.end(),
                                     [&](size_t i) { return base.at(tensors[i].name) == row.type; });
    if (is_base) {
      if (u.base_scored) {
        throw InputError(fmt::format("{}: a second score for {} at its base type {}", row.where,
                                     Excerpt(row.unit, 80), row.type->name));
      }
      u.choices[0].score = row.score;  // the base's own score, when the file gives one
      u.base_scored = true;
      continue;
    }
    if (std::any_of(u.choices.begin() + 1, u.choices.end(),
                    [&](const UnitChoice& c) { return c.type == row.type; })) {
      throw InputError(fmt::format("{}: a second score for {} at {}", row.where, Excerpt(row.unit, 80),
                                   row.type->name));
    }
    if (!Fits(*row.type, tensors, idx)) {
      b.unplaced.push_back(fmt::format("{} at {}: rows not a multiple of its {}-element blocks",
                                       Excerpt(row.unit, 80), row.type->name, row.type->block_elems));
      continue;
    }
    UnitChoice c;  // its bytes and TPOT change come from an analysis (PlanQuantization)
    c.type = row.type;
    c.score = row.score;
    u.choices.push_back(c);
  }
  // Units in the model's tensor order, whatever order the files list them in.
  std::vector<size_t> order(b.units.size());
  for (size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    return *std::min_element(b.tensor_idx[x].begin(), b.tensor_idx[x].end()) <
           *std::min_element(b.tensor_idx[y].begin(), b.tensor_idx[y].end());
  });
  Built sorted;
  sorted.unplaced = std::move(b.unplaced);
  for (size_t i : order) {
    sorted.units.push_back(std::move(b.units[i]));
    sorted.tensor_idx.push_back(std::move(b.tensor_idx[i]));
  }
  return sorted;
}

std::vector<KnapsackClass> Classes(const std::vector<PlanUnit>& units) {
  std::vector<KnapsackClass> classes;
  for (const PlanUnit& u : units) {
    KnapsackClass k;
    for (const UnitChoice& c : u.choices) {
      k.cost.push_back(c.score);
      k.weight.push_back({c.bytes, c.tpot_delta_s});
    }
    classes.push_back(std::move(k));
  }
  return classes;
}

PlanOutcome Outcome(const QuantPlanRequest& q, const std::vector<PlanUnit>& units,
                    const std::vector<int>& pick, double fixed_bytes, double base_tpot) {
  PlanOutcome o;
  o.pick = pick;
  o.plan = PlanOfPick(q, units, pick);
  double bytes = fixed_bytes;
  o.tpot_additive_s = base_tpot;
  for (size_t i = 0; i < units.size(); ++i) {
    const UnitChoice& c = units[i].choices[static_cast<size_t>(pick[i])];
    o.score += c.score;
    bytes += c.bytes;
    o.tpot_additive_s += c.tpot_delta_s;
  }
  Scenario s = q.scenario;
  s.prefill = s.decode = true;
  s.weights = ResolveWeights(q.model, WithPlan(q.base, std::make_shared<const QuantPlan>(o.plan)));
  const AnalysisResult a = Analyze(q.model, q.roof, s, MeasuredTps{});
  o.weight_bytes = a.memory.weights_bytes;
  if (std::fabs(o.weight_bytes - bytes) > 1e-9 * std::max(1.0, bytes)) {
    throw std::logic_error(fmt::format("quant-plan: the plan's weights are {} bytes by analysis and "
                                       "{} by its units",
                                       o.weight_bytes, bytes));
  }
  const PhaseResult* decode = PhaseOf(a, Phase::kDecode);
  const PhaseResult* prefill = PhaseOf(a, Phase::kPrefill);
  o.tpot_s = decode->totals.time_s;
  o.decode_tokens_per_s = decode->totals.tokens_per_s;
  o.decode_phi = decode->rip.phi;
  o.ttft_s = prefill->totals.time_s;
  o.prefill_phi = prefill->rip.phi;
  return o;
}

}  // namespace

QuantPlan PlanOfPick(const QuantPlanRequest& q, const std::vector<PlanUnit>& units,
                     const std::vector<int>& pick) {
  QuantPlan plan;
  plan.origin = "quant-plan";
  plan.model = q.model.name;
  plan.base = q.base.from_file && !q.model.stored_types.empty() ? "file" : q.base.name;
  for (size_t i = 0; i < units.size(); ++i) {
    const UnitChoice& c = units[i].choices[static_cast<size_t>(pick[i])];
    if (c.type == nullptr) {
      continue;
    }
    if (units[i].name.find_first_of("*?") != std::string::npos) {
      plan.rules.push_back({units[i].name, "", {}, "", c.type});
      continue;
    }
    for (const std::string& t : units[i].tensors) {
      plan.rules.push_back({t, "", {}, "", c.type});
    }
  }
  return plan;
}

QuantPlanResult PlanQuantization(const QuantPlanRequest& q) {
  if (q.scores.empty()) {
    throw InputError("quant-plan: no sensitivity scores were given");
  }
  QuantPlanResult r;
  const std::vector<WeightTensor> tensors = ListWeightTensors(q.model);
  const WeightSetting base = ResolveWeights(q.model, q.base);
  const TypeMap base_map = TypesByTensor(q.model, base);
  Built built = BuildUnits(q, tensors, base_map);
  r.units = std::move(built.units);
  r.unplaced = std::move(built.unplaced);

  // Each choice's bytes and TPOT change come from an analysis with that unit alone changed, so
  // that what the runtime adds per tensor (a tied table's second copy) is counted; a plan's
  // totals are the base's plus its units' changes (docs/quant-plan.md, checked per outcome).
  const Probe base_probe = DecodeProbe(q, base);
  r.base_bytes = base_probe.weight_bytes;
  r.base_tpot_s = base_probe.time_s;
  r.fixed_bytes = r.base_bytes;
  for (const PlanUnit& u : r.units) {
    r.fixed_bytes -= u.choices[0].bytes;
  }
  const bool tpot_frontier = !q.max_bytes && q.max_tpot_s;
  for (PlanUnit& u : r.units) {
    for (size_t c = 1; c < u.choices.size(); ++c) {
      TypeMap map = base_map;
      for (const std::string& t : u.tensors) {
        map[t] = u.choices[c].type;
      }
      const WeightSetting w = PerTensor(map, "probe");
      if (const auto pair = CollapsedTensors(q.model, w)) {
        throw InputError(fmt::format("quant-plan: unit {} at {} gives {} another type than {}, which "
                                     "slmroof costs as one tensor kind; score them as one unit",
                                     Excerpt(u.name, 80), u.choices[c].type->name, pair->second,
                                     pair->first));
      }
      const Probe p = DecodeProbe(q, w);
      u.choices[c].tpot_delta_s = p.time_s - r.base_tpot_s;
      u.choices[c].bytes = u.choices[0].bytes + (p.weight_bytes - r.base_bytes);
    }
  }
  r.lightest_bytes = r.fixed_bytes;
  r.fastest_tpot_s = r.base_tpot_s;
  double heaviest = r.fixed_bytes;
  for (const PlanUnit& u : r.units) {
    double lo = u.choices[0].bytes, hi = lo, fast = 0;
    for (const UnitChoice& c : u.choices) {
      lo = std::min(lo, c.bytes);
      hi = std::max(hi, c.bytes);
      fast = std::min(fast, c.tpot_delta_s);
    }
    r.lightest_bytes += lo;
    r.fastest_tpot_s += fast;
    heaviest += hi;
  }

  const std::vector<KnapsackClass> classes = Classes(r.units);
  const Resources cap{q.max_bytes ? *q.max_bytes - r.fixed_bytes : kUnbounded,
                      q.max_tpot_s ? *q.max_tpot_s - r.base_tpot_s : kUnbounded};
  const KnapsackSolution best = SolveKnapsack(classes, cap, q.node_limit);
  r.feasible = best.feasible;
  r.proven = best.proven;
  r.lower_bound = best.lower_bound;
  r.nodes = best.nodes;
  if (best.feasible) {
    r.optimal = Outcome(q, r.units, best.pick, r.fixed_bytes, r.base_tpot_s);
  }

  // The KL paper's greedy (algorithm.py, quantize_mixed.py): every (unit, type) sorted by score,
  // least first, applied in that order with later entries overriding; its plan is the shortest
  // prefix of that list that meets the budget.
  struct Entry {
    size_t unit;
    int choice;
    double score;
  };
  std::vector<Entry> entries;
  for (size_t i = 0; i < r.units.size(); ++i) {
    for (size_t c = 1; c < r.units[i].choices.size(); ++c) {
      entries.push_back({i, static_cast<int>(c), r.units[i].choices[c].score});
    }
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.score < b.score; });
  std::vector<int> pick(r.units.size(), 0);
  for (size_t cut = 0; cut <= entries.size(); ++cut) {
    if (cut > 0) {
      pick[entries[cut - 1].unit] = entries[cut - 1].choice;
    }
    const KnapsackSolution e = Evaluate(classes, cap, pick);
    r.greedy_curve.push_back({static_cast<double>(cut), e.feasible, false, e.cost,
                              r.fixed_bytes + e.used[0], r.base_tpot_s + e.used[1]});
    if (e.feasible && !r.greedy_found) {
      r.greedy_found = true;
      r.greedy_cut = cut;
      r.greedy = Outcome(q, r.units, pick, r.fixed_bytes, r.base_tpot_s);
    }
  }

  if (q.frontier_points > 0) {
    r.frontier_resource = tpot_frontier ? "tpot" : "bytes";
    double lo = r.lightest_bytes, hi = heaviest;
    if (tpot_frontier) {
      lo = hi = r.base_tpot_s;
      for (const PlanUnit& u : r.units) {
        double a = 0, b = 0;
        for (const UnitChoice& c : u.choices) {
          a = std::min(a, c.tpot_delta_s);
          b = std::max(b, c.tpot_delta_s);
        }
        lo += a;
        hi += b;
      }
    }
    const int k = q.frontier_points;
    for (int i = 0; i < k; ++i) {
      const double budget = k == 1 ? hi : lo + (hi - lo) * i / (k - 1);
      Resources c = cap;
      (tpot_frontier ? c[1] : c[0]) = budget - (tpot_frontier ? r.base_tpot_s : r.fixed_bytes);
      const KnapsackSolution f = SolveKnapsack(classes, c, q.node_limit);
      r.frontier.push_back({budget, f.feasible, f.proven, f.cost, r.fixed_bytes + f.used[0],
                            r.base_tpot_s + f.used[1]});
    }
  }
  return r;
}

}  // namespace slmroof
