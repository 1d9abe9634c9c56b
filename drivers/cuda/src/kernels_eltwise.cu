// Memory-bound and element-wise kernels: NOOP, STREAM, PEAK, ADD, MUL,
// GELU (+backward), AdamW, and two GEMM helpers (C = beta*C, int8 staging).
// Grid-stride loops: the grid is sized for the device (Grid), not for n.
#include "device_common.cuh"

namespace chipcert::cuda {
namespace {

__global__ void noop_kernel() {}

// ---- STREAM ---------------------------------------------------------------------

// 16-byte vectors: one load instruction per 16 bytes keeps the memory system
// saturated with fewer instructions (cudaMalloc gives 256-byte alignment).
__device__ __forceinline__ float4 vop(float4 a, float4 b, float s, uint32_t kind) {
  switch (kind) {
    case CC_OP_STREAM_MUL:
      return make_float4(s * a.x, s * a.y, s * a.z, s * a.w);
    case CC_OP_STREAM_ADD:
      return make_float4(a.x + b.x, a.y + b.y, a.z + b.z, a.w + b.w);
    case CC_OP_STREAM_TRIAD:
      return make_float4(a.x + s * b.x, a.y + s * b.y, a.z + s * b.z, a.w + s * b.w);
    default:
      return a;
  }
}
__device__ __forceinline__ double2 vop(double2 a, double2 b, double s, uint32_t kind) {
  switch (kind) {
    case CC_OP_STREAM_MUL:
      return make_double2(s * a.x, s * a.y);
    case CC_OP_STREAM_ADD:
      return make_double2(a.x + b.x, a.y + b.y);
    case CC_OP_STREAM_TRIAD:
      return make_double2(a.x + s * b.x, a.y + s * b.y);
    default:
      return a;
  }
}
template <typename T>
__device__ __forceinline__ T sop(T a, T b, T s, uint32_t kind) {
  switch (kind) {
    case CC_OP_STREAM_MUL:
      return s * a;
    case CC_OP_STREAM_ADD:
      return a + b;
    case CC_OP_STREAM_TRIAD:
      return a + s * b;
    default:
      return a;
  }
}

template <typename T, typename V, uint32_t Kind>
__global__ void stream_kernel(int64_t n, T s, const T* __restrict__ x0, const T* __restrict__ x1,
                              T* __restrict__ out) {
  constexpr int W = sizeof(V) / sizeof(T);
  constexpr bool two = Kind == CC_OP_STREAM_ADD || Kind == CC_OP_STREAM_TRIAD;
  const int64_t nv = n / W;
  const V* v0 = reinterpret_cast<const V*>(x0);
  const V* v1 = reinterpret_cast<const V*>(x1);
  V* vo = reinterpret_cast<V*>(out);
  for (int64_t i = grid_first(); i < nv; i += grid_step())
    vo[i] = vop(v0[i], two ? v1[i] : v0[i], s, Kind);
  for (int64_t i = nv * W + grid_first(); i < n; i += grid_step())
    out[i] = sop(x0[i], two ? x1[i] : x0[i], s, Kind);
}

template <typename T>
__global__ void dot_partial(int64_t n, const T* __restrict__ a, const T* __restrict__ b,
                            T* __restrict__ partial) {
  __shared__ T shared[32];
  T sum = 0;
  for (int64_t i = grid_first(); i < n; i += grid_step()) sum += a[i] * b[i];
  sum = block_sum(sum, shared);
  if (threadIdx.x == 0) partial[blockIdx.x] = sum;
}

template <typename T>
__global__ void dot_final(unsigned count, const T* __restrict__ partial, T* __restrict__ s) {
  __shared__ T shared[32];
  T sum = 0;
  for (unsigned i = threadIdx.x; i < count; i += blockDim.x) sum += partial[i];
  sum = block_sum(sum, shared);
  if (threadIdx.x == 0) s[0] = sum;
}

// ---- PEAK -----------------------------------------------------------------------

// Each thread runs Chains independent recurrences (elements blockDim.x
// apart, so loads and stores stay coalesced). 8 chains cover the FMA latency
// with few warps per SM, but need 8 elements per thread: a small n (quick's
// 65536 elements gave 12 of an H200's 67 fp32 TFLOP/s with 8) runs with
// fewer chains and more threads, so that it still fills every SM.
template <int Kind, typename T, int Chains>
__global__ void peak_kernel(int64_t n, int64_t iterations, T a, T b, const T* __restrict__ x,
                            T* __restrict__ y) {
  const int64_t span = static_cast<int64_t>(blockDim.x) * Chains;
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * span + threadIdx.x; base < n;
       base += static_cast<int64_t>(gridDim.x) * span) {
    T acc[Chains];
#pragma unroll
    for (int c = 0; c < Chains; ++c) {
      const int64_t i = base + c * static_cast<int64_t>(blockDim.x);
      acc[c] = i < n ? x[i] : T(0);
    }
    if constexpr (Kind == 3) {
      // int8: dp4a does four iterations acc += a*b at once; the remainder
      // runs one at a time. Unsigned arithmetic wraps like dp4a does.
      const int a4 = static_cast<int>((static_cast<uint32_t>(a) & 0xffu) * 0x01010101u);
      const int b4 = static_cast<int>((static_cast<uint32_t>(b) & 0xffu) * 0x01010101u);
      const int64_t quads = iterations / 4;
#pragma unroll 4
      for (int64_t it = 0; it < quads; ++it) {
#pragma unroll
        for (int c = 0; c < Chains; ++c) acc[c] = __dp4a(a4, b4, acc[c]);
      }
      for (int64_t it = quads * 4; it < iterations; ++it) {
#pragma unroll
        for (int c = 0; c < Chains; ++c)
          acc[c] = static_cast<T>(static_cast<uint32_t>(acc[c]) + static_cast<uint32_t>(a * b));
      }
    } else {
#pragma unroll 8
      for (int64_t it = 0; it < iterations; ++it) {
#pragma unroll
        for (int c = 0; c < Chains; ++c) {
          if constexpr (Kind == 2)
            acc[c] = fma_(a, b, acc[c]);  // fp16/bf16: acc + a*b (a*b exact in fp32)
          else
            acc[c] = fma_(acc[c], a, b);  // fp64/fp32/tf32: fma(acc, alpha, beta)
        }
      }
    }
#pragma unroll
    for (int c = 0; c < Chains; ++c) {
      const int64_t i = base + c * static_cast<int64_t>(blockDim.x);
      if (i < n) y[i] = acc[c];
    }
  }
}

template <int Kind, typename T, int Chains>
cudaError_t peak_with(int64_t n, int64_t iterations, T a, T b, const void* x, void* y,
                      cudaStream_t stream) {
  constexpr unsigned kThreads = 256;
  const unsigned blocks = blocks_for(n, int64_t{kThreads} * Chains, 1u << 20);
  peak_kernel<Kind, T, Chains><<<blocks, kThreads, 0, stream>>>(
      n, iterations, a, b, static_cast<const T*>(x), static_cast<T*>(y));
  return cudaGetLastError();
}

/// The most chains per thread (8, 4, 2 or 1) that still leave a full wave
/// of threads (`grid`: every SM at its thread limit) for n elements.
template <int Kind, typename T>
cudaError_t peak(int64_t n, int64_t iterations, T a, T b, const void* x, void* y, Grid grid,
                 cudaStream_t stream) {
  switch (peak_chains(n, grid)) {
    case 8:
      return peak_with<Kind, T, 8>(n, iterations, a, b, x, y, stream);
    case 4:
      return peak_with<Kind, T, 4>(n, iterations, a, b, x, y, stream);
    case 2:
      return peak_with<Kind, T, 2>(n, iterations, a, b, x, y, stream);
    default:
      return peak_with<Kind, T, 1>(n, iterations, a, b, x, y, stream);
  }
}

// ---- element-wise -----------------------------------------------------------------

template <typename In, typename Acc>
__global__ void binary_kernel(bool mul, int64_t n, const In* __restrict__ a,
                              const In* __restrict__ b, Acc* __restrict__ y) {
  for (int64_t i = grid_first(); i < n; i += grid_step()) {
    const Acc x0 = widen(a[i]), x1 = widen(b[i]);
    y[i] = mul ? x0 * x1 : x0 + x1;
  }
}

__device__ __forceinline__ float phi_cdf(float x) {
  return normcdff(x);
}
__device__ __forceinline__ double phi_cdf(double x) {
  return normcdf(x);
}

template <typename In, typename Acc>
__global__ void gelu_kernel(int64_t n, const In* __restrict__ x, Acc* __restrict__ y) {
  for (int64_t i = grid_first(); i < n; i += grid_step()) {
    const Acc v = widen(x[i]);
    y[i] = v * phi_cdf(v);
  }
}

template <typename T>
__global__ void gelu_backward_kernel(int64_t n, const T* __restrict__ x, const T* __restrict__ dy,
                                     T* __restrict__ dx) {
  const T inv_sqrt_2pi = T(0.39894228040143267794);
  for (int64_t i = grid_first(); i < n; i += grid_step()) {
    const T v = x[i];
    dx[i] = dy[i] * (phi_cdf(v) + v * inv_sqrt_2pi * exp_(T(-0.5) * v * v));
  }
}

template <typename T>
__global__ void adamw_kernel(int64_t n, T lr, T beta1, T beta2, T eps, T wd, T bc1, T bc2,
                             T* __restrict__ p, const T* __restrict__ g, T* __restrict__ m,
                             T* __restrict__ v) {
  for (int64_t i = grid_first(); i < n; i += grid_step()) {
    const T gi = g[i];
    const T mi = beta1 * m[i] + (T(1) - beta1) * gi;
    const T vi = beta2 * v[i] + (T(1) - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const T pi = p[i];
    p[i] = pi - lr * ((mi / bc1) / (sqrt_(vi / bc2) + eps) + wd * pi);
  }
}

// ---- GEMM helpers -----------------------------------------------------------------

template <typename T>
__global__ void scale_matrix_kernel(int64_t rows, int64_t cols, int64_t ld, int64_t batch,
                                    int64_t stride, double beta, T* __restrict__ c) {
  const int64_t total = batch * rows * cols;
  for (int64_t e = grid_first(); e < total; e += grid_step()) {
    const int64_t j = e % cols, i = (e / cols) % rows, b = e / (cols * rows);
    T& x = c[b * stride + i * ld + j];
    if (beta == 0) {
      x = T(0);  // BLAS: beta == 0 never reads C, so NaNs in it do not survive
    } else if constexpr (std::is_integral_v<T>) {  // int32: beta is an integer
      x = static_cast<T>(static_cast<uint32_t>(x) *
                         static_cast<uint32_t>(static_cast<int64_t>(beta)));
    } else {
      x = static_cast<T>(beta * x);
    }
  }
}

// Source contiguous along k (col_stride == 1): a strided copy with padding.
__global__ void stage_copy_kernel(StageArgs a, const int8_t* __restrict__ in,
                                  int8_t* __restrict__ out) {
  const int64_t total = a.batch * a.rows * a.ld_out;
  for (int64_t e = grid_first(); e < total; e += grid_step()) {
    const int64_t p = e % a.ld_out, j = (e / a.ld_out) % a.rows, b = e / (a.ld_out * a.rows);
    out[e] = p < a.k ? in[b * a.stride_in + j * a.row_stride + p] : int8_t(0);
  }
}

// Otherwise a 32x32 tiled transpose through shared memory, so that both the
// reads (along j) and the writes (along p) are coalesced.
__global__ void stage_transpose_kernel(StageArgs a, const int8_t* __restrict__ in,
                                       int8_t* __restrict__ out) {
  __shared__ int8_t tile[32][33];
  for (int64_t b = blockIdx.z; b < a.batch; b += gridDim.z) {
    const int8_t* src = in + b * a.stride_in;
    int8_t* dst = out + b * a.rows * a.ld_out;
    for (int64_t j0 = int64_t{blockIdx.y} * 32; j0 < a.rows; j0 += int64_t{gridDim.y} * 32) {
      const int64_t p0 = int64_t{blockIdx.x} * 32;
      for (int yy = threadIdx.y; yy < 32; yy += blockDim.y) {
        const int64_t p = p0 + yy, j = j0 + threadIdx.x;
        tile[yy][threadIdx.x] =
            (p < a.k && j < a.rows) ? src[j * a.row_stride + p * a.col_stride] : int8_t(0);
      }
      __syncthreads();
      for (int yy = threadIdx.y; yy < 32; yy += blockDim.y) {
        const int64_t j = j0 + yy, p = p0 + threadIdx.x;
        if (j < a.rows && p < a.ld_out) dst[j * a.ld_out + p] = tile[threadIdx.x][yy];
      }
      __syncthreads();
    }
  }
}

}  // namespace

cudaError_t launch_noop(cudaStream_t stream) {
  noop_kernel<<<1, 1, 0, stream>>>();
  return cudaGetLastError();
}

cudaError_t launch_stream(uint32_t kind, bool f64, int64_t n, double scalar, const void* arg0,
                          const void* arg1, void* out, Grid grid, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  const auto go = [&](auto zero, auto vec) {
    using T = decltype(zero);
    using V = decltype(vec);
    const T s = static_cast<T>(scalar);
    const T* a = static_cast<const T*>(arg0);
    const T* b = static_cast<const T*>(arg1);
    T* o = static_cast<T*>(out);
    const dim3 g(grid.blocks), t(grid.threads);
    switch (kind) {
      case CC_OP_STREAM_MUL:
        stream_kernel<T, V, CC_OP_STREAM_MUL><<<g, t, 0, stream>>>(n, s, a, b, o);
        break;
      case CC_OP_STREAM_ADD:
        stream_kernel<T, V, CC_OP_STREAM_ADD><<<g, t, 0, stream>>>(n, s, a, b, o);
        break;
      case CC_OP_STREAM_TRIAD:
        stream_kernel<T, V, CC_OP_STREAM_TRIAD><<<g, t, 0, stream>>>(n, s, a, b, o);
        break;
      default:
        stream_kernel<T, V, CC_OP_STREAM_COPY><<<g, t, 0, stream>>>(n, s, a, b, o);
        break;
    }
    return cudaGetLastError();
  };
  return f64 ? go(0.0, double2{}) : go(0.0f, float4{});
}

cudaError_t launch_stream_dot(bool f64, int64_t n, const void* a, const void* b, void* s,
                              void* partial, Grid grid, cudaStream_t stream) {
  return dispatch_acc(f64, [&](auto t) {
    using T = typename decltype(t)::Acc;
    dot_partial<T><<<grid.blocks, grid.threads, 0, stream>>>(
        n, static_cast<const T*>(a), static_cast<const T*>(b), static_cast<T*>(partial));
    dot_final<T>
        <<<1, 256, 0, stream>>>(grid.blocks, static_cast<const T*>(partial), static_cast<T*>(s));
    return cudaGetLastError();
  });
}

int peak_chains(int64_t n, Grid grid) {
  const int64_t wave = int64_t{grid.blocks} * grid.threads;
  return n >= 8 * wave ? 8 : n >= 4 * wave ? 4 : n >= 2 * wave ? 2 : 1;
}

cudaError_t launch_peak(int kind, int64_t n, int64_t iterations, double a, double b, const void* x,
                        void* y, Grid grid, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  switch (kind) {
    case 0:
      return peak<0, double>(n, iterations, a, b, x, y, grid, stream);
    case 1:
      return peak<1, float>(n, iterations, float(a), float(b), x, y, grid, stream);
    case 2:
      return peak<2, float>(n, iterations, float(a), float(b), x, y, grid, stream);
    default:  // (int8)alpha, (int8)beta: C conversion truncates toward zero
      return peak<3, int32_t>(n, iterations, int32_t(int8_t(int(a))), int32_t(int8_t(int(b))), x, y,
                              grid, stream);
  }
}

cudaError_t launch_binary(bool mul, Prec prec, int64_t n, const void* a, const void* b, void* y,
                          Grid grid, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  return dispatch(prec, [&](auto t) {
    using In = typename decltype(t)::In;
    using Acc = typename decltype(t)::Acc;
    binary_kernel<In, Acc><<<grid.blocks, grid.threads, 0, stream>>>(
        mul, n, static_cast<const In*>(a), static_cast<const In*>(b), static_cast<Acc*>(y));
    return cudaGetLastError();
  });
}

cudaError_t launch_gelu(Prec prec, int64_t n, const void* x, void* y, Grid grid,
                        cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  return dispatch(prec, [&](auto t) {
    using In = typename decltype(t)::In;
    using Acc = typename decltype(t)::Acc;
    gelu_kernel<In, Acc><<<grid.blocks, grid.threads, 0, stream>>>(n, static_cast<const In*>(x),
                                                                   static_cast<Acc*>(y));
    return cudaGetLastError();
  });
}

cudaError_t launch_gelu_backward(bool f64, int64_t n, const void* x, const void* dy, void* dx,
                                 Grid grid, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  return dispatch_acc(f64, [&](auto t) {
    using T = typename decltype(t)::Acc;
    gelu_backward_kernel<T><<<grid.blocks, grid.threads, 0, stream>>>(
        n, static_cast<const T*>(x), static_cast<const T*>(dy), static_cast<T*>(dx));
    return cudaGetLastError();
  });
}

cudaError_t launch_adamw(bool f64, const AdamArgs& a, void* param, const void* grad, void* m,
                         void* v, Grid grid, cudaStream_t stream) {
  if (a.n == 0) return cudaSuccess;
  return dispatch_acc(f64, [&](auto t) {
    using T = typename decltype(t)::Acc;
    adamw_kernel<T><<<grid.blocks, grid.threads, 0, stream>>>(
        a.n, T(a.lr), T(a.beta1), T(a.beta2), T(a.eps), T(a.weight_decay), T(a.bc1), T(a.bc2),
        static_cast<T*>(param), static_cast<const T*>(grad), static_cast<T*>(m),
        static_cast<T*>(v));
    return cudaGetLastError();
  });
}

cudaError_t launch_scale_matrix(int type, int64_t rows, int64_t cols, int64_t ld, int64_t batch,
                                int64_t stride, double beta, void* c, Grid grid,
                                cudaStream_t stream) {
  if (rows == 0 || cols == 0 || batch == 0) return cudaSuccess;
  const dim3 g(grid.blocks), t(grid.threads);
  if (type == 1)
    scale_matrix_kernel<double>
        <<<g, t, 0, stream>>>(rows, cols, ld, batch, stride, beta, static_cast<double*>(c));
  else if (type == 2)
    scale_matrix_kernel<int32_t>
        <<<g, t, 0, stream>>>(rows, cols, ld, batch, stride, beta, static_cast<int32_t*>(c));
  else
    scale_matrix_kernel<float>
        <<<g, t, 0, stream>>>(rows, cols, ld, batch, stride, beta, static_cast<float*>(c));
  return cudaGetLastError();
}

cudaError_t launch_stage_i8(const StageArgs& a, const void* in, void* out, cudaStream_t stream) {
  if (a.rows == 0 || a.ld_out == 0 || a.batch == 0) return cudaSuccess;
  const auto* src = static_cast<const int8_t*>(in);
  auto* dst = static_cast<int8_t*>(out);
  if (a.col_stride == 1) {
    const int64_t total = a.batch * a.rows * a.ld_out;
    stage_copy_kernel<<<blocks_for(total, 256, 1u << 16), 256, 0, stream>>>(a, src, dst);
  } else {
    const dim3 g(blocks_for(a.ld_out, 32, 1u << 20), blocks_for(a.rows, 32, 65535),
                 blocks_for(a.batch, 1, 65535));
    stage_transpose_kernel<<<g, dim3(32, 8), 0, stream>>>(a, src, dst);
  }
  return cudaGetLastError();
}

}  // namespace chipcert::cuda
