// Per-device state of the OpenCL driver and the memory operations. All
// functions throw chipcert::opencl::Error; driver.cpp turns that into a
// cc_status and last_error.
#pragma once

#include "inventory.hpp"

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

/// A device allocation. A 0-byte buffer holds no cl_mem at all.
struct cc_buffer {
  chipcert::opencl::Mem mem;
  uint64_t bytes = 0;
};

namespace chipcert::opencl {

/// One kernel enqueue; an op runs its steps in order (dot has two).
struct Step {
  Kernel kernel;
  cl_uint dims = 1;
  size_t global[2] = {0, 0};
  size_t local[2] = {1, 1};
};

/// One op argument: its name for messages, the bytes the shape needs, and the
/// (step, kernel argument index) pairs it is bound to.
struct ArgSpec {
  const char* name = "";
  uint64_t bytes = 0;
  std::vector<std::pair<size_t, cl_uint>> bindings;
};

}  // namespace chipcert::opencl

/// A prepared op: kernels with their scalar arguments already set.
struct cc_kernel {
  cc_op_desc desc{};
  std::vector<chipcert::opencl::Step> steps;  ///< empty: the shape has no work
  std::vector<chipcert::opencl::ArgSpec> args;
  chipcert::opencl::Mem scratch;  ///< dot: per-work-group partial sums
};

/// An open device. Members are declared so that destruction releases kernels
/// and buffers before the queue and the context they belong to.
struct cc_device {
  const chipcert::opencl::DeviceRecord* rec = nullptr;
  chipcert::opencl::Context context;
  chipcert::opencl::Queue queue;
  std::string last_error;
  /// Built programs keyed by "<source name>|<build options>": prepare of the
  /// same op shape family compiles once per device.
  std::map<std::string, chipcert::opencl::Program> programs;
  std::unordered_map<const cc_buffer*, std::unique_ptr<cc_buffer>> buffers;
  std::unordered_map<const cc_kernel*, std::unique_ptr<cc_kernel>> kernels;
};

namespace chipcert::opencl {

/// Creates the context and an in-order, profiling-enabled queue.
std::unique_ptr<cc_device> open_device(uint32_t index);

/// Waits for queued work, then releases everything (the cc_device is deleted).
void close_device(std::unique_ptr<cc_device> dev) noexcept;

cc_buffer* alloc_buffer(cc_device& dev, uint64_t bytes);
void free_buffer(cc_device& dev, cc_buffer* buf);

/// Throws INVALID_ARGUMENT unless `buf` was allocated on `dev` and is live.
cc_buffer& owned_buffer(cc_device& dev, cc_buffer* buf, const char* what);

/// Blocking copies with bounds checks (offset + bytes <= buffer size).
void write_buffer(cc_device& dev, cc_buffer* buf, uint64_t offset, const void* src, uint64_t bytes);
void read_buffer(cc_device& dev, cc_buffer* buf, uint64_t offset, void* dst, uint64_t bytes);

/// The program built from `source` with `options`, compiled on first use and
/// cached in dev.programs. A compile error throws DEVICE with the build log.
cl_program program_for(cc_device& dev, const char* source_name, const char* source,
                       const std::string& options);

}  // namespace chipcert::opencl
