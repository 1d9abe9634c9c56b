// Per-device state of the OpenCL driver and the memory operations. All
// functions throw chipcert::opencl::Error; driver.cpp turns that into a
// cc_status and last_error.
//
// The ABI's opaque handles are reinterpret_casts of the types below
// (cc_device* <-> Device*, cc_buffer* <-> Buffer*, cc_kernel* <-> Op*). We do
// not define `struct cc_device` & co. ourselves: every built-in driver linked
// into one binary would define them differently (an ODR violation).
#pragma once

#include "inventory.hpp"

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace chipcert::opencl {

/// A device allocation. A 0-byte buffer holds no cl_mem at all.
struct Buffer {
  Mem mem;
  uint64_t bytes = 0;
};

/// One kernel enqueue; an op runs its steps in order (dot has two).
struct Step {
  Kernel kernel;
  cl_uint dims = 1;
  size_t global[3] = {0, 0, 1};
  size_t local[3] = {1, 1, 1};
};

/// One op argument: its name for messages, the bytes the shape needs, the
/// (step, kernel argument index) pairs it is bound to, and whether the op
/// writes it (an output must not be the same buffer as any other argument).
struct ArgSpec {
  const char* name = "";
  uint64_t bytes = 0;
  std::vector<std::pair<size_t, cl_uint>> bindings;
  bool output = false;
};

/// A prepared op: kernels with their scalar arguments already set.
struct Op {
  cc_op_desc desc{};
  std::vector<Step> steps;  ///< empty: the shape has no work
  std::vector<ArgSpec> args;
  std::vector<Mem> scratch;  ///< op-owned temporaries (dot, cross-entropy partial sums)
  std::string info;          ///< kernel_info: one line, how this op is implemented
};

/// A GEMM tile configuration (see kernels/gemm.cl).
struct GemmTiles {
  int tm = 0, tn = 0, tk = 0, rm = 0, nv = 0, vw = 0;
  int wgx() const { return tn / (nv * vw); }
  int wgy() const { return tm / rm; }
  bool operator==(const GemmTiles&) const = default;
};

/// The GEMM configuration used for one dtype on a device, and where it came from.
struct GemmChoice {
  GemmTiles tiles;
  std::string origin;  ///< "autotuned ...", "cached ..." or "default ..."
};

/// An open device. Members are declared so that destruction releases kernels
/// and buffers before the queue and the context they belong to.
struct Device {
  const DeviceRecord* rec = nullptr;
  Context context;
  Queue queue;
  std::string last_error;
  /// Built programs keyed by "<source name>|<build options>": prepare of the
  /// same op shape family compiles once per device.
  std::map<std::string, Program> programs;
  /// GEMM tiles per dtype, chosen on the first GEMM prepare of that dtype.
  std::map<uint32_t, GemmChoice> gemm_choice;
  std::unordered_map<const Buffer*, std::unique_ptr<Buffer>> buffers;
  std::unordered_map<const Op*, std::unique_ptr<Op>> ops;
};

/// Creates the context and an in-order, profiling-enabled queue.
std::unique_ptr<Device> open_device(uint32_t index);

/// Waits for queued work, then releases everything (the Device is deleted).
void close_device(std::unique_ptr<Device> dev) noexcept;

Buffer* alloc_buffer(Device& dev, uint64_t bytes);
void free_buffer(Device& dev, Buffer* buf);

/// Throws INVALID_ARGUMENT unless `buf` was allocated on `dev` and is live.
Buffer& owned_buffer(Device& dev, Buffer* buf, const char* what);

/// Blocking copies with bounds checks (offset + bytes <= buffer size).
void write_buffer(Device& dev, Buffer* buf, uint64_t offset, const void* src, uint64_t bytes);
void read_buffer(Device& dev, Buffer* buf, uint64_t offset, void* dst, uint64_t bytes);

/// The program built from the concatenation of `sources` with `options`,
/// compiled on first use and cached in dev.programs under `name` + options.
/// A compile error throws DEVICE with the build log.
cl_program program_for(Device& dev, const char* name, const std::vector<const char*>& sources,
                       const std::string& options);

}  // namespace chipcert::opencl
