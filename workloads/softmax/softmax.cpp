// Softmax forward (with the causal mask of attention scores), its backward,
// and softmax cross-entropy with its gradient (cc_rows_params).
//
// softmax: y = softmax(scale*x + mask) per row; x uniform in [-4, 4).
//   Tolerance: rel*|ref| with, per row (S = max |scale*x| over the row,
//   L = cols): rel = 8*sqrt(L)*u + 8u*(1 + S). The sum of L positive terms
//   (Higham & Mary bound), exp and the division (8u), and the rounding of the
//   exponent argument, which exp turns into a relative error (8u*S). Masked
//   entries must be exactly 0.
// softmax_backward: dx = scale*y*(dy - rowsum(dy*y)); y is a real softmax
//   output (of uniform [-4, 4) inputs, rounded), dy uniform. Tolerance:
//   |scale|*|y|*(8*sqrt(L)*u*sum|dy*y| + 2u*(|dy| + |rowsum|)) + 2u|ref|.
// softmax_xent: loss = mean_rows(logsumexp(x) - x[label]), dlogits =
//   (softmax(x) - onehot)/rows; logits uniform in [-4, 4), labels seeded in
//   [0, cols). Tolerance: loss: mean_r((8*sqrt(L)+8)*u + 2u*(S_r + |l_r|)) +
//   8*sqrt(R)*u*mean|l_r| + 2u|loss| (per-row log-sum-exp, then a length-R
//   mean); dlogits: rel_r*softmax/rows + 4u|ref| with rel_r as for softmax (4u:
//   softmax - 1 for the label is a difference, one ulp off must still pass).

#include <cmath>

#include "../src/builtin.hpp"
#include "../src/op_instance.hpp"
#include "../src/rows_common.hpp"
#include "chipcert/workloads/dtype.hpp"
#include "chipcert/workloads/random.hpp"
#include "chipcert/workloads/reference.hpp"

namespace chipcert::workloads {
namespace {

enum class Kind { Forward, Backward, Xent };

HostTensor scores(cc_dtype d, size_t n, uint64_t seed, uint64_t stream) {
  return make_tensor(d, n, [&](size_t i) { return 4.0 * random_uniform(seed, stream, i); });
}

/// Per-row relative bound of a softmax: 8*sqrt(L)*u + 8u*(1 + max|scale*x|).
std::vector<double> softmax_rel(const cc_rows_params& p, std::span<const double> x, double u) {
  const auto L = static_cast<size_t>(p.cols);
  std::vector<double> rel(static_cast<size_t>(p.rows));
  for (size_t r = 0; r < rel.size(); ++r) {
    double s = 0;
    for (size_t c = 0; c < L; ++c) s = std::max(s, std::fabs(p.scale * x[r * L + c]));
    rel[r] = 8.0 * std::sqrt(static_cast<double>(L)) * u + 8.0 * u * (1.0 + s);
  }
  return rel;
}

class SoftmaxInstance final : public OpInstance {
 public:
  SoftmaxInstance(cc_rows_params p, cc_dtype dtype)
      : p_(p), dtype_(dtype), acc_(accumulator_for(dtype)) {}

  void setup(Device& dev, uint64_t seed) override {
    const auto n = static_cast<size_t>(p_.rows * p_.cols);
    x_ = add_input(scores(dtype_, n, seed, 90));
    y_ = add_output(acc_, n);
    cc_op_desc op = make_op(CC_OP_SOFTMAX, dtype_, acc_);
    op.u.rows = p_;
    prepare(dev, op);
  }

  VerifyResult verify() override {
    const std::vector<double> got = run_once({y_}).front();
    const auto& x = init(x_).values;
    std::vector<double> y(x.size());
    reference::softmax_f64(p_, x, y);
    const auto rel = softmax_rel(p_, x, unit_roundoff(acc_));
    const auto L = static_cast<size_t>(p_.cols);
    return compare_elementwise(
        y, got, [&](size_t i) { return rel[i / L] * std::fabs(y[i]); },
        "(8*sqrt(L)*u + 8u*(1 + max|scale*x|))*|ref|; masked entries exactly 0");
  }

  Work work() const override {
    const auto n = static_cast<double>(p_.rows * p_.cols);
    return {.flop = 5.0 * n, .bytes = n * (dtype_size(dtype_) + dtype_size(acc_)), .items = 0};
  }

 private:
  cc_rows_params p_;
  cc_dtype dtype_, acc_;
  size_t x_ = 0, y_ = 0;
};

class SoftmaxBackwardInstance final : public OpInstance {
 public:
  SoftmaxBackwardInstance(cc_rows_params p, cc_dtype dtype) : p_(p), dtype_(dtype) {}

