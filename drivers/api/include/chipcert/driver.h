/*
 * chipcert driver ABI, version 1.
 *
 * This is the only door between chipcert and a device backend ("driver").
 * A driver is either built into chipcert or shipped as a shared object that
 * chipcert loads with dlopen() from --driver-path / CHIPCERT_DRIVER_PATH.
 * Both go through this same table, so a vendor's plugin is measured exactly
 * like a built-in backend.
 *
 * Rules that keep the ABI stable across compilers and releases:
 *  - pure C99: no C++ types, no exceptions, no callbacks into chipcert;
 *  - every struct the harness passes in or the driver fills starts with a
 *    `struct_size` field so either side can be newer than the other;
 *  - strings the driver fills live in fixed-size char arrays and must be
 *    NUL-terminated within the array (the harness checks this and rejects
 *    devices that break it);
 *  - enumerations have fixed values; new values are only ever appended.
 *
 * Threading contract (unless a function says otherwise):
 *  - all functions taking a cc_device* may be called from any thread, but
 *    never concurrently for the same device;
 *  - functions for different devices may run concurrently;
 *  - `enumerate` and `device_info` are thread-safe.
 *
 * Errors: every function returning cc_status returns CC_OK on success.
 * On failure it leaves a human-readable reason that `last_error` returns.
 * A driver must never abort(), exit() or throw across this boundary.
 *
 * Sizes: every buffer passed to launch must hold the elements the op's shape
 * reaches, e.g. for GEMM operand A: (batch-1)*stride_a + (rows-1)*lda + cols
 * elements of its dtype. Shapes, strides and counts are >= 0 (m, n, k >= 1);
 * leading dimensions >= the stored row length. Output buffers never overlap
 * inputs or each other unless an op says so (AdamW updates in place).
 *
 * Structs the harness fills (cc_op_desc, cc_device_info, cc_sensors): the
 * driver reads / writes at most struct_size bytes and leaves struct_size as
 * it found it; fields beyond a smaller struct_size count as zero.
 *
 * last_error(NULL), after a failed enumerate / device_info / open, is per
 * calling thread.
 */
#ifndef CHIPCERT_DRIVER_H
#define CHIPCERT_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI version this header describes. */
#define CC_DRIVER_ABI_VERSION 1u

/** Name of the symbol a plugin shared object must export. */
#define CC_DRIVER_ENTRY_SYMBOL "chipcert_driver_entry"

/* Fixed sizes of the strings in cc_device_info (bytes, terminator included). */
#define CC_NAME_MAX 256
#define CC_SHORT_MAX 64

typedef enum cc_status {
  CC_OK = 0,
  CC_ERR_UNSUPPORTED = 1,      /* the op, dtype or feature is not available */
  CC_ERR_INVALID_ARGUMENT = 2, /* bad handle, size, offset or descriptor */
  CC_ERR_OUT_OF_MEMORY = 3,    /* device (or host staging) memory exhausted */
  CC_ERR_DEVICE = 4,           /* the device or its runtime reported a failure */
  CC_ERR_INTERNAL = 5          /* a bug in the driver */
} cc_status;

typedef enum cc_dtype {
  CC_DTYPE_F64 = 0,
  CC_DTYPE_F32 = 1,
  CC_DTYPE_F16 = 2,  /* IEEE binary16 */
  CC_DTYPE_BF16 = 3, /* bfloat16: the top 16 bits of an IEEE binary32 */
  CC_DTYPE_I8 = 4,
  CC_DTYPE_I32 = 5,
  CC_DTYPE_TF32 = 6, /* fp32 storage, reduced-precision multiply */
  CC_DTYPE_COUNT_ = 7
} cc_dtype;

/** Bit for dtype d in cc_device_info.dtypes. */
#define CC_DTYPE_BIT(d) (1u << (unsigned)(d))

typedef enum cc_device_kind {
  CC_DEVICE_CPU = 0,
  CC_DEVICE_GPU = 1,
  CC_DEVICE_ACCELERATOR = 2, /* NPU, TPU, FPGA, ... */
  CC_DEVICE_OTHER = 3
} cc_device_kind;

