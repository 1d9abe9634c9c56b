// Per-device state of the CUDA driver and its memory operations. The ABI's
// opaque handles (cc_device, cc_buffer, cc_kernel) are these classes behind
// reinterpret_cast: other built-in drivers live in the same binary, so the
// ABI's struct names are never defined here (one definition rule).
//
// Every function expects the calling thread's current CUDA device to be
// dev.ordinal (driver.cpp calls cudaSetDevice on entry) and throws Error.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "error.hpp"
#include "inventory.hpp"
#include "kernels.hpp"
#include "plan.hpp"

namespace chipcert::cuda {

/// Throws Error naming `what` and the CUDA error unless `rc` is cudaSuccess.
/// Out-of-memory maps to CC_ERR_OUT_OF_MEMORY, a missing kernel image (a GPU
/// this build has no code for) to CC_ERR_UNSUPPORTED, the rest to DEVICE.
void check(cudaError_t rc, const std::string& what);

/// Device memory owned by the driver (scratch, workspaces); cudaFree on
/// destruction.
class DeviceMemory {
 public:
  DeviceMemory() = default;
  /// Allocates `bytes` (nothing for 0); throws OUT_OF_MEMORY naming `what`.
  DeviceMemory(uint64_t bytes, const std::string& what);
  ~DeviceMemory();
  DeviceMemory(DeviceMemory&& o) noexcept : ptr_(o.ptr_), bytes_(o.bytes_) {
    o.ptr_ = nullptr;
    o.bytes_ = 0;
  }
  DeviceMemory& operator=(DeviceMemory&& o) noexcept;
  void* get() const { return ptr_; }
  uint64_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  uint64_t bytes_ = 0;
};

/// A buffer the harness allocated (cc_buffer*). A 0-byte buffer holds no memory.
struct Buffer {
  DeviceMemory mem;
  uint64_t bytes = 0;
};

struct Device;

/// A prepared op (cc_kernel*): its validated plan and how to run it.
class Kernel {
 public:
  explicit Kernel(OpPlan p) : plan(std::move(p)) {}
  virtual ~Kernel() = default;
  /// Enqueues one execution on dev.stream. `bufs` are live, in ABI order, and
  /// at least plan.args[i].bytes large (launch checked them).
  virtual void run(Device& dev, const std::vector<const Buffer*>& bufs) = 0;
  const OpPlan plan;
  /// One line for the ABI's kernel_info: what runs (library and algorithm,
  /// or our kernel and its launch shape) and which machine code.
  std::string info;
};

/// An open device (cc_device*). Members are declared so that kernels and
/// buffers are released before the cuBLASLt handle and the stream.
struct Device {
  const DeviceRecord* rec = nullptr;
  int ordinal = 0;
  cudaStream_t stream = nullptr;
  cudaEvent_t start = nullptr, stop = nullptr;  ///< timed_launch
  Grid grid;                                    ///< grid-stride kernels: one full wave of blocks
  int max_smem_optin = 0;                       ///< bytes of shared memory a block may opt into
  std::string last_error;

  cublasLtHandle_t lt = nullptr;  ///< created by the first GEMM prepare
  DeviceMemory lt_workspace;

  std::unordered_map<const Buffer*, std::unique_ptr<Buffer>> buffers;
  std::unordered_map<const Kernel*, std::unique_ptr<Kernel>> kernels;

  Device() = default;
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;
  /// Waits for queued work, then releases kernels, buffers, cuBLASLt, events
  /// and the stream (errors are ignored: nothing can be reported from here).
  ~Device();
};

/// Makes device `index` current and creates its stream and events.
std::unique_ptr<Device> open_device(uint32_t index);

Buffer* alloc_buffer(Device& dev, uint64_t bytes);
void free_buffer(Device& dev, Buffer* buf);
/// Throws INVALID_ARGUMENT unless `buf` is a live buffer of `dev`.
Buffer& owned_buffer(Device& dev, const Buffer* buf, const std::string& what);

/// Blocking copies (after all launched work) with overflow-safe bounds checks.
void write_buffer(Device& dev, Buffer* buf, uint64_t offset, const void* src, uint64_t bytes);
void read_buffer(Device& dev, Buffer* buf, uint64_t offset, void* dst, uint64_t bytes);
void synchronize(Device& dev);

/// Seconds between two CUDA events recorded on dev.stream around what
/// `enqueue()` queues there; waits for the second event.
template <typename Enqueue>
double event_seconds(Device& dev, Enqueue&& enqueue) {
  check(cudaEventRecord(dev.start, dev.stream), "cudaEventRecord");
  enqueue();
  check(cudaEventRecord(dev.stop, dev.stream), "cudaEventRecord");
  check(cudaEventSynchronize(dev.stop), "cudaEventSynchronize");
  float ms = 0;
  check(cudaEventElapsedTime(&ms, dev.start, dev.stop), "cudaEventElapsedTime");
  return static_cast<double>(ms) * 1e-3;
}

/// Power (W), temperature (C) and SM clock (MHz) from NVML; -1 for what
/// NVML does not report. UNSUPPORTED when NVML is not available at all.
cc_sensors read_sensors(const Device& dev);

}  // namespace chipcert::cuda
