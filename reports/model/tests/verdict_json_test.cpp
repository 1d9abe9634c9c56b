// The verdict's JSON form: round trip, and every rejection names the pointer.

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "chipcert/results/json.hpp"
#include "chipcert/results/verdict.hpp"

namespace chipcert::results {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

Verdict sample_verdict() {
  Verdict v;
  v.profile = {"smoke-v1", "1.0", std::string(64, 'a')};
  DeviceVerdict d;
  d.device = "cpu:0";
  d.valid = false;
  d.tier = "";
  d.rules.push_back({"max-cv", "noisy runs are not figures", false, "cv 0.61 (gemm@cpu:0)",
                     "<= 0.5", "gemm/m256_n256_k256/fp32@cpu:0: cv 0.61"});
  d.rules.push_back({"clean-build", "a dirty tree is not reproducible", true, "dirty false",
                     "dirty false, commit known", ""});
  d.figures.push_back(
      {"fp32_gemm_gflops", 123.456789012345, "GFLOP/s", "gemm/m1024_n1024_k1024/fp32@cpu:0"});
  v.devices.push_back(d);
  d.device = "opencl:0";
  d.valid = true;
  d.tier = "bronze";
  v.devices.push_back(d);
  return v;
}

std::string error_of(const json& j) {
  try {
    verdict_from_json(j, "cert.json", "/predicate/verdict");
  } catch (const ParseError& e) {
    EXPECT_EQ(e.source(), "cert.json");
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << j.dump();
  return "";
}

TEST(VerdictJson, RoundTripIsExact) {
  const Verdict v = sample_verdict();
  const json j = to_json(v);
  EXPECT_EQ(verdict_from_json(j, "t"), v);
  // Through text too: doubles survive dump/parse bit for bit.
  EXPECT_EQ(verdict_from_json(parse_json_strict(j.dump(), "t"), "t"), v);
}

TEST(VerdictJson, EmptyDeviceListRoundTrips) {
  Verdict v;
  v.profile = {"p", "1", "x"};
  EXPECT_EQ(verdict_from_json(to_json(v), "t"), v);
}

TEST(VerdictJson, MissingFieldNamesPointer) {
  json j = to_json(sample_verdict());
  j["devices"][1]["rules"][0].erase("passed");
  EXPECT_THAT(error_of(j), HasSubstr("/predicate/verdict/devices/1/rules/0/passed: expected a "
                                     "value (required field), found nothing"));
}

TEST(VerdictJson, WrongTypeNamesPointer) {
  json j = to_json(sample_verdict());
  j["devices"][0]["valid"] = "true";
  EXPECT_THAT(error_of(j), HasSubstr("/predicate/verdict/devices/0/valid: expected a boolean, "
                                     "found string \"true\""));
  j = to_json(sample_verdict());
  j["devices"][0]["figures"][0]["value"] = "12";
  EXPECT_THAT(error_of(j), HasSubstr("/devices/0/figures/0/value: expected a finite number"));
  j = to_json(sample_verdict());
  j["devices"] = json::object();
  EXPECT_THAT(error_of(j), HasSubstr("/predicate/verdict/devices: expected an array"));
  EXPECT_THAT(error_of(json::array()),
              HasSubstr("expected a verdict (an object), found empty array"));
}

TEST(VerdictJson, UnknownFieldRejected) {
  json j = to_json(sample_verdict());
  j["devices"][0]["rules"][1]["score"] = 1;
  EXPECT_THAT(error_of(j), HasSubstr("/devices/0/rules/1/score: expected one of the fields of a "
                                     "rule verdict"));
  j = to_json(sample_verdict());
  j["profile"]["digest"] = "x";
  EXPECT_THAT(error_of(j), HasSubstr("/predicate/verdict/profile/digest: expected one of the "
                                     "fields of a profile reference"));
}

TEST(VerdictJson, DuplicateDeviceRejected) {
  json j = to_json(sample_verdict());
  j["devices"][1]["device"] = "cpu:0";
  EXPECT_THAT(error_of(j), HasSubstr("/devices/1/device: expected each device once, found "
                                     "duplicate \"cpu:0\""));
  j["devices"][1]["device"] = "";
  EXPECT_THAT(error_of(j), HasSubstr("/devices/1/device: expected a non-empty device id"));
}

TEST(VerdictJson, DuplicateKeyInTextRejected) {
  const std::string text = R"({"profile": {"name": "a", "name": "b", "version": "1", "sha256": ""},
                               "devices": []})";
  EXPECT_THROW(parse_json_strict(text, "t"), ParseError);
}

TEST(VerdictJson, NonFiniteFigureNotWritten) {
  Verdict v = sample_verdict();
  v.devices[0].figures[0].value = std::numeric_limits<double>::quiet_NaN();
  try {
    (void)to_json(v);
    ADD_FAILURE() << "NaN written";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("/devices/0/figures/0/value"));
  }
}

TEST(VerdictJson, InvalidUtf8NotWritten) {
  Verdict v = sample_verdict();
  v.devices[1].rules[0].detail = "\xff";
  EXPECT_THROW((void)to_json(v), std::invalid_argument);
}

}  // namespace
}  // namespace chipcert::results
