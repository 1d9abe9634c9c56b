/* Checks the driver SDK helpers against driver.h. Plain C99, no test framework,
 * so the same file also builds out of tree against an installed SDK
 * (drivers/example/sdk-test). Exit status: the number of failed checks. */
#include <chipcert/driver_sdk.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int failures = 0;

static void check(int ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "sdk_check: FAILED: %s\n", what);
    ++failures;
  }
}

static int same(const char* a, const char* b) {
  return a && b && strcmp(a, b) == 0;
}

static uint64_t arg_bytes(const cc_op_desc* op, uint32_t index) {
  uint64_t b = 0;
  return cc_op_arg_bytes(op, index, &b) == CC_OK ? b : UINT64_MAX;
}

static cc_op_desc desc(uint32_t kind, uint32_t dtype, uint32_t acc) {
  cc_op_desc d;
  memset(&d, 0, sizeof d);
  d.struct_size = sizeof d;
  d.kind = kind;
  d.dtype = dtype;
  d.acc_dtype = acc;
  return d;
}

/* Sizes worked out by hand from driver.h's op documentation. */
static void check_arg_bytes(void) {
  cc_op_desc g = desc(CC_OP_GEMM, CC_DTYPE_BF16, CC_DTYPE_F32), d;
  uint64_t b;
  /* A: op(A) is m x k = 3 x 5 stored transposed (5 rows of 3, lda 4): 4*4+3 = 19 elements */
  g.u.gemm.m = 3;
  g.u.gemm.n = 2;
  g.u.gemm.k = 5;
  g.u.gemm.trans_a = 1;
  g.u.gemm.lda = 4;
  g.u.gemm.ldb = 2;
  g.u.gemm.ldc = 7;
  check(arg_bytes(&g, 0) == 19 * 2, "gemm A: transposed with lda 4, bf16");
  check(arg_bytes(&g, 1) == 10 * 2, "gemm B: 5 x 2, bf16");
  check(arg_bytes(&g, 2) == (2 * 7 + 2) * 4, "gemm C: 3 x 2 with ldc 7, fp32");
  g.u.gemm.batch = 4;
  g.u.gemm.stride_a = 100;
  g.u.gemm.stride_b = 10;
  g.u.gemm.stride_c = 16;
  check(arg_bytes(&g, 0) == (3 * 100 + 19) * 2, "gemm A batched: last matrix starts at 300");
  check(arg_bytes(&g, 2) == (3 * 16 + 16) * 4, "gemm C batched");
  g.u.gemm.ldc = 1;
  check(cc_op_arg_bytes(&g, 2, &b) == CC_ERR_INVALID_ARGUMENT, "gemm ldc < n is invalid");
  check(cc_op_arg_bytes(&g, 3, &b) == CC_ERR_INVALID_ARGUMENT, "gemm has no buffer 3");

  d = desc(CC_OP_STREAM_DOT, CC_DTYPE_F64, CC_DTYPE_F64);
  d.u.stream.n = 1000;
  check(arg_bytes(&d, 0) == 8000 && arg_bytes(&d, 2) == 8, "stream_dot: a is n, s one element");

  d = desc(CC_OP_CONV2D, CC_DTYPE_F16, CC_DTYPE_F32);
  d.u.conv2d = (cc_conv2d_params){.n = 2,
                                  .c = 4,
                                  .h = 9,
                                  .w = 7,
                                  .k = 6,
                                  .r = 3,
                                  .s = 3,
                                  .stride_h = 2,
                                  .stride_w = 1,
                                  .pad_h = 1,
                                  .pad_w = 0,
                                  .dilation_h = 1,
                                  .dilation_w = 1,
                                  .groups = 2};
  /* p = (9 + 2 - 2 - 1)/2 + 1 = 5, q = (7 - 2 - 1)/1 + 1 = 5 */
  check(arg_bytes(&d, 0) == 2 * 4 * 9 * 7 * 2, "conv2d x");
  check(arg_bytes(&d, 1) == 6 * 2 * 3 * 3 * 2, "conv2d w: c/groups channels");
  check(arg_bytes(&d, 2) == 2 * 6 * 5 * 5 * 4, "conv2d y: p = q = 5, fp32");
  d.u.conv2d.groups = 3;
  check(cc_op_arg_bytes(&d, 0, &b) == CC_ERR_INVALID_ARGUMENT, "conv2d c not divisible by groups");

  d = desc(CC_OP_ATTENTION, CC_DTYPE_BF16, CC_DTYPE_F32);
  d.u.attention =
      (cc_attention_params){.batch = 2, .heads = 3, .seq_q = 1, .seq_kv = 9, .head_dim = 8};
  check(arg_bytes(&d, 0) == 2 * 3 * 1 * 8 * 2 && arg_bytes(&d, 1) == 2 * 3 * 9 * 8 * 2 &&
            arg_bytes(&d, 3) == 2 * 3 * 1 * 8 * 4,
        "attention: q and o seq_q rows, k and v seq_kv");

  d = desc(CC_OP_LAYERNORM, CC_DTYPE_F64, CC_DTYPE_F64);
  d.u.rows.rows = 5;
  d.u.rows.cols = 33;
  check(arg_bytes(&d, 0) == 5 * 33 * 8 && arg_bytes(&d, 1) == 33 * 8 && arg_bytes(&d, 5) == 5 * 8,
        "layernorm fp64: statistics in fp64");
  d.dtype = CC_DTYPE_BF16;
  d.acc_dtype = CC_DTYPE_F32;
  check(
      arg_bytes(&d, 0) == 5 * 33 * 2 && arg_bytes(&d, 3) == 5 * 33 * 4 && arg_bytes(&d, 4) == 5 * 4,
      "layernorm bf16: x bf16, y and statistics fp32");

  d = desc(CC_OP_SOFTMAX_XENT, CC_DTYPE_F32, CC_DTYPE_F32);
  d.u.rows.rows = 5;
  d.u.rows.cols = 33;
  check(arg_bytes(&d, 1) == 5 * 4 && arg_bytes(&d, 2) == 4 && arg_bytes(&d, 3) == 5 * 33 * 4,
        "softmax_xent: int32 labels per row, one loss");

  d = desc(CC_OP_ADAMW, CC_DTYPE_F32, CC_DTYPE_F32);
  d.u.adamw.n = -1;
  check(cc_op_arg_bytes(&d, 0, &b) == CC_ERR_INVALID_ARGUMENT, "adamw n < 0 is invalid");
  d.u.adamw.n = INT64_MAX;
  check(cc_op_arg_bytes(&d, 0, &b) == CC_ERR_INVALID_ARGUMENT, "a size past 2^64 bytes is invalid");
  d = desc(CC_OP_NOOP, CC_DTYPE_F32, CC_DTYPE_F32);
  check(cc_op_arg_bytes(&d, 0, &b) == CC_ERR_INVALID_ARGUMENT, "noop has no buffers");
  d = desc(CC_OP_KIND_COUNT_, CC_DTYPE_F32, CC_DTYPE_F32);
  check(cc_op_arg_bytes(&d, 0, &b) == CC_ERR_UNSUPPORTED, "unknown kind is unsupported");
  d = desc(CC_OP_GELU, CC_DTYPE_COUNT_, CC_DTYPE_F32);
  check(cc_op_arg_bytes(&d, 0, &b) == CC_ERR_UNSUPPORTED, "unknown dtype is unsupported");
  check(cc_op_arg_bytes(NULL, 0, &b) == CC_ERR_INVALID_ARGUMENT, "NULL op");
}

