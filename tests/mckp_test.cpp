// The multiple-choice knapsack behind quant-plan (src/mckp.cpp): branch and bound against
// enumeration on random small instances, and the bookkeeping of a search cut short.
#include <random>

#include <gtest/gtest.h>

#include "slmroof/mckp.hpp"

namespace slmroof {
namespace {

// Classes of 1-4 items with costs in [0, 1) and weights in [-1, 3) (a TPOT delta may be
// negative); capacities drawn between the lightest and the heaviest sums, or unbounded.
struct Instance {
  std::vector<KnapsackClass> classes;
  Resources capacity{kUnbounded, kUnbounded};
};

Instance RandomInstance(std::mt19937_64& rng, bool two_resources) {
  std::uniform_int_distribution<int> n_classes(1, 7), n_items(1, 4);
  std::uniform_real_distribution<double> cost(0, 1), weight(-1, 3), frac(0, 1);
  Instance in;
  in.classes.resize(static_cast<size_t>(n_classes(rng)));
  Resources lo{0, 0}, hi{0, 0};
  for (KnapsackClass& k : in.classes) {
    const int m = n_items(rng);
    Resources kl{1e9, 1e9}, kh{-1e9, -1e9};
    for (int j = 0; j < m; ++j) {
      k.cost.push_back(cost(rng));
      k.weight.push_back({weight(rng), weight(rng)});
      for (int r = 0; r < kResources; ++r) {
        kl[r] = std::min(kl[r], k.weight.back()[r]);
        kh[r] = std::max(kh[r], k.weight.back()[r]);
      }
    }
    for (int r = 0; r < kResources; ++r) {
      lo[r] += kl[r];
      hi[r] += kh[r];
    }
  }
  // Now and then below the lightest sum: infeasible.
  in.capacity[0] = lo[0] + (frac(rng) * 1.1 - 0.05) * (hi[0] - lo[0]);
  if (two_resources) {
    in.capacity[1] = lo[1] + (frac(rng) * 1.1 - 0.05) * (hi[1] - lo[1]);
  }
  return in;
}

TEST(Knapsack, EqualsEnumerationOn100RandomInstances) {
  std::mt19937_64 rng(20261202);
  int feasible = 0;
  for (int t = 0; t < 100; ++t) {
    const Instance in = RandomInstance(rng, t % 2 == 1);
    const KnapsackSolution bb = SolveKnapsack(in.classes, in.capacity);
    const KnapsackSolution all = EnumerateKnapsack(in.classes, in.capacity);
    ASSERT_TRUE(bb.proven) << t;
    ASSERT_EQ(bb.feasible, all.feasible) << t;
    if (!all.feasible) {
      continue;
    }
    ++feasible;
    EXPECT_NEAR(bb.cost, all.cost, 1e-12) << t;
    EXPECT_DOUBLE_EQ(bb.lower_bound, bb.cost) << t;
    const KnapsackSolution check = Evaluate(in.classes, in.capacity, bb.pick);
    EXPECT_TRUE(check.feasible) << t;
    EXPECT_DOUBLE_EQ(check.cost, bb.cost) << t;
  }
  // The draw must exercise both outcomes.
  EXPECT_GT(feasible, 60);
  EXPECT_LT(feasible, 100);
}

// Larger instances: 12 classes of 3 items (531,441 combinations), both resources.
TEST(Knapsack, EqualsEnumerationOnTwelveClasses) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  for (int t = 0; t < 5; ++t) {
    std::vector<KnapsackClass> classes(12);
    for (KnapsackClass& k : classes) {
      for (int j = 0; j < 3; ++j) {
        k.cost.push_back(u(rng));
        k.weight.push_back({u(rng), u(rng)});
      }
    }
    const Resources cap{4.0 + u(rng), 4.5 + u(rng)};
    const KnapsackSolution bb = SolveKnapsack(classes, cap);
    const KnapsackSolution all = EnumerateKnapsack(classes, cap);
    ASSERT_EQ(bb.feasible, all.feasible);
    ASSERT_TRUE(bb.proven);
    if (all.feasible) {
      EXPECT_NEAR(bb.cost, all.cost, 1e-12) << t;
    }
  }
}

// Hand-made: keep (0 cost, weight 4), 8-bit (cost 1, weight 2), 4-bit (cost 3, weight 1) for
// two layers under a capacity of 4: 8-bit both (cost 2, weight 4) beats keep + 4-bit (cost 3,
// weight 5: over) and 4-bit + 8-bit (cost 4).
TEST(Knapsack, SmallCaseByHand) {
  const KnapsackClass layer{{0, 1, 3}, {{4, 0}, {2, 0}, {1, 0}}};
  const KnapsackSolution s = SolveKnapsack({layer, layer}, {4, kUnbounded});
  ASSERT_TRUE(s.feasible);
  EXPECT_EQ(s.pick, (std::vector<int>{1, 1}));
  EXPECT_DOUBLE_EQ(s.cost, 2);
  EXPECT_DOUBLE_EQ(s.used[0], 4);
  EXPECT_FALSE(SolveKnapsack({layer, layer}, {1.5, kUnbounded}).feasible);
}

// Ties and capacities met exactly, where rounding and the feasibility tolerance decide: integer
// and 0.1-step weights of either sign, and weights a few 1e-10 past whole numbers (found by a
// review: the search once judged feasibility on shifted sums and Evaluate on the raw ones).
TEST(Knapsack, EqualsEnumerationAtTheEdgesOfTheTolerance) {
  std::mt19937_64 rng(1);
  const double near[] = {0, 1, 2, 3, 5e-10, 1 + 5e-10, 2 - 5e-10, 3e-10};
  for (int t = 0; t < 60000; ++t) {
    const int kind = t % 3;
    std::uniform_int_distribution<int> n_classes(1, 5), n_items(1, 4), w(-3, 9), c(0, 6), pick8(0, 7);
    std::vector<KnapsackClass> classes(static_cast<size_t>(n_classes(rng)));
    for (KnapsackClass& k : classes) {
      const int m = n_items(rng);
      for (int j = 0; j < m; ++j) {
        k.cost.push_back(kind == 1 ? c(rng) * 0.1 : c(rng));
        if (kind == 0) {
          k.weight.push_back({static_cast<double>(w(rng)), static_cast<double>(w(rng))});
        } else if (kind == 1) {
          k.weight.push_back({w(rng) * 0.1, w(rng) * 0.1});
        } else {
          k.weight.push_back({near[pick8(rng)], 0});
        }
      }
    }
    std::uniform_int_distribution<int> cap(-4, 12);
    const Resources capacity{kind == 1 ? cap(rng) * 0.1 : cap(rng),
                             kind == 2 || t % 2 ? kUnbounded : static_cast<double>(cap(rng))};
    const KnapsackSolution bb = SolveKnapsack(classes, capacity);
    const KnapsackSolution all = EnumerateKnapsack(classes, capacity);
    ASSERT_TRUE(bb.proven) << t;
    ASSERT_EQ(bb.feasible, all.feasible) << t;
    if (all.feasible) {
      ASSERT_NEAR(bb.cost, all.cost, 1e-12) << t;
      ASSERT_TRUE(Evaluate(classes, capacity, bb.pick).feasible) << t;
    }
  }
}

TEST(Knapsack, ToleranceOfTheRealCapacity) {
  // 1000.0000005 fits a capacity of 1000 (1e-9 of it is 1e-6): the cheaper item is taken.
  const KnapsackClass a{{1, 0}, {{999.5, 0}, {1000.0000005, 0}}};
  EXPECT_DOUBLE_EQ(SolveKnapsack({a}, {1000, kUnbounded}).cost, 0);
  // 5e-7 does not fit a capacity of 0 (tolerance 1e-9): the -1000 item is.
  const KnapsackClass b{{1, 0}, {{-1000, 0}, {5e-7, 0}}};
  const KnapsackSolution s = SolveKnapsack({b}, {0, kUnbounded});
  ASSERT_TRUE(s.feasible);
  EXPECT_DOUBLE_EQ(s.cost, 1);
  EXPECT_TRUE(Evaluate({b}, {0, kUnbounded}, s.pick).feasible);
}

TEST(Knapsack, ASearchCutShortSaysSo) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<KnapsackClass> classes(200);
  for (KnapsackClass& k : classes) {
    for (int j = 0; j < 3; ++j) {
      k.cost.push_back(u(rng));
      k.weight.push_back({u(rng), 0});
    }
  }
  const KnapsackSolution s = SolveKnapsack(classes, {60, kUnbounded}, 50);
  EXPECT_FALSE(s.proven);
  EXPECT_LE(s.nodes, 50);
  if (s.feasible) {
    EXPECT_LE(s.lower_bound, s.cost);
  }
  const KnapsackSolution full = SolveKnapsack(classes, {60, kUnbounded});
  EXPECT_TRUE(full.proven);
  EXPECT_LE(s.lower_bound, full.cost + 1e-12);
}

}  // namespace
}  // namespace slmroof
