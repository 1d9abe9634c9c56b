// 2-D convolution (cross-correlation) y = conv(x, w), NCHW or NHWC, with
// stride, padding, dilation and groups (cc_conv2d_params).
//
// FLOP = 2 * N * K * P * Q * (C/groups) * R * S; bytes = x + w + y once each.
// Reference: direct loops in fp64 on the exact (dtype-rounded) inputs, in
// canonical N,C,H,W order whatever the layout. Above 2^30 multiply-adds an
// evenly spaced sample of output planes (n, k) is checked (first and last
// included), so the reference stays at seconds on a 2-core host.
// Tolerance per element, with L = (C/groups)*R*S the reduction length:
//   |y - ref| <= 8 * sqrt(L) * u * sum|x*w| + 2 * u * |ref|
// (the probabilistic bound of Higham & Mary 2019 with a safety factor 8; u the
// accumulator's unit roundoff, plus tf32's for tf32). int8 is exact in int32.

#include <cmath>
#include <sstream>

#include "../src/builtin.hpp"
#include "../src/op_instance.hpp"
#include "chipcert/workloads/dtype.hpp"
#include "chipcert/workloads/reference.hpp"
#include "chipcert/workloads/verify.hpp"

namespace chipcert::workloads {
namespace {

constexpr double kConvFullCheckLimit = 0x1p30;

/// Reads "<key>" (both dimensions) or "<key>_h" / "<key>_w"; never both.
std::pair<int64_t, int64_t> param_pair(const nlohmann::json& p, const std::string& key,
                                       int64_t fallback, int64_t min) {
  constexpr int64_t kMax = int64_t{1} << 16;
  const std::string kh = key + "_h", kw = key + "_w";
  if (p.contains(key) && (p.contains(kh) || p.contains(kw)))
    throw SpecError("conv2d: parameter \"" + key +
                    "\" sets both dimensions; do not combine it with \"" + kh + "\" or \"" + kw +
                    "\"");
  const int64_t both = param_int(p, key.c_str(), fallback, min, kMax);
  return {param_int(p, kh.c_str(), both, min, kMax), param_int(p, kw.c_str(), both, min, kMax)};
}

cc_conv2d_params parse(const nlohmann::json& p) {
  constexpr int64_t kMax = int64_t{1} << 20;
  cc_conv2d_params c{};
  c.n = param_int(p, "n", std::nullopt, 1, kMax);
  c.c = param_int(p, "c", std::nullopt, 1, kMax);
  c.h = param_int(p, "h", std::nullopt, 1, kMax);
  c.w = param_int(p, "w", std::nullopt, 1, kMax);
  c.k = param_int(p, "k", std::nullopt, 1, kMax);
  c.r = param_int(p, "r", std::nullopt, 1, 1024);
  c.s = param_int(p, "s", std::nullopt, 1, 1024);
  std::tie(c.stride_h, c.stride_w) = param_pair(p, "stride", 1, 1);
  std::tie(c.pad_h, c.pad_w) = param_pair(p, "pad", 0, 0);
  std::tie(c.dilation_h, c.dilation_w) = param_pair(p, "dilation", 1, 1);
  c.groups = param_int(p, "groups", 1, 1, kMax);
  const std::string layout = p.contains("layout") && p["layout"].is_string()
                                 ? p["layout"].get<std::string>()
                                 : (p.contains("layout") ? "?" : "nchw");
  if (layout != "nchw" && layout != "nhwc")
    throw SpecError("conv2d: parameter \"layout\": expected \"nchw\" or \"nhwc\", found " +
                    p["layout"].dump());
  c.layout = layout == "nhwc" ? CC_LAYOUT_NHWC : CC_LAYOUT_NCHW;
  if (c.c % c.groups != 0 || c.k % c.groups != 0)
    throw SpecError("conv2d: parameter \"groups\" (" + std::to_string(c.groups) +
                    ") must divide both c (" + std::to_string(c.c) + ") and k (" +
                    std::to_string(c.k) + ")");
  if ((c.r - 1) * c.dilation_h + 1 > c.h + 2 * c.pad_h)
    throw SpecError("conv2d: parameter \"r\": the dilated filter is taller than the padded input");
  if ((c.s - 1) * c.dilation_w + 1 > c.w + 2 * c.pad_w)
    throw SpecError("conv2d: parameter \"s\": the dilated filter is wider than the padded input");
  return c;
}

class Conv2dInstance final : public OpInstance {
 public:
  Conv2dInstance(cc_conv2d_params p, cc_dtype dtype)
      : p_(p), dtype_(dtype), acc_(accumulator_for(dtype)) {
    P_ = reference::conv2d_out_h(p);
    Q_ = reference::conv2d_out_w(p);
  }

