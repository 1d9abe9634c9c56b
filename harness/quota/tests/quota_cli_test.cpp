// The national-datacenter example end to end with the real binary: the
// example plugin stands in for NVIDIA, Rebellions, FuriosaAI and another
// vendor (CHIPCERT_EXAMPLE_VENDOR / _MODEL); `chipcert run` and `chipcert
// certify` make real certificates with a test key; then `quota check` on a
// compliant plan, a non-compliant one, tampered / revoked / mismatched
// lines, and `quota plan` for the optimum and an infeasible policy.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "process.hpp"

namespace ct = chipcert::testing;
namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

const std::string kBin = CHIPCERT_BIN;
const std::string kPlugins = CHIPCERT_PLUGINS;
const std::string kData = CHIPCERT_QUOTA_TEST_DATA;
const std::string kPolicies = CHIPCERT_POLICIES_DIR;
const std::string kProfile = kData + "/test-quota-v1.json";

ct::CommandResult run_chipcert(std::vector<std::string> args, std::vector<std::string> env = {}) {
  args.insert(args.begin(), kBin);
  return ct::run_command(args, env);
}

struct Device {
  std::string tag, vendor, model;
};
const std::vector<Device> kDevices = {{"nv", "NVIDIA", "H100 (example)"},
                                      {"reb", "Rebellions", "ATOM (example)"},
                                      {"fur", "FuriosaAI", "RNGD (example)"},
                                      {"acme", "Acme", "X1 (example)"}};

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

class QuotaCli : public ::testing::Test {
 protected:
  /// Certificates are made once for the whole suite: a run per device.
  static void SetUpTestSuite() {
    dir_ = ct::make_temp_dir("quota-cli");
    auto must = [](const ct::CommandResult& r, const std::string& what) {
      if (r.exit_code != 0)
        setup_error_ += what + ": exit " + std::to_string(r.exit_code) + "\n" + r.out + r.err;
      return r.exit_code == 0;
    };
    if (!must(run_chipcert({"key", "generate", "--out", path("lab")}), "key lab")) return;
    if (!must(run_chipcert({"key", "generate", "--out", path("old")}), "key old")) return;
    for (const char* k : {"lab", "old"})
      if (!must(run_chipcert({"key", "trust", "add", path("trusted"), path(std::string(k) + ".pub"),
                              "--not-before", "2020-01-01T00:00:00Z"}),
                "trust add"))
        return;
    for (const auto& d : kDevices) {
      const auto run = run_chipcert(
          {"--no-builtin-drivers", "--driver-path", kPlugins, "run", "--suite-file",
           kData + "/quota-suite.json", "--device", "example:0", "--isolation", "none", "-q", "-o",
           path(d.tag + ".json")},
          {"CHIPCERT_EXAMPLE_VENDOR=" + d.vendor, "CHIPCERT_EXAMPLE_MODEL=" + d.model});
      if (!must(run, "run " + d.tag)) return;
      if (!must(
              run_chipcert({"certify", path(d.tag + ".json"), "--profile-file", kProfile, "--key",
                            path("lab.key"), "--allow-stand-in", "-o", path(d.tag + ".dsse.json")}),
              "certify " + d.tag))
        return;
    }
    // Signed by a key that is then revoked since before it signed.
    if (!must(run_chipcert({"certify", path("acme.json"), "--profile-file", kProfile, "--key",
                            path("old.key"), "--allow-stand-in", "-o", path("acme-old.dsse.json")}),
              "certify old"))
      return;
    const auto id = run_chipcert({"key", "id", path("old.pub")});
    std::string old_id = id.out;
    while (!old_id.empty() && (old_id.back() == '\n' || old_id.back() == ' ')) old_id.pop_back();
    if (!must(run_chipcert({"key", "trust", "revoke", path("trusted"), old_id, "--since",
                            "2020-01-02T00:00:00Z"}),
              "revoke"))
      return;
    // One byte of the signed payload changed, the signature kept.
    const std::string cert = path("fur.dsse.json"), bad = path("fur-tampered.dsse.json");
    must(ct::run_command({"/bin/bash", "-c",
                          "set -e; jq -j .payload '" + cert +
                              "' | base64 -d | sed 's/RNGD (example)/RNGE (example)/g' | base64 "
                              "-w0 > '" +
                              path("p.b64") + "'; jq --rawfile p '" + path("p.b64") +
                              "' '.payload = $p' '" + cert + "' > '" + bad + "'"}),
         "tamper");
    // The shipped national-datacenter policy, with the test profile and figure.
    json pol = json::parse(ct::slurp(kPolicies + "/national-datacenter-50k.json"));
    pol["certification"] = {{"profile", "test-quota-v1"}, {"min_tier", "works"}};
    pol["capacity_figure"] = "fp32_gemm_gflops";
    write(path("policy.json"), pol.dump(2));
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  void SetUp() override { ASSERT_EQ(setup_error_, ""); }

  static std::string path(const std::string& name) { return dir_ + "/" + name; }

  struct Line {
    std::string id, cert, vendor, model;
    int64_t quantity;
  };
  static std::string plan(const std::string& name, const std::vector<Line>& lines) {
    json l = json::array();
    for (const auto& x : lines)
      l.push_back({{"id", x.id},
                   {"certificate", x.cert},
                   {"vendor", x.vendor},
                   {"model", x.model},
                   {"quantity", x.quantity},
                   {"unit_price", 10000},
                   {"unit_power_w", 500}});
    json p = {{"format", "chipcert-procurement-plan"},
              {"format_version", 1},
              {"name", name},
              {"lines", l}};
    write(path(name + ".json"), p.dump(2));
    return path(name + ".json");
  }
  static std::vector<Line> lines(int64_t nv, int64_t reb, int64_t fur, int64_t acme) {
    return {{"nv", "nv.dsse.json", "NVIDIA", "H100 (example)", nv},
            {"reb", "reb.dsse.json", "Rebellions", "ATOM (example)", reb},
            {"fur", "fur.dsse.json", "FuriosaAI", "RNGD (example)", fur},
            {"acme", "acme.dsse.json", "Acme", "X1 (example)", acme}};
  }
  static ct::CommandResult check(const std::string& plan_file, std::vector<std::string> extra = {},
                                 const std::string& policy = "policy.json") {
    std::vector<std::string> a = {
        "quota",          "check",         plan_file,        "--policy", path(policy),
        "--trusted-keys", path("trusted"), "--profile-file", kProfile,   "--allow-stand-in"};
    a.insert(a.end(), extra.begin(), extra.end());
    return run_chipcert(a);
  }

  static std::string dir_;
  static std::string setup_error_;
};

std::string QuotaCli::dir_;
std::string QuotaCli::setup_error_;

}  // namespace

