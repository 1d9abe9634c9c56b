#pragma once
/// Reference implementations used for verification. Written for obvious
/// correctness first (fp64 accumulation, plain loops in the order the
/// definition reads), with just enough blocking and threading that checking
/// the quick suite takes seconds, not minutes. Shapes are the driver ABI's own
/// parameter structs, so a reference means exactly what the op descriptor
/// means. Every tensor is dense and row-major unless a function says otherwise.

#include <cstdint>
#include <functional>
#include <span>

#include "chipcert/driver.h"

namespace chipcert::workloads::reference {

/// Run body(i) for i in [0, count) on up to hardware_concurrency threads
/// (one thread when `cost` — the total work in multiply-adds — is small).
void parallel_for(int64_t count, double cost, const std::function<void(int64_t)>& body);

/// C[m x n] = A[m x k] * B[k x n], all row-major, dense, fp64.
/// Multithreaded over rows of C with std::thread.
void gemm_f64(int64_t m, int64_t n, int64_t k, std::span<const double> a, std::span<const double> b,
              std::span<double> c);

/// Output height and width of a convolution (the ABI's formula).
int64_t conv2d_out_h(const cc_conv2d_params& p);
int64_t conv2d_out_w(const cc_conv2d_params& p);

/// Direct convolution (cross-correlation) in canonical order, ignoring
/// p.layout: x is N,C,H,W, w is K,C/groups,R,S, y is N,K,P,Q. Computes only
/// the output planes (n, k) listed in `planes` (index n*K + k; empty: all),
/// writing zeros elsewhere. When `abs_sum` is non-empty it receives, per
/// output element, sum |x*w| over the products (for the error bound).
void conv2d_f64(const cc_conv2d_params& p, std::span<const double> x, std::span<const double> w,
                std::span<double> y, std::span<double> abs_sum, std::span<const int64_t> planes);

/// True when attention query row i may see key j (causal, bottom-right aligned).
bool attention_visible(const cc_attention_params& p, int64_t i, int64_t j);
/// Number of visible (query, key) pairs per head: Sq*Skv, or fewer when causal.
double attention_visible_pairs(const cc_attention_params& p);

/// Element offset of row `i` of head `bh` (= b*heads + h) in a tensor of
/// `seq` rows per head, in the layout p.layout (BHSD or BSHD).
int64_t attention_row_offset(const cc_attention_params& p, int64_t bh, int64_t i, int64_t seq);

/// Scaled dot-product attention over [batch, heads, seq, head_dim] (BHSD) or
/// [batch, seq, heads, head_dim] (BSHD) tensors, as p.layout says; o,
/// weighted_abs and q share one layout. Computes the query rows listed in
/// `rows` (logical index (b*H + h)*Sq + i in either layout; empty: all),
/// leaving other rows of o untouched. `weighted_abs` (same shape as o,
/// optional) receives sum_j p_ij |v_jd| and `score_abs` (one per logical query
/// row, optional) max_j scale * sum_d |q_id k_jd|, for the error bound.
void attention_f64(const cc_attention_params& p, std::span<const double> q,
                   std::span<const double> k, std::span<const double> v, std::span<double> o,
                   std::span<double> weighted_abs, std::span<double> score_abs,
                   std::span<const int64_t> rows);

/// Layer normalisation per row (biased variance, as every framework):
/// mean, rstd = 1/sqrt(var + eps), y = (x - mean) * rstd * gamma + beta.
void layernorm_f64(const cc_rows_params& p, std::span<const double> x,
                   std::span<const double> gamma, std::span<const double> beta, std::span<double> y,
                   std::span<double> mean, std::span<double> rstd);

/// Layer-norm backward from the saved mean and rstd:
///   xhat = (x - mean) * rstd, g = dy * gamma,
///   dx = rstd * (g - mean_row(g) - xhat * mean_row(g * xhat)),
///   dgamma = sum_rows dy * xhat, dbeta = sum_rows dy.
void layernorm_backward_f64(const cc_rows_params& p, std::span<const double> x,
                            std::span<const double> gamma, std::span<const double> mean,
                            std::span<const double> rstd, std::span<const double> dy,
                            std::span<double> dx, std::span<double> dgamma,
                            std::span<double> dbeta);

/// True when softmax masks column c of row r (causal rule of cc_rows_params).
bool softmax_masked(const cc_rows_params& p, int64_t r, int64_t c);

/// y = softmax(scale * x + mask) per row; masked entries are exactly 0.
void softmax_f64(const cc_rows_params& p, std::span<const double> x, std::span<double> y);

/// dx = scale * y * (dy - rowsum(dy * y)).
void softmax_backward_f64(const cc_rows_params& p, std::span<const double> y,
                          std::span<const double> dy, std::span<double> dx);

/// loss = mean over rows of (logsumexp(row) - row[label]);
/// dlogits = (softmax(row) - onehot(label)) / rows. Labels are in [0, cols).
void softmax_xent_f64(const cc_rows_params& p, std::span<const double> logits,
                      std::span<const int32_t> labels, double& loss, std::span<double> dlogits);

/// y = x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2))).
void gelu_f64(std::span<const double> x, std::span<double> y);
/// dx = dy * (Phi(x) + x * phi(x)).
void gelu_backward_f64(std::span<const double> x, std::span<const double> dy, std::span<double> dx);

/// One AdamW step in place, exactly the formula in cc_adamw_params.
void adamw_f64(const cc_adamw_params& p, std::span<double> param, std::span<const double> grad,
               std::span<double> m, std::span<double> v);

/// The peak recurrence of cc_peak_params for element x, in the dtype's own
/// arithmetic: fp64 / fp32 (also tf32) acc = fma(acc, alpha, beta) in that
/// precision; fp16 / bf16 acc(fp32) += a*b with a, b rounded to the dtype;
/// int8 acc(int32) += (int8)alpha * (int8)beta.
double peak_element(cc_dtype dtype, double x, int64_t iterations, double alpha, double beta);

}  // namespace chipcert::workloads::reference
