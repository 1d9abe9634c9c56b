// Row-wise kernels: layernorm (+backward), softmax (+backward), softmax
// cross-entropy. One block per row, reductions in a fixed order (results are
// bit-for-bit repeatable). Tuning point: a warp per row for short rows.
#include "device_common.cuh"

namespace chipcert::cuda {
namespace {

constexpr unsigned kThreads = 256;

template <typename In, typename Acc>
__global__ void layernorm_kernel(RowsArgs r, const In* __restrict__ x, const In* __restrict__ gamma,
                                 const In* __restrict__ beta, Acc* __restrict__ y,
                                 Acc* __restrict__ mean_out, Acc* __restrict__ rstd_out) {
  __shared__ Acc shared[32];
  const int64_t row = blockIdx.x;
  const In* xr = x + row * r.cols;
  Acc* yr = y + row * r.cols;
  Acc sum = 0;
  for (int64_t c = threadIdx.x; c < r.cols; c += blockDim.x) sum += widen(xr[c]);
  const Acc mean = block_sum(sum, shared) / Acc(r.cols);
  // Second pass over (x - mean): no cancellation, unlike E[x^2] - E[x]^2.
  Acc sq = 0;
  for (int64_t c = threadIdx.x; c < r.cols; c += blockDim.x) {
    const Acc d = widen(xr[c]) - mean;
    sq += d * d;
  }
  const Acc var = block_sum(sq, shared) / Acc(r.cols);
  const Acc rstd = Acc(1) / sqrt_(var + Acc(r.eps));
  for (int64_t c = threadIdx.x; c < r.cols; c += blockDim.x)
    yr[c] = (widen(xr[c]) - mean) * rstd * Acc(widen(gamma[c])) + Acc(widen(beta[c]));
  if (threadIdx.x == 0) {
    mean_out[row] = mean;
    rstd_out[row] = rstd;
  }
}

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * gamma.
template <typename T>
__global__ void layernorm_dx_kernel(RowsArgs r, const T* __restrict__ x,
                                    const T* __restrict__ gamma, const T* __restrict__ mean,
                                    const T* __restrict__ rstd, const T* __restrict__ dy,
                                    T* __restrict__ dx) {
  __shared__ T shared[32];
  const int64_t row = blockIdx.x;
  const T* xr = x + row * r.cols;
  const T* dyr = dy + row * r.cols;
  const T mu = mean[row], rs = rstd[row];
  T sum_g = 0, sum_gx = 0;
  for (int64_t c = threadIdx.x; c < r.cols; c += blockDim.x) {
    const T g = dyr[c] * gamma[c];
    sum_g += g;
    sum_gx += g * (xr[c] - mu) * rs;
  }
  const T a = block_sum(sum_g, shared) / T(r.cols);
  const T b = block_sum(sum_gx, shared) / T(r.cols);
  T* dxr = dx + row * r.cols;
  for (int64_t c = threadIdx.x; c < r.cols; c += blockDim.x) {
    const T xhat = (xr[c] - mu) * rs;
    dxr[c] = rs * (dyr[c] * gamma[c] - a - xhat * b);
  }
}

// Column sums of dy*xhat and dy over one chunk of rows: block (32, 8) covers
// 32 columns; partial[chunk][col] for dgamma, then for dbeta.
template <typename T>
__global__ void layernorm_dparams_partial(RowsArgs r, int64_t rows_per_chunk,
                                          const T* __restrict__ x, const T* __restrict__ mean,
                                          const T* __restrict__ rstd, const T* __restrict__ dy,
                                          T* __restrict__ partial) {
  __shared__ T sg[8][33], sb[8][33];
  const int64_t col = int64_t{blockIdx.x} * 32 + threadIdx.x;
  const int64_t r0 = int64_t{blockIdx.y} * rows_per_chunk;
  const int64_t r1 = min(r.rows, r0 + rows_per_chunk);
  T g = 0, b = 0;
  if (col < r.cols) {
    for (int64_t row = r0 + threadIdx.y; row < r1; row += blockDim.y) {
      const T d = dy[row * r.cols + col];
      g += d * (x[row * r.cols + col] - mean[row]) * rstd[row];
      b += d;
    }
  }
  sg[threadIdx.y][threadIdx.x] = g;
  sb[threadIdx.y][threadIdx.x] = b;
  __syncthreads();
  if (threadIdx.y == 0 && col < r.cols) {
    for (int i = 1; i < 8; ++i) {
      g += sg[i][threadIdx.x];
      b += sb[i][threadIdx.x];
    }
    const int64_t chunks = gridDim.y;
    partial[blockIdx.y * r.cols + col] = g;
    partial[(chunks + blockIdx.y) * r.cols + col] = b;
  }
}

template <typename T>
__global__ void layernorm_dparams_final(int64_t cols, int64_t chunks, const T* __restrict__ partial,
                                        T* __restrict__ dgamma, T* __restrict__ dbeta) {
  for (int64_t c = grid_first(); c < cols; c += grid_step()) {
    T g = 0, b = 0;
    for (int64_t k = 0; k < chunks; ++k) {
      g += partial[k * cols + c];
      b += partial[(chunks + k) * cols + c];
    }
    dgamma[c] = g;
    dbeta[c] = b;
  }
}

int64_t dparam_chunks(const RowsArgs& r) {
  const int64_t c = (r.rows + 31) / 32;
  return c < 1 ? 1 : (c > 128 ? 128 : c);
}

/// Columns of `row` that the causal mask keeps: c <= (row % seq_q) + (cols - seq_q).
__device__ __forceinline__ int64_t causal_limit(const RowsArgs& r, int64_t row) {
  return r.causal ? (row % r.seq_q) + (r.cols - r.seq_q) : r.cols - 1;
}

template <typename In, typename Acc>
__global__ void softmax_kernel(RowsArgs r, const In* __restrict__ x, Acc* __restrict__ y) {
  __shared__ Acc shared[32];
  const int64_t row = blockIdx.x;
  const In* xr = x + row * r.cols;
  Acc* yr = y + row * r.cols;
  const int64_t limit = causal_limit(r, row);
  const Acc scale = Acc(r.scale);
  Acc m = neg_inf<Acc>();
  for (int64_t c = threadIdx.x; c <= limit && c < r.cols; c += blockDim.x)
    m = max(m, scale * widen(xr[c]));
  m = block_max(m, shared);
  if (m == neg_inf<Acc>()) {  // every column masked (or -inf): zeros, not NaN
    for (int64_t c = threadIdx.x; c < r.cols; c += blockDim.x) yr[c] = Acc(0);
    return;
  }
  Acc s = 0;
  for (int64_t c = threadIdx.x; c <= limit && c < r.cols; c += blockDim.x)
    s += exp_(scale * widen(xr[c]) - m);
  const Acc inv = Acc(1) / block_sum(s, shared);
  for (int64_t c = threadIdx.x; c < r.cols; c += blockDim.x)
    yr[c] = c <= limit ? exp_(scale * widen(xr[c]) - m) * inv : Acc(0);
}

template <typename T>
__global__ void softmax_backward_kernel(RowsArgs r, const T* __restrict__ y,
                                        const T* __restrict__ dy, T* __restrict__ dx) {
  __shared__ T shared[32];
  const int64_t off = int64_t{blockIdx.x} * r.cols;
  T dot = 0;
  for (int64_t c = threadIdx.x; c < r.cols; c += blockDim.x) dot += dy[off + c] * y[off + c];
  dot = block_sum(dot, shared);
  const T scale = T(r.scale);
  for (int64_t c = threadIdx.x; c < r.cols; c += blockDim.x)
    dx[off + c] = scale * y[off + c] * (dy[off + c] - dot);
}

template <typename T>
__global__ void xent_rows_kernel(RowsArgs r, const T* __restrict__ logits,
                                 const int32_t* __restrict__ labels, T* __restrict__ dlogits,
                                 T* __restrict__ row_loss) {
  __shared__ T shared[32];
  const int64_t row = blockIdx.x;
  const T* xr = logits + row * r.cols;
  T* dr = dlogits + row * r.cols;
  T m = neg_inf<T>();
  for (int64_t c = threadIdx.x; c < r.cols; c += blockDim.x) m = max(m, xr[c]);
  m = block_max(m, shared);
  T s = 0;
  for (int64_t c = threadIdx.x; c < r.cols; c += blockDim.x) s += exp_(xr[c] - m);
  s = block_sum(s, shared);
  const int64_t label = labels[row];
  const bool valid = label >= 0 && label < r.cols;
  const T inv_s = T(1) / s, inv_rows = T(1) / T(r.rows);
  for (int64_t c = threadIdx.x; c < r.cols; c += blockDim.x)
    dr[c] = (exp_(xr[c] - m) * inv_s - (c == label ? T(1) : T(0))) * inv_rows;
  if (threadIdx.x == 0) row_loss[row] = valid ? m + log_(s) - xr[label] : T(NAN);
}

template <typename T>
__global__ void mean_kernel(int64_t n, const T* __restrict__ v, T* __restrict__ out) {
  __shared__ T shared[32];
  T s = 0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) s += v[i];
  s = block_sum(s, shared);
  if (threadIdx.x == 0) out[0] = s / T(n);
}

}  // namespace

