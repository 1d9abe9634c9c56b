// Suite files: every built-in suite parses; every malformed one names the place.

#include "chipcert/harness/suite.hpp"

#include <gtest/gtest.h>

#include "chipcert/results/json.hpp"

namespace ch = chipcert::harness;

namespace {
std::string suite_with_cases(const std::string& cases, const std::string& extra = "") {
  return R"({"format": "chipcert-suite", "format_version": 1, "name": "t", "version": "1.0",)" +
         extra + R"( "cases": )" + cases + "}";
}

void expect_error(const std::string& text, const std::string& pointer,
                  const std::string& fragment) {
  try {
    ch::parse_suite(text, "t.json");
    FAIL() << "accepted: " << text;
  } catch (const chipcert::results::ParseError& e) {
    EXPECT_EQ(e.pointer(), pointer) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("t.json"), std::string::npos) << e.what();
  }
}
}  // namespace

TEST(Suite, EveryBuiltinSuiteParses) {
  ASSERT_FALSE(ch::builtin_suites().empty());
  for (const auto& e : ch::builtin_suites()) {
    const auto s = ch::builtin_suite(e.name);
    EXPECT_EQ(s.name, e.name);
    EXPECT_FALSE(s.version.empty());
    EXPECT_FALSE(s.cases.empty());
  }
}

TEST(Suite, SmokeHasGemmAtThreeSizesTriadAndLaunchLatency) {
  const auto s = ch::builtin_suite("smoke");
  int gemm = 0, triad = 0, launch = 0;
  for (const auto& c : s.cases) {
    gemm += c.spec.workload == "gemm" && c.spec.dtype == CC_DTYPE_F32;
    triad += c.spec.workload == "stream_triad";
    launch += c.spec.workload == "launch_latency";
  }
  EXPECT_EQ(gemm, 3);
  EXPECT_EQ(triad, 1);
  EXPECT_EQ(launch, 1);
}

TEST(Suite, UnknownBuiltinListsValidNames) {
  try {
    ch::builtin_suite("nosuch");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("smoke"), std::string::npos);
  }
}

TEST(Suite, ExpandsDtypesTimesShapes) {
  const auto s =
      ch::parse_suite(suite_with_cases(R"([{"workload": "gemm", "dtypes": ["fp32", "fp64"],
                            "shapes": [{"m": 2, "n": 3, "k": 4}, {"m": 5, "n": 6, "k": 7}]}])"),
                      "t.json");
  ASSERT_EQ(s.cases.size(), 4u);
  EXPECT_EQ(s.cases[0].label, "m2_n3_k4");
}

TEST(Suite, Errors) {
  expect_error("[]", "", "expected an object");
  expect_error("{", "", "valid JSON");
  expect_error(suite_with_cases("[]"), "/cases", "at least one");
  expect_error(suite_with_cases(R"([{"workload": "nope", "dtypes": ["fp32"], "shapes": [{}]}])"),
               "/cases/0/workload", "gemm");
  expect_error(suite_with_cases(R"([{"workload": "gemm", "dtypes": ["fp33"], "shapes": [{}]}])"),
               "/cases/0/dtypes/0", "fp33");
  expect_error(suite_with_cases(
                   R"([{"workload": "gemm", "dtypes": ["fp32"], "shapes": [{"m": 1, "n": 1}]}])"),
               "/cases/0/shapes/0", "\"k\" is required");
  expect_error(
      suite_with_cases(
          R"([{"workload": "gemm", "dtypes": ["fp32"], "shapes": [{"m": 1, "n": 1, "k": 1, "q": 2}]}])"),
      "/cases/0/shapes/0", "unknown parameter \"q\"");
  expect_error(
      suite_with_cases(
          R"([{"workload": "gemm", "dtypes": ["fp32"], "shapes": [{"m": -1, "n": 1, "k": 1}]}])"),
      "/cases/0/shapes/0", "found -1");
  expect_error(
      suite_with_cases(
          R"([{"workload": "gemm", "workload": "gemm", "dtypes": ["fp32"], "shapes": [{}]}])"),
      "/cases/0", "duplicate key");
  expect_error(
      suite_with_cases(R"([{"workload": "stream_triad", "dtypes": ["fp32"], "shapes": [{}, {}]}])"),
      "/cases/0/shapes/1", "unique");
  expect_error(suite_with_cases(
                   R"([{"workload": "gemm", "dtypes": ["fp32"], "shapes": [{"m":1,"n":1,"k":1}]}])",
                   R"( "defaults": {"repetitions": 0},)"),
               "/defaults/repetitions", "[1, 1000]");
  expect_error(suite_with_cases(
                   R"([{"workload": "gemm", "dtypes": ["fp32"], "shapes": [{"m":1,"n":1,"k":1}]}])",
                   R"( "extra": 1,)"),
               "/extra", "unknown key");
  expect_error(
      R"({"format": "other", "format_version": 1, "name": "t", "version": "1", "cases": []})",
      "/format", "chipcert-suite");
  expect_error(
      R"({"format": "chipcert-suite", "format_version": 2, "name": "t", "version": "1", "cases": []})",
      "/format_version", "expected 1");
  expect_error(R"({"format": "chipcert-suite", "format_version": 1, "version": "1", "cases": []})",
               "/name", "required");
}
