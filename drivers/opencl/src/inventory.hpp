// The process-wide list of OpenCL devices: every device of every platform the
// ICD loader reports, in platform then device order. Built once, immutable.
#pragma once

#include "cl_support.hpp"

#include <string>
#include <vector>

namespace chipcert::opencl {

/// What the driver needs to know about one device, queried once.
struct DeviceRecord {
  cl_platform_id platform = nullptr;
  cl_device_id device = nullptr;
  cc_device_info info{};        ///< as device_info reports it (struct_size set)
  bool is_cpu = false;          ///< CL_DEVICE_TYPE_CPU: picks CPU kernel parameters
  bool fp64 = false;            ///< cl_khr_fp64 or a non-zero CL_DEVICE_DOUBLE_FP_CONFIG
  bool fp16 = false;            ///< cl_khr_fp16
  bool platform_cl2 = false;    ///< platform is OpenCL >= 2.0 (clCreateCommandQueueWithProperties)
  uint64_t max_alloc = 0;       ///< CL_DEVICE_MAX_MEM_ALLOC_SIZE
  uint64_t local_mem = 0;       ///< CL_DEVICE_LOCAL_MEM_SIZE
  size_t max_work_group = 1;    ///< CL_DEVICE_MAX_WORK_GROUP_SIZE
  cl_uint base_align_bits = 0;  ///< CL_DEVICE_MEM_BASE_ADDR_ALIGN (buffer alignment, bits)
  cl_uint vec_float = 1;        ///< CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT
  cl_uint vec_double = 0;       ///< CL_DEVICE_PREFERRED_VECTOR_WIDTH_DOUBLE (0: no fp64)
  cl_uint vec_int = 1;          ///< CL_DEVICE_PREFERRED_VECTOR_WIDTH_INT
  std::string driver;           ///< CL_DRIVER_VERSION (part of the tuning-cache key)
  std::string label;            ///< "<name> (<platform>)" for messages
};

/// Result of enumeration. A loader without platforms is zero devices and OK;
/// any other failure leaves status != CC_OK and a reason in `error`.
struct Inventory {
  cc_status status = CC_OK;
  std::string error;
  std::vector<DeviceRecord> devices;
};

/// The inventory, computed on first use (thread-safe) and immutable after.
const Inventory& inventory();

/// Copies `text` into dst[cap], truncating on a UTF-8 character boundary and
/// always NUL-terminating.
void copy_string(char* dst, size_t cap, const std::string& text);

}  // namespace chipcert::opencl
