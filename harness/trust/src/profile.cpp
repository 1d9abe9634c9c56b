// Profiles: strict parsing and the built-in table.

#include "chipcert/trust/profile.hpp"

#include <limits>
#include <set>
#include <stdexcept>
#include <string>

#include "chipcert/results/json.hpp"
#include "chipcert/trust/encoding.hpp"
#include "chipcert/trust/strict.hpp"

namespace chipcert::trust {

using detail::Obj;
using nlohmann::json;

const char* to_string(RuleType t) {
  switch (t) {
    case RuleType::Suite:
      return "suite";
    case RuleType::RequiredCases:
      return "required_cases";
    case RuleType::AllCasesVerified:
      return "all_cases_verified";
    case RuleType::MinRepetitions:
      return "min_repetitions";
    case RuleType::MaxCv:
      return "max_cv";
    case RuleType::MinMeasuredTime:
      return "min_measured_time";
    case RuleType::Sustained:
      return "sustained";
    case RuleType::CleanBuild:
      return "clean_build";
  }
  return "?";
}

namespace {

constexpr double kHuge = std::numeric_limits<double>::max();

CaseSelector selector_from(const json& j, std::string_view src, const std::string& ptr) {
  Obj o(j, src, ptr, "a case selector", {"workload", "dtype", "label"});
  CaseSelector s{o.name("workload"), o.name("dtype"), std::nullopt};
  if (o.has("label")) s.label = o.name("label");
  return s;
}

Rule rule_from(const json& j, std::string_view src, const std::string& ptr) {
  // Peek at the type first: it decides which fields the rule may have.
  if (!j.is_object()) detail::fail(src, ptr, "a rule (an object)", detail::describe(j));
  const auto type_it = j.find("type");
  if (type_it == j.end())
    detail::fail(src, detail::child(ptr, "type"), "a rule type (required field)", "nothing");
  const json& tj = *type_it;
  static constexpr RuleType kAll[] = {
      RuleType::Suite,          RuleType::RequiredCases, RuleType::AllCasesVerified,
      RuleType::MinRepetitions, RuleType::MaxCv,         RuleType::MinMeasuredTime,
      RuleType::Sustained,      RuleType::CleanBuild};
  std::optional<RuleType> type;
  std::string names;
  for (RuleType t : kAll) {
    names += (names.empty() ? "\"" : ", \"") + std::string(to_string(t)) + "\"";
    if (tj.is_string() && tj.get<std::string>() == to_string(t)) type = t;
  }
  if (!type) detail::fail(src, detail::child(ptr, "type"), "one of " + names, detail::describe(tj));

  Rule r;
  r.type = *type;
  const std::string what = std::string("a ") + to_string(r.type) + " rule";
  switch (r.type) {
    case RuleType::Suite:
    case RuleType::AllCasesVerified:
    case RuleType::CleanBuild: {
      Obj o(j, src, ptr, what, {"id", "type", "rationale"});
      r.id = o.name("id");
      r.rationale = o.name("rationale");
      break;
    }
    case RuleType::RequiredCases: {
      Obj o(j, src, ptr, what, {"id", "type", "rationale", "cases"});
      r.id = o.name("id");
      r.rationale = o.name("rationale");
      const json& cases = o.array("cases");
      if (cases.empty())
        detail::fail(src, o.ptr("cases"), "at least one case selector", "empty array");
      for (std::size_t i = 0; i < cases.size(); ++i)
        r.cases.push_back(selector_from(cases[i], src, detail::child(o.ptr("cases"), i)));
      break;
    }
    case RuleType::MinRepetitions: {
      Obj o(j, src, ptr, what, {"id", "type", "rationale", "min"});
      r.id = o.name("id");
      r.rationale = o.name("rationale");
      r.min = static_cast<double>(o.integer("min", 1, 1000000));
      break;
    }
    case RuleType::MaxCv: {
      Obj o(j, src, ptr, what, {"id", "type", "rationale", "max"});
      r.id = o.name("id");
      r.rationale = o.name("rationale");
      r.max = o.number("max", 0, 100);
      break;
    }
    case RuleType::MinMeasuredTime: {
      Obj o(j, src, ptr, what, {"id", "type", "rationale", "min_s"});
      r.id = o.name("id");
      r.rationale = o.name("rationale");
      r.min = o.number("min_s", 0, kHuge);
      break;
    }
    case RuleType::Sustained: {
      Obj o(j, src, ptr, what, {"id", "type", "rationale", "case", "min_s", "max_drop"});
      r.id = o.name("id");
      r.rationale = o.name("rationale");
      r.selector = selector_from(o.at("case", "a case selector"), src, o.ptr("case"));
      r.min = o.number("min_s", 0, kHuge);
      r.max = o.number("max_drop", 0, 1);
      break;
    }
  }
  return r;
}

FigureSpec figure_from(const json& j, std::string_view src, const std::string& ptr) {
  Obj o(j, src, ptr, "a figure", {"name", "case", "rate", "scale", "unit"});
  FigureSpec f;
  f.name = o.name("name");
  f.selector = selector_from(o.at("case", "a case selector"), src, o.ptr("case"));
  const json& rate = o.at("rate", "a rate");
  if (rate == "flop_per_s")
    f.rate = Rate::FlopPerS;
  else if (rate == "bytes_per_s")
    f.rate = Rate::BytesPerS;
  else if (rate == "seconds")
    f.rate = Rate::SecondsPerIteration;
  else
    detail::fail(src, o.ptr("rate"), "one of \"flop_per_s\", \"bytes_per_s\", \"seconds\"",
                 detail::describe(rate));
  f.scale = o.number("scale", std::numeric_limits<double>::min(), kHuge);
  f.unit = o.name("unit");
  return f;
}

}  // namespace

Profile parse_profile(std::string_view text, std::string_view src) {
  const json j = results::parse_json_strict(text, src);
  Obj o(j, src, "", "a profile",
        {"format", "format_version", "name", "version", "description", "suite", "rules", "figures",
         "tiers"});
  o.check_format("chipcert-profile");
  Profile p;
  p.name = o.name("name");
  p.version = o.name("version");
  p.description = o.name("description");
  {
    Obj s(o.at("suite", "a suite reference"), src, o.ptr("suite"), "a suite reference",
          {"name", "version"});
    p.suite = {s.name("name"), s.name("version")};
  }

  const json& rules = o.array("rules");
  if (rules.empty()) detail::fail(src, o.ptr("rules"), "at least one rule", "empty array");
  std::set<std::string> ids;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const std::string ptr = detail::child(o.ptr("rules"), i);
    Rule r = rule_from(rules[i], src, ptr);
    if (!ids.insert(r.id).second)
      detail::fail(src, detail::child(ptr, "id"), "a rule id used once",
                   "duplicate \"" + r.id + "\"");
    p.rules.push_back(std::move(r));
  }

