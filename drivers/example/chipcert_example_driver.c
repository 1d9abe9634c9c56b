/*
 * chipcert example driver: the template a chip vendor copies.
 *
 * A plugin is a shared object that exports one symbol, chipcert_driver_entry,
 * returning a table of function pointers (cc_driver_v1, see
 * chipcert/driver.h). chipcert dlopen()s it from --driver-path or
 * CHIPCERT_DRIVER_PATH and measures it exactly like a built-in backend.
 *
 * This driver simulates accelerators whose "device memory" is host malloc()
 * and whose "kernels" are plain C loops, so every part of the contract is
 * shown without any SDK. To port it: keep the structure and the argument
 * checks, replace the bodies marked "VENDOR:" with calls into your runtime.
 *
 * Configuration (read when enumerate / device_info / open are called), from
 * the environment or, for a setting the environment leaves unset, from the
 * file CHIPCERT_EXAMPLE_CONFIG names ("key = value" lines, '#' comments):
 *   CHIPCERT_EXAMPLE_DEVICES=N    devices    number of devices, 1..16 (default 1)
 *   CHIPCERT_EXAMPLE_VENDOR       vendor     vendor string (default "chipcert example")
 *   CHIPCERT_EXAMPLE_MODEL        model      device name (default "chipcert example device")
 *   CHIPCERT_EXAMPLE_SERIAL       serial     serial of every device (default "": none)
 *   CHIPCERT_EXAMPLE_MEMORY_MB    memory_mb  memory per device in MiB (default 4096)
 *
 * Design rules every driver should follow:
 *  - never abort(), exit() or print: failures are a cc_status plus a reason;
 *  - no mutable globals: all state hangs off the cc_device handle, except the
 *    thread-local error buffer for calls that have no device yet;
 *  - validate every size the harness passes; a wrong size is
 *    CC_ERR_INVALID_ARGUMENT naming the argument, never a crash.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, CLOCK_MONOTONIC */

#include <chipcert/driver.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EX_MAX_DEVICES 16u
#define EX_DEFAULT_MEMORY_MB 4096u
#define EX_ERROR_MAX 512

/* Thread-local storage: C11 spelling when available, GNU spelling in C99. */
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define EX_THREAD_LOCAL _Thread_local
#else
#define EX_THREAD_LOCAL __thread
#endif

/* ---- handles ---------------------------------------------------------------
 * The ABI's handles are opaque to chipcert; a driver defines them freely.
 * Buffers and kernels are kept in per-device lists so close() can release
 * whatever the harness leaked (the ABI requires it). */

struct cc_buffer {
  cc_device* owner; /* lets launch/write/read reject another device's buffer */
  uint64_t size;
  void* data; /* VENDOR: your device pointer / memory handle */
  struct cc_buffer *prev, *next;
};

struct cc_kernel {
  cc_device* owner;
  cc_op_desc op; /* private copy: the harness may free its descriptor */
  uint32_t nargs;
  struct cc_kernel *prev, *next;
};

struct cc_device {
  uint32_t index;
  uint64_t memory_bytes; /* capacity, fixed at open */
  uint64_t used_bytes;
  cc_buffer* buffers;
  cc_kernel* kernels;
  char error[EX_ERROR_MAX]; /* what last_error(dev) returns */
};

/* The only mutable global: errors of calls made without a device. */
static EX_THREAD_LOCAL char g_error[EX_ERROR_MAX];

/* Record a reason and return `status`. Every failure path goes through here. */
#if defined(__GNUC__)
#define EX_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define EX_PRINTF(fmt, args)
#endif
static cc_status fail(cc_device* dev, cc_status status, const char* fmt, ...) EX_PRINTF(3, 4);
static cc_status fail(cc_device* dev, cc_status status, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(dev ? dev->error : g_error, EX_ERROR_MAX, fmt, ap);
  va_end(ap);
  return status;
}

/* ---- configuration: environment, then CHIPCERT_EXAMPLE_CONFIG ------------- */

#define EX_SETTING_MAX 256 /* longest value kept; the ABI arrays are shorter */

