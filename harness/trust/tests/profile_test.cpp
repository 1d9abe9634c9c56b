// Profiles: the shipped ones, the embedding, and strict parsing.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "chipcert/results/json.hpp"
#include "chipcert/trust/encoding.hpp"
#include "chipcert/trust/profile.hpp"
#include "chipcert/trust/trusted_keys.hpp"
#include "test_support.hpp"

namespace chipcert::trust {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

std::string error_of(const json& j) {
  try {
    parse_profile(j.dump(), "p.json");
  } catch (const results::ParseError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return "";
}

json base() {
  return json::parse(testing::test_profile().text);
}

TEST(Profiles, ShippedProfilesParseAndMatchTheirFiles) {
  std::set<std::string> names;
  for (const auto& e : builtin_profiles()) {
    SCOPED_TRACE(e.name);
    const Profile p = builtin_profile(e.name);
    EXPECT_EQ(p.name, e.name);  // file stem == "name"
    const std::string file = std::string(CHIPCERT_PROFILES_DIR) + "/" + e.name + ".json";
    EXPECT_EQ(p.text, read_file_limited(file, 1 << 20)) << "embedded bytes differ from " << file;
    EXPECT_EQ(p.sha256, sha256_hex(p.text));
    EXPECT_TRUE(find_builtin_profile(p.name, p.version, p.sha256).has_value());
    EXPECT_FALSE(find_builtin_profile(p.name, p.version, std::string(64, '0')).has_value());
    for (const auto& r : p.rules) EXPECT_FALSE(r.rationale.empty()) << r.id;
    names.insert(e.name);
  }
  EXPECT_EQ(names, (std::set<std::string>{"datacenter-inference-v1", "datacenter-training-v1",
                                          "edge-inference-v1", "smoke-v1"}));
  EXPECT_EQ(builtin_profile("datacenter-inference-v1").suite.name, "inference-v1");
  EXPECT_EQ(builtin_profile("edge-inference-v1").suite.name, "inference-v1");
  EXPECT_EQ(builtin_profile("datacenter-training-v1").suite.name, "training-v1");
  EXPECT_EQ(builtin_profile("smoke-v1").suite.name, "smoke");
}

TEST(Profiles, UnknownBuiltinListsNames) {
  try {
    builtin_profile("nope");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("smoke-v1"));
  }
}

TEST(Profiles, TestProfileHasEveryRuleType) {
  const Profile p = testing::test_profile();
  std::set<RuleType> types;
  for (const auto& r : p.rules) types.insert(r.type);
  EXPECT_EQ(types.size(), 8u);
  EXPECT_EQ(p.rules[6].selector, (CaseSelector{"gemm", "fp32", std::string("m256_n256_k256")}));
  EXPECT_DOUBLE_EQ(p.rules[6].max, 0.9);
  EXPECT_EQ(p.tiers[1].requirements[1].max, 0.0);
}

TEST(Profiles, WrongFormatRejected) {
  json j = base();
  j["format"] = "chipcert-suite";
  EXPECT_THAT(error_of(j), HasSubstr("p.json: /format: expected \"chipcert-profile\""));
  j = base();
  j["format_version"] = 2;
  EXPECT_THAT(error_of(j),
              HasSubstr("/format_version: expected an integer in [1, 1], found integer 2"));
}

TEST(Profiles, UnknownRuleTypeRejected) {
  json j = base();
  j["rules"][2]["type"] = "fastest";
  EXPECT_THAT(error_of(j),
              HasSubstr("/rules/2/type: expected one of \"suite\", \"required_cases\""));
}

TEST(Profiles, FieldOfAnotherRuleTypeRejected) {
  json j = base();
  j["rules"][0]["max"] = 1;
  EXPECT_THAT(error_of(j), HasSubstr("/rules/0/max: expected one of the fields of a suite rule"));
}

TEST(Profiles, MissingRationaleRejected) {
  json j = base();
  j["rules"][3].erase("rationale");
  EXPECT_THAT(error_of(j), HasSubstr("/rules/3/rationale: expected a string (required field)"));
}

TEST(Profiles, DuplicateRuleIdRejected) {
  json j = base();
  j["rules"][1]["id"] = "suite";
  EXPECT_THAT(error_of(j),
              HasSubstr("/rules/1/id: expected a rule id used once, found duplicate \"suite\""));
}

TEST(Profiles, BadBoundsRejected) {
  json j = base();
  j["rules"][4]["max"] = -0.1;
  EXPECT_THAT(error_of(j), HasSubstr("/rules/4/max: expected a number in [0, 100]"));
  j = base();
  j["rules"][3]["min"] = 2.5;
  EXPECT_THAT(error_of(j), HasSubstr("/rules/3/min: expected an integer in [1, 1000000]"));
  j = base();
  j["rules"][6]["max_drop"] = 1.5;
  EXPECT_THAT(error_of(j), HasSubstr("/rules/6/max_drop: expected a number in [0, 1]"));
}

TEST(Profiles, TierNamingUndefinedFigureRejected) {
  json j = base();
  j["tiers"][0]["requirements"][0]["figure"] = "fp64_gemm_gflops";
  EXPECT_THAT(
      error_of(j),
      HasSubstr(
          "/tiers/0/requirements/0/figure: expected the name of a figure defined in /figures"));
  j = base();
  j["tiers"][0]["requirements"][0].erase("min");
  EXPECT_THAT(error_of(j),
              HasSubstr("/tiers/0/requirements/0: expected a \"min\" or a \"max\" bound"));
}

TEST(Profiles, BadFigureRejected) {
  json j = base();
  j["figures"][0]["rate"] = "items_per_s";
  EXPECT_THAT(
      error_of(j),
      HasSubstr("/figures/0/rate: expected one of \"flop_per_s\", \"bytes_per_s\", \"seconds\""));
  j = base();
  j["figures"][1]["name"] = "fp32_gemm_gflops";
  EXPECT_THAT(error_of(j), HasSubstr("/figures/1/name: expected a figure name used once"));
  j = base();
  j["figures"][0]["case"]["shape"] = "x";
  EXPECT_THAT(error_of(j),
              HasSubstr("/figures/0/case/shape: expected one of the fields of a case selector"));
}

TEST(Profiles, DuplicateKeyInTextRejected) {
  EXPECT_THROW(parse_profile(R"({"format": "chipcert-profile", "format": "x"})", "p.json"),
               results::ParseError);
}

TEST(Profiles, SelectorMatchesLabelFromCaseId) {
  results::Case c;
  c.id = "gemm/m256_n256_k256/fp32@cpu:0";
  c.workload = "gemm";
  c.dtype = "fp32";
  c.device = "cpu:0";
  EXPECT_EQ(case_label(c), "m256_n256_k256");
  EXPECT_TRUE(matches({"gemm", "fp32", std::nullopt}, c));
  EXPECT_TRUE(matches({"gemm", "fp32", std::string("m256_n256_k256")}, c));
  EXPECT_FALSE(matches({"gemm", "fp32", std::string("m512_n512_k512")}, c));
  EXPECT_FALSE(matches({"gemm", "fp16", std::nullopt}, c));
}

}  // namespace
}  // namespace chipcert::trust
