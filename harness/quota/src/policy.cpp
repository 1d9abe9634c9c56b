#include "chipcert/quota/policy.hpp"

#include <cmath>
#include <set>
#include <stdexcept>

#include "chipcert/results/json.hpp"
#include "chipcert/trust/strict.hpp"

namespace chipcert::quota {

namespace d = trust::detail;
using d::Obj;
using nlohmann::json;

const char* to_string(Basis b) {
  return b == Basis::Units ? "units" : "capacity";
}

std::size_t Policy::category_of(std::string_view vendor) const {
  std::size_t other = 0;
  for (std::size_t i = 0; i < categories.size(); ++i) {
    if (categories[i].any_other) other = i;
    for (const auto& v : categories[i].vendors)
      if (v == vendor) return i;
  }
  return other;
}

std::size_t Policy::category_index(std::string_view id) const {
  for (std::size_t i = 0; i < categories.size(); ++i)
    if (categories[i].id == id) return i;
  throw std::out_of_range("no category " + std::string(id));
}

std::string format_percent(int64_t bp) {
  std::string s = std::to_string(bp / 100);
  if (const int64_t frac = bp % 100; frac != 0) {
    s += "." + std::to_string(frac / 10);
    if (frac % 10 != 0) s += std::to_string(frac % 10);
  }
  return s + " %";
}

namespace {

/// A percentage in [0, 100] with at most two decimals, as basis points.
int64_t percent(const Obj& o, std::string_view key) {
  const json& v = o.at(key, "a percentage");
  const std::string expect = "a percentage in [0, 100] with at most two decimals";
  if (!v.is_number()) d::fail(o.src(), o.ptr(key), expect, d::describe(v));
  if (v.is_number_integer() || v.is_number_unsigned()) {
    if (v.is_number_unsigned() ? v.get<uint64_t>() > 100
                               : (v.get<int64_t>() < 0 || v.get<int64_t>() > 100))
      d::fail(o.src(), o.ptr(key), expect, d::describe(v));
    return v.get<int64_t>() * 100;
  }
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < 0 || x > 100) d::fail(o.src(), o.ptr(key), expect, d::describe(v));
  const double scaled = x * 100;
  const double r = std::round(scaled);
  if (std::fabs(scaled - r) > 1e-6) d::fail(o.src(), o.ptr(key), expect, d::describe(v));
  return static_cast<int64_t>(r);
}

std::vector<std::string> string_list(const Obj& o, std::string_view key, bool nonempty) {
  const json& a = o.array(key);
  if (nonempty && a.empty()) d::fail(o.src(), o.ptr(key), "at least one entry", "empty array");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string p = d::child(o.ptr(key), i);
    if (!a[i].is_string() || a[i].get<std::string>().empty())
      d::fail(o.src(), p, "a non-empty string", d::describe(a[i]));
    out.push_back(a[i].get<std::string>());
  }
  return out;
}

Certification parse_certification(const Obj& parent) {
  Obj o(parent.at("certification", "an object"), parent.src(), parent.ptr("certification"),
        "the certification requirement",
        {"profile", "profile_version", "min_tier", "max_age_days"});
  Certification c;
  c.profile = o.name("profile");
  if (o.has("profile_version")) c.profile_version = o.name("profile_version");
  if (o.has("min_tier")) c.min_tier = o.name("min_tier");
  if (o.has("max_age_days")) c.max_age_days = o.integer("max_age_days", 1, 36500);
  return c;
}

}  // namespace

