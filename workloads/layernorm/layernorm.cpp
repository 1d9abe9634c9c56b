// Layer normalisation forward and backward (cc_rows_params; eps).
//
// Forward: y = (x - mean) * rstd * gamma + beta per row, plus the saved mean
// and rstd = 1/sqrt(var + eps) (biased variance). Inputs: x uniform in
// [-0.75, 1.25) (a non-zero mean, so a kernel that skips the subtraction
// fails), gamma in [0.5, 1.5), beta in [-0.5, 0.5).
// Tolerance (L = cols, u the accumulator's roundoff, A = mean|x|):
//   mean:  e_mean = 8*sqrt(L)*u*A + u|mean|          (a length-L sum)
//   rstd:  rel_rstd*rstd, rel_rstd = 4*sqrt(L)*u*E[x^2]/var + 6u  (half the
//          variance's relative error, which includes one-pass cancellation,
//          plus the reciprocal square root's few ulps)
//   y:     |gamma|*rstd*(|x-mean|*(rel_rstd + 4u) + e_mean) + 4u|beta| + 2u|ref|
// Backward (all buffers in the accumulator type; mean and rstd are the forward
// reference's, rounded): g = dy*gamma, xhat = (x-mean)*rstd,
//   dx = rstd*(g - mean(g) - xhat*mean(g*xhat)); dgamma = sum_rows dy*xhat;
//   dbeta = sum_rows dy.
// Tolerance: dx: rstd*(4u|g| + 8*sqrt(L)*u*(mean|g| + |xhat|*mean|g*xhat|)) +
// 2u|ref|; dgamma: (8*sqrt(R)+4)*u*sum|dy*xhat| + 2u|ref| (the +4u for xhat's
// own rounding); dbeta: 8*sqrt(R)*u*sum|dy| + 2u|ref|.

#include <cmath>

#include "../src/builtin.hpp"
#include "../src/op_instance.hpp"
#include "../src/rows_common.hpp"
#include "chipcert/workloads/dtype.hpp"
#include "chipcert/workloads/random.hpp"
#include "chipcert/workloads/reference.hpp"

namespace chipcert::workloads {
namespace {

constexpr double kDefaultEps = 1e-5;

HostTensor ln_x(cc_dtype d, size_t n, uint64_t seed) {
  return make_tensor(d, n, [&](size_t i) { return random_uniform(seed, 80, i) + 0.25; });
}
HostTensor ln_gamma(cc_dtype d, size_t n, uint64_t seed) {
  return make_tensor(d, n, [&](size_t i) { return 1.0 + 0.5 * random_uniform(seed, 81, i); });
}

class LayernormInstance final : public OpInstance {
 public:
  LayernormInstance(cc_rows_params p, cc_dtype dtype)
      : p_(p), dtype_(dtype), acc_(accumulator_for(dtype)) {}

  void setup(Device& dev, uint64_t seed) override {
    const auto R = static_cast<size_t>(p_.rows), L = static_cast<size_t>(p_.cols);
    x_ = add_input(ln_x(dtype_, R * L, seed));
    g_ = add_input(ln_gamma(dtype_, L, seed));
    b_ = add_input(
        make_tensor(dtype_, L, [&](size_t i) { return 0.5 * random_uniform(seed, 82, i); }));
    y_ = add_output(acc_, R * L);
    mean_ = add_output(acc_, R);
    rstd_ = add_output(acc_, R);
    cc_op_desc op = make_op(CC_OP_LAYERNORM, dtype_, acc_);
    op.constant_args = 0x6;  // gamma, beta
    op.u.rows = p_;
    prepare(dev, op);
  }

