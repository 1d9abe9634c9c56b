#include "device.hpp"

#include <algorithm>

namespace chipcert::cuda {

void check(cudaError_t rc, const std::string& what) {
  if (rc == cudaSuccess) return;
  cc_status status = CC_ERR_DEVICE;
  if (rc == cudaErrorMemoryAllocation) status = CC_ERR_OUT_OF_MEMORY;
  if (rc == cudaErrorNoKernelImageForDevice || rc == cudaErrorUnsupportedPtxVersion)
    status = CC_ERR_UNSUPPORTED;
  // Clear a non-sticky error so that it is not reported again by the next
  // call (a sticky one, such as an illegal address, stays: the context is lost).
  cudaGetLastError();
  throw Error(status,
              what + " failed: " + cudaGetErrorName(rc) + " (" + cudaGetErrorString(rc) + ")");
}

DeviceMemory::DeviceMemory(uint64_t bytes, const std::string& what) : bytes_(bytes) {
  if (bytes == 0) return;
  const cudaError_t rc = cudaMalloc(&ptr_, bytes);
  if (rc != cudaSuccess) {
    ptr_ = nullptr;
    bytes_ = 0;
    check(rc, "cudaMalloc of " + std::to_string(bytes) + " bytes for " + what);
  }
}

DeviceMemory::~DeviceMemory() {
  if (ptr_ != nullptr) cudaFree(ptr_);
}

DeviceMemory& DeviceMemory::operator=(DeviceMemory&& o) noexcept {
  if (this != &o) {
    if (ptr_ != nullptr) cudaFree(ptr_);
    ptr_ = o.ptr_;
    bytes_ = o.bytes_;
    o.ptr_ = nullptr;
    o.bytes_ = 0;
  }
  return *this;
}

Device::~Device() {
  if (stream != nullptr) cudaStreamSynchronize(stream);
  kernels.clear();
  buffers.clear();
  if (lt != nullptr) cublaslt().destroy(lt);
  lt_workspace = DeviceMemory();
  if (start != nullptr) cudaEventDestroy(start);
  if (stop != nullptr) cudaEventDestroy(stop);
  if (stream != nullptr) cudaStreamDestroy(stream);
  cudaGetLastError();  // nothing to report from a destructor
}

std::unique_ptr<Device> open_device(uint32_t index) {
  const Inventory& inv = inventory();
  if (inv.status != CC_OK) throw Error(inv.status, inv.error);
  if (index >= inv.devices.size())
    throw Error(CC_ERR_INVALID_ARGUMENT, "device index " + std::to_string(index) +
                                             " out of range (" +
                                             std::to_string(inv.devices.size()) + " devices)");
  auto dev = std::make_unique<Device>();
  dev->rec = &inv.devices[index];
  dev->ordinal = dev->rec->ordinal;
  const std::string& label = dev->rec->label;
  check(cudaSetDevice(dev->ordinal), "cudaSetDevice for " + label);
  // Non-blocking: no implicit synchronisation with the legacy default stream.
  check(cudaStreamCreateWithFlags(&dev->stream, cudaStreamNonBlocking),
        "cudaStreamCreate on " + label);
  check(cudaEventCreate(&dev->start), "cudaEventCreate on " + label);
  check(cudaEventCreate(&dev->stop), "cudaEventCreate on " + label);
  int sms = 0, threads_per_sm = 0;
  check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev->ordinal),
        "cudaDeviceGetAttribute");
  check(
      cudaDeviceGetAttribute(&threads_per_sm, cudaDevAttrMaxThreadsPerMultiProcessor, dev->ordinal),
      "cudaDeviceGetAttribute");
  check(cudaDeviceGetAttribute(&dev->max_smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin,
                               dev->ordinal),
        "cudaDeviceGetAttribute");
  // One resident wave: every SM holds as many 256-thread blocks as it can.
  dev->grid.threads = 256;
  dev->grid.blocks = static_cast<unsigned>(std::max(1, sms) * std::max(1, threads_per_sm / 256));
  return dev;
}

