// The ABI boundary of the CUDA driver: the immutable function table and one
// thin wrapper per entry that makes the device current, catches every
// exception and turns it into a cc_status + last_error.
#include <chipcert/cuda_driver.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>

#include "ops.hpp"

namespace chipcert::cuda {
namespace {

// The ABI's last_error(NULL) (enumerate, device_info, open): one message per
// thread, so concurrent callers never see each other's. This is the one
// piece of mutable state outside a device, and the ABI's contract requires it.
std::string& thread_error() {
  thread_local std::string message;
  return message;
}

Device* device_of(cc_device* dev) {
  return reinterpret_cast<Device*>(dev);
}

template <typename F>
cc_status guarded(std::string& sink, F&& body) noexcept {
  const auto set = [&sink](const char* prefix, const char* what) {
    try {
      sink = std::string(prefix) + what;
    } catch (...) {
    }
  };
  try {
    body();
    return CC_OK;
  } catch (const Error& e) {
    set("", e.what());
    return e.status();
  } catch (const std::bad_alloc&) {
    set("", "host memory exhausted");
    return CC_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    set("internal error: ", e.what());
    return CC_ERR_INTERNAL;
  } catch (...) {
    set("internal error: ", "unknown exception");
    return CC_ERR_INTERNAL;
  }
}

/// Runs `body` on an open device made current on this thread.
template <typename F>
cc_status on_device(cc_device* handle, const char* fn, F&& body) noexcept {
  Device* dev = device_of(handle);
  if (dev == nullptr) {
    return guarded(thread_error(), [&] {
      throw Error(CC_ERR_INVALID_ARGUMENT, std::string(fn) + ": device is NULL");
    });
  }
  return guarded(dev->last_error, [&] {
    check(cudaSetDevice(dev->ordinal), std::string(fn) + ": cudaSetDevice");
    body(*dev);
  });
}

cc_status cu_enumerate(uint32_t* count) {
  return guarded(thread_error(), [&] {
    if (count == nullptr) throw Error(CC_ERR_INVALID_ARGUMENT, "enumerate: count is NULL");
    const Inventory& inv = inventory();
    if (inv.status != CC_OK) throw Error(inv.status, inv.error);
    *count = static_cast<uint32_t>(inv.devices.size());
  });
}

cc_status cu_device_info(uint32_t index, cc_device_info* info) {
  return guarded(thread_error(), [&] {
    if (info == nullptr) throw Error(CC_ERR_INVALID_ARGUMENT, "device_info: info is NULL");
    const uint32_t size = info->struct_size;
    if (size < offsetof(cc_device_info, name))
      throw Error(CC_ERR_INVALID_ARGUMENT,
                  "device_info: struct_size " + std::to_string(size) + " is too small");
    const Inventory& inv = inventory();
    if (inv.status != CC_OK) throw Error(inv.status, inv.error);
    if (index >= inv.devices.size())
      throw Error(CC_ERR_INVALID_ARGUMENT, "device_info: index " + std::to_string(index) +
                                               " out of range (" +
                                               std::to_string(inv.devices.size()) + " devices)");
    // An older harness may pass a shorter struct: fill only what it has.
    std::memcpy(info, &inv.devices[index].info, std::min<size_t>(size, sizeof(cc_device_info)));
    info->struct_size = size;
  });
}

cc_status cu_open(uint32_t index, cc_device** out) {
  return guarded(thread_error(), [&] {
    if (out == nullptr) throw Error(CC_ERR_INVALID_ARGUMENT, "open: out is NULL");
    *out = reinterpret_cast<cc_device*>(open_device(index).release());
  });
}

void cu_close(cc_device* handle) {
  Device* dev = device_of(handle);
  if (dev == nullptr) return;
  cudaSetDevice(dev->ordinal);
  delete dev;  // ~Device waits for queued work and never throws
}

cc_status cu_alloc(cc_device* dev, uint64_t bytes, cc_buffer** out) {
  return on_device(dev, "alloc", [&](Device& d) {
    if (out == nullptr) throw Error(CC_ERR_INVALID_ARGUMENT, "alloc: out is NULL");
    *out = reinterpret_cast<cc_buffer*>(alloc_buffer(d, bytes));
  });
}

void cu_free(cc_device* dev, cc_buffer* buf) {
  if (dev != nullptr)
    on_device(dev, "free", [&](Device& d) { free_buffer(d, reinterpret_cast<Buffer*>(buf)); });
}

cc_status cu_write(cc_device* dev, cc_buffer* buf, uint64_t offset, const void* src,
                   uint64_t bytes) {
  return on_device(dev, "write", [&](Device& d) {
    write_buffer(d, reinterpret_cast<Buffer*>(buf), offset, src, bytes);
  });
}

cc_status cu_read(cc_device* dev, cc_buffer* buf, uint64_t offset, void* dst, uint64_t bytes) {
  return on_device(dev, "read", [&](Device& d) {
    read_buffer(d, reinterpret_cast<Buffer*>(buf), offset, dst, bytes);
  });
}

cc_status cu_prepare(cc_device* dev, const cc_op_desc* op, cc_kernel** out) {
  return on_device(dev, "prepare", [&](Device& d) {
    if (op == nullptr || out == nullptr)
      throw Error(CC_ERR_INVALID_ARGUMENT, "prepare: op or out is NULL");
    // Copy what the caller's struct holds; a shorter struct (an older
    // harness) leaves the rest 0, which plan_op validates like any field.
    if (op->struct_size < offsetof(cc_op_desc, u))
      throw Error(CC_ERR_INVALID_ARGUMENT,
                  "prepare: struct_size " + std::to_string(op->struct_size) + " is too small");
    cc_op_desc copy{};
    std::memcpy(&copy, op, std::min<size_t>(op->struct_size, sizeof copy));
    *out = reinterpret_cast<cc_kernel*>(prepare_op(d, copy));
  });
}

void cu_release(cc_device* dev, cc_kernel* kernel) {
  if (dev != nullptr)
    on_device(dev, "release",
              [&](Device& d) { release_op(d, reinterpret_cast<const Kernel*>(kernel)); });
}

cc_status cu_launch(cc_device* dev, cc_kernel* kernel, cc_buffer* const* args, uint32_t nargs) {
  return on_device(dev, "launch", [&](Device& d) {
    launch_op(d, reinterpret_cast<const Kernel*>(kernel), args, nargs);
  });
}

cc_status cu_synchronize(cc_device* dev) {
  return on_device(dev, "synchronize", [&](Device& d) { synchronize(d); });
}

cc_status cu_timed_launch(cc_device* dev, cc_kernel* kernel, cc_buffer* const* args, uint32_t nargs,
                          uint32_t repeat, double* seconds) {
  return on_device(dev, "timed_launch", [&](Device& d) {
    if (seconds == nullptr) throw Error(CC_ERR_INVALID_ARGUMENT, "timed_launch: seconds is NULL");
    *seconds = timed_launch_op(d, reinterpret_cast<const Kernel*>(kernel), args, nargs, repeat);
  });
}

cc_status cu_read_sensors(cc_device* dev, cc_sensors* out) {
  return on_device(dev, "read_sensors", [&](Device& d) {
    if (out == nullptr || out->struct_size < sizeof(uint32_t))
      throw Error(CC_ERR_INVALID_ARGUMENT, "read_sensors: out is NULL or struct_size is 0");
    const uint32_t size = out->struct_size;
    const cc_sensors s = read_sensors(d);
    std::memcpy(out, &s, std::min<size_t>(size, sizeof s));
    out->struct_size = size;
  });
}

const char* cu_last_error(cc_device* dev) {
  return dev != nullptr ? device_of(dev)->last_error.c_str() : thread_error().c_str();
}

const char* cu_kernel_info(cc_device* dev, cc_kernel* kernel) {
  static const char kNone[] = "";  // the ABI says never NULL
  Device* d = device_of(dev);
  if (d == nullptr) return kNone;
  const auto it = d->kernels.find(reinterpret_cast<const Kernel*>(kernel));
  return it == d->kernels.end() ? kNone : it->second->info.c_str();
}

constexpr cc_driver_v1 kTable = {
    .struct_size = sizeof(cc_driver_v1),
    .abi_version = CC_DRIVER_ABI_VERSION,
    .name = "cuda",
    .version = "0.1.0",
    .description =
        "NVIDIA GPUs through CUDA: cuBLASLt GEMM, own kernels, CUDA-event timing, "
        "NVML sensors (libcuda, NVML and cuBLASLt loaded at run time)",
    .enumerate = cu_enumerate,
    .device_info = cu_device_info,
    .open = cu_open,
    .close = cu_close,
    .alloc = cu_alloc,
    .free = cu_free,
    .write = cu_write,
    .read = cu_read,
    .prepare = cu_prepare,
    .release = cu_release,
    .launch = cu_launch,
    .synchronize = cu_synchronize,
    .timed_launch = cu_timed_launch,
    .read_sensors = cu_read_sensors,
    .last_error = cu_last_error,
    .kernel_info = cu_kernel_info,
};

}  // namespace
}  // namespace chipcert::cuda

extern "C" const cc_driver_v1* chipcert_cuda_driver_entry(uint32_t requested_abi) {
  return requested_abi >= 1 ? &chipcert::cuda::kTable : nullptr;
}
