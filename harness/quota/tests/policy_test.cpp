// Strict parsing of quota policies, plans and offers: one negative test per
// field, each checking the JSON pointer and what was expected.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "chipcert/quota/plan.hpp"
#include "chipcert/quota/policy.hpp"
#include "chipcert/quota/report.hpp"
#include "chipcert/results/json.hpp"

using chipcert::quota::parse_offers;
using chipcert::quota::parse_plan;
using chipcert::quota::parse_policy;
using chipcert::results::ParseError;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

json base_policy() {
  return json::parse(R"({
    "format": "chipcert-quota-policy", "format_version": 1,
    "name": "p", "version": "1.0", "description": "d",
    "certification": {"profile": "smoke-v1", "profile_version": "1.0", "min_tier": "runs", "max_age_days": 365},
    "capacity_figure": "fp32_gemm_gflops",
    "total_units": 50000, "max_budget": 1e9, "max_power_w": 4e7,
    "categories": [
      {"id": "nvidia", "vendors": ["NVIDIA"]},
      {"id": "domestic", "vendors": ["Rebellions", "FuriosaAI"], "description": "NPUs"},
      {"id": "other", "any_other": true}
    ],
    "rules": [
      {"id": "nv", "category": "nvidia", "basis": "units", "min_percent": 50, "max_percent": 50},
      {"id": "dom", "category": "domestic", "basis": "capacity", "min_percent": 40, "rationale": "r"},
      {"id": "oth", "category": "other", "basis": "units", "max_percent": 12.5}
    ]})");
}

json base_plan() {
  return json::parse(R"({
    "format": "chipcert-procurement-plan", "format_version": 1, "name": "plan", "description": "d",
    "lines": [{"id": "a", "certificate": "certs/a.dsse.json", "device": "example:0", "vendor": "NVIDIA",
               "model": "H100", "quantity": 10, "unit_price": 30000, "unit_power_w": 700}]})");
}

/// What a mutation of a valid document must produce.
struct Case {
  std::string name;
  std::string pointer;  ///< where to change (json_pointer)
  json value;           ///< new value; null with remove = true deletes
  bool remove;
  std::string expect_pointer;
  std::string expect_text;
};

std::string error_of(const std::function<void(const std::string&)>& parse, const json& doc) {
  try {
    parse(doc.dump());
  } catch (const ParseError& e) {
    return e.pointer() + " | " + e.what();
  }
  return "(no error)";
}

json mutate(json doc, const Case& c) {
  const json::json_pointer p(c.pointer);
  if (c.remove)
    doc.at(p.parent_pointer()).erase(p.back());
  else
    doc[p] = c.value;
  return doc;
}

void run_cases(const json& base, const std::vector<Case>& cases,
               const std::function<void(const std::string&)>& parse) {
  EXPECT_EQ(error_of(parse, base), "(no error)");
  for (const auto& c : cases) {
    const std::string err = error_of(parse, mutate(base, c));
    EXPECT_THAT(err, HasSubstr(c.expect_pointer + " | ")) << c.name;
    EXPECT_THAT(err, HasSubstr("policy.json")) << c.name;
    EXPECT_THAT(err, HasSubstr(c.expect_text)) << c.name;
  }
}

}  // namespace

TEST(QuotaPolicy, ParsesTheFullForm) {
  const auto p = parse_policy(base_policy().dump(), "policy.json");
  EXPECT_EQ(p.name, "p");
  EXPECT_EQ(p.certification.profile, "smoke-v1");
  EXPECT_EQ(*p.certification.min_tier, "runs");
  EXPECT_EQ(*p.certification.max_age_days, 365);
  EXPECT_EQ(*p.total_units, 50000);
  ASSERT_EQ(p.rules.size(), 3u);
  EXPECT_EQ(*p.rules[0].min_bp, 5000);
  EXPECT_EQ(*p.rules[1].min_bp, 4000);
  EXPECT_EQ(p.rules[1].basis, chipcert::quota::Basis::Capacity);
  EXPECT_EQ(*p.rules[2].max_bp, 1250);
  EXPECT_EQ(p.category_of("FuriosaAI"), 1u);
  EXPECT_EQ(p.category_of("Acme"), 2u);
  EXPECT_EQ(p.category_of("nvidia"), 2u);  // exact match only
  EXPECT_EQ(chipcert::quota::format_percent(1250), "12.5 %");
  EXPECT_EQ(chipcert::quota::format_percent(4000), "40 %");
  EXPECT_EQ(chipcert::quota::format_percent(5), "0.05 %");
}

