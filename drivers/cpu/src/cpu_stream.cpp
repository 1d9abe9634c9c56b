// STREAM kernels (copy, mul, add, triad, dot) for f32 and f64.
//
// Each OpenMP thread takes one contiguous, cache-line aligned slice (a static
// schedule, like the page partition Device::alloc first-touches with) and
// runs a plain loop on it. Arguments must not overlap (they are __restrict),
// except dot's two read-only inputs. The per-slice loops are cloned for AVX-512, AVX2 and baseline
// x86-64 and picked at load time, so one binary runs everywhere and still
// uses wide vectors: the build itself targets baseline x86-64.
//
// Arrays of 32 MiB and more are written with non-temporal stores: a plain
// store first reads the cache line it overwrites, so a triad moves 32 bytes
// per element on the bus while STREAM counts 24.
#include <immintrin.h>
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

// The same four loops with non-temporal stores, one set per ISA and element
// type; out must be aligned to the vector and n a whole number of vectors.
// Loads and arithmetic stay in registers: staging a chunk in an L1 buffer and
// streaming it out measured 40 GB/s against 64 for these (triad f64 2^25).
#define CC_NT_LOOPS(ISA, TARGET, T, V, P, S)                                                    \
  __attribute__((target(TARGET))) void copy_nt(ISA, const T* a, T* c, int64_t n) {              \
    for (int64_t i = 0; i < n; i += int64_t(sizeof(V) / sizeof(T)))                             \
      P##_stream_##S(c + i, P##_loadu_##S(a + i));                                              \
  }                                                                                             \
  __attribute__((target(TARGET))) void mul_nt(ISA, const T* c, T* b, T s, int64_t n) {          \
    const V vs = P##_set1_##S(s);                                                               \
    for (int64_t i = 0; i < n; i += int64_t(sizeof(V) / sizeof(T)))                             \
      P##_stream_##S(b + i, P##_mul_##S(vs, P##_loadu_##S(c + i)));                             \
  }                                                                                             \
  __attribute__((target(TARGET))) void add_nt(ISA, const T* a, const T* b, T* c, int64_t n) {   \
    for (int64_t i = 0; i < n; i += int64_t(sizeof(V) / sizeof(T)))                             \
      P##_stream_##S(c + i, P##_add_##S(P##_loadu_##S(a + i), P##_loadu_##S(b + i)));           \
  }                                                                                             \
  __attribute__((target(TARGET))) void triad_nt(ISA, const T* b, const T* c, T* a, T s,         \
                                                int64_t n) {                                    \
    const V vs = P##_set1_##S(s);                                                               \
    for (int64_t i = 0; i < n; i += int64_t(sizeof(V) / sizeof(T)))                             \
      P##_stream_##S(a + i,                                                                     \
                     P##_add_##S(P##_loadu_##S(b + i), P##_mul_##S(vs, P##_loadu_##S(c + i)))); \
  }

struct Avx512 {
  static constexpr const char* name = "avx512";
  static constexpr int64_t bytes = 64;
};
struct Avx {
  static constexpr const char* name = "avx";
  static constexpr int64_t bytes = 32;
};

CC_NT_LOOPS(Avx512, "avx512f", float, __m512, _mm512, ps)
CC_NT_LOOPS(Avx512, "avx512f", double, __m512d, _mm512, pd)
CC_NT_LOOPS(Avx, "avx", float, __m256, _mm256, ps)
CC_NT_LOOPS(Avx, "avx", double, __m256d, _mm256, pd)

#undef CC_NT_LOOPS

enum class NtIsa { none, avx, avx512 };

NtIsa pick_nt_isa() {
  if (__builtin_cpu_supports("avx512f")) return NtIsa::avx512;
  if (__builtin_cpu_supports("avx")) return NtIsa::avx;
  return NtIsa::none;  // plain stores: SSE2 streaming stores were not measured
}

constexpr uint64_t kNonTemporalMinBytes = uint64_t(32) << 20;  // per array

