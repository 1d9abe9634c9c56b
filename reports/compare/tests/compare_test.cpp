// compare_documents: matching, the decision rule of README.md, and the
// rendered forms (goldens). Inputs are a real smoke run (data/base-smoke.json,
// three devices, 5 samples per case) and copies of it with samples jittered
// or scaled.
//
// To regenerate the goldens after an intended change:
//   CHIPCERT_UPDATE_GOLDEN=1 ./compare_test --gtest_filter='Golden*'

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "chipcert/compare/compare.hpp"
#include "chipcert/results/json.hpp"

namespace chipcert::compare {
namespace {

const std::string kData = CHIPCERT_COMPARE_DATA_DIR;
const std::string kTriad = "stream_triad/n4194304/fp32@opencl:0";

results::Document base_doc() {
  return results::read_document(kData + "/base-smoke.json");
}

results::Case& find(results::Document& d, const std::string& id) {
  for (auto& c : d.cases)
    if (c.id == id) return c;
  throw std::runtime_error("no case " + id);
}

/// The base with every sample moved by -2..+2 % (deterministic), as a
/// second run of the same build would be, and one case scaled.
results::Document candidate(double scale_triad = 1.0) {
  auto d = base_doc();
  d.run_id = "candidate";
  d.started_at = "2030-01-01T00:00:00Z";
  for (auto& dev : d.devices) dev.driver_version += "-new";  // a driver update
  for (auto& c : d.cases)
    for (size_t i = 0; i < c.samples.size(); ++i)
      c.samples[i] *= 1.0 + 0.01 * static_cast<double>(static_cast<int>((i * 7) % 5) - 2);
  for (auto& s : find(d, kTriad).samples) s *= scale_triad;
  return d;
}

const CaseComparison& by_id(const Comparison& c, const std::string& id) {
  for (const auto& cc : c.cases)
    if ((cc.base && cc.base->id == id) || (cc.candidate && cc.candidate->id == id)) return cc;
  throw std::runtime_error("no comparison for " + id);
}

TEST(Compare, SameRunNothingRegresses) {
  const auto c = compare_documents(base_doc(), base_doc(), {});
  EXPECT_EQ(c.regressions(), 0u);
  EXPECT_EQ(c.count(Outcome::Unchanged), c.cases.size());
  for (const auto& cc : c.cases) {
    ASSERT_TRUE(cc.test);
    EXPECT_EQ(cc.test->p, 1.0) << cc.key;
    EXPECT_EQ(cc.change, 0.0);
  }
}

TEST(Compare, DriverUpdateAndJitterAreUnchanged) {
  const auto c = compare_documents(base_doc(), candidate(), {});
  EXPECT_EQ(c.cases.size(), 15u);
  EXPECT_EQ(c.regressions(), 0u);
  EXPECT_EQ(c.count(Outcome::BaseOnly), 0u) << "driver version must not be part of the key";
}

TEST(Compare, OneSlowedCaseIsFlaggedAndOnlyIt) {
  const auto c = compare_documents(base_doc(), candidate(1.5), {});
  ASSERT_EQ(c.regressions(), 1u);
  const auto& r = by_id(c, kTriad);
  EXPECT_EQ(r.outcome, Outcome::Regressed);
  EXPECT_NEAR(r.change, 0.5, 0.03);
  EXPECT_LT(r.test->p, 0.05);
  EXPECT_EQ(r.test->method, PMethod::Exact);
  ASSERT_TRUE(r.ratio && r.ratio->low && r.ratio->high);
  EXPECT_GT(*r.ratio->low, 1.0);
  EXPECT_NE(r.why.find("slower"), std::string::npos) << r.why;
}

TEST(Compare, FasterIsImprovedAndDoesNotGate) {
  const auto c = compare_documents(base_doc(), candidate(0.5), {});
  EXPECT_EQ(c.regressions(), 0u);
  EXPECT_EQ(by_id(c, kTriad).outcome, Outcome::Improved);
}

TEST(Compare, SmallChangeBelowThresholdIsUnchangedEvenIfSignificant) {
  // A tight distribution (0.5 % spread), every sample 3 % slower: complete
  // separation, p = 2/252.
  auto base = base_doc();
  find(base, kTriad).samples = {1.000e-3, 1.001e-3, 1.002e-3, 0.999e-3, 1.0005e-3};
  auto cand = base;
  for (auto& s : find(cand, kTriad).samples) s *= 1.03;
  const auto c = compare_documents(base, cand, {});
  const auto& r = by_id(c, kTriad);
  EXPECT_NEAR(r.test->p, 2.0 / 252.0, 1e-15);
  EXPECT_EQ(r.outcome, Outcome::Unchanged);
  // With a 1 % threshold, the same data is a regression.
  Options tight;
  tight.threshold = 0.01;
  EXPECT_EQ(by_id(compare_documents(base, cand, tight), kTriad).outcome, Outcome::Regressed);
}

TEST(Compare, BeyondThresholdButNotSignificantIsNoisy) {
  auto cand = base_doc();
  auto& s = find(cand, kTriad).samples;
  const auto orig = s;
  // Two samples much faster, three slower: the median moves 30 %, but the
  // samples overlap the baseline's, so the U test cannot reject.
  s = {orig[0] * 0.5, orig[1] * 1.3, orig[2] * 0.6, orig[3] * 1.3, orig[4] * 1.3};
  const auto c = compare_documents(base_doc(), cand, {});
  const auto& r = by_id(c, kTriad);
  EXPECT_GT(r.test->p, 0.05);
  EXPECT_GT(std::abs(r.change), 0.05);
  EXPECT_EQ(r.outcome, Outcome::Noisy) << r.why;
}

TEST(Compare, TooFewSamplesIsNoisyNeverSignificant) {
  auto base = base_doc(), cand = candidate(3.0);
  find(base, kTriad).samples.resize(2);
  find(cand, kTriad).samples.resize(2);
  const auto c = compare_documents(base, cand, {});
  const auto& r = by_id(c, kTriad);
  EXPECT_EQ(r.outcome, Outcome::Noisy);
  EXPECT_NE(r.why.find("too few samples"), std::string::npos);
  EXPECT_EQ(c.regressions(), 0u);
}

TEST(Compare, StatusesAreReportedNotCompared) {
  auto base = base_doc(), cand = base_doc();
  auto& lost = find(cand, kTriad);  // passed before, fails now: a regression
  lost.status = results::Status::Failed;
  lost.reason = "verification before timing: 1 of 4194304 elements outside tolerance";
  lost.samples.clear();
  lost.statistics.reset();
  const std::string gemm = "gemm/m256_n256_k256/fp32@example:0";
  for (auto* d : {&base, &cand}) {  // unsupported on both sides: only reported
    auto& u = find(*d, gemm);
    u.status = results::Status::Unsupported;
    u.reason = "no fp32 gemm";
    u.samples.clear();
    u.statistics.reset();
  }
  const auto c = compare_documents(base, cand, {});
  EXPECT_EQ(by_id(c, kTriad).outcome, Outcome::Regressed);
  EXPECT_NE(by_id(c, kTriad).why.find("failed in the candidate"), std::string::npos);
  EXPECT_EQ(by_id(c, gemm).outcome, Outcome::NotPassed);
  EXPECT_EQ(by_id(c, gemm).why, "not compared: baseline unsupported, candidate unsupported");
  EXPECT_EQ(c.regressions(), 1u);
}

TEST(Compare, CasesOnOneSideAreListed) {
  auto cand = base_doc();
  cand.cases.erase(cand.cases.begin());
  auto extra = cand.cases.back();
  extra.id = "gemm/m2048_n2048_k2048/fp32@example:0";
  cand.cases.push_back(extra);
  const auto c = compare_documents(base_doc(), cand, {});
  EXPECT_EQ(c.cases.size(), 16u);
  EXPECT_EQ(c.count(Outcome::BaseOnly), 1u);
  EXPECT_EQ(c.count(Outcome::NewOnly), 1u);
  EXPECT_EQ(c.cases.back().outcome, Outcome::NewOnly);
  EXPECT_EQ(c.regressions(), 0u);
}

TEST(Compare, IgnoreDeviceMatchesAcrossModels) {
  // Only the example device, renamed as a vendor plugin would be.
  auto only = [](results::Document d, const std::string& dev) {
    std::erase_if(d.cases, [&](const results::Case& c) { return c.device != dev; });
    std::erase_if(d.devices, [&](const results::Device& x) { return x.id != dev; });
    return d;
  };
  const auto base = only(base_doc(), "cpu:0");
  auto cand = only(candidate(), "example:0");
  const auto strict = compare_documents(base, cand, {});
  EXPECT_EQ(strict.count(Outcome::BaseOnly), 5u);
  EXPECT_EQ(strict.count(Outcome::NewOnly), 5u);
  Options o;
  o.ignore_device = true;
  const auto loose = compare_documents(base, cand, o);
  EXPECT_EQ(loose.cases.size(), 5u);
  EXPECT_EQ(loose.count(Outcome::BaseOnly), 0u);
  EXPECT_EQ(loose.cases[0].key, "gemm/m256_n256_k256/fp32");
}

TEST(Compare, DuplicateKeysAreDisambiguatedWithAWarning) {
  Options o;
  o.ignore_device = true;  // three devices now share every key
  const auto c = compare_documents(base_doc(), base_doc(), o);
  EXPECT_EQ(c.cases.size(), 15u);
  EXPECT_EQ(c.count(Outcome::Unchanged), 15u);
  ASSERT_EQ(c.warnings.size(), 10u);  // 5 keys x 2 documents
  EXPECT_EQ(c.cases[5].key, "gemm/m256_n256_k256/fp32 #2");
}

TEST(Compare, HostDifferencesAreWarnedNotGated) {
  auto base = base_doc();
  auto cand = candidate();
  base.host.clock_under_load_mhz = 3500.0;
  cand.host.clock_under_load_mhz = 3560.0;  // +1.7 %: the usual spread, no warning
  auto c = compare_documents(base, cand, {});
  EXPECT_TRUE(c.warnings.empty()) << c.warnings.front();
  cand.host.clock_under_load_mhz = 3220.0;  // -8 %: a busy or slower host
  c = compare_documents(base, cand, {});
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0],
            "the host CPU's clock under load differs by -8.0 % (baseline 3.50 GHz, candidate "
            "3.22 GHz): CPU figures move with it, so a change of that size on a CPU device may "
            "be the clock's, not the code's");
  EXPECT_EQ(c.regressions(), 0u);  // a warning, never a verdict
  cand.host.cpu_model = "AMD EPYC 9654 96-Core Processor  ";
  cand.host.cores = 96;
  c = compare_documents(base, cand, {});
  ASSERT_EQ(c.warnings.size(), 2u);
  EXPECT_EQ(c.warnings[0],
            "the runs are on different host CPUs (baseline: Oxide Virtual Turin-like Processor, 2 "
            "cores; candidate: AMD EPYC 9654 96-Core Processor, 96 cores): a change in a CPU "
            "figure may be the machine's");
  // A clock its cross-check refutes (an `add $1` chain on a 2.1 GHz Xeon)
  // is named, not compared.
  cand.host.cpu_model = base.host.cpu_model;
  cand.host.cores = base.host.cores;
  cand.host.clock_under_load_mhz = 10726.0;
  cand.host.clock_under_load_readings_mhz = {10726.0};
  cand.host.clock_cross_check_readings_mhz = {2712.0};
  c = compare_documents(base, cand, {});
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0].rfind("the candidate's clock reading is not trusted, so the clocks are "
                                "not compared: reading 0: the add chain read 10726 MHz and the "
                                "imul chain 2712 MHz",
                                0),
            0u)
      << c.warnings[0];
  cand.host.clock_cross_check_readings_mhz = {10700.0};  // agrees: compared, -> +206 %
  EXPECT_NE(compare_documents(base, cand, {}).warnings.at(0).find("differs by +206.5 %"),
            std::string::npos);
  cand.host.clock_under_load_readings_mhz.clear();
  cand.host.clock_cross_check_readings_mhz.clear();
  // One side without a clock (an older document, or not x86-64): nothing to say.
  base.host.clock_under_load_mhz.reset();
  cand.host.cpu_model = base.host.cpu_model;
  cand.host.cores = base.host.cores;
  EXPECT_TRUE(compare_documents(base, cand, {}).warnings.empty());
}