Buffer* alloc_buffer(Device& dev, uint64_t bytes) {
  auto buf = std::make_unique<Buffer>();
  buf->mem = DeviceMemory(bytes, "a buffer on " + dev.rec->label);
  buf->bytes = bytes;
  Buffer* raw = buf.get();
  dev.buffers.emplace(raw, std::move(buf));
  return raw;
}

void free_buffer(Device& dev, Buffer* buf) {
  const auto it = dev.buffers.find(buf);
  if (it == dev.buffers.end()) return;  // unknown or double free: nothing to release
  // cudaFree waits for the device to finish work that may still use it.
  dev.buffers.erase(it);
}

Buffer& owned_buffer(Device& dev, const Buffer* buf, const std::string& what) {
  const auto it = dev.buffers.find(buf);
  if (buf == nullptr || it == dev.buffers.end())
    throw Error(CC_ERR_INVALID_ARGUMENT, what + " is not a live buffer allocated on this device");
  return *it->second;
}

namespace {
void check_range(const Buffer& b, uint64_t offset, uint64_t bytes, const void* host,
                 const char* what) {
  if (offset > b.bytes || bytes > b.bytes - offset)  // overflow-safe offset + bytes > size
    throw Error(CC_ERR_INVALID_ARGUMENT, std::string(what) + " of " + std::to_string(bytes) +
                                             " bytes at offset " + std::to_string(offset) +
                                             " exceeds the buffer size of " +
                                             std::to_string(b.bytes) + " bytes");
  if (bytes > 0 && host == nullptr)
    throw Error(CC_ERR_INVALID_ARGUMENT, std::string(what) + " with a NULL host pointer");
}
}  // namespace

void write_buffer(Device& dev, Buffer* buf, uint64_t offset, const void* src, uint64_t bytes) {
  Buffer& b = owned_buffer(dev, buf, "write target");
  check_range(b, offset, bytes, src, "write");
  if (bytes > 0)
    check(cudaMemcpyAsync(static_cast<char*>(b.mem.get()) + offset, src, bytes,
                          cudaMemcpyHostToDevice, dev.stream),
          "cudaMemcpyAsync (write)");
  check(cudaStreamSynchronize(dev.stream), "cudaStreamSynchronize after write");
}

void read_buffer(Device& dev, Buffer* buf, uint64_t offset, void* dst, uint64_t bytes) {
  Buffer& b = owned_buffer(dev, buf, "read source");
  check_range(b, offset, bytes, dst, "read");
  if (bytes > 0)
    check(cudaMemcpyAsync(dst, static_cast<const char*>(b.mem.get()) + offset, bytes,
                          cudaMemcpyDeviceToHost, dev.stream),
          "cudaMemcpyAsync (read)");
  check(cudaStreamSynchronize(dev.stream), "cudaStreamSynchronize after read");
}

void synchronize(Device& dev) {
  check(cudaStreamSynchronize(dev.stream), "cudaStreamSynchronize");
}

cc_sensors read_sensors(const Device& dev) {
  const Inventory& inv = inventory();
  if (!inv.nvml || dev.rec->nvml == nullptr)
    throw Error(CC_ERR_UNSUPPORTED,
                "no sensors for " + dev.rec->label + ": " +
                    (inv.nvml ? "NVML has no device at PCI " + std::string(dev.rec->info.pci_bus_id)
                              : inv.nvml_note));
  const NvmlApi& n = *inv.nvml;
  cc_sensors s{};
  s.struct_size = sizeof s;
  s.power_w = s.temperature_c = s.clock_mhz = -1;
  unsigned v = 0;
  if (n.power_usage != nullptr && n.power_usage(dev.rec->nvml, &v) == kNvmlSuccess)
    s.power_w = v / 1000.0;
  if (n.temperature != nullptr &&
      n.temperature(dev.rec->nvml, kNvmlTemperatureGpu, &v) == kNvmlSuccess)
    s.temperature_c = v;
  if (n.clock_info != nullptr && n.clock_info(dev.rec->nvml, kNvmlClockSm, &v) == kNvmlSuccess)
    s.clock_mhz = v;
  return s;
}

}  // namespace chipcert::cuda
