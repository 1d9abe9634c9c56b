// Integration tests of `chipcert key`, `certify` and `verify` with the real
// binary: exit codes, files and modes, the run -> certify -> verify round
// trip on this machine's CPU, and the independent openssl recipe.

#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "process.hpp"

namespace ct = chipcert::testing;
namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

const std::string kBin = CHIPCERT_BIN;
const std::string kData = CHIPCERT_TRUST_TEST_DATA;
const std::string kRecipe = CHIPCERT_OPENSSL_RECIPE;
const std::string kExample = CHIPCERT_RESULTS_EXAMPLE;

ct::CommandResult chipcert(std::vector<std::string> args) {
  args.insert(args.begin(), kBin);
  return ct::run_command(args);
}

ct::CommandResult sh(const std::string& script) {
  return ct::run_command({"/bin/bash", "-c", script});
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

json payload_of(const std::string& cert) {
  const auto r = sh("jq -j .payload '" + cert + "' | base64 -d");
  return json::parse(r.out);
}

class TrustCli : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = ct::make_temp_dir("trust-cli"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  /// A key pair "lab" and a trusted-keys dir "trusted" holding it.
  void make_lab_key() {
    ASSERT_EQ(chipcert({"key", "generate", "--out", path("lab")}).exit_code, 0);
    const auto r = chipcert({"key", "trust", "add", path("trusted"), path("lab.pub"),
                             "--not-before", "2020-01-01T00:00:00Z", "--label", "test lab"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::string dir_;
};

TEST_F(TrustCli, KeyGenerateModesAndIdMatchOpenssl) {
  const auto r = chipcert({"key", "generate", "--out", path("keys/lab")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(::stat(path("keys/lab.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const auto id = chipcert({"key", "id", path("keys/lab.pub")});
  ASSERT_EQ(id.exit_code, 0) << id.err;
  const auto ossl = sh("openssl pkey -pubin -in '" + path("keys/lab.pub") +
                       "' -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1");
  ASSERT_EQ(ossl.exit_code, 0) << ossl.err;
  EXPECT_EQ(trim(id.out), trim(ossl.out));
  EXPECT_EQ(trim(id.out).size(), 64u);
  EXPECT_EQ(trim(chipcert({"key", "id", path("keys/lab.key")}).out), trim(id.out));
  EXPECT_THAT(r.out, HasSubstr(trim(id.out)));
  // openssl reads the private key as PKCS#8 Ed25519.
  EXPECT_THAT(sh("openssl pkey -in '" + path("keys/lab.key") + "' -noout -text").out,
              HasSubstr("ED25519"));
  // Never overwritten.
  const auto again = chipcert({"key", "generate", "--out", path("keys/lab")});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_THAT(again.err, HasSubstr("never overwrites a key"));
}

TEST_F(TrustCli, EncryptedKeyNeedsItsPassphrase) {
  std::ofstream(path("pass")) << "s3cret phrase\n";
  ASSERT_EQ(chipcert({"key", "generate", "--out", path("enc"), "--passphrase-file", path("pass")})
                .exit_code,
            0);
  EXPECT_THAT(ct::slurp(path("enc.key")), HasSubstr("BEGIN ENCRYPTED PRIVATE KEY"));
  const auto no = chipcert({"key", "id", path("enc.key")});
  EXPECT_EQ(no.exit_code, 3);
  EXPECT_THAT(no.err, HasSubstr("found an encrypted private key"));
  const auto yes = chipcert({"key", "id", path("enc.key"), "--passphrase-file", path("pass")});
  EXPECT_EQ(yes.exit_code, 0) << yes.err;
  EXPECT_EQ(trim(yes.out), trim(chipcert({"key", "id", path("enc.pub")}).out));
  // openssl opens it with the same passphrase (AES-256-CBC PKCS#8).
  EXPECT_EQ(sh("openssl pkey -in '" + path("enc.key") + "' -passin pass:'s3cret phrase' -noout")
                .exit_code,
            0);
  std::ofstream(path("wrong")) << "nope\n";
  const auto wrong = chipcert({"key", "id", path("enc.key"), "--passphrase-file", path("wrong")});
  EXPECT_EQ(wrong.exit_code, 3);
  EXPECT_THAT(wrong.err, HasSubstr("wrong passphrase"));
}

TEST_F(TrustCli, TrustAddAndRevoke) {
  make_lab_key();
  const std::string id = trim(chipcert({"key", "id", path("lab.pub")}).out);
  json t = json::parse(ct::slurp(path("trusted/trust.json")));
  EXPECT_EQ(t["keys"][0]["key_id"], id);
  EXPECT_EQ(t["keys"][0]["label"], "test lab");
  EXPECT_TRUE(fs::exists(path("trusted/" + id + ".pub")));
  EXPECT_EQ(chipcert({"key", "trust", "add", path("trusted"), path("lab.pub")}).exit_code,
            2);  // already there

  ASSERT_EQ(
      sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out '" + path("ec.key") +
         "' && openssl pkey -in '" + path("ec.key") + "' -pubout -out '" + path("ec.pub") + "'")
          .exit_code,
      0);
  const auto ec = chipcert({"key", "trust", "add", path("trusted"), path("ec.pub")});
  EXPECT_EQ(ec.exit_code, 3);
  EXPECT_THAT(ec.err, HasSubstr("expected an Ed25519 public key, found EC"));

  ASSERT_EQ(
      chipcert({"key", "trust", "revoke", path("trusted"), id, "--since", "2026-05-01T00:00:00Z"})
          .exit_code,
      0);
  t = json::parse(ct::slurp(path("trusted/trust.json")));
  EXPECT_EQ(t["keys"][0]["revoked_since"], "2026-05-01T00:00:00Z");
  EXPECT_EQ(chipcert({"key", "trust", "revoke", path("trusted"), std::string(64, 'e'), "--since",
                      "2026-05-01T00:00:00Z"})
                .exit_code,
            2);
  EXPECT_EQ(
      chipcert({"key", "trust", "revoke", path("trusted"), id, "--since", "May 1st"}).exit_code, 2);
}

TEST_F(TrustCli, CertifyUsageAndInputErrors) {
  make_lab_key();
  auto r = chipcert({"certify", kExample, "--key", path("lab.key")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("exactly one of --profile NAME and --profile-file FILE"));
  r = chipcert({"certify", kExample, "--profile", "fastest-v9", "--key", path("lab.key")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("smoke-v1"));
  r = chipcert({"certify", kExample, "--profile", "smoke-v1", "--key", path("missing.key")});
  EXPECT_EQ(r.exit_code, 3);
  ASSERT_EQ(sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out '" +
               path("ec.key") + "'")
                .exit_code,
            0);
  r = chipcert({"certify", kExample, "--profile", "smoke-v1", "--key", path("ec.key")});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr("expected an Ed25519 private key, found EC"));
}

TEST_F(TrustCli, InvalidCertificateWrittenExit1AndVerifiable) {
  make_lab_key();
  const auto c = chipcert({"certify", kExample, "--profile", "smoke-v1", "--key", path("lab.key"),
                           "-o", path("cert.dsse.json"), "--self-signed"});
  EXPECT_EQ(c.exit_code, 1) << c.err;  // suite "quick", not smoke: INVALID, still a true statement
  EXPECT_THAT(c.out, HasSubstr("opencl:0: INVALID"));
  EXPECT_THAT(c.out, HasSubstr("FAIL suite"));
  ASSERT_TRUE(fs::exists(path("cert.dsse.json")));
  auto v = chipcert(
      {"verify", path("cert.dsse.json"), "--trusted-keys", path("trusted"), "--results", kExample});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_THAT(v.out, HasSubstr("PASS verdict"));
  EXPECT_THAT(v.out, HasSubstr("(self-signed)"));
  EXPECT_THAT(v.out, HasSubstr("cpu:0: INVALID"));
  v = chipcert(
      {"verify", path("cert.dsse.json"), "--trusted-keys", path("trusted"), "--require-valid"});
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_THAT(v.out, HasSubstr("ACCEPTED (but not every device is VALID)"));
  v = chipcert({"verify", path("cert.dsse.json"), "--trusted-keys", path("trusted"), "--json"});
  EXPECT_EQ(v.exit_code, 0);
  const json j = json::parse(v.out);
  EXPECT_EQ(j["accepted"], true);
  EXPECT_EQ(j["signer"]["kind"], "self-signed");
  EXPECT_EQ(j["verdict"]["devices"].size(), 2u);
  EXPECT_EQ(sh("bash '" + kRecipe + "' '" + path("cert.dsse.json") + "' '" + path("lab.pub") +
               "' '" + kExample + "'")
                .exit_code,
            0);
}

TEST_F(TrustCli, VerifyExitCodes) {
  make_lab_key();
  ASSERT_EQ(chipcert({"certify", kExample, "--profile", "smoke-v1", "--key", path("lab.key"), "-o",
                      path("cert.dsse.json")})
                .exit_code,
            1);
  // Malformed envelope: exit 3, naming the file and pointer.
  std::string text = ct::slurp(path("cert.dsse.json"));
  std::ofstream(path("dup.json")) << "{\"payload\": \"e30=\"," << text.substr(1);
  auto v = chipcert({"verify", path("dup.json"), "--trusted-keys", path("trusted")});
  EXPECT_EQ(v.exit_code, 3);
  EXPECT_THAT(v.err, HasSubstr("duplicate key \"payload\""));
  v = chipcert({"verify", path("nothing.json"), "--trusted-keys", path("trusted")});
  EXPECT_EQ(v.exit_code, 3);
  v = chipcert({"verify", path("cert.dsse.json"), "--trusted-keys", path("no-such-dir")});
  EXPECT_EQ(v.exit_code, 3);
  EXPECT_THAT(v.err, HasSubstr("trust.json"));
  // A changed payload byte: rejected, exit 1, one FAIL line.
  json env = json::parse(text);
  const auto b64 = sh("jq -j .payload '" + path("cert.dsse.json") +
                      "' | base64 -d | sed 's/\"smoke-v1\"/\"smoke-v2\"/' | base64 -w0");
  env["payload"] = b64.out;
  std::ofstream(path("tampered.json")) << env.dump(2);
  v = chipcert({"verify", path("tampered.json"), "--trusted-keys", path("trusted")});
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_THAT(v.out, HasSubstr("FAIL signature: signature 0 does not verify"));
  EXPECT_THAT(v.out, HasSubstr("REJECTED"));
  EXPECT_NE(sh("bash '" + kRecipe + "' '" + path("tampered.json") + "' '" + path("lab.pub") +
               "' 2>/dev/null")
                .exit_code,
            0);
  // The results file edited after signing.
  std::ofstream(path("results.json")) << ct::slurp(kExample) << " ";
  v = chipcert({"verify", path("cert.dsse.json"), "--trusted-keys", path("trusted"), "--results",
                path("results.json")});
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_THAT(v.out, HasSubstr("FAIL results-subject"));
}

// Issue 4 acceptance: run -> certify -> verify on this machine, and the
// openssl recipe verifies the same envelope.
TEST_F(TrustCli, RunCertifyVerifyRoundTripAndOpensslRecipe) {
  make_lab_key();
  const auto run = chipcert({"run", "--suite", "smoke", "--device", "cpu:0", "--repetitions", "5",
                             "--min-time", "0.02", "--quiet", "-o", path("results.json")});
  ASSERT_TRUE(run.exit_code == 0 || run.exit_code == 1) << run.err;
  const std::string profile = kData + "/test-smoke-v1.json";
  const auto c = chipcert({"certify", path("results.json"), "--profile-file", profile, "--key",
                           path("lab.key"), "-o", path("cert.dsse.json")});
  ASSERT_TRUE(c.exit_code == 0 || c.exit_code == 1) << c.err;

  const json results = json::parse(ct::slurp(path("results.json")));
  const json p = payload_of(path("cert.dsse.json"));
  const bool dirty = results["provenance"]["dirty"].get<bool>();
  ASSERT_EQ(p["predicate"]["verdict"]["devices"].size(), results["devices"].size());
  bool all_valid = true;
  for (const auto& d : p["predicate"]["verdict"]["devices"]) {
    bool every_rule = true;
    for (const auto& r : d["rules"]) {
      every_rule = every_rule && r["passed"].get<bool>();
      // A dirty tree can never give a clean_build pass.
      if (r["rule_id"] == "clean-build") {
        EXPECT_EQ(r["passed"].get<bool>(), !dirty) << r.dump();
      }
    }
    EXPECT_EQ(d["valid"].get<bool>(), every_rule);
    if (dirty) {
      EXPECT_FALSE(d["valid"].get<bool>());
    }
    all_valid = all_valid && d["valid"].get<bool>();
  }
  EXPECT_EQ(c.exit_code, all_valid ? 0 : 1);

  // verify recomputes the same verdict either way.
  const auto v = chipcert({"verify", path("cert.dsse.json"), "--trusted-keys", path("trusted"),
                           "--results", path("results.json"), "--profile-file", profile});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_THAT(v.out, HasSubstr("PASS signature"));
  EXPECT_THAT(v.out, HasSubstr("PASS results-subject"));
  EXPECT_THAT(v.out, HasSubstr("PASS verdict: recomputed from the raw samples"));
  EXPECT_THAT(v.out, HasSubstr("ACCEPTED"));

  // Without the profile file the test profile is unknown: rejected, named.
  const auto unknown =
      chipcert({"verify", path("cert.dsse.json"), "--trusted-keys", path("trusted")});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.out, HasSubstr("is not one this chipcert ships"));

  const auto recipe = sh("bash '" + kRecipe + "' '" + path("cert.dsse.json") + "' '" +
                         path("lab.pub") + "' '" + path("results.json") + "'");
  EXPECT_EQ(recipe.exit_code, 0) << recipe.out << recipe.err;
  EXPECT_THAT(recipe.out, HasSubstr("Signature Verified Successfully"));
  EXPECT_THAT(recipe.out, HasSubstr("\"device\":\"cpu:0\""));
}

}  // namespace
