#include "inventory.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace chipcert::cuda {

namespace {

void copy_string(char* dst, size_t cap, const std::string& text) {
  size_t len = std::min(text.size(), cap - 1);
  // Never cut a UTF-8 sequence: back off over continuation bytes.
  if (len < text.size())
    while (len > 0 && (static_cast<unsigned char>(text[len]) & 0xC0) == 0x80) --len;
  std::memcpy(dst, text.data(), len);
  std::memset(dst + len, 0, cap - len);
}

/// A NUL-terminated string from a fixed buffer an API filled.
std::string from_buffer(const char* buf, size_t cap) {
  return std::string(buf, strnlen(buf, cap));
}

int attribute(const CudaApi& api, CUdevice_attribute a, CUdevice dev) {
  int v = 0;
  return api.device_attribute(&v, a, dev) == CUDA_SUCCESS ? v : 0;
}

/// Reads NVML's identity fields for one device into `r` (best effort).
void describe_nvml(const NvmlApi& nvml, const std::string& driver, const std::string& cuda,
                   DeviceRecord& r) {
  std::string vbios;
  int ecc = -1;
  double limit_w = 0;
  if (r.info.pci_bus_id[0] != '\0' &&
      nvml.handle_by_pci_bus_id(r.info.pci_bus_id, &r.nvml) != kNvmlSuccess)
    r.nvml = nullptr;
  if (r.nvml != nullptr) {
    char buf[kNvmlDriverBuffer] = {};
    if (nvml.serial != nullptr && nvml.serial(r.nvml, buf, kNvmlSerialBuffer) == kNvmlSuccess)
      copy_string(r.info.serial, sizeof r.info.serial, from_buffer(buf, kNvmlSerialBuffer));
    std::memset(buf, 0, sizeof buf);
    if (nvml.vbios_version != nullptr &&
        nvml.vbios_version(r.nvml, buf, kNvmlVbiosBuffer) == kNvmlSuccess)
      vbios = from_buffer(buf, kNvmlVbiosBuffer);
    int current = 0, pending = 0;
    if (nvml.ecc_mode != nullptr && nvml.ecc_mode(r.nvml, &current, &pending) == kNvmlSuccess)
      ecc = current != 0 ? 1 : 0;
    unsigned mw = 0;
    if (nvml.enforced_power_limit != nullptr &&
        nvml.enforced_power_limit(r.nvml, &mw) == kNvmlSuccess)
      limit_w = mw / 1000.0;
    unsigned mhz = 0;
    if (nvml.max_clock_info != nullptr &&
        nvml.max_clock_info(r.nvml, kNvmlClockSm, &mhz) == kNvmlSuccess && mhz > 0)
      r.info.clock_mhz = mhz;  // the maximum SM clock beats the driver API's nominal one
  }
  copy_string(
      r.info.driver_version, sizeof r.info.driver_version,
      compose_driver_version(driver, vbios, ecc, limit_w, cuda, sizeof r.info.driver_version - 1));
}

}  // namespace

