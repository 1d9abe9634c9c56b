// Fleet runs through the real binary under Open MPI's mpirun, all ranks on
// this machine (loopback). Registered only in builds with MPI (label "mpi").
//
// mpirun flags, and why: --allow-run-as-root (CI containers run as root and
// Open MPI refuses that by default); --oversubscribe (3 ranks on a 2-core
// machine); --mca btl self,vader,tcp with vader's single-copy mechanism off
// (CMA's process_vm_readv needs ptrace rights containers often deny, and
// Open MPI then aborts the job on the first large message).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "process.hpp"

namespace ct = chipcert::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kBin = CHIPCERT_BIN;
const std::string kMpirun = CHIPCERT_MPIEXEC;
const std::string kFaultPlugins = CHIPCERT_FAULT_PLUGIN_DIR;
const std::string kMiniSuite = CHIPCERT_MINI_SUITE;
const std::string kMiniProfile = CHIPCERT_MINI_PROFILE;
const std::string kSchema = CHIPCERT_SCHEMA;
const std::string kValidator = CHIPCERT_VALIDATOR;

std::vector<std::string> mpirun_prefix() {
  return {kMpirun, "--allow-run-as-root", "--oversubscribe", "--mca",
          "btl",   "self,vader,tcp",      "--mca",           "btl_vader_single_copy_mechanism",
          "none"};
}

/// `mpirun -np N chipcert run --fleet ARGS...`
ct::CommandResult fleet_run(int np, const std::vector<std::string>& args,
                            const std::vector<std::string>& env = {}) {
  auto argv = mpirun_prefix();
  for (const auto& e : env) {
    argv.push_back("-x");
    argv.push_back(e.substr(0, e.find('=')));
  }
  argv.insert(argv.end(), {"-np", std::to_string(np), kBin, "run", "--fleet"});
  argv.insert(argv.end(), args.begin(), args.end());
  return ct::run_command(argv, env);
}

/// Options for a quick fleet run on the fault-injection plugin's device
/// (correct and fast unless told otherwise) with the three-case mini suite.
std::vector<std::string> mini_on_fault(const std::string& out) {
  return {"--driver-path",
          kFaultPlugins,
          "--device",
          "fault:0",
          "--suite-file",
          kMiniSuite,
          "--isolation",
          "none",
          "-q",
          "-o",
          out};
}

json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) return json();
  return json::parse(in);
}

class Fleet : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = ct::make_temp_dir("fleet"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  void expect_schema_valid(const std::string& file) {
    auto v = ct::run_command({"/usr/bin/python3", kValidator, kSchema, file});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  }
  std::string dir_;
};

std::map<std::string, double> bus_factors(const json& doc) {
  std::map<std::string, double> f;
  for (const auto& c : doc.at("fleet").at("collectives"))
    f[c.at("op").get<std::string>()] = c.at("bus_factor").get<double>();
  return f;
}

}  // namespace

