// Row-wise ops: LAYERNORM (+ backward), SOFTMAX (+ backward, causal) and
// SOFTMAX_XENT, f32 and f64.
//
// Each OpenMP thread takes a contiguous range of rows; a row is processed
// while it is in L1/L2 with `omp simd` loops (cloned for AVX-512 / AVX2 /
// baseline), exp through libmvec (vexp). Row sums (mean, variance, softmax
// denominator, loss) accumulate in double, so f32 results do not lose digits
// on long rows. Reductions across rows (layernorm's dgamma/dbeta, the mean
// loss) are done in a fixed order, so results are reproducible run to run.
// oneDNN's layer_normalization / softmax primitives were not used: they cover
// neither the causal mask nor the fused cross-entropy, and these loops are
// memory-bound either way.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "cpu_internal.hpp"

namespace chipcert::cpu {
namespace {

#define CC_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

#define CC_ROW_LOOPS(T)                                                                            \
  CC_CLONES double row_sum(const T* __restrict x, int64_t n) {                                     \
    double s = 0;                                                                                  \
    _Pragma("omp simd reduction(+ : s)") for (int64_t i = 0; i < n; ++i) s += double(x[i]);        \
    return s;                                                                                      \
  }                                                                                                \
  CC_CLONES double row_sq_dev(const T* __restrict x, double mean, int64_t n) {                     \
    double s = 0;                                                                                  \
    _Pragma("omp simd reduction(+ : s)") for (int64_t i = 0; i < n; ++i) {                         \
      const double d = double(x[i]) - mean;                                                        \
      s += d * d;                                                                                  \
    }                                                                                              \
    return s;                                                                                      \
  }                                                                                                \
  CC_CLONES double row_dot(const T* __restrict a, const T* __restrict b, int64_t n) {              \
    double s = 0;                                                                                  \
    _Pragma("omp simd reduction(+ : s)") for (int64_t i = 0; i < n; ++i) s +=                      \
        double(a[i]) * double(b[i]);                                                               \
    return s;                                                                                      \
  }                                                                                                \
  CC_CLONES T row_scaled_max(const T* __restrict x, T* __restrict y, T scale, int64_t n) {         \
    T m = -std::numeric_limits<T>::infinity();                                                     \
    _Pragma("omp simd reduction(max : m)") for (int64_t i = 0; i < n; ++i) {                       \
      y[i] = scale * x[i];                                                                         \
      m = std::max(m, y[i]);                                                                       \
    }                                                                                              \
    return m;                                                                                      \
  }                                                                                                \
  CC_CLONES void row_sub(T* __restrict y, T v, int64_t n) {                                        \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) y[i] -= v;                                 \
  }                                                                                                \
  CC_CLONES void row_scale(T* __restrict y, T v, int64_t n) {                                      \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) y[i] *= v;                                 \
  }                                                                                                \
  CC_CLONES void ln_row(const T* __restrict x, const T* __restrict g, const T* __restrict b,       \
                        T* __restrict y, T mean, T rstd, int64_t n) {                              \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * rstd * g[i] + b[i]; \
  }                                                                                                \
  /* dx = rstd (g - a - xhat b), g = dy gamma; a, b the row means of g, g xhat */                  \
  CC_CLONES void ln_bwd_row(const T* __restrict x, const T* __restrict gam,                        \
                            const T* __restrict dy, T* __restrict dx, T mean, T rstd, T a, T b,    \
                            int64_t n) {                                                           \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) {                                          \
      const T xhat = (x[i] - mean) * rstd;                                                         \
      dx[i] = rstd * (dy[i] * gam[i] - a - xhat * b);                                              \
    }                                                                                              \
  }                                                                                                \
  CC_CLONES double ln_bwd_gxhat(const T* __restrict x, const T* __restrict gam,                    \
                                const T* __restrict dy, T mean, T rstd, int64_t n) {               \
    double s = 0;                                                                                  \
    _Pragma("omp simd reduction(+ : s)") for (int64_t i = 0; i < n; ++i) s +=                      \
        double(dy[i] * gam[i]) * double((x[i] - mean) * rstd);                                     \
    return s;                                                                                      \
  }                                                                                                \
  CC_CLONES void ln_bwd_params(const T* __restrict x, const T* __restrict dy, T mean, T rstd,      \
                               double* __restrict dg, double* __restrict db, int64_t n) {          \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) {                                          \
      dg[i] += double(dy[i]) * double((x[i] - mean) * rstd);                                       \
      db[i] += double(dy[i]);                                                                      \
    }                                                                                              \
  }                                                                                                \
  /* dx = scale y (dy - d) */                                                                      \
  CC_CLONES void sm_bwd_row(const T* __restrict y, const T* __restrict dy, T* __restrict dx,       \
                            T scale, T d, int64_t n) {                                             \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) dx[i] = scale * y[i] * (dy[i] - d);        \
  }

