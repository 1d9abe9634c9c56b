// bf16 and fp16 inputs of the row-wise and element-wise forward ops (GELU,
// ADD, MUL, LAYERNORM, SOFTMAX with acc_dtype f32): the inputs are widened to
// f32 in a staging pass, then the f32 kernel runs unchanged.
//
// This CPU has no fp16 arithmetic and its bf16 instructions are dot products,
// so the math is f32 either way; what a 2-byte input changes is the bytes
// read. The staging pass reads 2 bytes and writes 4 per element before the
// f32 kernel reads those 4 again, so these cases cost more memory traffic
// than a fused load would (the kernel_info says so); they exist so that every
// dtype the suites ask for runs and verifies on the CPU device rather than
// being reported Unsupported.
#include <immintrin.h>
#include <omp.h>

#include <cstring>
#include <string>

#include "cpu_internal.hpp"

namespace chipcert::cpu {
namespace {

/// IEEE binary16 -> binary32, exact (subnormals, infinities and NaN kept).
float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
  uint32_t bits = 0;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (man << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  } else if (man != 0) {  // subnormal: normalise
    int e = -1;
    uint32_t m = man;
    do ++e, m <<= 1;
    while ((m & 0x400u) == 0);
    bits = sign | (uint32_t(112 - e) << 23) | ((m & 0x3ffu) << 13);
  } else {
    bits = sign;
  }
  float f = 0;
  std::memcpy(&f, &bits, 4);
  return f;
}

__attribute__((target("avx512f"))) void half_to_float_avx512(const uint16_t* s, float* d,
                                                             int64_t n) {
  int64_t i = 0;
  // maskz: the unmasked intrinsic trips GCC 12's -Wmaybe-uninitialized.
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(
        d + i, _mm512_maskz_cvtph_ps(__mmask16(0xffff),
                                     _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i))));
  for (; i < n; ++i) d[i] = half_to_float(s[i]);
}

__attribute__((target("avx2,f16c"))) void half_to_float_avx2(const uint16_t* s, float* d,
                                                             int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(d + i,
                     _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i))));
  for (; i < n; ++i) d[i] = half_to_float(s[i]);
}

void bf16_to_float(const uint16_t* s, float* d, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t u = uint32_t(s[i]) << 16;  // bf16 is the top half of an f32
    std::memcpy(&d[i], &u, 4);
  }
}

class WidenKernel final : public Kernel {
 public:
  WidenKernel(std::unique_ptr<Kernel> inner, uint32_t dtype, std::initializer_list<int> inputs,
              int threads)
      : inner_(std::move(inner)), f16_(dtype == CC_DTYPE_F16), threads_(threads), isa_(cpu_isa()) {
    args_ = inner_->args();
    for (int i : inputs) {
      const uint64_t n = args_[size_t(i)].bytes / 4;
      args_[size_t(i)].bytes = n * 2;
      staged_.push_back({i, std::vector<float>(n)});
    }
    info_ = inner_->info() + "; " + dtype_name(dtype) +
            " inputs widened to f32 in a staging pass first (extra memory traffic)";
  }

  void run(void* const* data) override {
    void* ptrs[kMaxArgs] = {};
    for (size_t i = 0; i < args_.size(); ++i) ptrs[i] = data[i];
    for (auto& [index, buf] : staged_) {
      const auto* src = static_cast<const uint16_t*>(data[index]);
      float* dst = buf.data();
      const int64_t n = int64_t(buf.size());
#pragma omp parallel num_threads(threads_)
      {
        const Range r = thread_range(n, omp_get_thread_num(), omp_get_num_threads(), 16);
        const int64_t len = r.hi - r.lo;
        if (len > 0) {
          if (!f16_)
            bf16_to_float(src + r.lo, dst + r.lo, len);
          else if (isa_ >= Isa::kAvx512)
            half_to_float_avx512(src + r.lo, dst + r.lo, len);
          else if (isa_ == Isa::kAvx2)
            half_to_float_avx2(src + r.lo, dst + r.lo, len);
          else
            for (int64_t i = r.lo; i < r.hi; ++i) dst[i] = half_to_float(src[i]);
        }
      }
      ptrs[index] = dst;
    }
    inner_->run(ptrs);
  }

 private:
  std::unique_ptr<Kernel> inner_;
  bool f16_;
  int threads_;
  Isa isa_;
  std::vector<std::pair<int, std::vector<float>>> staged_;
};

}  // namespace

std::unique_ptr<Kernel> make_widened_kernel(Device& dev, const cc_op_desc& op) {
  cc_op_desc f32 = op;
  f32.dtype = CC_DTYPE_F32;
  switch (op.kind) {
    case CC_OP_GELU:
      return std::make_unique<WidenKernel>(make_eltwise_kernel(dev, f32), op.dtype,
                                           std::initializer_list<int>{0}, dev.threads());
    case CC_OP_ADD:
    case CC_OP_MUL:
      return std::make_unique<WidenKernel>(make_eltwise_kernel(dev, f32), op.dtype,
                                           std::initializer_list<int>{0, 1}, dev.threads());
    case CC_OP_LAYERNORM:
      return std::make_unique<WidenKernel>(make_rows_kernel(dev, f32), op.dtype,
                                           std::initializer_list<int>{0, 1, 2}, dev.threads());
    default:  // CC_OP_SOFTMAX
      return std::make_unique<WidenKernel>(make_rows_kernel(dev, f32), op.dtype,
                                           std::initializer_list<int>{0}, dev.threads());
  }
}

bool is_widened_op(const cc_op_desc& op) {
  const bool forward = op.kind == CC_OP_GELU || op.kind == CC_OP_ADD || op.kind == CC_OP_MUL ||
                       op.kind == CC_OP_LAYERNORM || op.kind == CC_OP_SOFTMAX;
  return forward && (op.dtype == CC_DTYPE_BF16 || op.dtype == CC_DTYPE_F16) &&
         op.acc_dtype == CC_DTYPE_F32;
}

}  // namespace chipcert::cpu
