/* Checks the driver SDK helpers against driver.h. Plain C99, no test framework,
 * so the same file also builds out of tree against an installed SDK
 * (drivers/example/sdk-test). Exit status: the number of failed checks. */
#include <chipcert/driver_sdk.h>
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
  if (failures == 0) printf("sdk_check: all checks passed\n");
  return failures;
}
