// STREAM kernels (copy, mul, add, triad, dot), after McCalpin / BabelStream.
//
// The host compiles this once per dtype with -D:
//   T, VW      element type and vector width (4, 8 or 16)
//   WGS        work-group size (power of two; the dot reduction relies on it)
//   CONTIG     1: each work-item walks its own contiguous run of vectors (CPU
//              devices: one core runs a whole work-group, so contiguous runs
//              give the prefetcher long streams); 0: vectors are interleaved
//              across the work-group (GPUs: coalesced accesses)
//   USE_FP64   defined when T is double
//   NT_STORE   1: whole vectors are written with non-temporal stores (clang's
//              __builtin_nontemporal_store; the host asks for it only on CPU
//              devices, for arrays far larger than the caches, where a plain
//              store first reads the line it overwrites: STREAM counts 24
//              bytes per triad element, and so does the memory bus then)
// Every kernel takes n (elements) and per_wi (vectors per work-item); the host
// picks per_wi so that there are enough work-groups for every compute unit but
// not so many that per-group overhead shows.
#ifdef USE_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define TV CAT(T, VW)
#define VLOAD CAT(vload, VW)
#define VSTORE CAT(vstore, VW)
#if NT_STORE
#define VSTORE_OUT(v, p) __builtin_nontemporal_store((v), (__global TV*)(p))
#else
#define VSTORE_OUT(v, p) VSTORE((v), 0, (p))
#endif

// Element index of the s-th vector of this work-item.
#if CONTIG
#define VEC_INDEX(s) (((long)get_global_id(0) * per_wi + (s)) * VW)
#else
#define VEC_INDEX(s) ((((long)get_group_id(0) * per_wi + (s)) * WGS + (long)get_local_id(0)) * VW)
#endif

// Applies STMT_V to every whole vector and STMT_S to every element of the
// ragged tail; `i` is the element index in both.
#define FOR_EACH(STMT_V, STMT_S)     \
  for (int s = 0; s < per_wi; ++s) { \
    const long i = VEC_INDEX(s);     \
    if (i + VW <= n) {               \
      STMT_V;                        \
    } else {                         \
      for (long e = i; e < n; ++e) { \
        const long i = e;            \
        STMT_S;                      \
      }                              \
    }                                \
  }

#define ATTR __attribute__((reqd_work_group_size(WGS, 1, 1)))

__kernel ATTR void stream_copy(const long n, const int per_wi, const T scalar,
                               __global const T* restrict a, __global T* restrict c) {
  (void)scalar;
  FOR_EACH(VSTORE_OUT(VLOAD(0, a + i), c + i), c[i] = a[i]);
}

__kernel ATTR void stream_mul(const long n, const int per_wi, const T scalar,
                              __global const T* restrict c, __global T* restrict b) {
  FOR_EACH(VSTORE_OUT(scalar * VLOAD(0, c + i), b + i), b[i] = scalar * c[i]);
}

__kernel ATTR void stream_add(const long n, const int per_wi, const T scalar,
                              __global const T* restrict a, __global const T* restrict b,
                              __global T* restrict c) {
  (void)scalar;
  FOR_EACH(VSTORE_OUT(VLOAD(0, a + i) + VLOAD(0, b + i), c + i), c[i] = a[i] + b[i]);
}

__kernel ATTR void stream_triad(const long n, const int per_wi, const T scalar,
                                __global const T* restrict b, __global const T* restrict c,
                                __global T* restrict a) {
  FOR_EACH(VSTORE_OUT(fma((TV)(scalar), VLOAD(0, c + i), VLOAD(0, b + i)), a + i),
           a[i] = fma(scalar, c[i], b[i]));
}

// Sums `local_sum` over the work-group into scratch[0] (tree, log2(WGS) steps).
#define GROUP_REDUCE(scratch, local_sum)                   \
  do {                                                     \
    const int lid = get_local_id(0);                       \
    scratch[lid] = (local_sum);                            \
    barrier(CLK_LOCAL_MEM_FENCE);                          \
    for (int step = WGS / 2; step > 0; step >>= 1) {       \
      if (lid < step) scratch[lid] += scratch[lid + step]; \
      barrier(CLK_LOCAL_MEM_FENCE);                        \
    }                                                      \
  } while (0)

// Stage 1 of dot: one partial sum per work-group.
__kernel ATTR void stream_dot_partial(const long n, const int per_wi, const T scalar,
                                      __global const T* restrict a, __global const T* restrict b,
                                      __global T* restrict partial) {
  (void)scalar;
  __local T scratch[WGS];
  TV vsum = (TV)(0);
  T ssum = 0;
  FOR_EACH(vsum = fma(VLOAD(0, a + i), VLOAD(0, b + i), vsum), ssum = fma(a[i], b[i], ssum));
#if VW == 16
  const CAT(T, 8) v8 = vsum.lo + vsum.hi;
  const CAT(T, 4) v4 = v8.lo + v8.hi;
#elif VW == 8
  const CAT(T, 4) v4 = vsum.lo + vsum.hi;
#else /* VW == 4 */
  const CAT(T, 4) v4 = vsum;
#endif
  const CAT(T, 2) v2 = v4.lo + v4.hi;
  GROUP_REDUCE(scratch, ssum + v2.x + v2.y);
  if (get_local_id(0) == 0) partial[get_group_id(0)] = scratch[0];
}

// Stage 2 of dot: one work-group adds the `count` partial sums into s[0].
__kernel ATTR void stream_dot_final(const int count, __global const T* restrict partial,
                                    __global T* restrict s) {
  __local T scratch[WGS];
  T sum = 0;
  for (int g = get_local_id(0); g < count; g += WGS) sum += partial[g];
  GROUP_REDUCE(scratch, sum);
  if (get_local_id(0) == 0) s[0] = scratch[0];
}
