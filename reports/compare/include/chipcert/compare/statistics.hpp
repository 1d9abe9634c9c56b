#pragma once
/// Two-sample statistics for `chipcert compare`, as pure functions over raw
/// samples (seconds per iteration). Small-sample behaviour is part of the
/// contract and unit-tested at n = 1, 2, 3 and against scipy.

#include <cstddef>
#include <optional>
#include <span>

namespace chipcert::compare {

/// How a Mann-Whitney p-value was obtained.
enum class PMethod {
  Exact,       ///< exact null distribution of U (no ties, a small sample)
  Asymptotic,  ///< normal approximation, tie-corrected, continuity-corrected
  None,        ///< no test: a side has no sample
};

/// "exact", "asymptotic", "none".
const char* to_string(PMethod m);

struct MannWhitney {
  double u1 = 0;  ///< U of the first sample (number of pairs a_i > b_j, ties 1/2)
  double p = 1;   ///< two-sided p-value in [0, 1]
  PMethod method = PMethod::None;
};

/// Two-sided Mann-Whitney U test, computed as scipy.stats.mannwhitneyu with
/// its defaults (method="auto", use_continuity=True), which Google
/// Benchmark's compare.py calls:
/// - exact when there are no ties and min(n_a, n_b) <= 8 (scipy: "not both
///   > 8"): p = 2 P(U >= max(U1, U2)) under H0, clipped to 1. The exact
///   distribution is only valid without ties; it is computed by counting
///   (doubles, additions only), so it is limited to n_a * n_b <= 10000;
///   beyond that (where scipy would still be exact) the normal approximation
///   is used, which is then accurate to ~1e-4.
/// - otherwise the normal approximation with the tie correction of the
///   variance and a continuity correction of 1/2; when every value is tied
///   the variance is 0 and p = 1.
/// Either side empty: method None, p = 1, u1 = 0. Throws
/// std::invalid_argument for a non-finite sample.
MannWhitney mann_whitney_u(std::span<const double> a, std::span<const double> b);

/// Median (mean of the two middle values for even n); NaN when empty.
double median(std::span<const double> samples);

/// The Hodges-Lehmann estimate of the ratio b / a (e.g. new time / base
/// time) and its distribution-free confidence interval (Moses / Bauer): on
/// the logarithms, the n_a * n_b pairwise differences log b_j - log a_i are
/// sorted; the estimate is exp(their median) and the interval
/// [exp(d_(K)), exp(d_(N+1-K))] with K the largest k for which the U null
/// distribution gives P(U <= k - 1) <= (1 - confidence) / 2 (exact counts
/// when min(n_a, n_b) <= 8 and n_a * n_b <= 10000, else the normal
/// approximation K = floor(n_a n_b / 2 - z sqrt(n_a n_b (n_a + n_b + 1) / 12))). It pairs with the
/// U test: the interval excludes 1 about when the test rejects.
struct RatioInterval {
  double estimate = 1;
  std::optional<double> low, high;  ///< absent when the samples are too few for the level
};

/// std::nullopt when a side is empty or holds a sample <= 0 (no logarithm).
/// confidence in (0, 1), else std::invalid_argument.
std::optional<RatioInterval> ratio_interval(std::span<const double> a, std::span<const double> b,
                                            double confidence);

/// The standard normal quantile (inverse CDF), p in (0, 1).
double normal_quantile(double p);

}  // namespace chipcert::compare
