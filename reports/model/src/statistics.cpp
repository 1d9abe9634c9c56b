#include "chipcert/results/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace chipcert::results {
namespace {

std::vector<double> sorted_finite(std::span<const double> samples) {
  std::vector<double> v(samples.begin(), samples.end());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) {
      throw std::invalid_argument("statistics: sample " + std::to_string(i) + " is not finite");
    }
  }
  std::sort(v.begin(), v.end());
  return v;
}

/// Type 7 on already sorted, non-empty data: h = (n-1)q, interpolate between
/// the neighbours of h. Written as a + (b-a)t so that equal neighbours give
/// exactly that value.
double quantile_sorted(const std::vector<double>& v, double q) {
  const double h = static_cast<double>(v.size() - 1) * q;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  if (lo + 1 >= v.size()) return v.back();
  return v[lo] + (v[lo + 1] - v[lo]) * (h - static_cast<double>(lo));
}

void check_q(double q) {
  if (!(q >= 0.0 && q <= 1.0)) {
    throw std::invalid_argument("quantile: q must be in [0, 1], got " + std::to_string(q));
  }
}

}  // namespace

double quantile(std::span<const double> samples, double q) {
  check_q(q);
  const std::vector<double> v = sorted_finite(samples);
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  return quantile_sorted(v, q);
}

Statistics summarize(std::span<const double> samples) {
  const std::vector<double> v = sorted_finite(samples);
  Statistics s;
  s.n = v.size();
  if (v.empty()) return s;
  s.min = v.front();
  s.max = v.back();
  s.median = quantile_sorted(v, 0.5);
  s.p90 = quantile_sorted(v, 0.9);
  s.p99 = quantile_sorted(v, 0.99);
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  // Rounding can put the mean a hair outside [min, max] for near-constant
  // data; keep the obvious invariant min <= mean <= max.
  s.mean = std::clamp(s.mean, s.min, s.max);
  if (v.size() >= 2) {
    // Two-pass: accurate for the tightly clustered timings we expect.
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(ss / static_cast<double>(v.size() - 1));
    s.cv = s.mean != 0 ? s.stddev / s.mean : 0;
  }
  return s;
}

}  // namespace chipcert::results
