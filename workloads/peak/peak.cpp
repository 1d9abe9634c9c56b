// Peak arithmetic throughput per dtype (cc_peak_params): every one of n
// elements runs a dependent chain of `iterations` multiply-adds from a seeded
// start value. The driver interleaves as many chains as its hardware needs.
//
// Constants (chosen so the chains stay bounded and every dtype represents them):
//   fp64, fp32, tf32: acc = fma(acc, alpha, beta), alpha = 1 - 2^-10,
//                     beta = 0.75 * 2^-10 (a contraction towards 0.75);
//   fp16, bf16:       acc(fp32) += a*b, a = 0.75, b = 1.5 * 2^-12 (exact in both);
//   int8:             acc(int32) += 3 * -5.
// Reference: the recurrence replayed in the dtype's own arithmetic
// (reference::peak_element). Tolerance per element, with u the accumulator's
// unit roundoff (plus tf32's for tf32 products):
//   fp64/fp32/tf32: 4 * K * u * M, K = min(iterations, 1/(1-alpha)) because
//     the contraction damps old errors, M = max(|x|, beta/(1-alpha)) bounds
//     |acc|; each step rounds at most twice (unfused) vs once in the reference.
//   fp16/bf16: 4 * iterations * u * (|x| + iterations*|a*b|): no damping, one
//     rounding per addition (a*b is exact in fp32).
//   int8: exact.
// Above 2^26 element-iterations an evenly spaced sample of elements is checked.

#include <cmath>
#include <sstream>

#include "../src/builtin.hpp"
#include "../src/op_instance.hpp"
#include "chipcert/workloads/dtype.hpp"
#include "chipcert/workloads/random.hpp"
#include "chipcert/workloads/reference.hpp"
#include "chipcert/workloads/verify.hpp"

namespace chipcert::workloads {
namespace {

constexpr double kCheckBudget = 0x1p26;  // element-iterations replayed on the host

struct PeakConstants {
  double alpha, beta;
};

PeakConstants constants_for(cc_dtype d) {
  switch (d) {
    case CC_DTYPE_F16:
    case CC_DTYPE_BF16:
      return {0.75, 1.5 * 0x1p-12};
    case CC_DTYPE_I8:
      return {3.0, -5.0};
    default:
      return {1.0 - 0x1p-10, 0.75 * 0x1p-10};
  }
}

class PeakInstance final : public OpInstance {
 public:
  PeakInstance(cc_dtype dtype, int64_t n, int64_t iterations)
      : dtype_(dtype), acc_(accumulator_for(dtype)), n_(n), iterations_(iterations) {}

  void setup(Device& dev, uint64_t seed) override {
    const auto n = static_cast<size_t>(n_);
    // Start values: uniform in [-1, 1) (int32: [-2^20, 2^20]).
    x_ = add_input(random_tensor(acc_, n, seed, 40));
    y_ = add_output(acc_, n);
    const PeakConstants k = constants_for(dtype_);
    cc_op_desc op = make_op(CC_OP_PEAK, dtype_, acc_);
    op.u.peak =
        cc_peak_params{.n = n_, .iterations = iterations_, .alpha = k.alpha, .beta = k.beta};
    prepare(dev, op);
  }

  VerifyResult verify() override {
    const std::vector<double> y = run_once({y_}).front();
    const auto& x = init(x_).values;
    const PeakConstants k = constants_for(dtype_);
    const auto T = static_cast<double>(iterations_);
    const std::vector<int64_t> idx = evenly_spaced(n_, affordable_checks(n_, T, kCheckBudget));
    const size_t checks = idx.size();
    std::vector<double> expected(checks), actual(checks), bounds(checks);
    reference::parallel_for(
        static_cast<int64_t>(checks), static_cast<double>(checks) * T, [&](int64_t c) {
          const auto i = static_cast<size_t>(idx[static_cast<size_t>(c)]);
          expected[static_cast<size_t>(c)] =
              reference::peak_element(dtype_, x[i], iterations_, k.alpha, k.beta);
        });
    const double u = unit_roundoff(acc_) + (dtype_ == CC_DTYPE_TF32 ? unit_roundoff(dtype_) : 0);
    std::ostringstream rule;
    for (size_t c = 0; c < checks; ++c) {
      const auto i = static_cast<size_t>(idx[c]);
      const double xi = std::fabs(x[i]);
      actual[c] = y[i];
      if (acc_ == CC_DTYPE_I32) {
        bounds[c] = 0;
      } else if (dtype_ == CC_DTYPE_F16 || dtype_ == CC_DTYPE_BF16) {
        bounds[c] = 4.0 * T * u * (xi + T * std::fabs(k.alpha * k.beta));
      } else {
        const double K = std::min(T, 1.0 / (1.0 - std::fabs(k.alpha)));
        bounds[c] = 4.0 * K * u * std::max(xi, std::fabs(k.beta) / (1.0 - std::fabs(k.alpha)));
      }
    }
    if (acc_ == CC_DTYPE_I32)
      rule << "exact (integer accumulation)";
    else if (dtype_ == CC_DTYPE_F16 || dtype_ == CC_DTYPE_BF16)
      rule << "|y-ref| <= 4*iterations*u*(|x| + iterations*|a*b|), u=" << u;
    else
      rule << "|y-ref| <= 4*min(iterations, 1/(1-alpha))*u*max(|x|, beta/(1-alpha)), u=" << u;
    if (checks < static_cast<size_t>(n_))
      rule << "; " << checks << " of " << n_ << " elements checked (evenly spaced sample)";
    return compare_elementwise(
        expected, actual, [&](size_t i) { return bounds[i]; }, rule.str());
  }

  Work work() const override {
    const double n = static_cast<double>(n_);
    return {.flop = 2.0 * n * static_cast<double>(iterations_),
            .bytes = 2.0 * n * dtype_size(acc_),
            .items = 0};
  }

 private:
  cc_dtype dtype_, acc_;
  int64_t n_, iterations_;
  size_t x_ = 0, y_ = 0;
};

class PeakWorkload final : public Workload {
 public:
  std::string_view name() const override { return "peak"; }
  std::string_view category() const override { return "micro"; }
  std::string_view description() const override {
    return "Peak arithmetic: n independent chains of dependent multiply-adds per dtype";
  }
  std::string label(const nlohmann::json& p) const override {
    return "n" + std::to_string(p.value("n", kDefaultN)) + "_it" +
           std::to_string(p.value("iterations", kDefaultIterations));
  }
  std::unique_ptr<Instance> instantiate(const CaseSpec& spec) const override {
    const auto& p = spec.parameters;
    check_known_params(p, {"n", "iterations"}, name());
    const int64_t n = param_int(p, "n", kDefaultN, 1, int64_t{1} << 32);
    // 2^26 keeps int8's int32 chain (|x| <= 2^20, 15 per step) from overflowing.
    const int64_t it = param_int(p, "iterations", kDefaultIterations, 1, int64_t{1} << 26);
    require_dtype(
        name(), spec.dtype,
        {CC_DTYPE_F64, CC_DTYPE_F32, CC_DTYPE_TF32, CC_DTYPE_F16, CC_DTYPE_BF16, CC_DTYPE_I8});
    return std::make_unique<PeakInstance>(spec.dtype, n, it);
  }

 private:
  static constexpr int64_t kDefaultN = int64_t{1} << 20;
  static constexpr int64_t kDefaultIterations = 1024;
};

}  // namespace

const Workload& peak_workload() {
  static const PeakWorkload w;
  return w;
}

}  // namespace chipcert::workloads
