#include "chipcert/compare/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <vector>

namespace chipcert::compare {

namespace {

constexpr size_t kMaxExactSide = 8;       // scipy's rule: exact unless both sides > 8
constexpr size_t kMaxExactPairs = 10000;  // counting cost grows as (n_a n_b)^2

bool exact_feasible(size_t m, size_t n) {
  return std::min(m, n) <= kMaxExactSide && m * n <= kMaxExactPairs;
}

void check_finite(std::span<const double> v) {
  for (double x : v)
    if (!std::isfinite(x)) throw std::invalid_argument("sample is not a finite number");
}

/// counts[k]: how many of the C(m+n, m) orderings of m a's and n b's give
/// U_a = k (pairs with the a above the b). Recurrence on the largest value:
/// N(j, i, k) = N(j-1, i, k-i) + N(j, i-1, k). Additions only, so doubles
/// keep their relative precision even where the integers exceed 2^53.
std::vector<double> u_counts(size_t m, size_t n) {
  std::vector<std::vector<double>> rows(m + 1, std::vector<double>(m * n + 1, 0.0));
  for (auto& r : rows) r[0] = 1.0;  // i = 0 b's: U = 0 only
  for (size_t i = 1; i <= n; ++i)
    for (size_t j = 1; j <= m; ++j)
      for (size_t k = j * i; k >= i; --k) rows[j][k] += rows[j - 1][k - i];
  return rows[m];
}

/// Standard normal upper tail.
double normal_sf(double z) {
  return 0.5 * std::erfc(z / std::sqrt(2.0));
}

/// Average ranks (1-based) of the pooled sample, and the tie term sum(t^3 - t).
std::vector<double> ranks(const std::vector<double>& pooled, double& tie_term, bool& ties) {
  const size_t n = pooled.size();
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return pooled[x] < pooled[y]; });
  std::vector<double> r(n);
  tie_term = 0;
  ties = false;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && pooled[order[j + 1]] == pooled[order[i]]) ++j;
    const double t = static_cast<double>(j - i + 1);
    if (t > 1) ties = true, tie_term += t * t * t - t;
    const double avg = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (size_t k = i; k <= j; ++k) r[order[k]] = avg;
    i = j + 1;
  }
  return r;
}

}  // namespace

const char* to_string(PMethod m) {
  switch (m) {
    case PMethod::Exact:
      return "exact";
    case PMethod::Asymptotic:
      return "asymptotic";
    case PMethod::None:
      return "none";
  }
  return "?";
}

double median(std::span<const double> samples) {
  if (samples.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> v(samples.begin(), samples.end());
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

MannWhitney mann_whitney_u(std::span<const double> a, std::span<const double> b) {
  check_finite(a);
  check_finite(b);
  MannWhitney r;
  const size_t n1 = a.size(), n2 = b.size();
  if (n1 == 0 || n2 == 0) return r;
  std::vector<double> pooled(a.begin(), a.end());
  pooled.insert(pooled.end(), b.begin(), b.end());
  double tie_term = 0;
  bool ties = false;
  const auto rk = ranks(pooled, tie_term, ties);
  double r1 = 0;
  for (size_t i = 0; i < n1; ++i) r1 += rk[i];
  const double dn1 = static_cast<double>(n1), dn2 = static_cast<double>(n2);
  r.u1 = r1 - dn1 * (dn1 + 1) / 2;
  const double u = std::max(r.u1, dn1 * dn2 - r.u1);

  if (!ties && exact_feasible(n1, n2)) {
    r.method = PMethod::Exact;
    const auto counts = u_counts(n1, n2);
    double total = 0, tail = 0;
    const auto ku = static_cast<size_t>(std::llround(u));
    for (size_t k = 0; k < counts.size(); ++k) {
      total += counts[k];
      if (k >= ku) tail += counts[k];
    }
    r.p = std::min(1.0, 2.0 * tail / total);
    return r;
  }
  r.method = PMethod::Asymptotic;
  const double n = dn1 + dn2;
  const double var = dn1 * dn2 / 12.0 * ((n + 1) - tie_term / (n * (n - 1)));
  if (!(var > 0)) {
    r.p = 1.0;  // every value tied: no evidence of a difference
    return r;
  }
  const double z = (u - dn1 * dn2 / 2.0 - 0.5) / std::sqrt(var);
  r.p = std::clamp(2.0 * normal_sf(z), 0.0, 1.0);
  return r;
}

double normal_quantile(double p) {
  if (!(p > 0 && p < 1)) throw std::invalid_argument("normal_quantile: p must be in (0, 1)");
  // Acklam's rational approximation, then one Halley step on erfc.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  double x;
  if (p < 0.02425) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - 0.02425) {
    const double q = p - 0.5, rr = q * q;
    x = (((((a[0] * rr + a[1]) * rr + a[2]) * rr + a[3]) * rr + a[4]) * rr + a[5]) * q /
        (((((b[0] * rr + b[1]) * rr + b[2]) * rr + b[3]) * rr + b[4]) * rr + 1);
  } else {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * std::numbers::pi) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

std::optional<RatioInterval> ratio_interval(std::span<const double> a, std::span<const double> b,
                                            double confidence) {
  if (!(confidence > 0 && confidence < 1))
    throw std::invalid_argument("ratio_interval: confidence must be in (0, 1)");
  check_finite(a);
  check_finite(b);
  if (a.empty() || b.empty()) return std::nullopt;
  for (double x : a)
    if (!(x > 0)) return std::nullopt;
  for (double x : b)
    if (!(x > 0)) return std::nullopt;
  std::vector<double> d;
  d.reserve(a.size() * b.size());
  for (double x : a)
    for (double y : b) d.push_back(std::log(y) - std::log(x));
  std::sort(d.begin(), d.end());
  RatioInterval r;
  r.estimate = std::exp(median(d));
  const size_t N = d.size();
  const double half_alpha = (1 - confidence) / 2;
  size_t K = 0;  // 1-based rank of the lower bound; 0: not reachable
  if (exact_feasible(a.size(), b.size())) {
    const auto counts = u_counts(a.size(), b.size());
    double total = 0;
    for (double c : counts) total += c;
    double cdf = 0;  // P(U <= k - 1) as k grows
    for (size_t k = 1; k <= counts.size(); ++k) {
      cdf += counts[k - 1];
      if (cdf / total <= half_alpha)
        K = k;
      else
        break;
    }
  } else {
    const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
    const double k = std::floor(na * nb / 2 - normal_quantile(1 - half_alpha) *
                                                  std::sqrt(na * nb * (na + nb + 1) / 12));
    K = k >= 1 ? static_cast<size_t>(k) : 0;
  }
  if (K >= 1 && K <= N / 2 + 1 && N + 1 - K >= K) {
    r.low = std::exp(d[K - 1]);
    r.high = std::exp(d[N - K]);
  }
  return r;
}

}  // namespace chipcert::compare
