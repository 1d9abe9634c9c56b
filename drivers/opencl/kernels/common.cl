// Prelude compiled in front of every kernel file of the OpenCL driver.
//
// The host picks the types with -D:
//   T        compute and output type (float, double or int): the op's acc_dtype
//   TI       storage type of the op's dtype inputs (float, double, ushort for
//            bf16, half for fp16, char for int8)
//   IN_BF16 / IN_F16 / IN_I8   how TI converts to T (none: TI is T)
//   VW       vector width (2, 4, 8 or 16); TV is the vector of T
//   USE_FP64 / USE_FP16        enable the matching extension
//   INT_MATH T is int: MADD is a plain multiply-add instead of fma
// bf16 is the top half of an IEEE binary32, so it widens exactly with a shift.
#ifdef USE_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif
#ifdef USE_FP16
#pragma OPENCL EXTENSION cl_khr_fp16 : enable
#endif

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define TV CAT(T, VW)
#define VLOAD CAT(vload, VW)
#define VSTORE CAT(vstore, VW)

// LD(p, i): element i of input p as T; LDV(p, i): VW elements from i as TV.
#if defined(IN_BF16)
#define LD(p, i) as_float((uint)((p)[i]) << 16)
#define LDV(p, i) CAT(as_float, VW)(CAT(convert_uint, VW)(VLOAD(0, (p) + (i))) << 16)
#elif defined(IN_F16)
#define LD(p, i) vload_half((i), (p))
#define LDV(p, i) CAT(vload_half, VW)(0, (p) + (i))
#elif defined(IN_I8)
#define LD(p, i) ((int)((p)[i]))
#define LDV(p, i) CAT(convert_int, VW)(VLOAD(0, (p) + (i)))
#else
#define LD(p, i) ((p)[i])
#define LDV(p, i) VLOAD(0, (p) + (i))
#endif

#ifdef INT_MATH
#define MADD(a, b, c) ((a) * (b) + (c))
#else
#define MADD(a, b, c) fma((a), (b), (c))
#endif

// Horizontal sum and maximum of a TV (rows.cl, attention.cl). Floating point
// only (fmax), and only where the host set a vector width.
#if defined(VW) && !defined(INT_MATH)
T hsum(TV v) {
#if VW == 16
  const CAT(T, 8) a = v.lo + v.hi;
  const CAT(T, 4) b = a.lo + a.hi;
#elif VW == 8
  const CAT(T, 4) b = v.lo + v.hi;
#elif VW == 4
  const CAT(T, 4) b = v;
#endif
#if VW == 2
  return v.x + v.y;
#else
  const CAT(T, 2) c = b.lo + b.hi;
  return c.x + c.y;
#endif
}

T hmax(TV v) {
#if VW == 16
  const CAT(T, 8) a = fmax(v.lo, v.hi);
  const CAT(T, 4) b = fmax(a.lo, a.hi);
#elif VW == 8
  const CAT(T, 4) b = fmax(v.lo, v.hi);
#elif VW == 4
  const CAT(T, 4) b = v;
#endif
#if VW == 2
  return fmax(v.x, v.y);
#else
  const CAT(T, 2) c = fmax(b.lo, b.hi);
  return fmax(c.x, c.y);
#endif
}
#endif