cudaError_t launch_layernorm(Prec prec, const RowsArgs& r, const void* x, const void* gamma,
                             const void* beta, void* y, void* mean, void* rstd,
                             cudaStream_t stream) {
  if (r.rows == 0 || r.cols == 0) return cudaSuccess;
  return dispatch(prec, [&](auto t) {
    using In = typename decltype(t)::In;
    using Acc = typename decltype(t)::Acc;
    layernorm_kernel<In, Acc><<<unsigned(r.rows), kThreads, 0, stream>>>(
        r, static_cast<const In*>(x), static_cast<const In*>(gamma), static_cast<const In*>(beta),
        static_cast<Acc*>(y), static_cast<Acc*>(mean), static_cast<Acc*>(rstd));
    return cudaGetLastError();
  });
}

size_t layernorm_backward_scratch_bytes(bool f64, const RowsArgs& r) {
  return 2 * static_cast<size_t>(dparam_chunks(r)) * static_cast<size_t>(r.cols) * (f64 ? 8 : 4);
}

cudaError_t launch_layernorm_backward(bool f64, const RowsArgs& r, const void* x, const void* gamma,
                                      const void* mean, const void* rstd, const void* dy, void* dx,
                                      void* dgamma, void* dbeta, void* scratch,
                                      cudaStream_t stream) {
  if (r.rows == 0 || r.cols == 0) return cudaSuccess;
  return dispatch_acc(f64, [&](auto t) {
    using T = typename decltype(t)::Acc;
    const auto* xp = static_cast<const T*>(x);
    const auto* mp = static_cast<const T*>(mean);
    const auto* rp = static_cast<const T*>(rstd);
    const auto* dyp = static_cast<const T*>(dy);
    layernorm_dx_kernel<T><<<unsigned(r.rows), kThreads, 0, stream>>>(
        r, xp, static_cast<const T*>(gamma), mp, rp, dyp, static_cast<T*>(dx));
    const int64_t chunks = dparam_chunks(r);
    const int64_t per_chunk = (r.rows + chunks - 1) / chunks;
    const dim3 grid(blocks_for(r.cols, 32, 1u << 30), unsigned(chunks));
    auto* partial = static_cast<T*>(scratch);
    layernorm_dparams_partial<T>
        <<<grid, dim3(32, 8), 0, stream>>>(r, per_chunk, xp, mp, rp, dyp, partial);
    layernorm_dparams_final<T><<<blocks_for(r.cols, 256, 4096), 256, 0, stream>>>(
        r.cols, chunks, partial, static_cast<T*>(dgamma), static_cast<T*>(dbeta));
    return cudaGetLastError();
  });
}

