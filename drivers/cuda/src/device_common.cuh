// Device helpers shared by the kernels_*.cu files: element loads that widen
// fp16/bf16 to fp32 (without cuda_fp16.h/cuda_bf16.h, which would double the
// compile time of every .cu file), type dispatch, warp and block reductions.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "kernels.hpp"

namespace chipcert::cuda {

/// Storage types of 16-bit floats: raw bits, widened on load.
struct F16 {
  uint16_t bits;
};
struct BF16 {
  uint16_t bits;
};

__device__ __forceinline__ float widen(F16 h) {
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h.bits));
  return f;
}
__device__ __forceinline__ float widen(BF16 h) {
  return __uint_as_float(static_cast<uint32_t>(h.bits) << 16);
}
__device__ __forceinline__ float widen(float f) {
  return f;
}
__device__ __forceinline__ double widen(double d) {
  return d;
}
__device__ __forceinline__ int32_t widen(int8_t v) {
  return v;
}

/// Input type T and accumulation type A of a Prec.
template <Prec P>
struct Types;
template <>
struct Types<Prec::f32> {
  using In = float;
  using Acc = float;
};
template <>
struct Types<Prec::f16> {
  using In = F16;
  using Acc = float;
};
template <>
struct Types<Prec::bf16> {
  using In = BF16;
  using Acc = float;
};
template <>
struct Types<Prec::f64> {
  using In = double;
  using Acc = double;
};

template <>
struct Types<Prec::i8> {
  using In = int8_t;
  using Acc = int32_t;
};

/// Calls f(Types<P>{}) for the runtime floating-point precision `p` (i8 is
/// dispatched only by the ops that take it).
template <typename F>
cudaError_t dispatch(Prec p, F&& f) {
  switch (p) {
    case Prec::f16:
      return f(Types<Prec::f16>{});
    case Prec::bf16:
      return f(Types<Prec::bf16>{});
    case Prec::f64:
      return f(Types<Prec::f64>{});
    default:
      return f(Types<Prec::f32>{});
  }
}

/// Calls f(Types<f64 or f32>{}) for ops whose every buffer is acc_dtype.
template <typename F>
cudaError_t dispatch_acc(bool f64, F&& f) {
  return f64 ? f(Types<Prec::f64>{}) : f(Types<Prec::f32>{});
}

template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
template <typename T>
__device__ __forceinline__ T warp_max(T v) {
  for (int o = 16; o > 0; o >>= 1) v = max(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

/// Sum over the block (blockDim.x a multiple of 32, at most 1024); every
/// thread gets the result. `shared` holds 32 values. The order is fixed, so
/// results are deterministic.
template <typename T>
__device__ T block_sum(T v, T* shared) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_sum(v);
  __syncthreads();  // `shared` may still be read by a previous reduction
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  v = lane < warps ? shared[lane] : T(0);
  return warp_sum(v);
}
template <typename T>
__device__ T block_max(T v, T* shared) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_max(v);
  __syncthreads();
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  v = lane < warps ? shared[lane] : shared[0];
  return warp_max(v);
}

/// Math by overload on float/double, so templates never promote fp32 to fp64.
__device__ __forceinline__ float fma_(float a, float b, float c) {
  return fmaf(a, b, c);
}
__device__ __forceinline__ double fma_(double a, double b, double c) {
  return fma(a, b, c);
}
__device__ __forceinline__ float exp_(float x) {
  return expf(x);
}
__device__ __forceinline__ double exp_(double x) {
  return exp(x);
}
__device__ __forceinline__ float log_(float x) {
  return logf(x);
}
__device__ __forceinline__ double log_(double x) {
  return log(x);
}
__device__ __forceinline__ float sqrt_(float x) {
  return sqrtf(x);
}
__device__ __forceinline__ double sqrt_(double x) {
  return sqrt(x);
}

/// -infinity without <limits> in device code.
template <typename T>
__device__ __forceinline__ T neg_inf() {
  return -T(INFINITY);
}

/// Grid-stride loop bounds: for (i = first(); i < n; i += step()).
__device__ __forceinline__ int64_t grid_first() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t grid_step() {
  return static_cast<int64_t>(gridDim.x) * blockDim.x;
}

/// Blocks for `n` elements at `per_block` each, at most `cap`, at least 1.
inline unsigned blocks_for(int64_t n, int64_t per_block, unsigned cap) {
  const int64_t b = (n + per_block - 1) / per_block;
  return b < 1 ? 1u : (b > cap ? cap : static_cast<unsigned>(b));
}

}  // namespace chipcert::cuda
