// What the CUDA driver finds on this machine, computed once per process:
// the loaded libraries and one record per device (ABI device_info, compute
// capability, NVML handle). Immutable after construction.
#pragma once

#include <chipcert/driver.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dynload.hpp"

namespace chipcert::cuda {

/// The lowest compute capability this build has machine code or PTX for.
constexpr int kMinComputeCapability = 80;

struct DeviceRecord {
  cc_device_info info{};
  int ordinal = 0;  ///< CUDA device ordinal (driver API and runtime agree)
  int cc = 0;       ///< compute capability major*10 + minor
  nvmlDevice_t nvml = nullptr;
  std::string label;  ///< "cuda:0 (NVIDIA H100 80GB HBM3)" for messages
};

/// Library names the inventory loads; tests substitute missing or fake ones.
struct LibraryNames {
  std::vector<std::string> cuda{"libcuda.so.1"};
  std::vector<std::string> nvml{"libnvidia-ml.so.1"};
};

struct Inventory {
  cc_status status = CC_OK;  ///< not OK: enumerate fails with `error`
  std::string error;
  std::unique_ptr<CudaApi> cuda;
  std::unique_ptr<NvmlApi> nvml;  ///< null when NVML is unavailable (see nvml_note)
  std::string nvml_note;
  std::vector<DeviceRecord> devices;
};

/// Loads the libraries and describes every device. Never throws: a missing
/// driver becomes status CC_ERR_DEVICE with "libcuda.so.1 not found: no
/// NVIDIA driver on this machine (...)" and no devices.
std::unique_ptr<Inventory> build_inventory(const LibraryNames& names);

/// The process-wide inventory (thread-safe, built on first use, never freed:
/// the libraries stay loaded for the life of the process).
const Inventory& inventory();

// ---- pure helpers (unit-tested) ----------------------------------------------

/// "0000:3B:00.0" or "00000000:3b:00.0" -> "0000:3b:00.0" (hwloc's busid form:
/// %04x:%02x:%02x.%01x, lowercase); "" when `text` is not a bus id.
std::string normalize_pci_bus_id(const std::string& text);

/// 16 bytes -> "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lowercase (nvidia-smi
/// shows the same value with a "GPU-" prefix; the OpenCL driver reports it
/// without, so one card has one UUID across chipcert drivers).
std::string format_uuid(const std::array<unsigned char, 16>& bytes);

/// "driver 550.54.15, VBIOS 96.00.89.00.01, ECC on, limit 700 W, CUDA 12.4":
/// the parts that are known, in that order of priority; a part that would
/// not fit in `max` bytes (the ABI's driver_version holds 63) is left out.
/// ECC and the power limit have no field of their own in ABI v1, so they
/// travel here. ecc: 1 on, 0 off, -1 unknown; power_limit_w <= 0: unknown;
/// empty strings: unknown.
std::string compose_driver_version(const std::string& driver, const std::string& vbios, int ecc,
                                   double power_limit_w, const std::string& cuda, size_t max);

/// CUDA driver API version 12040 -> "12.4".
std::string cuda_version_string(int version);

/// CC_DTYPE_BIT mask the device can store and compute for compute
/// capability major*10+minor: fp32, fp64, int8, int32 always; fp16 from 5.3;
/// bf16 and tf32 from 8.0.
uint32_t dtypes_for_compute_capability(int cc);

}  // namespace chipcert::cuda
