// AdamW optimizer step, in place on param, m, v (cc_adamw_params).
//
// Inputs: param uniform in [-1, 1), grad in [-0.01, 0.01), m in [-0.01, 0.01),
// v in [0.25e-4, 2.25e-4) (positive, the scale of g^2, so the update is O(1)).
// All three outputs are compared after one step from the seeded state.
// Tolerance (u the dtype's unit roundoff; a driver may round beta1, beta2, lr,
// eps, weight_decay to the dtype and compute 1 - beta^step there, which loses
// relative accuracy when beta^step is close to 1):
//   m: 4u*(beta1|m| + (1-beta1)|g|) + 2u*beta1*(|m| + |g|)
//   v: 4u*(beta2*v + (1-beta2)*g^2) + 2u*beta2*(v + g^2)
//   param: with bc = 1 - beta^step, rel_bc = (step+4)*u*beta^step/bc + 2u,
//     mhat = m/bc1, vhat = v/bc2, U = mhat/(sqrt(vhat) + eps),
//     dU = (bound_m/bc1 + |mhat|*rel_bc1)/(sqrt(vhat)+eps)
//          + 0.5*|U|*(bound_v/v + rel_bc2) + 4u|U|
//     |p - ref| <= 4u|ref| + lr*(dU + 2u|U| + 5u*weight_decay*|p|)

#include <cmath>

#include "../src/builtin.hpp"
#include "../src/op_instance.hpp"
#include "chipcert/workloads/dtype.hpp"
#include "chipcert/workloads/random.hpp"
#include "chipcert/workloads/reference.hpp"

namespace chipcert::workloads {
namespace {

class AdamwInstance final : public OpInstance {
 public:
  AdamwInstance(cc_adamw_params p, cc_dtype dtype) : p_(p), dtype_(dtype) {}

  void setup(Device& dev, uint64_t seed) override {
    const auto n = static_cast<size_t>(p_.n);
    p_arg_ = add_input(random_tensor(dtype_, n, seed, 110), /*restore=*/true);
    g_arg_ = add_input(
        make_tensor(dtype_, n, [&](size_t i) { return 0.01 * random_uniform(seed, 111, i); }));
    m_arg_ = add_input(
        make_tensor(dtype_, n, [&](size_t i) { return 0.01 * random_uniform(seed, 112, i); }),
        /*restore=*/true);
    v_arg_ = add_input(
        make_tensor(dtype_, n,
                    [&](size_t i) { return 1e-4 * (1.25 + random_uniform(seed, 113, i)); }),
        /*restore=*/true);
    cc_op_desc op = make_op(CC_OP_ADAMW, dtype_, dtype_);
    op.u.adamw = p_;
    prepare(dev, op);
  }

