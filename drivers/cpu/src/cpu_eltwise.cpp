// Element-wise ops: GELU, ADD, MUL, GELU_BACKWARD and ADAMW, f32 and f64,
// plus the vector exp/erfc the other ops share.
//
// All are memory-bound: each OpenMP thread takes one contiguous slice and
// runs `omp simd` loops (cloned for AVX-512 / AVX2 / baseline). GELU is
// x * Phi(x) with Phi(x) = erfc(-x/sqrt2)/2: the erfc form keeps full relative
// precision for negative x, where 1 + erf(x/sqrt2) cancels (x = -4 would lose
// 2 of fp32's 7 digits). GCC vectorises neither erfc nor exp without
// -ffast-math, so the slice is processed in L1-sized blocks: a simd loop
// writes erfc's argument, glibc's libmvec (`_ZGVeN16v_erfcf`, the vector-ABI
// functions GCC itself calls under -ffast-math; <= 4 ulp) transforms the
// block, and a second simd loop finishes. oneDNN's eltwise gelu_erf was not
// used: its erf is a polynomial with ~1e-7 absolute error, i.e. large
// relative error for small outputs.
#include <immintrin.h>
#include <omp.h>

#include <cmath>
#include <string>

#include "cpu_internal.hpp"

extern "C" {
// glibc libmvec, x86-64 vector function ABI (e = AVX-512, d = AVX2).
__attribute__((target("avx512f"))) __m512 _ZGVeN16v_erfcf(__m512);
__attribute__((target("avx512f"))) __m512 _ZGVeN16v_expf(__m512);
__attribute__((target("avx2"))) __m256 _ZGVdN8v_erfcf(__m256);
__attribute__((target("avx2"))) __m256 _ZGVdN8v_expf(__m256);
}

namespace chipcert::cpu {
namespace {

#define CC_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define CC_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))
#define CC_AVX2 __attribute__((target("avx2,fma")))

using VecFn512 = __m512 (*)(__m512);
using VecFn256 = __m256 (*)(__m256);

CC_AVX512 void apply512(VecFn512 f, float* x, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, f(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = __mmask16((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(x + i, m, f(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

CC_AVX2 void apply256(VecFn256 f, float* x, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, f(_mm256_loadu_ps(x + i)));
  for (; i < n; ++i) {  // tail through a padded register
    alignas(32) float t[8] = {x[i]};
    _mm256_store_ps(t, f(_mm256_load_ps(t)));
    x[i] = t[0];
  }
}

constexpr double kSqrtHalf = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr int64_t kBlock = 2048;  // elements per erfc/exp block (8 KiB of f32)

// ---- simd loops (cloned) ----------------------------------------------------

#define CC_ELTWISE_LOOPS(T)                                                                        \
  CC_CLONES void add_slice(const T* __restrict a, const T* __restrict b, T* __restrict y,          \
                           int64_t n) {                                                            \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];                        \
  }                                                                                                \
  CC_CLONES void mul_slice(const T* __restrict a, const T* __restrict b, T* __restrict y,          \
                           int64_t n) {                                                            \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) y[i] = a[i] * b[i];                        \
  }                                                                                                \
  CC_CLONES void scale_slice(const T* __restrict x, T* __restrict y, T s, int64_t n) {             \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) y[i] = s * x[i];                           \
  }                                                                                                \
  /* y = 0.5 x e where e = erfc(-x/sqrt2) = 1 + erf(x/sqrt2) is in y */                            \
  CC_CLONES void gelu_finish(const T* __restrict x, T* __restrict y, int64_t n) {                  \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) y[i] = T(0.5) * x[i] * y[i];               \
  }                                                                                                \
  /* e = -x^2/2 */                                                                                 \
  CC_CLONES void neg_half_square(const T* __restrict x, T* __restrict e, int64_t n) {              \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) e[i] = T(-0.5) * x[i] * x[i];              \
  }                                                                                                \
  /* dx = dy (0.5 erfc(-x/sqrt2) + x exp(-x^2/2)/sqrt(2 pi)), erfc in dx, exp in e */              \
  CC_CLONES void gelu_bwd_finish(const T* __restrict x, const T* __restrict dy,                    \
                                 const T* __restrict e, T* __restrict dx, int64_t n) {             \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) dx[i] =                                    \
        dy[i] * (T(0.5) * dx[i] + T(kInvSqrt2Pi) * x[i] * e[i]);                                   \
  }                                                                                                \
  CC_CLONES void adamw_slice(T* __restrict p, const T* __restrict g, T* __restrict m,              \
                             T* __restrict v, T b1, T b2, T lr, T eps, T wd, T inv_bc1, T inv_bc2, \
                             int64_t n) {                                                          \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) {                                          \
      const T mi = b1 * m[i] + (T(1) - b1) * g[i];                                                 \
      const T vi = b2 * v[i] + (T(1) - b2) * g[i] * g[i];                                          \
      m[i] = mi;                                                                                   \
      v[i] = vi;                                                                                   \
      p[i] = p[i] - lr * ((mi * inv_bc1) / (std::sqrt(vi * inv_bc2) + eps) + wd * p[i]);           \
    }                                                                                              \
  }

