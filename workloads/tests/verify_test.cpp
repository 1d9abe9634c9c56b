#include "chipcert/workloads/verify.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

namespace cw = chipcert::workloads;

namespace {
std::vector<double> ramp(size_t n) {
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = 1.0 + static_cast<double>(i) * 0.25;
  return v;
}
auto rel_bound(const std::vector<double>& ref, double u) {
  return [&ref, u](size_t i) { return 2 * u * std::fabs(ref[i]); };
}
}  // namespace

TEST(Verify, ExactMatchPasses) {
  auto ref = ramp(100);
  auto r = cw::compare_elementwise(ref, ref, rel_bound(ref, 0x1p-24), "rule");
  EXPECT_TRUE(r.passed);
  EXPECT_FALSE(r.mistrusted);
  EXPECT_EQ(r.checked, 100u);
  EXPECT_EQ(r.mismatches, 0u);
  EXPECT_TRUE(r.reason.empty());
}

TEST(Verify, OneUlpOffPasses) {
  auto ref = ramp(100);
  auto got = ref;
  for (auto& x : got) x = std::nextafter(static_cast<float>(x), 1e30f);
  EXPECT_TRUE(cw::compare_elementwise(ref, got, rel_bound(ref, 0x1p-24), "r").passed);
}

TEST(Verify, OneWrongElementFailsAndIsNamed) {
  auto ref = ramp(100);
  auto got = ref;
  got[42] += 0.5;
  auto r = cw::compare_elementwise(ref, got, rel_bound(ref, 0x1p-24), "r");
  EXPECT_FALSE(r.passed);
  EXPECT_FALSE(r.mistrusted);
  EXPECT_EQ(r.mismatches, 1u);
  ASSERT_EQ(r.first_mismatches.size(), 1u);
  EXPECT_EQ(r.first_mismatches[0].index, 42u);
  EXPECT_NE(r.reason.find("index 42"), std::string::npos) << r.reason;
}

TEST(Verify, NanNeverPasses) {
  auto ref = ramp(10);
  auto got = ref;
  got[3] = std::numeric_limits<double>::quiet_NaN();
  auto r = cw::compare_elementwise(
      ref, got, [](size_t) { return 1e300; }, "r");
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.mismatches, 1u);
}

TEST(Verify, AllZerosIsMistrusted) {
  auto ref = ramp(100);
  std::vector<double> got(100, 0.0);
  auto r = cw::compare_elementwise(ref, got, rel_bound(ref, 0x1p-24), "r");
  EXPECT_TRUE(r.mistrusted);
  EXPECT_FALSE(r.passed);
  EXPECT_DOUBLE_EQ(r.zero_fraction, 1.0);
}

TEST(Verify, ZerosMatchingAZeroReferenceAreNotMistrusted) {
  // Zero trust is about outputs the reference does not predict to be zero.
  std::vector<double> ref(100, 0.0), got(100, 0.0);
  auto r = cw::compare_elementwise(
      ref, got, [](size_t) { return 0.0; }, "r");
  EXPECT_TRUE(r.passed);
  EXPECT_FALSE(r.mistrusted);
}

TEST(Verify, SizeMismatchFails) {
  auto ref = ramp(10);
  auto got = ramp(9);
  auto r = cw::compare_elementwise(ref, got, rel_bound(ref, 0x1p-24), "r");
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.reason.find("9 elements"), std::string::npos);
}

TEST(Verify, MergeKeepsWorstOutcome) {
  auto ref = ramp(10);
  auto good = cw::compare_elementwise(ref, ref, rel_bound(ref, 0x1p-24), "r");
  auto bad_got = ref;
  bad_got[0] = -5;
  auto bad = cw::compare_elementwise(ref, bad_got, rel_bound(ref, 0x1p-24), "r");
  auto m = cw::merge({good, bad});
  EXPECT_FALSE(m.passed);
  EXPECT_EQ(m.checked, 20u);
  EXPECT_EQ(m.mismatches, 1u);
}

TEST(Verify, NormwiseBoundScalesWithLargestReferenceElement) {
  // ref = {1000, 1}: bound for element 1 is c*sqrt(L)*u*1000 + 2u, so an
  // error just under that passes and one just over fails.
  const std::vector<double> ref{1000.0, 1.0};
  const double c = 64, L = 16, u = 0x1p-24;
  const double bound1 = c * std::sqrt(L) * u * 1000.0 + 2.0 * u;
  auto ok =
      cw::compare_normwise(ref, std::vector<double>{1000.0, 1.0 + 0.9 * bound1}, c, L, u, "dW");
  EXPECT_TRUE(ok.passed) << ok.reason;
  auto bad =
      cw::compare_normwise(ref, std::vector<double>{1000.0, 1.0 + 1.1 * bound1}, c, L, u, "dW");
  EXPECT_FALSE(bad.passed);
  EXPECT_EQ(bad.mismatches, 1u);
  EXPECT_EQ(bad.first_mismatches.front().index, 1u);
  EXPECT_NE(bad.tolerance.find("dW: |x-ref| <= 64*sqrt(L)"), std::string::npos) << bad.tolerance;
}

TEST(Verify, EvenlySpacedCoversFirstAndLast) {
  using V = std::vector<int64_t>;
  EXPECT_EQ(cw::evenly_spaced(10, 4), (V{0, 3, 6, 9}));
  EXPECT_EQ(cw::evenly_spaced(5, 5), (V{0, 1, 2, 3, 4}));
  EXPECT_EQ(cw::evenly_spaced(3, 64), (V{0, 1, 2}));  // never past the end, never twice
  EXPECT_EQ(cw::evenly_spaced(7, 1), (V{0}));
  EXPECT_EQ(cw::evenly_spaced(1, 2), (V{0}));
  EXPECT_TRUE(cw::evenly_spaced(0, 4).empty());
  EXPECT_TRUE(cw::evenly_spaced(9, 0).empty());
  // Large n: no overflow in i * (n - 1), strictly increasing.
  const V big = cw::evenly_spaced(int64_t{1} << 40, 1000);
  ASSERT_EQ(big.size(), 1000u);
  EXPECT_EQ(big.back(), (int64_t{1} << 40) - 1);
  for (size_t i = 1; i < big.size(); ++i) EXPECT_LT(big[i - 1], big[i]);
}

TEST(Verify, AffordableChecksUnderACostLimit) {
  EXPECT_EQ(cw::affordable_checks(100, 10.0, 1000.0), 100);  // fits exactly
  EXPECT_EQ(cw::affordable_checks(100, 10.0, 999.0), 99);    // as many as fit
  EXPECT_EQ(cw::affordable_checks(100, 1e9, 1000.0), 2);     // at least first and last
  EXPECT_EQ(cw::affordable_checks(1, 1e9, 1000.0), 1);       // never more than there are
  EXPECT_EQ(cw::affordable_checks(0, 1e9, 1000.0), 0);
  EXPECT_EQ(cw::affordable_checks(50, 0.0, 0.0), 50);  // free to check: all
}
