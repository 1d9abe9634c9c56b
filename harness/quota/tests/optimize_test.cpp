// Exact share arithmetic, and the GLPK optimum against exhaustive search.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "chipcert/quota/compliance.hpp"
#include "chipcert/quota/optimize.hpp"
#include "chipcert/quota/policy.hpp"

namespace q = chipcert::quota;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

namespace {

/// The shipped national-datacenter shares: NVIDIA exactly 50 %, domestic
/// >= 40 %, others <= 10 %, in units.
q::Policy national(int64_t total) {
  q::Policy p;
  p.name = "national";
  p.version = "1";
  p.capacity_figure = "tflops";
  p.total_units = total;
  p.categories = {{"nvidia", "", {"NVIDIA"}, false},
                  {"domestic", "", {"Rebellions", "FuriosaAI"}, false},
                  {"other", "", {}, true}};
  p.rules = {{"nvidia-half", "", "nvidia", q::Basis::Units, 5000, 5000},
             {"domestic-at-least-40", "", "domestic", q::Basis::Units, 4000, std::nullopt},
             {"others-at-most-10", "", "other", q::Basis::Units, std::nullopt, 1000}};
  return p;
}

q::Allocation units(std::size_t cat, int64_t n, double cap = 1) {
  return {cat, n, cap, 1, 1};
}

const q::RuleResult& rule(const q::Compliance& c, const std::string& id) {
  for (const auto& r : c.rules)
    if (r.id == id) return r;
  throw std::out_of_range(id);
}

}  // namespace

TEST(QuotaCompliance, FortyPercentOfFiftyThousandIsExactlyTwentyThousand) {
  const q::Policy p = national(50000);
  std::vector<q::Allocation> a = {units(0, 25000), units(1, 20000), units(2, 5000)};
  auto c = q::evaluate(p, a);
  EXPECT_TRUE(c.compliant());
  EXPECT_TRUE(rule(c, "domestic-at-least-40").binding);
  EXPECT_TRUE(rule(c, "others-at-most-10").binding);
  EXPECT_EQ(rule(c, "domestic-at-least-40").figure, "domestic 20000 of 50000 units = 40 %");

  a = {units(0, 25000), units(1, 19999), units(2, 5001)};
  c = q::evaluate(p, a);
  EXPECT_FALSE(c.compliant());
  EXPECT_EQ(rule(c, "domestic-at-least-40").detail,
            "short by 1 unit (needs at least 20000 of 50000)");
  EXPECT_EQ(rule(c, "others-at-most-10").detail, "over by 1 unit (allows at most 5000 of 50000)");
  EXPECT_TRUE(rule(c, "nvidia-half").passed);

  // One unit short of the total: every share is still exact.
  a = {units(0, 25000), units(1, 19999), units(2, 5000)};
  c = q::evaluate(p, a);
  EXPECT_FALSE(rule(c, "total-units").passed);
  EXPECT_EQ(rule(c, "total-units").detail, "short by 1 unit");
  EXPECT_FALSE(rule(c, "nvidia-half").passed);  // 25000 of 49999 > 50 %
  EXPECT_THAT(rule(c, "nvidia-half").detail, HasSubstr("over by 1 unit"));
  EXPECT_FALSE(rule(c, "domestic-at-least-40").passed);  // needs ceil(0.4 x 49999) = 20000
}

TEST(QuotaCompliance, LargeTotalsDoNotOverflow) {
  q::Policy p = national(q::kMaxUnits);
  std::vector<q::Allocation> a = {units(0, 500'000'000), units(1, 400'000'000),
                                  units(2, 100'000'000)};
  EXPECT_TRUE(q::evaluate(p, a).compliant());
  a[1].quantity -= 1;
  a[2].quantity += 1;
  EXPECT_FALSE(q::evaluate(p, a).compliant());
}

