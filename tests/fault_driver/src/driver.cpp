// chipcert fault-injection driver: a correct host-memory device (naive loops
// in kernels.cpp) that misbehaves on purpose when CHIPCERT_FAULT says so, so
// the harness's robustness tests, the compare gate tests and the conformance
// suite can prove chipcert survives and records each failure. Modes and
// variables: ../README.md.
//
// C++ inside, C at the door: every entry point catches everything and turns
// it into a cc_status plus a last_error message. All state lives in the
// device object except the thread-local error of calls without a device.
#include <chipcert/driver.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <new>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "config.hpp"
#include "kernels.hpp"

using chipcert::fault::Config;
using chipcert::fault::FaultError;
using chipcert::fault::Mode;
using chipcert::fault::Plan;

struct cc_buffer {
  uint64_t size = 0;
  void* data = nullptr;  // malloc'd; nullptr only when size is 0
};

struct cc_kernel {
  Plan plan;
  std::string info;  // what kernel_info returns
};

struct cc_device {
  uint32_t index = 0;
  uint64_t capacity = 0, used = 0;
  std::unordered_set<cc_buffer*> buffers;  // what close() must release
  std::unordered_set<cc_kernel*> kernels;
  std::vector<void*> leaked;       // `leak` mode's blocks: never freed before close
  uint64_t matching_launches = 0;  // launches of ops CHIPCERT_FAULT_OP selects
  uint64_t timer_faults = 0;       // flaky_timer answers so far (alternation)
  bool hang_pending = false;       // hang with ARG 1: the next synchronize/read blocks
  std::string error;
};

