#include "chipcert/quota/compliance.hpp"

#include <cmath>
#include <cstdio>

namespace chipcert::quota {

namespace {

using i128 = __int128;

std::string units_text(int64_t n) {
  return std::to_string(n) + (n == 1 ? " unit" : " units");
}

/// A share for display only (the verdict never depends on it).
std::string share_text(double part, double whole) {
  if (whole <= 0) return "no share (nothing bought)";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g %%", part / whole * 100);
  return buf;
}

std::string bound_text(const ShareRule& r) {
  std::string s;
  if (r.min_bp) s += ">= " + format_percent(*r.min_bp);
  if (r.max_bp) s += std::string(s.empty() ? "" : " and ") + "<= " + format_percent(*r.max_bp);
  return s;
}

/// floor / ceil of a / b for a >= 0, b > 0.
i128 floor_div(i128 a, i128 b) {
  return a / b;
}
i128 ceil_div(i128 a, i128 b) {
  return (a + b - 1) / b;
}

RuleResult unit_share(const ShareRule& r, const CategoryTotals& c, int64_t total) {
  RuleResult out{r.id, "share", true, false, "", bound_text(r), ""};
  out.figure = c.id + " " + std::to_string(c.units) + " of " + units_text(total) + " = " +
               share_text(static_cast<double>(c.units), static_cast<double>(total));
  const i128 have = i128{c.units} * kFullShare;
  if (r.min_bp) {
    const i128 need = i128{*r.min_bp} * total;
    if (have < need) {
      const auto needed = static_cast<int64_t>(ceil_div(need, kFullShare));
      out.passed = false;
      out.detail = "short by " + units_text(needed - c.units) + " (needs at least " +
                   std::to_string(needed) + " of " + std::to_string(total) + ")";
    }
    out.binding = out.binding || have == need;
  }
  if (r.max_bp) {
    const i128 cap = i128{*r.max_bp} * total;
    if (have > cap) {
      const auto allowed = static_cast<int64_t>(floor_div(cap, kFullShare));
      out.passed = false;
      out.detail += std::string(out.detail.empty() ? "" : "; ") + "over by " +
                    units_text(c.units - allowed) + " (allows at most " + std::to_string(allowed) +
                    " of " + std::to_string(total) + ")";
    }
    out.binding = out.binding || have == cap;
  }
  return out;
}

RuleResult capacity_share(const ShareRule& r, const CategoryTotals& c, double total,
                          const std::string& unit) {
  RuleResult out{r.id, "share", true, false, "", bound_text(r), ""};
  out.figure = c.id + " " + format_number(c.capacity) + " of " + format_number(total) + " " + unit +
               " = " + share_text(c.capacity, total);
  const double have = c.capacity * kFullShare;
  const double slack = kRelTol * kFullShare * std::fabs(total);
  if (r.min_bp) {
    const double need = static_cast<double>(*r.min_bp) * total;
    if (have < need - slack) {
      out.passed = false;
      out.detail = "short by " + format_number((need - have) / kFullShare) + " " + unit +
                   " (needs at least " + format_number(need / kFullShare) + ")";
    }
    out.binding = out.binding || std::fabs(have - need) <= slack;
  }
  if (r.max_bp) {
    const double cap = static_cast<double>(*r.max_bp) * total;
    if (have > cap + slack) {
      out.passed = false;
      out.detail += std::string(out.detail.empty() ? "" : "; ") + "over by " +
                    format_number((have - cap) / kFullShare) + " " + unit + " (allows at most " +
                    format_number(cap / kFullShare) + ")";
    }
    out.binding = out.binding || std::fabs(have - cap) <= slack;
  }
  return out;
}

RuleResult cap_rule(std::string id, std::string kind, double have, double limit,
                    const std::string& unit) {
  RuleResult out{std::move(id), std::move(kind), true, false, "", "", ""};
  const std::string u = unit.empty() ? "" : " " + unit;
  out.figure = format_number(have) + u;
  out.bound = "<= " + format_number(limit) + u;
  const double slack = kRelTol * std::max(std::fabs(limit), 1.0);
  if (have > limit + slack) {
    out.passed = false;
    out.detail = "over by " + format_number(have - limit) + u;
  }
  out.binding = std::fabs(have - limit) <= slack;
  return out;
}

}  // namespace

bool Compliance::compliant() const {
  for (const auto& r : rules)
    if (!r.passed) return false;
  return true;
}

std::string format_number(double v) {
  char buf[64];
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

Totals totals(const Policy& policy, std::span<const Allocation> allocations) {
  Totals t;
  for (const auto& c : policy.categories) t.categories.push_back({c.id, 0, 0});
  for (const auto& a : allocations) {
    const auto q = static_cast<double>(a.quantity);
    t.units += a.quantity;
    t.capacity += a.capacity_per_unit * q;
    t.cost += a.unit_price * q;
    t.power_w += a.unit_power_w * q;
    auto& c = t.categories.at(a.category);
    c.units += a.quantity;
    c.capacity += a.capacity_per_unit * q;
  }
  return t;
}

Compliance evaluate(const Policy& policy, std::span<const Allocation> allocations) {
  Compliance out;
  out.totals = totals(policy, allocations);
  const Totals& t = out.totals;
  if (policy.total_units) {
    RuleResult r{"total-units",
                 "total-units",
                 true,
                 true,
                 units_text(t.units),
                 "= " + units_text(*policy.total_units),
                 ""};
    if (t.units != *policy.total_units) {
      r.passed = false;
      r.binding = false;
      r.detail = (t.units < *policy.total_units ? "short by " : "over by ") +
                 units_text(std::llabs(t.units - *policy.total_units));
    }
    out.rules.push_back(std::move(r));
  }
  if (policy.max_budget)
    out.rules.push_back(cap_rule("max-budget", "budget", t.cost, *policy.max_budget, ""));
  if (policy.max_power_w)
    out.rules.push_back(cap_rule("max-power", "power", t.power_w, *policy.max_power_w, "W"));
  for (const auto& r : policy.rules) {
    const auto& c = t.categories.at(policy.category_index(r.category));
    out.rules.push_back(r.basis == Basis::Units
                            ? unit_share(r, c, t.units)
                            : capacity_share(r, c, t.capacity, policy.capacity_figure));
  }
  return out;
}

}  // namespace chipcert::quota