int main(void) {
  uint32_t k;
  check(cc_sdk_abi_version() == CC_DRIVER_ABI_VERSION, "cc_sdk_abi_version matches the header");
  check(same(cc_status_string(CC_OK), "CC_OK"), "cc_status_string(CC_OK)");
  check(same(cc_status_string(CC_ERR_UNSUPPORTED), "CC_ERR_UNSUPPORTED"),
        "cc_status_string(CC_ERR_UNSUPPORTED)");
  check(same(cc_status_string(CC_ERR_INTERNAL), "CC_ERR_INTERNAL"),
        "cc_status_string(CC_ERR_INTERNAL)");
  check(same(cc_status_string(99), "CC_ERR_<unknown>"), "cc_status_string(99) is unknown");
  check(same(cc_status_string(-1), "CC_ERR_<unknown>"), "cc_status_string(-1) is unknown");
  check(same(cc_dtype_name(CC_DTYPE_BF16), "bf16"), "cc_dtype_name(bf16)");
  check(cc_dtype_name(CC_DTYPE_COUNT_) == NULL, "cc_dtype_name(out of range) is NULL");
  check(cc_dtype_size(CC_DTYPE_F64) == 8 && cc_dtype_size(CC_DTYPE_F16) == 2 &&
            cc_dtype_size(CC_DTYPE_I8) == 1 && cc_dtype_size(CC_DTYPE_TF32) == 4,
        "cc_dtype_size");
  check(cc_dtype_size(CC_DTYPE_COUNT_) == 0, "cc_dtype_size(out of range) is 0");
  check(cc_op_arg_count(CC_OP_NOOP) == 0, "noop takes no buffers");
  check(cc_op_arg_count(CC_OP_GEMM) == 3, "gemm takes A, B, C");
  check(cc_op_arg_count(CC_OP_LAYERNORM) == 6, "layernorm takes 6 buffers");
  check(cc_op_arg_count(CC_OP_LAYERNORM_BACKWARD) == 8, "layernorm_backward takes 8 buffers");
  check(same(cc_op_arg_name(CC_OP_STREAM_TRIAD, 2), "a"), "triad writes a last");
  check(same(cc_op_arg_name(CC_OP_SOFTMAX_XENT, 1), "labels"), "softmax_xent arg 1");
  check(cc_op_arg_name(CC_OP_GEMM, 3) == NULL, "gemm has no arg 3");
  check(cc_op_arg_count(CC_OP_KIND_COUNT_) == -1, "unknown kind has no arg count");
  check(cc_op_arg_name(CC_OP_KIND_COUNT_, 0) == NULL, "unknown kind has no arg names");
  for (k = 0; k < CC_OP_KIND_COUNT_; ++k) {
    int n = cc_op_arg_count(k), i;
    check(n >= 0 && cc_op_kind_name(k) != NULL, "every known kind has a name and arg count");
    for (i = 0; i < n; ++i) check(cc_op_arg_name(k, (uint32_t)i) != NULL, "every arg has a name");
  }
  check_arg_bytes();
  if (failures == 0) printf("sdk_check: all checks passed\n");
  return failures;
}
