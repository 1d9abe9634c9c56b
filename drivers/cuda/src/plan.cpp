#include "plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "error.hpp"

namespace chipcert::cuda {
namespace {

[[noreturn]] void invalid(const cc_op_desc& op, const std::string& what) {
  throw Error(CC_ERR_INVALID_ARGUMENT, op_name(op.kind) + ": " + what);
}

[[noreturn]] void unsupported(const cc_op_desc& op, const std::string& what) {
  throw Error(CC_ERR_UNSUPPORTED, op_name(op.kind) + ": " + what);
}

/// a * b (* c ...) as uint64, INVALID_ARGUMENT on overflow or a negative factor.
uint64_t product(const cc_op_desc& op, std::initializer_list<int64_t> factors) {
  uint64_t p = 1;
  for (const int64_t f : factors) {
    if (f < 0) invalid(op, "negative size " + std::to_string(f));
    if (__builtin_mul_overflow(p, static_cast<uint64_t>(f), &p))
      invalid(op, "shape spans more than 2^64 bytes");
  }
  return p;
}

std::string pair_name(uint32_t dtype, uint32_t acc) {
  return dtype_name(dtype) + "/" + dtype_name(acc);
}

/// The precision of a floating-point op whose inputs are `dtype` and whose
/// accumulation and outputs are `acc`; tf32 only where products are rounded.
Prec float_pair(const cc_op_desc& op, bool allow_tf32) {
  const uint32_t d = op.dtype, a = op.acc_dtype;
  if (d == CC_DTYPE_F64 && a == CC_DTYPE_F64) return Prec::f64;
  if (a == CC_DTYPE_F32) {
    if (d == CC_DTYPE_F32 || (allow_tf32 && d == CC_DTYPE_TF32)) return Prec::f32;
    if (d == CC_DTYPE_F16) return Prec::f16;
    if (d == CC_DTYPE_BF16) return Prec::bf16;
  }
  unsupported(op, "dtype/acc_dtype " + pair_name(d, a) +
                      " is not supported; this driver runs fp32/fp32, fp16/fp32, bf16/fp32" +
                      (allow_tf32 ? ", tf32/fp32" : "") + " and fp64/fp64");
}

/// Ops whose every argument is acc_dtype (backward passes, optimiser, loss).
bool acc_is_f64(const cc_op_desc& op) {
  return float_pair(op, false) == Prec::f64;
}

uint32_t in_bytes(Prec p) {
  return p == Prec::f64 ? 8 : p == Prec::f32 ? 4 : p == Prec::i8 ? 1 : 2;
}
uint32_t acc_bytes(Prec p) {
  return p == Prec::f64 ? 8 : 4;
}

void require_finite(const cc_op_desc& op, const char* name, double v) {
  if (!std::isfinite(v)) invalid(op, std::string(name) + " must be finite");
}

/// Elements spanned by `batch` row-major rows x cols matrices with leading
/// dimension ld whose starts are `stride` elements apart.
uint64_t span(const cc_op_desc& op, int64_t rows, int64_t cols, int64_t ld, int64_t batch,
              int64_t stride) {
  if (rows == 0 || cols == 0) return 0;
  uint64_t one = product(op, {rows - 1, ld});
  uint64_t total = 0;
  if (__builtin_add_overflow(one, static_cast<uint64_t>(cols), &one) ||
      __builtin_add_overflow(product(op, {batch - 1, stride}), one, &total))
    invalid(op, "shape spans more than 2^64 elements");
  return total;
}

void plan_gemm_args(OpPlan& plan) {
  cc_op_desc& op = plan.op;
  cc_gemm_params& g = op.u.gemm;
  const bool int8 = op.dtype == CC_DTYPE_I8;
  if (int8) {
    if (op.acc_dtype != CC_DTYPE_I32)
      unsupported(op, "int8 inputs need acc_dtype int32, got " + dtype_name(op.acc_dtype));
  } else {
    float_pair(op, true);
  }
  if (g.m < 0 || g.n < 0 || g.k < 0 || g.batch < 0)
    invalid(op, "m, n, k and batch must be >= 0, got m=" + std::to_string(g.m) +
                    " n=" + std::to_string(g.n) + " k=" + std::to_string(g.k) +
                    " batch=" + std::to_string(g.batch));
  if (g.trans_a > 1 || g.trans_b > 1) invalid(op, "trans_a and trans_b must be 0 or 1");
  if (g.batch == 0) g.batch = 1;  // descriptors written before batching existed
  constexpr int64_t kMax32 = std::numeric_limits<int32_t>::max();
  if (g.batch > kMax32) unsupported(op, "batch above 2^31-1 is not supported by cuBLASLt");
  require_finite(op, "alpha", g.alpha);
  require_finite(op, "beta", g.beta);
  if (int8) {
    const auto integral = [](double v) {
      return v == std::trunc(v) && std::fabs(v) <= 2147483647.0;
    };
    if (!integral(g.alpha) || !integral(g.beta))
      unsupported(op, "int8 GEMM scales in int32: alpha and beta must be integers");
  }
  const int64_t a_rows = g.trans_a ? g.k : g.m, a_cols = g.trans_a ? g.m : g.k;
  const int64_t b_rows = g.trans_b ? g.n : g.k, b_cols = g.trans_b ? g.k : g.n;
  const auto check_ld = [&](const char* name, int64_t ld, int64_t cols) {
    if (ld < std::max<int64_t>(1, cols))
      invalid(op, std::string(name) + "=" + std::to_string(ld) + " is less than the " +
                      std::to_string(cols) + " columns of the stored matrix");
  };
  check_ld("lda", g.lda, a_cols);
  check_ld("ldb", g.ldb, b_cols);
  check_ld("ldc", g.ldc, g.n);
  if (g.batch > 1) {
    if (g.stride_a < 0 || g.stride_b < 0) invalid(op, "stride_a and stride_b must be >= 0");
    // Inputs may be shared across the batch (stride 0); outputs must not overlap.
    const uint64_t c_one = span(op, g.m, g.n, g.ldc, 1, 0);
    if (g.stride_c < 0 || static_cast<uint64_t>(g.stride_c) < c_one)
      invalid(op, "stride_c=" + std::to_string(g.stride_c) +
                      " makes the batch's C matrices overlap (each spans " + std::to_string(c_one) +
                      " elements)");
  }
  const uint32_t in = dtype_bytes(op.dtype), out = dtype_bytes(op.acc_dtype);
  const int64_t bt = g.batch;
  plan.args = {{"A", product(op, {int64_t(span(op, a_rows, a_cols, g.lda, bt, g.stride_a)), in})},
               {"B", product(op, {int64_t(span(op, b_rows, b_cols, g.ldb, bt, g.stride_b)), in})},
               {"C", product(op, {int64_t(span(op, g.m, g.n, g.ldc, bt, g.stride_c)), out})}};
  plan.empty = g.m == 0 || g.n == 0;
}

}  // namespace

std::string op_name(uint32_t kind) {
  const char* name = cc_op_kind_name(kind);
  return name ? name : "op kind " + std::to_string(kind);
}

std::string dtype_name(uint32_t dtype) {
  static const char* const names[] = {"fp64", "fp32", "fp16", "bf16", "int8", "int32", "tf32"};
  static_assert(sizeof names / sizeof names[0] == CC_DTYPE_COUNT_);
  return dtype < CC_DTYPE_COUNT_ ? names[dtype] : "dtype " + std::to_string(dtype);
}

uint32_t dtype_bytes(uint32_t dtype) {
  static const uint32_t sizes[] = {8, 4, 2, 2, 1, 4, 4};
  return dtype < CC_DTYPE_COUNT_ ? sizes[dtype] : 0;
}

std::string machine_code_for(int cc) {
  if (cc < 80) return "none";
  if (cc < 90) return "sm_80 SASS";
  if (cc < 100) return "sm_90 SASS";
  return "compute_90 PTX, JIT-compiled";
}

double round_to_dtype(double value, uint32_t dtype) {
  if (dtype != CC_DTYPE_F16 && dtype != CC_DTYPE_BF16) return value;
  const float f = static_cast<float>(value);
  if (!std::isfinite(f)) return f;
  if (dtype == CC_DTYPE_BF16) {  // keep 8 significant bits: round the low 16 bits away
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u += 0x7fffu + ((u >> 16) & 1u);
    u &= 0xffff0000u;
    float r;
    std::memcpy(&r, &u, 4);
    return r;
  }
  // binary16: 11 significant bits, smallest normal 2^-14, subnormal step 2^-24,
  // largest finite 65504. nearbyint rounds to nearest even (default mode).
  const double d = f;
  if (d == 0) return d;
  const int e = std::max(std::ilogb(d), -14);
  const double step = std::ldexp(1.0, e - 10);
  const double r = std::nearbyint(d / step) * step;
  if (std::fabs(r) > 65504.0) return std::copysign(std::numeric_limits<double>::infinity(), d);
  return r;
}

OpPlan plan_op(const cc_op_desc& in) {
  OpPlan plan;
  plan.op = in;
  cc_op_desc& op = plan.op;
  const auto n_bytes = [&](int64_t n, uint32_t size) { return product(op, {n, size}); };
  switch (op.kind) {
    case CC_OP_NOOP:
      return plan;
    case CC_OP_GEMM:
      plan_gemm_args(plan);
      return plan;
    case CC_OP_STREAM_COPY:
    case CC_OP_STREAM_MUL:
    case CC_OP_STREAM_ADD:
    case CC_OP_STREAM_TRIAD:
    case CC_OP_STREAM_DOT: {
      if (!((op.dtype == CC_DTYPE_F32 || op.dtype == CC_DTYPE_F64) && op.acc_dtype == op.dtype))
        unsupported(op, "dtype/acc_dtype " + pair_name(op.dtype, op.acc_dtype) +
                            " is not supported; STREAM runs fp32/fp32 and fp64/fp64");
      plan.prec = op.dtype == CC_DTYPE_F64 ? Prec::f64 : Prec::f32;
      const int64_t n = op.u.stream.n;
      if (n < 0) invalid(op, "n=" + std::to_string(n) + " must be >= 0");
      require_finite(op, "scalar", op.u.stream.scalar);
      const uint64_t b = n_bytes(n, dtype_bytes(op.dtype));
      static const char* const names[][3] = {
          {"a", "c", ""}, {"c", "b", ""}, {"a", "b", "c"}, {"b", "c", "a"}, {"a", "b", "s"}};
      const auto& nm = names[op.kind - CC_OP_STREAM_COPY];
      plan.args = {{nm[0], b}, {nm[1], b}};
      if (op.kind == CC_OP_STREAM_DOT)
        plan.args.push_back({"s", dtype_bytes(op.dtype)});
      else if (op.kind != CC_OP_STREAM_COPY && op.kind != CC_OP_STREAM_MUL)
        plan.args.push_back({nm[2], b});
      plan.empty = n == 0 && op.kind != CC_OP_STREAM_DOT;  // dot still writes s = 0
      return plan;
    }
    case CC_OP_PEAK: {
      const uint32_t d = op.dtype, a = op.acc_dtype;
      const bool ok =
          (d == CC_DTYPE_F64 && a == CC_DTYPE_F64) ||
          ((d == CC_DTYPE_F32 || d == CC_DTYPE_TF32 || d == CC_DTYPE_F16 || d == CC_DTYPE_BF16) &&
           a == CC_DTYPE_F32) ||
          (d == CC_DTYPE_I8 && a == CC_DTYPE_I32);
      if (!ok)
        unsupported(op, "dtype/acc_dtype " + pair_name(d, a) +
                            " is not supported; peak runs fp64/fp64, fp32, tf32, fp16, "
                            "bf16 with fp32, and int8/int32");
      const cc_peak_params& p = op.u.peak;
      if (p.n < 0 || p.iterations < 0)
        invalid(op, "n and iterations must be >= 0, got n=" + std::to_string(p.n) +
                        " iterations=" + std::to_string(p.iterations));
      require_finite(op, "alpha", p.alpha);
      require_finite(op, "beta", p.beta);
      if (d == CC_DTYPE_I8 && (p.alpha < -128 || p.alpha >= 128 || p.beta < -128 || p.beta >= 128))
        invalid(op, "int8 peak needs alpha and beta in [-128, 128)");
      const uint64_t b = n_bytes(p.n, dtype_bytes(a));
      plan.args = {{"x", b}, {"y", b}};
      plan.empty = p.n == 0;
      return plan;
    }
    case CC_OP_CONV2D: {
      plan.prec =
          op.dtype == CC_DTYPE_I8 && op.acc_dtype == CC_DTYPE_I32 ? Prec::i8 : float_pair(op, true);
      const cc_conv2d_params& c = op.u.conv2d;
      if (c.n < 0 || c.c < 1 || c.h < 1 || c.w < 1 || c.k < 1 || c.r < 1 || c.s < 1)
        invalid(op, "n must be >= 0 and c, h, w, k, r, s >= 1");
      if (c.stride_h < 1 || c.stride_w < 1 || c.dilation_h < 1 || c.dilation_w < 1 || c.pad_h < 0 ||
          c.pad_w < 0)
        invalid(op, "strides and dilations must be >= 1 and pads >= 0");
      if (c.groups < 1 || c.c % c.groups != 0 || c.k % c.groups != 0)
        invalid(op, "groups=" + std::to_string(c.groups) + " must be >= 1 and divide c=" +
                        std::to_string(c.c) + " and k=" + std::to_string(c.k));
      if (c.layout != CC_LAYOUT_NCHW && c.layout != CC_LAYOUT_NHWC)
        invalid(op, "layout " + std::to_string(c.layout) + " is neither NCHW (0) nor NHWC (1)");
      const int64_t ph = c.h + 2 * c.pad_h - c.dilation_h * (c.r - 1) - 1;
      const int64_t pw = c.w + 2 * c.pad_w - c.dilation_w * (c.s - 1) - 1;
      if (ph < 0 || pw < 0) invalid(op, "the dilated filter is larger than the padded input");
      const int64_t p = ph / c.stride_h + 1, q = pw / c.stride_w + 1;
      const uint32_t ib = in_bytes(plan.prec), ab = acc_bytes(plan.prec);
      plan.args = {{"x", product(op, {c.n, c.c, c.h, c.w, ib})},
                   {"w", product(op, {c.k, c.c / c.groups, c.r, c.s, ib})},
                   {"y", product(op, {c.n, c.k, p, q, ab})}};
      if (product(op, {c.n, c.k, p, q}) > (uint64_t{1} << 40))
        unsupported(op, "more than 2^40 output elements");
      plan.empty = c.n == 0;
      return plan;
    }
    case CC_OP_ATTENTION: {
      plan.prec = float_pair(op, false);
      const cc_attention_params& a = op.u.attention;
      if (a.batch < 0 || a.heads < 0 || a.seq_q < 0 || a.seq_kv < 0 || a.head_dim < 0)
        invalid(op, "batch, heads, seq_q, seq_kv and head_dim must be >= 0");
      require_finite(op, "scale", a.scale);
      if (a.layout > CC_ATTN_BSHD)
        invalid(op, "layout " + std::to_string(a.layout) + " is not BHSD (0) or BSHD (1)");
      if (a.head_dim > kMaxHeadDim)
        unsupported(op, "head_dim " + std::to_string(a.head_dim) + " is above the " +
                            std::to_string(kMaxHeadDim) + " this kernel supports");
      // One block per (batch, head, group of query rows): the grid's x limit.
      const int64_t tiles = (a.seq_q + attention_warps(a) - 1) / attention_warps(a);
      if (product(op, {a.batch, a.heads, tiles}) > 0x7fffffffull)
        unsupported(op, "batch*heads*ceil(seq_q/" + std::to_string(attention_warps(a)) +
                            ") above 2^31-1 blocks is not supported");
      const uint32_t ib = in_bytes(plan.prec), ab = acc_bytes(plan.prec);
      const uint64_t kv = product(op, {a.batch, a.heads, a.seq_kv, a.head_dim, ib});
      plan.args = {{"q", product(op, {a.batch, a.heads, a.seq_q, a.head_dim, ib})},
                   {"k", kv},
                   {"v", kv},
                   {"o", product(op, {a.batch, a.heads, a.seq_q, a.head_dim, ab})}};
      plan.empty = a.batch == 0 || a.heads == 0 || a.seq_q == 0 || a.head_dim == 0;
      return plan;
    }
    case CC_OP_LAYERNORM:
    case CC_OP_SOFTMAX:
    case CC_OP_LAYERNORM_BACKWARD:
    case CC_OP_SOFTMAX_BACKWARD:
    case CC_OP_SOFTMAX_XENT: {
      const bool forward = op.kind == CC_OP_LAYERNORM || op.kind == CC_OP_SOFTMAX;
      plan.prec = forward ? float_pair(op, false) : (acc_is_f64(op) ? Prec::f64 : Prec::f32);
      const cc_rows_params& r = op.u.rows;
      if (r.rows < 0 || r.cols < 0) invalid(op, "rows and cols must be >= 0");
      const uint32_t ib = in_bytes(plan.prec), ab = acc_bytes(plan.prec);
      const uint64_t in_mat = product(op, {r.rows, r.cols, ib});
      const uint64_t acc_mat = product(op, {r.rows, r.cols, ab});
      const uint64_t acc_rows = product(op, {r.rows, ab}), acc_cols = product(op, {r.cols, ab});
      switch (op.kind) {
        case CC_OP_LAYERNORM:
          if (!(r.eps >= 0) || !std::isfinite(r.eps)) invalid(op, "eps must be finite and >= 0");
          plan.args = {{"x", in_mat},
                       {"gamma", product(op, {r.cols, ib})},
                       {"beta", product(op, {r.cols, ib})},
                       {"y", acc_mat},
                       {"mean", acc_rows},
                       {"rstd", acc_rows}};
          break;
        case CC_OP_LAYERNORM_BACKWARD:
          plan.args = {{"x", acc_mat},       {"gamma", acc_cols}, {"mean", acc_rows},
                       {"rstd", acc_rows},   {"dy", acc_mat},     {"dx", acc_mat},
                       {"dgamma", acc_cols}, {"dbeta", acc_cols}};
          break;
        case CC_OP_SOFTMAX:
          require_finite(op, "scale", r.scale);
          if (r.causal && r.seq_q < 1) invalid(op, "causal softmax needs seq_q >= 1");
          plan.args = {{"x", in_mat}, {"y", acc_mat}};
          break;
        case CC_OP_SOFTMAX_BACKWARD:
          require_finite(op, "scale", r.scale);
          plan.args = {{"y", acc_mat}, {"dy", acc_mat}, {"dx", acc_mat}};
          break;
        default:  // SOFTMAX_XENT: a mean over rows needs at least one row
          if (r.rows < 1 || r.cols < 1) invalid(op, "softmax_xent needs rows >= 1 and cols >= 1");
          plan.args = {{"logits", acc_mat},
                       {"labels", product(op, {r.rows, 4})},
                       {"loss", ab},
                       {"dlogits", acc_mat}};
          break;
      }
      if (r.rows > 0x7fffffff || r.cols > 0x7fffffff)  // a block per row, int grid
        unsupported(op, "rows and cols above 2^31-1 are not supported");
      plan.empty = r.rows == 0 || r.cols == 0;
      return plan;
    }
    case CC_OP_GELU:
    case CC_OP_ADD:
    case CC_OP_MUL:
    case CC_OP_GELU_BACKWARD: {
      const bool backward = op.kind == CC_OP_GELU_BACKWARD;
      plan.prec = backward ? (acc_is_f64(op) ? Prec::f64 : Prec::f32) : float_pair(op, false);
      const int64_t n = op.u.eltwise.n;
      if (n < 0) invalid(op, "n=" + std::to_string(n) + " must be >= 0");
      const uint64_t in = n_bytes(n, backward ? acc_bytes(plan.prec) : in_bytes(plan.prec));
      const uint64_t out = n_bytes(n, acc_bytes(plan.prec));
      if (op.kind == CC_OP_GELU)
        plan.args = {{"x", in}, {"y", out}};
      else if (backward)
        plan.args = {{"x", out}, {"dy", out}, {"dx", out}};
      else
        plan.args = {{"a", in}, {"b", in}, {"y", out}};
      plan.empty = n == 0;
      return plan;
    }
    case CC_OP_ADAMW: {
      plan.prec = acc_is_f64(op) ? Prec::f64 : Prec::f32;
      const cc_adamw_params& a = op.u.adamw;
      if (a.n < 0) invalid(op, "n=" + std::to_string(a.n) + " must be >= 0");
      if (a.step < 1) invalid(op, "step=" + std::to_string(a.step) + " must be >= 1 (1-based)");
      if (!(a.beta1 >= 0 && a.beta1 < 1 && a.beta2 >= 0 && a.beta2 < 1))
        invalid(op, "beta1 and beta2 must be in [0, 1)");
      require_finite(op, "lr", a.lr);
      require_finite(op, "eps", a.eps);
      require_finite(op, "weight_decay", a.weight_decay);
      const uint64_t b = n_bytes(a.n, acc_bytes(plan.prec));
      plan.args = {{"param", b}, {"grad", b}, {"m", b}, {"v", b}};
      plan.empty = a.n == 0;
      return plan;
    }
    default:
      unsupported(op, "this op kind is not known to the cuda driver (ABI has " +
                          std::to_string(CC_OP_KIND_COUNT_) + " kinds)");
  }
}

GemmPlan plan_gemm(const cc_op_desc& op, bool stage_int8) {
  const cc_gemm_params& g = op.u.gemm;
  GemmPlan p;
  p.batch = static_cast<int32_t>(g.batch < 1 ? 1 : g.batch);
  p.alpha = g.alpha;
  p.beta = g.beta;
  p.empty = g.m == 0 || g.n == 0;
  p.scale_only = !p.empty && (g.k == 0 || g.alpha == 0);
  switch (op.dtype) {
    case CC_DTYPE_F64:
      p.in_type = p.out_type = p.scale_type = CUDA_R_64F;
      p.compute = CUBLAS_COMPUTE_64F;
      break;
    case CC_DTYPE_TF32:  // fp32 storage, tensor-core products with tf32 inputs
      p.compute = CUBLAS_COMPUTE_32F_FAST_TF32;
      break;
    case CC_DTYPE_F16:
      p.in_type = CUDA_R_16F;
      break;
    case CC_DTYPE_BF16:
      p.in_type = CUDA_R_16BF;
      break;
    case CC_DTYPE_I8:
      p.in_type = CUDA_R_8I;
      p.out_type = p.scale_type = CUDA_R_32I;
      p.compute = CUBLAS_COMPUTE_32I;
      break;
    default:  // fp32: CUBLAS_COMPUTE_32F never uses reduced-precision products
      break;
  }
  // Row-major C (m x n) = column-major C^T (n x m) = op(B)^T * op(A)^T.
  p.m = static_cast<uint64_t>(g.n);
  p.n = static_cast<uint64_t>(g.m);
  p.k = static_cast<uint64_t>(g.k);
  const int64_t bs = p.batch > 1 ? 1 : 0;  // strides only matter for a batch
  // X = our B: row-major k x n (n x k when trans_b) is column-major n x k (k x n).
  p.op_x = g.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  p.x = {static_cast<uint64_t>(g.trans_b ? g.k : g.n), static_cast<uint64_t>(g.trans_b ? g.n : g.k),
         g.ldb, bs * g.stride_b};
  // Y = our A: row-major m x k (k x m when trans_a) is column-major k x m (m x k).
  p.op_y = g.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  p.y = {static_cast<uint64_t>(g.trans_a ? g.m : g.k), static_cast<uint64_t>(g.trans_a ? g.k : g.m),
         g.lda, bs * g.stride_a};
  p.c = {p.m, p.n, g.ldc, bs * g.stride_c};
  if (op.dtype != CC_DTYPE_I8 || !stage_int8 || p.empty || p.scale_only) return p;

  // Integer tensor-core kernels on regular (column) order need "TN": X
  // transposed, Y not, i.e. both stored k-contiguous, with leading dimensions
  // and k multiples of 4. An operand that is not already so is copied into
  // that form; when k % 4 != 0 both are, zero-padded to kp (exact: the
  // padding multiplies zeros).
  const int64_t k = g.k, kp = (k + 15) / 16 * 16;
  const bool pad_k = k % 4 != 0;
  const auto aligned = [](int64_t ld, int64_t stride) { return ld % 16 == 0 && stride % 16 == 0; };
  const bool stage_x = pad_k || !g.trans_b || !aligned(g.ldb, p.x.stride);
  const bool stage_y = pad_k || g.trans_a || !aligned(g.lda, p.y.stride);
  const int64_t kk = pad_k ? (k + 3) / 4 * 4 : k;
  const auto stage = [&](int arg, int64_t rows, int64_t row_stride, int64_t col_stride,
                         int64_t stride_in, LtMatrix& m) {
    Staging s;
    s.arg = arg;
    s.rows = rows;
    s.k = k;
    s.ld_out = kp;
    s.row_stride = row_stride;
    s.col_stride = col_stride;
    s.stride_in = stride_in;
    s.bytes = static_cast<uint64_t>(p.batch) * static_cast<uint64_t>(rows * kp);
    // Column-major kk x rows, k contiguous: X is then used transposed, Y not.
    m = {static_cast<uint64_t>(kk), static_cast<uint64_t>(rows), kp, p.batch > 1 ? rows * kp : 0};
    p.staging.push_back(s);
  };
  // Element (j, p) of op(B)^T (n x k) and of op(A) (m x k) in the stored buffers.
  if (stage_x) {
    if (g.trans_b)
      stage(1, g.n, g.ldb, 1, p.x.stride, p.x);
    else
      stage(1, g.n, 1, g.ldb, p.x.stride, p.x);
    p.op_x = CUBLAS_OP_T;
  }
  if (stage_y) {
    if (g.trans_a)
      stage(0, g.m, 1, g.lda, p.y.stride, p.y);
    else
      stage(0, g.m, g.lda, 1, p.y.stride, p.y);
    p.op_y = CUBLAS_OP_N;
  }
  p.k = static_cast<uint64_t>(kk);
  return p;
}

}  // namespace chipcert::cuda
