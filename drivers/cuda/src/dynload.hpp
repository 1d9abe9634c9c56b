// Run-time loading of the NVIDIA libraries the CUDA driver calls directly:
// libcuda.so.1 (device identity), libnvidia-ml.so.1 (NVML: serial, VBIOS,
// sensors) and libcublasLt (GEMM). Nothing here is linked at build time, so
// chipcert starts on a machine without any of them; only the functions the
// driver uses are resolved, into tables owned by the driver's inventory.
#pragma once

#include <cublasLt.h>
#include <cuda.h>

#include <memory>
#include <string>
#include <vector>

namespace chipcert::cuda {

/// A dlopen()ed shared library; dlclose()d on destruction.
class Library {
 public:
  Library() = default;
  ~Library();
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  /// Opens the first of `names` that loads (RTLD_NOW | RTLD_LOCAL). On
  /// failure loaded() is false and error() quotes dlerror() for each name.
  void open(const std::vector<std::string>& names);
  bool loaded() const { return handle_ != nullptr; }
  const std::string& error() const { return error_; }
  /// The name that loaded.
  const std::string& name() const { return name_; }

  /// Resolves `symbol` into `fn`; a missing symbol is appended to missing().
  template <typename F>
  void resolve(F& fn, const char* symbol) {
    fn = reinterpret_cast<F>(lookup(symbol));
  }
  /// Comma-separated symbols that resolve() did not find ("" if none).
  const std::string& missing() const { return missing_; }

 private:
  void* lookup(const char* symbol);
  void* handle_ = nullptr;
  std::string name_, error_, missing_;
};

/// libcuda.so.1: the driver API calls used for enumeration and identity.
struct CudaApi {
  Library lib;
  decltype(&::cuInit) init = nullptr;
  decltype(&::cuDriverGetVersion) driver_version = nullptr;
  decltype(&::cuDeviceGetCount) device_count = nullptr;
  decltype(&::cuDeviceGet) device_get = nullptr;
  decltype(&::cuDeviceGetName) device_name = nullptr;
  decltype(&::cuDeviceGetUuid_v2) device_uuid = nullptr;
  decltype(&::cuDeviceTotalMem_v2) device_total_mem = nullptr;
  decltype(&::cuDeviceGetAttribute) device_attribute = nullptr;
  decltype(&::cuDeviceGetPCIBusId) device_pci_bus_id = nullptr;
  decltype(&::cuGetErrorName) error_name = nullptr;

  /// "CUDA_ERROR_NO_DEVICE (100)" for `rc`.
  std::string describe(CUresult rc) const;
};

/// Loads libcuda from `names` (normally {"libcuda.so.1"}). The result has
/// lib.loaded() false when the library is absent; all pointers are non-null
/// when it loaded and lib.missing() is empty.
std::unique_ptr<CudaApi> load_cuda(const std::vector<std::string>& names);

/// NVML as declared in nvml.h (not shipped with every toolkit, so the few
/// types used are spelled out; the C ABI is stable across NVML versions).
using nvmlReturn_t = int;
using nvmlDevice_t = struct nvmlDevice_st*;
constexpr int kNvmlSuccess = 0;
constexpr int kNvmlTemperatureGpu = 0;  // nvmlTemperatureSensors_t NVML_TEMPERATURE_GPU
constexpr int kNvmlClockSm = 1;         // nvmlClockType_t NVML_CLOCK_SM
constexpr unsigned kNvmlSerialBuffer = 30, kNvmlVbiosBuffer = 32, kNvmlDriverBuffer = 80;

struct NvmlApi {
  Library lib;
  nvmlReturn_t (*init)() = nullptr;  // nvmlInit_v2
  const char* (*error_string)(nvmlReturn_t) = nullptr;
  nvmlReturn_t (*system_driver_version)(char*, unsigned) = nullptr;
  nvmlReturn_t (*handle_by_pci_bus_id)(const char*, nvmlDevice_t*) = nullptr;  // _v2
  nvmlReturn_t (*serial)(nvmlDevice_t, char*, unsigned) = nullptr;
  nvmlReturn_t (*vbios_version)(nvmlDevice_t, char*, unsigned) = nullptr;
  nvmlReturn_t (*ecc_mode)(nvmlDevice_t, int*, int*) = nullptr;             // current, pending
  nvmlReturn_t (*enforced_power_limit)(nvmlDevice_t, unsigned*) = nullptr;  // mW
  nvmlReturn_t (*power_usage)(nvmlDevice_t, unsigned*) = nullptr;           // mW
  nvmlReturn_t (*temperature)(nvmlDevice_t, int, unsigned*) = nullptr;      // C
  nvmlReturn_t (*clock_info)(nvmlDevice_t, int, unsigned*) = nullptr;       // MHz
  nvmlReturn_t (*max_clock_info)(nvmlDevice_t, int, unsigned*) = nullptr;   // MHz
};

/// Loads NVML and calls nvmlInit_v2. Returns nullptr with `why` set when
/// NVML is absent or does not initialise; identity and sensors then come
/// from the driver API alone (fields NVML would give stay empty / -1).
/// Optional entry points (ecc_mode, power limit, ...) may be null.
std::unique_ptr<NvmlApi> load_nvml(const std::vector<std::string>& names, std::string& why);

/// libcublasLt: the calls behind GEMM.
struct CublasLtApi {
  Library lib;
  decltype(&::cublasLtCreate) create = nullptr;
  decltype(&::cublasLtDestroy) destroy = nullptr;
  decltype(&::cublasLtGetVersion) get_version = nullptr;
  decltype(&::cublasLtGetStatusString) status_string = nullptr;
  decltype(&::cublasLtMatmulDescCreate) desc_create = nullptr;
  decltype(&::cublasLtMatmulDescDestroy) desc_destroy = nullptr;
  decltype(&::cublasLtMatmulDescSetAttribute) desc_set = nullptr;
  decltype(&::cublasLtMatrixLayoutCreate) layout_create = nullptr;
  decltype(&::cublasLtMatrixLayoutDestroy) layout_destroy = nullptr;
  decltype(&::cublasLtMatrixLayoutSetAttribute) layout_set = nullptr;
  decltype(&::cublasLtMatmulPreferenceCreate) pref_create = nullptr;
  decltype(&::cublasLtMatmulPreferenceDestroy) pref_destroy = nullptr;
  decltype(&::cublasLtMatmulPreferenceSetAttribute) pref_set = nullptr;
  decltype(&::cublasLtMatmulAlgoGetHeuristic) heuristic = nullptr;
  decltype(&::cublasLtMatmul) matmul = nullptr;
  decltype(&::cublasLtMatmulAlgoConfigGetAttribute) algo_config_get = nullptr;  ///< optional

  /// "CUBLAS_STATUS_NOT_SUPPORTED (15)" for `s`.
  std::string describe(cublasStatus_t s) const;
};

/// The sonames tried for cuBLASLt: the major version this driver was built
/// against, on the loader path and then in the build's toolkit directory.
std::vector<std::string> cublaslt_names();

/// cuBLASLt loaded once per process on first use (thread-safe). On failure
/// `lib.loaded()` is false or `lib.missing()` names what is absent; the
/// message is in error_of_cublaslt().
const CublasLtApi& cublaslt();
/// "" when cublaslt() is usable, else why not (names tried, dlerror).
std::string error_of_cublaslt();

}  // namespace chipcert::cuda