CC_ROW_LOOPS(float)
CC_ROW_LOOPS(double)

#undef CC_ROW_LOOPS

template <class T>
class RowsKernel final : public Kernel {
 public:
  RowsKernel(const cc_op_desc& op, int threads, Isa isa)
      : kind_(op.kind), p_(op.u.rows), threads_(threads), isa_(isa) {
    if (p_.rows < 0 || p_.cols < 0)
      throw Error(CC_ERR_INVALID_ARGUMENT, "rows and cols must be >= 0");
    if (kind_ == CC_OP_SOFTMAX && p_.causal && (p_.seq_q < 1 || p_.rows % p_.seq_q != 0))
      throw Error(CC_ERR_INVALID_ARGUMENT, "SOFTMAX causal needs seq_q >= 1 dividing rows (" +
                                               std::to_string(p_.rows) +
                                               "), got seq_q = " + std::to_string(p_.seq_q));
    if (kind_ == CC_OP_LAYERNORM && !(p_.eps >= 0))
      throw Error(CC_ERR_INVALID_ARGUMENT, "LAYERNORM eps must be >= 0");
    const uint64_t t = sizeof(T);
    const uint64_t mat = checked_bytes(uint64_t(p_.rows), uint64_t(p_.cols), t);
    const uint64_t row = checked_bytes(uint64_t(p_.rows), t),
                   col = checked_bytes(uint64_t(p_.cols), t);
    const std::string simd = "omp simd (target_clones avx512/avx2/baseline), double row sums";
    switch (kind_) {
      case CC_OP_LAYERNORM:
        args_ = {{"x", mat}, {"gamma", col}, {"beta", col},
                 {"y", mat}, {"mean", row},  {"rstd", row}};
        info_ = "chipcert OpenMP layernorm, rows per core, " + simd;
        break;
      case CC_OP_LAYERNORM_BACKWARD:
        args_ = {{"x", mat},  {"gamma", col}, {"mean", row},   {"rstd", row},
                 {"dy", mat}, {"dx", mat},    {"dgamma", col}, {"dbeta", col}};
        info_ =
            "chipcert OpenMP layernorm backward, rows per core (dx), columns per core "
            "(dgamma, dbeta), " +
            simd;
        break;
      case CC_OP_SOFTMAX:
        args_ = {{"x", mat}, {"y", mat}};
        info_ = "chipcert OpenMP softmax, rows per core, " + simd + vexp_name();
        break;
      case CC_OP_SOFTMAX_BACKWARD:
        args_ = {{"y", mat}, {"dy", mat}, {"dx", mat}};
        info_ = "chipcert OpenMP softmax backward, rows per core, " + simd;
        break;
      default:
        args_ = {{"logits", mat},
                 {"labels", checked_bytes(uint64_t(p_.rows), 4)},
                 {"loss", t},
                 {"dlogits", mat}};
        info_ =
            "chipcert OpenMP softmax cross-entropy fused with its gradient, " + simd + vexp_name();
        partial_.resize(size_t(threads_));
        break;
    }
  }

