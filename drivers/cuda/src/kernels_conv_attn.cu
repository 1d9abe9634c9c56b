// Convolution and attention: straightforward, correct-first kernels on CUDA
// cores. These are where a vendor or tuner should start (tensor-core
// implicit GEMM for conv2d, a FlashAttention-style kernel for attention);
// see README.md.
#include "device_common.cuh"

namespace chipcert::cuda {
namespace {

// ---- conv2d -----------------------------------------------------------------------

// One thread per output element; the reduction runs over C/groups x R x S
// with the innermost loop along the contiguous input dimension.
template <typename In, typename Acc, bool NHWC>
__global__ void conv2d_kernel(cc_conv2d_params p, int64_t P, int64_t Q, const In* __restrict__ x,
                              const In* __restrict__ w, Acc* __restrict__ y) {
  const int64_t cg = p.c / p.groups, kg = p.k / p.groups;
  const int64_t total = p.n * p.k * P * Q;
  for (int64_t e = grid_first(); e < total; e += grid_step()) {
    int64_t n, k, oh, ow;
    if constexpr (NHWC) {  // y: N,P,Q,K
      k = e % p.k;
      ow = (e / p.k) % Q;
      oh = (e / (p.k * Q)) % P;
      n = e / (p.k * Q * P);
    } else {  // y: N,K,P,Q
      ow = e % Q;
      oh = (e / Q) % P;
      k = (e / (Q * P)) % p.k;
      n = e / (Q * P * p.k);
    }
    const int64_t c0 = (k / kg) * cg;  // first input channel of k's group
    Acc sum = 0;
    for (int64_t r = 0; r < p.r; ++r) {
      const int64_t ih = oh * p.stride_h - p.pad_h + r * p.dilation_h;
      if (ih < 0 || ih >= p.h) continue;
      for (int64_t s = 0; s < p.s; ++s) {
        const int64_t iw = ow * p.stride_w - p.pad_w + s * p.dilation_w;
        if (iw < 0 || iw >= p.w) continue;
        if constexpr (NHWC) {  // x: N,H,W,C   w: K,R,S,C/groups
          const In* xp = x + ((n * p.h + ih) * p.w + iw) * p.c + c0;
          const In* wp = w + ((k * p.r + r) * p.s + s) * cg;
          for (int64_t c = 0; c < cg; ++c) sum += Acc(widen(xp[c])) * Acc(widen(wp[c]));
        } else {  // x: N,C,H,W   w: K,C/groups,R,S
          const In* xp = x + ((n * p.c + c0) * p.h + ih) * p.w + iw;
          const In* wp = w + (k * cg * p.r + r) * p.s + s;
          for (int64_t c = 0; c < cg; ++c)
            sum += Acc(widen(xp[c * p.h * p.w])) * Acc(widen(wp[c * p.r * p.s]));
        }
      }
    }
    y[e] = sum;
  }
}

// ---- attention ----------------------------------------------------------------------

constexpr int kTileKeys = 32;  // one key per lane
constexpr int kDimsPerLane = kMaxHeadDim / 32;

// Block: W warps, one query row each, all of the same (batch, head). Per
// tile of 32 keys: K and V are staged in shared memory (converted to Acc);
// lane l scores key l against the warp's query row, the warp updates its
// running max m and sum l_sum (online softmax), and each lane accumulates
// the output dimensions d = lane + 32*t. Shared memory: K tile with a padded
// row (D + 1, so lanes reading different keys hit different banks), V tile,
// and the W query rows pre-multiplied by scale.
template <typename In, typename Acc>
__global__ void attention_kernel(cc_attention_params p, int64_t q_tiles, const In* __restrict__ q,
                                 const In* __restrict__ k, const In* __restrict__ v,
                                 Acc* __restrict__ o) {
  extern __shared__ __align__(16) unsigned char smem_raw[];
  Acc* smem = reinterpret_cast<Acc*>(smem_raw);
  const int64_t D = p.head_dim;
  const int warps = blockDim.x / 32, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  Acc* ks = smem;                      // [kTileKeys][D + 1]
  Acc* vs = ks + kTileKeys * (D + 1);  // [kTileKeys][D]
  Acc* qs = vs + kTileKeys * D;        // [warps][D]

  const int64_t bh = blockIdx.x / q_tiles, qt = blockIdx.x % q_tiles;
  const int64_t row0 = qt * warps, row = row0 + warp;
  const bool active = row < p.seq_q;
  const int64_t off = p.seq_kv - p.seq_q;  // bottom-right causal alignment
  // BHSD: a head's rows are contiguous (stride D). BSHD: rows of all heads
  // interleave (stride heads*D), and head h of batch b starts at column h*D.
  const bool bshd = p.layout == CC_ATTN_BSHD;
  const int64_t ld = bshd ? p.heads * D : D;
  const int64_t q_base =
      bshd ? ((bh / p.heads) * p.seq_q * p.heads + bh % p.heads) * D : bh * p.seq_q * D;
  const int64_t kv_base =
      bshd ? ((bh / p.heads) * p.seq_kv * p.heads + bh % p.heads) * D : bh * p.seq_kv * D;
  const In* qb = q + q_base;
  const In* kb = k + kv_base;
  const In* vb = v + kv_base;

  const Acc scale = Acc(p.scale);
  if (active)
    for (int64_t d = lane; d < D; d += 32) qs[warp * D + d] = scale * Acc(widen(qb[row * ld + d]));

  // Keys any row of this block may see.
  const int64_t last_row = min(row0 + warps, p.seq_q) - 1;
  const int64_t kv_end = p.causal ? min(p.seq_kv, last_row + off + 1) : p.seq_kv;

  Acc acc[kDimsPerLane];
#pragma unroll
  for (int t = 0; t < kDimsPerLane; ++t) acc[t] = 0;
  Acc m = neg_inf<Acc>(), l_sum = 0;

  for (int64_t t0 = 0; t0 < kv_end; t0 += kTileKeys) {
    __syncthreads();  // previous tile fully consumed (and qs written, first time)
    for (int64_t e = threadIdx.x; e < kTileKeys * D; e += blockDim.x) {
      const int64_t j = e / D, d = e % D, key = t0 + j;
      const bool in = key < p.seq_kv;
      ks[j * (D + 1) + d] = in ? Acc(widen(kb[key * ld + d])) : Acc(0);
      vs[j * D + d] = in ? Acc(widen(vb[key * ld + d])) : Acc(0);
    }
    __syncthreads();
    if (!active) continue;  // uniform per warp; the block still meets every barrier

    const int64_t key = t0 + lane;
    const bool allowed = key < p.seq_kv && (!p.causal || key <= row + off);
    Acc s = neg_inf<Acc>();
    if (allowed) {
      s = 0;
      const Acc* kr = ks + lane * (D + 1);
      const Acc* qr = qs + warp * D;
      for (int64_t d = 0; d < D; ++d) s = fma_(qr[d], kr[d], s);
    }
    const Acc m_new = max(m, warp_max(s));
    if (m_new == neg_inf<Acc>()) continue;  // nothing visible yet (whole warp agrees)
    const Acc pj = allowed ? exp_(s - m_new) : Acc(0);
    const Acc corr = exp_(m - m_new);  // 0 while m is -inf
    l_sum = l_sum * corr + warp_sum(pj);
#pragma unroll
    for (int t = 0; t < kDimsPerLane; ++t) acc[t] *= corr;
    for (int j = 0; j < kTileKeys; ++j) {
      const Acc pb = __shfl_sync(0xffffffffu, pj, j);
      const Acc* vr = vs + j * D;
#pragma unroll
      for (int t = 0; t < kDimsPerLane; ++t) {
        const int64_t d = lane + 32 * t;
        if (d < D) acc[t] = fma_(pb, vr[d], acc[t]);
      }
    }
    m = m_new;
  }
  if (!active) return;
  // A row that sees no key (causal with seq_kv < seq_q) outputs zeros.
  const Acc inv = l_sum > Acc(0) ? Acc(1) / l_sum : Acc(0);
  Acc* orow = o + q_base + row * ld;
#pragma unroll
  for (int t = 0; t < kDimsPerLane; ++t) {
    const int64_t d = lane + 32 * t;
    if (d < D) orow[d] = acc[t] * inv;
  }
}

template <typename In, typename Acc>
constexpr auto attention_fn() {
  return &attention_kernel<In, Acc>;
}

}  // namespace

cudaError_t launch_conv2d(Prec prec, const cc_conv2d_params& p, const void* x, const void* w,
                          void* y, cudaStream_t stream) {
  const int64_t P = (p.h + 2 * p.pad_h - p.dilation_h * (p.r - 1) - 1) / p.stride_h + 1;
  const int64_t Q = (p.w + 2 * p.pad_w - p.dilation_w * (p.s - 1) - 1) / p.stride_w + 1;
  const int64_t total = p.n * p.k * P * Q;
  if (total == 0) return cudaSuccess;
  const unsigned blocks = blocks_for(total, 256, 1u << 20);
  const auto go = [&](auto t) {
    using In = typename decltype(t)::In;
    using Acc = typename decltype(t)::Acc;
    const auto* xp = static_cast<const In*>(x);
    const auto* wp = static_cast<const In*>(w);
    auto* yp = static_cast<Acc*>(y);
    if (p.layout == CC_LAYOUT_NHWC)
      conv2d_kernel<In, Acc, true><<<blocks, 256, 0, stream>>>(p, P, Q, xp, wp, yp);
    else
      conv2d_kernel<In, Acc, false><<<blocks, 256, 0, stream>>>(p, P, Q, xp, wp, yp);
    return cudaGetLastError();
  };
  return prec == Prec::i8 ? go(Types<Prec::i8>{}) : dispatch(prec, go);
}

int attention_warps(const cc_attention_params& p) {
  return p.seq_q >= 8 ? 8 : (p.seq_q < 1 ? 1 : static_cast<int>(p.seq_q));
}

size_t attention_smem_bytes(Prec prec, const cc_attention_params& p) {
  const size_t d = static_cast<size_t>(p.head_dim);
  const size_t elems = kTileKeys * (d + 1) + kTileKeys * d + attention_warps(p) * d;
  return elems * (prec == Prec::f64 ? 8 : 4);
}

cudaError_t attention_prepare(Prec prec, const cc_attention_params& p) {
  const size_t bytes = attention_smem_bytes(prec, p);
  if (bytes <= 48 * 1024) return cudaSuccess;  // the default limit
  return dispatch(prec, [&](auto t) {
    using In = typename decltype(t)::In;
    using Acc = typename decltype(t)::Acc;
    return cudaFuncSetAttribute(attention_fn<In, Acc>(),
                                cudaFuncAttributeMaxDynamicSharedMemorySize,
                                static_cast<int>(bytes));
  });
}

cudaError_t launch_attention(Prec prec, const cc_attention_params& p, const void* q, const void* k,
                             const void* v, void* o, cudaStream_t stream) {
  if (p.batch == 0 || p.heads == 0 || p.seq_q == 0 || p.head_dim == 0) return cudaSuccess;
  const int warps = attention_warps(p);
  const int64_t q_tiles = (p.seq_q + warps - 1) / warps;
  const int64_t blocks = p.batch * p.heads * q_tiles;
  if (blocks > 0x7fffffff) return cudaErrorInvalidConfiguration;
  const size_t smem = attention_smem_bytes(prec, p);
  return dispatch(prec, [&](auto t) {
    using In = typename decltype(t)::In;
    using Acc = typename decltype(t)::Acc;
    attention_kernel<In, Acc><<<unsigned(blocks), warps * 32, smem, stream>>>(
        p, q_tiles, static_cast<const In*>(q), static_cast<const In*>(k), static_cast<const In*>(v),
        static_cast<Acc*>(o));
    return cudaGetLastError();
  });
}

}  // namespace chipcert::cuda
