// The harness against every fault of the fault-injection driver
// (tests/fault_driver): it must survive each, record the right status with a
// reason, and never lose another device's results.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "process.hpp"

namespace ct = chipcert::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kBin = CHIPCERT_BIN;
const std::string kFaultDir = CHIPCERT_FAULT_PLUGIN_DIR;
const std::string kMiniSuite = CHIPCERT_MINI_SUITE;
const std::string kMiniProfile = CHIPCERT_MINI_PROFILE;

struct Outcome {
  int exit_code;
  std::string err;
  json doc;
  std::map<std::string, json> by_workload;  // fault device's cases
};

class FaultRun : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = ct::make_temp_dir("fault"); }
  void TearDown() override { fs::remove_all(dir_); }

  /// Run the mini suite on the fault device and the CPU, with the fault env.
  Outcome run(const std::vector<std::string>& env, const std::string& isolation = "case") {
    const std::string out = dir_ + "/r.json";
    auto r = ct::run_command(
        {kBin, "run", "--driver-path", kFaultDir, "--device", "fault", "--device", "cpu",
         "--suite-file", kMiniSuite, "--case-timeout", "4", "--isolation", isolation, "-o", out},
        env);
    Outcome o{r.exit_code, r.err, json(), {}};
    if (fs::exists(out)) o.doc = json::parse(ct::slurp(out));
    if (o.doc.is_object())
      for (const auto& c : o.doc.at("cases"))
        if (c.at("device") == "fault:0") o.by_workload[c.at("workload").get<std::string>()] = c;
    return o;
  }

  /// The CPU's cases are all there and passed, whatever the fault device did.
  static void expect_cpu_intact(const Outcome& o) {
    int cpu = 0;
    for (const auto& c : o.doc.at("cases"))
      if (c.at("device") == "cpu:0") {
        ++cpu;
        EXPECT_EQ(c.at("status"), "passed") << c.dump(2);
      }
    EXPECT_EQ(cpu, 3) << "the CPU device lost results";
  }

  std::string dir_;
};

struct CaseFault {
  const char* mode;
  const char* op;               // CHIPCERT_FAULT_OP
  const char* workload;         // the case that must show the fault
  const char* status;           // expected status of that case
  const char* reason_fragment;  // expected in its reason
};

class CaseFaults : public FaultRun, public ::testing::WithParamInterface<CaseFault> {};

}  // namespace

TEST_P(CaseFaults, RecordedWithStatusAndReasonOthersIntact) {
  const auto& f = GetParam();
  auto o = run({std::string("CHIPCERT_FAULT=") + f.mode, std::string("CHIPCERT_FAULT_OP=") + f.op});
  ASSERT_TRUE(o.doc.is_object()) << "no results document; stderr: " << o.err;
  EXPECT_EQ(o.exit_code, std::string(f.status) == "passed" ? 0 : 1) << o.err;
  ASSERT_TRUE(o.by_workload.count(f.workload)) << o.doc.dump(2);
  const json& c = o.by_workload.at(f.workload);
  EXPECT_EQ(c.at("status"), f.status) << c.dump(2);
  EXPECT_NE(c.value("reason", "").find(f.reason_fragment), std::string::npos) << c.dump(2);
  if (std::string(f.status) != "passed") {
    EXPECT_FALSE(c.contains("statistics")) << c.dump(2);
  }
  // The other cases of the faulty device still ran.
  EXPECT_EQ(o.by_workload.size(), 3u);
  expect_cpu_intact(o);
}

INSTANTIATE_TEST_SUITE_P(
    Harness, CaseFaults,
    ::testing::Values(
        CaseFault{"none", "any", "gemm", "passed", ""},
        CaseFault{"ulp", "any", "gemm", "passed", ""},
        CaseFault{"wrong", "gemm", "gemm", "failed", "verification before timing"},
        CaseFault{"wrong", "stream_triad", "stream_triad", "failed", "elements outside tolerance"},
        CaseFault{"nan", "gemm", "gemm", "failed", "outside tolerance"},
        CaseFault{"zeros", "gemm", "gemm", "mistrusted", "exactly zero"},
        CaseFault{"wrong_after", "gemm", "gemm", "failed", "verification after timing"},
        CaseFault{"error", "gemm", "gemm", "error", "injected device error"},
        CaseFault{"prepare_error", "gemm", "gemm", "error", "prepare"},
        CaseFault{"alloc_fail", "any", "gemm", "error", "alloc"},
        CaseFault{"hang", "gemm", "gemm", "timed_out", "case timeout"},
        CaseFault{"segv", "gemm", "gemm", "error", "SIGSEGV"},
        CaseFault{"abort", "gemm", "gemm", "error", "SIGABRT"},
        CaseFault{"leak", "gemm", "gemm", "passed", ""},
        CaseFault{"slow", "gemm", "gemm", "passed", ""},
        CaseFault{"flaky_timer", "any", "gemm", "error", "device timer returned"}),
    [](const auto& info) { return std::string(info.param.mode) + "_" + info.param.op; });