  VerifyResult verify() override {
    const auto out = run_once({p_arg_, m_arg_, v_arg_});
    const auto& p0 = init(p_arg_).values;
    const auto& g = init(g_arg_).values;
    const auto& m0 = init(m_arg_).values;
    const auto& v0 = init(v_arg_).values;
    std::vector<double> p = p0, m = m0, v = v0;
    reference::adamw_f64(p_, p, g, m, v);
    const double u = unit_roundoff(dtype_);
    const auto t = static_cast<double>(p_.step);
    const double b1t = std::pow(p_.beta1, t), b2t = std::pow(p_.beta2, t);
    const double bc1 = 1.0 - b1t, bc2 = 1.0 - b2t;
    const double rel_bc1 = (t + 4.0) * u * b1t / bc1 + 2.0 * u;
    const double rel_bc2 = (t + 4.0) * u * b2t / bc2 + 2.0 * u;
    auto bound_m = [&](size_t i) {
      return 4.0 * u * (p_.beta1 * std::fabs(m0[i]) + (1.0 - p_.beta1) * std::fabs(g[i])) +
             2.0 * u * p_.beta1 * (std::fabs(m0[i]) + std::fabs(g[i]));
    };
    auto bound_v = [&](size_t i) {
      const double g2 = g[i] * g[i];
      return 4.0 * u * (p_.beta2 * v0[i] + (1.0 - p_.beta2) * g2) +
             2.0 * u * p_.beta2 * (v0[i] + g2);
    };
    auto bound_p = [&](size_t i) {
      const double mhat = m[i] / bc1, vhat = v[i] / bc2;
      const double den = std::sqrt(vhat) + p_.eps;
      const double U = std::fabs(mhat) / den;
      const double dU = (bound_m(i) / bc1 + std::fabs(mhat) * rel_bc1) / den +
                        0.5 * U * (bound_v(i) / v[i] + rel_bc2) + 4.0 * u * U;
      return 4.0 * u * std::fabs(p[i]) +
             p_.lr * (dU + 2.0 * u * U + 5.0 * u * p_.weight_decay * std::fabs(p0[i]));
    };
    VerifyResult vp = compare_elementwise(
        p, out[0], bound_p, "param: 4u|ref| + lr*(dU + 2u|U| + 5u*wd*|p|) (see README)");
    VerifyResult vm =
        compare_elementwise(m, out[1], bound_m, "m: 4u(b1|m|+(1-b1)|g|) + 2u*b1(|m|+|g|)");
    VerifyResult vv =
        compare_elementwise(v, out[2], bound_v, "v: 4u(b2*v+(1-b2)g^2) + 2u*b2(v+g^2)");
    return merge({std::move(vp), std::move(vm), std::move(vv)});
  }

  Work work() const override {
    const auto n = static_cast<double>(p_.n);
    // Reads param, grad, m, v; writes param, m, v.
    return {.flop = 16.0 * n, .bytes = 7.0 * n * dtype_size(dtype_), .items = 0};
  }

 private:
  cc_adamw_params p_;
  cc_dtype dtype_;
  size_t p_arg_ = 0, g_arg_ = 0, m_arg_ = 0, v_arg_ = 0;
};

class AdamwWorkload final : public Workload {
 public:
  std::string_view name() const override { return "adamw"; }
  std::string_view category() const override { return "kernel"; }
  std::string_view description() const override {
    return "AdamW optimizer step (decoupled weight decay, bias-corrected), in place";
  }
  std::unique_ptr<Instance> instantiate(const CaseSpec& spec) const override {
    const auto& p = spec.parameters;
    check_known_params(p, {"n", "step", "lr", "beta1", "beta2", "eps", "weight_decay"}, name());
    cc_adamw_params a{};
    a.n = param_int(p, "n", std::nullopt, 1, int64_t{1} << 34);
    a.step = param_int(p, "step", 10, 1, int64_t{1} << 40);
    a.lr = param_number(p, "lr", 1e-3);
    a.beta1 = param_number(p, "beta1", 0.9);
    a.beta2 = param_number(p, "beta2", 0.999);
    a.eps = param_number(p, "eps", 1e-8);
    a.weight_decay = param_number(p, "weight_decay", 0.01);
    auto in = [&](const char* key, double v, double lo, double hi) {
      if (!(v >= lo && v < hi))
        throw SpecError(std::string("adamw: parameter \"") + key + "\": expected a number in [" +
                        std::to_string(lo) + ", " + std::to_string(hi) + "), found " +
                        std::to_string(v));
    };
    in("lr", a.lr, 0.0, 1.0);
    in("beta1", a.beta1, 0.0, 1.0);
    in("beta2", a.beta2, 0.0, 1.0);
    in("eps", a.eps, 0.0, 1.0);
    in("weight_decay", a.weight_decay, 0.0, 1.0);
    require_dtype(name(), spec.dtype, {CC_DTYPE_F64, CC_DTYPE_F32});
    return std::make_unique<AdamwInstance>(a, spec.dtype);
  }
};

}  // namespace

const Workload& adamw_workload() {
  static const AdamwWorkload w;
  return w;
}

}  // namespace chipcert::workloads
