// STREAM kernels (copy, mul, add, triad, dot) for f32 and f64.
//
// Each OpenMP thread takes one contiguous, cache-line aligned slice (a static
// schedule, like the page partition Device::alloc first-touches with) and
// runs a plain loop on it. Arguments must not overlap (they are __restrict),
// except dot's two read-only inputs. The per-slice loops are cloned for AVX-512, AVX2 and baseline
// x86-64 and picked at load time, so one binary runs everywhere and still
// uses wide vectors: the build itself targets baseline x86-64.
#include <omp.h>

#include <algorithm>
#include <string>

#include "cpu_internal.hpp"

namespace chipcert::cpu {
namespace {

#define CC_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

// One set of slice loops per element type. Macros, because GCC cannot
// multiversion templates.
#define CC_STREAM_LOOPS(T)                                                                       \
  CC_CLONES void copy_slice(const T* __restrict a, T* __restrict c, int64_t n) {                 \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) c[i] = a[i];                             \
  }                                                                                              \
  CC_CLONES void mul_slice(const T* __restrict c, T* __restrict b, T s, int64_t n) {             \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) b[i] = s * c[i];                         \
  }                                                                                              \
  CC_CLONES void add_slice(const T* __restrict a, const T* __restrict b, T* __restrict c,        \
                           int64_t n) {                                                          \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) c[i] = a[i] + b[i];                      \
  }                                                                                              \
  CC_CLONES void triad_slice(const T* __restrict b, const T* __restrict c, T* __restrict a, T s, \
                             int64_t n) {                                                        \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];                  \
  }                                                                                              \
  CC_CLONES T dot_slice(const T* __restrict a, const T* __restrict b, int64_t n) {               \
    T sum = 0;                                                                                   \
    _Pragma("omp simd reduction(+ : sum)") for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];   \
    return sum;                                                                                  \
  }

CC_STREAM_LOOPS(float)
CC_STREAM_LOOPS(double)

#undef CC_STREAM_LOOPS
#undef CC_CLONES

template <class T>
class StreamKernel final : public Kernel {
 public:
  StreamKernel(uint32_t kind, int64_t n, double scalar, int threads)
      : kind_(kind), n_(n), scalar_(static_cast<T>(scalar)), threads_(threads) {
    info_ =
        "chipcert OpenMP loop, one contiguous slice per core, omp simd (target_clones "
        "avx512/avx2/baseline)";
    const uint64_t bytes = checked_bytes(uint64_t(n), sizeof(T));
    switch (kind) {
      case CC_OP_STREAM_COPY:
        args_ = {{"a", bytes}, {"c", bytes}};
        break;
      case CC_OP_STREAM_MUL:
        args_ = {{"c", bytes}, {"b", bytes}};
        break;
      case CC_OP_STREAM_ADD:
        args_ = {{"a", bytes}, {"b", bytes}, {"c", bytes}};
        break;
      case CC_OP_STREAM_TRIAD:
        args_ = {{"b", bytes}, {"c", bytes}, {"a", bytes}};
        break;
      default:
        args_ = {{"a", bytes}, {"b", bytes}, {"s", sizeof(T)}};
        break;  // dot
    }
  }

  void run(void* const* data) override {
    const auto arg = [data](int i) { return static_cast<T*>(data[i]); };
    if (kind_ == CC_OP_STREAM_DOT) {
      std::fill(partial_.begin(), partial_.end(), Partial{0});  // in case the team is smaller
      const T* a = arg(0);
      const T* b = arg(1);
      for_each_slice([&](int t, int64_t lo, int64_t hi) {
        partial_[size_t(t)].sum = dot_slice(a + lo, b + lo, hi - lo);
      });
      T total = 0;
      for (const Partial& p : partial_) total += p.sum;
      *arg(2) = total;
      return;
    }
    for_each_slice([&](int, int64_t lo, int64_t hi) {
      const int64_t len = hi - lo;
      switch (kind_) {
        case CC_OP_STREAM_COPY:
          copy_slice(arg(0) + lo, arg(1) + lo, len);
          break;
        case CC_OP_STREAM_MUL:
          mul_slice(arg(0) + lo, arg(1) + lo, scalar_, len);
          break;
        case CC_OP_STREAM_ADD:
          add_slice(arg(0) + lo, arg(1) + lo, arg(2) + lo, len);
          break;
        default:
          triad_slice(arg(0) + lo, arg(1) + lo, arg(2) + lo, scalar_, len);
          break;
      }
    });
  }

 private:
  /// Calls f(thread, lo, hi) on each thread's static slice of [0, n).
  template <class F>
  void for_each_slice(F&& f) {
    constexpr int64_t kLine = 64 / sizeof(T);  // slice bounds on cache lines
    const int64_t n = n_;
#pragma omp parallel num_threads(threads_)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      const int64_t lines = (n + kLine - 1) / kLine;
      const int64_t per = lines / nt, extra = lines % nt;
      const int64_t first = t * per + std::min<int64_t>(t, extra);
      const int64_t lo = std::min(n, first * kLine);
      const int64_t hi = std::min(n, (first + per + (t < extra ? 1 : 0)) * kLine);
      f(t, lo, hi);
    }
  }

  // One padded partial per thread, summed in thread order: the dot result is
  // reproducible run to run (no atomics, no reduction-order races).
  struct alignas(64) Partial {
    T sum;
  };

  uint32_t kind_;
  int64_t n_;
  T scalar_;
  int threads_;
  std::vector<Partial> partial_ = std::vector<Partial>(size_t(threads_), Partial{0});
};

}  // namespace

std::unique_ptr<Kernel> make_stream_kernel(Device& dev, const cc_op_desc& op) {
  const cc_stream_params& p = op.u.stream;
  if (op.dtype != CC_DTYPE_F32 && op.dtype != CC_DTYPE_F64)
    throw Error(CC_ERR_UNSUPPORTED,
                std::string("STREAM ops support f32 and f64, not ") + dtype_name(op.dtype));
  if (op.acc_dtype != op.dtype)
    throw Error(CC_ERR_UNSUPPORTED, std::string("STREAM ops need acc_dtype == dtype (") +
                                        dtype_name(op.dtype) + "), got " +
                                        dtype_name(op.acc_dtype));
  if (p.n < 0)
    throw Error(CC_ERR_INVALID_ARGUMENT, "STREAM n must be >= 0, got " + std::to_string(p.n));
  if (op.dtype == CC_DTYPE_F32)
    return std::make_unique<StreamKernel<float>>(op.kind, p.n, p.scalar, dev.threads());
  return std::make_unique<StreamKernel<double>>(op.kind, p.n, p.scalar, dev.threads());
}

}  // namespace chipcert::cpu
