#include "chipcert/quota/optimize.hpp"

#include <glpk.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>

namespace chipcert::quota {

namespace {

struct ProbDeleter {
  void operator()(glp_prob* p) const { glp_delete_prob(p); }
};

/// One row of the program; a share rule with a minimum and a maximum gives two
/// rows with the same id (they are relaxed together).
struct Row {
  std::string id;
  int type = GLP_UP;  ///< GLP_FX, GLP_UP, GLP_LO
  double bound = 0;
  std::vector<double> coef;  ///< per offer
};

std::string available_id(const Offer& o) {
  return "available:" + o.id;
}

/// Capacity coefficients are divided by the largest capacity so that rows and
/// the objective stay near 1 whatever the figure's unit (GFLOP/s or FLOP/s).
double capacity_scale(std::span<const Offer> offers) {
  double m = 0;
  for (const auto& o : offers) m = std::max(m, o.capacity_per_unit);
  return m > 0 ? m : 1;
}

std::vector<Row> build_rows(const Policy& policy, std::span<const Offer> offers) {
  const std::size_t n = offers.size();
  const double scale = capacity_scale(offers);
  std::vector<Row> rows;
  if (policy.total_units)
    rows.push_back({"total-units", GLP_FX, static_cast<double>(*policy.total_units),
                    std::vector<double>(n, 1.0)});
  if (policy.max_budget) {
    Row r{"max-budget", GLP_UP, *policy.max_budget, {}};
    for (const auto& o : offers) r.coef.push_back(o.unit_price);
    rows.push_back(std::move(r));
  }
  if (policy.max_power_w) {
    Row r{"max-power", GLP_UP, *policy.max_power_w, {}};
    for (const auto& o : offers) r.coef.push_back(o.unit_power_w);
    rows.push_back(std::move(r));
  }
  for (const auto& rule : policy.rules) {
    const std::size_t cat = policy.category_index(rule.category);
    auto share_row = [&](int type, int64_t bp) {
      Row r{rule.id, type, 0, {}};
      for (const auto& o : offers) {
        const double w = rule.basis == Basis::Units ? 1.0 : o.capacity_per_unit / scale;
        // Integer coefficients for unit shares: exact at integer x.
        r.coef.push_back(w * static_cast<double>((o.category == cat ? kFullShare : 0) - bp));
      }
      rows.push_back(std::move(r));
    };
    if (rule.min_bp) share_row(GLP_LO, *rule.min_bp);
    if (rule.max_bp) share_row(GLP_UP, *rule.max_bp);
  }
  (void)n;
  return rows;
}

/// Solve with the constraints in `dropped` switched off. With `objective`
/// false only feasibility matters (zero objective: never unbounded).
/// Returns the quantities, or nullopt when infeasible.
std::optional<std::vector<int64_t>> solve_ip(const Policy& policy, std::span<const Offer> offers,
                                             const std::set<std::string>& dropped, bool objective) {
  std::vector<Row> rows;
  for (auto& r : build_rows(policy, offers))
    if (!dropped.contains(r.id)) rows.push_back(std::move(r));
  const int n = static_cast<int>(offers.size());
  if (n == 0) {
    // Nothing to buy: feasible exactly when the empty plan meets every row.
    for (const auto& r : rows)
      if ((r.type == GLP_FX && r.bound != 0) || (r.type == GLP_UP && r.bound < 0) ||
          (r.type == GLP_LO && r.bound > 0))
        return std::nullopt;
    return std::vector<int64_t>{};
  }

  std::unique_ptr<glp_prob, ProbDeleter> lp(glp_create_prob());
  glp_prob* p = lp.get();
  glp_set_obj_dir(p, GLP_MAX);
  glp_add_cols(p, n);
  const double scale = capacity_scale(offers);
  for (int j = 1; j <= n; ++j) {
    const Offer& o = offers[static_cast<std::size_t>(j - 1)];
    glp_set_col_kind(p, j, GLP_IV);
    if (dropped.contains(available_id(o)))
      glp_set_col_bnds(p, j, GLP_LO, 0, 0);
    else if (o.available == 0)
      glp_set_col_bnds(p, j, GLP_FX, 0, 0);
    else
      glp_set_col_bnds(p, j, GLP_DB, 0, static_cast<double>(o.available));
    glp_set_obj_coef(p, j, objective ? o.capacity_per_unit / scale : 0.0);
  }
  if (!rows.empty()) {
    glp_add_rows(p, static_cast<int>(rows.size()));
    std::vector<int> ind(static_cast<std::size_t>(n) + 1);
    std::vector<double> val(static_cast<std::size_t>(n) + 1);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      const int row = static_cast<int>(i) + 1;
      glp_set_row_bnds(p, row, r.type, r.bound, r.bound);
      int len = 0;
      for (int j = 1; j <= n; ++j) {
        const double c = r.coef[static_cast<std::size_t>(j - 1)];
        if (c != 0) {
          ++len;
          ind[static_cast<std::size_t>(len)] = j;
          val[static_cast<std::size_t>(len)] = c;
        }
      }
      glp_set_mat_row(p, row, len, ind.data(), val.data());
    }
  }

