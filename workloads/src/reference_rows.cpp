// Row-wise references: layer norm, softmax (with the causal mask rule),
// their backward passes and softmax cross-entropy. fp64, two-pass, plain loops.

#include <algorithm>
#include <cmath>
#include <vector>

#include "chipcert/workloads/reference.hpp"

namespace chipcert::workloads::reference {

namespace {
size_t at(int64_t r, int64_t c, int64_t cols) {
  return static_cast<size_t>(r * cols + c);
}
}  // namespace

void layernorm_f64(const cc_rows_params& p, std::span<const double> x,
                   std::span<const double> gamma, std::span<const double> beta, std::span<double> y,
                   std::span<double> mean, std::span<double> rstd) {
  const int64_t L = p.cols;
  parallel_for(p.rows, 4.0 * static_cast<double>(p.rows * L), [&](int64_t r) {
    double sum = 0;
    for (int64_t c = 0; c < L; ++c) sum += x[at(r, c, L)];
    const double mu = sum / static_cast<double>(L);
    double sq = 0;
    for (int64_t c = 0; c < L; ++c) sq += (x[at(r, c, L)] - mu) * (x[at(r, c, L)] - mu);
    const double rs = 1.0 / std::sqrt(sq / static_cast<double>(L) + p.eps);
    for (int64_t c = 0; c < L; ++c)
      y[at(r, c, L)] =
          (x[at(r, c, L)] - mu) * rs * gamma[static_cast<size_t>(c)] + beta[static_cast<size_t>(c)];
    mean[static_cast<size_t>(r)] = mu;
    rstd[static_cast<size_t>(r)] = rs;
  });
}

void layernorm_backward_f64(const cc_rows_params& p, std::span<const double> x,
                            std::span<const double> gamma, std::span<const double> mean,
                            std::span<const double> rstd, std::span<const double> dy,
                            std::span<double> dx, std::span<double> dgamma,
                            std::span<double> dbeta) {
  const int64_t L = p.cols;
  const auto Ld = static_cast<double>(L);
  parallel_for(p.rows, 6.0 * static_cast<double>(p.rows * L), [&](int64_t r) {
    const double mu = mean[static_cast<size_t>(r)], rs = rstd[static_cast<size_t>(r)];
    double g_sum = 0, gx_sum = 0;
    for (int64_t c = 0; c < L; ++c) {
      const double xhat = (x[at(r, c, L)] - mu) * rs;
      const double g = dy[at(r, c, L)] * gamma[static_cast<size_t>(c)];
      g_sum += g;
      gx_sum += g * xhat;
    }
    for (int64_t c = 0; c < L; ++c) {
      const double xhat = (x[at(r, c, L)] - mu) * rs;
      const double g = dy[at(r, c, L)] * gamma[static_cast<size_t>(c)];
      dx[at(r, c, L)] = rs * (g - g_sum / Ld - xhat * gx_sum / Ld);
    }
  });
  // Column sums, row by row (sequential: each column accumulates in row order).
  std::fill(dgamma.begin(), dgamma.end(), 0.0);
  std::fill(dbeta.begin(), dbeta.end(), 0.0);
  for (int64_t r = 0; r < p.rows; ++r) {
    const double mu = mean[static_cast<size_t>(r)], rs = rstd[static_cast<size_t>(r)];
    for (int64_t c = 0; c < L; ++c) {
      dgamma[static_cast<size_t>(c)] += dy[at(r, c, L)] * (x[at(r, c, L)] - mu) * rs;
      dbeta[static_cast<size_t>(c)] += dy[at(r, c, L)];
    }
  }
}

bool softmax_masked(const cc_rows_params& p, int64_t r, int64_t c) {
  return p.causal != 0 && c > (r % p.seq_q) + (p.cols - p.seq_q);
}

void softmax_f64(const cc_rows_params& p, std::span<const double> x, std::span<double> y) {
  const int64_t L = p.cols;
  parallel_for(p.rows, 4.0 * static_cast<double>(p.rows * L), [&](int64_t r) {
    double mx = -INFINITY;
    for (int64_t c = 0; c < L; ++c)
      if (!softmax_masked(p, r, c)) mx = std::max(mx, p.scale * x[at(r, c, L)]);
    double sum = 0;
    for (int64_t c = 0; c < L; ++c) {
      const double e = softmax_masked(p, r, c) ? 0.0 : std::exp(p.scale * x[at(r, c, L)] - mx);
      y[at(r, c, L)] = e;
      sum += e;
    }
    for (int64_t c = 0; c < L; ++c) y[at(r, c, L)] /= sum;
  });
}

void softmax_backward_f64(const cc_rows_params& p, std::span<const double> y,
                          std::span<const double> dy, std::span<double> dx) {
  const int64_t L = p.cols;
  parallel_for(p.rows, 3.0 * static_cast<double>(p.rows * L), [&](int64_t r) {
    double dot = 0;
    for (int64_t c = 0; c < L; ++c) dot += dy[at(r, c, L)] * y[at(r, c, L)];
    for (int64_t c = 0; c < L; ++c)
      dx[at(r, c, L)] = p.scale * y[at(r, c, L)] * (dy[at(r, c, L)] - dot);
  });
}

void softmax_xent_f64(const cc_rows_params& p, std::span<const double> logits,
                      std::span<const int32_t> labels, double& loss, std::span<double> dlogits) {
  const int64_t L = p.cols;
  const auto R = static_cast<double>(p.rows);
  std::vector<double> row_loss(static_cast<size_t>(p.rows));
  parallel_for(p.rows, 4.0 * static_cast<double>(p.rows * L), [&](int64_t r) {
    double mx = -INFINITY;
    for (int64_t c = 0; c < L; ++c) mx = std::max(mx, logits[at(r, c, L)]);
    double sum = 0;
    for (int64_t c = 0; c < L; ++c) sum += std::exp(logits[at(r, c, L)] - mx);
    const int64_t label = labels[static_cast<size_t>(r)];
    row_loss[static_cast<size_t>(r)] = mx + std::log(sum) - logits[at(r, label, L)];
    for (int64_t c = 0; c < L; ++c)
      dlogits[at(r, c, L)] =
          (std::exp(logits[at(r, c, L)] - mx) / sum - (c == label ? 1.0 : 0.0)) / R;
  });
  double total = 0;
  for (double l : row_loss) total += l;
  loss = total / R;
}

}  // namespace chipcert::workloads::reference