CC_ELTWISE_LOOPS(float)
CC_ELTWISE_LOOPS(double)

#undef CC_ELTWISE_LOOPS

template <class T>
class EltwiseKernel final : public Kernel {
 public:
  EltwiseKernel(const cc_op_desc& op, int threads, Isa isa)
      : kind_(op.kind), threads_(threads), isa_(isa) {
    if (kind_ == CC_OP_ADAMW) {
      a_ = op.u.adamw;
      n_ = a_.n;
      if (a_.step < 1)
        throw Error(CC_ERR_INVALID_ARGUMENT,
                    "ADAMW step must be >= 1 (1-based), got " + std::to_string(a_.step));
    } else {
      n_ = op.u.eltwise.n;
    }
    if (n_ < 0) throw Error(CC_ERR_INVALID_ARGUMENT, "n must be >= 0, got " + std::to_string(n_));
    const uint64_t bytes = checked_bytes(uint64_t(n_), sizeof(T));
    const char* simd = "omp simd (target_clones avx512/avx2/baseline)";
    const std::string mvec =
        std::is_same_v<T, float> && isa_ >= Isa::kAvx2
            ? std::string("; erfc/exp: glibc libmvec ") + (isa_ >= Isa::kAvx512 ? "avx512" : "avx2")
            : std::string("; erfc/exp: scalar libm");
    switch (kind_) {
      case CC_OP_GELU:
        args_ = {{"x", bytes}, {"y", bytes}};
        info_ = std::string("chipcert OpenMP GELU (erfc form), ") + simd + mvec;
        break;
      case CC_OP_GELU_BACKWARD:
        args_ = {{"x", bytes}, {"dy", bytes}, {"dx", bytes}};
        info_ = std::string("chipcert OpenMP GELU backward (erfc form), ") + simd + mvec;
        break;
      case CC_OP_ADAMW:
        args_ = {{"param", bytes}, {"grad", bytes}, {"m", bytes}, {"v", bytes}};
        info_ = std::string("chipcert OpenMP AdamW, fused single pass, ") + simd;
        break;
      default:
        args_ = {{"a", bytes}, {"b", bytes}, {"y", bytes}};
        info_ = std::string("chipcert OpenMP ") + (kind_ == CC_OP_ADD ? "add, " : "mul, ") + simd;
        break;
    }
  }

