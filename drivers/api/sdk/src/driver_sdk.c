/* chipcert driver SDK helpers: tables derived from driver.h, one place for all drivers. */
#include <chipcert/driver_sdk.h>

uint32_t cc_sdk_abi_version(void) {
  return CC_DRIVER_ABI_VERSION;
}

const char* cc_status_string(int status) {
  switch (status) {
    case CC_OK:
      return "CC_OK";
    case CC_ERR_UNSUPPORTED:
      return "CC_ERR_UNSUPPORTED";
    case CC_ERR_INVALID_ARGUMENT:
      return "CC_ERR_INVALID_ARGUMENT";
    case CC_ERR_OUT_OF_MEMORY:
      return "CC_ERR_OUT_OF_MEMORY";
    case CC_ERR_DEVICE:
      return "CC_ERR_DEVICE";
    case CC_ERR_INTERNAL:
      return "CC_ERR_INTERNAL";
    default:
      return "CC_ERR_<unknown>";
  }
}

const char* cc_dtype_name(uint32_t dtype) {
  static const char* const names[CC_DTYPE_COUNT_] = {"fp64", "fp32",  "fp16", "bf16",
                                                     "int8", "int32", "tf32"};
  return dtype < CC_DTYPE_COUNT_ ? names[dtype] : (const char*)0;
}

uint32_t cc_dtype_size(uint32_t dtype) {
  static const uint32_t sizes[CC_DTYPE_COUNT_] = {8, 4, 2, 2, 1, 4, 4};
  return dtype < CC_DTYPE_COUNT_ ? sizes[dtype] : 0u;
}

/* Buffer names per op kind, in launch order, as driver.h documents them. */
static const char* const* op_args(uint32_t kind, int* count) {
  static const char* const none[1] = {0};
  static const char* const gemm[] = {"A", "B", "C"};
  static const char* const copy[] = {"a", "c"};
  static const char* const smul[] = {"c", "b"};
  static const char* const sadd[] = {"a", "b", "c"};
  static const char* const triad[] = {"b", "c", "a"};
  static const char* const dot[] = {"a", "b", "s"};
  static const char* const xy[] = {"x", "y"};
  static const char* const conv[] = {"x", "w", "y"};
  static const char* const attn[] = {"q", "k", "v", "o"};
  static const char* const ln[] = {"x", "gamma", "beta", "y", "mean", "rstd"};
  static const char* const aby[] = {"a", "b", "y"};
  static const char* const gelub[] = {"x", "dy", "dx"};
  static const char* const lnb[] = {"x", "gamma", "mean", "rstd", "dy", "dx", "dgamma", "dbeta"};
  static const char* const smb[] = {"y", "dy", "dx"};
  static const char* const xent[] = {"logits", "labels", "loss", "dlogits"};
  static const char* const adamw[] = {"param", "grad", "m", "v"};
#define CC_SDK_ARGS(a) (*count = (int)(sizeof a / sizeof a[0]), a)
  switch (kind) {
    case CC_OP_NOOP:
      return (*count = 0, none);
    case CC_OP_GEMM:
      return CC_SDK_ARGS(gemm);
    case CC_OP_STREAM_COPY:
      return CC_SDK_ARGS(copy);
    case CC_OP_STREAM_MUL:
      return CC_SDK_ARGS(smul);
    case CC_OP_STREAM_ADD:
      return CC_SDK_ARGS(sadd);
    case CC_OP_STREAM_TRIAD:
      return CC_SDK_ARGS(triad);
    case CC_OP_STREAM_DOT:
      return CC_SDK_ARGS(dot);
    case CC_OP_PEAK:
      return CC_SDK_ARGS(xy);
    case CC_OP_CONV2D:
      return CC_SDK_ARGS(conv);
    case CC_OP_ATTENTION:
      return CC_SDK_ARGS(attn);
    case CC_OP_LAYERNORM:
      return CC_SDK_ARGS(ln);
    case CC_OP_SOFTMAX:
      return CC_SDK_ARGS(xy);
    case CC_OP_GELU:
      return CC_SDK_ARGS(xy);
    case CC_OP_ADD:
      return CC_SDK_ARGS(aby);
    case CC_OP_MUL:
      return CC_SDK_ARGS(aby);
    case CC_OP_GELU_BACKWARD:
      return CC_SDK_ARGS(gelub);
    case CC_OP_LAYERNORM_BACKWARD:
      return CC_SDK_ARGS(lnb);
    case CC_OP_SOFTMAX_BACKWARD:
      return CC_SDK_ARGS(smb);
    case CC_OP_SOFTMAX_XENT:
      return CC_SDK_ARGS(xent);
    case CC_OP_ADAMW:
      return CC_SDK_ARGS(adamw);
    default:
      return (*count = -1, (const char* const*)0);
  }
#undef CC_SDK_ARGS
}

