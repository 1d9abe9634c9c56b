#pragma once
/// Whether quantities of certified devices meet a policy: a pure function of
/// the policy and the allocations, used by `quota check` on a plan, by
/// `quota plan` on the solver's answer, and by the tests' exhaustive search.
///
/// Unit shares are exact: a category with c of t units meets a minimum of p
/// basis points when c x 10000 >= p x t, computed in 128-bit integers (40 %
/// of 50,000 is exactly 20,000). Capacity shares, budget and power are sums
/// of measured or priced doubles; they are compared with a relative
/// tolerance of 1e-9 so that a plan exactly on the bound is not failed by
/// rounding.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "chipcert/quota/policy.hpp"

namespace chipcert::quota {

/// Relative tolerance of every comparison of doubles (capacity, money, power).
inline constexpr double kRelTol = 1e-9;

/// Units of one certified device model in a plan.
struct Allocation {
  std::size_t category = 0;  ///< index into Policy::categories
  int64_t quantity = 0;
  double capacity_per_unit = 0;  ///< the policy's capacity figure from the certificate
  double unit_price = 0;
  double unit_power_w = 0;
};

struct CategoryTotals {
  std::string id;
  int64_t units = 0;
  double capacity = 0;
};

struct Totals {
  int64_t units = 0;
  double capacity = 0;
  double cost = 0;
  double power_w = 0;
  std::vector<CategoryTotals> categories;  ///< in policy order
};

/// One constraint of the policy evaluated on a plan.
struct RuleResult {
  std::string id;    ///< share rule id, or "total-units", "max-budget", "max-power"
  std::string kind;  ///< "share", "total-units", "budget", "power"
  bool passed = false;
  bool binding = false;  ///< holds with no slack (on a bound)
  std::string figure;    ///< what the plan has: "domestic 18000 of 50000 units = 36 %"
  std::string bound;     ///< what the policy asks: ">= 40 %"
  std::string detail;    ///< by how much it fails: "short by 2000 units (needs 20000)"
};

struct Compliance {
  Totals totals;
  std::vector<RuleResult> rules;  ///< total, budget, power (when set), then share rules in order
  bool compliant() const;         ///< every rule passed
};

Totals totals(const Policy& policy, std::span<const Allocation> allocations);

/// Evaluate every constraint of `policy` on `allocations`.
Compliance evaluate(const Policy& policy, std::span<const Allocation> allocations);

/// Formatting shared by the renderers: "18000", "1.234e+06" -> "1234000",
/// at most 6 significant digits for doubles.
std::string format_number(double v);

}  // namespace chipcert::quota