/**
 * What a driver reports about one device. The harness zero-fills the struct
 * and sets struct_size before calling device_info; the driver fills what it
 * knows and leaves the rest zero / empty. Unknown numbers are 0.
 */
typedef struct cc_device_info {
  uint32_t struct_size;
  uint32_t kind;                     /* cc_device_kind */
  char name[CC_NAME_MAX];            /* marketing / model name */
  char vendor[CC_NAME_MAX];          /* e.g. "NVIDIA Corporation" */
  char driver_version[CC_SHORT_MAX]; /* vendor runtime / firmware version */
  char uuid[CC_SHORT_MAX];           /* stable device UUID, "" if none */
  char serial[CC_SHORT_MAX];         /* board serial, "" if none */
  char pci_bus_id[CC_SHORT_MAX];     /* "dddd:bb:dd.f", "" if not on PCI */
  uint64_t memory_bytes;             /* device memory usable by alloc */
  uint32_t compute_units;            /* SMs, CUs, cores, ... */
  uint32_t clock_mhz;                /* nominal maximum clock */
  uint32_t dtypes;                   /* CC_DTYPE_BIT mask of storage types */
  uint32_t reserved0;
} cc_device_info;

/* ---- op descriptors ------------------------------------------------------ */

/*
 * Op kinds. "args" lists the buffers launch() receives, in order. Tensors are
 * dense and row-major unless the op says otherwise. `dtype` is the type of
 * the inputs, `acc_dtype` the type of accumulation and of float outputs;
 * every op says which of its buffers use which. Integer index buffers
 * (labels) are int32. Statistics kept for a backward pass (mean, rstd, loss)
 * are always fp32 (fp64 when dtype is fp64).
 */
typedef enum cc_op_kind {
  CC_OP_NOOP = 0,         /* empty kernel: measures launch latency. args: none */
  CC_OP_GEMM = 1,         /* C = alpha*op(A)*op(B) + beta*C, batched. args: A, B, C (acc_dtype) */
  CC_OP_STREAM_COPY = 2,  /* c = a.             args: a, c */
  CC_OP_STREAM_MUL = 3,   /* b = scalar*c.      args: c, b */
  CC_OP_STREAM_ADD = 4,   /* c = a + b.         args: a, b, c */
  CC_OP_STREAM_TRIAD = 5, /* a = b + scalar*c.  args: b, c, a */
  CC_OP_STREAM_DOT = 6,   /* s = sum(a*b).      args: a, b, s (one element) */
  /* STREAM: acc_dtype equals dtype; every array has u.stream.n elements. */

  CC_OP_PEAK =
      7, /* peak arithmetic throughput, see cc_peak_params. args: x (acc_dtype), y (acc_dtype) */
  CC_OP_CONV2D = 8,    /* y = conv(x, w). args: x, w (dtype), y (acc_dtype); see cc_conv2d_params */
  CC_OP_ATTENTION = 9, /* o = softmax(scale*q*k^T + mask)*v. args: q, k, v (dtype), o (acc_dtype) */
  CC_OP_LAYERNORM = 10, /* y = (x-mean)*rstd*gamma + beta per row.
                           args: x, gamma, beta (dtype), y (acc_dtype), mean, rstd (rows each) */
  CC_OP_SOFTMAX = 11,   /* y = softmax(scale*x + mask) per row. args: x (dtype), y (acc_dtype) */
  CC_OP_GELU = 12,      /* y = x * Phi(x) (exact, erf form). args: x (dtype), y (acc_dtype) */
  CC_OP_ADD = 13,       /* y = a + b element-wise. args: a, b (dtype), y (acc_dtype) */
  CC_OP_MUL = 14,       /* y = a * b element-wise. args: a, b (dtype), y (acc_dtype) */
  CC_OP_GELU_BACKWARD = 15,      /* dx = dy * GELU'(x). args: x, dy, dx (all acc_dtype) */
  CC_OP_LAYERNORM_BACKWARD = 16, /* args: x, gamma, mean, rstd, dy, dx, dgamma, dbeta (acc_dtype) */
  CC_OP_SOFTMAX_BACKWARD =
      17,                  /* dx = scale * y * (dy - rowsum(dy*y)). args: y, dy, dx (acc_dtype) */
  CC_OP_SOFTMAX_XENT = 18, /* mean cross-entropy of softmax(logits) vs labels, and its gradient.
                              args: logits (acc_dtype), labels (int32, rows), loss (one element),
                              dlogits (acc_dtype) = (softmax - onehot(label)) / rows */
  CC_OP_ADAMW = 19,        /* in-place AdamW step (decoupled weight decay, bias-corrected).
                              args: param, grad, m, v (all acc_dtype, n elements each) */
  CC_OP_KIND_COUNT_ = 20
} cc_op_kind;