  void setup(Device& dev, uint64_t seed) override {
    const auto n = static_cast<size_t>(p_.rows * p_.cols);
    const HostTensor x = scores(CC_DTYPE_F64, n, seed, 91);
    std::vector<double> y(n);
    cc_rows_params fwd = p_;
    fwd.scale = 1.0;
    reference::softmax_f64(fwd, x.values, y);
    y_ = add_input(encode(dtype_, y));
    dy_ = add_input(random_tensor(dtype_, n, seed, 92));
    dx_ = add_output(dtype_, n);
    cc_op_desc op = make_op(CC_OP_SOFTMAX_BACKWARD, dtype_, dtype_);
    op.u.rows = p_;
    prepare(dev, op);
  }

  VerifyResult verify() override {
    const std::vector<double> got = run_once({dx_}).front();
    const auto& y = init(y_).values;
    const auto& dy = init(dy_).values;
    std::vector<double> dx(y.size());
    reference::softmax_backward_f64(p_, y, dy, dx);
    const auto L = static_cast<size_t>(p_.cols);
    const double u = unit_roundoff(dtype_), sl = std::sqrt(static_cast<double>(L));
    std::vector<double> abs_dot(static_cast<size_t>(p_.rows), 0.0), dot(abs_dot.size(), 0.0);
    for (size_t i = 0; i < y.size(); ++i) {
      abs_dot[i / L] += std::fabs(dy[i] * y[i]);
      dot[i / L] += dy[i] * y[i];
    }
    return compare_elementwise(
        dx, got,
        [&](size_t i) {
          const size_t r = i / L;
          return std::fabs(p_.scale) * std::fabs(y[i]) *
                     (8.0 * sl * u * abs_dot[r] +
                      2.0 * u * (std::fabs(dy[i]) + std::fabs(dot[r]))) +
                 2.0 * u * std::fabs(dx[i]);
        },
        "|scale|*|y|*(8*sqrt(L)*u*sum|dy*y| + 2u*(|dy|+|rowsum|)) + 2u|ref|");
  }

  Work work() const override {
    const auto n = static_cast<double>(p_.rows * p_.cols);
    return {.flop = 5.0 * n, .bytes = 3.0 * n * dtype_size(dtype_), .items = 0};
  }

 private:
  cc_rows_params p_;
  cc_dtype dtype_;
  size_t y_ = 0, dy_ = 0, dx_ = 0;
};

class XentInstance final : public OpInstance {
 public:
  XentInstance(cc_rows_params p, cc_dtype dtype) : p_(p), dtype_(dtype) {}

  void setup(Device& dev, uint64_t seed) override {
    const auto n = static_cast<size_t>(p_.rows * p_.cols);
    logits_ = add_input(scores(dtype_, n, seed, 93));
    labels_ = add_input(make_tensor(CC_DTYPE_I32, static_cast<size_t>(p_.rows), [&](size_t i) {
      return static_cast<double>(random_bits(seed, 94, i) % static_cast<uint64_t>(p_.cols));
    }));
    loss_ = add_output(dtype_, 1);
    dlogits_ = add_output(dtype_, n);
    cc_op_desc op = make_op(CC_OP_SOFTMAX_XENT, dtype_, dtype_);
    op.u.rows = p_;
    prepare(dev, op);
  }

  VerifyResult verify() override {
    const auto out = run_once({loss_, dlogits_});
    const auto& x = init(logits_).values;
    std::vector<int32_t> labels;
    for (double l : init(labels_).values) labels.push_back(static_cast<int32_t>(l));
    double loss = 0;
    std::vector<double> dlogits(x.size());
    reference::softmax_xent_f64(p_, x, labels, loss, dlogits);
    const double u = unit_roundoff(dtype_);
    const auto L = static_cast<size_t>(p_.cols);
    const auto R = static_cast<double>(p_.rows);
    const auto rel = softmax_rel(p_, x, u);
    // Per-row loss l_r and its bound, from the reference softmax (dlogits*R + onehot).
    double row_bound = 0, abs_loss = 0;
    for (size_t r = 0; r < static_cast<size_t>(p_.rows); ++r) {
      double s = 0;
      for (size_t c = 0; c < L; ++c) s = std::max(s, std::fabs(x[r * L + c]));
      const size_t label = static_cast<size_t>(labels[r]);
      const double p_label = dlogits[r * L + label] * R + 1.0;
      const double l = -std::log(p_label);
      row_bound +=
          (8.0 * std::sqrt(static_cast<double>(L)) + 8.0) * u + 2.0 * u * (s + std::fabs(l));
      abs_loss += std::fabs(l);
    }
    const double loss_bound =
        row_bound / R + 8.0 * std::sqrt(R) * u * abs_loss / R + 2.0 * u * std::fabs(loss);
    VerifyResult vl = compare_elementwise(
        std::vector<double>{loss}, out[0], [&](size_t) { return loss_bound; },
        "loss: mean_r((8*sqrt(L)+8)u + 2u(max|x|+|l_r|)) + 8*sqrt(R)*u*mean|l_r| + 2u|loss|");
    VerifyResult vd = compare_elementwise(
        dlogits, out[1],
        [&](size_t i) {
          const size_t r = i / L, c = i % L;
          const double p = dlogits[i] * R + (c == static_cast<size_t>(labels[r]) ? 1.0 : 0.0);
          return rel[r] * p / R + 4.0 * u * std::fabs(dlogits[i]);
        },
        "dlogits: (8*sqrt(L)*u + 8u*(1+max|x|))*softmax/rows + 4u|ref|");
    return merge({std::move(vl), std::move(vd)});
  }

