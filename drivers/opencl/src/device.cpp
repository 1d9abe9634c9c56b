#include "device.hpp"

namespace chipcert::opencl {

std::unique_ptr<Device> open_device(uint32_t index) {
  const Inventory& inv = inventory();
  if (inv.status != CC_OK) throw Error(inv.status, inv.error);
  if (index >= inv.devices.size())
    throw Error(CC_ERR_INVALID_ARGUMENT, "device index " + std::to_string(index) +
                                             " out of range (" +
                                             std::to_string(inv.devices.size()) + " devices)");
  auto dev = std::make_unique<Device>();
  dev->rec = &inv.devices[index];
  const cl_device_id id = dev->rec->device;

  const cl_context_properties props[] = {
      CL_CONTEXT_PLATFORM, reinterpret_cast<cl_context_properties>(dev->rec->platform), 0};
  cl_int rc = CL_SUCCESS;
  dev->context = Context(clCreateContext(props, 1, &id, nullptr, nullptr, &rc));
  check(rc, "clCreateContext");

  // Profiling gives timed_launch the device's own clock. In-order, so a
  // launch sequence runs back to back and read() waits for launched work.
  if (dev->rec->platform_cl2) {
    const cl_queue_properties qprops[] = {CL_QUEUE_PROPERTIES, CL_QUEUE_PROFILING_ENABLE, 0};
    dev->queue = Queue(clCreateCommandQueueWithProperties(dev->context.get(), id, qprops, &rc));
  } else {
    // A 1.x platform has no clCreateCommandQueueWithProperties entry point.
    dev->queue =
        Queue(clCreateCommandQueue(dev->context.get(), id, CL_QUEUE_PROFILING_ENABLE, &rc));
  }
  check(rc, "clCreateCommandQueue");
  return dev;
}

void close_device(std::unique_ptr<Device> dev) noexcept {
  if (dev && dev->queue) clFinish(dev->queue.get());
  dev.reset();
}

Buffer* alloc_buffer(Device& dev, uint64_t bytes) {
  const DeviceRecord& rec = *dev.rec;
  if (bytes > rec.max_alloc)
    throw Error(CC_ERR_OUT_OF_MEMORY, "cannot allocate " + std::to_string(bytes) +
                                          " bytes: " + rec.label + " allows at most " +
                                          std::to_string(rec.max_alloc) +
                                          " bytes per buffer (CL_DEVICE_MAX_MEM_ALLOC_SIZE)");
  auto buf = std::make_unique<Buffer>();
  buf->bytes = bytes;
  if (bytes > 0) {  // OpenCL rejects 0-byte buffers; ours then holds nothing
    cl_int rc = CL_SUCCESS;
    buf->mem = Mem(clCreateBuffer(dev.context.get(), CL_MEM_READ_WRITE, static_cast<size_t>(bytes),
                                  nullptr, &rc));
    if (rc != CL_SUCCESS)
      throw Error(status_of(rc) == CC_ERR_DEVICE ? CC_ERR_OUT_OF_MEMORY : status_of(rc),
                  "clCreateBuffer of " + std::to_string(bytes) + " bytes on " + rec.label +
                      " failed: " + cl_error_name(rc));
  }
  Buffer* raw = buf.get();
  dev.buffers.emplace(raw, std::move(buf));
  return raw;
}

void free_buffer(Device& dev, Buffer* buf) {
  const auto it = dev.buffers.find(buf);
  if (it == dev.buffers.end()) return;  // unknown or double free: nothing to release
  // Queued work may still use the cl_mem; OpenCL keeps it alive until then.
  dev.buffers.erase(it);
}

Buffer& owned_buffer(Device& dev, Buffer* buf, const char* what) {
  const auto it = dev.buffers.find(buf);
  if (buf == nullptr || it == dev.buffers.end())
    throw Error(CC_ERR_INVALID_ARGUMENT,
                std::string(what) + " is not a live buffer allocated on this device");
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
  if (bytes == 0) return;
  check(clEnqueueWriteBuffer(dev.queue.get(), b.mem.get(), CL_TRUE, offset, bytes, src, 0, nullptr,
                             nullptr),
        "clEnqueueWriteBuffer");
}

void read_buffer(Device& dev, Buffer* buf, uint64_t offset, void* dst, uint64_t bytes) {
  Buffer& b = owned_buffer(dev, buf, "read source");
  check_range(b, offset, bytes, dst, "read");
  if (bytes == 0) {
    check(clFinish(dev.queue.get()), "clFinish");  // still "waits for launched work"
    return;
  }
  check(clEnqueueReadBuffer(dev.queue.get(), b.mem.get(), CL_TRUE, offset, bytes, dst, 0, nullptr,
                            nullptr),
        "clEnqueueReadBuffer");
}

cl_program program_for(Device& dev, const char* name, const std::vector<const char*>& sources,
                       const std::string& options) {
  const std::string key = std::string(name) + "|" + options;
  if (const auto it = dev.programs.find(key); it != dev.programs.end()) return it->second.get();

  cl_int rc = CL_SUCCESS;
  Program program(clCreateProgramWithSource(dev.context.get(), static_cast<cl_uint>(sources.size()),
                                            const_cast<const char**>(sources.data()), nullptr,
                                            &rc));
  check(rc, "clCreateProgramWithSource");
  const cl_device_id id = dev.rec->device;
  rc = clBuildProgram(program.get(), 1, &id, options.c_str(), nullptr, nullptr);
  if (rc != CL_SUCCESS) {
    std::string log;
    size_t size = 0;
    if (clGetProgramBuildInfo(program.get(), id, CL_PROGRAM_BUILD_LOG, 0, nullptr, &size) ==
            CL_SUCCESS &&
        size > 1) {
      std::vector<char> raw(size);
      if (clGetProgramBuildInfo(program.get(), id, CL_PROGRAM_BUILD_LOG, size, raw.data(),
                                nullptr) == CL_SUCCESS)
        log.assign(raw.data(), size - 1);
    }
    constexpr size_t kMaxLog = 8192;  // keep last_error readable
    if (log.size() > kMaxLog) log = log.substr(0, kMaxLog) + "\n[build log truncated]";
    throw Error(CC_ERR_DEVICE, std::string("building ") + name + " for " + dev.rec->label +
                                   " with \"" + options + "\" failed (" + cl_error_name(rc) +
                                   "):\n" + log);
  }
  cl_program raw = program.get();
  dev.programs.emplace(key, std::move(program));
  return raw;
}

}  // namespace chipcert::opencl
