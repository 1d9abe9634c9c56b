// Scaled dot-product attention reference: scores, a max-shifted softmax and
// the weighted sum, one query row at a time, all in fp64.

#include <algorithm>
#include <cmath>
#include <vector>

#include "chipcert/workloads/reference.hpp"

namespace chipcert::workloads::reference {

bool attention_visible(const cc_attention_params& p, int64_t i, int64_t j) {
  return p.causal == 0 || j <= i + (p.seq_kv - p.seq_q);
}

double attention_visible_pairs(const cc_attention_params& p) {
  if (p.causal == 0) return static_cast<double>(p.seq_q) * static_cast<double>(p.seq_kv);
  double pairs = 0;
  for (int64_t i = 0; i < p.seq_q; ++i)
    pairs += static_cast<double>(std::clamp<int64_t>(i + (p.seq_kv - p.seq_q) + 1, 0, p.seq_kv));
  return pairs;
}

int64_t attention_row_offset(const cc_attention_params& p, int64_t bh, int64_t i, int64_t seq) {
  if (p.layout == CC_ATTN_BSHD) {
    const int64_t b = bh / p.heads, h = bh % p.heads;
    return ((b * seq + i) * p.heads + h) * p.head_dim;
  }
  return (bh * seq + i) * p.head_dim;
}

void attention_f64(const cc_attention_params& p, std::span<const double> q,
                   std::span<const double> k, std::span<const double> v, std::span<double> o,
                   std::span<double> weighted_abs, std::span<double> score_abs,
                   std::span<const int64_t> rows) {
  const int64_t D = p.head_dim, Sq = p.seq_q, Skv = p.seq_kv;
  const int64_t total_rows = p.batch * p.heads * Sq;
  std::vector<int64_t> all;
  if (rows.empty()) {
    for (int64_t i = 0; i < total_rows; ++i) all.push_back(i);
    rows = all;
  }
  auto row = [&](int64_t idx) {
    const int64_t r = rows[static_cast<size_t>(idx)];
    const int64_t bh = r / Sq, i = r % Sq;
    const int64_t qo = attention_row_offset(p, bh, i, Sq);
    const double* qi = q.data() + qo;
    // Key row j of this head starts at kh + j * kv_ld.
    const int64_t kv_ld = p.layout == CC_ATTN_BSHD ? p.heads * D : D;
    const double* kh = k.data() + attention_row_offset(p, bh, 0, Skv);
    const double* vh = v.data() + attention_row_offset(p, bh, 0, Skv);
    std::vector<double> s(static_cast<size_t>(Skv), 0.0);
    double smax = -INFINITY, abs_max = 0;
    for (int64_t j = 0; j < Skv; ++j) {
      if (!attention_visible(p, i, j)) continue;
      double dot = 0, abs_dot = 0;
      for (int64_t d = 0; d < D; ++d) {
        dot += qi[d] * kh[j * kv_ld + d];
        abs_dot += std::fabs(qi[d] * kh[j * kv_ld + d]);
      }
      s[static_cast<size_t>(j)] = p.scale * dot;
      smax = std::max(smax, s[static_cast<size_t>(j)]);
      abs_max = std::max(abs_max, std::fabs(p.scale) * abs_dot);
    }
    double sum = 0;
    for (int64_t j = 0; j < Skv; ++j) {
      double& e = s[static_cast<size_t>(j)];
      e = attention_visible(p, i, j) ? std::exp(e - smax) : 0.0;
      sum += e;
    }
    double* oi = o.data() + qo;
    double* wi = weighted_abs.empty() ? nullptr : weighted_abs.data() + qo;
    std::fill(oi, oi + D, 0.0);
    if (wi) std::fill(wi, wi + D, 0.0);
    for (int64_t j = 0; j < Skv; ++j) {
      const double pj = s[static_cast<size_t>(j)] / sum;
      if (pj == 0.0) continue;
      for (int64_t d = 0; d < D; ++d) oi[d] += pj * vh[j * kv_ld + d];
      if (wi)
        for (int64_t d = 0; d < D; ++d) wi[d] += pj * std::fabs(vh[j * kv_ld + d]);
    }
    if (!score_abs.empty()) score_abs[static_cast<size_t>(r)] = abs_max;
  };
  const double cost = static_cast<double>(rows.size()) * static_cast<double>(Skv * D) * 2.0;
  parallel_for(static_cast<int64_t>(rows.size()), cost, row);
}

}  // namespace chipcert::workloads::reference