  glp_iocp parm;
  glp_init_iocp(&parm);
  parm.msg_lev = GLP_MSG_OFF;
  parm.presolve = GLP_ON;  // solves the LP relaxation itself
  parm.mip_gap = 0.0;      // stop only at a proven optimum
  const int ret = glp_intopt(p, &parm);
  if (ret == GLP_ENOPFS) return std::nullopt;  // the LP relaxation is infeasible
  if (ret != 0) throw std::runtime_error("GLPK glp_intopt failed with code " + std::to_string(ret));
  const int status = glp_mip_status(p);
  if (status == GLP_NOFEAS) return std::nullopt;
  if (status != GLP_OPT)
    throw std::runtime_error("GLPK ended without a proven optimum (status " +
                             std::to_string(status) + ")");
  std::vector<int64_t> x;
  for (int j = 1; j <= n; ++j) x.push_back(std::llround(glp_mip_col_val(p, j)));
  return x;
}

std::vector<Allocation> allocations(std::span<const Offer> offers, std::span<const int64_t> x) {
  std::vector<Allocation> out;
  for (std::size_t i = 0; i < offers.size(); ++i)
    out.push_back({offers[i].category, x[i], offers[i].capacity_per_unit, offers[i].unit_price,
                   offers[i].unit_power_w});
  return out;
}

/// Every constraint id, in the order the deletion filter tries to drop them:
/// supply first, then money and power, then the policy's own rules, so that
/// the conflict it reports keeps the quotas whenever a smaller explanation
/// without them does not exist.
std::vector<std::string> constraint_ids(const Policy& policy, std::span<const Offer> offers) {
  std::vector<std::string> ids;
  for (const auto& o : offers) ids.push_back(available_id(o));
  if (policy.max_budget) ids.push_back("max-budget");
  if (policy.max_power_w) ids.push_back("max-power");
  if (policy.total_units) ids.push_back("total-units");
  for (const auto& r : policy.rules) ids.push_back(r.id);
  return ids;
}

}  // namespace

bool feasible(const Policy& policy, std::span<const Offer> offers, const Relaxation& relax) {
  const std::set<std::string> dropped(relax.dropped.begin(), relax.dropped.end());
  return solve_ip(policy, offers, dropped, false).has_value();
}

Optimum optimize(const Policy& policy, std::span<const Offer> offers) {
  Optimum out;
  const auto x = solve_ip(policy, offers, {}, true);
  if (!x) {
    // Deletion filter: an irreducible infeasible subset of the constraints.
    std::set<std::string> dropped;
    std::vector<std::string> kept;
    for (const auto& id : constraint_ids(policy, offers)) {
      dropped.insert(id);
      if (solve_ip(policy, offers, dropped, false)) {
        dropped.erase(id);  // needed for the conflict
        kept.push_back(id);
      }
    }
    out.conflict = std::move(kept);
    return out;
  }
  out.feasible = true;
  out.quantities = *x;
  const auto alloc = allocations(offers, out.quantities);
  out.compliance = evaluate(policy, alloc);
  if (!out.compliance.compliant())
    throw std::runtime_error("GLPK's answer does not pass the exact compliance check");
  out.objective = out.compliance.totals.capacity;
  for (std::size_t i = 0; i < offers.size(); ++i)
    if (offers[i].available > 0 && out.quantities[i] == offers[i].available)
      out.binding.push_back(available_id(offers[i]));
  for (const auto& r : out.compliance.rules)
    if (r.binding && std::find(out.binding.begin(), out.binding.end(), r.id) == out.binding.end())
      out.binding.push_back(r.id);
  for (const auto& rule : policy.rules) {
    const auto y = solve_ip(policy, offers, {rule.id}, true);
    if (!y) throw std::runtime_error("relaxing rule " + rule.id + " made the program infeasible");
    const double without = totals(policy, allocations(offers, *y)).capacity;
    out.rule_costs.push_back({rule.id, without, std::max(0.0, without - out.objective)});
  }
  return out;
}

}  // namespace chipcert::quota