std::unique_ptr<Inventory> build_inventory(const LibraryNames& names) {
  auto inv = std::make_unique<Inventory>();
  inv->cuda = load_cuda(names.cuda);
  const CudaApi& api = *inv->cuda;
  const std::string so = names.cuda.empty() ? "libcuda" : names.cuda.front();
  const auto fail = [&](const std::string& why) {
    inv->status = CC_ERR_DEVICE;
    inv->error = why;
    return std::move(inv);
  };
  if (!api.lib.loaded())
    return fail(so + " not found: no NVIDIA driver on this machine (" + api.lib.error() + ")");
  if (!api.lib.missing().empty())
    return fail(api.lib.name() + " lacks " + api.lib.missing() +
                ": the NVIDIA driver is older than this build needs (CUDA 11.4 or newer)");
  CUresult rc = api.init(0);
  if (rc != CUDA_SUCCESS) {
    std::string hint;
    if (rc == CUDA_ERROR_NO_DEVICE) hint = ": no CUDA device is visible (see CUDA_VISIBLE_DEVICES)";
    if (rc == CUDA_ERROR_STUB_LIBRARY)
      hint = ": " + api.lib.name() + " is the toolkit's stub library, not an NVIDIA driver";
    return fail("cuInit failed: " + api.describe(rc) + hint);
  }
  int version = 0;
  api.driver_version(&version);
  const std::string cuda = cuda_version_string(version);
  if (version / 1000 < CUDART_VERSION / 1000)
    return fail("the NVIDIA driver supports CUDA " + cuda +
                " but this chipcert was built with the CUDA " +
                cuda_version_string(CUDART_VERSION) + " runtime, which needs a driver for CUDA " +
                std::to_string(CUDART_VERSION / 1000) + ".0 or newer");
  int count = 0;
  if ((rc = api.device_count(&count)) != CUDA_SUCCESS)
    return fail("cuDeviceGetCount failed: " + api.describe(rc));

  inv->nvml = load_nvml(names.nvml, inv->nvml_note);
  std::string driver;
  if (inv->nvml && inv->nvml->system_driver_version != nullptr) {
    char buf[kNvmlDriverBuffer] = {};
    if (inv->nvml->system_driver_version(buf, kNvmlDriverBuffer) == kNvmlSuccess)
      driver = from_buffer(buf, kNvmlDriverBuffer);
  }

  for (int i = 0; i < count; ++i) {
    DeviceRecord r;
    r.ordinal = i;
    CUdevice dev = 0;
    if ((rc = api.device_get(&dev, i)) != CUDA_SUCCESS)
      return fail("cuDeviceGet(" + std::to_string(i) + ") failed: " + api.describe(rc));
    cc_device_info& info = r.info;
    info.struct_size = sizeof(cc_device_info);
    info.kind = CC_DEVICE_GPU;
    char name[CC_NAME_MAX] = {};
    if (api.device_name(name, sizeof name - 1, dev) != CUDA_SUCCESS || name[0] == '\0')
      std::snprintf(name, sizeof name, "NVIDIA CUDA device %d", i);
    copy_string(info.name, sizeof info.name, name);
    copy_string(info.vendor, sizeof info.vendor, "NVIDIA Corporation");
    CUuuid uuid{};
    if (api.device_uuid(&uuid, dev) == CUDA_SUCCESS) {
      std::array<unsigned char, 16> bytes{};
      std::memcpy(bytes.data(), uuid.bytes, 16);
      copy_string(info.uuid, sizeof info.uuid, format_uuid(bytes));
    }
    char bus[32] = {};
    if (api.device_pci_bus_id(bus, sizeof bus - 1, dev) == CUDA_SUCCESS)
      copy_string(info.pci_bus_id, sizeof info.pci_bus_id, normalize_pci_bus_id(bus));
    size_t bytes = 0;
    if (api.device_total_mem(&bytes, dev) == CUDA_SUCCESS) info.memory_bytes = bytes;
    info.compute_units =
        static_cast<uint32_t>(attribute(api, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev));
    info.clock_mhz =
        static_cast<uint32_t>(attribute(api, CU_DEVICE_ATTRIBUTE_CLOCK_RATE, dev) / 1000);
    r.cc = attribute(api, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev) * 10 +
           attribute(api, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
    info.dtypes = dtypes_for_compute_capability(r.cc);
    if (inv->nvml)
      describe_nvml(*inv->nvml, driver, cuda, r);
    else
      copy_string(info.driver_version, sizeof info.driver_version,
                  compose_driver_version("", "", -1, 0, cuda, sizeof info.driver_version - 1));
    r.label = "cuda:" + std::to_string(i) + " (" + std::string(info.name) + ")";
    inv->devices.push_back(std::move(r));
  }
  return inv;
}

const Inventory& inventory() {
  // Never freed: see the comment on inventory() in the header.
  static const Inventory& inv = *build_inventory(LibraryNames{}).release();
  return inv;
}

std::string normalize_pci_bus_id(const std::string& text) {
  // sscanf alone would also take signs, blanks and "0x" prefixes.
  if (text.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos) return "";
  unsigned domain = 0, bus = 0, device = 0, function = 0;
  int used = 0;
  if (std::sscanf(text.c_str(), "%x:%x:%x.%x%n", &domain, &bus, &device, &function, &used) != 4 ||
      static_cast<size_t>(used) != text.size() || domain > 0xffff || bus > 0xff || device > 0x1f ||
      function > 0x7)
    return "";
  char buf[24];
  std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.%x", domain, bus, device, function);
  return buf;
}

std::string format_uuid(const std::array<unsigned char, 16>& u) {
  char buf[40];
  std::snprintf(buf, sizeof buf,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
                u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
                u[15]);
  return buf;
}

std::string compose_driver_version(const std::string& driver, const std::string& vbios, int ecc,
                                   double power_limit_w, const std::string& cuda, size_t max) {
  std::vector<std::string> parts;
  if (!driver.empty()) parts.push_back("driver " + driver);
  if (!vbios.empty()) parts.push_back("VBIOS " + vbios);
  if (ecc >= 0) parts.push_back(ecc ? "ECC on" : "ECC off");
  if (power_limit_w > 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "limit %.0f W", power_limit_w);
    parts.emplace_back(buf);
  }
  if (!cuda.empty()) parts.push_back("CUDA " + cuda);
  std::string out;
  for (const std::string& p : parts) {
    const size_t need = out.size() + (out.empty() ? 0 : 2) + p.size();
    if (need <= max) out += (out.empty() ? "" : ", ") + p;
  }
  return out;
}

std::string cuda_version_string(int version) {
  if (version <= 0) return "";
  return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
}

uint32_t dtypes_for_compute_capability(int cc) {
  uint32_t m = CC_DTYPE_BIT(CC_DTYPE_F32) | CC_DTYPE_BIT(CC_DTYPE_F64) | CC_DTYPE_BIT(CC_DTYPE_I8) |
               CC_DTYPE_BIT(CC_DTYPE_I32);
  if (cc >= 53) m |= CC_DTYPE_BIT(CC_DTYPE_F16);
  if (cc >= 80) m |= CC_DTYPE_BIT(CC_DTYPE_BF16) | CC_DTYPE_BIT(CC_DTYPE_TF32);
  return m;
}

}  // namespace chipcert::cuda
