#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <vector>

namespace slmroof {

/// A multiple-choice knapsack with up to two resources (docs/quant-plan.md): pick one item of
/// every class so that the picked weights stay within each capacity and the summed cost is least.
inline constexpr int kResources = 2;
using Resources = std::array<double, kResources>;

/// One class: its items' costs and weights (any sign; finite).
struct KnapsackClass {
  std::vector<double> cost;
  std::vector<Resources> weight;
};

/// The answer of a solver.
struct KnapsackSolution {
  bool feasible = false;   ///< some choice meets every capacity
  std::vector<int> pick;   ///< per class, the item chosen (empty when infeasible)
  double cost = 0;
  Resources used{};
  bool proven = false;     ///< the search finished: `cost` is the least cost (to 1e-12 relative)
  double lower_bound = 0;  ///< no choice meeting the capacities costs less
  int64_t nodes = 0;       ///< branch-and-bound nodes visited
};

/// No limit on a resource.
inline constexpr double kUnbounded = std::numeric_limits<double>::infinity();

/// Exact branch and bound: depth-first over the classes, items cheapest first, each node bounded
/// by the linear-programming relaxation of the remaining classes under each capacity alone (for a
/// multiple-choice knapsack that relaxation is solved greedily on each class's lower convex hull,
/// and equals the Lagrangian dual bound). Stops after `node_limit` nodes with `proven` false and
/// the root bound as `lower_bound`.
KnapsackSolution SolveKnapsack(const std::vector<KnapsackClass>& classes, const Resources& capacity,
                               int64_t node_limit = 20'000'000);

/// Every combination (for tests on small instances): the exact optimum by enumeration.
KnapsackSolution EnumerateKnapsack(const std::vector<KnapsackClass>& classes,
                                   const Resources& capacity);

/// The cost, weights and feasibility of a given pick.
KnapsackSolution Evaluate(const std::vector<KnapsackClass>& classes, const Resources& capacity,
                          const std::vector<int>& pick);

}  // namespace slmroof