TEST(QuotaPolicy, EveryFieldIsValidated) {
  const std::vector<Case> cases = {
      {"not an object", "", json::array(), false, "", "expected a quota policy (an object)"},
      {"unknown field", "/colour", "red", false, "/colour", "unknown field"},
      {"format missing", "/format", nullptr, true, "/format", "required field"},
      {"wrong format", "/format", "chipcert-profile", false, "/format",
       "expected \"chipcert-quota-policy\""},
      {"format type", "/format", 1, false, "/format", "expected a string"},
      {"version 2", "/format_version", 2, false, "/format_version", "an integer in [1, 1]"},
      {"version missing", "/format_version", nullptr, true, "/format_version", "required field"},
      {"name empty", "/name", "", false, "/name", "a non-empty string"},
      {"name missing", "/name", nullptr, true, "/name", "required field"},
      {"version type", "/version", 1, false, "/version", "a string"},
      {"description type", "/description", 3, false, "/description", "a string"},
      {"certification missing", "/certification", nullptr, true, "/certification",
       "required field"},
      {"certification type", "/certification", "smoke-v1", false, "/certification",
       "the certification requirement (an object)"},
      {"certification unknown", "/certification/tier", "x", false, "/certification/tier",
       "unknown field"},
      {"profile missing", "/certification/profile", nullptr, true, "/certification/profile",
       "required field"},
      {"profile empty", "/certification/profile", "", false, "/certification/profile", "non-empty"},
      {"profile_version type", "/certification/profile_version", 1.0, false,
       "/certification/profile_version", "a string"},
      {"min_tier empty", "/certification/min_tier", "", false, "/certification/min_tier",
       "non-empty"},
      {"max_age_days 0", "/certification/max_age_days", 0, false, "/certification/max_age_days",
       "an integer in [1, 36500]"},
      {"max_age_days float", "/certification/max_age_days", 1.5, false,
       "/certification/max_age_days", "an integer"},
      {"capacity_figure missing", "/capacity_figure", nullptr, true, "/capacity_figure",
       "required field"},
      {"capacity_figure empty", "/capacity_figure", "", false, "/capacity_figure", "non-empty"},
      {"total_units 0", "/total_units", 0, false, "/total_units", "an integer in [1, 1000000000]"},
      {"total_units huge", "/total_units", 2000000000, false, "/total_units",
       "an integer in [1, 1000000000]"},
      {"total_units string", "/total_units", "50000", false, "/total_units", "an integer"},
      {"total_units float", "/total_units", 50000.5, false, "/total_units", "an integer"},
      {"max_budget negative", "/max_budget", -1, false, "/max_budget", "a number in [0, "},
      {"max_budget string", "/max_budget", "1e9", false, "/max_budget", "a number"},
      {"max_power_w negative", "/max_power_w", -5, false, "/max_power_w", "a number in [0, "},
      {"categories missing", "/categories", nullptr, true, "/categories", "required field"},
      {"categories empty", "/categories", json::array(), false, "/categories",
       "at least one category"},
      {"categories type", "/categories", json::object(), false, "/categories", "an array"},
      {"category type", "/categories/0", "nvidia", false, "/categories/0",
       "a category (an object)"},
      {"category unknown", "/categories/0/share", 1, false, "/categories/0/share", "unknown field"},
      {"category id missing", "/categories/0/id", nullptr, true, "/categories/0/id",
       "required field"},
      {"category id duplicate", "/categories/1/id", "nvidia", false, "/categories/1/id",
       "a category id not used before"},
      {"category description type", "/categories/1/description", 1, false,
       "/categories/1/description", "a string"},
      {"vendors missing", "/categories/0/vendors", nullptr, true, "/categories/0/vendors",
       "required field"},
      {"vendors empty", "/categories/0/vendors", json::array(), false, "/categories/0/vendors",
       "at least one entry"},
      {"vendor empty", "/categories/0/vendors/0", "", false, "/categories/0/vendors/0",
       "a non-empty string"},
      {"vendor twice", "/categories/1/vendors/1", "NVIDIA", false, "/categories/1/vendors/1",
       "a vendor in one category only"},
      {"any_other false", "/categories/2/any_other", false, false, "/categories/2/any_other",
       "true"},
      {"any_other type", "/categories/2/any_other", "yes", false, "/categories/2/any_other",
       "a boolean"},
      {"any_other with vendors", "/categories/2/vendors", json::array({"Acme"}), false,
       "/categories/2/vendors", "no vendor list in the any-other category"},
      {"two any_other", "/categories/1", json({{"id", "o2"}, {"any_other", true}}), false,
       "/categories/2/any_other", "one any-other category"},
      {"no any_other", "/categories/2", json({{"id", "acme"}, {"vendors", {"Acme"}}}), false,
       "/categories", "an explicit any-other category"},
      {"rules missing", "/rules", nullptr, true, "/rules", "required field"},
      {"rules type", "/rules", "nv", false, "/rules", "an array"},
      {"rule type", "/rules/0", 5, false, "/rules/0", "a share rule (an object)"},
      {"rule unknown", "/rules/0/min", 5, false, "/rules/0/min", "unknown field"},
      {"rule id missing", "/rules/0/id", nullptr, true, "/rules/0/id", "required field"},
      {"rule id duplicate", "/rules/1/id", "nv", false, "/rules/1/id", "a rule id not used before"},
      {"rule id reserved", "/rules/1/id", "total-units", false, "/rules/1/id", "reserved"},
      {"rule id reserved available", "/rules/1/id", "available:x", false, "/rules/1/id",
       "reserved"},
      {"rationale type", "/rules/1/rationale", false, false, "/rules/1/rationale", "a string"},
      {"category unknown id", "/rules/0/category", "amd", false, "/rules/0/category",
       "a category id (nvidia, domestic, other)"},
      {"category missing", "/rules/0/category", nullptr, true, "/rules/0/category",
       "required field"},
      {"basis missing", "/rules/0/basis", nullptr, true, "/rules/0/basis", "required field"},
      {"basis wrong", "/rules/0/basis", "dollars", false, "/rules/0/basis",
       "\"units\" or \"capacity\""},
      {"min over 100", "/rules/0/min_percent", 101, false, "/rules/0/min_percent",
       "a percentage in [0, 100] with at most two decimals"},
      {"min negative", "/rules/1/min_percent", -1, false, "/rules/1/min_percent",
       "a percentage in [0, 100]"},
      {"min three decimals", "/rules/1/min_percent", 40.125, false, "/rules/1/min_percent",
       "at most two decimals"},
      {"min string", "/rules/1/min_percent", "40", false, "/rules/1/min_percent", "a percentage"},
      {"max over 100", "/rules/2/max_percent", 100.01, false, "/rules/2/max_percent",
       "a percentage in [0, 100]"},
      {"neither bound", "/rules/2/max_percent", nullptr, true, "/rules/2",
       "min_percent and/or max_percent"},
      {"min above max", "/rules/0/max_percent", 40, false, "/rules/0/max_percent",
       "a maximum >= the minimum 50 %"},
  };
  run_cases(base_policy(), cases, [](const std::string& t) { parse_policy(t, "policy.json"); });
}

