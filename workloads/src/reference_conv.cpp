// Direct 2-D convolution reference: the definition as loops, in canonical
// N,C,H,W / K,C/g,R,S / N,K,P,Q order (workloads convert layouts around it).

#include <algorithm>
#include <cmath>
#include <vector>

#include "chipcert/workloads/reference.hpp"

namespace chipcert::workloads::reference {

int64_t conv2d_out_h(const cc_conv2d_params& p) {
  return (p.h + 2 * p.pad_h - p.dilation_h * (p.r - 1) - 1) / p.stride_h + 1;
}
int64_t conv2d_out_w(const cc_conv2d_params& p) {
  return (p.w + 2 * p.pad_w - p.dilation_w * (p.s - 1) - 1) / p.stride_w + 1;
}

namespace {
/// Smallest integer >= a / b for b > 0.
int64_t ceil_div(int64_t a, int64_t b) {
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}
/// Largest integer <= a / b for b > 0.
int64_t floor_div(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}
}  // namespace

void conv2d_f64(const cc_conv2d_params& p, std::span<const double> x, std::span<const double> w,
                std::span<double> y, std::span<double> abs_sum, std::span<const int64_t> planes) {
  const int64_t P = conv2d_out_h(p), Q = conv2d_out_w(p);
  const int64_t cg = p.c / p.groups, kg = p.k / p.groups;
  std::fill(y.begin(), y.end(), 0.0);
  if (!abs_sum.empty()) std::fill(abs_sum.begin(), abs_sum.end(), 0.0);
  std::vector<int64_t> all;
  if (planes.empty()) {
    for (int64_t i = 0; i < p.n * p.k; ++i) all.push_back(i);
    planes = all;
  }
  auto plane = [&](int64_t idx) {
    const int64_t pl = planes[static_cast<size_t>(idx)];
    const int64_t n = pl / p.k, k = pl % p.k, g = k / kg;
    double* yp = y.data() + pl * P * Q;
    double* ap = abs_sum.empty() ? nullptr : abs_sum.data() + pl * P * Q;
    for (int64_t c = 0; c < cg; ++c) {
      const double* xc = x.data() + (n * p.c + g * cg + c) * p.h * p.w;
      for (int64_t r = 0; r < p.r; ++r)
        for (int64_t s = 0; s < p.s; ++s) {
          const double wv = w[static_cast<size_t>(((k * cg + c) * p.r + r) * p.s + s)];
          // Output columns q whose input column q*sw - pw + s*dw lies inside [0, W).
          const int64_t off_w = s * p.dilation_w - p.pad_w;
          const int64_t q0 = std::max<int64_t>(0, ceil_div(-off_w, p.stride_w));
          const int64_t q1 = std::min<int64_t>(Q, floor_div(p.w - 1 - off_w, p.stride_w) + 1);
          for (int64_t oh = 0; oh < P; ++oh) {
            const int64_t ih = oh * p.stride_h - p.pad_h + r * p.dilation_h;
            if (ih < 0 || ih >= p.h) continue;
            // Index arithmetic, not a pointer to before the row: off_w may be negative.
            const int64_t base = ih * p.w + off_w;
            double* yr = yp + oh * Q;
            for (int64_t q = q0; q < q1; ++q) yr[q] += xc[base + q * p.stride_w] * wv;
            if (ap) {
              double* ar = ap + oh * Q;
              for (int64_t q = q0; q < q1; ++q) ar[q] += std::fabs(xc[base + q * p.stride_w] * wv);
            }
          }
        }
    }
  };
  const double cost = static_cast<double>(planes.size()) * static_cast<double>(P * Q) *
                      static_cast<double>(cg * p.r * p.s);
  parallel_for(static_cast<int64_t>(planes.size()), cost, plane);
}

}  // namespace chipcert::workloads::reference