cudaError_t launch_softmax(Prec prec, const RowsArgs& r, const void* x, void* y,
                           cudaStream_t stream) {
  if (r.rows == 0 || r.cols == 0) return cudaSuccess;
  return dispatch(prec, [&](auto t) {
    using In = typename decltype(t)::In;
    using Acc = typename decltype(t)::Acc;
    softmax_kernel<In, Acc><<<unsigned(r.rows), kThreads, 0, stream>>>(r, static_cast<const In*>(x),
                                                                       static_cast<Acc*>(y));
    return cudaGetLastError();
  });
}

cudaError_t launch_softmax_backward(bool f64, const RowsArgs& r, const void* y, const void* dy,
                                    void* dx, cudaStream_t stream) {
  if (r.rows == 0 || r.cols == 0) return cudaSuccess;
  return dispatch_acc(f64, [&](auto t) {
    using T = typename decltype(t)::Acc;
    softmax_backward_kernel<T><<<unsigned(r.rows), kThreads, 0, stream>>>(
        r, static_cast<const T*>(y), static_cast<const T*>(dy), static_cast<T*>(dx));
    return cudaGetLastError();
  });
}

cudaError_t launch_softmax_xent(bool f64, const RowsArgs& r, const void* logits,
                                const int32_t* labels, void* loss, void* dlogits, void* row_loss,
                                cudaStream_t stream) {
  if (r.rows == 0 || r.cols == 0) return cudaSuccess;
  return dispatch_acc(f64, [&](auto t) {
    using T = typename decltype(t)::Acc;
    xent_rows_kernel<T><<<unsigned(r.rows), kThreads, 0, stream>>>(r, static_cast<const T*>(logits),
                                                                   labels, static_cast<T*>(dlogits),
                                                                   static_cast<T*>(row_loss));
    mean_kernel<T>
        <<<1, 1024, 0, stream>>>(r.rows, static_cast<const T*>(row_loss), static_cast<T*>(loss));
    return cudaGetLastError();
  });
}

}  // namespace chipcert::cuda
