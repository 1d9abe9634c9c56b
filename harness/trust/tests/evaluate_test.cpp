// Evaluation: every rule type passing and failing, figures, tiers, and that
// stored statistics and rates are never trusted.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "chipcert/trust/evaluate.hpp"
#include "test_support.hpp"

namespace chipcert::trust {
namespace {

using results::Status;
using ::testing::HasSubstr;

const results::RuleVerdict& rule(const results::Verdict& v, const std::string& id) {
  const auto& rules = v.devices.at(0).rules;
  const auto it =
      std::find_if(rules.begin(), rules.end(), [&](const auto& r) { return r.rule_id == id; });
  if (it == rules.end()) throw std::logic_error("no rule " + id);
  return *it;
}

class Evaluate : public ::testing::Test {
 protected:
  results::Verdict run() {
    const results::Provenance c = testing::clean_certifier();
    return evaluate(doc_, profile_, &c);
  }
  results::Document doc_ = testing::smoke_document();
  Profile profile_ = testing::test_profile();
};

TEST_F(Evaluate, CleanSmokeRunIsValidWithTier) {
  const auto v = run();
  ASSERT_EQ(v.devices.size(), 1u);
  const auto& d = v.devices[0];
  for (const auto& r : d.rules)
    EXPECT_TRUE(r.passed) << r.rule_id << ": " << r.figure << " " << r.detail;
  EXPECT_TRUE(d.valid);
  EXPECT_EQ(d.tier, "works");
  EXPECT_EQ(d.rules.size(), profile_.rules.size());
  EXPECT_EQ(v.profile.name, "test-smoke-v1");
  EXPECT_EQ(v.profile.sha256, profile_.sha256);
}

TEST_F(Evaluate, FiguresComeFromTheMedianOfRawSamples) {
  const auto v = run();
  const auto& f = v.devices[0].figures;
  ASSERT_EQ(f.size(), 3u);
  // gemm 1024: 2*1024^3 flop / median 4e-3 s, scaled to GFLOP/s; the best shape wins.
  EXPECT_EQ(f[0].name, "fp32_gemm_gflops");
  EXPECT_DOUBLE_EQ(f[0].value, 2.0 * 1024 * 1024 * 1024 / 4e-3 * 1e-9);
  EXPECT_EQ(f[0].source, "gemm/m1024_n1024_k1024/fp32@cpu:0");
  EXPECT_DOUBLE_EQ(f[1].value, 12.0 * 4194304 / 2e-3 * 1e-9);
  EXPECT_EQ(f[2].name, "launch_latency_us");
  EXPECT_DOUBLE_EQ(f[2].value, 5e-6 * 1e6);
}

TEST_F(Evaluate, StoredStatisticsAndRatesAreIgnored) {
  const auto before = run();
  for (auto& c : doc_.cases) {
    c.statistics = results::Statistics{5, 1, 1, 1, 1, 0, 0, 1, 1};
    c.rates.flop_per_s = 1e30;
    c.rates.bytes_per_s = 1e30;
  }
  EXPECT_EQ(run(), before);
}

TEST_F(Evaluate, SuiteMismatchFails) {
  doc_.suite.version = "2.0";
  const auto v = run();
  EXPECT_FALSE(rule(v, "suite").passed);
  EXPECT_EQ(rule(v, "suite").figure, "suite smoke 2.0");
  EXPECT_FALSE(v.devices[0].valid);
  EXPECT_EQ(v.devices[0].tier, "");  // an invalid device claims no tier
}

TEST_F(Evaluate, FailedCaseFailsVerifiedAndRequired) {
  auto& c = testing::find_case(doc_, "gemm", "m512_n512_k512");
  c.status = Status::Failed;
  c.samples.clear();
  const auto v = run();
  EXPECT_FALSE(rule(v, "all-cases-verified").passed);
  EXPECT_THAT(rule(v, "all-cases-verified").detail,
              HasSubstr("gemm/m512_n512_k512/fp32@cpu:0: failed"));
  EXPECT_FALSE(rule(v, "required-cases-passed").passed);
  EXPECT_EQ(rule(v, "required-cases-passed").figure, "4 of 5 present and passed");
  EXPECT_TRUE(rule(v, "min-repetitions").passed);  // only passed cases are in scope
}

TEST_F(Evaluate, UnsupportedCaseIsNotAVerificationFailure) {
  auto& c = testing::find_case(doc_, "launch_latency", "default");
  c.status = Status::Unsupported;
  const auto v = run();
  EXPECT_TRUE(rule(v, "all-cases-verified").passed);
  EXPECT_FALSE(rule(v, "required-cases-passed").passed);
  EXPECT_THAT(rule(v, "required-cases-passed").detail,
              HasSubstr("launch_latency/default/fp32@cpu:0: unsupported"));
}

TEST_F(Evaluate, MissingRequiredCaseNamed) {
  doc_.cases.erase(doc_.cases.begin() + 3);  // stream_triad
  const auto v = run();
  EXPECT_FALSE(rule(v, "required-cases-passed").passed);
  EXPECT_THAT(rule(v, "required-cases-passed").detail,
              HasSubstr("stream_triad/n4194304/fp32: missing"));
}

TEST_F(Evaluate, TooFewRepetitionsFails) {
  testing::find_case(doc_, "gemm", "m256_n256_k256").samples.resize(4);
  const auto v = run();
  EXPECT_FALSE(rule(v, "min-repetitions").passed);
  EXPECT_EQ(rule(v, "min-repetitions").figure, "min 4 samples (gemm/m256_n256_k256/fp32@cpu:0)");
  EXPECT_EQ(rule(v, "min-repetitions").threshold, ">= 5 samples");
}

TEST_F(Evaluate, NoisyCaseFailsMaxCvRecomputed) {
  testing::find_case(doc_, "stream_triad", "n4194304").samples = {1e-3, 5e-3, 1e-3, 6e-3, 1e-3};
  const auto v = run();
  EXPECT_FALSE(rule(v, "max-cv").passed);
  EXPECT_THAT(rule(v, "max-cv").figure, HasSubstr("stream_triad/n4194304/fp32@cpu:0"));
  EXPECT_EQ(rule(v, "max-cv").threshold, "cv <= 0.5");
}

TEST_F(Evaluate, ShortMeasurementFails) {
  testing::find_case(doc_, "gemm", "m512_n512_k512").iterations = 1;  // 5 x ~2 ms = 0.01 s
  testing::find_case(doc_, "gemm", "m512_n512_k512").samples = {1e-3, 1e-3, 1e-3, 1e-3, 1e-3};
  const auto v = run();
  EXPECT_FALSE(rule(v, "min-measured-time").passed);
  EXPECT_THAT(rule(v, "min-measured-time").figure, HasSubstr("min 0.005 s"));
}

TEST_F(Evaluate, ThrottlingFailsSustained) {
  // Throughput falls to a twentieth: the last tenth is 20x slower than the first.
  auto& c = testing::find_case(doc_, "gemm", "m256_n256_k256");
  c.samples = {1e-3, 2e-3, 5e-3, 1e-2, 2e-2};
  profile_.rules[4].max = 100;  // keep max-cv out of the way
  const auto v = run();
  EXPECT_FALSE(rule(v, "sustained-gemm").passed);
  EXPECT_THAT(rule(v, "sustained-gemm").detail, HasSubstr("throughput dropped by 0.95"));
  EXPECT_THAT(rule(v, "sustained-gemm").figure, HasSubstr("end/start throughput 0.05"));
}

TEST_F(Evaluate, TooShortSustainedRunFails) {
  profile_.rules[6].min = 1000;
  const auto v = run();
  EXPECT_FALSE(rule(v, "sustained-gemm").passed);
  EXPECT_THAT(rule(v, "sustained-gemm").detail, HasSubstr("less than 1000 s"));
}

TEST_F(Evaluate, SustainedNeedsTheCase) {
  testing::find_case(doc_, "gemm", "m256_n256_k256").status = Status::TimedOut;
  const auto v = run();
  EXPECT_FALSE(rule(v, "sustained-gemm").passed);
  EXPECT_EQ(rule(v, "sustained-gemm").figure, "no passed gemm/m256_n256_k256/fp32 case");
}

TEST_F(Evaluate, DirtyRunOrCertifierCanNeverBeValid) {
  doc_.provenance.dirty = true;
  auto v = run();
  EXPECT_FALSE(rule(v, "clean-build").passed);
  EXPECT_FALSE(v.devices[0].valid);
  EXPECT_THAT(rule(v, "clean-build").figure, HasSubstr("run: commit 3606089aaaaa dirty"));

  doc_ = testing::smoke_document();
  results::Provenance dirty_certifier = testing::clean_certifier();
  dirty_certifier.dirty = true;
  v = evaluate(doc_, profile_, &dirty_certifier);
  EXPECT_FALSE(rule(v, "clean-build").passed);
  EXPECT_THAT(rule(v, "clean-build").figure, HasSubstr("certifier: commit 3606089aaaaa dirty"));

  doc_.provenance.git_commit = "unknown";
  EXPECT_FALSE(rule(evaluate(doc_, profile_, nullptr), "clean-build").passed);
}

TEST_F(Evaluate, TiersNeedEveryRequirementAndPickTheHighest) {
  profile_.tiers[1].requirements = {{"fp32_gemm_gflops", 1.0, std::nullopt},
                                    {"launch_latency_us", std::nullopt, 10.0}};
  EXPECT_EQ(run().devices[0].tier, "impossible");
  profile_.tiers[1].requirements[1].max = 1.0;  // latency is 5 us
  EXPECT_EQ(run().devices[0].tier, "works");
}

TEST_F(Evaluate, EveryDeviceGetsItsOwnVerdict) {
  results::Device second = doc_.devices[0];
  second.id = "cpu:1";
  doc_.devices.push_back(second);
  const auto v = run();
  ASSERT_EQ(v.devices.size(), 2u);
  EXPECT_TRUE(v.devices[0].valid);
  EXPECT_EQ(v.devices[1].device, "cpu:1");
  EXPECT_FALSE(v.devices[1].valid);  // no cases ran on it
  EXPECT_EQ(v.devices[1].figures.size(), 0u);
}

}  // namespace
}  // namespace chipcert::trust
