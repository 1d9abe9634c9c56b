// Conformance checks that launch work: every op kind against chipcert's
// reference (through the same workloads the runner uses), unsupported and
// bad descriptors, error reporting, threads, and teardown with live resources.

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "chipcert/driver_sdk.h"
#include "chipcert/harness/drivers.hpp"
#include "chipcert/workloads/dtype.hpp"
#include "chipcert/workloads/workload.hpp"
#include "conformance.hpp"

namespace chipcert::cli::conformance {

namespace {

/// A failed call must name its reason; returns the status.
cc_status expect_failure(const cc_driver_v1& d, cc_device* dev, cc_status st,
                         const std::string& call) {
  require(st != CC_OK, call + " succeeded; it must fail");
  const char* e = d.last_error(dev);
  require(e != nullptr && *e != '\0',
          call + " returned " + cc_status_string(st) + " without a reason in last_error");
  return st;
}

/// A small shape per op kind: odd sizes, so tails and edges are exercised.
struct OpCase {
  cc_op_kind kind;
  const char* workload;
  const char* parameters;  // JSON
};

constexpr OpCase kOpCases[] = {
    {CC_OP_NOOP, "launch_latency", "{}"},
    {CC_OP_GEMM, "gemm", R"({"m": 17, "n": 13, "k": 9, "alpha": 0.5, "beta": -1.5})"},
    {CC_OP_STREAM_COPY, "stream_copy", R"({"n": 1027})"},
    {CC_OP_STREAM_MUL, "stream_mul", R"({"n": 1027})"},
    {CC_OP_STREAM_ADD, "stream_add", R"({"n": 1027})"},
    {CC_OP_STREAM_TRIAD, "stream_triad", R"({"n": 1027})"},
    {CC_OP_STREAM_DOT, "stream_dot", R"({"n": 1027})"},
    {CC_OP_PEAK, "peak", R"({"n": 257, "iterations": 16})"},
    {CC_OP_CONV2D, "conv2d",
     R"({"n": 1, "c": 4, "h": 9, "w": 7, "k": 5, "r": 3, "s": 3, "pad": 1})"},
    {CC_OP_ATTENTION, "attention", R"({"batch": 1, "heads": 2, "seq_q": 9, "head_dim": 8})"},
    {CC_OP_LAYERNORM, "layernorm", R"({"rows": 5, "cols": 33})"},
    {CC_OP_SOFTMAX, "softmax", R"({"rows": 5, "cols": 33})"},
    {CC_OP_GELU, "gelu", R"({"n": 1027})"},
    {CC_OP_ADD, "add", R"({"n": 1027})"},
    {CC_OP_MUL, "mul", R"({"n": 1027})"},
    {CC_OP_GELU_BACKWARD, "gelu_backward", R"({"n": 1027})"},
    {CC_OP_LAYERNORM_BACKWARD, "layernorm_backward", R"({"rows": 5, "cols": 33})"},
    {CC_OP_SOFTMAX_BACKWARD, "softmax_backward", R"({"rows": 5, "cols": 33, "scale": 0.125})"},
    {CC_OP_SOFTMAX_XENT, "softmax_xent", R"({"rows": 5, "cols": 33})"},
    {CC_OP_ADAMW, "adamw", R"({"n": 1027})"},
};
static_assert(std::size(kOpCases) == CC_OP_KIND_COUNT_, "one case per op kind");

/// Every dtype the device claims, through the workload's reference, verified
/// twice (a kernel right once and wrong later fails). Unsupported is fine when
/// it is reported as CC_ERR_UNSUPPORTED with a reason.
std::string check_op(const OpCase& oc, const Target& t, const Progress& progress) {
  const cc_driver_v1& d = table(t);
  const workloads::Workload* w = workloads::find_workload(oc.workload);
  require(w != nullptr, std::string("chipcert has no workload ") + oc.workload);
  cc_device_info info;
  std::memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  if (d.device_info(0, &info) != CC_OK) throw Failure("device_info(0): " + error_text(d, nullptr));
  workloads::Device dev(d, 0);
  std::string verified, unsupported;
  for (uint32_t dt = 0; dt < CC_DTYPE_COUNT_; ++dt) {
    if ((info.dtypes & CC_DTYPE_BIT(dt)) == 0) continue;
    const workloads::CaseSpec spec{oc.workload, static_cast<cc_dtype>(dt),
                                   nlohmann::json::parse(oc.parameters)};
    std::unique_ptr<workloads::Instance> inst;
    try {
      inst = w->instantiate(spec);
    } catch (const workloads::SpecError&) {
      continue;  // chipcert has no reference for this dtype: nothing to check
    }
    const std::string tag = cc_dtype_name(dt);
    progress(tag + ": setup");
    try {
      inst->setup(dev, 42);
    } catch (const workloads::DriverError& e) {
      require(e.status() == CC_ERR_UNSUPPORTED,
              tag + ": setup failed with " + cc_status_string(e.status()) + ": " + e.what());
      require(std::strlen(e.what()) > 0, tag + ": unsupported without a reason");
      unsupported += (unsupported.empty() ? "" : ",") + tag;
      continue;
    }
    for (const char* pass : {"first", "second"}) {
      progress(tag + ": " + pass + " verification");
      workloads::VerifyResult r;
      try {
        r = inst->verify();
      } catch (const workloads::DriverError& e) {
        throw Failure(tag + ": " + pass + " launch failed with " + cc_status_string(e.status()) +
                      ": " + e.what());
      }
      require(r.passed, tag + ": " + pass + " launch " +
                            (r.mistrusted ? "mistrusted: " : "wrong: ") + r.reason);
    }
    verified += (verified.empty() ? "" : ",") + tag;
  }
  if (verified.empty() && unsupported.empty()) return "no claimed dtype has a reference: not run";
  return (verified.empty() ? std::string() : "verified " + verified) +
         (verified.empty() || unsupported.empty() ? "" : "; ") +
         (unsupported.empty() ? std::string() : "unsupported " + unsupported);
}

/// An open device, closed on scope exit.
struct Opened {
  Opened(const cc_driver_v1& drv, uint32_t index) : d(drv) {
    if (d.open(index, &dev) != CC_OK || dev == nullptr)
      throw Failure("open(" + std::to_string(index) + "): " + error_text(d, nullptr));
  }
  ~Opened() {
    if (dev != nullptr) d.close(dev);
  }
  Opened(const Opened&) = delete;
  Opened& operator=(const Opened&) = delete;
  const cc_driver_v1& d;
  cc_device* dev = nullptr;
};

std::string check_unknown_op(const Target& t, const Progress& progress) {
  const cc_driver_v1& d = table(t);
  Opened o(d, 0);
  cc_op_desc op = workloads::make_op(CC_OP_GEMM, CC_DTYPE_F32, CC_DTYPE_F32);
  op.kind = CC_OP_KIND_COUNT_ + 7;  // a kind from a newer harness
  cc_kernel* k = nullptr;
  progress("prepare(unknown kind)");
  cc_status st = expect_failure(d, o.dev, d.prepare(o.dev, &op, &k), "prepare(kind 27)");
  require(st == CC_ERR_UNSUPPORTED, std::string("prepare(kind 27) returned ") +
                                        cc_status_string(st) + ", expected CC_ERR_UNSUPPORTED");
  progress("prepare(unknown dtype)");
  op = workloads::make_op(CC_OP_STREAM_COPY, CC_DTYPE_F32, CC_DTYPE_F32);
  op.u.stream.n = 16;
  op.dtype = op.acc_dtype = 99;
  st = expect_failure(d, o.dev, d.prepare(o.dev, &op, &k), "prepare(stream_copy, dtype 99)");
  require(st == CC_ERR_UNSUPPORTED || st == CC_ERR_INVALID_ARGUMENT,
          std::string("prepare(stream_copy, dtype 99) returned ") + cc_status_string(st) +
              ", expected CC_ERR_UNSUPPORTED or CC_ERR_INVALID_ARGUMENT");
  return "an unknown op kind is CC_ERR_UNSUPPORTED, an unknown dtype is refused, both with a "
         "reason";
}

/// A prepared kernel of the first cheap op the driver supports, or NULL.
cc_kernel* any_kernel(const cc_driver_v1& d, cc_device* dev, uint32_t* nargs, uint64_t* bytes) {
  cc_op_desc op = workloads::make_op(CC_OP_STREAM_COPY, CC_DTYPE_F32, CC_DTYPE_F32);
  op.u.stream.n = 64;
  cc_kernel* k = nullptr;
  if (d.prepare(dev, &op, &k) == CC_OK && k != nullptr) {
    *nargs = 2;
    *bytes = 64 * 4;
    return k;
  }
  op = workloads::make_op(CC_OP_NOOP, CC_DTYPE_F32, CC_DTYPE_F32);
  if (d.prepare(dev, &op, &k) == CC_OK && k != nullptr) {
    *nargs = 0;
    *bytes = 0;
    return k;
  }
  return nullptr;
}

std::string check_errors(const Target& t, const Progress& progress) {
  const cc_driver_v1& d = table(t);
  Opened o(d, 0);
  require(d.last_error(o.dev) != nullptr, "last_error(dev) returned NULL before any failure");
  progress("write/read with a NULL buffer");
  char byte = 0;
  expect_failure(d, o.dev, d.write(o.dev, nullptr, 0, &byte, 1), "write(NULL buffer)");
  expect_failure(d, o.dev, d.read(o.dev, nullptr, 0, &byte, 1), "read(NULL buffer)");
  progress("prepare(gemm, m = 0)");
  cc_op_desc op = workloads::make_op(CC_OP_GEMM, CC_DTYPE_F32, CC_DTYPE_F32);
  cc_kernel* bad = nullptr;
  expect_failure(d, o.dev, d.prepare(o.dev, &op, &bad), "prepare(gemm with m = n = k = 0)");
  uint32_t nargs = 0;
  uint64_t bytes = 0;
  progress("prepare a cheap kernel");
  cc_kernel* k = any_kernel(d, o.dev, &nargs, &bytes);
  if (k == nullptr)
    return "NULL buffers and a bad descriptor rejected with reasons (no stream_copy or noop "
           "kernel to check launch)";
  cc_buffer* a = nullptr;
  cc_buffer* small = nullptr;
  const cc_status sa = d.alloc(o.dev, bytes + 8, &a);
  const cc_status sb = d.alloc(o.dev, 1, &small);
  if (sa != CC_OK || sb != CC_OK) throw Failure("alloc: " + error_text(d, o.dev));
  cc_buffer* const args[3] = {a, a, a};
  progress("launch with a wrong argument count");
  expect_failure(d, o.dev, d.launch(o.dev, k, args, nargs + 1), "launch with nargs + 1 buffers");
  if (nargs > 0) {
    progress("launch with a too small buffer");
    cc_buffer* const short_args[2] = {small, a};
    expect_failure(d, o.dev, d.launch(o.dev, k, short_args, nargs),
                   "launch(stream_copy n=64) with a 1-byte input buffer");
  }
  d.release(o.dev, k);
  d.free(o.dev, a);
  d.free(o.dev, small);
  return "NULL buffers, a bad descriptor, a wrong argument count and a short buffer all fail "
         "with a reason";
}

std::string check_threads(const Target& t, const Progress& progress) {
  const cc_driver_v1& d = table(t);
  uint32_t n = 0;
  if (d.enumerate(&n) != CC_OK || n == 0) throw Failure("enumerate: " + error_text(d, nullptr));
  // enumerate and device_info are thread-safe; different devices may run concurrently.
  std::atomic<int> bad{0};
  std::vector<std::string> why(2);
  const uint32_t devices = std::min(n, 2u);
  progress("2 threads: enumerate, device_info" +
           std::string(devices == 2 ? ", one device each" : ""));
  auto worker = [&](int id) {
    try {
      for (int i = 0; i < 200; ++i) {
        uint32_t m = 0;
        if (d.enumerate(&m) != CC_OK || m != n) throw Failure("enumerate changed under threads");
        cc_device_info info;
        std::memset(&info, 0, sizeof info);
        info.struct_size = sizeof info;
        if (d.device_info(uint32_t(i) % n, &info) != CC_OK || info.name[0] == '\0')
          throw Failure("device_info failed under threads");
      }
      if (devices == 2) {
        Opened o(d, uint32_t(id));
        std::vector<unsigned char> src(1 << 16), dst(1 << 16);
        for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<unsigned char>(i * 31 + id);
        cc_buffer* b = nullptr;
        if (d.alloc(o.dev, src.size(), &b) != CC_OK)
          throw Failure("alloc: " + error_text(d, o.dev));
        for (int r = 0; r < 20; ++r) {
          if (d.write(o.dev, b, 0, src.data(), src.size()) != CC_OK ||
              d.read(o.dev, b, 0, dst.data(), dst.size()) != CC_OK || dst != src)
            throw Failure("write/read round trip on device " + std::to_string(id) +
                          " failed while the other device was busy");
        }
        d.free(o.dev, b);
      }
    } catch (const std::exception& e) {
      why[size_t(id)] = e.what();
      ++bad;
    }
  };
  std::thread a(worker, 0), b(worker, 1);
  a.join();
  b.join();
  require(bad == 0, "thread 0: " + why[0] + "; thread 1: " + why[1]);
  return devices == 2 ? "enumerate/device_info and two devices used from two threads at once"
                      : "enumerate/device_info from two threads at once (one device: no "
                        "concurrent device use to check)";
}

std::string check_close_live(const Target& t, const Progress& progress) {
  const cc_driver_v1& d = table(t);
  {
    Opened o(d, 0);
    cc_buffer* b = nullptr;
    progress("allocate and prepare, then close");
    for (uint64_t bytes : {uint64_t(0), uint64_t(1), uint64_t(1) << 20})
      if (d.alloc(o.dev, bytes, &b) != CC_OK) throw Failure("alloc: " + error_text(d, o.dev));
    uint32_t nargs = 0;
    uint64_t kbytes = 0;
    (void)any_kernel(d, o.dev, &nargs, &kbytes);
    // ~Opened closes with three buffers and a kernel still live.
  }
  progress("open again after close");
  Opened again(d, 0);
  cc_buffer* b = nullptr;
  if (d.alloc(again.dev, 64, &b) != CC_OK)
    throw Failure("alloc after reopen: " + error_text(d, again.dev));
  return "close with 3 buffers and a kernel live, then open again and allocate";
}

/// A small fp32 descriptor of every op kind with buffers, for the size check.
cc_op_desc sized_desc(cc_op_kind kind) {
  cc_op_desc op = workloads::make_op(kind, CC_DTYPE_F32, CC_DTYPE_F32);
  switch (kind) {
    case CC_OP_GEMM:
      op.u.gemm = {.m = 17,
                   .n = 13,
                   .k = 9,
                   .lda = 11,
                   .ldb = 13,
                   .ldc = 15,
                   .trans_a = 0,
                   .trans_b = 0,
                   .alpha = 1.0,
                   .beta = 0.0,
                   .batch = 1,
                   .stride_a = 0,
                   .stride_b = 0,
                   .stride_c = 0};
      break;
    case CC_OP_STREAM_COPY:
    case CC_OP_STREAM_MUL:
    case CC_OP_STREAM_ADD:
    case CC_OP_STREAM_TRIAD:
    case CC_OP_STREAM_DOT:
      op.u.stream = {.n = 1027, .scalar = 3.0};
      break;
    case CC_OP_PEAK:
      op.u.peak = {.n = 257, .iterations = 16, .alpha = 0.999, .beta = 0.001};
      break;
    case CC_OP_CONV2D:
      op.u.conv2d = {.n = 1,
                     .c = 4,
                     .h = 9,
                     .w = 7,
                     .k = 5,
                     .r = 3,
                     .s = 3,
                     .stride_h = 1,
                     .stride_w = 1,
                     .pad_h = 1,
                     .pad_w = 1,
                     .dilation_h = 1,
                     .dilation_w = 1,
                     .groups = 1,
                     .layout = CC_LAYOUT_NCHW,
                     .reserved0 = 0};
      break;
    case CC_OP_ATTENTION:
      op.u.attention = {.batch = 1,
                        .heads = 2,
                        .seq_q = 9,
                        .seq_kv = 9,
                        .head_dim = 8,
                        .causal = 0,
                        .layout = CC_ATTN_BHSD,
                        .scale = 0.35};
      break;
    case CC_OP_LAYERNORM:
    case CC_OP_SOFTMAX:
    case CC_OP_LAYERNORM_BACKWARD:
    case CC_OP_SOFTMAX_BACKWARD:
    case CC_OP_SOFTMAX_XENT:
      op.u.rows = {.rows = 5,
                   .cols = 33,
                   .eps = 1e-5,
                   .scale = 0.125,
                   .causal = 0,
                   .reserved0 = 0,
                   .seq_q = 0};
      break;
    case CC_OP_ADAMW:
      op.u.adamw = {.n = 1027,
                    .step = 1,
                    .lr = 1e-3,
                    .beta1 = 0.9,
                    .beta2 = 0.999,
                    .eps = 1e-8,
                    .weight_decay = 0.01};
      break;
    default:  // GELU, ADD, MUL, GELU_BACKWARD
      op.u.eltwise = {.n = 1027};
      break;
  }
  return op;
}

/// Buffer sizes: every supported op accepts buffers of exactly
/// cc_op_arg_bytes (the SDK's reading of driver.h) and refuses, with a
/// reason, each buffer one byte shorter. Catches a driver that reads past a
/// buffer it never checked, and one that demands more than the ABI says.
std::string check_arg_sizes(const Target& t, const Progress& progress) {
  const cc_driver_v1& d = table(t);
  Opened o(d, 0);
  std::string checked, unsupported;
  for (uint32_t kind = CC_OP_NOOP + 1; kind < CC_OP_KIND_COUNT_; ++kind) {
    const std::string name = cc_op_kind_name(kind);
    const cc_op_desc op = sized_desc(static_cast<cc_op_kind>(kind));
    progress(name + ": prepare");
    cc_kernel* k = nullptr;
    const cc_status st = d.prepare(o.dev, &op, &k);
    if (st == CC_ERR_UNSUPPORTED) {
      unsupported += (unsupported.empty() ? "" : ",") + name;
      continue;
    }
    if (st != CC_OK)
      throw Failure(name + ": prepare (fp32, small shape) returned " + cc_status_string(st) + ": " +
                    error_text(d, o.dev));
    const int n = cc_op_arg_count(kind);
    std::vector<cc_buffer*> exact(static_cast<size_t>(n)), shorter(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      uint64_t bytes = 0;
      require(cc_op_arg_bytes(&op, static_cast<uint32_t>(i), &bytes) == CC_OK,
              name + ": the SDK has no size for argument " + std::to_string(i));
      const std::vector<std::byte> zeros(bytes);
      for (auto [buf, size] :
           {std::pair{&exact[size_t(i)], bytes}, {&shorter[size_t(i)], bytes - 1}}) {
        if (d.alloc(o.dev, size, buf) != CC_OK)
          throw Failure(name + ": alloc(" + std::to_string(size) + "): " + error_text(d, o.dev));
        if (size > 0 && d.write(o.dev, *buf, 0, zeros.data(), size) != CC_OK)
          throw Failure(name + ": write: " + error_text(d, o.dev));
      }
    }
    progress(name + ": launch with buffers of exactly the documented sizes");
    const cc_status ok = d.launch(o.dev, k, exact.data(), static_cast<uint32_t>(n));
    if (ok != CC_OK || d.synchronize(o.dev) != CC_OK)
      throw Failure(name + ": launch with buffers of exactly the documented sizes returned " +
                    cc_status_string(ok) + ": " + error_text(d, o.dev));
    for (int i = 0; i < n; ++i) {
      std::vector<cc_buffer*> args = exact;
      args[size_t(i)] = shorter[size_t(i)];
      const std::string what = name + ": launch with " +
                               cc_op_arg_name(kind, static_cast<uint32_t>(i)) + " one byte short";
      progress(what);
      const cc_status bad = d.launch(o.dev, k, args.data(), static_cast<uint32_t>(n));
      if (bad == CC_OK) (void)d.synchronize(o.dev);
      expect_failure(d, o.dev, bad, what);
      require(bad == CC_ERR_INVALID_ARGUMENT,
              what + " returned " + cc_status_string(bad) + "; expected CC_ERR_INVALID_ARGUMENT");
    }
    for (int i = 0; i < n; ++i) {
      d.free(o.dev, exact[size_t(i)]);
      d.free(o.dev, shorter[size_t(i)]);
    }
    d.release(o.dev, k);
    checked += (checked.empty() ? "" : ",") + name;
  }
  if (checked.empty()) return "no op with buffers is supported: nothing to check";
  return "exact sizes accepted and one byte less refused for " + checked +
         (unsupported.empty() ? "" : "; unsupported " + unsupported);
}

/// timed_launch (optional): runs the kernel `repeat` times (the output shows
/// it ran), returns a finite non-negative device time, and rejects a NULL
/// result pointer with a reason.
std::string check_timed_launch(const Target& t, const Progress& progress) {
  const cc_driver_v1& d = table(t);
  if (d.timed_launch == nullptr) return "not provided (optional): the harness times on the host";
  Opened o(d, 0);
  uint32_t nargs = 0;
  uint64_t bytes = 0;
  progress("prepare a cheap kernel");
  cc_kernel* k = any_kernel(d, o.dev, &nargs, &bytes);
  if (k == nullptr) return "provided; no stream_copy or noop kernel to time: not run";
  cc_buffer* in = nullptr;
  cc_buffer* out = nullptr;
  std::vector<float> src(64), got(64, -1.0f);
  for (size_t i = 0; i < src.size(); ++i) src[i] = 0.5f + static_cast<float>(i);
  if (nargs == 2) {
    if (d.alloc(o.dev, bytes, &in) != CC_OK || d.alloc(o.dev, bytes, &out) != CC_OK)
      throw Failure("alloc: " + error_text(d, o.dev));
    require(d.write(o.dev, in, 0, src.data(), bytes) == CC_OK &&
                d.write(o.dev, out, 0, got.data(), bytes) == CC_OK,
            "write: " + error_text(d, o.dev));
  }
  cc_buffer* const args[2] = {in, out};
  std::string figures;
  for (uint32_t repeat : {1u, 8u}) {
    progress("timed_launch repeat " + std::to_string(repeat));
    double seconds = -1;
    const cc_status st = d.timed_launch(o.dev, k, args, nargs, repeat, &seconds);
    if (st != CC_OK)
      throw Failure("timed_launch(repeat " + std::to_string(repeat) + ") returned " +
                    cc_status_string(st) + ": " + error_text(d, o.dev));
    // As the runner (workloads::Device::timed_launch): a zero time is an error too.
    require(std::isfinite(seconds) && seconds > 0 && seconds < 60,
            "timed_launch(repeat " + std::to_string(repeat) + ") gave " + std::to_string(seconds) +
                " s (expected a finite time in (0, 60) s)");
    figures += (figures.empty() ? "" : ", ") + std::to_string(repeat) + "x " +
               std::to_string(seconds * 1e6) + " us";
  }
  if (nargs == 2) {
    require(d.read(o.dev, out, 0, got.data(), bytes) == CC_OK, "read: " + error_text(d, o.dev));
    require(got == src,
            "after timed_launch the stream_copy output is not its input: the "
            "kernel did not run");
  }
  progress("timed_launch with a NULL result pointer");
  expect_failure(d, o.dev, d.timed_launch(o.dev, k, args, nargs, 1, nullptr),
                 "timed_launch(seconds = NULL)");
  return std::string(nargs == 2 ? "stream_copy" : "noop") + " timed (" + figures +
         "), output checked, NULL result rejected";
}

/// read_sensors (optional): CC_OK with each field finite (negative = not
/// reported) or UNSUPPORTED with a reason; never writes past struct_size.
std::string check_sensors(const Target& t, const Progress& progress) {
  const cc_driver_v1& d = table(t);
  if (d.read_sensors == nullptr) return "not provided (optional): no sensor figures";
  Opened o(d, 0);
  progress("read_sensors, full struct");
  cc_sensors s;
  std::memset(&s, 0, sizeof s);
  s.struct_size = sizeof s;
  const cc_status st = d.read_sensors(o.dev, &s);
  if (st == CC_ERR_UNSUPPORTED) {
    require(!error_text(d, o.dev).empty(), "read_sensors: UNSUPPORTED without a reason");
    return "UNSUPPORTED with a reason: " + error_text(d, o.dev);
  }
  if (st != CC_OK)
    throw Failure(std::string("read_sensors returned ") + cc_status_string(st) + ": " +
                  error_text(d, o.dev));
  require(s.struct_size == sizeof s, "read_sensors changed struct_size");
  for (auto [name, v] : {std::pair{"power_w", s.power_w},
                         {"temperature_c", s.temperature_c},
                         {"clock_mhz", s.clock_mhz}})
    require(std::isfinite(v), std::string("read_sensors: ") + name + " is not finite (" +
                                  std::to_string(v) + "); unknown must be negative");
  progress("read_sensors, an older struct with power_w only");
  struct {
    cc_sensors head;
    unsigned char canary[8];
  } small;
  std::memset(&small, 0x5a, sizeof small);
  small.head.struct_size = offsetof(cc_sensors, temperature_c);
  const cc_status st2 = d.read_sensors(o.dev, &small.head);
  require(st2 == CC_OK, std::string("read_sensors with a smaller struct_size returned ") +
                            cc_status_string(st2) + ": " + error_text(d, o.dev));
  const auto* tail =
      reinterpret_cast<const unsigned char*>(&small.head) + offsetof(cc_sensors, temperature_c);
  for (size_t i = 0; i < sizeof small - offsetof(cc_sensors, temperature_c); ++i)
    require(tail[i] == 0x5a, "read_sensors wrote past the caller's struct_size (byte " +
                                 std::to_string(offsetof(cc_sensors, temperature_c) + i) + ")");
  return "power " + std::to_string(s.power_w) + " W, temperature " +
         std::to_string(s.temperature_c) + " C, clock " + std::to_string(s.clock_mhz) +
         " MHz; smaller struct respected";
}

/// kernel_info (optional): never NULL, terminated within 4 KiB, printable, one
/// line, the same on a second call.
std::string check_kernel_info(const Target& t, const Progress& progress) {
  const cc_driver_v1& d = table(t);
  if (d.kernel_info == nullptr) return "not provided (optional): results carry no kernel note";
  Opened o(d, 0);
  uint32_t nargs = 0;
  uint64_t bytes = 0;
  progress("prepare a cheap kernel");
  cc_kernel* k = any_kernel(d, o.dev, &nargs, &bytes);
  if (k == nullptr) return "provided; no stream_copy or noop kernel to ask about: not run";
  progress("kernel_info");
  const char* first = d.kernel_info(o.dev, k);
  require(first != nullptr, "kernel_info returned NULL (must never be NULL)");
  const size_t n = strnlen(first, 4096);
  require(n < 4096, "kernel_info is not NUL-terminated within 4096 bytes");
  const std::string text(first, n);
  for (unsigned char c : text)
    require(c >= 0x20 || c == '\t', "kernel_info has a control character (it must be one line)");
  const char* second = d.kernel_info(o.dev, k);
  require(second != nullptr && std::string(second, strnlen(second, 4096)) == text,
          "kernel_info changed between two calls for the same kernel");
  return "\"" + text.substr(0, 80) + (text.size() > 80 ? "...\"" : "\"");
}

}  // namespace

std::vector<Check> op_checks() {
  std::vector<Check> c;
  for (const OpCase& oc : kOpCases)
    c.push_back({std::string("op.") + cc_op_kind_name(oc.kind),
                 std::string("every claimed dtype verified against the reference, or "
                             "CC_ERR_UNSUPPORTED with a reason (") +
                     oc.workload + ")",
                 [&oc](const Target& t, const Progress& p) { return check_op(oc, t, p); }});
  return c;
}

std::vector<Check> late_checks() {
  return {
      {"op.unknown", "an unknown op kind is CC_ERR_UNSUPPORTED", check_unknown_op},
      {"errors.last_error", "bad arguments fail with INVALID_ARGUMENT-style errors and a reason",
       check_errors},
      {"threads", "enumerate/device_info thread-safe; different devices concurrently",
       check_threads},
      {"args.sizes", "buffers of exactly the documented sizes accepted, one byte less refused",
       check_arg_sizes},
      {"timer.timed_launch", "optional device timer runs the kernel and returns a sane time",
       check_timed_launch},
      {"sensors.read", "optional sensors: finite readings or UNSUPPORTED; struct_size respected",
       check_sensors},
      {"kernel.info", "optional kernel_info: one terminated, stable line", check_kernel_info},
      {"close.with_resources", "close with buffers and kernels still live does not crash",
       check_close_live},
  };
}

}  // namespace chipcert::cli::conformance