Policy parse_policy(std::string_view text, std::string_view source) {
  if (text.size() > kMaxInputBytes)
    throw results::ParseError(std::string(source), "",
                              "expected at most " + std::to_string(kMaxInputBytes) +
                                  " bytes, found " + std::to_string(text.size()));
  const json j = results::parse_json_strict(text, source);
  Obj o(j, source, "", "a quota policy",
        {"format", "format_version", "name", "version", "description", "certification",
         "capacity_figure", "total_units", "max_budget", "max_power_w", "categories", "rules"});
  o.check_format("chipcert-quota-policy");
  Policy p;
  p.name = o.name("name");
  p.version = o.name("version");
  p.description = o.has("description") ? o.str("description") : "";
  p.certification = parse_certification(o);
  p.capacity_figure = o.name("capacity_figure");
  if (o.has("total_units")) p.total_units = o.integer("total_units", 1, kMaxUnits);
  if (o.has("max_budget")) p.max_budget = o.number("max_budget", 0, 1e18);
  if (o.has("max_power_w")) p.max_power_w = o.number("max_power_w", 0, 1e15);

  const json& cats = o.array("categories");
  if (cats.empty()) d::fail(source, o.ptr("categories"), "at least one category", "empty array");
  if (cats.size() > kMaxItems)
    d::fail(source, o.ptr("categories"), "at most " + std::to_string(kMaxItems) + " categories",
            d::describe(cats));
  std::set<std::string> vendors;
  std::string other;
  for (std::size_t i = 0; i < cats.size(); ++i) {
    Obj c(cats[i], source, d::child(o.ptr("categories"), i), "a category",
          {"id", "description", "vendors", "any_other"});
    Category cat;
    cat.id = c.name("id");
    for (const auto& prev : p.categories)
      if (prev.id == cat.id)
        d::fail(source, c.ptr("id"), "a category id not used before",
                d::describe(json(cat.id)) + " again");
    cat.description = c.has("description") ? c.str("description") : "";
    cat.any_other = c.has("any_other") && c.boolean("any_other");
    if (c.has("any_other") && !cat.any_other)
      d::fail(source, c.ptr("any_other"), "true (or no any_other field)", "false");
    if (cat.any_other) {
      if (c.has("vendors"))
        d::fail(source, c.ptr("vendors"),
                "no vendor list in the any-other category (it holds every vendor not listed)",
                "a vendor list");
      if (!other.empty())
        d::fail(source, c.ptr("any_other"), "one any-other category",
                "a second one (the first is \"" + other + "\")");
      other = cat.id;
    } else {
      cat.vendors = string_list(c, "vendors", true);
      for (std::size_t v = 0; v < cat.vendors.size(); ++v)
        if (!vendors.insert(cat.vendors[v]).second)
          d::fail(source, d::child(c.ptr("vendors"), v), "a vendor in one category only",
                  d::describe(json(cat.vendors[v])) + " listed before");
    }
    p.categories.push_back(std::move(cat));
  }
  if (other.empty())
    d::fail(source, o.ptr("categories"),
            "an explicit any-other category ({\"id\": \"other\", \"any_other\": true})", "none");

  const json& rules = o.array("rules");
  if (rules.size() > kMaxItems)
    d::fail(source, o.ptr("rules"), "at most " + std::to_string(kMaxItems) + " rules",
            d::describe(rules));
  for (std::size_t i = 0; i < rules.size(); ++i) {
    Obj r(rules[i], source, d::child(o.ptr("rules"), i), "a share rule",
          {"id", "rationale", "category", "basis", "min_percent", "max_percent"});
    ShareRule rule;
    rule.id = r.name("id");
    for (const auto& prev : p.rules)
      if (prev.id == rule.id)
        d::fail(source, r.ptr("id"), "a rule id not used before",
                d::describe(json(rule.id)) + " again");
    if (rule.id == "total-units" || rule.id == "max-budget" || rule.id == "max-power" ||
        rule.id.starts_with("available:"))
      d::fail(source, r.ptr("id"),
              "a rule id other than the reserved total-units, max-budget, "
              "max-power and available:*",
              d::describe(json(rule.id)));
    rule.rationale = r.has("rationale") ? r.str("rationale") : "";
    rule.category = r.name("category");
    bool known = false;
    for (const auto& c : p.categories) known = known || c.id == rule.category;
    if (!known) {
      std::string ids;
      for (const auto& c : p.categories) ids += (ids.empty() ? "" : ", ") + c.id;
      d::fail(source, r.ptr("category"), "a category id (" + ids + ")",
              d::describe(json(rule.category)));
    }
    const std::string basis = r.str("basis");
    if (basis == "units")
      rule.basis = Basis::Units;
    else if (basis == "capacity")
      rule.basis = Basis::Capacity;
    else
      d::fail(source, r.ptr("basis"), "\"units\" or \"capacity\"", d::describe(json(basis)));
    if (r.has("min_percent")) rule.min_bp = percent(r, "min_percent");
    if (r.has("max_percent")) rule.max_bp = percent(r, "max_percent");
    if (!rule.min_bp && !rule.max_bp)
      d::fail(source, r.pointer(), "min_percent and/or max_percent", "neither");
    if (rule.min_bp && rule.max_bp && *rule.min_bp > *rule.max_bp)
      d::fail(source, r.ptr("max_percent"),
              "a maximum >= the minimum " + format_percent(*rule.min_bp),
              format_percent(*rule.max_bp));
    p.rules.push_back(std::move(rule));
  }
  return p;
}

}  // namespace chipcert::quota