TEST_F(QuotaCli, CompliantPlanPasses) {
  const auto r = check(plan("ok", lines(25000, 12000, 8000, 5000)));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("PASS domestic-at-least-40: domestic 20000 of 50000 units = 40 %"));
  EXPECT_THAT(r.out, HasSubstr("PASS others-at-most-10: other 5000 of 50000 units = 10 %"));
  EXPECT_THAT(r.out, HasSubstr("PASS nvidia-half"));
  EXPECT_THAT(r.out, HasSubstr("\nCOMPLIANT\n"));

  const auto j = check(path("ok.json"), {"--format", "json"});
  EXPECT_EQ(j.exit_code, 0) << j.err;
  const json out = json::parse(j.out);
  EXPECT_EQ(out["format"], "chipcert-quota-check");
  EXPECT_TRUE(out["compliant"].get<bool>());
  EXPECT_EQ(out["totals"]["units"], 50000);
  EXPECT_EQ(out["lines"].size(), 4u);
  EXPECT_EQ(out["lines"][1]["category"], "domestic");
  EXPECT_EQ(out["lines"][3]["category"], "other");
  EXPECT_GT(out["lines"][0]["capacity_per_unit"].get<double>(), 0);
}

TEST_F(QuotaCli, NonCompliantPlanNamesTheRuleAndByHowMuch) {
  const auto r = check(plan("bad", lines(25000, 10000, 8000, 7000)));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("FAIL domestic-at-least-40: domestic 18000 of 50000 units = 36 % "
                               "(needs >= 40 %) -- short by 2000 units (needs at least 20000 of "
                               "50000)"));
  EXPECT_THAT(r.out, HasSubstr("FAIL others-at-most-10: other 7000 of 50000 units = 14 % (needs "
                               "<= 10 %) -- over by 2000 units"));
  EXPECT_THAT(r.out, HasSubstr("PASS nvidia-half"));
  EXPECT_THAT(r.out, HasSubstr("NON-COMPLIANT: 2 rule(s) failed, 0 line(s) rejected"));
  const json out = json::parse(check(path("bad.json"), {"--format", "json"}).out);
  EXPECT_FALSE(out["compliant"].get<bool>());
  EXPECT_EQ(out["rules"][0]["id"], "total-units");
  EXPECT_EQ(out["rules"][2]["id"], "domestic-at-least-40");
  EXPECT_FALSE(out["rules"][2]["passed"].get<bool>());

  const auto h = check(path("bad.json"), {"--format", "html"});
  EXPECT_EQ(h.exit_code, 1) << h.err;
  EXPECT_THAT(h.out, HasSubstr("<!DOCTYPE html>"));
  EXPECT_THAT(h.out, HasSubstr("NON-COMPLIANT"));
  EXPECT_THAT(h.out, HasSubstr("<td>domestic-at-least-40</td><td>"));
  EXPECT_THAT(h.out, HasSubstr("<svg id=\"shares-units\""));
  EXPECT_THAT(h.out, HasSubstr("36.0 %"));  // domestic 18000 of 50000
  EXPECT_EQ(h.out.find("<script"), std::string::npos);
  EXPECT_EQ(h.out.find("http://"), h.out.find("http://www.w3.org/2000/svg"));
}

