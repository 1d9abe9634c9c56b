// Small-sample behaviour is part of the contract (statistics.hpp). Reference
// values are numpy's: np.quantile (default "linear" = type 7), np.std(ddof=1).

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "chipcert/results/statistics.hpp"

namespace chipcert::results {
namespace {

TEST(Quantile, Empty) {
  EXPECT_TRUE(std::isnan(quantile({}, 0.5)));
}

TEST(Quantile, One) {
  const std::vector<double> v{4.25};
  for (double q : {0.0, 0.5, 0.9, 0.99, 1.0}) EXPECT_EQ(quantile(v, q), 4.25);
}

TEST(Quantile, TwoInterpolates) {
  const std::vector<double> v{3.0, 1.0};  // unsorted on purpose
  EXPECT_EQ(quantile(v, 0.0), 1.0);
  EXPECT_EQ(quantile(v, 0.5), 2.0);
  EXPECT_DOUBLE_EQ(quantile(v, 0.9), 2.8);
  EXPECT_DOUBLE_EQ(quantile(v, 0.99), 2.98);
  EXPECT_EQ(quantile(v, 1.0), 3.0);
}

TEST(Quantile, RejectsBadInput) {
  const std::vector<double> v{1.0, 2.0};
  EXPECT_THROW(quantile(v, -0.1), std::invalid_argument);
  EXPECT_THROW(quantile(v, 1.5), std::invalid_argument);
  EXPECT_THROW(quantile(v, std::nan("")), std::invalid_argument);
  const std::vector<double> bad{1.0, std::numeric_limits<double>::quiet_NaN()};
  EXPECT_THROW(quantile(bad, 0.5), std::invalid_argument);
  EXPECT_THROW(summarize(bad), std::invalid_argument);
}

TEST(Summarize, Empty) {
  const Statistics s = summarize({});
  EXPECT_EQ(s, Statistics{});
  EXPECT_EQ(s.n, 0u);
}

TEST(Summarize, One) {
  const std::vector<double> v{0.0025};
  const Statistics s = summarize(v);
  EXPECT_EQ(s.n, 1u);
  for (double x : {s.min, s.median, s.mean, s.max, s.p90, s.p99}) EXPECT_EQ(x, 0.0025);
  EXPECT_EQ(s.stddev, 0.0);
  EXPECT_EQ(s.cv, 0.0);
}

TEST(Summarize, Two) {
  const std::vector<double> v{3.0, 1.0};
  const Statistics s = summarize(v);
  EXPECT_EQ(s.n, 2u);
  EXPECT_EQ(s.min, 1.0);
  EXPECT_EQ(s.max, 3.0);
  EXPECT_EQ(s.median, 2.0);
  EXPECT_EQ(s.mean, 2.0);
  EXPECT_DOUBLE_EQ(s.stddev, std::sqrt(2.0));  // np.std([1, 3], ddof=1)
  EXPECT_DOUBLE_EQ(s.cv, std::sqrt(2.0) / 2.0);
  EXPECT_DOUBLE_EQ(s.p90, 2.8);
  EXPECT_DOUBLE_EQ(s.p99, 2.98);
}

TEST(Summarize, Three) {
  const std::vector<double> v{3.0, 1.0, 2.0};
  const Statistics s = summarize(v);
  EXPECT_EQ(s.n, 3u);
  EXPECT_EQ(s.median, 2.0);
  EXPECT_EQ(s.mean, 2.0);
  EXPECT_DOUBLE_EQ(s.stddev, 1.0);
  EXPECT_DOUBLE_EQ(s.cv, 0.5);
  EXPECT_DOUBLE_EQ(s.p90, 2.8);   // h = 2 * 0.9 = 1.8 -> 2 + 0.8 * (3 - 2)
  EXPECT_DOUBLE_EQ(s.p99, 2.98);  // h = 1.98
}

TEST(Summarize, OneToTen) {
  const std::vector<double> v{10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
  const Statistics s = summarize(v);
  EXPECT_EQ(s.n, 10u);
  EXPECT_EQ(s.min, 1.0);
  EXPECT_EQ(s.max, 10.0);
  EXPECT_DOUBLE_EQ(s.median, 5.5);
  EXPECT_DOUBLE_EQ(s.mean, 5.5);
  EXPECT_DOUBLE_EQ(s.p90, 9.1);   // h = 8.1
  EXPECT_DOUBLE_EQ(s.p99, 9.91);  // h = 8.91
  // sum((x - 5.5)^2) = 82.5; / 9 -> 9.1666...; sqrt -> np.std(ddof=1)
  EXPECT_DOUBLE_EQ(s.stddev, 3.0276503540974917);
  EXPECT_DOUBLE_EQ(s.cv, 3.0276503540974917 / 5.5);
}

TEST(Summarize, TimingLikeSet) {
  // np.quantile(d, [.5, .9, .99]) -> 0.31, 0.746, 0.9026; np.std(d, ddof=1) -> 0.28698763869181676
  const std::vector<double> v{0.31, 0.12, 0.45, 0.15, 0.92, 0.26, 0.63};
  const Statistics s = summarize(v);
  EXPECT_EQ(s.n, 7u);
  EXPECT_EQ(s.min, 0.12);
  EXPECT_EQ(s.max, 0.92);
  EXPECT_DOUBLE_EQ(s.median, 0.31);
  EXPECT_NEAR(s.mean, 0.4057142857142857, 1e-15);
  EXPECT_NEAR(s.p90, 0.746, 1e-15);
  EXPECT_NEAR(s.p99, 0.9026, 1e-15);
  EXPECT_NEAR(s.stddev, 0.28698763869181676, 1e-15);
  EXPECT_NEAR(s.cv, 0.7073638981840554, 1e-14);
}

TEST(Summarize, ConstantSamplesHaveZeroSpread) {
  const std::vector<double> v{0.1, 0.1, 0.1};
  const Statistics s = summarize(v);
  EXPECT_EQ(s.mean, 0.1);
  EXPECT_EQ(s.stddev, 0.0);
  EXPECT_EQ(s.cv, 0.0);
}

}  // namespace
}  // namespace chipcert::results