TEST(QuotaCompliance, CapacityBasisBudgetAndPower) {
  q::Policy p = national(10);
  p.rules = {{"dom-cap", "", "domestic", q::Basis::Capacity, 4000, std::nullopt}};
  p.max_budget = 100;
  p.max_power_w = 50;
  // capacity: nvidia 6 x 10 = 60, domestic 4 x 10 = 40 -> exactly 40 %.
  std::vector<q::Allocation> a = {{0, 6, 10, 10, 5}, {1, 4, 10, 10, 5}};
  auto c = q::evaluate(p, a);
  EXPECT_TRUE(c.compliant()) << rule(c, "dom-cap").figure;
  EXPECT_TRUE(rule(c, "dom-cap").binding);
  EXPECT_TRUE(rule(c, "max-budget").binding);
  EXPECT_DOUBLE_EQ(c.totals.capacity, 100);
  a[1].capacity_per_unit = 9;  // 36 of 96 = 37.5 %
  c = q::evaluate(p, a);
  EXPECT_FALSE(rule(c, "dom-cap").passed);
  EXPECT_EQ(rule(c, "dom-cap").detail, "short by 2.4 tflops (needs at least 38.4)");
  a[1].unit_price = 11;
  a[1].unit_power_w = 6;
  c = q::evaluate(p, a);
  EXPECT_EQ(rule(c, "max-budget").detail, "over by 4");
  EXPECT_EQ(rule(c, "max-power").detail, "over by 4 W");
}

namespace {

/// Exhaustive search over every quantity vector: the best capacity of a
/// compliant plan, or -1 when none is.
double brute_force(const q::Policy& p, const std::vector<q::Offer>& offers) {
  double best = -1;
  std::vector<int64_t> x(offers.size(), 0);
  std::function<void(std::size_t)> rec = [&](std::size_t i) {
    if (i == offers.size()) {
      std::vector<q::Allocation> a;
      for (std::size_t k = 0; k < offers.size(); ++k)
        a.push_back({offers[k].category, x[k], offers[k].capacity_per_unit, offers[k].unit_price,
                     offers[k].unit_power_w});
      const auto c = q::evaluate(p, a);
      if (c.compliant()) best = std::max(best, c.totals.capacity);
      return;
    }
    for (x[i] = 0; x[i] <= offers[i].available; ++x[i]) rec(i + 1);
  };
  rec(0);
  return best;
}

}  // namespace

TEST(QuotaOptimize, ProvenOptimumEqualsExhaustiveSearch) {
  std::mt19937 rng(20260301);  // fixed: the same instances every run
  int feasible = 0, infeasible = 0;
  for (int inst = 0; inst < 60; ++inst) {
    q::Policy p = national(std::uniform_int_distribution<int>(4, 12)(rng));
    if (inst % 3 == 1) p.rules[1].basis = q::Basis::Capacity;
    if (inst % 4 == 2) p.max_budget = std::uniform_int_distribution<int>(20, 80)(rng);
    if (inst % 5 == 3) p.max_power_w = std::uniform_int_distribution<int>(10, 40)(rng);
    if (inst % 6 == 5) p.total_units.reset();
    std::vector<q::Offer> offers;
    const std::vector<std::size_t> cats = {0, 0, 1, 1, 2};
    for (std::size_t k = 0; k < cats.size(); ++k)
      offers.push_back({"o" + std::to_string(k), cats[k],
                        std::uniform_int_distribution<int64_t>(0, 6)(rng),
                        std::uniform_int_distribution<int>(1, 1000)(rng) / 10.0,
                        static_cast<double>(std::uniform_int_distribution<int>(1, 9)(rng)),
                        static_cast<double>(std::uniform_int_distribution<int>(1, 5)(rng))});
    const double expect = brute_force(p, offers);
    const q::Optimum got = q::optimize(p, offers);
    if (expect < 0) {
      ++infeasible;
      EXPECT_FALSE(got.feasible) << "instance " << inst;
      EXPECT_FALSE(got.conflict.empty()) << "instance " << inst;
      // The conflict is irreducible: dropping any one member makes it feasible.
      std::vector<std::string> all = got.conflict;
      for (const auto& id : got.conflict) {
        q::Relaxation r;
        // Drop everything outside the conflict, and `id`.
        for (const auto& o : offers)
          if (std::find(all.begin(), all.end(), "available:" + o.id) == all.end())
            r.dropped.push_back("available:" + o.id);
        for (const char* c : {"total-units", "max-budget", "max-power"})
          if (std::find(all.begin(), all.end(), c) == all.end()) r.dropped.push_back(c);
        for (const auto& ru : p.rules)
          if (std::find(all.begin(), all.end(), ru.id) == all.end()) r.dropped.push_back(ru.id);
        EXPECT_FALSE(q::feasible(p, offers, r)) << "instance " << inst << ": conflict alone";
        r.dropped.push_back(id);
        EXPECT_TRUE(q::feasible(p, offers, r)) << "instance " << inst << ": without " << id;
      }
    } else {
      ++feasible;
      ASSERT_TRUE(got.feasible) << "instance " << inst;
      EXPECT_NEAR(got.objective, expect, 1e-7 * std::max(1.0, expect)) << "instance " << inst;
      EXPECT_TRUE(got.compliance.compliant());
      for (const auto& c : got.rule_costs) EXPECT_GE(c.capacity_cost, 0);
    }
  }
  // The instances exercise both outcomes.
  EXPECT_GE(feasible, 10);
  EXPECT_GE(infeasible, 5);
}