  void run(void* const* data) override {
    const auto arg = [data](int i) { return static_cast<T*>(data[i]); };
    const int64_t n = n_;
#pragma omp parallel num_threads(threads_)
    {
      const Range r = thread_range(n, omp_get_thread_num(), omp_get_num_threads(), 64 / sizeof(T));
      const int64_t lo = r.lo, len = r.hi - r.lo;
      if (len > 0) {
        switch (kind_) {
          case CC_OP_ADD:
            add_slice(arg(0) + lo, arg(1) + lo, arg(2) + lo, len);
            break;
          case CC_OP_MUL:
            mul_slice(arg(0) + lo, arg(1) + lo, arg(2) + lo, len);
            break;
          case CC_OP_GELU:
            gelu(arg(0) + lo, arg(1) + lo, len);
            break;
          case CC_OP_GELU_BACKWARD:
            gelu_backward(arg(0) + lo, arg(1) + lo, arg(2) + lo, len);
            break;
          default:
            adamw(arg(0) + lo, arg(1) + lo, arg(2) + lo, arg(3) + lo, len);
            break;
        }
      }
    }
  }

 private:
  void gelu(const T* x, T* y, int64_t n) const {
    for (int64_t b = 0; b < n; b += kBlock) {
      const int64_t len = std::min(kBlock, n - b);
      scale_slice(x + b, y + b, T(-kSqrtHalf), len);
      verfc(isa_, y + b, len);
      gelu_finish(x + b, y + b, len);
    }
  }

  void gelu_backward(const T* x, const T* dy, T* dx, int64_t n) const {
    alignas(64) T e[kBlock];
    for (int64_t b = 0; b < n; b += kBlock) {
      const int64_t len = std::min(kBlock, n - b);
      scale_slice(x + b, dx + b, T(-kSqrtHalf), len);
      verfc(isa_, dx + b, len);
      neg_half_square(x + b, e, len);
      vexp(isa_, e, len);
      gelu_bwd_finish(x + b, dy + b, e, dx + b, len);
    }
  }

  void adamw(T* p, const T* g, T* m, T* v, int64_t n) const {
    // Bias corrections in double once per launch: beta^step underflows
    // gracefully and 1 - beta^step keeps its digits for small steps.
    const double bc1 = 1 - std::pow(a_.beta1, double(a_.step));
    const double bc2 = 1 - std::pow(a_.beta2, double(a_.step));
    adamw_slice(p, g, m, v, T(a_.beta1), T(a_.beta2), T(a_.lr), T(a_.eps), T(a_.weight_decay),
                T(1 / bc1), T(1 / bc2), n);
  }

  uint32_t kind_;
  int64_t n_ = 0;
  cc_adamw_params a_{};
  int threads_;
  Isa isa_;
};

}  // namespace

void vexp(Isa isa, float* x, int64_t n) {
  if (isa >= Isa::kAvx512) return apply512(_ZGVeN16v_expf, x, n);
  if (isa == Isa::kAvx2) return apply256(_ZGVdN8v_expf, x, n);
  for (int64_t i = 0; i < n; ++i) x[i] = std::exp(x[i]);
}

void verfc(Isa isa, float* x, int64_t n) {
  if (isa >= Isa::kAvx512) return apply512(_ZGVeN16v_erfcf, x, n);
  if (isa == Isa::kAvx2) return apply256(_ZGVdN8v_erfcf, x, n);
  for (int64_t i = 0; i < n; ++i) x[i] = std::erfc(x[i]);
}

void vexp(Isa, double* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = std::exp(x[i]);
}

void verfc(Isa, double* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = std::erfc(x[i]);
}

std::unique_ptr<Kernel> make_eltwise_kernel(Device& dev, const cc_op_desc& op) {
  static constexpr const char* kNames[] = {"GELU", "ADD", "MUL", "GELU_BACKWARD"};
  const char* name = op.kind == CC_OP_ADAMW ? "ADAMW" : kNames[op.kind - CC_OP_GELU];
  require_float_pair(op, name);
  if (op.dtype == CC_DTYPE_F32)
    return std::make_unique<EltwiseKernel<float>>(op, dev.threads(), cpu_isa());
  return std::make_unique<EltwiseKernel<double>>(op, dev.threads(), cpu_isa());
}

}  // namespace chipcert::cpu
