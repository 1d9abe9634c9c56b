#include "chipcert/quota/report.hpp"

#include <filesystem>
#include <sstream>

namespace chipcert::quota {

using nlohmann::json;

namespace {

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

json rules_json(const Compliance& c) {
  json a = json::array();
  for (const auto& r : c.rules)
    a.push_back({{"id", r.id},
                 {"kind", r.kind},
                 {"passed", r.passed},
                 {"binding", r.binding},
                 {"figure", r.figure},
                 {"bound", r.bound},
                 {"detail", r.detail}});
  return a;
}

json totals_json(const Totals& t) {
  json cats = json::array();
  for (const auto& c : t.categories)
    cats.push_back({{"id", c.id}, {"units", c.units}, {"capacity", c.capacity}});
  return {{"units", t.units},
          {"capacity", t.capacity},
          {"cost", t.cost},
          {"power_w", t.power_w},
          {"categories", std::move(cats)}};
}

json rejected_json(const RejectedItem& r) {
  return {{"index", r.index},  {"id", r.id},       {"certificate", r.certificate},
          {"accepted", false}, {"check", r.check}, {"reason", r.reason}};
}

json accepted_json(const CertifiedItem& a, const Policy& p) {
  return {{"index", a.index},
          {"id", a.line->id},
          {"certificate", a.line->certificate},
          {"accepted", true},
          {"device", a.device},
          {"vendor", a.vendor},
          {"model", a.model},
          {"category", p.categories.at(a.category).id},
          {"tier", a.tier},
          {"capacity_per_unit", a.capacity_per_unit},
          {"capacity_unit", a.capacity_unit},
          {"signer_key_id", a.signer_key_id},
          {"signed_at", a.signed_at}};
}

/// Items in file order, accepted and rejected interleaved.
json items_json(const Certified& c, const Policy& p, const std::vector<int64_t>* quantities,
                const char* count_key) {
  json a = json::array();
  std::size_t ia = 0, ir = 0;
  while (ia < c.accepted.size() || ir < c.rejected.size()) {
    if (ir >= c.rejected.size() ||
        (ia < c.accepted.size() && c.accepted[ia].index < c.rejected[ir].index)) {
      json j = accepted_json(c.accepted[ia], p);
      j[count_key] = c.accepted[ia].line->quantity;
      if (quantities) j["quantity"] = (*quantities)[ia];
      a.push_back(std::move(j));
      ++ia;
    } else {
      a.push_back(rejected_json(c.rejected[ir++]));
    }
  }
  return a;
}

json policy_json(const Policy& p) {
  return {{"name", p.name}, {"version", p.version}, {"capacity_figure", p.capacity_figure}};
}

std::string policy_line(const Policy& p) {
  std::string s = "policy " + p.name + " " + p.version + ": certified under " +
                  p.certification.profile +
                  (p.certification.profile_version ? " " + *p.certification.profile_version : "");
  if (p.certification.min_tier) s += ", tier >= " + *p.certification.min_tier;
  if (p.certification.max_age_days)
    s += ", at most " + std::to_string(*p.certification.max_age_days) + " days old";
  return s + "; capacity figure " + p.capacity_figure + "\n";
}

void rejected_lines(std::ostream& o, const Certified& c, const char* what) {
  for (const auto& r : c.rejected)
    o << "  REJECTED " << what << " " << r.index + 1 << " " << quoted(r.id) << " (" << r.certificate
      << "): " << r.check << ": " << r.reason << "\n";
}

void rule_lines(std::ostream& o, const Compliance& c) {
  for (const auto& r : c.rules) {
    o << "  " << (r.passed ? "PASS " : "FAIL ") << r.id << ": " << r.figure << " (needs " << r.bound
      << ")";
    if (!r.detail.empty()) o << " -- " << r.detail;
    o << "\n";
  }
}

}  // namespace

CheckReport check_plan(const Policy& policy, const Plan& plan, std::string plan_source,
                       const VerifyContext& ctx) {
  CheckReport r;
  r.policy = &policy;
  r.plan = &plan;
  r.plan_source = std::move(plan_source);
  r.certified = certify_items(plan.lines, policy, ctx);
  std::vector<Allocation> alloc;
  for (const auto& a : r.certified.accepted) alloc.push_back(a.allocation());
  r.compliance = evaluate(policy, alloc);
  return r;
}

std::string render_text(const CheckReport& r) {
  std::ostringstream o;
  o << policy_line(*r.policy);
  o << "plan " << r.plan->name << " (" << r.plan_source << "), " << r.plan->lines.size()
    << " line(s):\n";
  for (const auto& a : r.certified.accepted)
    o << "  OK       line " << a.index + 1 << " " << quoted(a.line->id) << ": " << a.vendor << " "
      << a.model << " x " << a.line->quantity << ", category "
      << r.policy->categories.at(a.category).id << ", tier " << a.tier << ", "
      << format_number(a.capacity_per_unit) << " " << a.capacity_unit << " per unit\n";
  rejected_lines(o, r.certified, "line");
  o << "rules (over the accepted lines):\n";
  rule_lines(o, r.compliance);
  std::size_t failed = 0;
  for (const auto& x : r.compliance.rules) failed += x.passed ? 0 : 1;
  o << "\n" << (r.compliant() ? "COMPLIANT" : "NON-COMPLIANT");
  if (!r.compliant())
    o << ": " << failed << " rule(s) failed, " << r.certified.rejected.size()
      << " line(s) rejected";
  o << "\n";
  return o.str();
}

json to_json(const CheckReport& r) {
  return {{"format", "chipcert-quota-check"},
          {"format_version", 1},
          {"policy", policy_json(*r.policy)},
          {"plan", {{"name", r.plan->name}, {"file", r.plan_source}}},
          {"compliant", r.compliant()},
          {"lines", items_json(r.certified, *r.policy, nullptr, "quantity")},
          {"totals", totals_json(r.compliance.totals)},
          {"rules", rules_json(r.compliance)}};
}

PlanReport plan_optimal(const Policy& policy, const Offers& offers, std::string offers_source,
                        const VerifyContext& ctx) {
  PlanReport r;
  r.policy = &policy;
  r.offers = &offers;
  r.offers_source = std::move(offers_source);
  r.certified = certify_items(offers.offers, policy, ctx);
  std::vector<Offer> model;
  for (const auto& a : r.certified.accepted)
    model.push_back({a.line->id, a.category, a.line->quantity, a.capacity_per_unit,
                     a.line->unit_price, a.line->unit_power_w});
  r.optimum = optimize(policy, model);
  return r;
}

Plan to_plan(const PlanReport& r, const std::string& plan_path) {
  namespace fs = std::filesystem;
  Plan p;
  p.name = r.policy->name + " optimum";
  p.description = "chipcert quota plan: maximum certified " + r.policy->capacity_figure +
                  " under policy " + r.policy->name + " " + r.policy->version + " from " +
                  r.offers_source;
  const fs::path dir = fs::absolute(fs::path(plan_path)).parent_path();
  for (std::size_t i = 0; i < r.certified.accepted.size(); ++i) {
    const auto& a = r.certified.accepted[i];
    if (!r.optimum.feasible || r.optimum.quantities[i] == 0) continue;
    LineItem l = *a.line;
    l.quantity = r.optimum.quantities[i];
    l.certificate =
        fs::absolute(fs::path(a.line->certificate_path)).lexically_relative(dir).string();
    l.certificate_path = a.line->certificate_path;
    l.device = a.device;
    p.lines.push_back(std::move(l));
  }
  return p;
}

std::string render_text(const PlanReport& r) {
  std::ostringstream o;
  o << policy_line(*r.policy);
  o << "offers " << r.offers->name << " (" << r.offers_source
    << "): " << r.certified.accepted.size() << " certified, " << r.certified.rejected.size()
    << " rejected\n";
  rejected_lines(o, r.certified, "offer");
  const Optimum& opt = r.optimum;
  if (!opt.feasible) {
    o << "\nINFEASIBLE: no plan meets every constraint. These conflict (an irreducible set:\n"
         "dropping any one of them makes a plan possible):\n";
    for (const auto& c : opt.conflict) o << "  " << c << "\n";
    return o.str();
  }
  o << "\noptimal plan (proven by GLPK branch-and-cut): total " << r.policy->capacity_figure << " "
    << format_number(opt.objective) << "\n";
  for (std::size_t i = 0; i < r.certified.accepted.size(); ++i) {
    const auto& a = r.certified.accepted[i];
    o << "  " << quoted(a.line->id) << ": " << a.vendor << " " << a.model << " x "
      << opt.quantities[i] << " of " << a.line->quantity << " available, category "
      << r.policy->categories.at(a.category).id << "\n";
  }
  o << "totals: " << opt.compliance.totals.units << " units, cost "
    << format_number(opt.compliance.totals.cost) << ", power "
    << format_number(opt.compliance.totals.power_w) << " W\n";
  o << "rules:\n";
  rule_lines(o, opt.compliance);
  o << "binding constraints:";
  for (const auto& b : opt.binding) o << " " << b;
  o << (opt.binding.empty() ? " none\n" : "\n");
  o << "what each quota costs (optimum without the rule minus with it):\n";
  for (const auto& c : opt.rule_costs)
    o << "  " << c.rule_id << ": " << format_number(c.capacity_cost) << " "
      << r.policy->capacity_figure << " (" << format_number(c.objective_without)
      << " without it)\n";
  return o.str();
}

json to_json(const PlanReport& r) {
  const Optimum& opt = r.optimum;
  json j = {{"format", "chipcert-quota-plan"},
            {"format_version", 1},
            {"policy", policy_json(*r.policy)},
            {"offers", {{"name", r.offers->name}, {"file", r.offers_source}}},
            {"feasible", opt.feasible},
            {"items", items_json(r.certified, *r.policy, opt.feasible ? &opt.quantities : nullptr,
                                 "available")}};
  if (!opt.feasible) {
    j["conflict"] = opt.conflict;
    return j;
  }
  j["objective"] = {{"figure", r.policy->capacity_figure}, {"value", opt.objective}};
  j["totals"] = totals_json(opt.compliance.totals);
  j["rules"] = rules_json(opt.compliance);
  j["binding"] = opt.binding;
  json costs = json::array();
  for (const auto& c : opt.rule_costs)
    costs.push_back({{"rule", c.rule_id},
                     {"objective_without", c.objective_without},
                     {"capacity_cost", c.capacity_cost}});
  j["rule_costs"] = std::move(costs);
  return j;
}

}  // namespace chipcert::quota
