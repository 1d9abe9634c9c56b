// Conformance checks that launch work: every op kind against chipcert's
// reference (through the same workloads the runner uses), unsupported and
// bad descriptors, error reporting, threads, and teardown with live resources.

#include <atomic>
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
      {"close.with_resources", "close with buffers and kernels still live does not crash",
       check_close_live},
  };
}

}  // namespace chipcert::cli::conformance