  const json& figures = o.array("figures");
  std::set<std::string> figure_names;
  for (std::size_t i = 0; i < figures.size(); ++i) {
    const std::string ptr = detail::child(o.ptr("figures"), i);
    FigureSpec f = figure_from(figures[i], src, ptr);
    if (!figure_names.insert(f.name).second)
      detail::fail(src, detail::child(ptr, "name"), "a figure name used once",
                   "duplicate \"" + f.name + "\"");
    p.figures.push_back(std::move(f));
  }

  const json& tiers = o.array("tiers");
  std::set<std::string> tier_names;
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    const std::string ptr = detail::child(o.ptr("tiers"), i);
    Obj t(tiers[i], src, ptr, "a tier", {"name", "requirements"});
    Tier tier;
    tier.name = t.name("name");
    if (!tier_names.insert(tier.name).second)
      detail::fail(src, t.ptr("name"), "a tier name used once", "duplicate \"" + tier.name + "\"");
    const json& reqs = t.array("requirements");
    if (reqs.empty())
      detail::fail(src, t.ptr("requirements"), "at least one requirement", "empty array");
    for (std::size_t k = 0; k < reqs.size(); ++k) {
      const std::string rp = detail::child(t.ptr("requirements"), k);
      Obj r(reqs[k], src, rp, "a tier requirement", {"figure", "min", "max"});
      TierRequirement req;
      req.figure = r.name("figure");
      if (!figure_names.contains(req.figure))
        detail::fail(src, r.ptr("figure"), "the name of a figure defined in /figures",
                     "\"" + req.figure + "\"");
      if (r.has("min")) req.min = r.number("min", -kHuge, kHuge);
      if (r.has("max")) req.max = r.number("max", -kHuge, kHuge);
      if (!req.min && !req.max) detail::fail(src, rp, "a \"min\" or a \"max\" bound", "neither");
      tier.requirements.push_back(std::move(req));
    }
    p.tiers.push_back(std::move(tier));
  }
  p.text = std::string(text);
  p.sha256 = sha256_hex(text);
  return p;
}

Profile builtin_profile(std::string_view name) {
  std::string names;
  for (const auto& e : builtin_profiles()) {
    if (e.name == name) return parse_profile(e.text, std::string("builtin:") + e.name);
    names += (names.empty() ? "" : ", ") + std::string(e.name);
  }
  throw std::invalid_argument("unknown profile \"" + std::string(name) + "\" (built in: " + names +
                              "; or give a file with --profile-file)");
}

std::optional<Profile> find_builtin_profile(std::string_view name, std::string_view version,
                                            std::string_view sha256) {
  for (const auto& e : builtin_profiles()) {
    if (e.name != name) continue;
    Profile p = parse_profile(e.text, std::string("builtin:") + e.name);
    if (p.version == version && p.sha256 == sha256) return p;
  }
  return std::nullopt;
}

std::string case_label(const results::Case& c) {
  // "<workload>/<label>/<dtype>@<device>"
  const std::string prefix = c.workload + "/";
  const std::string suffix = "/" + c.dtype + "@" + c.device;
  if (c.id.size() < prefix.size() + suffix.size() || !c.id.starts_with(prefix) ||
      !c.id.ends_with(suffix)) {
    return "";
  }
  return c.id.substr(prefix.size(), c.id.size() - prefix.size() - suffix.size());
}

bool matches(const CaseSelector& s, const results::Case& c) {
  return c.workload == s.workload && c.dtype == s.dtype && (!s.label || case_label(c) == *s.label);
}

}  // namespace chipcert::trust