int cc_op_arg_count(uint32_t kind) {
  int n = -1;
  (void)op_args(kind, &n);
  return n;
}

const char* cc_op_arg_name(uint32_t kind, uint32_t index) {
  int n = -1;
  const char* const* names = op_args(kind, &n);
  return n >= 0 && index < (uint32_t)n ? names[index] : (const char*)0;
}

/* ---- argument sizes ---------------------------------------------------------- */

/* a*b and a+b into *out; 0 on overflow. */
static int mul_u64(uint64_t a, uint64_t b, uint64_t* out) {
  if (a != 0 && b > UINT64_MAX / a) return 0;
  *out = a * b;
  return 1;
}
static int add_u64(uint64_t a, uint64_t b, uint64_t* out) {
  if (b > UINT64_MAX - a) return 0;
  *out = a + b;
  return 1;
}

/* Product of n non-negative dimensions into *out; 0 on a negative one or overflow. */
static int dims(uint64_t* out, int n, const int64_t* d) {
  uint64_t p = 1;
  int i;
  for (i = 0; i < n; ++i) {
    if (d[i] < 0 || !mul_u64(p, (uint64_t)d[i], &p)) return 0;
  }
  *out = p;
  return 1;
}

/* Elements a row-major rows x cols matrix with leading dimension ld spans. */
static int span(int64_t rows, int64_t cols, int64_t ld, uint64_t* out) {
  uint64_t v;
  if (rows < 0 || cols < 0 || ld < cols) return 0;
  if (rows == 0 || cols == 0) return (*out = 0, 1);
  if (!mul_u64((uint64_t)(rows - 1), (uint64_t)ld, &v)) return 0;
  return add_u64(v, (uint64_t)cols, out);
}

/* From the first of `batch` matrices of `one` elements, `stride` apart, to the end of the last. */
static int batched(uint64_t one, int64_t batch, int64_t stride, uint64_t* out) {
  uint64_t v;
  if (batch <= 1 || one == 0) return (*out = one, 1);
  if (stride < 0 || !mul_u64((uint64_t)(batch - 1), (uint64_t)stride, &v)) return 0;
  return add_u64(v, one, out);
}

