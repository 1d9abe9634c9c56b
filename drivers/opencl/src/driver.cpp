// The ABI boundary of the OpenCL driver: the immutable function table and one
// thin wrapper per entry that turns exceptions into cc_status + last_error.
#include <chipcert/opencl_driver.h>

#include "device.hpp"
#include "ops.hpp"

#include <cstddef>
#include <cstring>
#include <new>

namespace chipcert::opencl {
namespace {

// last_error for calls without a device (enumerate, device_info, open). Per
// thread, so concurrent callers never see each other's messages.
thread_local std::string t_last_error;

// Runs `body`, mapping every exception to a status and a message stored in
// `sink` (the device's last_error, or the thread's when there is no device).
template <typename F>
cc_status guarded(std::string& sink, F&& body) noexcept {
  try {
    body();
    return CC_OK;
  } catch (const Error& e) {
    try {
      sink = e.what();
    } catch (...) {
    }
    return e.status();
  } catch (const std::bad_alloc&) {
    try {
      sink = "host memory exhausted";
    } catch (...) {
    }
    return CC_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    try {
      sink = std::string("internal error: ") + e.what();
    } catch (...) {
    }
    return CC_ERR_INTERNAL;
  } catch (...) {
    try {
      sink = "internal error: unknown exception";
    } catch (...) {
    }
    return CC_ERR_INTERNAL;
  }
}

// The ABI's opaque handles are our internal types (see device.hpp).
Device* dev_of(cc_device* d) {
  return reinterpret_cast<Device*>(d);
}
Buffer* buf_of(cc_buffer* b) {
  return reinterpret_cast<Buffer*>(b);
}
Op* op_of(cc_kernel* k) {
  return reinterpret_cast<Op*>(k);
}

std::string& sink_of(cc_device* dev) {
  return dev != nullptr ? dev_of(dev)->last_error : t_last_error;
}

// Fails INVALID_ARGUMENT for a NULL device (message goes to the thread's sink).
#define CC_REQUIRE_DEVICE(dev)                                   \
  do {                                                           \
    if ((dev) == nullptr) {                                      \
      t_last_error = std::string(__func__) + ": device is NULL"; \
      return CC_ERR_INVALID_ARGUMENT;                            \
    }                                                            \
  } while (0)

cc_status ocl_enumerate(uint32_t* count) {
  return guarded(t_last_error, [&] {
    if (count == nullptr) throw Error(CC_ERR_INVALID_ARGUMENT, "enumerate: count is NULL");
    const Inventory& inv = inventory();
    if (inv.status != CC_OK) throw Error(inv.status, inv.error);
    *count = static_cast<uint32_t>(inv.devices.size());
  });
}

cc_status ocl_device_info(uint32_t index, cc_device_info* info) {
  return guarded(t_last_error, [&] {
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

cc_status ocl_open(uint32_t index, cc_device** out) {
  return guarded(t_last_error, [&] {
    if (out == nullptr) throw Error(CC_ERR_INVALID_ARGUMENT, "open: out is NULL");
    *out = reinterpret_cast<cc_device*>(open_device(index).release());
  });
}

void ocl_close(cc_device* dev) {
  close_device(std::unique_ptr<Device>(dev_of(dev)));
}

cc_status ocl_alloc(cc_device* dev, uint64_t bytes, cc_buffer** out) {
  CC_REQUIRE_DEVICE(dev);
  return guarded(dev_of(dev)->last_error, [&] {
    if (out == nullptr) throw Error(CC_ERR_INVALID_ARGUMENT, "alloc: out is NULL");
    *out = reinterpret_cast<cc_buffer*>(alloc_buffer(*dev_of(dev), bytes));
  });
}

void ocl_free(cc_device* dev, cc_buffer* buf) {
  if (dev != nullptr)
    guarded(dev_of(dev)->last_error, [&] { free_buffer(*dev_of(dev), buf_of(buf)); });
}

cc_status ocl_write(cc_device* dev, cc_buffer* buf, uint64_t offset, const void* src,
                    uint64_t bytes) {
  CC_REQUIRE_DEVICE(dev);
  return guarded(dev_of(dev)->last_error,
                 [&] { write_buffer(*dev_of(dev), buf_of(buf), offset, src, bytes); });
}

cc_status ocl_read(cc_device* dev, cc_buffer* buf, uint64_t offset, void* dst, uint64_t bytes) {
  CC_REQUIRE_DEVICE(dev);
  return guarded(dev_of(dev)->last_error,
                 [&] { read_buffer(*dev_of(dev), buf_of(buf), offset, dst, bytes); });
}

cc_status ocl_prepare(cc_device* dev, const cc_op_desc* op, cc_kernel** out) {
  CC_REQUIRE_DEVICE(dev);
  return guarded(dev_of(dev)->last_error, [&] {
    if (op == nullptr || out == nullptr)
      throw Error(CC_ERR_INVALID_ARGUMENT, "prepare: op or out is NULL");
    // Copy what the caller's struct holds; a shorter struct leaves the rest 0.
    if (op->struct_size < offsetof(cc_op_desc, u) + sizeof(cc_gemm_params))
      throw Error(CC_ERR_INVALID_ARGUMENT,
                  "prepare: struct_size " + std::to_string(op->struct_size) + " is too small");
    cc_op_desc copy{};
    std::memcpy(&copy, op, std::min<size_t>(op->struct_size, sizeof copy));
    *out = reinterpret_cast<cc_kernel*>(prepare_op(*dev_of(dev), copy));
  });
}

void ocl_release(cc_device* dev, cc_kernel* kernel) {
  if (dev != nullptr)
    guarded(dev_of(dev)->last_error, [&] { release_op(*dev_of(dev), op_of(kernel)); });
}

cc_status ocl_launch(cc_device* dev, cc_kernel* kernel, cc_buffer* const* args, uint32_t nargs) {
  CC_REQUIRE_DEVICE(dev);
  return guarded(dev_of(dev)->last_error, [&] {
    launch_op(*dev_of(dev), op_of(kernel), reinterpret_cast<Buffer* const*>(args), nargs);
  });
}

cc_status ocl_synchronize(cc_device* dev) {
  CC_REQUIRE_DEVICE(dev);
  return guarded(dev_of(dev)->last_error,
                 [&] { check(clFinish(dev_of(dev)->queue.get()), "clFinish"); });
}

cc_status ocl_timed_launch(cc_device* dev, cc_kernel* kernel, cc_buffer* const* args,
                           uint32_t nargs, uint32_t repeat, double* seconds) {
  CC_REQUIRE_DEVICE(dev);
  return guarded(dev_of(dev)->last_error, [&] {
    if (seconds == nullptr) throw Error(CC_ERR_INVALID_ARGUMENT, "timed_launch: seconds is NULL");
    *seconds = timed_launch_op(*dev_of(dev), op_of(kernel), reinterpret_cast<Buffer* const*>(args),
                               nargs, repeat);
  });
}

const char* ocl_last_error(cc_device* dev) {
  return sink_of(dev).c_str();
}

const char* ocl_kernel_info(cc_device* dev, cc_kernel* kernel) {
  // Never NULL (ABI): an unknown kernel gets a fixed explanation.
  if (dev == nullptr) return "no device";
  const Op* op = find_op(*dev_of(dev), op_of(kernel));
  return op != nullptr ? op->info.c_str() : "not a live kernel of this device";
}

constexpr cc_driver_v1 kTable = {
    .struct_size = sizeof(cc_driver_v1),
    .abi_version = CC_DRIVER_ABI_VERSION,
    .name = "opencl",
    .version = "0.2.0",
    .description = "OpenCL 1.2+ devices through the ICD loader (own portable kernels for every op)",
    .enumerate = ocl_enumerate,
    .device_info = ocl_device_info,
    .open = ocl_open,
    .close = ocl_close,
    .alloc = ocl_alloc,
    .free = ocl_free,
    .write = ocl_write,
    .read = ocl_read,
    .prepare = ocl_prepare,
    .release = ocl_release,
    .launch = ocl_launch,
    .synchronize = ocl_synchronize,
    .timed_launch = ocl_timed_launch,
    .read_sensors = nullptr,  // OpenCL has no portable sensor query
    .last_error = ocl_last_error,
    .kernel_info = ocl_kernel_info,
};

}  // namespace
}  // namespace chipcert::opencl

extern "C" const cc_driver_v1* chipcert_opencl_driver_entry(uint32_t requested_abi) {
  return requested_abi >= 1 ? &chipcert::opencl::kTable : nullptr;
}
