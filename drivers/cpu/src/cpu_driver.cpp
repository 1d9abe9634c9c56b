// The CPU driver's C ABI table. Every entry point is a thin wrapper that
// turns handles into the classes of cpu_internal.hpp and every exception into
// a cc_status plus a last_error message: nothing may unwind across the ABI.
#include <chipcert/cpu_driver.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <string>

#include "cpu_internal.hpp"

namespace chipcert::cpu {
namespace {

// Reasons for failures that have no device (enumerate, device_info, open,
// and calls given a null device). Per thread, so no locking is needed.
thread_local std::string t_last_error;

Device* as_device(cc_device* d) {
  return reinterpret_cast<Device*>(d);
}

std::string& error_slot(cc_device* dev) {
  return dev ? as_device(dev)->last_error : t_last_error;
}

/// Runs `body`; maps what it throws to a status and stores the reason.
template <class F>
cc_status guarded(cc_device* dev, F&& body) noexcept {
  try {
    body();
    return CC_OK;
  } catch (const Error& e) {
    try {
      error_slot(dev) = e.what();
    } catch (...) {  // no memory for the message: keep the status anyway
    }
    return e.status();
  } catch (const std::bad_alloc&) {
    error_slot(dev).clear();  // clear() cannot allocate
    try {
      error_slot(dev) = "out of host memory";
    } catch (...) {
    }
    return CC_ERR_OUT_OF_MEMORY;
  } catch (const dnnl::error& e) {
    try {
      error_slot(dev) = std::string("oneDNN: ") + e.what();
    } catch (...) {
    }
    return CC_ERR_DEVICE;
  } catch (const std::exception& e) {
    try {
      error_slot(dev) = std::string("internal error: ") + e.what();
    } catch (...) {
    }
    return CC_ERR_INTERNAL;
  } catch (...) {
    try {
      error_slot(dev) = "internal error: unknown exception";
    } catch (...) {
    }
    return CC_ERR_INTERNAL;
  }
}

void require(bool ok, const char* what) {
  if (!ok) throw Error(CC_ERR_INVALID_ARGUMENT, what);
}

/// Copies the part of `src` the caller's struct has room for; the caller's
/// struct_size says how large its version of the struct is.
template <class T>
T copy_in(const T* p, size_t min_size) {
  require(p->struct_size >= min_size, "struct_size is too small for this ABI version");
  T local{};
  std::memcpy(&local, p, std::min<size_t>(p->struct_size, sizeof(T)));
  return local;
}

template <class T>
void copy_out(T* p, T local) {
  const uint32_t caller_size = p->struct_size;
  require(caller_size >= sizeof(uint32_t), "struct_size is 0");
  local.struct_size = caller_size;
  std::memcpy(p, &local, std::min<size_t>(caller_size, sizeof(T)));
}

void set_string(char* dst, size_t cap, const std::string& s) {
  const size_t n = std::min(s.size(), cap - 1);
  std::memcpy(dst, s.data(), n);
  dst[n] = '\0';
}

cc_status cpu_enumerate(uint32_t* count) {
  return guarded(nullptr, [&] {
    require(count != nullptr, "enumerate: count is NULL");
    *count = 1;
  });
}

cc_status cpu_device_info(uint32_t index, cc_device_info* info) {
  return guarded(nullptr, [&] {
    require(info != nullptr, "device_info: info is NULL");
    require(index == 0, "device_info: the CPU driver has one device (index 0)");
    const HostInfo& host = host_info();
    cc_device_info out{};
    out.kind = CC_DEVICE_CPU;
    set_string(out.name, sizeof out.name, host.model);
    set_string(out.vendor, sizeof out.vendor, host.vendor);
    set_string(out.driver_version, sizeof out.driver_version, dnnl_version_string());
    out.memory_bytes = host.memory_bytes;
    out.compute_units = host.cores;
    out.clock_mhz = host.clock_mhz;
    out.dtypes = CC_DTYPE_BIT(CC_DTYPE_F64) | CC_DTYPE_BIT(CC_DTYPE_F32) |
                 CC_DTYPE_BIT(CC_DTYPE_BF16) | CC_DTYPE_BIT(CC_DTYPE_I8) |
                 CC_DTYPE_BIT(CC_DTYPE_I32);
    copy_out(info, out);
  });
}

cc_status cpu_open(uint32_t index, cc_device** out) {
  return guarded(nullptr, [&] {
    require(out != nullptr, "open: out is NULL");
    *out = nullptr;
    require(index == 0, "open: the CPU driver has one device (index 0)");
    *out = reinterpret_cast<cc_device*>(new Device());
  });
}

void cpu_close(cc_device* dev) noexcept {
  delete as_device(dev);
}

cc_status cpu_alloc(cc_device* dev, uint64_t bytes, cc_buffer** out) {
  return guarded(dev, [&] {
    require(dev != nullptr, "alloc: device is NULL");
    require(out != nullptr, "alloc: out is NULL");
    *out = nullptr;
    *out = reinterpret_cast<cc_buffer*>(as_device(dev)->alloc(bytes));
  });
}

void cpu_free(cc_device* dev, cc_buffer* buf) noexcept {
  if (dev && buf) as_device(dev)->free(reinterpret_cast<Buffer*>(buf));
}

/// The buffer, after checking that [offset, offset + bytes) lies inside it.
Buffer& checked_range(cc_device* dev, cc_buffer* buf, uint64_t offset, uint64_t bytes,
                      const char* op) {
  require(dev != nullptr, "device is NULL");
  Buffer& b = as_device(dev)->buffer(buf, "buffer");
  uint64_t end = 0;
  if (__builtin_add_overflow(offset, bytes, &end) || end > b.bytes)
    throw Error(CC_ERR_INVALID_ARGUMENT, std::string(op) + ": offset " + std::to_string(offset) +
                                             " + " + std::to_string(bytes) +
                                             " bytes exceeds the buffer's " +
                                             std::to_string(b.bytes) + " bytes");
  return b;
}

// Launches are synchronous on the CPU, so there is never work to wait for.
cc_status cpu_write(cc_device* dev, cc_buffer* buf, uint64_t offset, const void* src,
                    uint64_t bytes) {
  return guarded(dev, [&] {
    Buffer& b = checked_range(dev, buf, offset, bytes, "write");
    if (bytes == 0) return;
    require(src != nullptr, "write: src is NULL");
    std::memcpy(static_cast<unsigned char*>(b.data) + offset, src, bytes);
  });
}

cc_status cpu_read(cc_device* dev, cc_buffer* buf, uint64_t offset, void* dst, uint64_t bytes) {
  return guarded(dev, [&] {
    Buffer& b = checked_range(dev, buf, offset, bytes, "read");
    if (bytes == 0) return;
    require(dst != nullptr, "read: dst is NULL");
    std::memcpy(dst, static_cast<const unsigned char*>(b.data) + offset, bytes);
  });
}

/// CC_OP_NOOP: nothing to run, nothing to pass.
class NoopKernel final : public Kernel {
 public:
  NoopKernel() { info_ = "chipcert empty call"; }
  void run(void* const*) override {}
};

cc_status cpu_prepare(cc_device* dev, const cc_op_desc* op, cc_kernel** out) {
  return guarded(dev, [&] {
    require(dev != nullptr, "prepare: device is NULL");
    require(op != nullptr && out != nullptr, "prepare: op or out is NULL");
    *out = nullptr;
    const cc_op_desc desc = copy_in(op, offsetof(cc_op_desc, u));
    Device& d = *as_device(dev);
    d.ensure_pinned();  // oneDNN plans its thread split for this thread's team size
    std::unique_ptr<Kernel> k;
    switch (desc.kind) {
      case CC_OP_NOOP:
        k = std::make_unique<NoopKernel>();
        break;
      case CC_OP_GEMM:
        k = make_gemm_kernel(d, desc);
        break;
      case CC_OP_STREAM_COPY:
      case CC_OP_STREAM_MUL:
      case CC_OP_STREAM_ADD:
      case CC_OP_STREAM_TRIAD:
      case CC_OP_STREAM_DOT:
        k = make_stream_kernel(d, desc);
        break;
      case CC_OP_PEAK:
        k = make_peak_kernel(d, desc);
        break;
      case CC_OP_CONV2D:
        k = make_conv2d_kernel(d, desc);
        break;
      case CC_OP_ATTENTION:
        k = make_attention_kernel(d, desc);
        break;
      case CC_OP_LAYERNORM:
      case CC_OP_SOFTMAX:
        k = is_widened_op(desc) ? make_widened_kernel(d, desc) : make_rows_kernel(d, desc);
        break;
      case CC_OP_LAYERNORM_BACKWARD:
      case CC_OP_SOFTMAX_BACKWARD:
      case CC_OP_SOFTMAX_XENT:
        k = make_rows_kernel(d, desc);
        break;
      case CC_OP_GELU:
      case CC_OP_ADD:
      case CC_OP_MUL:
        k = is_widened_op(desc) ? make_widened_kernel(d, desc) : make_eltwise_kernel(d, desc);
        break;
      case CC_OP_GELU_BACKWARD:
      case CC_OP_ADAMW:
        k = make_eltwise_kernel(d, desc);
        break;
      default:
        throw Error(CC_ERR_UNSUPPORTED,
                    "op kind " + std::to_string(desc.kind) + " is not supported by the CPU driver");
    }
    if (k->args().size() > kMaxArgs) throw Error(CC_ERR_INTERNAL, "kernel takes too many buffers");
    *out = reinterpret_cast<cc_kernel*>(d.add_kernel(std::move(k)));
  });
}

void cpu_release(cc_device* dev, cc_kernel* kernel) noexcept {
  if (dev && kernel) as_device(dev)->release(reinterpret_cast<Kernel*>(kernel));
}

cc_status cpu_launch(cc_device* dev, cc_kernel* kernel, cc_buffer* const* args, uint32_t nargs) {
  return guarded(dev, [&] {
    require(dev != nullptr, "launch: device is NULL");
    Device& d = *as_device(dev);
    Kernel& k = d.kernel(kernel);
    const auto& specs = k.args();
    if (nargs != specs.size())
      throw Error(CC_ERR_INVALID_ARGUMENT, "launch: the op takes " + std::to_string(specs.size()) +
                                               " buffers, got " + std::to_string(nargs));
    require(nargs == 0 || args != nullptr, "launch: args is NULL");
    void* data[kMaxArgs] = {};  // args() never has more entries (checked in prepare)
    for (uint32_t i = 0; i < nargs; ++i) {
      const Buffer& b = d.buffer(args[i], specs[i].name);
      if (b.bytes < specs[i].bytes)
        throw Error(CC_ERR_INVALID_ARGUMENT, std::string("launch: argument ") + std::to_string(i) +
                                                 " (" + specs[i].name + ") needs " +
                                                 std::to_string(specs[i].bytes) +
                                                 " bytes, buffer has " + std::to_string(b.bytes));
      data[i] = b.data;
    }
    d.ensure_pinned();
    k.run(data);
  });
}

cc_status cpu_synchronize(cc_device* dev) {
  return guarded(dev, [&] { require(dev != nullptr, "synchronize: device is NULL"); });
}

cc_status cpu_read_sensors(cc_device* dev, cc_sensors* out) {
  return guarded(dev, [&] {
    require(dev != nullptr && out != nullptr, "read_sensors: device or out is NULL");
    cc_sensors s{};
    s.power_w = -1;  // RAPL needs two samples and often root: not reported
    s.temperature_c = max_temperature_c();
    s.clock_mhz = current_clock_mhz();
    copy_out(out, s);
  });
}

const char* cpu_last_error(cc_device* dev) noexcept {
  return error_slot(dev).c_str();
}

const char* cpu_kernel_info(cc_device* dev, cc_kernel* kernel) noexcept {
  static const char kNone[] = "";  // the ABI says never NULL
  if (!dev || !kernel) return kNone;
  try {
    return as_device(dev)->kernel(kernel).info().c_str();
  } catch (...) {  // not a live kernel of this device
    return kNone;
  }
}

constexpr cc_driver_v1 kTable = {
    .struct_size = sizeof(cc_driver_v1),
    .abi_version = CC_DRIVER_ABI_VERSION,
    .name = "cpu",
    .version = "0.1.0",
    .description =
        "Host CPU as one device: oneDNN matmul/convolution, own AVX-512 and OpenMP "
        "kernels, hwloc pinning",
    .enumerate = cpu_enumerate,
    .device_info = cpu_device_info,
    .open = cpu_open,
    .close = cpu_close,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .write = cpu_write,
    .read = cpu_read,
    .prepare = cpu_prepare,
    .release = cpu_release,
    .launch = cpu_launch,
    .synchronize = cpu_synchronize,
    .timed_launch = nullptr,  // the harness times the host clock; that is the device clock here
    .read_sensors = cpu_read_sensors,
    .last_error = cpu_last_error,
    .kernel_info = cpu_kernel_info,
};

}  // namespace
}  // namespace chipcert::cpu

extern "C" const cc_driver_v1* chipcert_cpu_driver_entry(uint32_t requested_abi) {
  return requested_abi >= 1 ? &chipcert::cpu::kTable : nullptr;
}
