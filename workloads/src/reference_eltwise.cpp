// Element-wise references: GELU (erf form) and its derivative, AdamW, and
// the peak recurrence replayed in the dtype's own arithmetic.

#include <cmath>
#include <numbers>

#include "chipcert/workloads/dtype.hpp"
#include "chipcert/workloads/reference.hpp"

namespace chipcert::workloads::reference {

void gelu_f64(std::span<const double> x, std::span<double> y) {
  for (size_t i = 0; i < x.size(); ++i)
    y[i] = 0.5 * x[i] * (1.0 + std::erf(x[i] * std::numbers::sqrt2 / 2.0));
}

void gelu_backward_f64(std::span<const double> x, std::span<const double> dy,
                       std::span<double> dx) {
  const double inv_sqrt_2pi = std::numbers::inv_sqrtpi / std::numbers::sqrt2;
  for (size_t i = 0; i < x.size(); ++i) {
    const double cdf = 0.5 * (1.0 + std::erf(x[i] * std::numbers::sqrt2 / 2.0));
    const double pdf = inv_sqrt_2pi * std::exp(-0.5 * x[i] * x[i]);
    dx[i] = dy[i] * (cdf + x[i] * pdf);
  }
}

void adamw_f64(const cc_adamw_params& p, std::span<double> param, std::span<const double> grad,
               std::span<double> m, std::span<double> v) {
  const auto t = static_cast<double>(p.step);
  const double bc1 = 1.0 - std::pow(p.beta1, t);
  const double bc2 = 1.0 - std::pow(p.beta2, t);
  for (size_t i = 0; i < param.size(); ++i) {
    const double g = grad[i];
    m[i] = p.beta1 * m[i] + (1.0 - p.beta1) * g;
    v[i] = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
    const double mhat = m[i] / bc1;
    const double vhat = v[i] / bc2;
    param[i] = param[i] - p.lr * (mhat / (std::sqrt(vhat) + p.eps) + p.weight_decay * param[i]);
  }
}

double peak_element(cc_dtype dtype, double x, int64_t iterations, double alpha, double beta) {
  switch (dtype) {
    case CC_DTYPE_F64: {
      double acc = x;
      for (int64_t t = 0; t < iterations; ++t) acc = std::fma(acc, alpha, beta);
      return acc;
    }
    case CC_DTYPE_F32:
    case CC_DTYPE_TF32: {
      float acc = static_cast<float>(x);
      const auto a = static_cast<float>(alpha), b = static_cast<float>(beta);
      for (int64_t t = 0; t < iterations; ++t) acc = std::fma(acc, a, b);
      return acc;
    }
    case CC_DTYPE_F16:
    case CC_DTYPE_BF16: {
      // a and b rounded to the dtype; their product is exact in fp32
      // (11+11 or 8+8 significant bits), so only the additions round.
      const auto round = [dtype](double d) {
        const auto f = static_cast<float>(d);
        return dtype == CC_DTYPE_F16 ? fp16_to_fp32(fp32_to_fp16(f))
                                     : bf16_to_fp32(fp32_to_bf16(f));
      };
      const float ab = round(alpha) * round(beta);
      float acc = static_cast<float>(x);
      for (int64_t t = 0; t < iterations; ++t) acc = acc + ab;
      return acc;
    }
    case CC_DTYPE_I8: {
      const auto a = static_cast<int64_t>(static_cast<int8_t>(alpha));
      const auto b = static_cast<int64_t>(static_cast<int8_t>(beta));
      // int32 wraps on overflow; workloads keep |x| + iterations*|a*b| < 2^31.
      auto acc = static_cast<int64_t>(x);
      for (int64_t t = 0; t < iterations; ++t) acc += a * b;
      return static_cast<double>(static_cast<int32_t>(acc));
    }
    default:
      return NAN;
  }
}

}  // namespace chipcert::workloads::reference
