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
