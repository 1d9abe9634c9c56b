// Peak arithmetic (cc_peak_params), compiled after common.cl with -D:
//   CH          independent vector chains per work-item
//   PEAK_FMA    fp64/fp32:  acc = fma(acc, alpha, beta)
//   PEAK_DOT    fp16/bf16:  acc = fma(a, b, acc), a and b already rounded to
//               the dtype by the host (their product is exact in fp32, so this
//               equals acc + a*b rounded once, the ABI's recurrence)
//   PEAK_INT    int8:       acc = acc * one + a*b with one == 1 at run time
// Each work-item owns CH * VW consecutive elements and runs each element's
// own chain: vectors go ACROSS elements, a chain is never reassociated, so
// the result is the per-element recurrence exactly. CH chains hide the FMA
// latency (latency x issue width independent operations in flight).
//
// Why `acc * one` for int8: with a loop-invariant a*b, compilers hoist the
// product and may even replace the whole loop by acc + iterations*a*b. A run
// time `one` keeps one multiply and one add per iteration (the 2 ops the
// workload counts) without changing the result.

#if defined(PEAK_FMA)
#define STEP(acc) fma((acc), va, vb)
#elif defined(PEAK_DOT)
#define STEP(acc) fma(va, vb, (acc))
#else
#define STEP(acc) ((acc)*vone + vab)
#endif

__kernel void peak(const long n, const int iterations, const T alpha, const T beta, const T one,
                   __global const T* restrict x, __global T* restrict y) {
  const long base = (long)get_global_id(0) * (CH * VW);
  if (base >= n) return;
  const bool full = base + CH * VW <= n;
  TV acc[CH];
  if (full) {
#pragma unroll
    for (int c = 0; c < CH; ++c) acc[c] = VLOAD(0, x + base + c * VW);
  } else {
    T tmp[CH * VW];
    for (int e = 0; e < CH * VW; ++e) tmp[e] = base + e < n ? x[base + e] : (T)0;
#pragma unroll
    for (int c = 0; c < CH; ++c) acc[c] = VLOAD(0, tmp + c * VW);
  }
  const TV va = (TV)(alpha), vb = (TV)(beta), vone = (TV)(one), vab = (TV)(alpha * beta);
  (void)vone;
  (void)vab;
  for (int t = 0; t < iterations; ++t) {
#pragma unroll
    for (int c = 0; c < CH; ++c) acc[c] = STEP(acc[c]);
  }
  if (full) {
#pragma unroll
    for (int c = 0; c < CH; ++c) VSTORE(acc[c], 0, y + base + c * VW);
  } else {
    T tmp[CH * VW];
#pragma unroll
    for (int c = 0; c < CH; ++c) VSTORE(acc[c], 0, tmp + c * VW);
    for (int e = 0; base + e < n; ++e) y[base + e] = tmp[e];
  }
}
