// 2-D convolution as an implicit GEMM, compiled after common.cl with -D:
//   TM, TN, TK, RM, NV   tile shape, as in gemm.cl
//   NHWC                 1: x N,H,W,C / w K,R,S,C/g / y N,P,Q,K; 0: NCHW
// Per group g: Y[k][pix] = sum_p W[k][p] * X(p, pix), where k runs over the
// group's K/g output channels (GEMM rows, weights read as a row-major
// [K/g][C/g*R*S] matrix in either layout), pix over the N*P*Q output pixels
// (GEMM columns) and p over C/g*R*S (in the weight's own order: c,r,s for
// NCHW, r,s,c for NHWC). X(p, pix) is gathered on the fly (im2col without the
// copy): per work-group a table gives each column's image base and input
// origin, per k step a table gives each p's channel offset and filter tap, so
// one element costs two adds, a bounds test and a load. Padding reads as 0.
// NDRange: (pixel tiles * WGX, channel tiles * WGY, groups).

#define WGX (TN / (NV * VW))
#define WGY (TM / RM)
#define WGS (WGX * WGY)
#define NONE (-(1 << 29)) /* any input coordinate computed from it is negative */

__kernel __attribute__((reqd_work_group_size(WGX, WGY, 1))) void conv2d(
    const int C, const int H, const int W, const int K, const int R, const int S, const int P,
    const int Q, const int npix, const int stride_h, const int stride_w, const int pad_h,
    const int pad_w, const int dil_h, const int dil_w, const int groups,
    __global const TI* restrict x, __global const TI* restrict w, __global T* restrict y) {
  const int Cg = C / groups, Kg = K / groups, KD = Cg * R * S, PQ = P * Q;
  const int g = get_group_id(2);
  const int i0 = get_group_id(1) * TM, j0 = get_group_id(0) * TN;
  const int tx = get_local_id(0), ty = get_local_id(1), lid = ty * WGX + tx;
  __local T As[TM * TK];
  __local T Bs[TK * TN];
  __local long jbase[TN];
  __local int jh[TN], jw[TN];
  __local int pofs[TK], ph[TK], pw[TK];

  for (int e = lid; e < TN; e += WGS) {
    const int j = j0 + e;
    if (j < npix) {
      const int n = j / PQ, pq = j % PQ;
      jh[e] = (pq / Q) * stride_h - pad_h;
      jw[e] = (pq % Q) * stride_w - pad_w;
#if NHWC
      jbase[e] = (long)n * H * W * C + (long)g * Cg;
#else
      jbase[e] = ((long)n * C + (long)g * Cg) * H * W;
#endif
    } else {
      jh[e] = NONE;
      jw[e] = NONE;
      jbase[e] = 0;
    }
  }
  __global const TI* wg = w + (long)g * Kg * KD;

  TV acc[RM][NV];
#pragma unroll
  for (int r = 0; r < RM; ++r) {
#pragma unroll
    for (int v = 0; v < NV; ++v) acc[r][v] = (TV)(0);
  }

  for (int p0 = 0; p0 < KD; p0 += TK) {
    for (int e = lid; e < TK; e += WGS) {
      const int p = p0 + e;
      if (p < KD) {
#if NHWC
        const int r = p / (S * Cg), rem = p % (S * Cg), s = rem / Cg;
        pofs[e] = rem % Cg;
#else
        const int c = p / (R * S), rs = p % (R * S), r = rs / S, s = rs % S;
        pofs[e] = c * H * W;
#endif
        ph[e] = r * dil_h;
        pw[e] = s * dil_w;
      } else {
        pofs[e] = 0;
        ph[e] = NONE;
        pw[e] = NONE;
      }
    }
    if (i0 + TM <= Kg && p0 + TK <= KD) {
      for (int e = lid; e < TM * TK / VW; e += WGS) {
        const int i = e / (TK / VW), p = (e % (TK / VW)) * VW;
        VSTORE(LDV(wg, (long)(i0 + i) * KD + p0 + p), 0, &As[i * TK + p]);
      }
    } else {
      for (int e = lid; e < TM * TK; e += WGS) {
        const int i = e / TK, p = e % TK;
        As[i * TK + p] =
            (i0 + i < Kg && p0 + p < KD) ? LD(wg, (long)(i0 + i) * KD + p0 + p) : (T)0;
      }
    }
    barrier(CLK_LOCAL_MEM_FENCE);  // the p tables are ready
    for (int e = lid; e < TK * TN; e += WGS) {
#if NHWC
      const int j = e / TK, p = e % TK;  // channels innermost: contiguous reads
#else
      const int p = e / TN, j = e % TN;  // pixels innermost: contiguous reads (stride 1)
#endif
      const int ih = jh[j] + ph[p], iw = jw[j] + pw[p];
      T v = (T)0;
      if ((uint)ih < (uint)H && (uint)iw < (uint)W) {
#if NHWC
        v = LD(x, jbase[j] + ((long)ih * W + iw) * C + pofs[p]);
#else
        v = LD(x, jbase[j] + pofs[p] + (long)ih * W + iw);
#endif
      }
      Bs[p * TN + j] = v;
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    const int pend = min(TK, KD - p0);
    for (int p = 0; p < pend; ++p) {
      TV b[NV];
#pragma unroll
      for (int v = 0; v < NV; ++v) b[v] = VLOAD(0, &Bs[p * TN + (tx * NV + v) * VW]);
#pragma unroll
      for (int r = 0; r < RM; ++r) {
        const TV a = (TV)(As[(ty * RM + r) * TK + p]);
#pragma unroll
        for (int v = 0; v < NV; ++v) acc[r][v] = MADD(a, b[v], acc[r][v]);
      }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }

#pragma unroll
  for (int r = 0; r < RM; ++r) {
    const int k = i0 + ty * RM + r;
    if (k >= Kg) break;
    const int kk = g * Kg + k;
#pragma unroll
    for (int v = 0; v < NV; ++v) {
      const int j = j0 + (tx * NV + v) * VW;
#if !NHWC
      // NCHW: a vector of pixels of one image is contiguous in y.
      if (j + VW <= npix && j / PQ == (j + VW - 1) / PQ) {
        VSTORE(acc[r][v], 0, y + ((long)(j / PQ) * K + kk) * PQ + j % PQ);
        continue;
      }
#endif
      T tmp[VW];
      VSTORE(acc[r][v], 0, tmp);
      for (int e = 0; e < VW && j + e < npix; ++e) {
        const int jj = j + e, n = jj / PQ, pq = jj % PQ;
#if NHWC
        y[((long)n * PQ + pq) * K + kk] = tmp[e];
#else
        y[((long)n * K + kk) * PQ + pq] = tmp[e];
#endif
      }
    }
  }
}