TEST_F(FaultRun, OpenFailureMarksEveryCaseOfThatDevice) {
  auto o = run({"CHIPCERT_FAULT=open_fail"});
  ASSERT_EQ(o.by_workload.size(), 3u) << o.err;
  for (const auto& [w, c] : o.by_workload) {
    EXPECT_EQ(c.at("status"), "error") << c.dump(2);
    EXPECT_NE(c.at("reason").get<std::string>().find("could not be opened"), std::string::npos);
  }
  expect_cpu_intact(o);
}

TEST_F(FaultRun, CrashWithDeviceIsolationRestartsTheWorkerForTheRest) {
  auto o = run({"CHIPCERT_FAULT=segv", "CHIPCERT_FAULT_OP=gemm"}, "device");
  ASSERT_EQ(o.by_workload.size(), 3u) << o.err;
  EXPECT_EQ(o.by_workload.at("gemm").at("status"), "error");
  EXPECT_EQ(o.by_workload.at("stream_triad").at("status"), "passed");
  EXPECT_EQ(o.by_workload.at("launch_latency").at("status"), "passed");
  expect_cpu_intact(o);
}

struct InfoFault {
  const char* mode;
  const char* problem_fragment;
};

class InfoFaults : public FaultRun, public ::testing::WithParamInterface<InfoFault> {};

TEST_P(InfoFaults, DeviceSkippedWithAProblemOthersListed) {
  auto r = ct::run_command({kBin, "devices", "--json", "--driver-path", kFaultDir},
                           {std::string("CHIPCERT_FAULT=") + GetParam().mode});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  bool cpu = false, fault = false, problem = false;
  for (const auto& d : j.at("devices")) {
    cpu = cpu || d.at("id") == "cpu:0";
    fault = fault || d.at("driver") == "fault";
  }
  for (const auto& p : j.at("driver_problems"))
    problem = problem || p.at("reason").get<std::string>().find(GetParam().problem_fragment) !=
                             std::string::npos;
  EXPECT_TRUE(cpu);
  EXPECT_FALSE(fault) << r.out;
  EXPECT_TRUE(problem) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Harness, InfoFaults,
                         ::testing::Values(InfoFault{"absurd_info", "empty name"},
                                           InfoFault{"unterminated_info", "not NUL-terminated"},
                                           InfoFault{"huge_count", "not believable"},
                                           InfoFault{"enumerate_error", "enumerate failed"}),
                         [](const auto& info) { return std::string(info.param.mode); });

namespace {

/// A run under each fault, certified and verified: the faulty device is never
/// VALID (and without a fault it is, so the profile can pass at all), the CPU
/// next to it stays VALID, and the certificate is still authentic.
class FaultCertificates : public FaultRun, public ::testing::WithParamInterface<const char*> {
 protected:
  static void SetUpTestSuite() {
    key_dir_ = ct::make_temp_dir("fault-key");
    auto k = ct::run_command({kBin, "key", "generate", "--out", key_dir_ + "/lab"});
    ASSERT_EQ(k.exit_code, 0) << k.err;
    auto t = ct::run_command({kBin, "key", "trust", "add", key_dir_ + "/trusted",
                              key_dir_ + "/lab.pub", "--not-before", "2000-01-01T00:00:00Z"});
    ASSERT_EQ(t.exit_code, 0) << t.err;
  }
  static void TearDownTestSuite() { fs::remove_all(key_dir_); }
  static std::string key_dir_;
};
std::string FaultCertificates::key_dir_;

}  // namespace

TEST_P(FaultCertificates, FaultyDeviceIsNeverValid) {
  const std::string mode = GetParam();
  auto o = run({"CHIPCERT_FAULT=" + mode, "CHIPCERT_FAULT_OP=gemm"});
  ASSERT_TRUE(o.doc.is_object()) << o.err;
  const std::string results = dir_ + "/r.json", cert = dir_ + "/r.dsse.json";
  // The fault driver is a stand-in: certified only because the test asks.
  auto c = ct::run_command({kBin, "certify", results, "--profile-file", kMiniProfile, "--key",
                            key_dir_ + "/lab.key", "--allow-stand-in", "-o", cert});
  EXPECT_EQ(c.exit_code, mode == "none" ? 0 : 1) << c.out << c.err;
  auto v = ct::run_command({kBin, "verify", cert, "--trusted-keys", key_dir_ + "/trusted",
                            "--profile-file", kMiniProfile, "--results", results, "--json"});
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;  // authentic: the verdict is what the data shows
  const json report = json::parse(v.out);
  std::map<std::string, bool> valid;
  for (const auto& d : report.at("verdict").at("devices"))
    valid[d.at("device").get<std::string>()] = d.at("valid").get<bool>();
  ASSERT_TRUE(valid.count("fault:0") && valid.count("cpu:0")) << v.out;
  EXPECT_EQ(valid.at("fault:0"), mode == "none") << mode << ": " << v.out;
  EXPECT_TRUE(valid.at("cpu:0")) << v.out;
  // verify names the stand-in, and only it.
  EXPECT_TRUE(report.at("stand_ins").contains("fault:0")) << v.out;
  EXPECT_FALSE(report.at("stand_ins").contains("cpu:0")) << v.out;
}

INSTANTIATE_TEST_SUITE_P(Harness, FaultCertificates,
                         ::testing::Values("none", "wrong", "zeros", "nan", "wrong_after", "error",
                                           "hang", "segv", "flaky_timer"),
                         [](const auto& info) { return std::string(info.param); });
