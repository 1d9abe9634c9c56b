// Workloads through the real binary on this machine's real devices (the CPU
// driver and PoCL). The transformer workloads: every scenario verifies, the
// server search reports its probes, single-stream samples are one query
// each, the training case reaches its target, the document is schema-valid
// and the HTML report draws the latency percentiles and the loss curve.
// `run --gbench-json`: Google Benchmark's own compare.py reads two runs.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "process.hpp"

namespace ct = chipcert::testing;
namespace fs = std::filesystem;
using nlohmann::json;

TEST(WorkloadsCli, TransformerScenariosAndTrainingVerifyOnCpuAndOpencl) {
  const std::string dir = ct::make_temp_dir("transformer");
  const std::string out = dir + "/results.json", html = dir + "/report.html";
  auto r = ct::run_command({CHIPCERT_BIN, "run", "--suite-file", CHIPCERT_TRANSFORMER_SUITE,
                            "--device", "cpu:0", "--device", "opencl", "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json doc = json::parse(ct::slurp(out));
  int cases = 0;
  for (const auto& c : doc.at("cases")) {
    ++cases;
    const std::string id = c.at("id");
    ASSERT_EQ(c.at("status"), "passed") << c.dump(2);
    const json& d = c.at("details");
    if (c.at("workload") == "transformer_train") {
      EXPECT_TRUE(d.at("reached_target").get<bool>()) << id;
      EXPECT_LT(d.at("final_loss").get<double>(), 0.1) << id;
    } else if (d.at("scenario") == "server") {
      // A 1 s bound is met at the cap, 1 / service time, in one probe.
      EXPECT_EQ(d.at("probes").size(), 1u) << id;
      EXPECT_GT(d.at("max_rate_qps").get<double>(), 0) << id;
      EXPECT_EQ(c.at("samples").size(), 30u) << id;
      EXPECT_FALSE(c.at("rates").contains("items_per_s")) << id;
    } else if (d.at("scenario") == "single_stream") {
      EXPECT_EQ(c.at("samples").size(), 30u) << id;  // one query per sample
      EXPECT_EQ(c.at("iterations"), 1) << id;
    } else {
      EXPECT_GT(c.at("rates").at("items_per_s").get<double>(), 0) << id;
      EXPECT_GT(c.at("rates").at("flop_per_s").get<double>(), 0) << id;
    }
  }
  EXPECT_EQ(cases, 8);  // 4 cases x 2 devices
  auto v = ct::run_command({"/usr/bin/python3", CHIPCERT_VALIDATOR, CHIPCERT_SCHEMA, out});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;

  auto rep = ct::run_command({CHIPCERT_BIN, "report", out, "-o", html});
  ASSERT_EQ(rep.exit_code, 0) << rep.out << rep.err;
  const std::string page = ct::slurp(html);
  for (const char* id : {"id=\"latency-cpu-0\"", "id=\"latency-opencl-0\"", "Loss curves"})
    EXPECT_NE(page.find(id), std::string::npos) << id;
  fs::remove_all(dir);
}

TEST(WorkloadsCli, RunWritesGoogleBenchmarkJsonThatCompareReads) {
  const std::string dir = ct::make_temp_dir("gbench");
  for (const char* name : {"a", "b"}) {
    const std::string base = dir + "/" + name;
    auto r = ct::run_command({CHIPCERT_BIN, "run", "--suite", "smoke", "--device", "cpu:0", "-o",
                              base + ".json", "--gbench-json", base + ".gbench.json"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("google benchmark json: " + base + ".gbench.json"), std::string::npos)
        << r.out;
    const json g = json::parse(ct::slurp(base + ".gbench.json"));
    EXPECT_TRUE(g.at("context").is_object());
    EXPECT_GE(g.at("benchmarks").size(), 5u * 5u);  // 5 cases x 5 repetitions at least
  }
  auto c = ct::run_command({"/usr/bin/python3", CHIPCERT_GBENCH_CHECK, CHIPCERT_GBENCH_COMPARE,
                            dir + "/a.gbench.json", dir + "/b.gbench.json"});
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  fs::remove_all(dir);
}