  void setup(Device& dev, uint64_t seed) override {
    const int64_t cg = p_.c / p_.groups;
    x_ = add_input(random_tensor(dtype_, static_cast<size_t>(p_.n * p_.c * p_.h * p_.w), seed, 60));
    w_ = add_input(random_tensor(dtype_, static_cast<size_t>(p_.k * cg * p_.r * p_.s), seed, 61));
    y_ = add_output(acc_, static_cast<size_t>(p_.n * p_.k * P_ * Q_));
    cc_op_desc op = make_op(CC_OP_CONV2D, dtype_, acc_);
    op.constant_args = 0x2;  // the filter is a weight
    op.u.conv2d = p_;
    prepare(dev, op);
  }

  VerifyResult verify() override {
    const std::vector<double> y = run_once({y_}).front();
    if (ref_.empty()) compute_reference();
    const double u = unit_roundoff(acc_) + (dtype_ == CC_DTYPE_TF32 ? unit_roundoff(dtype_) : 0);
    const double sl = std::sqrt(static_cast<double>((p_.c / p_.groups) * p_.r * p_.s));
    const bool nhwc = p_.layout == CC_LAYOUT_NHWC;
    std::vector<double> expected, actual, bounds;
    for (int64_t pl : planes_) {
      const int64_t n = pl / p_.k, k = pl % p_.k;
      for (int64_t oh = 0; oh < P_; ++oh)
        for (int64_t ow = 0; ow < Q_; ++ow) {
          const auto canon = static_cast<size_t>((pl * P_ + oh) * Q_ + ow);
          const auto stored =
              static_cast<size_t>(nhwc ? ((n * P_ + oh) * Q_ + ow) * p_.k + k : canon);
          expected.push_back(ref_[canon]);
          actual.push_back(y[stored]);
          bounds.push_back(u == 0 ? 0.0
                                  : 8.0 * sl * u * abs_[canon] + 2.0 * u * std::fabs(ref_[canon]));
        }
    }
    std::ostringstream rule;
    if (u == 0)
      rule << "exact (integer accumulation)";
    else
      rule << "|y-ref| <= 8*sqrt(L)*u*sum|x*w| + 2u|ref|, L=(C/groups)*R*S, u=" << u;
    if (planes_.size() < static_cast<size_t>(p_.n * p_.k))
      rule << "; " << planes_.size() << " of " << p_.n * p_.k
           << " output planes checked (evenly spaced sample)";
    return compare_elementwise(
        expected, actual, [&](size_t i) { return bounds[i]; }, rule.str());
  }

  Work work() const override {
    const double out = static_cast<double>(p_.n * p_.k * P_ * Q_);
    const double red = static_cast<double>((p_.c / p_.groups) * p_.r * p_.s);
    const double in_bytes =
        dtype_size(dtype_) *
        static_cast<double>(p_.n * p_.c * p_.h * p_.w + p_.k * (p_.c / p_.groups) * p_.r * p_.s);
    return {.flop = 2.0 * out * red, .bytes = in_bytes + out * dtype_size(acc_), .items = 0};
  }