  void run(void* const* data) override {
    const auto arg = [data](int i) { return static_cast<T*>(data[i]); };
    switch (kind_) {
      case CC_OP_LAYERNORM:
        return for_rows(
            [&](int64_t r, int) { layernorm(r, arg(0), arg(1), arg(2), arg(3), arg(4), arg(5)); });
      case CC_OP_LAYERNORM_BACKWARD:
        return layernorm_backward(arg(0), arg(1), arg(2), arg(3), arg(4), arg(5), arg(6), arg(7));
      case CC_OP_SOFTMAX:
        return for_rows([&](int64_t r, int) { softmax(r, arg(0), arg(1)); });
      case CC_OP_SOFTMAX_BACKWARD:
        return for_rows([&](int64_t r, int) {
          const int64_t c = p_.cols, o = r * c;
          const T d = T(row_dot(arg(1) + o, arg(0) + o, c));
          sm_bwd_row(arg(0) + o, arg(1) + o, arg(2) + o, T(p_.scale), d, c);
        });
      default:
        return xent(arg(0), static_cast<const int32_t*>(data[1]), arg(2), arg(3));
    }
  }

 private:
  std::string vexp_name() const {
    return std::is_same_v<T, float> && isa_ >= Isa::kAvx2 ? "; exp: glibc libmvec" : "; exp: libm";
  }

  /// Calls f(row, thread) for every row, each thread a contiguous range.
  template <class F>
  void for_rows(F&& f) {
    const int64_t rows = p_.rows;
#pragma omp parallel num_threads(threads_)
    {
      const int t = omp_get_thread_num();
      const Range r = thread_range(rows, t, omp_get_num_threads());
      for (int64_t i = r.lo; i < r.hi; ++i) f(i, t);
    }
  }

  void layernorm(int64_t r, const T* x, const T* g, const T* b, T* y, T* mean, T* rstd) const {
    const int64_t c = p_.cols, o = r * c;
    if (c == 0) {
      mean[r] = 0, rstd[r] = T(1 / std::sqrt(p_.eps));
      return;
    }
    const double mu = row_sum(x + o, c) / double(c);
    const double var = row_sq_dev(x + o, mu, c) / double(c);  // biased, as frameworks do
    const double rs = 1 / std::sqrt(var + p_.eps);
    mean[r] = T(mu);
    rstd[r] = T(rs);
    ln_row(x + o, g, b, y + o, T(mu), T(rs), c);
  }

  void layernorm_backward(const T* x, const T* gam, const T* mean, const T* rstd, const T* dy,
                          T* dx, T* dgamma, T* dbeta) {
    const int64_t c = p_.cols;
    for_rows([&](int64_t r, int) {
      const int64_t o = r * c;
      if (c == 0) return;
      const double a = row_dot(dy + o, gam, c) / double(c);
      const double b = ln_bwd_gxhat(x + o, gam, dy + o, mean[r], rstd[r], c) / double(c);
      ln_bwd_row(x + o, gam, dy + o, dx + o, mean[r], rstd[r], T(a), T(b), c);
    });
    // dgamma and dbeta sum over rows: each thread owns a column range, so no
    // partial sums need merging and the order is fixed.
    const int64_t rows = p_.rows;
#pragma omp parallel num_threads(threads_)
    {
      const Range cr = thread_range(c, omp_get_thread_num(), omp_get_num_threads(), 64 / sizeof(T));
      const int64_t len = cr.hi - cr.lo;
      if (len > 0) {
        std::vector<double> dg(size_t(len), 0.0), db(size_t(len), 0.0);
        for (int64_t r = 0; r < rows; ++r)
          ln_bwd_params(x + r * c + cr.lo, dy + r * c + cr.lo, mean[r], rstd[r], dg.data(),
                        db.data(), len);
        for (int64_t i = 0; i < len; ++i) {
          dgamma[cr.lo + i] = T(dg[size_t(i)]);
          dbeta[cr.lo + i] = T(db[size_t(i)]);
        }
      }
    }
  }