int cc_op_arg_bytes(const cc_op_desc* op, uint32_t index, uint64_t* bytes) {
  uint64_t elems = 0;
  uint32_t esize;
  int ok = 1;
  const int n_args = op ? cc_op_arg_count(op->kind) : -1;
  /* Element size of each buffer: 'd' dtype, 'a' acc_dtype, 's' statistics
     (fp64 when dtype is fp64, else fp32), 'i' int32. */
  char type = 'a';
  if (!op || !bytes) return CC_ERR_INVALID_ARGUMENT;
  if (n_args < 0) return CC_ERR_UNSUPPORTED;
  if (index >= (uint32_t)n_args) return CC_ERR_INVALID_ARGUMENT;
  if (cc_dtype_size(op->dtype) == 0 || cc_dtype_size(op->acc_dtype) == 0) return CC_ERR_UNSUPPORTED;
  switch (op->kind) {
    case CC_OP_GEMM: {
      const cc_gemm_params* g = &op->u.gemm;
      const int64_t batch = g->batch == 0 ? 1 : g->batch;
      uint64_t one = 0;
      if (g->m < 0 || g->n < 0 || g->k < 0 || batch < 0) return CC_ERR_INVALID_ARGUMENT;
      if (index == 0)
        ok = span(g->trans_a ? g->k : g->m, g->trans_a ? g->m : g->k, g->lda, &one) &&
             batched(one, batch, g->stride_a, &elems);
      else if (index == 1)
        ok = span(g->trans_b ? g->n : g->k, g->trans_b ? g->k : g->n, g->ldb, &one) &&
             batched(one, batch, g->stride_b, &elems);
      else
        ok = span(g->m, g->n, g->ldc, &one) && batched(one, batch, g->stride_c, &elems);
      type = index == 2 ? 'a' : 'd';
      break;
    }
    case CC_OP_STREAM_COPY:
    case CC_OP_STREAM_MUL:
    case CC_OP_STREAM_ADD:
    case CC_OP_STREAM_TRIAD:
    case CC_OP_STREAM_DOT:
      ok = dims(&elems, 1, &op->u.stream.n);
      if (op->kind == CC_OP_STREAM_DOT && index == 2) elems = 1;
      type = 'd';
      break;
    case CC_OP_PEAK:
      ok = dims(&elems, 1, &op->u.peak.n);
      break;
    case CC_OP_CONV2D: {
      const cc_conv2d_params* c = &op->u.conv2d;
      int64_t p, q;
      if (c->groups < 1 || c->stride_h < 1 || c->stride_w < 1 || c->dilation_h < 1 ||
          c->dilation_w < 1 || c->pad_h < 0 || c->pad_w < 0 || c->r < 1 || c->s < 1 ||
          c->c % c->groups != 0 || c->k % c->groups != 0)
        return CC_ERR_INVALID_ARGUMENT;
      p = (c->h + 2 * c->pad_h - c->dilation_h * (c->r - 1) - 1) / c->stride_h + 1;
      q = (c->w + 2 * c->pad_w - c->dilation_w * (c->s - 1) - 1) / c->stride_w + 1;
      if (index == 0) {
        const int64_t d[4] = {c->n, c->c, c->h, c->w};
        ok = dims(&elems, 4, d);
        type = 'd';
      } else if (index == 1) {
        const int64_t d[4] = {c->k, c->c / c->groups, c->r, c->s};
        ok = dims(&elems, 4, d);
        type = 'd';
      } else {
        const int64_t d[4] = {c->n, c->k, p < 0 ? 0 : p, q < 0 ? 0 : q};
        ok = dims(&elems, 4, d);
      }
      break;
    }
    case CC_OP_ATTENTION: {
      const cc_attention_params* a = &op->u.attention;
      const int64_t d[4] = {a->batch, a->heads, index == 1 || index == 2 ? a->seq_kv : a->seq_q,
                            a->head_dim};
      ok = dims(&elems, 4, d);
      type = index == 3 ? 'a' : 'd';
      break;
    }
    case CC_OP_LAYERNORM: {
      const cc_rows_params* r = &op->u.rows;
      const int64_t full[2] = {r->rows, r->cols};
      if (index == 1 || index == 2)
        ok = dims(&elems, 1, &r->cols);
      else if (index >= 4)
        ok = dims(&elems, 1, &r->rows);
      else
        ok = dims(&elems, 2, full);
      type = index <= 2 ? 'd' : index == 3 ? 'a' : 's';
      break;
    }
    case CC_OP_SOFTMAX: {
      const int64_t full[2] = {op->u.rows.rows, op->u.rows.cols};
      ok = dims(&elems, 2, full);
      type = index == 0 ? 'd' : 'a';
      break;
    }
    case CC_OP_GELU:
    case CC_OP_ADD:
    case CC_OP_MUL:
      ok = dims(&elems, 1, &op->u.eltwise.n);
      type = index + 1 == (uint32_t)n_args ? 'a' : 'd';
      break;
    case CC_OP_GELU_BACKWARD:
      ok = dims(&elems, 1, &op->u.eltwise.n);
      break;
    case CC_OP_LAYERNORM_BACKWARD: {
      /* x, gamma, mean, rstd, dy, dx, dgamma, dbeta */
      const cc_rows_params* r = &op->u.rows;
      const int64_t full[2] = {r->rows, r->cols};
      if (index == 1 || index == 6 || index == 7)
        ok = dims(&elems, 1, &r->cols);
      else if (index == 2 || index == 3)
        ok = dims(&elems, 1, &r->rows);
      else
        ok = dims(&elems, 2, full);
      type = index == 2 || index == 3 ? 's' : 'a';
      break;
    }
    case CC_OP_SOFTMAX_BACKWARD: {
      const int64_t full[2] = {op->u.rows.rows, op->u.rows.cols};
      ok = dims(&elems, 2, full);
      break;
    }
    case CC_OP_SOFTMAX_XENT: {
      /* logits, labels, loss, dlogits */
      const cc_rows_params* r = &op->u.rows;
      const int64_t full[2] = {r->rows, r->cols};
      if (index == 1) {
        ok = dims(&elems, 1, &r->rows);
        type = 'i';
      } else if (index == 2) {
        elems = 1;
        type = 's';
      } else {
        ok = dims(&elems, 2, full);
      }
      break;
    }
    case CC_OP_ADAMW:
      ok = dims(&elems, 1, &op->u.adamw.n);
      break;
    default: /* CC_OP_NOOP has no buffers: index was rejected above */
      return CC_ERR_INVALID_ARGUMENT;
  }
  if (!ok) return CC_ERR_INVALID_ARGUMENT;
  esize = type == 'd'   ? cc_dtype_size(op->dtype)
          : type == 'a' ? cc_dtype_size(op->acc_dtype)
          : type == 'i' ? 4u
                        : (op->dtype == CC_DTYPE_F64 ? 8u : 4u);
  return mul_u64(elems, esize, bytes) ? CC_OK : CC_ERR_INVALID_ARGUMENT;
}