TEST(QuotaPolicy, RejectsDuplicateKeysAndOversizedFiles) {
  const std::string dup = R"({"format": "chipcert-quota-policy", "format": "x"})";
  EXPECT_THROW(parse_policy(dup, "policy.json"), ParseError);
  const std::string big(chipcert::quota::kMaxInputBytes + 1, ' ');
  try {
    parse_policy(big, "policy.json");
    FAIL();
  } catch (const ParseError& e) {
    EXPECT_THAT(e.what(), HasSubstr("expected at most 4194304 bytes"));
  }
}

TEST(QuotaPlan, ParsesAndResolvesCertificatePaths) {
  const auto p = parse_plan(base_plan().dump(), "/data/plans/policy.json");
  ASSERT_EQ(p.lines.size(), 1u);
  EXPECT_EQ(p.lines[0].certificate_path, "/data/plans/certs/a.dsse.json");
  EXPECT_EQ(*p.lines[0].device, "example:0");
  EXPECT_EQ(p.lines[0].quantity, 10);
  auto abs = base_plan();
  abs["lines"][0]["certificate"] = "/abs/c.json";
  EXPECT_EQ(parse_plan(abs.dump(), "x/policy.json").lines[0].certificate_path, "/abs/c.json");
  // Round trip through serialize_plan.
  const auto again = parse_plan(chipcert::quota::serialize_plan(p), "/data/plans/policy.json");
  EXPECT_EQ(again.lines[0].certificate_path, p.lines[0].certificate_path);
  EXPECT_EQ(again.lines[0].unit_price, 30000);
}