  VerifyResult verify() override {
    const auto out = run_once({y_, mean_, rstd_});
    const auto R = static_cast<size_t>(p_.rows), L = static_cast<size_t>(p_.cols);
    const auto& x = init(x_).values;
    const auto& gamma = init(g_).values;
    const auto& beta = init(b_).values;
    std::vector<double> y(R * L), mean(R), rstd(R);
    reference::layernorm_f64(p_, x, gamma, beta, y, mean, rstd);
    const double u = unit_roundoff(acc_);
    const double sl = std::sqrt(static_cast<double>(L));
    std::vector<double> e_mean(R), rel_rstd(R);
    for (size_t r = 0; r < R; ++r) {
      double abs_sum = 0, sq = 0;
      for (size_t c = 0; c < L; ++c) {
        abs_sum += std::fabs(x[r * L + c]);
        sq += x[r * L + c] * x[r * L + c];
      }
      const double var = 1.0 / (rstd[r] * rstd[r]);  // var + eps
      e_mean[r] = 8.0 * sl * u * abs_sum / static_cast<double>(L) + u * std::fabs(mean[r]);
      rel_rstd[r] = 4.0 * sl * u * (sq / static_cast<double>(L)) / var + 6.0 * u;
    }
    VerifyResult vy = compare_elementwise(
        y, out[0],
        [&](size_t i) {
          const size_t r = i / L, c = i % L;
          return std::fabs(gamma[c]) * rstd[r] *
                     (std::fabs(x[i] - mean[r]) * (rel_rstd[r] + 4.0 * u) + e_mean[r]) +
                 4.0 * u * std::fabs(beta[c]) + 2.0 * u * std::fabs(y[i]);
        },
        "y: |gamma|*rstd*(|x-mean|*(rel_rstd+4u) + e_mean) + 4u|beta| + 2u|ref|");
    VerifyResult vm = compare_elementwise(
        mean, out[1], [&](size_t r) { return e_mean[r]; }, "mean: 8*sqrt(L)*u*mean|x| + u|mean|");
    VerifyResult vr = compare_elementwise(
        rstd, out[2], [&](size_t r) { return rel_rstd[r] * rstd[r]; },
        "rstd: (4*sqrt(L)*u*E[x^2]/var + 6u)*rstd");
    return merge({std::move(vy), std::move(vm), std::move(vr)});
  }

  Work work() const override {
    const auto RL = static_cast<double>(p_.rows * p_.cols);
    const double in = dtype_size(dtype_), acc = dtype_size(acc_);
    return {.flop = 8.0 * RL,
            .bytes = in * (RL + 2.0 * static_cast<double>(p_.cols)) +
                     acc * (RL + 2.0 * static_cast<double>(p_.rows)),
            .items = 0};
  }

 private:
  cc_rows_params p_;
  cc_dtype dtype_, acc_;
  size_t x_ = 0, g_ = 0, b_ = 0, y_ = 0, mean_ = 0, rstd_ = 0;
};

class LayernormBackwardInstance final : public OpInstance {
 public:
  LayernormBackwardInstance(cc_rows_params p, cc_dtype dtype) : p_(p), dtype_(dtype) {}

  void setup(Device& dev, uint64_t seed) override {
    const auto R = static_cast<size_t>(p_.rows), L = static_cast<size_t>(p_.cols);
    const HostTensor x = ln_x(dtype_, R * L, seed);
    const HostTensor gamma = ln_gamma(dtype_, L, seed);
    // The saved statistics a forward pass would have produced, in the dtype.
    std::vector<double> y(R * L), mean(R), rstd(R);
    const std::vector<double> zeros(L, 0.0);
    reference::layernorm_f64(p_, x.values, gamma.values, zeros, y, mean, rstd);
    x_ = add_input(x);
    g_ = add_input(gamma);
    mean_ = add_input(encode(dtype_, mean));
    rstd_ = add_input(encode(dtype_, rstd));
    dy_ = add_input(random_tensor(dtype_, R * L, seed, 83));
    dx_ = add_output(dtype_, R * L);
    dg_ = add_output(dtype_, L);
    db_ = add_output(dtype_, L);
    cc_op_desc op = make_op(CC_OP_LAYERNORM_BACKWARD, dtype_, dtype_);
    op.u.rows = p_;
    prepare(dev, op);
  }

