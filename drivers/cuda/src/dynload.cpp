#include "dynload.hpp"

#include <dlfcn.h>

namespace chipcert::cuda {

Library::~Library() {
  if (handle_ != nullptr) dlclose(handle_);
}

void Library::open(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    dlerror();  // clear a stale message
    handle_ = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ != nullptr) {
      name_ = name;
      error_.clear();
      return;
    }
    const char* why = dlerror();
    error_ += (error_.empty() ? "" : "; ") + std::string(why != nullptr ? why : name.c_str());
  }
}

void* Library::lookup(const char* symbol) {
  void* p = handle_ != nullptr ? dlsym(handle_, symbol) : nullptr;
  if (p == nullptr) missing_ += (missing_.empty() ? "" : ", ") + std::string(symbol);
  return p;
}

std::string CudaApi::describe(CUresult rc) const {
  const char* name = nullptr;
  if (error_name == nullptr || error_name(rc, &name) != CUDA_SUCCESS || name == nullptr)
    name = "CUDA error";
  return std::string(name) + " (" + std::to_string(static_cast<int>(rc)) + ")";
}

std::unique_ptr<CudaApi> load_cuda(const std::vector<std::string>& names) {
  auto api = std::make_unique<CudaApi>();
  api->lib.open(names);
  if (!api->lib.loaded()) return api;
  Library& l = api->lib;
  // Versioned names: the _v2 entry points are what cuda.h's macros select.
  l.resolve(api->init, "cuInit");
  l.resolve(api->driver_version, "cuDriverGetVersion");
  l.resolve(api->device_count, "cuDeviceGetCount");
  l.resolve(api->device_get, "cuDeviceGet");
  l.resolve(api->device_name, "cuDeviceGetName");
  l.resolve(api->device_uuid, "cuDeviceGetUuid_v2");
  l.resolve(api->device_total_mem, "cuDeviceTotalMem_v2");
  l.resolve(api->device_attribute, "cuDeviceGetAttribute");
  l.resolve(api->device_pci_bus_id, "cuDeviceGetPCIBusId");
  l.resolve(api->error_name, "cuGetErrorName");
  return api;
}

std::unique_ptr<NvmlApi> load_nvml(const std::vector<std::string>& names, std::string& why) {
  auto api = std::make_unique<NvmlApi>();
  Library& l = api->lib;
  l.open(names);
  if (!l.loaded()) {
    why = "NVML not loaded: " + l.error();
    return nullptr;
  }
  l.resolve(api->init, "nvmlInit_v2");
  l.resolve(api->error_string, "nvmlErrorString");
  l.resolve(api->handle_by_pci_bus_id, "nvmlDeviceGetHandleByPciBusId_v2");
  if (!l.missing().empty()) {
    why = "NVML (" + l.name() + ") lacks " + l.missing();
    return nullptr;
  }
  // Everything else is optional: a field whose query is absent stays empty.
  l.resolve(api->system_driver_version, "nvmlSystemGetDriverVersion");
  l.resolve(api->serial, "nvmlDeviceGetSerial");
  l.resolve(api->vbios_version, "nvmlDeviceGetVbiosVersion");
  l.resolve(api->ecc_mode, "nvmlDeviceGetEccMode");
  l.resolve(api->enforced_power_limit, "nvmlDeviceGetEnforcedPowerLimit");
  l.resolve(api->power_usage, "nvmlDeviceGetPowerUsage");
  l.resolve(api->temperature, "nvmlDeviceGetTemperature");
  l.resolve(api->clock_info, "nvmlDeviceGetClockInfo");
  l.resolve(api->max_clock_info, "nvmlDeviceGetMaxClockInfo");
  const nvmlReturn_t rc = api->init();
  if (rc != kNvmlSuccess) {
    why = "nvmlInit_v2 failed: " + std::string(api->error_string(rc)) + " (" + std::to_string(rc) +
          ")";
    return nullptr;
  }
  return api;
}

std::string CublasLtApi::describe(cublasStatus_t s) const {
  const char* text = status_string != nullptr ? status_string(s) : nullptr;
  return std::string(text != nullptr ? text : "cuBLASLt error") + " (status " +
         std::to_string(static_cast<int>(s)) + ")";
}

std::vector<std::string> cublaslt_names() {
  const std::string so = "libcublasLt.so." + std::to_string(CUBLAS_VER_MAJOR);
  std::vector<std::string> names{so};
#ifdef CHIPCERT_CUDA_LIBDIR
  names.push_back(std::string(CHIPCERT_CUDA_LIBDIR) + "/" + so);
#endif
  return names;
}

namespace {

struct LoadedLt {
  std::unique_ptr<CublasLtApi> api = std::make_unique<CublasLtApi>();
  std::string error;
};

LoadedLt load_cublaslt() {
  LoadedLt r;
  CublasLtApi& a = *r.api;
  Library& l = a.lib;
  l.open(cublaslt_names());
  if (!l.loaded()) {
    r.error = "cuBLASLt not found (" + l.error() + "); install the CUDA toolkit's cuBLAS " +
              std::to_string(CUBLAS_VER_MAJOR) + ".x or add its lib directory to LD_LIBRARY_PATH";
    return r;
  }
  l.resolve(a.create, "cublasLtCreate");
  l.resolve(a.destroy, "cublasLtDestroy");
  l.resolve(a.get_version, "cublasLtGetVersion");
  l.resolve(a.status_string, "cublasLtGetStatusString");
  l.resolve(a.desc_create, "cublasLtMatmulDescCreate");
  l.resolve(a.desc_destroy, "cublasLtMatmulDescDestroy");
  l.resolve(a.desc_set, "cublasLtMatmulDescSetAttribute");
  l.resolve(a.layout_create, "cublasLtMatrixLayoutCreate");
  l.resolve(a.layout_destroy, "cublasLtMatrixLayoutDestroy");
  l.resolve(a.layout_set, "cublasLtMatrixLayoutSetAttribute");
  l.resolve(a.pref_create, "cublasLtMatmulPreferenceCreate");
  l.resolve(a.pref_destroy, "cublasLtMatmulPreferenceDestroy");
  l.resolve(a.pref_set, "cublasLtMatmulPreferenceSetAttribute");
  l.resolve(a.heuristic, "cublasLtMatmulAlgoGetHeuristic");
  l.resolve(a.matmul, "cublasLtMatmul");
  if (!l.missing().empty()) r.error = l.name() + " lacks " + l.missing();
  l.resolve(a.algo_config_get, "cublasLtMatmulAlgoConfigGetAttribute");  // kernel_info only
  return r;
}

// Loaded once and kept for the life of the process: unloading a CUDA
// library while the runtime may still hold its kernels is not safe at exit.
const LoadedLt& loaded_lt() {
  static const LoadedLt& lt = *new LoadedLt(load_cublaslt());
  return lt;
}

}  // namespace

const CublasLtApi& cublaslt() {
  return *loaded_lt().api;
}

std::string error_of_cublaslt() {
  return loaded_lt().error;
}

}  // namespace chipcert::cuda