/**
 * The lower-case name of an op kind ("gemm", "softmax_xent", ...), as suites
 * and messages spell it; NULL for a kind this header does not know. One
 * table for every driver, so names never drift apart.
 */
static inline const char* cc_op_kind_name(uint32_t kind) {
  static const char* const names[CC_OP_KIND_COUNT_] = {"noop",
                                                       "gemm",
                                                       "stream_copy",
                                                       "stream_mul",
                                                       "stream_add",
                                                       "stream_triad",
                                                       "stream_dot",
                                                       "peak",
                                                       "conv2d",
                                                       "attention",
                                                       "layernorm",
                                                       "softmax",
                                                       "gelu",
                                                       "add",
                                                       "mul",
                                                       "gelu_backward",
                                                       "layernorm_backward",
                                                       "softmax_backward",
                                                       "softmax_xent",
                                                       "adamw"};
  return kind < CC_OP_KIND_COUNT_ ? names[kind] : (const char*)0;
}

/**
 * Row-major GEMM. op(A) is m x k, op(B) is k x n, C is m x n.
 * Batched when batch > 1: matrix b of A starts at A + b*stride_a (elements),
 * likewise B and C. batch 0 means 1 (descriptors written before batching).
 */
typedef struct cc_gemm_params {
  int64_t m, n, k;
  int64_t lda, ldb, ldc;     /* leading dimensions in elements (row-major) */
  uint32_t trans_a, trans_b; /* 0 or 1 */
  double alpha, beta;
  int64_t batch;
  int64_t stride_a, stride_b, stride_c;
} cc_gemm_params;

typedef struct cc_stream_params {
  int64_t n;     /* elements per array */
  double scalar; /* used by mul and triad */
} cc_stream_params;

/**
 * Peak arithmetic. For each of n elements, starting from acc = x[i], repeat
 * `iterations` times, then y[i] = acc:
 *  - fp64, fp32:   acc = fma(acc, alpha, beta) in dtype (2 flop);
 *  - tf32:         as fp32, products may use tf32 precision;
 *  - fp16, bf16:   acc(fp32) = acc + a*b where a = alpha, b = beta rounded
 *                  to dtype (2 flop; a dot-product instruction may do two
 *                  iterations at once);
 *  - int8:         acc(int32) = acc + a*b with a = (int8)alpha, b = (int8)beta
 *                  (2 ops).
 * The driver chooses how many independent chains to interleave; the results
 * must be those of the per-element recurrence (within rounding).
 */
typedef struct cc_peak_params {
  int64_t n;
  int64_t iterations;
  double alpha, beta;
} cc_peak_params;

typedef enum cc_layout {
  CC_LAYOUT_NCHW = 0, /* x: N,C,H,W  w: K,C/groups,R,S  y: N,K,P,Q */
  CC_LAYOUT_NHWC = 1  /* x: N,H,W,C  w: K,R,S,C/groups  y: N,P,Q,K */
} cc_layout;

/** 2-D convolution (cross-correlation, as every framework computes it). */
typedef struct cc_conv2d_params {
  int64_t n, c, h, w; /* input batch, channels, height, width */
  int64_t k, r, s;    /* output channels, filter height, filter width */
  int64_t stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
  int64_t groups;  /* c and k divisible by groups */
  uint32_t layout; /* cc_layout */
  uint32_t reserved0;
  /* Output size: p = (h + 2*pad_h - dilation_h*(r-1) - 1)/stride_h + 1, q likewise. */
} cc_conv2d_params;