TEST_F(QuotaCli, TamperedAndRevokedCertificatesFailNamingTheLine) {
  auto l = lines(25000, 12000, 8000, 5000);
  l[2].cert = "fur-tampered.dsse.json";
  l[3].cert = "acme-old.dsse.json";
  const auto r = check(plan("tampered", l));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("REJECTED line 3 \"fur\" (fur-tampered.dsse.json): signature: "
                               "signature 0 does not verify"));
  EXPECT_THAT(r.out, HasSubstr("REJECTED line 4 \"acme\" (acme-old.dsse.json): key-validity: "));
  EXPECT_THAT(r.out, HasSubstr("revoked since 2020-01-02T00:00:00Z"));
  EXPECT_THAT(r.out, HasSubstr("OK       line 1 \"nv\""));
  EXPECT_THAT(r.out, HasSubstr("2 line(s) rejected"));
  // Rejected lines do not count: domestic is now 12,000 of 37,000.
  EXPECT_THAT(r.out, HasSubstr("domestic 12000 of 37000 units"));
}

TEST_F(QuotaCli, MismatchedModelMissingFileTierAndAgeAreRejected) {
  auto l = lines(25000, 12000, 8000, 5000);
  l[0].model = "H200";
  l[1].cert = "missing.dsse.json";
  l[3].vendor = "NVIDIA";  // claims another vendor than the certificate's device
  auto r = check(plan("mismatch", l));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("REJECTED line 1 \"nv\" (nv.dsse.json): model: the line claims "
                               "model \"H200\", the certificate's device example:0 is \"H100 "
                               "(example)\""));
  EXPECT_THAT(r.out, HasSubstr("REJECTED line 2 \"reb\" (missing.dsse.json): read: "));
  EXPECT_THAT(r.out, HasSubstr("REJECTED line 4 \"acme\" (acme.dsse.json): vendor: "));

  // A policy asking for a tier nobody reaches, and one with a 1-day age limit.
  plan("ok", lines(25000, 12000, 8000, 5000));
  json pol = json::parse(ct::slurp(path("policy.json")));
  pol["certification"]["min_tier"] = "impossible";
  write(path("policy-tier.json"), pol.dump());
  r = check(path("ok.json"), {}, "policy-tier.json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("tier: device example:0 reached tier works, the policy requires "
                               "at least impossible"));
  pol["certification"]["min_tier"] = "works";
  pol["certification"]["max_age_days"] = 1;
  write(path("policy-age.json"), pol.dump());
  r = check(path("ok.json"), {"--at", "2100-01-01T00:00:00Z"}, "policy-age.json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("age: signed "));
  r = check(path("ok.json"), {}, "policy-age.json");  // now: signed minutes ago
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

TEST_F(QuotaCli, PlanFindsTheOptimumAndItChecksCompliant) {
  json offers = {{"format", "chipcert-procurement-offers"},
                 {"format_version", 1},
                 {"name", "tender"},
                 {"offers", json::array()}};
  const std::vector<std::pair<std::string, int64_t>> avail = {
      {"nv", 40000}, {"reb", 15000}, {"fur", 15000}, {"acme", 30000}};
  for (std::size_t i = 0; i < kDevices.size(); ++i)
    offers["offers"].push_back({{"id", kDevices[i].tag},
                                {"certificate", kDevices[i].tag + ".dsse.json"},
                                {"vendor", kDevices[i].vendor},
                                {"model", kDevices[i].model},
                                {"available", avail[i].second},
                                {"unit_price", 10000},
                                {"unit_power_w", 500}});
  offers["offers"].push_back({{"id", "forged"},
                              {"certificate", "fur-tampered.dsse.json"},
                              {"vendor", "FuriosaAI"},
                              {"model", "RNGD (example)"},
                              {"available", 99999},
                              {"unit_price", 1},
                              {"unit_power_w", 1}});
  write(path("offers.json"), offers.dump(2));
  const auto r =
      run_chipcert({"quota", "plan", "--policy", path("policy.json"), "--offers",
                    path("offers.json"), "--trusted-keys", path("trusted"), "--profile-file",
                    kProfile, "--allow-stand-in", "--format", "json", "-o", path("optimal.json")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json out = json::parse(r.out);
  ASSERT_TRUE(out["feasible"].get<bool>());
  const auto h = run_chipcert({"quota", "plan", "--policy", path("policy.json"), "--offers",
                               path("offers.json"), "--trusted-keys", path("trusted"),
                               "--profile-file", kProfile, "--allow-stand-in", "--format", "html"});
  EXPECT_EQ(h.exit_code, 0) << h.err;
  EXPECT_THAT(h.out, HasSubstr("FEASIBLE: optimum found"));
  EXPECT_THAT(h.out, HasSubstr("<table id=\"rule-costs\">"));
  EXPECT_THAT(h.out, HasSubstr("REJECTED"));  // the forged offer
  // The forged offer is left out; the others are bought per the quotas.
  std::map<std::string, int64_t> qty;
  std::map<std::string, double> cap;
  double objective = 0;
  for (const auto& it : out["items"]) {
    if (!it["accepted"].get<bool>()) {
      EXPECT_EQ(it["id"], "forged");
      EXPECT_EQ(it["check"], "signature");
      continue;
    }
    qty[it["id"]] = it["quantity"].get<int64_t>();
    cap[it["id"]] = it["capacity_per_unit"].get<double>();
    objective += cap[it["id"]] * static_cast<double>(qty[it["id"]]);
  }
  EXPECT_EQ(qty["nv"], 25000);
  EXPECT_GE(qty["reb"] + qty["fur"], 20000);
  EXPECT_LE(qty["acme"], 5000);
  EXPECT_EQ(qty["nv"] + qty["reb"] + qty["fur"] + qty["acme"], 50000);
  EXPECT_NEAR(out["objective"]["value"].get<double>(), objective, 1e-9 * objective);
  // Exhaustive over the free part: 25,000 non-NVIDIA units split between
  // reb, fur (<= 15,000 each) and acme (<= 5,000).
  double best = 0;
  for (int64_t a = 0; a <= 5000; ++a)
    for (int64_t f = std::max<int64_t>(0, 25000 - a - 15000); f <= 15000 && f <= 25000 - a; ++f) {
      const int64_t b = 25000 - a - f;
      if (b > 15000) continue;
      best = std::max(best, a * cap["acme"] + f * cap["fur"] + b * cap["reb"]);
    }
  EXPECT_NEAR(objective, 25000 * cap["nv"] + best, 1e-7 * objective);
  EXPECT_EQ(out["rule_costs"].size(), 3u);
  EXPECT_THAT(out["binding"].dump(), HasSubstr("total-units"));

  // The written plan passes quota check.
  const auto c = check(path("optimal.json"));
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
}

TEST_F(QuotaCli, InfeasiblePolicyNamesTheConflictingConstraints) {
  json offers = {{"format", "chipcert-procurement-offers"},
                 {"format_version", 1},
                 {"name", "short supply"},
                 {"offers", json::array()}};
  const std::vector<int64_t> avail = {40000, 9000, 6000, 30000};
  for (std::size_t i = 0; i < kDevices.size(); ++i)
    offers["offers"].push_back({{"id", kDevices[i].tag},
                                {"certificate", kDevices[i].tag + ".dsse.json"},
                                {"vendor", kDevices[i].vendor},
                                {"model", kDevices[i].model},
                                {"available", avail[i]},
                                {"unit_price", 10000},
                                {"unit_power_w", 500}});
  write(path("short.json"), offers.dump(2));
  const auto r = run_chipcert({"quota", "plan", "--policy", path("policy.json"), "--offers",
                               path("short.json"), "--trusted-keys", path("trusted"),
                               "--profile-file", kProfile, "--allow-stand-in"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("INFEASIBLE"));
  for (const char* c :
       {"  available:reb\n", "  available:fur\n", "  total-units\n", "  domestic-at-least-40\n"})
    EXPECT_THAT(r.out, HasSubstr(c));
  EXPECT_THAT(r.out, Not(HasSubstr("  nvidia-half\n")));
}

// The example plugin simulates devices: certify refuses them unless asked,
// and a quota counts them only when asked, however the identity reads.
TEST_F(QuotaCli, StandInDevicesAreRefusedUnlessAllowed) {
  const auto c = run_chipcert({"certify", path("nv.json"), "--profile-file", kProfile, "--key",
                               path("lab.key"), "-o", path("refused.dsse.json")});
  EXPECT_EQ(c.exit_code, 3) << c.out << c.err;
  EXPECT_THAT(c.err, HasSubstr("nv.json: /devices/0/driver: expected a device of a real driver, "
                               "found stand-in example:0: driver 'example' simulates"));
  EXPECT_FALSE(fs::exists(path("refused.dsse.json")));

  plan("ok", lines(25000, 12000, 8000, 5000));
  std::vector<std::string> a = {
      "quota",          "check",         path("ok.json"),  "--policy", path("policy.json"),
      "--trusted-keys", path("trusted"), "--profile-file", kProfile};
  const auto q = run_chipcert(a);
  EXPECT_EQ(q.exit_code, 1) << q.out << q.err;
  EXPECT_THAT(q.out, HasSubstr("is a stand-in, not silicon: driver 'example' simulates"));

  const auto v = run_chipcert({"verify", path("nv.dsse.json"), "--trusted-keys", path("trusted"),
                               "--profile-file", kProfile});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_THAT(v.out, HasSubstr("example:0: VALID"));
  EXPECT_THAT(v.out, HasSubstr("STAND-IN, not silicon: driver 'example'"));
}

TEST_F(QuotaCli, UsageAndInputErrors) {
  plan("ok", lines(25000, 12000, 8000, 5000));
  auto r = check(path("ok.json"), {"--format", "xml"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = run_chipcert({"quota", "check", path("ok.json")});
  EXPECT_EQ(r.exit_code, 2);
  write(path("broken-policy.json"),
        R"({"format": "chipcert-quota-policy", "format_version": 1, "name": "x"})");
  r = check(path("ok.json"), {}, "broken-policy.json");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr("broken-policy.json: /version: expected a string (required "
                               "field), found nothing"));
  write(path("broken-plan.json"), R"({"format": "chipcert-procurement-plan", "format_version": 1,
        "name": "p", "lines": [{"id": "a"}]})");
  r = check(path("broken-plan.json"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr("broken-plan.json: /lines/0/certificate: expected a string"));
  r = run_chipcert({"quota", "check", path("ok.json"), "--policy", path("policy.json"),
                    "--trusted-keys", path("nowhere")});
  EXPECT_EQ(r.exit_code, 3);
}
