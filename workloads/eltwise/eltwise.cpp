// Element-wise kernels: gelu (exact erf form), add, mul and gelu_backward
// (cc_eltwise_params, n elements).
//
// Inputs: gelu and gelu_backward x uniform in [-4, 4) (the whole interesting
// range of the erf), everything else uniform in [-1, 1).
// Tolerances (u the accumulator's unit roundoff):
//   add, mul: 4u|ref|: one rounding (the inputs are exact in the accumulator),
//     with room for a result one ulp (2u) off the correctly rounded one.
//   gelu: 4u|x| + 8u|ref|: erf has an absolute error of a few ulps of 1, which
//     0.5*x*(1 + erf) scales by |x| (and 1 + erf cancels for x << 0, so a
//     relative bound would be wrong), plus the final roundings.
//   gelu_backward: |dy|*u*(8 + |x|*phi(x)*(x^2 + 8)) + 2u|ref|: Phi's absolute
//     error, and phi = exp(-x^2/2)/sqrt(2pi) whose argument's rounding
//     exp turns into a relative error of u*x^2/2.

#include <cmath>
#include <numbers>

#include "../src/builtin.hpp"
#include "../src/op_instance.hpp"
#include "chipcert/workloads/dtype.hpp"
#include "chipcert/workloads/random.hpp"
#include "chipcert/workloads/reference.hpp"

namespace chipcert::workloads {
namespace {

struct EltInfo {
  cc_op_kind op;
  const char* name;
  const char* description;
  double flop;  // nominal operations per element
};

constexpr EltInfo kGelu{CC_OP_GELU, "gelu", "GELU y = x*Phi(x) (exact erf form), element-wise", 5};
constexpr EltInfo kAdd{CC_OP_ADD, "add", "Element-wise y = a + b", 1};
constexpr EltInfo kMul{CC_OP_MUL, "mul", "Element-wise y = a * b", 1};
constexpr EltInfo kGeluBackward{CC_OP_GELU_BACKWARD, "gelu_backward",
                                "GELU backward dx = dy * (Phi(x) + x*phi(x)), element-wise", 8};

class EltInstance final : public OpInstance {
 public:
  EltInstance(const EltInfo& info, cc_dtype dtype, int64_t n)
      : info_(info),
        dtype_(dtype),
        acc_(info.op == CC_OP_GELU_BACKWARD ? dtype : accumulator_for(dtype)),
        n_(static_cast<size_t>(n)) {}

  void setup(Device& dev, uint64_t seed) override {
    switch (info_.op) {
      case CC_OP_GELU:
        a_ = add_input(
            make_tensor(dtype_, n_, [&](size_t i) { return 4.0 * random_uniform(seed, 100, i); }));
        break;
      case CC_OP_GELU_BACKWARD:
        a_ = add_input(
            make_tensor(acc_, n_, [&](size_t i) { return 4.0 * random_uniform(seed, 100, i); }));
        b_ = add_input(random_tensor(acc_, n_, seed, 101));
        break;
      default:
        a_ = add_input(random_tensor(dtype_, n_, seed, 102));
        b_ = add_input(random_tensor(dtype_, n_, seed, 103));
        break;
    }
    y_ = add_output(acc_, n_);
    cc_op_desc op = make_op(info_.op, dtype_, acc_);
    op.u.eltwise = cc_eltwise_params{.n = static_cast<int64_t>(n_)};
    prepare(dev, op);
  }

  VerifyResult verify() override {
    const std::vector<double> got = run_once({y_}).front();
    const auto& a = init(a_).values;
    std::vector<double> ref(n_);
    const double u = unit_roundoff(acc_);
    switch (info_.op) {
      case CC_OP_GELU:
        reference::gelu_f64(a, ref);
        return compare_elementwise(
            ref, got,
            [&](size_t i) { return 4.0 * u * std::fabs(a[i]) + 8.0 * u * std::fabs(ref[i]); },
            "4u|x| + 8u|ref|");
      case CC_OP_GELU_BACKWARD: {
        const auto& dy = init(b_).values;
        reference::gelu_backward_f64(a, dy, ref);
        const double inv_sqrt_2pi = std::numbers::inv_sqrtpi / std::numbers::sqrt2;
        return compare_elementwise(
            ref, got,
            [&](size_t i) {
              const double x = a[i];
              const double xphi = std::fabs(x) * inv_sqrt_2pi * std::exp(-0.5 * x * x);
              return std::fabs(dy[i]) * u * (8.0 + xphi * (x * x + 8.0)) +
                     2.0 * u * std::fabs(ref[i]);
            },
            "|dy|*u*(8 + |x|*phi(x)*(x^2+8)) + 2u|ref|");
      }
      default: {
        const auto& b = init(b_).values;
        for (size_t i = 0; i < n_; ++i) ref[i] = info_.op == CC_OP_ADD ? a[i] + b[i] : a[i] * b[i];
        return compare_elementwise(
            ref, got, [&](size_t i) { return 4.0 * u * std::fabs(ref[i]); }, "4u|ref|");
      }
    }
  }

  Work work() const override {
    const auto n = static_cast<double>(n_);
    const double inputs = info_.op == CC_OP_GELU ? 1.0 : 2.0;
    const double in_size = dtype_size(info_.op == CC_OP_GELU_BACKWARD ? acc_ : dtype_);
    return {.flop = info_.flop * n, .bytes = n * (inputs * in_size + dtype_size(acc_)), .items = 0};
  }

 private:
  const EltInfo& info_;
  cc_dtype dtype_, acc_;
  size_t n_;
  size_t a_ = 0, b_ = 0, y_ = 0;
};

class EltWorkload final : public Workload {
 public:
  explicit EltWorkload(const EltInfo& info) : info_(info) {}
  std::string_view name() const override { return info_.name; }
  std::string_view category() const override { return "kernel"; }
  std::string_view description() const override { return info_.description; }
  std::string label(const nlohmann::json& p) const override {
    return "n" + std::to_string(p.value("n", int64_t{0}));
  }
  std::unique_ptr<Instance> instantiate(const CaseSpec& spec) const override {
    check_known_params(spec.parameters, {"n"}, name());
    const int64_t n = param_int(spec.parameters, "n", std::nullopt, 1, int64_t{1} << 34);
    if (info_.op == CC_OP_GELU_BACKWARD)
      require_dtype(name(), spec.dtype, {CC_DTYPE_F64, CC_DTYPE_F32});
    else
      require_dtype(name(), spec.dtype, {CC_DTYPE_F64, CC_DTYPE_F32, CC_DTYPE_F16, CC_DTYPE_BF16});
    return std::make_unique<EltInstance>(info_, spec.dtype, n);
  }

 private:
  const EltInfo& info_;
};

}  // namespace

const Workload& eltwise_workload(cc_op_kind op) {
  static const EltWorkload gelu(kGelu), add(kAdd), mul(kMul), gelu_bwd(kGeluBackward);
  switch (op) {
    case CC_OP_GELU:
      return gelu;
    case CC_OP_ADD:
      return add;
    case CC_OP_MUL:
      return mul;
    case CC_OP_GELU_BACKWARD:
      return gelu_bwd;
    default:
      throw std::logic_error("not an element-wise op");
  }
}

}  // namespace chipcert::workloads