  Work work() const override {
    const auto n = static_cast<double>(p_.rows * p_.cols);
    return {.flop = 6.0 * n,
            .bytes = dtype_size(dtype_) * (2.0 * n + 1.0) + 4.0 * static_cast<double>(p_.rows),
            .items = 0};
  }

 private:
  cc_rows_params p_;
  cc_dtype dtype_;
  size_t logits_ = 0, labels_ = 0, loss_ = 0, dlogits_ = 0;
};

class SoftmaxWorkload final : public Workload {
 public:
  explicit SoftmaxWorkload(Kind kind) : kind_(kind) {}
  std::string_view name() const override {
    switch (kind_) {
      case Kind::Forward:
        return "softmax";
      case Kind::Backward:
        return "softmax_backward";
      case Kind::Xent:
        break;
    }
    return "softmax_xent";
  }
  std::string_view category() const override { return "kernel"; }
  std::string_view description() const override {
    switch (kind_) {
      case Kind::Forward:
        return "Row softmax of scale*x, optionally with the causal mask of attention scores";
      case Kind::Backward:
        return "Softmax backward: dx = scale*y*(dy - rowsum(dy*y))";
      case Kind::Xent:
        break;
    }
    return "Softmax cross-entropy: mean loss over rows and its gradient";
  }
  std::string label(const nlohmann::json& p) const override { return rows_label(p); }
  std::unique_ptr<Instance> instantiate(const CaseSpec& spec) const override {
    const auto& p = spec.parameters;
    if (kind_ == Kind::Forward)
      check_known_params(p, {"rows", "cols", "scale", "causal", "seq_q"}, name());
    else if (kind_ == Kind::Backward)
      check_known_params(p, {"rows", "cols", "scale"}, name());
    else
      check_known_params(p, {"rows", "cols"}, name());
    cc_rows_params r = parse_rows(p);
    r.scale = param_number(p, "scale", 1.0);
    if (!std::isfinite(r.scale))
      throw SpecError(std::string(name()) + ": parameter \"scale\": expected a finite number");
    if (kind_ == Kind::Forward) {
      r.causal = param_bool(p, "causal", false) ? 1u : 0u;
      if (r.causal) {
        r.seq_q = param_int(p, "seq_q", std::nullopt, 1, r.cols);
        if (r.rows % r.seq_q != 0)
          throw SpecError("softmax: parameter \"seq_q\" (" + std::to_string(r.seq_q) +
                          ") must divide \"rows\" (" + std::to_string(r.rows) +
                          "): rows are batch*heads*seq_q attention score rows");
      } else if (p.contains("seq_q")) {
        throw SpecError("softmax: parameter \"seq_q\" only applies with \"causal\": true");
      }
      require_dtype(name(), spec.dtype, {CC_DTYPE_F64, CC_DTYPE_F32, CC_DTYPE_F16, CC_DTYPE_BF16});
      return std::make_unique<SoftmaxInstance>(r, spec.dtype);
    }
    require_dtype(name(), spec.dtype, {CC_DTYPE_F64, CC_DTYPE_F32});
    if (kind_ == Kind::Backward) return std::make_unique<SoftmaxBackwardInstance>(r, spec.dtype);
    if (r.cols > (int64_t{1} << 31) - 1)
      throw SpecError("softmax_xent: parameter \"cols\": labels are int32, at most 2^31-1 classes");
    return std::make_unique<XentInstance>(r, spec.dtype);
  }

 private:
  Kind kind_;
};

}  // namespace

const Workload& softmax_workload(int which) {
  static const SoftmaxWorkload fwd(Kind::Forward), bwd(Kind::Backward), xent(Kind::Xent);
  return which == 0 ? fwd : (which == 1 ? bwd : xent);
}

}  // namespace chipcert::workloads
