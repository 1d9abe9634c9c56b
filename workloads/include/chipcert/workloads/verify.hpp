#pragma once
/// Compare policies (after benchdnn's compare.hpp): element-wise against a
/// reference with a per-element bound, counting every wrong element, keeping
/// the first few, and "zero trust": an output that is mostly exact zeros
/// proves nothing about the kernel and is Mistrusted, not Passed.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace chipcert::workloads {

struct Mismatch {
  uint64_t index = 0;
  double expected = 0;
  double actual = 0;
};

/// Outcome of checking one output against its reference.
struct VerifyResult {
  bool passed = false;
  bool mistrusted = false;  ///< output matched but is too zero to be trusted
  std::string method;       ///< "elementwise", "scalar", ...
  std::string tolerance;    ///< the rule, human readable
  uint64_t checked = 0;
  uint64_t mismatches = 0;
  double max_abs_error = 0;
  double max_rel_error = 0;
  double zero_fraction = 0;  ///< share of exactly-zero elements in the output
  std::vector<Mismatch> first_mismatches;
  std::string reason;  ///< one line for a failed / mistrusted result; empty if passed
};

/// Share of exactly-zero outputs above which a result is Mistrusted, unless
/// the reference itself has that many zeros. 30 % as benchdnn's default.
inline constexpr double kZeroTrustLimit = 0.30;
/// How many mismatches a result keeps for the report.
inline constexpr size_t kMismatchesKept = 10;

/// Compare `actual` with `expected` element-wise: element i passes when
/// |actual - expected| <= bound(i) (NaN never passes). `rule` describes the
/// bound for the report.
VerifyResult compare_elementwise(std::span<const double> expected, std::span<const double> actual,
                                 const std::function<double(size_t)>& bound,
                                 const std::string& rule);

/// Compare a whole computation's output (a layer, a training step's
/// gradients) where rounding errors accumulate over a chain of kernels:
/// element i passes when |actual - expected| <= c*sqrt(L)*u*max|expected| +
/// 2u|expected|. The first term is the normwise bound of a length-L dot
/// product (Higham, 2nd ed., sec. 3.5, probabilistic form) scaled by c for the
/// chain's depth; the second lets large elements carry their own rounding.
/// `what` names the output in the rule text.
VerifyResult compare_normwise(std::span<const double> expected, std::span<const double> actual,
                              double c, double L, double u, const std::string& what);

/// Compare two byte strings exactly (transfers): every differing byte is a
/// mismatch (index = byte offset, values = the bytes). Zero trust as above.
VerifyResult compare_exact_bytes(std::span<const std::byte> expected,
                                 std::span<const std::byte> actual);

/// Merge several outputs' results (for workloads with more than one output).
VerifyResult merge(std::vector<VerifyResult> parts);

/// How many of `n` items (rows, planes, elements), each costing `cost` to
/// recompute on the host, a reference check covers under `limit`: all of
/// them when they fit, otherwise as many as fit but at least 2 (so the first
/// and the last are always checked), never more than n.
int64_t affordable_checks(int64_t n, double cost, double limit);

/// `count` indices spread evenly over [0, n), the first and the last among
/// them: i * (n - 1) / (count - 1). Every index when count >= n; {0} when
/// count is 1; none when n or count is 0.
std::vector<int64_t> evenly_spaced(int64_t n, int64_t count);

}  // namespace chipcert::workloads