TEST(QuotaPlan, EveryFieldIsValidated) {
  json two = base_plan();
  two["lines"].push_back(two["lines"][0]);
  two["lines"][1]["id"] = "b";
  EXPECT_NO_THROW(parse_plan(two.dump(), "policy.json"));
  const std::vector<Case> cases = {
      {"wrong format", "/format", "chipcert-quota-policy", false, "/format",
       "expected \"chipcert-procurement-plan\""},
      {"version", "/format_version", 0, false, "/format_version", "an integer in [1, 1]"},
      {"unknown", "/offers", json::array(), false, "/offers", "unknown field"},
      {"name missing", "/name", nullptr, true, "/name", "required field"},
      {"lines missing", "/lines", nullptr, true, "/lines", "required field"},
      {"lines empty", "/lines", json::array(), false, "/lines", "at least one entry"},
      {"line type", "/lines/0", 1, false, "/lines/0", "a plan line (an object)"},
      {"line unknown", "/lines/0/available", 5, false, "/lines/0/available", "unknown field"},
      {"id missing", "/lines/0/id", nullptr, true, "/lines/0/id", "required field"},
      {"id empty", "/lines/0/id", "", false, "/lines/0/id", "non-empty"},
      {"duplicate id", "/lines/1/id", "a", false, "/lines/1/id", "an id not used before"},
      {"certificate missing", "/lines/0/certificate", nullptr, true, "/lines/0/certificate",
       "required field"},
      {"certificate type", "/lines/0/certificate", 5, false, "/lines/0/certificate", "a string"},
      {"device empty", "/lines/0/device", "", false, "/lines/0/device", "non-empty"},
      {"vendor missing", "/lines/0/vendor", nullptr, true, "/lines/0/vendor", "required field"},
      {"model missing", "/lines/0/model", nullptr, true, "/lines/0/model", "required field"},
      {"model empty", "/lines/0/model", "", false, "/lines/0/model", "non-empty"},
      {"quantity missing", "/lines/0/quantity", nullptr, true, "/lines/0/quantity",
       "required field"},
      {"quantity negative", "/lines/0/quantity", -1, false, "/lines/0/quantity",
       "an integer in [0, 1000000000]"},
      {"quantity float", "/lines/0/quantity", 2.5, false, "/lines/0/quantity", "an integer"},
      {"quantity huge", "/lines/0/quantity", 1000000001, false, "/lines/0/quantity",
       "an integer in [0, 1000000000]"},
      {"price missing", "/lines/0/unit_price", nullptr, true, "/lines/0/unit_price",
       "required field"},
      {"price negative", "/lines/0/unit_price", -3, false, "/lines/0/unit_price",
       "a number in [0, "},
      {"price string", "/lines/0/unit_price", "3", false, "/lines/0/unit_price", "a number"},
      {"power missing", "/lines/0/unit_power_w", nullptr, true, "/lines/0/unit_power_w",
       "required field"},
      {"power negative", "/lines/0/unit_power_w", -700, false, "/lines/0/unit_power_w",
       "a number in [0, "},
  };
  run_cases(two, cases, [](const std::string& t) { parse_plan(t, "policy.json"); });
}

TEST(QuotaOffers, UseAvailableInsteadOfQuantity) {
  json o = base_plan();
  o["format"] = "chipcert-procurement-offers";
  o["offers"] = o["lines"];
  o.erase("lines");
  o["offers"][0]["available"] = 7;
  o["offers"][0].erase("quantity");
  const auto f = parse_offers(o.dump(), "offers.json");
  EXPECT_EQ(f.offers.at(0).quantity, 7);
  const std::vector<Case> cases = {
      {"plan format", "/format", "chipcert-procurement-plan", false, "/format",
       "expected \"chipcert-procurement-offers\""},
      {"quantity", "/offers/0/quantity", 3, false, "/offers/0/quantity", "unknown field"},
      {"available missing", "/offers/0/available", nullptr, true, "/offers/0/available",
       "required field"},
      {"available negative", "/offers/0/available", -2, false, "/offers/0/available",
       "an integer in [0, 1000000000]"},
      {"offers empty", "/offers", json::array(), false, "/offers", "at least one entry"},
  };
  run_cases(o, cases, [](const std::string& t) { parse_offers(t, "policy.json"); });
}

// The page is read by procurement committees; a vendor or model name comes
// from a certificate someone else made, so nothing in it may become markup.
TEST(QuotaHtml, EscapesEveryStringFromTheReport) {
  const std::string hostile = "Evil <script>alert(1)</script> & \"co\" \x01";
  const nlohmann::json report{
      {"format", "chipcert-quota-check"},
      {"compliant", false},
      {"policy", {{"name", hostile}, {"version", "1"}}},
      {"lines", {{{"id", "l1"}, {"vendor", hostile}, {"model", "m"}, {"accepted", false}}}}};
  const std::string html = chipcert::quota::render_html(report);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find('\x01'), std::string::npos);
  EXPECT_THAT(html, ::testing::HasSubstr("<td>Evil &lt;script&gt;alert(1)&lt;/script&gt; &amp; "
                                         "&quot;co&quot; \xEF\xBF\xBD</td>"));
  EXPECT_THAT(html, ::testing::HasSubstr("NON-COMPLIANT"));
}
