// Tiled GEMM, C = alpha * op(A) * op(B) + beta * C, all row-major. Compiled
// after common.cl (types, LD/LDV, MADD).
//
// The host compiles this once per (dtype, transposes, tile shape) with -D:
//   TM, TN, TK      work-group tile: TM rows x TN columns of C, TK deep in k
//   RM, NV          work-item micro-tile: RM rows x NV vectors of VW columns
//   TRANS_A/B       0 or 1
//   GROUP_M         tile rows per band of the work-group visiting order
// A and B hold TI (the op's dtype), C and the local tiles T (its acc_dtype):
// inputs are widened once, when copied into local memory.
// Work-group size is (TN / (NV * VW), TM / RM, 1); NDRange dimension 2 walks
// the batch (matrix b of A starts at A + b * stride_a, likewise B and C).
//
// Why this shape: each k step of a work-item does RM scalar broadcasts and NV
// vector loads from local memory for RM * NV vector FMAs, so the accumulators
// (RM * NV vectors) stay in registers and the inner loop is FMA bound. Local
// tiles keep the global layout of A and B where possible, so the copy in is a
// vector copy; only trans_b needs a transposing (scalar) copy.
#define WGX (TN / (NV * VW))
#define WGY (TM / RM)
#define WGS (WGX * WGY)

// Local tiles. As holds op(A)[i][p] at AS(i, p); Bs holds op(B)[p][j] at BS(p, j).
#if TRANS_A
#define AS(i, p) As[(p)*TM + (i)] /* A is k x m in memory: keep rows of A */
#define A_IDX(i, p) ((long)(p)*lda + (i))
#else
#define AS(i, p) As[(i)*TK + (p)]
#define A_IDX(i, p) ((long)(i)*lda + (p))
#endif
#define BS(p, j) Bs[(p)*TN + (j)]
#if TRANS_B
#define B_IDX(p, j) ((long)(j)*ldb + (p))
#else
#define B_IDX(p, j) ((long)(p)*ldb + (j))
#endif

__kernel __attribute__((reqd_work_group_size(WGX, WGY, 1))) void gemm(
    const int m, const int n, const int k, const long lda, const long ldb, const long ldc,
    const T alpha, const T beta, __global const TI* restrict A, __global const TI* restrict B,
    __global T* restrict C, const long stride_a, const long stride_b, const long stride_c) {
  // Batched GEMM: dimension 2 of the NDRange is the batch entry.
  const long entry = get_group_id(2);
  A += entry * stride_a;
  B += entry * stride_b;
  C += entry * stride_c;
  __local T As[TM * TK];
  __local T Bs[TK * TN];
  const int tx = get_local_id(0);
  const int ty = get_local_id(1);
  const int lid = ty * WGX + tx;
  // Visit C tiles in bands of GROUP_M tile rows, column by column within a
  // band: consecutive work-groups then share the same B panel and a few A
  // panels, which stay in cache (runtimes start groups in linear order).
  const int ngx = get_num_groups(0), ngy = get_num_groups(1);
  const int pid = get_group_id(1) * ngx + get_group_id(0);
  const int first = pid / (GROUP_M * ngx) * GROUP_M;
  const int rows = min(ngy - first, GROUP_M);
  const int in_band = pid - first * ngx;
  const int i0 = (first + in_band % rows) * TM;
  const int j0 = (in_band / rows) * TN;
  const bool full_mn = (i0 + TM <= m) && (j0 + TN <= n);

  TV acc[RM][NV];
#pragma unroll
  for (int r = 0; r < RM; ++r) {
#pragma unroll
    for (int v = 0; v < NV; ++v) acc[r][v] = (TV)(0);
  }

  for (int p0 = 0; p0 < k; p0 += TK) {
    if (full_mn && p0 + TK <= k) {
      // Interior tile: vector copies along the contiguous dimension.
#if TRANS_A
      for (int e = lid; e < TM * TK / VW; e += WGS) {
        const int p = e / (TM / VW), i = (e % (TM / VW)) * VW;
        VSTORE(LDV(A, A_IDX(i0 + i, p0 + p)), 0, &AS(i, p));
      }
#else
      for (int e = lid; e < TM * TK / VW; e += WGS) {
        const int i = e / (TK / VW), p = (e % (TK / VW)) * VW;
        VSTORE(LDV(A, A_IDX(i0 + i, p0 + p)), 0, &AS(i, p));
      }
#endif
#if TRANS_B
      for (int e = lid; e < TN * TK; e += WGS) {
        const int j = e / TK, p = e % TK;
        BS(p, j) = LD(B, B_IDX(p0 + p, j0 + j));
      }
#else
      for (int e = lid; e < TK * TN / VW; e += WGS) {
        const int p = e / (TN / VW), j = (e % (TN / VW)) * VW;
        VSTORE(LDV(B, B_IDX(p0 + p, j0 + j)), 0, &BS(p, j));
      }
#endif
    } else {
      // Edge tile: zero padding makes the compute loop below shape-agnostic.
      for (int e = lid; e < TM * TK; e += WGS) {
#if TRANS_A
        const int p = e / TM, i = e % TM;
#else
        const int i = e / TK, p = e % TK;
#endif
        AS(i, p) = (i0 + i < m && p0 + p < k) ? LD(A, A_IDX(i0 + i, p0 + p)) : (T)0;
      }
      for (int e = lid; e < TK * TN; e += WGS) {
#if TRANS_B
        const int j = e / TK, p = e % TK;
#else
        const int p = e / TN, j = e % TN;
#endif
        BS(p, j) = (p0 + p < k && j0 + j < n) ? LD(B, B_IDX(p0 + p, j0 + j)) : (T)0;
      }
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    for (int p = 0; p < TK; ++p) {
      TV b[NV];
#pragma unroll
      for (int v = 0; v < NV; ++v) b[v] = VLOAD(0, &BS(p, (tx * NV + v) * VW));
#pragma unroll
      for (int r = 0; r < RM; ++r) {
        const TV a = (TV)(AS(ty * RM + r, p));
#pragma unroll
        for (int v = 0; v < NV; ++v) acc[r][v] = MADD(a, b[v], acc[r][v]);
      }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }

  // beta == 0 must not read C (it may hold NaN garbage), as in BLAS.
#pragma unroll
  for (int r = 0; r < RM; ++r) {
    const int i = i0 + ty * RM + r;
    if (i >= m) break;
    __global T* crow = C + (long)i * ldc;
#pragma unroll
    for (int v = 0; v < NV; ++v) {
      const int j = j0 + (tx * NV + v) * VW;
      TV c = alpha * acc[r][v];
      if (full_mn || j + VW <= n) {
        if (beta != (T)0) c = MADD((TV)(beta), VLOAD(0, crow + j), c);
        VSTORE(c, 0, crow + j);
      } else {
        T tmp[VW];
        VSTORE(c, 0, tmp);
        for (int e = 0; e < VW && j + e < n; ++e)
          crow[j + e] = (beta != (T)0) ? MADD(beta, crow[j + e], tmp[e]) : tmp[e];
      }
    }
  }
}
