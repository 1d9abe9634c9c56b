// `chipcert conformance` through the real binary: the example plugin passes
// every check; each fault of the fault-injection plugin is a FAIL with a
// reason, and conformance itself always finishes with exit code 1.

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "process.hpp"

namespace ct = chipcert::testing;
using nlohmann::json;

namespace {

const std::string kBin = CHIPCERT_BIN;
const std::string kPlugins = CHIPCERT_PLUGIN_DIR;
const std::string kFaultDir = CHIPCERT_FAULT_PLUGIN_DIR;

struct Report {
  int exit_code = -1;
  std::string err;
  json doc;
  std::map<std::string, json> checks;  // of the first driver
};

Report conformance(const std::string& path, const std::vector<std::string>& env,
                   const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{
      kBin, "--no-builtin-drivers", "conformance", "--driver-path", path, "--json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  std::vector<std::string> full_env{"CHIPCERT_DRIVER_PATH="};
  full_env.insert(full_env.end(), env.begin(), env.end());
  const auto r = ct::run_command(argv, full_env);
  Report rep{r.exit_code, r.err, json(), {}};
  rep.doc = json::parse(r.out, nullptr, false);
  if (rep.doc.is_object() && !rep.doc.at("drivers").empty())
    for (const auto& c : rep.doc.at("drivers")[0].at("checks"))
      rep.checks[c.at("id").get<std::string>()] = c;
  return rep;
}

std::string reason(const Report& r, const std::string& id) {
  return r.checks.count(id) ? r.checks.at(id).at("reason").get<std::string>() : "<no check>";
}

bool passed(const Report& r, const std::string& id) {
  return r.checks.count(id) && r.checks.at(id).at("status") == "pass";
}

TEST(Conformance, ExamplePluginPassesEveryCheck) {
  const Report r = conformance(kPlugins, {});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.doc.dump(2);
  ASSERT_TRUE(r.doc.is_object());
  EXPECT_EQ(r.doc.at("conformant"), true);
  ASSERT_EQ(r.doc.at("drivers").size(), 1u);
  EXPECT_EQ(r.doc.at("drivers")[0].at("name"), "example");
  EXPECT_GE(r.checks.size(), 30u);  // 9 ABI/memory + 20 op kinds + 5 more
  for (const auto& [id, c] : r.checks) EXPECT_EQ(c.at("status"), "pass") << id << ": " << c.dump();
  EXPECT_NE(reason(r, "op.gemm").find("verified fp32"), std::string::npos) << reason(r, "op.gemm");
  EXPECT_NE(reason(r, "op.stream_triad").find("verified fp64,fp32"), std::string::npos)
      << reason(r, "op.stream_triad");
  EXPECT_NE(reason(r, "op.conv2d").find("unsupported"), std::string::npos);
  EXPECT_NE(reason(r, "abi.newer").find("v1 table"), std::string::npos);
}

TEST(Conformance, TextOutputHasOneLinePerCheck) {
  const auto r =
      ct::run_command({kBin, "--no-builtin-drivers", "conformance", "--driver-path", kPlugins},
                      {"CHIPCERT_DRIVER_PATH=", "CHIPCERT_EXAMPLE_DEVICES=2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PASS  abi.current "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PASS  threads "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("two devices used from two threads"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(": CONFORMANT"), std::string::npos) << r.out;
}

// The built-in drivers meet the same contracts; skipped in a build without them.
class BuiltinConformance : public ::testing::TestWithParam<const char*> {};

TEST_P(BuiltinConformance, PassesEveryCheck) {
  const auto r = ct::run_command({kBin, "conformance", "--driver", GetParam(), "--json"},
                                 {"CHIPCERT_DRIVER_PATH="});
  if (r.exit_code == 4) GTEST_SKIP() << GetParam() << " is not built in: " << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json doc = json::parse(r.out);
  ASSERT_EQ(doc.at("drivers").size(), 1u);
  EXPECT_EQ(doc.at("drivers")[0].at("source"), "builtin");
  EXPECT_EQ(doc.at("drivers")[0].at("failed"), 0);
  EXPECT_GE(doc.at("drivers")[0].at("passed").get<int>(), 30);
}

INSTANTIATE_TEST_SUITE_P(Drivers, BuiltinConformance, ::testing::Values("cpu", "opencl"),
                         [](const ::testing::TestParamInfo<const char*>& i) {
                           return std::string(i.param);
                         });

TEST(Conformance, UsageAndUnknownDriver) {
  auto r =
      ct::run_command({kBin, "--no-builtin-drivers", "conformance"}, {"CHIPCERT_DRIVER_PATH="});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--driver-path"), std::string::npos) << r.err;
  r = ct::run_command({kBin, "--no-builtin-drivers", "conformance", "--driver-path", kPlugins,
                       "--driver", "nosuch"},
                      {"CHIPCERT_DRIVER_PATH="});
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_NE(r.err.find("\"nosuch\""), std::string::npos) << r.err;
}

TEST(Conformance, UnloadablePluginsAreFailuresNotCrashes) {
  const std::string dir = CHIPCERT_TEST_PLUGIN_DIR;
  const Report r = conformance(dir + "/no_entry", {}, {"--driver-path", dir + "/null_entry"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ASSERT_TRUE(r.doc.is_object()) << r.err;
  EXPECT_EQ(r.doc.at("conformant"), false);
  std::string all;
  for (const auto& f : r.doc.at("load_failures")) all += f.dump() + "\n";
  EXPECT_NE(all.find("no symbol chipcert_driver_entry"), std::string::npos) << all;
  EXPECT_NE(all.find("returned NULL"), std::string::npos) << all;
}

struct FaultCase {
  const char* mode;
  std::vector<std::string> env;  // beyond CHIPCERT_FAULT
  const char* failing_check;
  const char* reason_contains;
  const char* still_passing;  // a check the fault must not touch ("" for none)
};

// gtest prints the mode, not the struct's bytes.
void PrintTo(const FaultCase& f, std::ostream* os) {
  *os << f.mode;
}

class ConformanceFault : public ::testing::TestWithParam<FaultCase> {};

TEST_P(ConformanceFault, ReportedAsFailWithReason) {
  const FaultCase& f = GetParam();
  std::vector<std::string> env{std::string("CHIPCERT_FAULT=") + f.mode};
  env.insert(env.end(), f.env.begin(), f.env.end());
  const Report r = conformance(kFaultDir, env, {"--check-timeout", "3"});
  ASSERT_EQ(r.exit_code, 1) << f.mode << ": " << r.err;
  ASSERT_TRUE(r.doc.is_object()) << r.err;
  EXPECT_EQ(r.doc.at("conformant"), false);
  ASSERT_TRUE(r.checks.count(f.failing_check)) << r.doc.dump(2);
  EXPECT_EQ(r.checks.at(f.failing_check).at("status"), "fail") << reason(r, f.failing_check);
  EXPECT_NE(reason(r, f.failing_check).find(f.reason_contains), std::string::npos)
      << f.mode << ": " << reason(r, f.failing_check);
  if (*f.still_passing) {
    EXPECT_TRUE(passed(r, f.still_passing)) << reason(r, f.still_passing);
  }
  // Every check still has a line, whatever the driver did.
  EXPECT_GE(r.checks.size(), 30u);
}

const std::vector<std::string> kGemm{"CHIPCERT_FAULT_OP=gemm"};

INSTANTIATE_TEST_SUITE_P(
    Modes, ConformanceFault,
    ::testing::Values(
        FaultCase{"segv", kGemm, "op.gemm", "SIGSEGV", "op.stream_triad"},
        FaultCase{"abort", kGemm, "op.gemm", "SIGABRT", "op.stream_triad"},
        FaultCase{"wrong", kGemm, "op.gemm", "first launch wrong", "op.stream_copy"},
        FaultCase{"wrong_after", kGemm, "op.gemm", "second launch wrong", "op.stream_copy"},
        FaultCase{"nan", kGemm, "op.gemm", "wrong", "op.stream_copy"},
        FaultCase{"zeros", kGemm, "op.gemm", "mistrusted", "op.stream_copy"},
        FaultCase{"error", kGemm, "op.gemm", "injected device error", "op.stream_copy"},
        FaultCase{"prepare_error", kGemm, "op.gemm", "injected prepare failure", "op.noop"},
        FaultCase{"hang", kGemm, "op.gemm", "timed out after 3 s during fp", "op.noop"},
        FaultCase{"alloc_fail", {}, "open.repeated", "injected allocation failure", "abi.newer"},
        FaultCase{"open_fail", {}, "open.repeated", "injected open failure", "info.fields"},
        FaultCase{"unterminated_info", {}, "info.fields", "not NUL-terminated", "open.repeated"},
        FaultCase{"absurd_info", {}, "info.fields", "name is empty", "open.repeated"},
        FaultCase{"huge_count", {}, "enumerate.stable", "not believable", "abi.current"},
        FaultCase{"oversize",
                  {"CHIPCERT_FAULT_OP=stream_copy"},
                  "args.sizes",
                  "stream_copy: launch with buffers of exactly the documented sizes returned "
                  "CC_ERR_INVALID_ARGUMENT",
                  "op.gemm"},
        FaultCase{"flaky_timer",
                  {"CHIPCERT_FAULT_OP=stream_copy"},
                  "timer.timed_launch",
                  "(expected a finite time in (0, 60) s)",
                  "op.stream_copy"},
        FaultCase{"enumerate_error",
                  {},
                  "enumerate.stable",
                  "injected enumerate failure",
                  "abi.current"}),
    [](const ::testing::TestParamInfo<FaultCase>& i) { return std::string(i.param.mode); });

}  // namespace
