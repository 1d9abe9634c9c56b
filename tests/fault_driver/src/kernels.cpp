#include "kernels.hpp"

#include <cmath>
#include <cstring>
#include <string>

namespace chipcert::fault {
namespace {

[[noreturn]] void invalid(const std::string& what) {
  throw FaultError(CC_ERR_INVALID_ARGUMENT, "fault driver: " + what);
}

uint64_t mul(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) invalid("argument size overflows 64 bits");
  return r;
}

uint64_t add(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) invalid("argument size overflows 64 bits");
  return r;
}

uint64_t elem_size(uint32_t dtype) {
  return dtype == CC_DTYPE_F64 ? 8 : 4;
}

/// Elements spanned by a row-major rows x cols matrix with leading dim ld.
uint64_t span(int64_t rows, int64_t cols, int64_t ld) {
  if (rows == 0 || cols == 0) return 0;
  return add(mul(uint64_t(rows - 1), uint64_t(ld)), uint64_t(cols));
}

/// Elements from the first matrix of a batch to the end of the last.
uint64_t batched(uint64_t one, int64_t batch, int64_t stride) {
  if (one == 0 || batch == 1) return one;
  return add(mul(uint64_t(batch - 1), uint64_t(stride)), one);
}

void check_ld(const char* name, int64_t ld, int64_t cols) {
  if (ld < std::max<int64_t>(1, cols))
    invalid(std::string("GEMM ") + name + " = " + std::to_string(ld) + " is smaller than the " +
            std::to_string(cols) + " columns of the stored matrix");
}

void plan_gemm(Plan& p) {
  cc_gemm_params& g = p.op.u.gemm;
  if (g.m < 0 || g.n < 0 || g.k < 0 || g.batch < 0) invalid("GEMM m, n, k and batch must be >= 0");
  if (g.trans_a > 1 || g.trans_b > 1) invalid("GEMM trans_a and trans_b must be 0 or 1");
  if (g.batch == 0) g.batch = 1;  // descriptors written before batching
  const int64_t a_rows = g.trans_a ? g.k : g.m, a_cols = g.trans_a ? g.m : g.k;
  const int64_t b_rows = g.trans_b ? g.n : g.k, b_cols = g.trans_b ? g.k : g.n;
  check_ld("lda", g.lda, a_cols);
  check_ld("ldb", g.ldb, b_cols);
  check_ld("ldc", g.ldc, g.n);
  const uint64_t sa = span(a_rows, a_cols, g.lda), sb = span(b_rows, b_cols, g.ldb),
                 sc = span(g.m, g.n, g.ldc);
  if (g.batch > 1) {
    if (g.stride_a < 0 || g.stride_b < 0) invalid("GEMM stride_a and stride_b must be >= 0");
    if (g.stride_c < 0 || uint64_t(g.stride_c) < sc)
      invalid("GEMM stride_c = " + std::to_string(g.stride_c) + " makes the C matrices overlap");
  }
  const uint64_t es = elem_size(p.op.dtype);
  p.arg_bytes = {mul(batched(sa, g.batch, g.stride_a), es),
                 mul(batched(sb, g.batch, g.stride_b), es),
                 mul(batched(sc, g.batch, g.stride_c), es)};
  p.output = 2;
  p.outputs = mul(mul(uint64_t(g.batch), uint64_t(g.m)), uint64_t(g.n));
}

void plan_stream(Plan& p) {
  const int64_t n = p.op.u.stream.n;
  if (n < 0) invalid("STREAM n = " + std::to_string(n) + " must be >= 0");
  const uint64_t bytes = mul(uint64_t(n), elem_size(p.op.dtype));
  const uint64_t es = elem_size(p.op.dtype);
  switch (p.op.kind) {
    case CC_OP_STREAM_COPY:
    case CC_OP_STREAM_MUL:
      p.arg_bytes = {bytes, bytes};
      p.output = 1;
      p.outputs = uint64_t(n);
      break;
    case CC_OP_STREAM_DOT:
      p.arg_bytes = {bytes, bytes, es};
      p.output = 2;
      p.outputs = 1;
      break;
    default:  // add, triad
      p.arg_bytes = {bytes, bytes, bytes};
      p.output = 2;
      p.outputs = uint64_t(n);
      break;
  }
}

/// C = alpha*op(A)*op(B) + beta*C, accumulated in double one row at a time.
/// BLAS semantics: beta == 0 never reads C, so NaNs in it do not survive.
template <class T>
void gemm(const cc_gemm_params& g, const T* a, const T* b, T* c) {
  std::vector<double> acc(size_t(g.n));
  for (int64_t bt = 0; bt < g.batch; ++bt) {
    const T* ab = a + bt * g.stride_a;
    const T* bb = b + bt * g.stride_b;
    T* cb = c + bt * g.stride_c;
    for (int64_t i = 0; i < g.m; ++i) {
      std::fill(acc.begin(), acc.end(), 0.0);
      if (g.alpha != 0)
        for (int64_t p = 0; p < g.k; ++p) {
          const double x = double(g.trans_a ? ab[p * g.lda + i] : ab[i * g.lda + p]);
          for (int64_t j = 0; j < g.n; ++j)
            acc[size_t(j)] += x * double(g.trans_b ? bb[j * g.ldb + p] : bb[p * g.ldb + j]);
        }
      for (int64_t j = 0; j < g.n; ++j) {
        T& out = cb[i * g.ldc + j];
        const double prod = g.alpha == 0 ? 0.0 : g.alpha * acc[size_t(j)];
        out = static_cast<T>(g.beta == 0 ? prod : prod + g.beta * double(out));
      }
    }
  }
}

