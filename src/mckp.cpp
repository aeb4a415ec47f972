// The multiple-choice knapsack behind `quant-plan` (docs/quant-plan.md "The solver"): exact
// branch and bound with linear-programming bounds, and enumeration for tests.
#include "slmroof/mckp.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace slmroof {

namespace {

// A sum of weights meets a capacity up to rounding: 1e-9 of the capacity (a byte in a GB). The
// solver and Evaluate apply the same test to the same sums (taken in class order).
double Tolerance(double capacity) { return 1e-9 * std::max(1.0, std::fabs(capacity)); }
bool Fits(double used, double capacity) { return used <= capacity + Tolerance(capacity); }

// The sum of the picked items' weights in resource r, in class order (as Evaluate takes it).
double SumOf(const std::vector<KnapsackClass>& classes, const std::vector<int>& pick, int r) {
  double sum = 0;
  for (size_t i = 0; i < classes.size(); ++i) {
    sum += classes[i].weight.at(static_cast<size_t>(pick.at(i)))[r];
  }
  return sum;
}

// Two costs within 1e-12 of each other (relative) count as equal: the search proves the optimum
// to that precision.
double Slack(double best) { return 1e-12 * std::max(1.0, std::fabs(best)); }

// A step along one class's lower convex hull in one resource: dw more of it for dc (< 0) cost.
struct Segment {
  double slope;
  double dw;
  double dc;
  int cls;
  int seq;
};

class Solver {
 public:
  Solver(const std::vector<KnapsackClass>& classes, const Resources& capacity, int64_t limit)
      : classes_(classes), n_(static_cast<int>(classes.size())), limit_(limit) {
    // Weights stay as given (a TPOT change may be negative): what the classes still to be fixed
    // need at least is the sum of their lightest items, and a plan's feasibility is decided on
    // the very sums Evaluate takes.
    for (int r = 0; r < kResources; ++r) {
      cap_[r] = capacity[r];
    }
    c_.resize(n_);
    w_.resize(n_);
    lightest_.assign(n_, Resources{0, 0});
    Resources magnitude{0, 0};
    for (int i = 0; i < n_; ++i) {
      const KnapsackClass& k = classes[i];
      if (k.cost.empty() || k.cost.size() != k.weight.size()) {
        throw std::invalid_argument("knapsack class without items or with mismatched weights");
      }
      c_[i] = k.cost;
      w_[i] = k.weight;
      for (int r = 0; r < kResources; ++r) {
        double lightest = k.weight[0][r], largest = 0;
        for (const Resources& w : k.weight) {
          lightest = std::min(lightest, w[r]);
          largest = std::max(largest, std::fabs(w[r]));
        }
        lightest_[i][r] = lightest;
        magnitude[r] += largest;
      }
    }
    // Partial sums in another order than Evaluate's may differ from its by rounding: the cuts
    // during the search allow that much more (a looser cut is still sound), and the leaves are
    // decided by Evaluate's test.
    for (int r = 0; r < kResources; ++r) {
      limit_room_[r] = cap_[r] + Tolerance(cap_[r]) + 1e-12 * (magnitude[r] + std::fabs(cap_[r]));
    }
    items_.resize(n_);
    for (int i = 0; i < n_; ++i) {
      items_[i] = Undominated(i);
    }
    // Classes whose choice matters most first: the widest spread of cost.
    order_.resize(n_);
    std::iota(order_.begin(), order_.end(), 0);
    std::vector<double> spread(n_);
    for (int i = 0; i < n_; ++i) {
      double lo = c_[i][items_[i].front()], hi = lo;
      for (int j : items_[i]) {
        lo = std::min(lo, c_[i][j]);
        hi = std::max(hi, c_[i][j]);
      }
      spread[i] = hi - lo;
    }
    std::stable_sort(order_.begin(), order_.end(),
                     [&](int a, int b) { return spread[a] > spread[b]; });
    depth_of_.resize(n_);
    for (int d = 0; d < n_; ++d) {
      depth_of_[order_[d]] = d;
    }
    min_cost_rest_.assign(n_ + 1, 0.0);
    for (int d = n_ - 1; d >= 0; --d) {
      double m = c_[order_[d]][items_[order_[d]].front()];
      for (int j : items_[order_[d]]) {
        m = std::min(m, c_[order_[d]][j]);
      }
      min_cost_rest_[d] = min_cost_rest_[d + 1] + m;
    }
    for (int r = 0; r < kResources; ++r) {
      lightest_rest_[r].assign(n_ + 1, 0.0);
      for (int d = n_ - 1; d >= 0; --d) {
        lightest_rest_[r][d] = lightest_rest_[r][d + 1] + lightest_[order_[d]][r];
      }
      BuildHulls(r);
    }
  }