namespace {

constexpr uint64_t kMemoryBytes = 8ull << 30;  // what device_info reports and alloc enforces
constexpr uint32_t kHugeCount = 4'000'000'000u;

/// Error text of calls made without a device (enumerate, device_info, open).
std::string& thread_error() {
  thread_local std::string s;
  return s;
}

/// Runs `f`, mapping every exception to a status and recording its message
/// where last_error(dev) will find it. Nothing escapes across the C ABI.
template <class F>
cc_status guarded(cc_device* dev, F&& f) noexcept {
  std::string& err = dev ? dev->error : thread_error();
  try {
    f();
    return CC_OK;
  } catch (const FaultError& e) {
    err = e.what();
    return e.status();
  } catch (const std::bad_alloc&) {
    err = "fault driver: host memory exhausted";
    return CC_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    err = std::string("fault driver internal error: ") + e.what();
    return CC_ERR_INTERNAL;
  } catch (...) {
    err = "fault driver internal error";
    return CC_ERR_INTERNAL;
  }
}

[[noreturn]] void fail(cc_status s, const std::string& what) {
  throw FaultError(s, what);
}

uint32_t device_count(const Config& c) {
  if (c.mode == Mode::enumerate_error) fail(CC_ERR_DEVICE, "injected enumerate failure");
  return c.mode == Mode::huge_count ? kHugeCount : c.devices;
}

void check_index(const Config& c, uint32_t index, const char* fn) {
  const uint32_t n = device_count(c);
  if (index >= n)
    fail(CC_ERR_INVALID_ARGUMENT, std::string(fn) + ": device index " + std::to_string(index) +
                                      " >= count " + std::to_string(n));
}

void copy_str(char* dst, size_t cap, const std::string& s) {
  const size_t n = std::min(s.size(), cap - 1);
  std::memcpy(dst, s.data(), n);
  dst[n] = '\0';
}

[[noreturn]] void hang_forever() {
  // A sleep loop, not a spin: killable by any signal, cheap while a watchdog waits.
  for (;;) std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

[[noreturn]] void crash_segv(bool keep_handlers) {
  // By default the process dies by SIGSEGV even under ASan, whose handler
  // would otherwise turn the crash into exit code 1.
  if (!keep_handlers) std::signal(SIGSEGV, SIG_DFL);
  volatile uintptr_t addr = 16;  // volatile: the compiler cannot see the address
  *reinterpret_cast<volatile int*>(addr) = 1;
  std::raise(SIGSEGV);
  std::abort();
}

double seconds_now() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

cc_buffer* own_buffer(cc_device* dev, cc_buffer* b, const char* what) {
  if (b == nullptr || !dev->buffers.contains(b))
    fail(CC_ERR_INVALID_ARGUMENT, std::string(what) + ": not a buffer of this device");
  return b;
}

void check_range(const cc_buffer* b, uint64_t offset, uint64_t bytes, const void* host,
                 const char* fn) {
  uint64_t end = 0;
  if (__builtin_add_overflow(offset, bytes, &end) || end > b->size)
    fail(CC_ERR_INVALID_ARGUMENT, std::string(fn) + ": offset " + std::to_string(offset) + " + " +
                                      std::to_string(bytes) + " bytes exceeds the " +
                                      std::to_string(b->size) + "-byte buffer");
  if (bytes > 0 && host == nullptr)
    fail(CC_ERR_INVALID_ARGUMENT, std::string(fn) + ": NULL host pointer");
}

/// Faults applied to a finished, correct result.
void corrupt_output(const Config& c, const Plan& p, void* out) {
  using chipcert::fault::get_output;
  using chipcert::fault::set_output;
  if (p.output < 0 || p.outputs == 0) return;  // noop, empty shapes: nothing to corrupt
  const uint64_t one = c.arg ? std::min<uint64_t>(uint64_t(*c.arg), p.outputs - 1)
                             : chipcert::fault::default_output_index(p);
  switch (c.mode) {
    case Mode::wrong:
    case Mode::wrong_after: {
      const double v = get_output(p, out, one);
      set_output(p, out, one, v + (std::fabs(v) + 1.0) * 1024.0);
      break;
    }
    case Mode::nan:
      set_output(p, out, one, std::nan(""));
      break;
    case Mode::zeros:
      for (uint64_t i = 0; i < p.outputs; ++i) set_output(p, out, i, 0.0);
      break;
    case Mode::ulp:
      // A copy involves no rounding: one ulp off would be a real error.
      if (p.op.kind == CC_OP_STREAM_COPY) break;
      for (uint64_t i = 0; i < p.outputs; ++i) chipcert::fault::nudge_output(p, out, i);
      break;
    default:
      break;
  }
}

/// One execution: validate, apply the configured fault, run. Returns whether
/// the fault fired (used by timed_launch for flaky_timer).
bool launch_one(cc_device* dev, cc_kernel* k, cc_buffer* const* args, uint32_t nargs,
                const Config& c) {
  if (k == nullptr || !dev->kernels.contains(k))
    fail(CC_ERR_INVALID_ARGUMENT, "launch: not a kernel of this device");
  const Plan& p = k->plan;
  if (nargs != p.arg_bytes.size() || (nargs > 0 && args == nullptr))
    fail(CC_ERR_INVALID_ARGUMENT,
         std::string("launch: ") + chipcert::fault::op_kind_name(p.op.kind) + " takes " +
             std::to_string(p.arg_bytes.size()) + " arguments, got " + std::to_string(nargs));
  std::vector<void*> data(nargs);
  // oversize: demand one byte more than driver.h documents for every buffer.
  const uint64_t extra =
      c.mode == Mode::oversize && c.on_device(dev->index) && c.on_op(p.op.kind) ? 1 : 0;
  for (uint32_t i = 0; i < nargs; ++i) {
    const cc_buffer* b = own_buffer(dev, args[i], "launch");
    if (b->size < p.arg_bytes[i] + extra)
      fail(CC_ERR_INVALID_ARGUMENT, "launch: argument " + std::to_string(i) + " holds " +
                                        std::to_string(b->size) + " bytes, the op needs " +
                                        std::to_string(p.arg_bytes[i] + extra));
    data[i] = b->data;
  }
  bool fire = false;
  if (c.on_device(dev->index) && c.on_op(p.op.kind)) fire = dev->matching_launches++ >= c.after;
  if (fire) {
    switch (c.mode) {
      case Mode::error:
        fail(CC_ERR_DEVICE, "injected device error");
      case Mode::hang:
        if (c.arg.value_or(0) != 1) hang_forever();
        dev->hang_pending = true;
        break;
      case Mode::segv:
        crash_segv(c.arg.value_or(0) == 1);
      case Mode::abort:
        std::abort();
      case Mode::leak: {
        const auto bytes = uint64_t(c.arg.value_or(64) * double(1 << 20));
        void* block = std::malloc(std::max<uint64_t>(bytes, 1));
        if (block == nullptr) fail(CC_ERR_OUT_OF_MEMORY, "leak: host memory exhausted");
        std::memset(block, 0xa5, bytes);  // touch every page so the RSS grows
        dev->leaked.push_back(block);
        break;
      }
      case Mode::slow:
        std::this_thread::sleep_for(std::chrono::duration<double>(c.arg.value_or(0.002)));
        break;
      default:
        break;
    }
  }
  chipcert::fault::run(p, data.data());
  if (fire) corrupt_output(c, p, p.output >= 0 ? data[size_t(p.output)] : nullptr);
  return fire;
}

// ---- the ABI functions -------------------------------------------------------

cc_status f_enumerate(uint32_t* count) {
  return guarded(nullptr, [&] {
    if (count == nullptr) fail(CC_ERR_INVALID_ARGUMENT, "enumerate: count is NULL");
    *count = device_count(chipcert::fault::read_config());
  });
}

cc_status f_device_info(uint32_t index, cc_device_info* info) {
  return guarded(nullptr, [&] {
    const Config c = chipcert::fault::read_config();
    check_index(c, index, "device_info");
    if (info == nullptr || info->struct_size < sizeof(uint32_t))
      fail(CC_ERR_INVALID_ARGUMENT, "device_info: info is NULL or has no struct_size");
    cc_device_info d{};
    d.kind = CC_DEVICE_ACCELERATOR;
    copy_str(d.name, sizeof d.name, "chipcert fault-injection device");
    copy_str(d.vendor, sizeof d.vendor, "chipcert test");
    copy_str(d.driver_version, sizeof d.driver_version, "1.0");
    copy_str(d.uuid, sizeof d.uuid,
             "00000000-0000-8000-8000-0000fa17" + std::to_string(1000 + index % 9000));
    d.memory_bytes = kMemoryBytes;
    d.compute_units = 1;
    d.dtypes = CC_DTYPE_BIT(CC_DTYPE_F32) | CC_DTYPE_BIT(CC_DTYPE_F64);
    if (c.on_device(index) && c.mode == Mode::absurd_info) {
      d.name[0] = '\0';
      d.memory_bytes = 0;
      d.compute_units = 0;
    }
    if (c.on_device(index) && c.mode == Mode::unterminated_info) {
      std::memset(d.name, 'N', sizeof d.name);
      std::memset(d.vendor, 'V', sizeof d.vendor);
      std::memset(d.driver_version, 'D', sizeof d.driver_version);
      std::memset(d.uuid, 'U', sizeof d.uuid);
      std::memset(d.serial, 'S', sizeof d.serial);
      std::memset(d.pci_bus_id, 'P', sizeof d.pci_bus_id);
    }
    // Fill only what the caller's (maybe older) struct holds.
    const uint32_t size = info->struct_size;
    d.struct_size = size;
    std::memcpy(info, &d, std::min<size_t>(size, sizeof d));
  });
}

cc_status f_open(uint32_t index, cc_device** out) {
  return guarded(nullptr, [&] {
    const Config c = chipcert::fault::read_config();
    check_index(c, index, "open");
    if (out == nullptr) fail(CC_ERR_INVALID_ARGUMENT, "open: out is NULL");
    if (c.on_device(index) && c.mode == Mode::open_fail)
      fail(CC_ERR_DEVICE, "injected open failure");
    auto* d = new cc_device;
    d->index = index;
    d->capacity = kMemoryBytes;
    *out = d;
  });
}

void f_close(cc_device* dev) {
  if (dev == nullptr) return;
  for (cc_buffer* b : dev->buffers) {
    std::free(b->data);
    delete b;
  }
  for (cc_kernel* k : dev->kernels) delete k;
  for (void* p : dev->leaked) std::free(p);
  delete dev;
}

cc_status f_alloc(cc_device* dev, uint64_t bytes, cc_buffer** out) {
  if (dev == nullptr) return CC_ERR_INVALID_ARGUMENT;
  return guarded(dev, [&] {
    const Config c = chipcert::fault::read_config();
    if (out == nullptr) fail(CC_ERR_INVALID_ARGUMENT, "alloc: out is NULL");
    if (c.on_device(dev->index) && c.mode == Mode::alloc_fail)
      fail(CC_ERR_OUT_OF_MEMORY,
           "injected allocation failure (" + std::to_string(bytes) + " bytes)");
    if (bytes > dev->capacity - dev->used)
      fail(CC_ERR_OUT_OF_MEMORY, "alloc: " + std::to_string(bytes) + " bytes requested, " +
                                     std::to_string(dev->capacity - dev->used) + " free");
    auto* b = new cc_buffer;
    b->size = bytes;
    if (bytes > 0 && (b->data = std::malloc(bytes)) == nullptr) {
      delete b;
      fail(CC_ERR_OUT_OF_MEMORY,
           "alloc: host malloc of " + std::to_string(bytes) + " bytes failed");
    }
    dev->buffers.insert(b);
    dev->used += bytes;
    *out = b;
  });
}

void f_free(cc_device* dev, cc_buffer* b) {
  if (dev == nullptr || b == nullptr || dev->buffers.erase(b) == 0) return;
  dev->used -= b->size;
  std::free(b->data);
  delete b;
}

cc_status f_write(cc_device* dev, cc_buffer* b, uint64_t offset, const void* src, uint64_t bytes) {
  if (dev == nullptr) return CC_ERR_INVALID_ARGUMENT;
  return guarded(dev, [&] {
    check_range(own_buffer(dev, b, "write"), offset, bytes, src, "write");
    if (bytes > 0) std::memcpy(static_cast<char*>(b->data) + offset, src, bytes);
  });
}

cc_status f_read(cc_device* dev, cc_buffer* b, uint64_t offset, void* dst, uint64_t bytes) {
  if (dev == nullptr) return CC_ERR_INVALID_ARGUMENT;
  return guarded(dev, [&] {
    check_range(own_buffer(dev, b, "read"), offset, bytes, dst, "read");
    if (dev->hang_pending) hang_forever();  // read waits for launched work
    if (bytes > 0) std::memcpy(dst, static_cast<const char*>(b->data) + offset, bytes);
  });
}

cc_status f_prepare(cc_device* dev, const cc_op_desc* op, cc_kernel** out) {
  if (dev == nullptr) return CC_ERR_INVALID_ARGUMENT;
  return guarded(dev, [&] {
    const Config c = chipcert::fault::read_config();
    if (op == nullptr || out == nullptr) fail(CC_ERR_INVALID_ARGUMENT, "prepare: NULL op or out");
    if (c.mode == Mode::prepare_error && c.on_device(dev->index) && c.on_op(op->kind))
      fail(CC_ERR_DEVICE, "injected prepare failure");
    auto* k = new cc_kernel{chipcert::fault::plan_op(*op), {}};
    k->info =
        std::string("fault driver: naive host loop for ") +
        chipcert::fault::op_kind_name(op->kind) +
        (op->kind == CC_OP_GEMM && op->dtype == CC_DTYPE_F32 ? ", accumulating in double" : "");
    dev->kernels.insert(k);
    *out = k;
  });
}

void f_release(cc_device* dev, cc_kernel* k) {
  if (dev == nullptr || k == nullptr || dev->kernels.erase(k) == 0) return;
  delete k;
}

cc_status f_launch(cc_device* dev, cc_kernel* k, cc_buffer* const* args, uint32_t nargs) {
  if (dev == nullptr) return CC_ERR_INVALID_ARGUMENT;
  return guarded(dev, [&] { launch_one(dev, k, args, nargs, chipcert::fault::read_config()); });
}

cc_status f_synchronize(cc_device* dev) {
  if (dev == nullptr) return CC_ERR_INVALID_ARGUMENT;
  if (dev->hang_pending) hang_forever();
  return CC_OK;  // launches run synchronously
}

cc_status f_timed_launch(cc_device* dev, cc_kernel* k, cc_buffer* const* args, uint32_t nargs,
                         uint32_t repeat, double* seconds) {
  if (dev == nullptr) return CC_ERR_INVALID_ARGUMENT;
  return guarded(dev, [&] {
    if (seconds == nullptr || repeat == 0)
      fail(CC_ERR_INVALID_ARGUMENT, "timed_launch: seconds is NULL or repeat is 0");
    const Config c = chipcert::fault::read_config();
    bool fired = false;
    const double t0 = seconds_now();
    for (uint32_t r = 0; r < repeat; ++r) fired = launch_one(dev, k, args, nargs, c) || fired;
    const double elapsed = seconds_now() - t0;
    *seconds = elapsed;
    // flaky_timer: alternately a negative and a NaN time, starting negative.
    if (fired && c.mode == Mode::flaky_timer)
      *seconds = dev->timer_faults++ % 2 == 0 ? -std::max(elapsed, 1e-9) : std::nan("");
  });
}

const char* f_last_error(cc_device* dev) {
  return dev ? dev->error.c_str() : thread_error().c_str();
}

const char* f_kernel_info(cc_device* dev, cc_kernel* k) {
  if (dev == nullptr || k == nullptr || !dev->kernels.contains(k)) return "";
  return k->info.c_str();
}

constexpr const char* kDescription =
    "chipcert fault-injection test driver (host memory, naive loops; faults from CHIPCERT_FAULT)";

// Two immutable tables: CHIPCERT_FAULT_NO_TIMER=1 at entry picks the one
// without a device timer, so both of the harness's timing paths get exercised.
constexpr cc_driver_v1 kTable{.struct_size = sizeof(cc_driver_v1),
                              .abi_version = CC_DRIVER_ABI_VERSION,
                              .name = "fault",
                              .version = "1.0",
                              .description = kDescription,
                              .enumerate = f_enumerate,
                              .device_info = f_device_info,
                              .open = f_open,
                              .close = f_close,
                              .alloc = f_alloc,
                              .free = f_free,
                              .write = f_write,
                              .read = f_read,
                              .prepare = f_prepare,
                              .release = f_release,
                              .launch = f_launch,
                              .synchronize = f_synchronize,
                              .timed_launch = f_timed_launch,
                              .read_sensors = nullptr,
                              .last_error = f_last_error,
                              .kernel_info = f_kernel_info};

constexpr cc_driver_v1 kTableNoTimer = [] {
  cc_driver_v1 t = kTable;
  t.timed_launch = nullptr;
  return t;
}();

}  // namespace

extern "C" CC_DRIVER_EXPORT const cc_driver_v1* chipcert_driver_entry(uint32_t requested_abi) {
  if (requested_abi < 1) return nullptr;
  const char* no_timer = std::getenv("CHIPCERT_FAULT_NO_TIMER");
  return no_timer != nullptr && std::strcmp(no_timer, "1") == 0 ? &kTableNoTimer : &kTable;
}