template <class T>
void stream(const cc_op_desc& op, void* const* d) {
  const auto n = op.u.stream.n;
  const T s = static_cast<T>(op.u.stream.scalar);
  const T* x = static_cast<const T*>(d[0]);
  const T* y = static_cast<const T*>(d[1]);
  switch (op.kind) {
    case CC_OP_STREAM_COPY:  // c = a
      for (int64_t i = 0; i < n; ++i) static_cast<T*>(d[1])[i] = x[i];
      break;
    case CC_OP_STREAM_MUL:  // b = scalar*c
      for (int64_t i = 0; i < n; ++i) static_cast<T*>(d[1])[i] = s * x[i];
      break;
    case CC_OP_STREAM_ADD:  // c = a + b
      for (int64_t i = 0; i < n; ++i) static_cast<T*>(d[2])[i] = x[i] + y[i];
      break;
    case CC_OP_STREAM_TRIAD:  // a = b + scalar*c
      for (int64_t i = 0; i < n; ++i) static_cast<T*>(d[2])[i] = x[i] + s * y[i];
      break;
    default: {  // dot; long double keeps the sum well inside any verifier's bound
      long double sum = 0;
      for (int64_t i = 0; i < n; ++i) sum += static_cast<long double>(x[i]) * y[i];
      *static_cast<T*>(d[2]) = static_cast<T>(sum);
    }
  }
}

/// Byte offset of logical output element i.
uint64_t offset(const Plan& p, uint64_t i) {
  uint64_t elem = i;
  if (p.op.kind == CC_OP_GEMM) {
    const cc_gemm_params& g = p.op.u.gemm;
    const uint64_t per = uint64_t(g.m) * uint64_t(g.n);
    const uint64_t bt = i / per, r = (i % per) / uint64_t(g.n), col = i % uint64_t(g.n);
    elem = bt * uint64_t(g.stride_c) + r * uint64_t(g.ldc) + col;
  }
  return elem * elem_size(p.op.dtype);
}

}  // namespace

Plan plan_op(const cc_op_desc& op) {
  if (op.struct_size < sizeof(cc_op_desc))
    invalid("op descriptor struct_size " + std::to_string(op.struct_size) + " < " +
            std::to_string(sizeof(cc_op_desc)));
  Plan p;
  p.op = op;
  const char* kind = op_kind_name(op.kind);
  if (op.kind == CC_OP_NOOP) return p;
  if (op.kind > CC_OP_STREAM_DOT)
    throw FaultError(CC_ERR_UNSUPPORTED,
                     std::string("fault driver implements only noop, gemm and stream_*; not ") +
                         (kind ? kind : "op kind " + std::to_string(op.kind)));
  if ((op.dtype != CC_DTYPE_F32 && op.dtype != CC_DTYPE_F64) || op.acc_dtype != op.dtype)
    throw FaultError(CC_ERR_UNSUPPORTED,
                     std::string("fault driver runs ") + kind +
                         " only with dtype = acc_dtype = fp32 or fp64 (got dtype " +
                         std::to_string(op.dtype) + ", acc_dtype " + std::to_string(op.acc_dtype) +
                         ")");
  if (op.kind == CC_OP_GEMM)
    plan_gemm(p);
  else
    plan_stream(p);
  return p;
}

void run(const Plan& p, void* const* d) {
  const bool f64 = p.op.dtype == CC_DTYPE_F64;
  if (p.op.kind == CC_OP_NOOP) return;
  if (p.op.kind == CC_OP_GEMM) {
    if (f64)
      gemm(p.op.u.gemm, static_cast<const double*>(d[0]), static_cast<const double*>(d[1]),
           static_cast<double*>(d[2]));
    else
      gemm(p.op.u.gemm, static_cast<const float*>(d[0]), static_cast<const float*>(d[1]),
           static_cast<float*>(d[2]));
    return;
  }
  if (f64)
    stream<double>(p.op, d);
  else
    stream<float>(p.op, d);
}

// memcpy instead of typed pointers: an output element may sit at any offset
// the descriptor allows, and this keeps UBSan's alignment checks quiet.
double get_output(const Plan& p, const void* out, uint64_t i) {
  const auto* at = static_cast<const unsigned char*>(out) + offset(p, i);
  if (p.op.dtype == CC_DTYPE_F64) {
    double v;
    std::memcpy(&v, at, sizeof v);
    return v;
  }
  float v;
  std::memcpy(&v, at, sizeof v);
  return v;
}

void set_output(const Plan& p, void* out, uint64_t i, double v) {
  auto* at = static_cast<unsigned char*>(out) + offset(p, i);
  if (p.op.dtype == CC_DTYPE_F64) {
    std::memcpy(at, &v, sizeof v);
  } else {
    const auto f = static_cast<float>(v);
    std::memcpy(at, &f, sizeof f);
  }
}

void nudge_output(const Plan& p, void* out, uint64_t i) {
  const double v = get_output(p, out, i);
  if (v == 0 || !std::isfinite(v)) return;
  const double away = std::copysign(INFINITY, v);
  if (p.op.dtype == CC_DTYPE_F64)
    set_output(p, out, i, std::nextafter(v, away));
  else
    set_output(p, out, i, std::nextafter(static_cast<float>(v), static_cast<float>(away)));
}

uint64_t default_output_index(const Plan& p) {
  if (p.op.kind != CC_OP_GEMM) return p.outputs / 2;
  const cc_gemm_params& g = p.op.u.gemm;
  return uint64_t(g.batch / 2) * uint64_t(g.m) * uint64_t(g.n) + uint64_t(g.n / 2);
}

}  // namespace chipcert::fault