  VerifyResult verify() override {
    const auto out = run_once({dx_, dg_, db_});
    const auto R = static_cast<size_t>(p_.rows), L = static_cast<size_t>(p_.cols);
    const auto& x = init(x_).values;
    const auto& gamma = init(g_).values;
    const auto& mean = init(mean_).values;
    const auto& rstd = init(rstd_).values;
    const auto& dy = init(dy_).values;
    std::vector<double> dx(R * L), dg(L), db(L);
    reference::layernorm_backward_f64(p_, x, gamma, mean, rstd, dy, dx, dg, db);
    const double u = unit_roundoff(dtype_);
    const double sl = std::sqrt(static_cast<double>(L)), sr = std::sqrt(static_cast<double>(R));
    std::vector<double> g1(R, 0.0), g2(R, 0.0), dg_abs(L, 0.0), db_abs(L, 0.0);
    auto xhat = [&](size_t r, size_t c) { return (x[r * L + c] - mean[r]) * rstd[r]; };
    for (size_t r = 0; r < R; ++r)
      for (size_t c = 0; c < L; ++c) {
        const double g = dy[r * L + c] * gamma[c];
        g1[r] += std::fabs(g) / static_cast<double>(L);
        g2[r] += std::fabs(g * xhat(r, c)) / static_cast<double>(L);
        dg_abs[c] += std::fabs(dy[r * L + c] * xhat(r, c));
        db_abs[c] += std::fabs(dy[r * L + c]);
      }
    VerifyResult vdx = compare_elementwise(
        dx, out[0],
        [&](size_t i) {
          const size_t r = i / L, c = i % L;
          const double g = std::fabs(dy[i] * gamma[c]);
          return rstd[r] * (4.0 * u * g + 8.0 * sl * u * (g1[r] + std::fabs(xhat(r, c)) * g2[r])) +
                 2.0 * u * std::fabs(dx[i]);
        },
        "dx: rstd*(4u|g| + 8*sqrt(L)*u*(mean|g| + |xhat|*mean|g*xhat|)) + 2u|ref|");
    VerifyResult vdg = compare_elementwise(
        dg, out[1],
        [&](size_t c) { return (8.0 * sr + 4.0) * u * dg_abs[c] + 2.0 * u * std::fabs(dg[c]); },
        "dgamma: (8*sqrt(R)+4)*u*sum|dy*xhat| + 2u|ref|");
    VerifyResult vdb = compare_elementwise(
        db, out[2], [&](size_t c) { return 8.0 * sr * u * db_abs[c] + 2.0 * u * std::fabs(db[c]); },
        "dbeta: 8*sqrt(R)*u*sum|dy| + 2u|ref|");
    return merge({std::move(vdx), std::move(vdg), std::move(vdb)});
  }

  Work work() const override {
    const auto RL = static_cast<double>(p_.rows * p_.cols);
    const auto R = static_cast<double>(p_.rows), L = static_cast<double>(p_.cols);
    return {.flop = 13.0 * RL,
            .bytes = dtype_size(dtype_) * (3.0 * RL + 3.0 * L + 2.0 * R),
            .items = 0};
  }

 private:
  cc_rows_params p_;
  cc_dtype dtype_;
  size_t x_ = 0, g_ = 0, mean_ = 0, rstd_ = 0, dy_ = 0, dx_ = 0, dg_ = 0, db_ = 0;
};

class LayernormWorkload final : public Workload {
 public:
  explicit LayernormWorkload(bool backward) : backward_(backward) {}
  std::string_view name() const override { return backward_ ? "layernorm_backward" : "layernorm"; }
  std::string_view category() const override { return "kernel"; }
  std::string_view description() const override {
    return backward_ ? "Layer-norm backward: dx, dgamma, dbeta from the saved mean and rstd"
                     : "Layer normalisation per row, with the saved mean and rstd";
  }
  std::string label(const nlohmann::json& p) const override { return rows_label(p); }
  std::unique_ptr<Instance> instantiate(const CaseSpec& spec) const override {
    check_known_params(spec.parameters, {"rows", "cols", "eps"}, name());
    cc_rows_params r = parse_rows(spec.parameters);
    r.eps = param_number(spec.parameters, "eps", kDefaultEps);
    if (!(r.eps > 0 && r.eps < 1))
      throw SpecError(std::string(name()) + ": parameter \"eps\": expected a number in (0, 1)");
    if (backward_) {
      require_dtype(name(), spec.dtype, {CC_DTYPE_F64, CC_DTYPE_F32});
      return std::make_unique<LayernormBackwardInstance>(r, spec.dtype);
    }
    require_dtype(name(), spec.dtype, {CC_DTYPE_F64, CC_DTYPE_F32, CC_DTYPE_F16, CC_DTYPE_BF16});
    return std::make_unique<LayernormInstance>(r, spec.dtype);
  }

 private:
  bool backward_;
};

}  // namespace

const Workload& layernorm_workload(bool backward) {
  static const LayernormWorkload fwd(false), bwd(true);
  return backward ? bwd : fwd;
}

}  // namespace chipcert::workloads