/* Copy `src` into a fixed ABI array, truncating and always terminating. */
static void copy_str(char* dst, size_t cap, const char* src) {
  size_t n = strlen(src);
  if (n >= cap) n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

static char* trim(char* s) {
  char* e;
  while (*s == ' ' || *s == '\t') ++s;
  e = s + strlen(s);
  while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r')) --e;
  *e = '\0';
  return s;
}

/* The value of setting `key` ("vendor") into buf: CHIPCERT_EXAMPLE_<KEY> when
 * set and non-empty, else the config file's line for it, else *found = 0.
 * `where` receives the source (the variable, or FILE:LINE) for messages.
 * The file is read on every call (it is tiny) so no state outlives a call.
 * VENDOR: a real driver asks its hardware for identity instead; a config file
 * is for stand-in devices in demos and tests. */
static cc_status setting(const char* key, char* buf, size_t cap, int* found, char where[300]) {
  static const char* const known[] = {"devices", "vendor", "model", "serial", "memory_mb"};
  char var[64], line[512];
  const char* env;
  const char* path;
  FILE* f;
  size_t i;
  unsigned lineno = 0;
  *found = 0;
  snprintf(var, sizeof var, "CHIPCERT_EXAMPLE_%s", key);
  for (i = strlen("CHIPCERT_EXAMPLE_"); var[i]; ++i)
    if (var[i] >= 'a' && var[i] <= 'z') var[i] = (char)(var[i] - 'a' + 'A');
  env = getenv(var);
  if (env && *env) {
    copy_str(buf, cap, env);
    copy_str(where, 300, var);
    *found = 1;
    return CC_OK;
  }
  path = getenv("CHIPCERT_EXAMPLE_CONFIG");
  if (!path || !*path) return CC_OK;
  f = fopen(path, "r");
  if (!f)
    return fail(NULL, CC_ERR_INVALID_ARGUMENT, "CHIPCERT_EXAMPLE_CONFIG=%s: cannot open: %s", path,
                strerror(errno));
  while (fgets(line, sizeof line, f)) {
    char *k, *v, *eq;
    int ok = 0;
    ++lineno;
    k = trim(line);
    if (*k == '\0' || *k == '#') continue;
    eq = strchr(k, '=');
    if (!eq) {
      fclose(f);
      return fail(NULL, CC_ERR_INVALID_ARGUMENT, "%s:%u: expected \"key = value\", found \"%.60s\"",
                  path, lineno, k);
    }
    *eq = '\0';
    k = trim(k);
    v = trim(eq + 1);
    for (i = 0; i < sizeof known / sizeof known[0]; ++i) ok = ok || strcmp(k, known[i]) == 0;
    if (!ok) {
      fclose(f);
      return fail(NULL, CC_ERR_INVALID_ARGUMENT,
                  "%s:%u: unknown key \"%.60s\" (known: devices, vendor, model, serial, "
                  "memory_mb)",
                  path, lineno, k);
    }
    if (strcmp(k, key) == 0) { /* the last line for a key wins */
      copy_str(buf, cap, v);
      snprintf(where, 300, "%.280s:%u", path, lineno);
      *found = 1;
    }
  }
  fclose(f);
  return CC_OK;
}

/* Setting `key` as an unsigned decimal in [lo, hi], `def` when unset. */
static cc_status setting_u64(const char* key, uint64_t lo, uint64_t hi, uint64_t def,
                             uint64_t* out) {
  char s[EX_SETTING_MAX], where[300];
  char* end = NULL;
  unsigned long long v;
  int found;
  cc_status st = setting(key, s, sizeof s, &found, where);
  *out = def;
  if (st != CC_OK || !found || !*s) return st;
  v = strtoull(s, &end, 10);
  if (*end != '\0' || s[0] == '-' || v < lo || v > hi)
    return fail(NULL, CC_ERR_INVALID_ARGUMENT,
                "%s: %s=\"%s\" is not a number in %" PRIu64 "..%" PRIu64, where, key, s, lo, hi);
  *out = (uint64_t)v;
  return CC_OK;
}

/* Setting `key` as text into buf, `def` when unset. */
static cc_status setting_str(const char* key, const char* def, char* buf, size_t cap) {
  char where[300];
  int found;
  cc_status st = setting(key, buf, cap, &found, where);
  if (st == CC_OK && !found) copy_str(buf, cap, def);
  return st;
}

/* FNV-1a, used to derive a stable UUID from the device identity. */
static uint64_t fnv1a(uint64_t h, const void* p, size_t n) {
  const unsigned char* b = (const unsigned char*)p;
  size_t i;
  for (i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

/* Deterministic RFC 9562 version-8 ("custom") UUID from vendor, model, index.
 * VENDOR: report the UUID your hardware burns in; it must not change between
 * runs, because certificates and comparisons key on it. */
static void make_uuid(char out[CC_SHORT_MAX], const char* vendor, const char* model,
                      uint32_t index) {
  uint64_t h[2] = {14695981039346656037ull, 0x6a09e667f3bcc909ull};
  unsigned char u[16];
  int i;
  for (i = 0; i < 2; ++i) {
    h[i] = fnv1a(h[i], vendor, strlen(vendor) + 1); /* +1: NUL separates fields */
    h[i] = fnv1a(h[i], model, strlen(model) + 1);
    h[i] = fnv1a(h[i], &index, sizeof index);
  }
  for (i = 0; i < 16; ++i) u[i] = (unsigned char)(h[i / 8] >> (8 * (i % 8)));
  u[6] = (unsigned char)((u[6] & 0x0f) | 0x80); /* version 8 */
  u[8] = (unsigned char)((u[8] & 0x3f) | 0x80); /* RFC variant */
  snprintf(out, CC_SHORT_MAX,
           "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
           u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* ---- discovery -------------------------------------------------------------- */

/* Harness expects: the number of devices, the same on every call in a
 * process. Thread-safe. A bad configuration is an error, not 0 devices, so
 * the user sees why. VENDOR: ask your runtime how many devices exist. */
static cc_status ex_enumerate(uint32_t* count) {
  uint64_t n;
  cc_status st;
  if (!count) return fail(NULL, CC_ERR_INVALID_ARGUMENT, "enumerate: count is NULL");
  st = setting_u64("devices", 1, EX_MAX_DEVICES, 1, &n);
  if (st != CC_OK) return st;
  *count = (uint32_t)n;
  return CC_OK;
}

static cc_status check_index(uint32_t index, const char* fn) {
  uint32_t count;
  cc_status st = ex_enumerate(&count);
  if (st != CC_OK) return st;
  if (index >= count)
    return fail(NULL, CC_ERR_INVALID_ARGUMENT, "%s: device index %" PRIu32 " >= count %" PRIu32, fn,
                index, count);
  return CC_OK;
}

static cc_status memory_bytes(uint64_t* out) {
  uint64_t mb;
  cc_status st = setting_u64("memory_mb", 1, UINT64_MAX >> 20, EX_DEFAULT_MEMORY_MB, &mb);
  *out = mb << 20;
  return st;
}

/* Harness expects: `info` was zero-filled and its struct_size set by the
 * caller (maybe an older or newer chipcert). Fill only what the caller's
 * struct can hold; every string NUL-terminated within its array; unknown
 * numbers 0, unknown strings "". Thread-safe; needs no open device. */
static cc_status ex_device_info(uint32_t index, cc_device_info* info) {
  cc_device_info d;
  char vendor[EX_SETTING_MAX], model[EX_SETTING_MAX], serial[EX_SETTING_MAX];
  size_t n;
  cc_status st = check_index(index, "device_info");
  if (st != CC_OK) return st;
  if ((st = setting_str("vendor", "chipcert example", vendor, sizeof vendor)) != CC_OK ||
      (st = setting_str("model", "chipcert example device", model, sizeof model)) != CC_OK ||
      (st = setting_str("serial", "", serial, sizeof serial)) != CC_OK)
    return st;
  if (!info || info->struct_size < 2 * sizeof(uint32_t))
    return fail(NULL, CC_ERR_INVALID_ARGUMENT,
                "device_info: info is NULL or struct_size too small");
  memset(&d, 0, sizeof d);
  d.kind = CC_DEVICE_ACCELERATOR;
  copy_str(d.name, sizeof d.name, model);
  copy_str(d.vendor, sizeof d.vendor, vendor);
  copy_str(d.driver_version, sizeof d.driver_version, "example-1.0");
  copy_str(d.serial, sizeof d.serial, serial);
  make_uuid(d.uuid, d.vendor, d.name, index); /* from the truncated strings */
  st = memory_bytes(&d.memory_bytes);
  if (st != CC_OK) return st;
  d.compute_units = 1; /* one host thread runs the loops */
  d.clock_mhz = 0;     /* unknown: 0, never a guess */
  d.dtypes = CC_DTYPE_BIT(CC_DTYPE_F32) | CC_DTYPE_BIT(CC_DTYPE_F64);
  /* Copy the prefix both sides know; keep the caller's struct_size. */
  n = info->struct_size < sizeof d ? info->struct_size : sizeof d;
  d.struct_size = info->struct_size;
  memcpy(info, &d, n);
  return CC_OK;
}

/* ---- device lifetime --------------------------------------------------------- */

/* Harness expects: a handle valid until close; on failure *out untouched
 * and the reason in last_error(NULL). VENDOR: create your context/queue. */
static cc_status ex_open(uint32_t index, cc_device** out) {
  cc_device* dev;
  uint64_t mem;
  cc_status st = check_index(index, "open");
  if (st != CC_OK) return st;
  if (!out) return fail(NULL, CC_ERR_INVALID_ARGUMENT, "open: out is NULL");
  st = memory_bytes(&mem);
  if (st != CC_OK) return st;
  dev = (cc_device*)calloc(1, sizeof *dev);
  if (!dev) return fail(NULL, CC_ERR_OUT_OF_MEMORY, "open: cannot allocate device state");
  dev->index = index;
  dev->memory_bytes = mem;
  *out = dev;
  return CC_OK;
}

/* Harness expects: everything still allocated on `dev` is released. */
static void ex_close(cc_device* dev) {
  if (!dev) return;
  while (dev->buffers) {
    cc_buffer* b = dev->buffers;
    dev->buffers = b->next;
    free(b->data);
    free(b);
  }
  while (dev->kernels) {
    cc_kernel* k = dev->kernels;
    dev->kernels = k->next;
    free(k);
  }
  free(dev);
}

/* ---- memory ------------------------------------------------------------------ */

/* Harness expects: 0 bytes is a valid empty buffer; more than the device
 * holds is CC_ERR_OUT_OF_MEMORY (the harness probes this), never a crash. */
static cc_status ex_alloc(cc_device* dev, uint64_t bytes, cc_buffer** out) {
  cc_buffer* b;
  if (!dev) return fail(NULL, CC_ERR_INVALID_ARGUMENT, "alloc: dev is NULL");
  if (!out) return fail(dev, CC_ERR_INVALID_ARGUMENT, "alloc: out is NULL");
  if (bytes > dev->memory_bytes - dev->used_bytes || bytes > (uint64_t)SIZE_MAX)
    return fail(dev, CC_ERR_OUT_OF_MEMORY,
                "alloc: %" PRIu64 " bytes requested, %" PRIu64 " of %" PRIu64 " free", bytes,
                dev->memory_bytes - dev->used_bytes, dev->memory_bytes);
  b = (cc_buffer*)calloc(1, sizeof *b);
  if (!b) return fail(dev, CC_ERR_OUT_OF_MEMORY, "alloc: cannot allocate buffer handle");
  if (bytes > 0) {
    b->data = malloc((size_t)bytes); /* VENDOR: your device allocator */
    if (!b->data) {
      free(b);
      return fail(dev, CC_ERR_OUT_OF_MEMORY, "alloc: host malloc of %" PRIu64 " bytes failed",
                  bytes);
    }
  }
  b->owner = dev;
  b->size = bytes;
  b->next = dev->buffers;
  if (b->next) b->next->prev = b;
  dev->buffers = b;
  dev->used_bytes += bytes;
  *out = b;
  return CC_OK;
}

static void ex_free(cc_device* dev, cc_buffer* b) {
  if (!dev || !b || b->owner != dev) return;
  if (b->prev)
    b->prev->next = b->next;
  else
    dev->buffers = b->next;
  if (b->next) b->next->prev = b->prev;
  dev->used_bytes -= b->size;
  free(b->data);
  free(b);
}

/* Shared checks of write/read: a buffer of this device, range inside it. */
static cc_status check_range(cc_device* dev, const char* fn, const cc_buffer* b, uint64_t offset,
                             const void* host, uint64_t bytes) {
  if (!dev) return fail(NULL, CC_ERR_INVALID_ARGUMENT, "%s: dev is NULL", fn);
  if (!b || b->owner != dev)
    return fail(dev, CC_ERR_INVALID_ARGUMENT, "%s: buf is NULL or not from this device", fn);
  if (bytes > 0 && !host) return fail(dev, CC_ERR_INVALID_ARGUMENT, "%s: host pointer is NULL", fn);
  if (offset > b->size || bytes > b->size - offset) /* no overflow in offset+bytes */
    return fail(dev, CC_ERR_INVALID_ARGUMENT,
                "%s: offset %" PRIu64 " + bytes %" PRIu64 " exceeds buffer size %" PRIu64, fn,
                offset, bytes, b->size);
  return CC_OK;
}

/* Harness expects: blocking; when it returns, `src` may be reused. */
static cc_status ex_write(cc_device* dev, cc_buffer* b, uint64_t offset, const void* src,
                          uint64_t bytes) {
  cc_status st = check_range(dev, "write", b, offset, src, bytes);
  if (st == CC_OK && bytes > 0) memcpy((char*)b->data + offset, src, (size_t)bytes);
  return st;
}

/* Harness expects: waits for all launched work, then copies. Blocking. */
static cc_status ex_read(cc_device* dev, cc_buffer* b, uint64_t offset, void* dst, uint64_t bytes) {
  cc_status st = check_range(dev, "read", b, offset, dst, bytes);
  if (st == CC_OK && bytes > 0) memcpy(dst, (const char*)b->data + offset, (size_t)bytes);
  return st;
}

/* ---- kernels ------------------------------------------------------------------ */

static size_t dtype_size(uint32_t t) {
  return t == CC_DTYPE_F64 ? 8 : 4;
}

/* Elements a row-major rows x cols matrix with leading dimension ld spans,
 * or UINT64_MAX if that overflows (then no buffer is large enough). */
static uint64_t span(int64_t rows, int64_t cols, int64_t ld) {
  if (rows == 0 || cols == 0) return 0;
  if ((uint64_t)(rows - 1) > (UINT64_MAX - (uint64_t)cols) / (uint64_t)ld) return UINT64_MAX;
  return (uint64_t)(rows - 1) * (uint64_t)ld + (uint64_t)cols;
}

/* Harness expects: all the planning happens here, once (VENDOR: compile,
 * pick a library routine, tune). Ops, dtypes or shapes the device cannot
 * run are CC_ERR_UNSUPPORTED with a reason; that case is then recorded as
 * "unsupported", not failed. Malformed descriptors are INVALID_ARGUMENT. */
static cc_status ex_prepare(cc_device* dev, const cc_op_desc* op, cc_kernel** out) {
  cc_kernel* k;
  cc_op_desc d;
  const size_t need = offsetof(cc_op_desc, u);
  if (!dev) return fail(NULL, CC_ERR_INVALID_ARGUMENT, "prepare: dev is NULL");
  if (!op || !out) return fail(dev, CC_ERR_INVALID_ARGUMENT, "prepare: op or out is NULL");
  if (op->struct_size < need)
    return fail(dev, CC_ERR_INVALID_ARGUMENT, "prepare: op struct_size %" PRIu32 " < %zu",
                op->struct_size, need);
  memset(&d, 0, sizeof d); /* an older, shorter descriptor reads as zeros */
  memcpy(&d, op, op->struct_size < sizeof d ? op->struct_size : sizeof d);

  if (d.kind == CC_OP_NOOP) {
    /* nothing to plan: measures launch latency */
  } else if (d.kind == CC_OP_GEMM) {
    const cc_gemm_params* g = &d.u.gemm;
    if (d.dtype != CC_DTYPE_F32 || d.acc_dtype != CC_DTYPE_F32)
      return fail(dev, CC_ERR_UNSUPPORTED,
                  "prepare: GEMM supports dtype f32 with f32 accumulation only (got dtype %" PRIu32
                  ", acc_dtype %" PRIu32 ")",
                  d.dtype, d.acc_dtype);
    /* VENDOR: batched GEMM (batch > 1) is left out of the template; say so. */
    if (g->batch > 1)
      return fail(dev, CC_ERR_UNSUPPORTED,
                  "prepare: batched GEMM (batch %" PRId64 ") is not implemented by the example",
                  g->batch);
    if (g->m < 0 || g->n < 0 || g->k < 0 || g->trans_a > 1 || g->trans_b > 1)
      return fail(dev, CC_ERR_INVALID_ARGUMENT, "prepare: GEMM m/n/k negative or trans not 0/1");
    if (g->lda < (g->trans_a ? g->m : g->k) || g->lda < 1 || g->ldb < (g->trans_b ? g->k : g->n) ||
        g->ldb < 1 || g->ldc < g->n || g->ldc < 1)
      return fail(dev, CC_ERR_INVALID_ARGUMENT,
                  "prepare: GEMM leading dimension too small (lda %" PRId64 ", ldb %" PRId64
                  ", ldc %" PRId64 ")",
                  g->lda, g->ldb, g->ldc);
  } else if (d.kind >= CC_OP_STREAM_COPY && d.kind <= CC_OP_STREAM_DOT) {
    if ((d.dtype != CC_DTYPE_F32 && d.dtype != CC_DTYPE_F64) || d.acc_dtype != d.dtype)
      return fail(dev, CC_ERR_UNSUPPORTED,
                  "prepare: STREAM supports f32 and f64 with acc_dtype == dtype only (got dtype "
                  "%" PRIu32 ", acc_dtype %" PRIu32 ")",
                  d.dtype, d.acc_dtype);
    if (d.u.stream.n < 0) return fail(dev, CC_ERR_INVALID_ARGUMENT, "prepare: STREAM n < 0");
  } else {
    return fail(dev, CC_ERR_UNSUPPORTED, "prepare: op kind %" PRIu32 " is not implemented", d.kind);
  }
  k = (cc_kernel*)calloc(1, sizeof *k);
  if (!k) return fail(dev, CC_ERR_OUT_OF_MEMORY, "prepare: cannot allocate kernel");
  k->owner = dev;
  k->op = d;
  k->nargs = d.kind == CC_OP_NOOP                                        ? 0
             : d.kind == CC_OP_STREAM_COPY || d.kind == CC_OP_STREAM_MUL ? 2
                                                                         : 3;
  k->next = dev->kernels;
  if (k->next) k->next->prev = k;
  dev->kernels = k;
  *out = k;
  return CC_OK;
}

static void ex_release(cc_device* dev, cc_kernel* k) {
  if (!dev || !k || k->owner != dev) return;
  if (k->prev)
    k->prev->next = k->next;
  else
    dev->kernels = k->next;
  if (k->next) k->next->prev = k->prev;
  free(k);
}

/* Check argument count, ownership and that each buffer holds its shape. */
static cc_status check_args(cc_device* dev, const cc_kernel* k, cc_buffer* const* args,
                            uint32_t nargs) {
  static const char* const gemm_names[] = {"A", "B", "C"};
  static const char* const stream_names[][3] = {
      {"a", "c", ""}, {"c", "b", ""}, {"a", "b", "c"}, {"b", "c", "a"}, {"a", "b", "s"}};
  const cc_op_desc* d = &k->op;
  uint32_t i;
  if (nargs != k->nargs || (nargs > 0 && !args))
    return fail(dev, CC_ERR_INVALID_ARGUMENT,
                "launch: op kind %" PRIu32 " takes %" PRIu32 " buffers, got %" PRIu32, d->kind,
                k->nargs, nargs);
  for (i = 0; i < nargs; ++i) {
    const char* name;
    uint64_t elems, bytes;
    if (d->kind == CC_OP_GEMM) {
      const cc_gemm_params* g = &d->u.gemm;
      name = gemm_names[i];
      elems = i == 0   ? (g->trans_a ? span(g->k, g->m, g->lda) : span(g->m, g->k, g->lda))
              : i == 1 ? (g->trans_b ? span(g->n, g->k, g->ldb) : span(g->k, g->n, g->ldb))
                       : span(g->m, g->n, g->ldc);
    } else {
      name = stream_names[d->kind - CC_OP_STREAM_COPY][i];
      elems = (d->kind == CC_OP_STREAM_DOT && i == 2) ? 1 : (uint64_t)d->u.stream.n;
    }
    bytes = elems > UINT64_MAX / 8 ? UINT64_MAX : elems * dtype_size(d->dtype);
    if (!args[i] || args[i]->owner != dev)
      return fail(dev, CC_ERR_INVALID_ARGUMENT,
                  "launch: argument %s is NULL or not from this device", name);
    if (args[i]->size < bytes)
      return fail(dev, CC_ERR_INVALID_ARGUMENT,
                  "launch: argument %s needs %" PRIu64 " bytes, buffer has %" PRIu64, name, bytes,
                  args[i]->size);
  }
  return CC_OK;
}

/* C = alpha*op(A)*op(B) + beta*C, row-major, i-k-j order so the inner loop
 * walks rows of B and C contiguously. beta == 0 overwrites C (NaN in the old
 * C must not leak through), as BLAS does. VENDOR: call your GEMM here. */
static void gemm_f32(const cc_gemm_params* g, const float* A, const float* B, float* C) {
  int64_t i, p, j;
  if (g->n == 0) return; /* C may be an empty buffer (NULL data) */
  for (i = 0; i < g->m; ++i) {
    float* c = C + i * g->ldc;
    for (j = 0; j < g->n; ++j) c[j] = g->beta == 0.0 ? 0.0f : (float)g->beta * c[j];
    for (p = 0; p < g->k; ++p) {
      float a = (float)g->alpha * (g->trans_a ? A[p * g->lda + i] : A[i * g->lda + p]);
      if (g->trans_b) {
        for (j = 0; j < g->n; ++j) c[j] += a * B[j * g->ldb + p];
      } else {
        const float* b = B + p * g->ldb;
        for (j = 0; j < g->n; ++j) c[j] += a * b[j];
      }
    }
  }
}

/* The five BabelStream kernels, written once for each element type. */
#define EX_STREAM(T, SUFFIX)                                                           \
  static void stream_##SUFFIX(uint32_t kind, int64_t n, T s, cc_buffer* const* args) { \
    T* x = (T*)args[0]->data;                                                          \
    T* y = (T*)args[1]->data;                                                          \
    T* z = kind >= CC_OP_STREAM_ADD ? (T*)args[2]->data : NULL;                        \
    double sum = 0.0;                                                                  \
    int64_t i;                                                                         \
    switch (kind) {                                                                    \
      case CC_OP_STREAM_COPY: /* c = a */                                              \
        for (i = 0; i < n; ++i) y[i] = x[i];                                           \
        break;                                                                         \
      case CC_OP_STREAM_MUL: /* b = scalar*c */                                        \
        for (i = 0; i < n; ++i) y[i] = s * x[i];                                       \
        break;                                                                         \
      case CC_OP_STREAM_ADD: /* c = a + b */                                           \
        for (i = 0; i < n; ++i) z[i] = x[i] + y[i];                                    \
        break;                                                                         \
      case CC_OP_STREAM_TRIAD: /* a = b + scalar*c */                                  \
        for (i = 0; i < n; ++i) z[i] = x[i] + s * y[i];                                \
        break;                                                                         \
      default: /* dot: s = sum(a*b), accumulated in double */                          \
        for (i = 0; i < n; ++i) sum += (double)x[i] * (double)y[i];                    \
        *z = (T)sum;                                                                   \
        break;                                                                         \
    }                                                                                  \
  }
EX_STREAM(float, f32)
EX_STREAM(double, f64)

static void run_kernel(const cc_kernel* k, cc_buffer* const* args) {
  const cc_op_desc* d = &k->op;
  if (d->kind == CC_OP_NOOP) return;
  if (d->kind == CC_OP_GEMM)
    gemm_f32(&d->u.gemm, (const float*)args[0]->data, (const float*)args[1]->data,
             (float*)args[2]->data);
  else if (d->dtype == CC_DTYPE_F32)
    stream_f32(d->kind, d->u.stream.n, (float)d->u.stream.scalar, args);
  else
    stream_f64(d->kind, d->u.stream.n, d->u.stream.scalar, args);
}

/* Harness expects: the buffers in the order the op kind documents, sizes
 * checked here (every call: the harness may pass different buffers). This
 * device runs synchronously; an asynchronous one would enqueue and return. */
static cc_status ex_launch(cc_device* dev, cc_kernel* k, cc_buffer* const* args, uint32_t nargs) {
  cc_status st;
  if (!dev) return fail(NULL, CC_ERR_INVALID_ARGUMENT, "launch: dev is NULL");
  if (!k || k->owner != dev)
    return fail(dev, CC_ERR_INVALID_ARGUMENT, "launch: kernel is NULL or not from this device");
  st = check_args(dev, k, args, nargs);
  if (st == CC_OK) run_kernel(k, args);
  return st;
}

/* Harness expects: returns once all launched work is done. Nothing is ever
 * in flight here. VENDOR: wait on your queue / stream. */
static cc_status ex_synchronize(cc_device* dev) {
  if (!dev) return fail(NULL, CC_ERR_INVALID_ARGUMENT, "synchronize: dev is NULL");
  return CC_OK;
}

/* Harness expects: `repeat` back-to-back runs timed by the device's own
 * clock, without per-launch host overhead. This device IS the host, so its
 * clock is CLOCK_MONOTONIC around the loop, arguments checked once before.
 * VENDOR: record device events around the loop (cudaEvent-style), or leave
 * the pointer NULL and the harness times launch+synchronize itself. */
static cc_status ex_timed_launch(cc_device* dev, cc_kernel* k, cc_buffer* const* args,
                                 uint32_t nargs, uint32_t repeat, double* seconds) {
  struct timespec t0, t1;
  uint32_t r;
  cc_status st;
  if (!dev) return fail(NULL, CC_ERR_INVALID_ARGUMENT, "timed_launch: dev is NULL");
  if (!k || k->owner != dev || !seconds || repeat == 0)
    return fail(dev, CC_ERR_INVALID_ARGUMENT,
                "timed_launch: kernel/seconds NULL, foreign kernel, or repeat == 0");
  st = check_args(dev, k, args, nargs);
  if (st != CC_OK) return st;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (r = 0; r < repeat; ++r) run_kernel(k, args);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  *seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  return CC_OK;
}

/* Harness expects: never NULL, the reason for the last failure on `dev`, or
 * of enumerate/device_info/open (this thread) when dev is NULL. */
static const char* ex_last_error(cc_device* dev) {
  return dev ? dev->error : g_error;
}

/* ---- the table and the entry point ------------------------------------------- */

/* Designated initialisers: a field added to the ABI later stays NULL here. */
static const cc_driver_v1 k_table = {
    .struct_size = sizeof(cc_driver_v1),
    .abi_version = CC_DRIVER_ABI_VERSION,
    .name = "example",
    .version = "1.0.0",
    .description = "chipcert example plugin: simulated accelerator on host memory",
    .enumerate = ex_enumerate,
    .device_info = ex_device_info,
    .open = ex_open,
    .close = ex_close,
    .alloc = ex_alloc,
    .free = ex_free,
    .write = ex_write,
    .read = ex_read,
    .prepare = ex_prepare,
    .release = ex_release,
    .launch = ex_launch,
    .synchronize = ex_synchronize,
    .timed_launch = ex_timed_launch,
    .read_sensors = NULL, /* no sensors: a made-up reading would be a lie */
    .last_error = ex_last_error,
};

/* The only exported symbol (the library is built with -fvisibility=hidden).
 * chipcert passes the highest ABI it knows; return a table of that version
 * or older, or NULL if none fits. */
CC_DRIVER_EXPORT const cc_driver_v1* chipcert_driver_entry(uint32_t requested_abi) {
  return requested_abi >= 1u ? &k_table : NULL;
}