 private:
  void compute_reference() {
    const int64_t cg = p_.c / p_.groups;
    const bool nhwc = p_.layout == CC_LAYOUT_NHWC;
    const auto& xs = init(x_).values;
    const auto& ws = init(w_).values;
    // Canonical copies: x as N,C,H,W and w as K,C/g,R,S.
    std::vector<double> x(xs.size()), w(ws.size());
    for (int64_t n = 0; n < p_.n; ++n)
      for (int64_t c = 0; c < p_.c; ++c)
        for (int64_t h = 0; h < p_.h; ++h)
          for (int64_t ww = 0; ww < p_.w; ++ww)
            x[static_cast<size_t>(((n * p_.c + c) * p_.h + h) * p_.w + ww)] =
                xs[static_cast<size_t>(nhwc ? ((n * p_.h + h) * p_.w + ww) * p_.c + c
                                            : ((n * p_.c + c) * p_.h + h) * p_.w + ww)];
    for (int64_t k = 0; k < p_.k; ++k)
      for (int64_t c = 0; c < cg; ++c)
        for (int64_t r = 0; r < p_.r; ++r)
          for (int64_t s = 0; s < p_.s; ++s)
            w[static_cast<size_t>(((k * cg + c) * p_.r + r) * p_.s + s)] =
                ws[static_cast<size_t>(nhwc ? ((k * p_.r + r) * p_.s + s) * cg + c
                                            : ((k * cg + c) * p_.r + r) * p_.s + s)];
    const int64_t nplanes = p_.n * p_.k;
    const double plane_cost = static_cast<double>(P_ * Q_ * cg * p_.r * p_.s);
    planes_ = evenly_spaced(nplanes, affordable_checks(nplanes, plane_cost, kConvFullCheckLimit));
    ref_.assign(static_cast<size_t>(nplanes * P_ * Q_), 0.0);
    abs_.assign(ref_.size(), 0.0);
    reference::conv2d_f64(p_, x, w, ref_, abs_, planes_);
  }

  cc_conv2d_params p_;
  cc_dtype dtype_, acc_;
  int64_t P_ = 0, Q_ = 0;
  size_t x_ = 0, w_ = 0, y_ = 0;
  std::vector<int64_t> planes_;
  std::vector<double> ref_, abs_;
};

class Conv2dWorkload final : public Workload {
 public:
  std::string_view name() const override { return "conv2d"; }
  std::string_view category() const override { return "kernel"; }
  std::string_view description() const override {
    return "2-D convolution (NCHW or NHWC) with stride, padding, dilation and groups";
  }
  std::string label(const nlohmann::json& p) const override {
    cc_conv2d_params c{};
    try {
      c = parse(p);
    } catch (const SpecError&) {
      return Workload::label(p);
    }
    std::ostringstream s;
    s << "n" << c.n << "_c" << c.c << "_h" << c.h << "_w" << c.w << "_k" << c.k << "_r" << c.r
      << "_s" << c.s;
    auto pair = [&](const char* tag, int64_t a, int64_t b, int64_t dflt) {
      if (a == dflt && b == dflt) return;
      s << "_" << tag << a;
      if (b != a) s << "x" << b;
    };
    pair("str", c.stride_h, c.stride_w, 1);
    pair("pad", c.pad_h, c.pad_w, 0);
    pair("dil", c.dilation_h, c.dilation_w, 1);
    if (c.groups != 1) s << "_g" << c.groups;
    if (c.layout == CC_LAYOUT_NHWC) s << "_nhwc";
    return s.str();
  }
  std::unique_ptr<Instance> instantiate(const CaseSpec& spec) const override {
    check_known_params(
        spec.parameters,
        {"n", "c", "h", "w", "k", "r", "s", "stride", "stride_h", "stride_w", "pad", "pad_h",
         "pad_w", "dilation", "dilation_h", "dilation_w", "groups", "layout"},
        name());
    const cc_conv2d_params c = parse(spec.parameters);
    require_dtype(
        name(), spec.dtype,
        {CC_DTYPE_F64, CC_DTYPE_F32, CC_DTYPE_TF32, CC_DTYPE_F16, CC_DTYPE_BF16, CC_DTYPE_I8});
    return std::make_unique<Conv2dInstance>(c, spec.dtype);
  }
};

}  // namespace

const Workload& conv2d_workload() {
  static const Conv2dWorkload w;
  return w;
}

}  // namespace chipcert::workloads
