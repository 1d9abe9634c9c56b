// Scaled dot-product attention with an online softmax (FlashAttention's
// recurrence), compiled after common.cl with -D:
//   DP    head_dim rounded up to VW (the padding is zero)
//   BK    keys per tile (a multiple of VW)
//   RQ    query rows per work-item, WQ work-items per work-group
// One work-group per (query tile of RQ*WQ rows, batch*head). For each tile of
// BK keys the group copies K (transposed) and V into local memory; each
// work-item then computes its rows' scores with broadcast-q x vector-K FMAs
// (the GEMM micro-kernel shape), rescales its running maximum, sum and
// output, and adds p x V. Layout (BHSD or BSHD), causal mask (bottom-right:
// row i sees key j when j <= i + seq_kv - seq_q) and sizes are run-time
// arguments. A row that sees no key at all is written as zeros.

#define NV_K (BK / VW)
#define NV_D (DP / VW)
#define BQ (RQ * WQ)

#if VW == 2
#define IOTA ((TV)(0, 1))
#elif VW == 4
#define IOTA ((TV)(0, 1, 2, 3))
#elif VW == 8
#define IOTA ((TV)(0, 1, 2, 3, 4, 5, 6, 7))
#else
#define IOTA ((TV)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))
#endif

__kernel __attribute__((reqd_work_group_size(WQ, 1, 1))) void attention(
    const int heads, const int sq, const int skv, const int d, const int causal, const int bshd,
    const T scale, __global const TI* restrict q, __global const TI* restrict k,
    __global const TI* restrict v, __global T* restrict o) {
  const int bh = get_group_id(1), b = bh / heads, h = bh % heads;
  const int lid = get_local_id(0);
  const int qbase = get_group_id(0) * BQ;
  const int row0 = qbase + lid * RQ;
  // Element offset of row i of a tensor with `seq` rows per head.
#define ROW(seq, i) \
  (bshd ? (((long)b * (seq) + (i)) * heads + h) * d : ((long)bh * (seq) + (i)) * d)
  __local T Kt[DP * BK];
  __local T Vs[BK * DP];

  T qs[RQ][DP];
  TV acc[RQ][NV_D];
  T m[RQ], l[RQ];
  for (int r = 0; r < RQ; ++r) {
    const int i = row0 + r;
    for (int dd = 0; dd < DP; ++dd) qs[r][dd] = (i < sq && dd < d) ? LD(q, ROW(sq, i) + dd) : (T)0;
    for (int dv = 0; dv < NV_D; ++dv) acc[r][dv] = (TV)(0);
    m[r] = -INFINITY;
    l[r] = 0;
  }
  // Keys past the last one any row of this group may see are never loaded.
  int kv_end = skv;
  if (causal) kv_end = clamp(min(sq, qbase + BQ) - 1 + skv - sq + 1, 0, skv);

  for (int j0 = 0; j0 < kv_end; j0 += BK) {
    for (int e = lid; e < BK * DP; e += WQ) {
      const int j = e / DP, dd = e % DP;
      const bool in = j0 + j < skv && dd < d;
      const long at = in ? ROW(skv, j0 + j) + dd : 0;
      Kt[dd * BK + j] = in ? LD(k, at) : (T)0;
      Vs[j * DP + dd] = in ? LD(v, at) : (T)0;
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    TV s[RQ][NV_K];
    for (int r = 0; r < RQ; ++r)
      for (int jv = 0; jv < NV_K; ++jv) s[r][jv] = (TV)(0);
    for (int dd = 0; dd < d; ++dd) {
      TV kv[NV_K];
#pragma unroll
      for (int jv = 0; jv < NV_K; ++jv) kv[jv] = VLOAD(0, Kt + dd * BK + jv * VW);
#pragma unroll
      for (int r = 0; r < RQ; ++r) {
        const TV qv = (TV)(qs[r][dd]);
#pragma unroll
        for (int jv = 0; jv < NV_K; ++jv) s[r][jv] = fma(qv, kv[jv], s[r][jv]);
      }
    }

    T p[RQ][BK];
    for (int r = 0; r < RQ; ++r) {
      const int i = row0 + r;
      const T lim = (T)(causal ? min(skv - 1, i + skv - sq) : skv - 1);
      TV mv = (TV)(-INFINITY);
      for (int jv = 0; jv < NV_K; ++jv) {
        const TV idx = (TV)(j0 + jv * VW) + IOTA;
        s[r][jv] = select(s[r][jv] * scale, (TV)(-INFINITY), idx > (TV)(lim));
        mv = fmax(mv, s[r][jv]);
      }
      const T m_new = fmax(m[r], hmax(mv));
      if (m_new == -INFINITY) {  // nothing visible to this row yet
        for (int jj = 0; jj < BK; ++jj) p[r][jj] = 0;
        continue;
      }
      const T corr = exp(m[r] - m_new);
      TV sum = (TV)(0);
      for (int jv = 0; jv < NV_K; ++jv) {
        const TV e = exp(s[r][jv] - m_new);
        sum += e;
        VSTORE(e, 0, &p[r][jv * VW]);
      }
      l[r] = l[r] * corr + hsum(sum);
      m[r] = m_new;
      for (int dv = 0; dv < NV_D; ++dv) acc[r][dv] *= corr;
    }

    const int nj = min(BK, kv_end - j0);
    for (int jj = 0; jj < nj; ++jj) {
      TV vr[NV_D];
#pragma unroll
      for (int dv = 0; dv < NV_D; ++dv) vr[dv] = VLOAD(0, Vs + jj * DP + dv * VW);
#pragma unroll
      for (int r = 0; r < RQ; ++r) {
        const TV pr = (TV)(p[r][jj]);
#pragma unroll
        for (int dv = 0; dv < NV_D; ++dv) acc[r][dv] = fma(pr, vr[dv], acc[r][dv]);
      }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }

  for (int r = 0; r < RQ; ++r) {
    const int i = row0 + r;
    if (i >= sq) break;
    const T inv = l[r] > 0 ? (T)1 / l[r] : (T)0;
    T out[DP];
    for (int dv = 0; dv < NV_D; ++dv) VSTORE(acc[r][dv] * inv, 0, out + dv * VW);
    const long at = ROW(sq, i);
    for (int dd = 0; dd < d; ++dd) o[at + dd] = out[dd];
  }
}
