// Element-wise ops (gelu, add, mul, gelu_backward, adamw), compiled after
// common.cl. Work-item g owns elements [g * per, (g + 1) * per) (per is a
// multiple of VW): whole vectors, then a scalar tail. The host sizes `per`
// so that every compute unit gets many work-groups.
// Inputs of gelu/add/mul are TI (the op's dtype); everything else is T.

#define RANGE                                 \
  const long i0 = (long)get_global_id(0) * per; \
  const long i1 = min(n, i0 + per);             \
  long i = i0;
#define FOR_ELEMS(VEC, SCALAR)           \
  for (; i + VW <= i1; i += VW) { VEC; } \
  for (; i < i1; ++i) { SCALAR; }

#define HALF ((T)0.5)
#define SQRT1_2 ((T)0.70710678118654752440)
#define INV_SQRT_2PI ((T)0.39894228040143267794)

// Phi(x) = erfc(-x / sqrt 2) / 2: unlike (1 + erf(x / sqrt 2)) / 2 it does not
// cancel for negative x, so gelu keeps its relative accuracy in the tail.
__kernel void gelu(const long n, const long per, __global const TI* restrict x,
                   __global T* restrict y) {
  RANGE
  FOR_ELEMS(const TV v = LDV(x, i);
            VSTORE(HALF * v * erfc(-v * SQRT1_2), 0, y + i),
            const T v = LD(x, i); y[i] = HALF * v * erfc(-v * SQRT1_2))
}

__kernel void add(const long n, const long per, __global const TI* restrict a,
                  __global const TI* restrict b, __global T* restrict y) {
  RANGE
  FOR_ELEMS(VSTORE(LDV(a, i) + LDV(b, i), 0, y + i), y[i] = LD(a, i) + LD(b, i))
}

__kernel void mul(const long n, const long per, __global const TI* restrict a,
                  __global const TI* restrict b, __global T* restrict y) {
  RANGE
  FOR_ELEMS(VSTORE(LDV(a, i) * LDV(b, i), 0, y + i), y[i] = LD(a, i) * LD(b, i))
}

// dx = dy * (Phi(x) + x * phi(x)), the derivative of x * Phi(x).
__kernel void gelu_backward(const long n, const long per, __global const T* restrict x,
                            __global const T* restrict dy, __global T* restrict dx) {
  RANGE
  FOR_ELEMS(const TV v = VLOAD(0, x + i);
            const TV cdf = HALF * erfc(-v * SQRT1_2);
            const TV pdf = INV_SQRT_2PI * exp(-HALF * v * v);
            VSTORE(VLOAD(0, dy + i) * (cdf + v * pdf), 0, dx + i),
            const T v = x[i]; const T cdf = HALF * erfc(-v * SQRT1_2);
            const T pdf = INV_SQRT_2PI * exp(-HALF * v * v); dx[i] = dy[i] * (cdf + v * pdf))
}

// AdamW with decoupled weight decay; bc1 = 1 - beta1^step, bc2 = 1 - beta2^step
// (computed on the host in double). In place on p, m and v.
#define ADAMW_STEP(TT, p, g, m, v)                                                \
  m = beta1 * m + ((T)1 - beta1) * g;                                             \
  v = beta2 * v + ((T)1 - beta2) * g * g;                                         \
  {                                                                               \
    const TT mhat = m / bc1, vhat = v / bc2;                                      \
    p = p - lr * (mhat / (sqrt(vhat) + eps) + wd * p);                            \
  }

__kernel void adamw(const long n, const long per, const T lr, const T beta1, const T beta2,
                    const T eps, const T wd, const T bc1, const T bc2, __global T* restrict param,
                    __global const T* restrict grad, __global T* restrict mom,
                    __global T* restrict vel) {
  RANGE
  FOR_ELEMS(TV p = VLOAD(0, param + i); const TV g = VLOAD(0, grad + i);
            TV m = VLOAD(0, mom + i); TV v = VLOAD(0, vel + i); ADAMW_STEP(TV, p, g, m, v);
            VSTORE(p, 0, param + i); VSTORE(m, 0, mom + i); VSTORE(v, 0, vel + i),
            T p = param[i]; const T g = grad[i]; T m = mom[i]; T v = vel[i];
            ADAMW_STEP(T, p, g, m, v); param[i] = p; mom[i] = m; vel[i] = v)
}