template <class T>
class StreamKernel final : public Kernel {
 public:
  StreamKernel(uint32_t kind, int64_t n, double scalar, int threads)
      : kind_(kind), n_(n), scalar_(static_cast<T>(scalar)), threads_(threads) {
    info_ =
        "chipcert OpenMP loop, one contiguous slice per core, omp simd (target_clones "
        "avx512/avx2/baseline)";
    const uint64_t bytes = checked_bytes(uint64_t(n), sizeof(T));
    if (kind != CC_OP_STREAM_DOT && bytes >= kNonTemporalMinBytes) {
      nt_ = pick_nt_isa();
      if (nt_ != NtIsa::none)
        info_ += std::string(", non-temporal stores (") +
                 (nt_ == NtIsa::avx512 ? Avx512::name : Avx::name) + ", arrays >= 32 MiB)";
    }
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
    // Outputs: c of copy, b of mul, c of add, a of triad; the rest are inputs.
    const bool one_input = kind_ == CC_OP_STREAM_COPY || kind_ == CC_OP_STREAM_MUL;
    const T* x = arg(0);
    const T* y = one_input ? nullptr : arg(1);
    T* out = arg(one_input ? 1 : 2);
    for_each_slice([&](int, int64_t lo, int64_t hi) {
      if (nt_ == NtIsa::avx512) {
        nt_slice<Avx512>(x, y, out, lo, hi);
      } else if (nt_ == NtIsa::avx) {
        nt_slice<Avx>(x, y, out, lo, hi);
      } else {
        compute(x + lo, y ? y + lo : nullptr, out + lo, hi - lo);
      }
    });
  }

 private:
  /// out[0, len) = op(x, y) with the plain (cache-allocating) loops.
  void compute(const T* x, const T* y, T* out, int64_t len) const {
    switch (kind_) {
      case CC_OP_STREAM_COPY:
        copy_slice(x, out, len);
        break;
      case CC_OP_STREAM_MUL:
        mul_slice(x, out, scalar_, len);
        break;
      case CC_OP_STREAM_ADD:
        add_slice(x, y, out, len);
        break;
      default:
        triad_slice(x, y, out, scalar_, len);
        break;
    }
  }

  /// Elements [lo, hi) with non-temporal stores: plain up to the output's
  /// first 64-byte boundary, whole vectors streamed, the ragged tail plain.
  template <class Isa>
  void nt_slice(const T* x, const T* y, T* out, int64_t lo, int64_t hi) const {
    constexpr int64_t kVec = Isa::bytes / int64_t(sizeof(T));
    const auto at = [](const T* p, int64_t i) { return p ? p + i : nullptr; };
    const auto misalign = reinterpret_cast<uintptr_t>(out + lo) % 64;
    if (misalign % sizeof(T) != 0)  // cannot reach a line boundary (not our buffers)
      return compute(at(x, lo), at(y, lo), out + lo, hi - lo);
    const int64_t begin = std::min(hi, lo + int64_t((64 - misalign) % 64 / sizeof(T)));
    const int64_t end = begin + (hi - begin) / kVec * kVec;
    compute(at(x, lo), at(y, lo), out + lo, begin - lo);
    const int64_t len = end - begin;
    switch (kind_) {
      case CC_OP_STREAM_COPY:
        copy_nt(Isa{}, x + begin, out + begin, len);
        break;
      case CC_OP_STREAM_MUL:
        mul_nt(Isa{}, x + begin, out + begin, scalar_, len);
        break;
      case CC_OP_STREAM_ADD:
        add_nt(Isa{}, x + begin, y + begin, out + begin, len);
        break;
      default:
        triad_nt(Isa{}, x + begin, y + begin, out + begin, scalar_, len);
        break;
    }
    compute(at(x, end), at(y, end), out + end, hi - end);
    _mm_sfence();  // the streamed lines are globally visible before the team's barrier
  }

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
  NtIsa nt_ = NtIsa::none;
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
