// Row-wise ops (layernorm, softmax, their backward passes, softmax
// cross-entropy), compiled after common.cl with -DWGS=<work-group size, a
// power of two>. One work-group per row; work-item l owns the contiguous
// columns [l * chunk, (l + 1) * chunk) (chunk is a multiple of VW), reads
// them with vectors, and the row's sums and maxima are combined by a tree in
// local memory. The order of every reduction is fixed: results are
// reproducible run to run.

#define ATTR __attribute__((reqd_work_group_size(WGS, 1, 1)))

#define ROW_SETUP                                      \
  const long r = get_group_id(0);                      \
  const int lid = get_local_id(0);                     \
  const long c0 = min(cols, (long)lid * chunk);        \
  const long c1 = min(cols, c0 + chunk);               \
  __local T red[WGS];

// Runs VEC for each whole vector and SCALAR for each tail element of
// [lo, hi); `c` is the column index in both.
#define FOR_COLS(lo, hi, VEC, SCALAR)                  \
  {                                                    \
    long c = (lo);                                     \
    for (; c + VW <= (hi); c += VW) { VEC; }           \
    for (; c < (hi); ++c) { SCALAR; }                  \
  }

// out = OP over the work-group of each work-item's `value` (tree, fixed order).
#define GROUP_REDUCE(OP, value, out)                                \
  {                                                                 \
    red[lid] = (value);                                             \
    barrier(CLK_LOCAL_MEM_FENCE);                                   \
    for (int step = WGS / 2; step > 0; step >>= 1) {                \
      if (lid < step) red[lid] = OP(red[lid], red[lid + step]);     \
      barrier(CLK_LOCAL_MEM_FENCE);                                 \
    }                                                               \
    out = red[0];                                                   \
    barrier(CLK_LOCAL_MEM_FENCE);                                   \
  }
#define ADD(a, b) ((a) + (b))

// y = (x - mean) * rstd * gamma + beta; two passes for the variance.
__kernel ATTR void layernorm(const long cols, const long chunk, const T eps,
                             __global const TI* restrict x, __global const TI* restrict gamma,
                             __global const TI* restrict beta, __global T* restrict y,
                             __global T* restrict mean, __global T* restrict rstd) {
  ROW_SETUP
  __global const TI* xr = x + r * cols;
  __global T* yr = y + r * cols;
  TV sv = (TV)(0);
  T ss = 0;
  FOR_COLS(c0, c1, sv += LDV(xr, c), ss += LD(xr, c))
  T mu;
  GROUP_REDUCE(ADD, hsum(sv) + ss, mu)
  mu /= (T)cols;
  TV qv = (TV)(0);
  T qs = 0;
  FOR_COLS(c0, c1, const TV d = LDV(xr, c) - mu; qv = fma(d, d, qv),
           const T d = LD(xr, c) - mu; qs = fma(d, d, qs))
  T var;
  GROUP_REDUCE(ADD, hsum(qv) + qs, var)
  const T rs = (T)1 / sqrt(var / (T)cols + eps);
  FOR_COLS(c0, c1, VSTORE((LDV(xr, c) - mu) * rs * LDV(gamma, c) + LDV(beta, c), 0, yr + c),
           yr[c] = (LD(xr, c) - mu) * rs * LD(gamma, c) + LD(beta, c))
  if (lid == 0) {
    mean[r] = mu;
    rstd[r] = rs;
  }
}

// y = softmax(scale * x) per row; with causal, column c of row r is masked
// when c > (r % seq_q) + (cols - seq_q) (y = 0 there). A row with every
// column masked is all zeros.
__kernel ATTR void softmax(const long cols, const long chunk, const T scale, const int causal,
                           const long seq_q, __global const TI* restrict x,
                           __global T* restrict y) {
  ROW_SETUP
  __global const TI* xr = x + r * cols;
  __global T* yr = y + r * cols;
  const long visible = causal ? clamp(r % seq_q + (cols - seq_q) + 1, 0L, cols) : cols;
  const long v1 = min(c1, visible);
  TV mv = (TV)(-INFINITY);
  T ms = -INFINITY;
  FOR_COLS(c0, v1, mv = fmax(mv, scale * LDV(xr, c)), ms = fmax(ms, scale * LD(xr, c)))
  T mx;
  GROUP_REDUCE(fmax, fmax(hmax(mv), ms), mx)
  TV sv = (TV)(0);
  T ss = 0;
  FOR_COLS(c0, v1, const TV e = exp(scale * LDV(xr, c) - mx); VSTORE(e, 0, yr + c); sv += e,
           const T e = exp(scale * LD(xr, c) - mx); yr[c] = e; ss += e)
  T sum;
  GROUP_REDUCE(ADD, hsum(sv) + ss, sum)
  FOR_COLS(c0, v1, VSTORE(VLOAD(0, yr + c) / sum, 0, yr + c), yr[c] /= sum)
  for (long c = max(c0, v1); c < c1; ++c) yr[c] = 0;
}

// dx = scale * y * (dy - sum(dy * y)).
__kernel ATTR void softmax_backward(const long cols, const long chunk, const T scale,
                                    __global const T* restrict y, __global const T* restrict dy,
                                    __global T* restrict dx) {
  ROW_SETUP
  const long o = r * cols;
  TV dv = (TV)(0);
  T ds = 0;
  FOR_COLS(c0, c1, dv = fma(VLOAD(0, dy + o + c), VLOAD(0, y + o + c), dv),
           ds = fma(dy[o + c], y[o + c], ds))
  T dot;
  GROUP_REDUCE(ADD, hsum(dv) + ds, dot)
  FOR_COLS(c0, c1,
           VSTORE(scale * VLOAD(0, y + o + c) * (VLOAD(0, dy + o + c) - dot), 0, dx + o + c),
           dx[o + c] = scale * y[o + c] * (dy[o + c] - dot))
}