/**
 * Scaled dot-product attention. Tensors are [batch, heads, seq, head_dim]
 * (layout CC_ATTN_BHSD) or [batch, seq, heads, head_dim] (CC_ATTN_BSHD: the
 * natural output of a [tokens, heads*head_dim] projection GEMM, as in
 * FlashAttention). q and o have seq_q rows per head, k and v seq_kv. With
 * causal != 0, query row i may attend key j only when j <= i + (seq_kv -
 * seq_q) (bottom-right aligned: a decode step with seq_q = 1 sees the whole
 * KV cache). A driver that does not support a layout returns UNSUPPORTED.
 */
typedef enum cc_attention_layout { CC_ATTN_BHSD = 0, CC_ATTN_BSHD = 1 } cc_attention_layout;

typedef struct cc_attention_params {
  int64_t batch, heads, seq_q, seq_kv, head_dim;
  uint32_t causal;
  uint32_t layout; /* cc_attention_layout; 0 (BHSD) in older descriptors */
  double scale;    /* usually 1/sqrt(head_dim) */
} cc_attention_params;

/**
 * Row-wise ops (layernorm, softmax and their backward, cross-entropy):
 * `rows` rows of `cols` elements. For softmax, causal != 0 masks column c of
 * row r when c > (r % seq_q) + (cols - seq_q): the scores of attention
 * stored as [batch*heads*seq_q, seq_kv] rows.
 */
typedef struct cc_rows_params {
  int64_t rows, cols;
  double eps;   /* layernorm */
  double scale; /* softmax, softmax backward: input multiplier */
  uint32_t causal;
  uint32_t reserved0;
  int64_t seq_q; /* softmax with causal */
} cc_rows_params;

/** Element-wise ops (gelu, add, mul, gelu backward): n elements. */
typedef struct cc_eltwise_params {
  int64_t n;
} cc_eltwise_params;

/**
 * AdamW (Loshchilov & Hutter), for each element:
 *   m = beta1*m + (1-beta1)*g;  v = beta2*v + (1-beta2)*g*g
 *   p = p - lr * ( (m/(1-beta1^step)) / (sqrt(v/(1-beta2^step)) + eps) + weight_decay*p )
 */
typedef struct cc_adamw_params {
  int64_t n;
  int64_t step; /* 1-based */
  double lr, beta1, beta2, eps, weight_decay;
} cc_adamw_params;

typedef struct cc_op_desc {
  uint32_t struct_size;
  uint32_t kind;      /* cc_op_kind */
  uint32_t dtype;     /* cc_dtype of the inputs */
  uint32_t acc_dtype; /* cc_dtype of accumulation and output */
  /*
   * Bit i set: the harness promises argument i is the same buffer with the
   * same contents on every launch of this kernel (weights). The driver may
   * keep a transformed copy made on the first launch; the harness always
   * performs an untimed first launch.
   */
  uint32_t constant_args;
  uint32_t reserved0;
  union {
    cc_gemm_params gemm;
    cc_stream_params stream;
    cc_peak_params peak;
    cc_conv2d_params conv2d;
    cc_attention_params attention;
    cc_rows_params rows;
    cc_eltwise_params eltwise;
    cc_adamw_params adamw;
    uint8_t reserved[512]; /* room for later op kinds without an ABI break */
  } u;
} cc_op_desc;

/* ---- sensors --------------------------------------------------------------- */

/** A reading; fields the device cannot report are set to a negative value. */
typedef struct cc_sensors {
  uint32_t struct_size;
  uint32_t reserved0;
  double power_w;
  double temperature_c;
  double clock_mhz;
} cc_sensors;

/* ---- opaque handles, owned by the driver ------------------------------------ */

typedef struct cc_device cc_device;
typedef struct cc_buffer cc_buffer;
typedef struct cc_kernel cc_kernel;

/**
 * The function table. Every pointer is required unless marked optional
 * (optional ones may be NULL).
 */