TEST_F(Fleet, ThreeRanksSmokeOnCpuCertifiesAndVerifies) {
  const std::string out = path("fleet.json");
  auto r = fleet_run(3, {"--suite", "smoke", "--device", "cpu:0", "--isolation", "none",
                         "--repetitions", "5", "--min-time", "0.01", "-q", "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json doc = read_json(out);
  ASSERT_TRUE(doc.is_object()) << r.out << r.err;
  expect_schema_valid(out);
  const json& f = doc.at("fleet");
  EXPECT_EQ(f.at("ranks"), 3);
  ASSERT_EQ(f.at("nodes").size(), 3u);
  for (int k = 0; k < 3; ++k) {
    const json& n = f.at("nodes")[static_cast<size_t>(k)];
    EXPECT_EQ(n.at("rank"), k);
    EXPECT_EQ(n.at("status"), "ok") << n.dump();
    EXPECT_EQ(n.at("cases"), 5);
    EXPECT_EQ(n.at("devices"), json::array({"r" + std::to_string(k) + "/cpu:0"}));
    EXPECT_FALSE(n.at("host").at("cpu_model").get<std::string>().empty());
  }
  EXPECT_EQ(doc.at("devices").size(), 3u);
  EXPECT_EQ(doc.at("cases").size(), 15u);
  EXPECT_EQ(f.at("totals").at("cases_passed"), 15);
  EXPECT_FALSE(doc.at("finished_at").get<std::string>().empty());

  // certify / verify / report / compare take it like any other document.
  auto k = ct::run_command({kBin, "key", "generate", "--out", path("lab")});
  ASSERT_EQ(k.exit_code, 0) << k.err;
  auto t = ct::run_command({kBin, "key", "trust", "add", path("trusted"), path("lab.pub"),
                            "--not-before", "2000-01-01T00:00:00Z"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const std::string cert = path("fleet.cert.json");
  auto c = ct::run_command(
      {kBin, "certify", out, "--profile", "smoke-v1", "--key", path("lab.key"), "-o", cert});
  // 1 is a legitimate verdict here (a test tree is dirty: the clean-build rule).
  ASSERT_TRUE(c.exit_code == 0 || c.exit_code == 1) << c.out << c.err;
  auto v = ct::run_command({kBin, "verify", cert, "--trusted-keys", path("trusted"), "--json"});
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  const json report = json::parse(v.out);
  std::set<std::string> devices;
  for (const auto& d : report.at("verdict").at("devices")) {
    devices.insert(d.at("device").get<std::string>());
    for (const auto& rule : d.at("rules")) {
      const std::string id = rule.at("rule_id").get<std::string>();
      if (id == "all-cases-verified" || id == "required-cases-passed") {
        EXPECT_TRUE(rule.at("passed").get<bool>()) << rule.dump();
      }
    }
  }
  EXPECT_EQ(devices, (std::set<std::string>{"r0/cpu:0", "r1/cpu:0", "r2/cpu:0"}));
  auto md = ct::run_command({kBin, "report", out, "-f", "md", "-o", path("fleet.md")});
  EXPECT_EQ(md.exit_code, 0) << md.err;
  const std::string markdown = ct::slurp(path("fleet.md"));
  EXPECT_NE(markdown.find("r2/cpu:0"), std::string::npos);
  EXPECT_NE(markdown.find("### Fleet: 3 ranks"), std::string::npos) << markdown;
  auto cmp = ct::run_command({kBin, "compare", out, out});
  EXPECT_EQ(cmp.exit_code, 0) << cmp.out << cmp.err;
}

TEST_F(Fleet, TwoRanksCollectivesVerifyWithTheStandardBusFactors) {
  const std::string out = path("fleet.json");
  auto args = mini_on_fault(out);
  args.insert(args.end(), {"--collectives", "--collective-max-bytes", "65536"});
  auto r = fleet_run(2, args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json doc = read_json(out);
  expect_schema_valid(out);
  const json& coll = doc.at("fleet").at("collectives");
  // Five operations x 8 B .. 64 KiB (14 sizes); with two ranks the split
  // operations start at 16 B (one double per rank), so they have 13.
  ASSERT_EQ(coll.size(), 2u * 14u + 3u * 13u);
  std::set<std::pair<std::string, uint64_t>> seen;
  for (const auto& c : coll) {
    EXPECT_TRUE(seen.insert({c.at("op").get<std::string>(), c.at("bytes").get<uint64_t>()}).second)
        << "measured twice: " << c.dump();
    EXPECT_TRUE(c.at("verified").get<bool>()) << c.dump();
    EXPECT_EQ(c.at("wrong_elements"), 0);
    EXPECT_EQ(c.at("ranks"), 2);
    EXPECT_GT(c.at("latency_s").get<double>(), 0);
    EXPECT_DOUBLE_EQ(c.at("busbw_bytes_per_s").get<double>(),
                     c.at("algbw_bytes_per_s").get<double>() * c.at("bus_factor").get<double>());
  }
  const auto f = bus_factors(doc);
  EXPECT_DOUBLE_EQ(f.at("allreduce"), 2.0 * (2 - 1) / 2);
  EXPECT_DOUBLE_EQ(f.at("reduce_scatter"), (2 - 1) / 2.0);
  EXPECT_DOUBLE_EQ(f.at("allgather"), (2 - 1) / 2.0);
  EXPECT_DOUBLE_EQ(f.at("alltoall"), (2 - 1) / 2.0);
  EXPECT_DOUBLE_EQ(f.at("broadcast"), 1.0);
}

TEST_F(Fleet, ThreeRanksCollectivesUseTheirBusFactors) {
  const std::string out = path("fleet.json");
  auto args = mini_on_fault(out);
  args.insert(args.end(), {"--collectives", "--collective-max-bytes", "1024"});
  auto r = fleet_run(3, args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json doc = read_json(out);
  for (const auto& c : doc.at("fleet").at("collectives"))
    EXPECT_TRUE(c.at("verified").get<bool>()) << c.dump();
  const auto f = bus_factors(doc);
  EXPECT_DOUBLE_EQ(f.at("allreduce"), 2.0 * (3 - 1) / 3);
  EXPECT_DOUBLE_EQ(f.at("reduce_scatter"), (3 - 1) / 3.0);
  EXPECT_DOUBLE_EQ(f.at("allgather"), (3 - 1) / 3.0);
  EXPECT_DOUBLE_EQ(f.at("alltoall"), (3 - 1) / 3.0);
  EXPECT_DOUBLE_EQ(f.at("broadcast"), 1.0);
}

TEST_F(Fleet, ARankThatDiesIsRecordedMissingAndTheOthersAreKept) {
  const std::string out = path("fleet.json");
  // The test hook: rank 1 kills itself instead of reporting; Open MPI then
  // tears the job down.
  auto r = fleet_run(3, mini_on_fault(out), {"CHIPCERT_FLEET_TEST_DIE_RANK=1"});
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  const json doc = read_json(out);
  ASSERT_TRUE(doc.is_object()) << r.out << r.err;
  expect_schema_valid(out);
  const json& nodes = doc.at("fleet").at("nodes");
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0].at("status"), "ok");
  EXPECT_EQ(nodes[1].at("status"), "missing");
  EXPECT_NE(nodes[1].at("reason").get<std::string>().find("no results"), std::string::npos);
  EXPECT_EQ(nodes[2].at("status"), "ok");
  std::set<std::string> devices;
  for (const auto& c : doc.at("cases")) devices.insert(c.at("device").get<std::string>());
  EXPECT_EQ(devices, (std::set<std::string>{"r0/fault:0", "r2/fault:0"}));
  EXPECT_EQ(doc.at("cases").size(), 6u);
  EXPECT_EQ(doc.at("fleet").at("totals").at("nodes_missing"), 1);
}

TEST_F(Fleet, ASlowedRankIsFlaggedAsAStraggler) {
  const std::string out = path("fleet.json");
  // MPMD: ranks 0 and 1 run the fault device correct, rank 2 with every
  // launch slowed by 5 ms (its figures are 100x the others').
  auto argv = mpirun_prefix();
  auto rank_args = mini_on_fault(out);
  rank_args.insert(rank_args.end(), {"--straggler-margin", "3"});
  argv.insert(argv.end(), {"-np", "2", kBin, "run", "--fleet"});
  argv.insert(argv.end(), rank_args.begin(), rank_args.end());
  argv.insert(argv.end(), {":", "-np", "1", "-x", "CHIPCERT_FAULT=slow", "-x",
                           "CHIPCERT_FAULT_ARG=0.005", kBin, "run", "--fleet"});
  argv.insert(argv.end(), rank_args.begin(), rank_args.end());
  auto r = ct::run_command(argv);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json doc = read_json(out);
  expect_schema_valid(out);
  const json& st = doc.at("fleet").at("stragglers");
  std::set<std::string> flagged;
  for (const auto& s : st) {
    EXPECT_EQ(s.at("rank"), 2) << s.dump();
    EXPECT_GT(s.at("relative_deviation").get<double>(), 3.0);
    flagged.insert(s.at("case").get<std::string>());
  }
  EXPECT_EQ(flagged.size(), 3u) << st.dump();  // every case of the mini suite
  EXPECT_NE(r.out.find("straggler: rank 2"), std::string::npos) << r.out;
  auto md = ct::run_command({kBin, "report", out, "-f", "md", "-o", path("fleet.md")});
  ASSERT_EQ(md.exit_code, 0) << md.err;
  EXPECT_NE(ct::slurp(path("fleet.md")).find("**Stragglers**"), std::string::npos);
  auto html = ct::run_command({kBin, "report", out, "-f", "html", "-o", path("fleet.html")});
  ASSERT_EQ(html.exit_code, 0) << html.err;
  EXPECT_NE(ct::slurp(path("fleet.html")).find("straggler"), std::string::npos);
  EXPECT_NE(ct::slurp(path("fleet.html")).find("fleet rank 2"), std::string::npos);
}

TEST_F(Fleet, OneRankPerDevicePicksTheNodeLocalRanksDevice) {
  const std::string out = path("fleet.json");
  auto args = mini_on_fault(out);
  args[3] = "fault";  // --device fault: both fault devices, one per rank
  args.insert(args.end(), {"--fleet-placement", "device"});
  auto r = fleet_run(2, args, {"CHIPCERT_FAULT_DEVICES=2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json doc = read_json(out);
  expect_schema_valid(out);
  EXPECT_EQ(doc.at("fleet").at("placement"), "device");
  std::set<std::string> devices;
  for (const auto& d : doc.at("devices")) devices.insert(d.at("id").get<std::string>());
  EXPECT_EQ(devices, (std::set<std::string>{"r0/fault:0", "r1/fault:1"}));
}

TEST_F(Fleet, ARankWithoutADeviceIsRecordedFailed) {
  const std::string out = path("fleet.json");
  auto args = mini_on_fault(out);
  args[3] = "fault";
  args.insert(args.end(), {"--fleet-placement", "device"});
  // Three ranks, two devices: rank 2 has nothing to run.
  auto r = fleet_run(3, args, {"CHIPCERT_FAULT_DEVICES=2"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;  // rank 0 speaks for the fleet: a node failed
  const json doc = read_json(out);
  ASSERT_TRUE(doc.is_object()) << r.out << r.err;
  expect_schema_valid(out);
  const json& nodes = doc.at("fleet").at("nodes");
  EXPECT_EQ(nodes[0].at("status"), "ok");
  EXPECT_EQ(nodes[1].at("status"), "ok");
  EXPECT_EQ(nodes[2].at("status"), "failed");
  EXPECT_EQ(nodes[2].at("reason"), "no devices to run on");
  EXPECT_EQ(doc.at("fleet").at("totals").at("nodes_failed"), 1);
}

TEST_F(Fleet, SigtermToTheJobLeavesADocumentNamingTheRankNotHeardFrom) {
  const std::string out = path("fleet.json");
  // Rank 1 is slowed (0.3 s a launch) so rank 0 is done and waiting for it
  // when the job gets SIGTERM, as from a batch system's time limit.
  auto argv = mpirun_prefix();
  const auto args = mini_on_fault(out);
  argv.insert(argv.end(), {"-np", "1", kBin, "run", "--fleet"});
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {":", "-np", "1", "-x", "CHIPCERT_FAULT=slow", "-x",
                           "CHIPCERT_FAULT_ARG=0.3", kBin, "run", "--fleet"});
  argv.insert(argv.end(), args.begin(), args.end());
  std::string cmd;
  for (const auto& a : argv) cmd += "'" + a + "' ";
  // Start mpirun, wait until rank 0's own node is "ok" in the document, then
  // SIGTERM mpirun (which forwards it to the ranks) and report its status.
  const std::string script =
      cmd + "& pid=$!; for i in $(seq 600); do grep -q '\"status\": \"ok\"' '" + out +
      "' 2>/dev/null && break; sleep 0.1; done; kill -TERM $pid; wait $pid";
  auto r = ct::run_command({"/bin/bash", "-c", script});
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  const json doc = read_json(out);
  ASSERT_TRUE(doc.is_object()) << r.out << r.err;
  expect_schema_valid(out);
  const json& nodes = doc.at("fleet").at("nodes");
  EXPECT_EQ(nodes[0].at("status"), "ok");
  EXPECT_EQ(nodes[1].at("status"), "missing");
  EXPECT_EQ(doc.at("finished_at"), "");   // not a finished fleet run
  EXPECT_EQ(doc.at("cases").size(), 3u);  // rank 0's, kept
}

TEST(FleetUsage, FleetOptionsNeedFleet) {
  auto r = ct::run_command({kBin, "run", "--fleet-placement", "device"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--fleet"), std::string::npos) << r.err;
  r = ct::run_command({kBin, "run", "--fleet", "--fleet-placement", "rack"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
}