// Per row: loss_r = max + log(sum(exp(l - max))) - l[label] into partial[r],
// dlogits = (softmax - onehot(label)) / rows. A label outside [0, cols) gives
// a NaN loss (no out-of-bounds read).
__kernel ATTR void softmax_xent(const long cols, const long chunk, const long rows,
                                __global const T* restrict logits, __global const int* restrict labels,
                                __global T* restrict partial, __global T* restrict dlogits) {
  ROW_SETUP
  const long o = r * cols;
  TV mv = (TV)(-INFINITY);
  T ms = -INFINITY;
  FOR_COLS(c0, c1, mv = fmax(mv, VLOAD(0, logits + o + c)), ms = fmax(ms, logits[o + c]))
  T mx;
  GROUP_REDUCE(fmax, fmax(hmax(mv), ms), mx)
  TV sv = (TV)(0);
  T ss = 0;
  FOR_COLS(c0, c1, sv += exp(VLOAD(0, logits + o + c) - mx), ss += exp(logits[o + c] - mx))
  T sum;
  GROUP_REDUCE(ADD, hsum(sv) + ss, sum)
  const int label = labels[r];
  const bool ok = label >= 0 && label < cols;
  const T inv_rows = (T)1 / (T)rows;
  FOR_COLS(c0, c1,
           VSTORE((exp(VLOAD(0, logits + o + c) - mx) / sum) * inv_rows, 0, dlogits + o + c),
           dlogits[o + c] = (exp(logits[o + c] - mx) / sum) * inv_rows)
  if (ok && label >= c0 && label < c1)
    dlogits[o + label] = (exp(logits[o + label] - mx) / sum - (T)1) * inv_rows;
  if (lid == 0) partial[r] = ok ? mx + log(sum) - logits[o + label] : (T)NAN;
}

// loss[0] = sum(partial[0..count)) / count, in a fixed order.
__kernel ATTR void mean_of_partials(const long count, __global const T* restrict partial,
                                    __global T* restrict loss) {
  const int lid = get_local_id(0);
  __local T red[WGS];
  T s = 0;
  for (long i = lid; i < count; i += WGS) s += partial[i];
  T total;
  GROUP_REDUCE(ADD, s, total)
  if (lid == 0) loss[0] = total / (T)count;
}

// Layer-norm backward, per row: dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),
// g = dy * gamma, xhat = (x - mean) * rstd.
__kernel ATTR void layernorm_backward_dx(const long cols, const long chunk,
                                         __global const T* restrict x,
                                         __global const T* restrict gamma,
                                         __global const T* restrict mean,
                                         __global const T* restrict rstd,
                                         __global const T* restrict dy, __global T* restrict dx) {
  ROW_SETUP
  const long o = r * cols;
  const T mu = mean[r], rs = rstd[r];
  TV gv = (TV)(0), gxv = (TV)(0);
  T gs = 0, gxs = 0;
  FOR_COLS(c0, c1, const TV g = VLOAD(0, dy + o + c) * VLOAD(0, gamma + c);
           const TV xh = (VLOAD(0, x + o + c) - mu) * rs; gv += g; gxv = fma(g, xh, gxv),
           const T g = dy[o + c] * gamma[c]; const T xh = (x[o + c] - mu) * rs; gs += g;
           gxs = fma(g, xh, gxs))
  T g_sum, gx_sum;
  GROUP_REDUCE(ADD, hsum(gv) + gs, g_sum)
  GROUP_REDUCE(ADD, hsum(gxv) + gxs, gx_sum)
  const T g_mean = g_sum / (T)cols, gx_mean = gx_sum / (T)cols;
  FOR_COLS(c0, c1,
           const TV xh = (VLOAD(0, x + o + c) - mu) * rs;
           VSTORE(rs * (VLOAD(0, dy + o + c) * VLOAD(0, gamma + c) - g_mean - xh * gx_mean), 0,
                  dx + o + c),
           const T xh = (x[o + c] - mu) * rs;
           dx[o + c] = rs * (dy[o + c] * gamma[c] - g_mean - xh * gx_mean))
}

// Layer-norm backward, column sums over all rows (rows in order):
// dgamma = sum(dy * xhat), dbeta = sum(dy). Work-item w owns columns
// [w * VW, w * VW + VW).
__kernel void layernorm_backward_dparams(const long rows, const long cols,
                                         __global const T* restrict x,
                                         __global const T* restrict mean,
                                         __global const T* restrict rstd,
                                         __global const T* restrict dy,
                                         __global T* restrict dgamma, __global T* restrict dbeta) {
  const long c = (long)get_global_id(0) * VW;
  if (c >= cols) return;
  if (c + VW <= cols) {
    TV dg = (TV)(0), db = (TV)(0);
    for (long r = 0; r < rows; ++r) {
      const TV d = VLOAD(0, dy + r * cols + c);
      dg = fma(d, (VLOAD(0, x + r * cols + c) - mean[r]) * rstd[r], dg);
      db += d;
    }
    VSTORE(dg, 0, dgamma + c);
    VSTORE(db, 0, dbeta + c);
  } else {
    for (long e = c; e < cols; ++e) {
      T dg = 0, db = 0;
      for (long r = 0; r < rows; ++r) {
        const T d = dy[r * cols + e];
        dg = fma(d, (x[r * cols + e] - mean[r]) * rstd[r], dg);
        db += d;
      }
      dgamma[e] = dg;
      dbeta[e] = db;
    }
  }
}