typedef struct cc_driver_v1 {
  uint32_t struct_size; /* sizeof(cc_driver_v1) as the driver was built */
  uint32_t abi_version; /* CC_DRIVER_ABI_VERSION the driver implements */
  const char* name;     /* short id, [a-z0-9_]+, unique among drivers */
  const char* version;  /* the driver's own version string */
  const char* description;

  /** Number of devices. Stable for the life of the process. */
  cc_status (*enumerate)(uint32_t* count);
  /** Fill info for device index < count. last_error(NULL) after a failure
      here or in enumerate/open is per calling thread. */
  cc_status (*device_info)(uint32_t index, cc_device_info* info);

  /** Open device `index`. The handle stays valid until close. */
  cc_status (*open)(uint32_t index, cc_device** out);
  /** Release the device and everything still allocated on it. */
  void (*close)(cc_device* dev);

  /**
   * Allocate `bytes` of device memory (bytes may be 0: a valid handle that
   * holds nothing). Contents are undefined. Fails with
   * CC_ERR_OUT_OF_MEMORY, never by crashing, when the device is full.
   */
  cc_status (*alloc)(cc_device* dev, uint64_t bytes, cc_buffer** out);
  void (*free)(cc_device* dev, cc_buffer* buf);
  /** Blocking host-to-device copy. Fails if offset+bytes exceeds the buffer. */
  cc_status (*write)(cc_device* dev, cc_buffer* buf, uint64_t offset, const void* src,
                     uint64_t bytes);
  /** Blocking device-to-host copy; waits for all launched work first. */
  cc_status (*read)(cc_device* dev, cc_buffer* buf, uint64_t offset, void* dst, uint64_t bytes);

  /**
   * Compile / plan / tune the op once. Returns CC_ERR_UNSUPPORTED (with a
   * reason in last_error) for ops, dtypes or shapes the device cannot run.
   * The descriptor is copied; the caller may free it afterwards.
   */
  cc_status (*prepare)(cc_device* dev, const cc_op_desc* op, cc_kernel** out);
  void (*release)(cc_device* dev, cc_kernel* kernel);

  /**
   * Enqueue one execution. May return before the work is done; args are the
   * buffers in the order the op kind documents, each large enough for the
   * descriptor's shape (the driver validates sizes).
   */
  cc_status (*launch)(cc_device* dev, cc_kernel* kernel, cc_buffer* const* args, uint32_t nargs);
  /** Block until every launched execution has finished. */
  cc_status (*synchronize)(cc_device* dev);

  /**
   * Optional. Run the kernel `repeat` (>= 1) times back to back and return the
   * elapsed time measured by the device's own clock (seconds), excluding
   * host overheads. Blocking.
   */
  cc_status (*timed_launch)(cc_device* dev, cc_kernel* kernel, cc_buffer* const* args,
                            uint32_t nargs, uint32_t repeat, double* seconds);

  /** Optional. Current sensor readings. */
  cc_status (*read_sensors)(cc_device* dev, cc_sensors* out);

  /**
   * Reason for the last failure on `dev` (or of enumerate/device_info/open
   * when dev is NULL). Never NULL; valid until the next call for the same
   * device.
   */
  const char* (*last_error)(cc_device* dev);

  /**
   * Optional. One line saying how the driver implements this kernel (library
   * and its chosen implementation, ISA, tile sizes), recorded with the case's
   * results so a figure can be traced to the code that produced it. Never
   * NULL when present; valid until the kernel is released.
   */
  const char* (*kernel_info)(cc_device* dev, cc_kernel* kernel);
} cc_driver_v1;

/**
 * The entry point a plugin exports (CC_DRIVER_ENTRY_SYMBOL). chipcert passes
 * the highest ABI version it understands; the driver returns a table of that
 * version or an older one it implements, or NULL if it has none chipcert
 * can use. The table must stay valid until the library is unloaded.
 */
typedef const cc_driver_v1* (*cc_driver_entry_fn)(uint32_t requested_abi);

#if defined(__GNUC__)
#define CC_DRIVER_EXPORT __attribute__((visibility("default")))
#else
#define CC_DRIVER_EXPORT
#endif

#ifdef __cplusplus
}
#endif

#endif /* CHIPCERT_DRIVER_H */
