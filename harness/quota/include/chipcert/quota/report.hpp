#pragma once
/// What `chipcert quota check` and `quota plan` print: text for people, HTML
/// for committees, JSON
/// (`"format": "chipcert-quota-check"` / `"chipcert-quota-plan"`,
/// `"format_version": 1`) for tools. Pure functions of their inputs.

#include <string>

#include <nlohmann/json.hpp>

#include "chipcert/quota/certified.hpp"
#include "chipcert/quota/compliance.hpp"
#include "chipcert/quota/optimize.hpp"
#include "chipcert/quota/plan.hpp"
#include "chipcert/quota/policy.hpp"

namespace chipcert::quota {

/// A plan checked against a policy.
struct CheckReport {
  const Policy* policy = nullptr;
  const Plan* plan = nullptr;
  std::string plan_source;
  Certified certified;
  Compliance compliance;  ///< over the accepted lines only
  /// Every line accepted and every rule passed.
  bool compliant() const { return certified.rejected.empty() && compliance.compliant(); }
};

/// Verify the plan's certificates and evaluate the policy on the accepted lines.
CheckReport check_plan(const Policy& policy, const Plan& plan, std::string plan_source,
                       const VerifyContext& ctx);

std::string render_text(const CheckReport& r);
nlohmann::json to_json(const CheckReport& r);

/// The optimal plan for certified offers.
struct PlanReport {
  const Policy* policy = nullptr;
  const Offers* offers = nullptr;
  std::string offers_source;
  Certified certified;  ///< offers whose certificate passed; rejected ones are left out
  Optimum optimum;      ///< over certified.accepted, in that order
};

PlanReport plan_optimal(const Policy& policy, const Offers& offers, std::string offers_source,
                        const VerifyContext& ctx);

/// The optimum as a plan (lines with quantity > 0) that `quota check`
/// accepts when written to `plan_path`: certificate paths are made relative
/// to that file's directory.
Plan to_plan(const PlanReport& r, const std::string& plan_path);

std::string render_text(const PlanReport& r);
nlohmann::json to_json(const PlanReport& r);

/// A self-contained HTML page (no scripts, fonts or network) for either
/// report's JSON: verdict, totals with share bars (SVG), rules, lines.
std::string render_html(const nlohmann::json& report);

}  // namespace chipcert::quota