  KnapsackSolution Run() {
    KnapsackSolution s;
    const double root = Bound(0, Resources{0, 0});
    pick_.assign(n_, -1);
    best_ = std::numeric_limits<double>::infinity();
    Search(0, 0.0, Resources{0, 0});
    s.nodes = nodes_;
    s.proven = nodes_ < limit_;
    s.feasible = !best_pick_.empty();
    if (s.feasible) {
      s.pick = best_pick_;
      s.cost = best_;
    }
    s.lower_bound = s.proven ? (s.feasible ? best_ : std::numeric_limits<double>::infinity()) : root;
    return s;
  }

 private:
  // Items of class i no other item beats in cost and every resource, cheapest first.
  std::vector<int> Undominated(int i) const {
    const int m = static_cast<int>(c_[i].size());
    std::vector<int> keep;
    for (int j = 0; j < m; ++j) {
      bool dominated = false;
      for (int k = 0; k < m && !dominated; ++k) {
        if (k == j) {
          continue;
        }
        bool no_worse = c_[i][k] <= c_[i][j];
        bool better = c_[i][k] < c_[i][j];
        for (int r = 0; r < kResources; ++r) {
          no_worse = no_worse && w_[i][k][r] <= w_[i][j][r];
          better = better || w_[i][k][r] < w_[i][j][r];
        }
        // Identical items: the first one stays.
        dominated = no_worse && (better || k < j);
      }
      if (!dominated) {
        keep.push_back(j);
      }
    }
    std::stable_sort(keep.begin(), keep.end(), [&](int a, int b) { return c_[i][a] < c_[i][b]; });
    return keep;
  }

  // The lower convex hull of each class in (weight r, cost), from its lightest item towards its
  // cheapest; the steps of all classes sorted by cost saved per unit of weight.
  void BuildHulls(int r) {
    start_cost_[r].assign(n_, 0.0);
    segments_[r].clear();
    for (int i = 0; i < n_; ++i) {
      std::vector<int> pts = items_[i];
      std::sort(pts.begin(), pts.end(), [&](int a, int b) {
        return w_[i][a][r] != w_[i][b][r] ? w_[i][a][r] < w_[i][b][r] : c_[i][a] < c_[i][b];
      });
      // Pareto in (w, c): each next point strictly cheaper.
      std::vector<int> pareto;
      for (int j : pts) {
        if (pareto.empty() || c_[i][j] < c_[i][pareto.back()]) {
          pareto.push_back(j);
        }
      }
      std::vector<int> hull;
      for (int j : pareto) {
        while (hull.size() >= 2) {
          const int a = hull[hull.size() - 2], b = hull.back();
          // b lies on or above the chord a -> j: not on the lower hull.
          const double cross = (w_[i][b][r] - w_[i][a][r]) * (c_[i][j] - c_[i][a]) -
                               (c_[i][b] - c_[i][a]) * (w_[i][j][r] - w_[i][a][r]);
          if (cross <= 0) {
            hull.pop_back();
          } else {
            break;
          }
        }
        hull.push_back(j);
      }
      start_cost_[r][i] = c_[i][hull.front()];
      for (size_t k = 1; k < hull.size(); ++k) {
        const double dw = w_[i][hull[k]][r] - w_[i][hull[k - 1]][r];
        const double dc = c_[i][hull[k]] - c_[i][hull[k - 1]];
        segments_[r].push_back({dc / dw, dw, dc, i, static_cast<int>(k)});
      }
    }
    std::stable_sort(segments_[r].begin(), segments_[r].end(), [](const Segment& a, const Segment& b) {
      return a.slope != b.slope ? a.slope < b.slope : (a.cls != b.cls ? a.cls < b.cls : a.seq < b.seq);
    });
    start_rest_[r].assign(n_ + 1, 0.0);
    for (int d = n_ - 1; d >= 0; --d) {
      start_rest_[r][d] = start_rest_[r][d + 1] + start_cost_[r][order_[d]];
    }
  }