TEST(QuotaOptimize, NamesTheConflictingConstraints) {
  // 50,000 units, but only 15,000 domestic units on offer: the 40 % rule,
  // the total and the two domestic offers' availability conflict.
  const q::Policy p = national(50000);
  const std::vector<q::Offer> offers = {{"nv", 0, 40000, 900, 30000, 700},
                                        {"reb", 1, 9000, 400, 10000, 350},
                                        {"fur", 1, 6000, 500, 12000, 400},
                                        {"acme", 2, 30000, 300, 8000, 300}};
  const auto got = q::optimize(p, offers);
  ASSERT_FALSE(got.feasible);
  EXPECT_THAT(got.conflict, UnorderedElementsAre("available:reb", "available:fur", "total-units",
                                                 "domestic-at-least-40"));
}

TEST(QuotaOptimize, NationalDatacenterOptimumAndWhatEachRuleCosts) {
  const q::Policy p = national(50000);
  const std::vector<q::Offer> offers = {{"nv", 0, 40000, 900, 30000, 700},
                                        {"reb", 1, 15000, 400, 10000, 350},
                                        {"fur", 1, 15000, 500, 12000, 400},
                                        {"acme", 2, 30000, 300, 8000, 300}};
  const auto got = q::optimize(p, offers);
  ASSERT_TRUE(got.feasible);
  // NVIDIA fixed at 25,000; the other 25,000 domestic, best first (fur 500, reb 400).
  EXPECT_THAT(got.quantities, ElementsAre(25000, 10000, 15000, 0));
  EXPECT_DOUBLE_EQ(got.objective, 25000 * 900.0 + 10000 * 400.0 + 15000 * 500.0);
  EXPECT_THAT(got.binding,
              ::testing::IsSupersetOf({"available:fur", "total-units", "nvidia-half"}));
  ASSERT_EQ(got.rule_costs.size(), 3u);
  // Without the 50 % rule NVIDIA takes 30,000 (domestic keeps its 20,000).
  EXPECT_DOUBLE_EQ(got.rule_costs[0].capacity_cost,
                   30000 * 900.0 + 15000 * 500.0 + 5000 * 400.0 - got.objective);
  EXPECT_DOUBLE_EQ(got.rule_costs[1].capacity_cost, 0);  // domestic is the better choice anyway
  EXPECT_DOUBLE_EQ(got.rule_costs[2].capacity_cost, 0);
}
