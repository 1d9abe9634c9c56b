#include "chipcert/workloads/verify.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace chipcert::workloads {

VerifyResult compare_elementwise(std::span<const double> expected, std::span<const double> actual,
                                 const std::function<double(size_t)>& bound,
                                 const std::string& rule) {
  VerifyResult r;
  r.method = "elementwise";
  r.tolerance = rule;
  const size_t n = std::min(expected.size(), actual.size());
  r.checked = n;
  uint64_t zeros = 0;
  uint64_t ref_zeros = 0;
  for (size_t i = 0; i < n; ++i) {
    const double e = expected[i];
    const double a = actual[i];
    if (a == 0.0) ++zeros;
    if (e == 0.0) ++ref_zeros;
    const double err = std::fabs(a - e);
    const bool ok = std::isfinite(a) && err <= bound(i);
    if (std::isfinite(err)) {
      r.max_abs_error = std::max(r.max_abs_error, err);
      if (e != 0.0) r.max_rel_error = std::max(r.max_rel_error, err / std::fabs(e));
    }
    if (!ok) {
      ++r.mismatches;
      if (r.first_mismatches.size() < kMismatchesKept) r.first_mismatches.push_back({i, e, a});
    }
  }
  if (expected.size() != actual.size()) {
    r.passed = false;
    r.reason = "output has " + std::to_string(actual.size()) + " elements, expected " +
               std::to_string(expected.size());
    return r;
  }
  r.zero_fraction = n ? static_cast<double>(zeros) / static_cast<double>(n) : 0.0;
  const double ref_zero_fraction =
      n ? static_cast<double>(ref_zeros) / static_cast<double>(n) : 0.0;
  if (r.mismatches > 0) {
    std::ostringstream s;
    s.precision(9);
    const auto& m = r.first_mismatches.front();
    s << r.mismatches << " of " << n << " elements outside tolerance; first at index " << m.index
      << ": expected " << m.expected << ", got " << m.actual;
    r.reason = s.str();
    r.passed = false;
  } else {
    r.passed = true;
  }
  if (n > 0 && r.zero_fraction > kZeroTrustLimit && ref_zero_fraction <= kZeroTrustLimit) {
    std::ostringstream s;
    s.precision(3);
    s << 100.0 * r.zero_fraction << " % of outputs are exactly zero (limit "
      << 100.0 * kZeroTrustLimit << " %): the check cannot be trusted";
    r.mistrusted = true;
    r.passed = false;
    r.reason = r.reason.empty() ? s.str() : r.reason + "; " + s.str();
  }
  return r;
}

VerifyResult compare_normwise(std::span<const double> expected, std::span<const double> actual,
                              double c, double L, double u, const std::string& what) {
  double max_ref = 0;
  for (double r : expected) max_ref = std::max(max_ref, std::fabs(r));
  const double norm_bound = c * std::sqrt(L) * u * max_ref;
  std::ostringstream rule;
  rule << what << ": |x-ref| <= " << c << "*sqrt(L)*u*max|ref| + 2u|ref|, L=" << L << ", u=" << u;
  return compare_elementwise(
      expected, actual, [&](size_t k) { return norm_bound + 2.0 * u * std::fabs(expected[k]); },
      rule.str());
}

VerifyResult compare_exact_bytes(std::span<const std::byte> expected,
                                 std::span<const std::byte> actual) {
  VerifyResult r;
  r.method = "exact";
  r.tolerance = "every byte identical";
  const size_t n = std::min(expected.size(), actual.size());
  r.checked = n;
  uint64_t zeros = 0, ref_zeros = 0;
  for (size_t i = 0; i < n; ++i) {
    zeros += actual[i] == std::byte{0};
    ref_zeros += expected[i] == std::byte{0};
    if (actual[i] != expected[i]) {
      ++r.mismatches;
      if (r.first_mismatches.size() < kMismatchesKept)
        r.first_mismatches.push_back(
            {i, static_cast<double>(expected[i]), static_cast<double>(actual[i])});
    }
  }
  if (r.mismatches > 0) r.max_abs_error = 255;  // bytes have no meaningful distance
  if (expected.size() != actual.size()) {
    r.reason = "output has " + std::to_string(actual.size()) + " bytes, expected " +
               std::to_string(expected.size());
    return r;
  }
  r.zero_fraction = n ? static_cast<double>(zeros) / static_cast<double>(n) : 0.0;
  const double ref_zero_fraction = n ? static_cast<double>(ref_zeros) / static_cast<double>(n) : 0;
  r.passed = r.mismatches == 0;
  if (!r.passed) {
    const auto& m = r.first_mismatches.front();
    r.reason = std::to_string(r.mismatches) + " of " + std::to_string(n) +
               " bytes differ; first at offset " + std::to_string(m.index) + ": expected " +
               std::to_string(static_cast<int>(m.expected)) + ", got " +
               std::to_string(static_cast<int>(m.actual));
  }
  if (n > 0 && r.zero_fraction > kZeroTrustLimit && ref_zero_fraction <= kZeroTrustLimit) {
    r.mistrusted = true;
    r.passed = false;
    const std::string z = "most transferred bytes are zero: the check cannot be trusted";
    r.reason = r.reason.empty() ? z : r.reason + "; " + z;
  }
  return r;
}

int64_t affordable_checks(int64_t n, double cost, double limit) {
  if (cost * static_cast<double>(n) <= limit) return n;
  return std::min(n, std::max<int64_t>(2, static_cast<int64_t>(limit / cost)));
}

std::vector<int64_t> evenly_spaced(int64_t n, int64_t count) {
  count = std::min(count, n);
  std::vector<int64_t> idx;
  idx.reserve(static_cast<size_t>(std::max<int64_t>(count, 0)));
  for (int64_t i = 0; i < count; ++i) idx.push_back(count == 1 ? 0 : i * (n - 1) / (count - 1));
  return idx;
}

VerifyResult merge(std::vector<VerifyResult> parts) {
  if (parts.empty()) return {};
  if (parts.size() == 1) return std::move(parts.front());
  VerifyResult r;
  r.method = parts.front().method;
  r.passed = true;
  uint64_t zeros_weighted = 0;
  for (auto& p : parts) {
    if (!r.tolerance.empty() && r.tolerance != p.tolerance) r.tolerance += "; " + p.tolerance;
    if (r.tolerance.empty()) r.tolerance = p.tolerance;
    r.checked += p.checked;
    r.mismatches += p.mismatches;
    r.max_abs_error = std::max(r.max_abs_error, p.max_abs_error);
    r.max_rel_error = std::max(r.max_rel_error, p.max_rel_error);
    zeros_weighted += static_cast<uint64_t>(p.zero_fraction * static_cast<double>(p.checked));
    r.passed = r.passed && p.passed;
    r.mistrusted = r.mistrusted || p.mistrusted;
    for (auto& m : p.first_mismatches)
      if (r.first_mismatches.size() < kMismatchesKept) r.first_mismatches.push_back(m);
    if (!p.reason.empty()) r.reason += (r.reason.empty() ? "" : "; ") + p.reason;
  }
  r.zero_fraction =
      r.checked ? static_cast<double>(zeros_weighted) / static_cast<double>(r.checked) : 0.0;
  return r;
}

}  // namespace chipcert::workloads