TEST(Compare, RejectsBadOptions) {
  const auto d = base_doc();
  Options o;
  o.alpha = 0;
  EXPECT_THROW(compare_documents(d, d, o), std::invalid_argument);
  o = {};
  o.threshold = -0.1;
  EXPECT_THROW(compare_documents(d, d, o), std::invalid_argument);
  o = {};
  o.min_samples = 0;
  EXPECT_THROW(compare_documents(d, d, o), std::invalid_argument);
}

TEST(Compare, KeyExcludesDeviceIdAndDriverVersion) {
  const auto d = base_doc();
  EXPECT_EQ(match_key(d.cases[0], &d.devices[0], false),
            "gemm/m256_n256_k256/fp32 on " + d.devices[0].vendor + " " + d.devices[0].name);
  EXPECT_EQ(match_key(d.cases[0], nullptr, false), "gemm/m256_n256_k256/fp32 on cpu:0");
  EXPECT_EQ(match_key(d.cases[0], &d.devices[0], true), "gemm/m256_n256_k256/fp32");
}

void check_golden(const std::string& text, const std::string& name) {
  const std::string path = kData + "/" + name;
  if (std::getenv("CHIPCERT_UPDATE_GOLDEN") != nullptr)
    std::ofstream(path, std::ios::binary) << text;
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(text, ss.str()) << name
                            << " changed; if intended, regenerate with CHIPCERT_UPDATE_GOLDEN=1";
}

TEST(Golden, JsonMarkdownText) {
  const auto c =
      compare_documents(base_doc(), candidate(1.5), {}, "base-smoke.json", "candidate.json");
  const auto j = to_json(c);
  EXPECT_EQ(j.at("schema_version"), kCompareSchemaVersion);
  EXPECT_EQ(j.at("regression"), true);
  EXPECT_EQ(j.at("summary").at("regressed"), 1);
  check_golden(j.dump(2) + "\n", "golden-compare.json");
  check_golden(render_markdown(c), "golden-compare.md");
  const std::string text = render_text(c);
  check_golden(text, "golden-compare.txt");
  EXPECT_NE(text.find("FAIL: 1 case(s) regressed"), std::string::npos);
}

}  // namespace
}  // namespace chipcert::compare