  // A lower bound on the cost of the classes from depth d on, after `used` of each resource:
  // the best of the LP relaxations under each capacity alone; infinite when even their lightest
  // items do not fit.
  double Bound(int d, const Resources& used) const {
    double bound = min_cost_rest_[d];
    for (int r = 0; r < kResources; ++r) {
      if (std::isinf(cap_[r])) {
        continue;
      }
      double room = limit_room_[r] - used[r] - lightest_rest_[r][d];
      if (room < 0) {
        return std::numeric_limits<double>::infinity();
      }
      double b = start_rest_[r][d];
      for (const Segment& s : segments_[r]) {
        if (depth_of_[s.cls] < d) {
          continue;
        }
        if (s.dw <= room) {
          room -= s.dw;
          b += s.dc;
        } else {
          b += s.dc * room / s.dw;
          break;
        }
      }
      bound = std::max(bound, b);
    }
    return bound;
  }

  void Search(int d, double cost, const Resources& used) {
    if (d == n_) {
      // Decided on Evaluate's own sums, so that a plan the search keeps is one Evaluate accepts.
      for (int r = 0; r < kResources; ++r) {
        if (!Fits(SumOf(classes_, pick_, r), cap_[r])) {
          return;
        }
      }
      if (cost < best_) {
        best_ = cost;
        best_pick_ = pick_;
      }
      return;
    }
    const int i = order_[d];
    for (int j : items_[i]) {
      if (nodes_ >= limit_) {
        return;
      }
      ++nodes_;
      Resources u = used;
      for (int r = 0; r < kResources; ++r) {
        u[r] += w_[i][j][r];
      }
      const double c = cost + c_[i][j];
      // Cut when the rest cannot fit (Bound is then infinite) or cannot beat the best plan by
      // more than the slack.
      const double bound = Bound(d + 1, u);
      if (std::isinf(bound) || (std::isfinite(best_) && c + bound >= best_ - Slack(best_))) {
        continue;
      }
      pick_[i] = j;
      Search(d + 1, c, u);
    }
  }

  const std::vector<KnapsackClass>& classes_;
  int n_;
  int64_t limit_;
  Resources cap_{};
  Resources limit_room_{};                 ///< capacity plus tolerance plus rounding slop
  std::vector<Resources> lightest_;        ///< per class, its lightest weight per resource
  std::array<std::vector<double>, kResources> lightest_rest_;  ///< by depth, summed to the end
  std::vector<std::vector<double>> c_;
  std::vector<std::vector<Resources>> w_;
  std::vector<std::vector<int>> items_;
  std::vector<int> order_;
  std::vector<int> depth_of_;
  std::vector<double> min_cost_rest_;
  std::array<std::vector<double>, kResources> start_cost_;
  std::array<std::vector<double>, kResources> start_rest_;
  std::array<std::vector<Segment>, kResources> segments_;
  std::vector<int> pick_;
  std::vector<int> best_pick_;
  double best_ = 0;
  int64_t nodes_ = 0;
};

}  // namespace

KnapsackSolution Evaluate(const std::vector<KnapsackClass>& classes, const Resources& capacity,
                          const std::vector<int>& pick) {
  KnapsackSolution s;
  s.pick = pick;
  for (size_t i = 0; i < classes.size(); ++i) {
    const size_t j = static_cast<size_t>(pick.at(i));
    s.cost += classes[i].cost.at(j);
  }
  for (int r = 0; r < kResources; ++r) {
    s.used[r] = SumOf(classes, pick, r);
  }
  s.feasible = Fits(s.used[0], capacity[0]) && Fits(s.used[1], capacity[1]);
  return s;
}

KnapsackSolution SolveKnapsack(const std::vector<KnapsackClass>& classes, const Resources& capacity,
                               int64_t node_limit) {
  Solver solver(classes, capacity, node_limit);
  KnapsackSolution s = solver.Run();
  if (s.feasible) {
    const KnapsackSolution e = Evaluate(classes, capacity, s.pick);
    if (!e.feasible) {
      throw std::logic_error("knapsack: the search kept a plan Evaluate refuses");
    }
    s.cost = e.cost;
    s.used = e.used;
  }
  return s;
}

KnapsackSolution EnumerateKnapsack(const std::vector<KnapsackClass>& classes,
                                   const Resources& capacity) {
  KnapsackSolution best;
  std::vector<int> pick(classes.size(), 0);
  while (true) {
    const KnapsackSolution s = Evaluate(classes, capacity, pick);
    if (s.feasible && (!best.feasible || s.cost < best.cost)) {
      best = s;
    }
    size_t i = 0;
    while (i < classes.size() && ++pick[i] == static_cast<int>(classes[i].cost.size())) {
      pick[i++] = 0;
    }
    if (i == classes.size()) {
      break;
    }
  }
  best.proven = true;
  best.lower_bound = best.feasible ? best.cost : std::numeric_limits<double>::infinity();
  return best;
}

}  // namespace slmroof
