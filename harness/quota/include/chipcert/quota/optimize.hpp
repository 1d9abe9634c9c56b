#pragma once
/// The optimal procurement plan: an integer program solved with GLPK's
/// branch-and-cut (glp_intopt, MIP gap 0), never a heuristic.
///
///   maximise   sum_o capacity_o x_o
///   subject to 0 <= x_o <= available_o, x_o integer           ("available:<offer>")
///              sum_o x_o = total_units                          ("total-units")
///              sum_o price_o x_o <= max_budget                  ("max-budget")
///              sum_o power_o x_o <= max_power_w                 ("max-power")
///              per share rule on category C with bound p (basis points), w_o = 1
///              (units) or capacity_o (capacity):
///                sum_{o in C} 10000 w_o x_o - p sum_o w_o x_o >= 0   (minimum)
///                sum_{o in C} 10000 w_o x_o - p sum_o w_o x_o <= 0   (maximum)
///
/// Unit-share rows have integer coefficients, so at integer x they are exact.
/// The answer is re-checked with compliance.hpp's exact evaluation.
///
/// When the program is infeasible, a deletion filter finds an irreducible
/// conflicting set of constraints: starting from all of them, drop each
/// constraint in turn and keep it dropped when the rest is still infeasible;
/// what remains is infeasible, and removing any one member makes it feasible.
/// Each test is a full integer feasibility solve.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "chipcert/quota/compliance.hpp"
#include "chipcert/quota/policy.hpp"

namespace chipcert::quota {

/// One certified offer, as the solver sees it.
struct Offer {
  std::string id;
  std::size_t category = 0;
  int64_t available = 0;
  double capacity_per_unit = 0;
  double unit_price = 0;
  double unit_power_w = 0;
};

/// What one share rule costs: the optimum without it minus the optimum with it.
struct RuleCost {
  std::string rule_id;
  double objective_without = 0;
  double capacity_cost = 0;  ///< >= 0: capacity given up to satisfy the rule
};

struct Optimum {
  bool feasible = false;
  std::vector<int64_t> quantities;    ///< per offer, when feasible
  double objective = 0;               ///< total certified capacity, when feasible
  Compliance compliance;              ///< exact evaluation of the answer, when feasible
  std::vector<std::string> binding;   ///< constraint ids on their bound, when feasible
  std::vector<RuleCost> rule_costs;   ///< per share rule, when feasible
  std::vector<std::string> conflict;  ///< an irreducible infeasible set, when infeasible
};

/// Solve the program above. Throws std::runtime_error when GLPK fails (not
/// for infeasibility) or its answer does not pass the exact re-check.
Optimum optimize(const Policy& policy, std::span<const Offer> offers);

/// Only the feasibility and optimum of the program with some constraints
/// switched off (ids as above); exposed for tests.
struct Relaxation {
  std::vector<std::string> dropped;
};
bool feasible(const Policy& policy, std::span<const Offer> offers, const Relaxation& relax);

}  // namespace chipcert::quota
