#include "inventory.hpp"

#include <cstdio>
#include <cstring>

namespace chipcert::opencl {

void copy_string(char* dst, size_t cap, const std::string& text) {
  if (cap == 0) return;
  size_t len = text.size() < cap - 1 ? text.size() : cap - 1;
  // Do not cut a multi-byte UTF-8 sequence: back off over continuation bytes.
  if (len < text.size()) {
    while (len > 0 && (static_cast<unsigned char>(text[len]) & 0xC0) == 0x80) --len;
  }
  std::memcpy(dst, text.data(), len);
  std::memset(dst + len, 0, cap - len);
}

namespace {

uint32_t kind_of(cl_device_type type) {
  if (type & CL_DEVICE_TYPE_GPU) return CC_DEVICE_GPU;
  if (type & CL_DEVICE_TYPE_CPU) return CC_DEVICE_CPU;
  if (type & (CL_DEVICE_TYPE_ACCELERATOR | CL_DEVICE_TYPE_CUSTOM)) return CC_DEVICE_ACCELERATOR;
  return CC_DEVICE_OTHER;
}

// "OpenCL <major>.<minor> ..." -> major >= 2.
bool is_cl2_or_later(const std::string& version) {
  int major = 0, minor = 0;
  return std::sscanf(version.c_str(), "OpenCL %d.%d", &major, &minor) == 2 && major >= 2;
}

std::string hex_uuid(const cl_uchar (&u)[CL_UUID_SIZE_KHR]) {
  char buf[40];
  std::snprintf(buf, sizeof buf,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
                u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
                u[15]);
  return buf;
}

DeviceRecord describe(cl_platform_id platform, cl_device_id device) {
  DeviceRecord r;
  r.platform = platform;
  r.device = device;
  cc_device_info& info = r.info;
  info.struct_size = sizeof(cc_device_info);

  const std::string platform_name = platform_string(platform, CL_PLATFORM_NAME);
  const std::string name = device_string(device, CL_DEVICE_NAME);
  const std::string extensions = device_string(device, CL_DEVICE_EXTENSIONS);
  r.label = name + " (" + platform_name + ")";
  r.platform_cl2 = is_cl2_or_later(platform_string(platform, CL_PLATFORM_VERSION));

  const auto type = device_value<cl_device_type>(device, CL_DEVICE_TYPE);
  r.is_cpu = (type & CL_DEVICE_TYPE_CPU) != 0;
  info.kind = kind_of(type);
  copy_string(info.name, sizeof info.name, name.empty() ? "unnamed OpenCL device" : name);
  copy_string(info.vendor, sizeof info.vendor, device_string(device, CL_DEVICE_VENDOR));
  copy_string(info.driver_version, sizeof info.driver_version,
              device_string(device, CL_DRIVER_VERSION) + " (" +
                  device_string(device, CL_DEVICE_VERSION) + ", platform " + platform_name + ")");

  if (has_extension(extensions, "cl_khr_device_uuid")) {
    cl_uchar uuid[CL_UUID_SIZE_KHR] = {};
    if (clGetDeviceInfo(device, CL_DEVICE_UUID_KHR, sizeof uuid, uuid, nullptr) == CL_SUCCESS)
      copy_string(info.uuid, sizeof info.uuid, hex_uuid(uuid));
  }
  if (has_extension(extensions, "cl_khr_pci_bus_info")) {
    cl_device_pci_bus_info_khr pci{};
    if (clGetDeviceInfo(device, CL_DEVICE_PCI_BUS_INFO_KHR, sizeof pci, &pci, nullptr) ==
        CL_SUCCESS) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.%x", pci.pci_domain, pci.pci_bus,
                    pci.pci_device, pci.pci_function);
      copy_string(info.pci_bus_id, sizeof info.pci_bus_id, buf);
    }
  }

  info.memory_bytes = device_value<cl_ulong>(device, CL_DEVICE_GLOBAL_MEM_SIZE);
  info.compute_units = device_value<cl_uint>(device, CL_DEVICE_MAX_COMPUTE_UNITS);
  info.clock_mhz = device_value<cl_uint>(device, CL_DEVICE_MAX_CLOCK_FREQUENCY);
  r.max_alloc = device_value<cl_ulong>(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE);
  r.local_mem = device_value<cl_ulong>(device, CL_DEVICE_LOCAL_MEM_SIZE);
  r.max_work_group = device_value<size_t>(device, CL_DEVICE_MAX_WORK_GROUP_SIZE);
  r.base_align_bits = device_value<cl_uint>(device, CL_DEVICE_MEM_BASE_ADDR_ALIGN);
  r.vec_float = device_value<cl_uint>(device, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT);
  r.vec_double = device_value<cl_uint>(device, CL_DEVICE_PREFERRED_VECTOR_WIDTH_DOUBLE);
  r.vec_int = device_value<cl_uint>(device, CL_DEVICE_PREFERRED_VECTOR_WIDTH_INT);
  r.driver = device_string(device, CL_DRIVER_VERSION);

  // CL_DEVICE_DOUBLE_FP_CONFIG is core since 1.2 but may be rejected by old
  // runtimes, so its failure just means "no fp64 from this source".
  cl_device_fp_config fp64_config = 0;
  if (clGetDeviceInfo(device, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof fp64_config, &fp64_config,
                      nullptr) != CL_SUCCESS)
    fp64_config = 0;
  r.fp64 = has_extension(extensions, "cl_khr_fp64") || fp64_config != 0;
  r.fp16 = has_extension(extensions, "cl_khr_fp16");
  // bf16 is a storage type here (widened to fp32 in the kernels): any device.
  info.dtypes = CC_DTYPE_BIT(CC_DTYPE_F32) | CC_DTYPE_BIT(CC_DTYPE_BF16) |
                CC_DTYPE_BIT(CC_DTYPE_I8) | CC_DTYPE_BIT(CC_DTYPE_I32) |
                (r.fp64 ? CC_DTYPE_BIT(CC_DTYPE_F64) : 0u) |
                (r.fp16 ? CC_DTYPE_BIT(CC_DTYPE_F16) : 0u);
  return r;
}

Inventory build() {
  Inventory inv;
  try {
    cl_uint nplatforms = 0;
    const cl_int rc = clGetPlatformIDs(0, nullptr, &nplatforms);
    // The ICD loader says "no platforms" with -1001: that is zero devices.
    if (rc == CL_PLATFORM_NOT_FOUND_KHR || (rc == CL_SUCCESS && nplatforms == 0)) return inv;
    check(rc, "clGetPlatformIDs");
    std::vector<cl_platform_id> platforms(nplatforms);
    check(clGetPlatformIDs(nplatforms, platforms.data(), nullptr), "clGetPlatformIDs");
    for (cl_platform_id p : platforms) {
      cl_uint ndevices = 0;
      const cl_int drc = clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, nullptr, &ndevices);
      if (drc == CL_DEVICE_NOT_FOUND || ndevices == 0) continue;
      check(drc, "clGetDeviceIDs");
      std::vector<cl_device_id> devices(ndevices);
      check(clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, ndevices, devices.data(), nullptr),
            "clGetDeviceIDs");
      for (cl_device_id d : devices) inv.devices.push_back(describe(p, d));
    }
  } catch (const Error& e) {
    inv.status = e.status();
    inv.error = std::string("OpenCL enumeration failed: ") + e.what();
    inv.devices.clear();
  }
  return inv;
}

}  // namespace

const Inventory& inventory() {
  static const Inventory inv = build();
  return inv;
}

}  // namespace chipcert::opencl