  /// Columns of row r that the causal mask leaves (a prefix), or all.
  int64_t visible(int64_t r) const {
    if (!p_.causal) return p_.cols;
    const int64_t last = r % p_.seq_q + (p_.cols - p_.seq_q);  // last visible column
    return std::clamp<int64_t>(last + 1, 0, p_.cols);
  }

  /// y = softmax over the first `len` entries of scale * x; the rest 0.
  /// Returns max and log(sum) for cross-entropy.
  std::pair<T, double> softmax_row(const T* x, T* y, T scale, int64_t len) const {
    std::fill(y + len, y + p_.cols, T(0));
    if (len == 0) return {T(0), 0.0};  // nothing visible: the row stays 0
    const T m = row_scaled_max(x, y, scale, len);
    row_sub(y, m, len);
    vexp(isa_, y, len);
    const double sum = row_sum(y, len);
    row_scale(y, T(1 / sum), len);
    return {m, std::log(sum)};
  }

  void softmax(int64_t r, const T* x, T* y) const {
    const int64_t o = r * p_.cols;
    softmax_row(x + o, y + o, T(p_.scale), visible(r));
  }

  void xent(const T* logits, const int32_t* labels, T* loss, T* dlogits) {
    const int64_t c = p_.cols, rows = p_.rows;
    std::fill(partial_.begin(), partial_.end(), Partial{});
    for_rows([&](int64_t r, int t) {
      const int64_t o = r * c;
      const int32_t label = labels[r];
      if (label < 0 || label >= c) {
        if (partial_[size_t(t)].bad_row < 0) partial_[size_t(t)].bad_row = r;
        return;
      }
      const auto [m, logsum] = softmax_row(logits + o, dlogits + o, T(1), c);
      // -log softmax[label] = log(sum) - (x_label - max), in double.
      partial_[size_t(t)].loss += logsum - (double(logits[o + label]) - double(m));
      dlogits[o + label] -= T(1);
      row_scale(dlogits + o, T(1.0 / double(rows)), c);
    });
    double total = 0;
    for (const Partial& p : partial_) {
      if (p.bad_row >= 0)
        throw Error(CC_ERR_INVALID_ARGUMENT, "SOFTMAX_XENT labels[" + std::to_string(p.bad_row) +
                                                 "] = " + std::to_string(labels[p.bad_row]) +
                                                 " is outside [0, cols = " + std::to_string(c) +
                                                 ")");
      total += p.loss;
    }
    *loss = rows > 0 ? T(total / double(rows)) : T(0);
  }

  struct alignas(64) Partial {
    double loss = 0;
    int64_t bad_row = -1;
  };

  uint32_t kind_;
  cc_rows_params p_;
  int threads_;
  Isa isa_;
  std::vector<Partial> partial_;  // SOFTMAX_XENT: one per thread, summed in order
};

}  // namespace

std::unique_ptr<Kernel> make_rows_kernel(Device& dev, const cc_op_desc& op) {
  const char* name = op.kind == CC_OP_LAYERNORM            ? "LAYERNORM"
                     : op.kind == CC_OP_SOFTMAX            ? "SOFTMAX"
                     : op.kind == CC_OP_LAYERNORM_BACKWARD ? "LAYERNORM_BACKWARD"
                     : op.kind == CC_OP_SOFTMAX_BACKWARD   ? "SOFTMAX_BACKWARD"
                                                           : "SOFTMAX_XENT";
  require_float_pair(op, name);
  if (op.dtype == CC_DTYPE_F32)
    return std::make_unique<RowsKernel<float>>(op, dev.threads(), cpu_isa());
  return std::make_unique<RowsKernel<double>>(op, dev.threads(), cpu_isa());
}

}  // namespace chipcert::cpu
