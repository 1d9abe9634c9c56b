// The host as a device: topology facts, thread pinning and memory.
#include <omp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "cpu_internal.hpp"

namespace chipcert::cpu {
namespace {

constexpr uint64_t kAlign = 64;              // one cache line / one zmm register
constexpr uint64_t kHugeAlign = 2ull << 20;  // one transparent huge page
constexpr uint64_t kTouchParallel = 1ull << 20;

std::string trim(std::string s) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

/// First "key : value" line of /proc/cpuinfo whose key is `key`, or "".
std::string cpuinfo_field(const std::string& key) {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    if (colon != std::string::npos && trim(line.substr(0, colon)) == key)
      return trim(line.substr(colon + 1));
  }
  return {};
}

/// The first number in file `path`, or NaN.
double read_number(const std::string& path) {
  std::ifstream in(path);
  double v = 0;
  if (in >> v) return v;
  return std::nan("");
}

std::string readable_vendor(const std::string& raw) {
  if (raw == "AuthenticAMD") return "AMD (AuthenticAMD)";
  if (raw == "GenuineIntel") return "Intel (GenuineIntel)";
  if (raw == "HygonGenuine") return "Hygon (HygonGenuine)";
  return raw;
}

HostInfo gather_host_info() {
  HostInfo h;
  hwloc_topology_t topo = nullptr;
  if (hwloc_topology_init(&topo) != 0 || hwloc_topology_load(topo) != 0) {
    h.problem = "hwloc could not load the topology";
  } else {
    const int cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    h.cores = cores > 0 ? static_cast<uint32_t>(cores) : 0;
    if (hwloc_obj_t pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0)) {
      if (const char* m = hwloc_obj_get_info_by_name(pkg, "CPUModel")) h.model = trim(m);
      if (const char* v = hwloc_obj_get_info_by_name(pkg, "CPUVendor")) h.vendor_raw = trim(v);
    }
  }
  if (topo) hwloc_topology_destroy(topo);
  // Fallbacks for hosts where hwloc lacks the info attributes.
  if (h.cores == 0) h.cores = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  if (h.model.empty()) h.model = cpuinfo_field("model name");
  if (h.model.empty()) h.model = "unknown CPU";
  if (h.vendor_raw.empty()) h.vendor_raw = cpuinfo_field("vendor_id");
  h.vendor = readable_vendor(h.vendor_raw);

  // What the kernel reports (MemTotal), capped by a cgroup v2 limit. We do
  // not use hwloc's NUMA totals: under memory hotplug they can miss memory.
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) h.memory_bytes = uint64_t(pages) * uint64_t(page);
  const double cg = read_number("/sys/fs/cgroup/memory.max");  // "max" reads as NaN
  if (std::isfinite(cg) && cg > 0 && cg < double(h.memory_bytes)) h.memory_bytes = uint64_t(cg);

  const double khz = read_number("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq");
  if (std::isfinite(khz) && khz > 0) {
    h.clock_mhz = uint32_t(std::lround(khz / 1000));
  } else {
    const std::string mhz = cpuinfo_field("cpu MHz");
    if (!mhz.empty()) h.clock_mhz = uint32_t(std::lround(std::atof(mhz.c_str())));
  }
  return h;
}

}  // namespace

const HostInfo& host_info() {
  static const HostInfo info = [] {
    try {
      return gather_host_info();
    } catch (...) {  // e.g. bad_alloc: report a minimal, valid host
      HostInfo h;
      h.cores = 1;
      h.model = "unknown CPU";
      h.problem = "could not read the host topology";
      return h;
    }
  }();
  return info;
}

double current_clock_mhz() {
  const double khz = read_number("/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq");
  if (std::isfinite(khz) && khz > 0) return khz / 1000;
  const std::string mhz = cpuinfo_field("cpu MHz");
  return mhz.empty() ? -1.0 : std::atof(mhz.c_str());
}

double max_temperature_c() {
  double best = -1;
  std::error_code ec;
  for (const auto& hw : std::filesystem::directory_iterator("/sys/class/hwmon", ec)) {
    for (int i = 1; i <= 16; ++i) {
      const double milli = read_number(hw.path().string() + "/temp" + std::to_string(i) + "_input");
      if (std::isfinite(milli)) best = std::max(best, milli / 1000);
    }
  }
  return best;
}

Buffer::~Buffer() {
  std::free(data);
}

Device::Device() : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {
  const HostInfo& host = host_info();
  threads_ = int(std::min<uint32_t>(host.cores, uint32_t(std::numeric_limits<int>::max())));
  if (hwloc_topology_init(&topology_) != 0 || hwloc_topology_load(topology_) != 0) {
    if (topology_) hwloc_topology_destroy(topology_);
    topology_ = nullptr;
  }
  pin_threads();
  if (!host.problem.empty()) last_error = "note: " + host.problem + "; " + last_error;
}

Device::~Device() {
  kernels_.clear();
  buffers_.clear();
  if (caller_binding_) {
    // Only the caller's own binding can be restored safely (another thread
    // may have exited); a device closed elsewhere leaves it pinned.
    if (pthread_equal(pthread_self(), caller_))
      (void)hwloc_set_cpubind(topology_, caller_binding_, HWLOC_CPUBIND_THREAD);
    hwloc_bitmap_free(caller_binding_);
  }
  if (topology_) hwloc_topology_destroy(topology_);
}

void Device::pin_threads() {
  pinned_for_ = std::this_thread::get_id();
  if (topology_ && !caller_binding_) {
    caller_binding_ = hwloc_bitmap_alloc();
    caller_ = pthread_self();
    if (caller_binding_ &&
        hwloc_get_cpubind(topology_, caller_binding_, HWLOC_CPUBIND_THREAD) != 0) {
      hwloc_bitmap_free(caller_binding_);
      caller_binding_ = nullptr;
    }
  }
  // oneDNN (GOMP build) sizes its parallel regions from this thread's ICV.
  omp_set_num_threads(threads_);
  if (!topology_) {
    last_error = "note: threads not pinned: hwloc topology unavailable";
    return;
  }
  int failed = 0, team = 0;
#pragma omp parallel num_threads(threads_) reduction(+ : failed)
  {
    const int t = omp_get_thread_num();
#pragma omp single
    team = omp_get_num_threads();
    hwloc_obj_t core = hwloc_get_obj_by_type(topology_, HWLOC_OBJ_CORE, unsigned(t));
    if (!core || hwloc_set_cpubind(topology_, core->cpuset, HWLOC_CPUBIND_THREAD) != 0) ++failed;
  }
  // Pinning is best effort: a container may forbid it. Not an error, but
  // visible through last_error until a real failure replaces it.
  if (failed > 0 || team != threads_) {
    std::ostringstream note;
    note << "note: " << failed << " of " << team << " OpenMP threads could not be pinned (wanted "
         << threads_ << " threads, one per core)";
    last_error = note.str();
  }
}

Buffer* Device::alloc(uint64_t bytes) {
  std::unique_ptr<Buffer> buf = allocate(bytes);
  Buffer* raw = buf.get();
  buffers_.emplace(raw, std::move(buf));
  return raw;
}

dnnl::memory Device::memory_for(const dnnl::memory::desc& md,
                                std::unique_ptr<Buffer>& storage) const {
  storage = allocate(md.get_size());
  return dnnl::memory(md, engine_, storage->data);
}

std::unique_ptr<Buffer> Device::allocate(uint64_t bytes) const {
  auto buf = std::make_unique<Buffer>();
  buf->bytes = bytes;
  if (bytes > 0) {
    // Refuse what the machine cannot hold: with overcommit, malloc would
    // succeed and the first touch would bring the OOM killer instead.
    const uint64_t limit = host_info().memory_bytes;
    if (limit != 0 && bytes > limit) {
      throw Error(CC_ERR_OUT_OF_MEMORY, "alloc of " + std::to_string(bytes) +
                                            " bytes exceeds the host's " + std::to_string(limit) +
                                            " bytes of memory");
    }
    const uint64_t align = bytes >= kHugeAlign ? kHugeAlign : kAlign;
    const uint64_t rounded = (bytes + align - 1) / align * align;
    buf->data = std::aligned_alloc(align, rounded);
    if (!buf->data)
      throw Error(CC_ERR_OUT_OF_MEMORY, "alloc of " + std::to_string(bytes) + " bytes failed");
    if (align == kHugeAlign) madvise(buf->data, rounded, MADV_HUGEPAGE);  // a hint only
    // First touch from the same static partition the kernels use, so pages
    // land on the NUMA node of the core that will stream them, and page
    // faults are paid here rather than in the first timed launch.
    auto* p = static_cast<unsigned char*>(buf->data);
    if (rounded >= kTouchParallel) {
      const int64_t pages = int64_t(rounded / 4096);
#pragma omp parallel for schedule(static) num_threads(threads_)
      for (int64_t i = 0; i < pages; ++i) std::memset(p + i * 4096, 0, 4096);
    } else {
      std::memset(p, 0, rounded);
    }
  }
  return buf;
}

Buffer& Device::buffer(const void* buf, const char* what) const {
  const auto it = buffers_.find(buf);
  if (it == buffers_.end())
    throw Error(CC_ERR_INVALID_ARGUMENT,
                std::string(what) + " is not a live buffer of this device");
  return *it->second;
}

Kernel* Device::add_kernel(std::unique_ptr<Kernel> kernel) {
  Kernel* raw = kernel.get();
  kernels_.emplace(raw, std::move(kernel));
  return raw;
}

Kernel& Device::kernel(const void* k) const {
  const auto it = kernels_.find(k);
  if (it == kernels_.end())
    throw Error(CC_ERR_INVALID_ARGUMENT, "kernel is not a live kernel of this device");
  return *it->second;
}

uint64_t dtype_size(uint32_t dtype) {
  switch (dtype) {
    case CC_DTYPE_F64:
      return 8;
    case CC_DTYPE_F32:
      return 4;
    case CC_DTYPE_F16:
      return 2;
    case CC_DTYPE_BF16:
      return 2;
    case CC_DTYPE_I8:
      return 1;
    case CC_DTYPE_I32:
      return 4;
    case CC_DTYPE_TF32:
      return 4;
    default:
      return 0;
  }
}

const char* dtype_name(uint32_t dtype) {
  static constexpr const char* kNames[] = {"f64", "f32", "f16", "bf16", "i8", "i32", "tf32"};
  return dtype < CC_DTYPE_COUNT_ ? kNames[dtype] : "unknown dtype";
}

std::string amx_unavailable_reason() {
  // Asked once per process: the permission, once given, is the process's.
  static const std::string why = []() -> std::string {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("amx-tile") || !__builtin_cpu_supports("amx-bf16") ||
        !__builtin_cpu_supports("amx-int8"))
      return "the CPU reports no AMX-TILE/AMX-BF16/AMX-INT8 in CPUID";
    // Linux hands out the 8 KiB tile state only on request (since 5.16);
    // without it the first tile instruction faults.
    constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
    if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) != 0)
      return std::string("Linux refused the AMX tile state (arch_prctl ARCH_REQ_XCOMP_PERM: ") +
             std::strerror(errno) + ")";
    return "";
  }();
  return why;
}

Isa cpu_isa() {
  // What the CPU offers (cpuid through libgcc); AVX-512 needs F and BW/VL for
  // the masked tails, BF16 and VNNI the dot-product instructions.
  static const Isa hw = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl")) {
      if (!__builtin_cpu_supports("avx512bf16") || !__builtin_cpu_supports("avx512vnni"))
        return Isa::kAvx512;
      return amx_unavailable_reason().empty() ? Isa::kAmx : Isa::kAvx512Bf16Vnni;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::kAvx2;
    return Isa::kScalar;
  }();
  const char* cap = std::getenv("CHIPCERT_CPU_MAX_ISA");
  if (!cap || !*cap) return hw;
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512, Isa::kAvx512Bf16Vnni, Isa::kAmx})
    if (std::strcmp(cap, isa_name(isa)) == 0) return std::min(isa, hw);
  return hw;  // an unknown name caps nothing
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
    case Isa::kAvx512Bf16Vnni:
      return "avx512_bf16_vnni";
    case Isa::kAmx:
      return "amx";
  }
  return "?";
}

std::string dnnl_version_string() {
  const dnnl_version_t* v = dnnl::version();
  return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
         std::to_string(v->patch);
}

Range thread_range(int64_t n, int t, int nt, int64_t align) {
  const int64_t units = (n + align - 1) / align;
  const int64_t per = units / nt, extra = units % nt;
  const int64_t first = t * per + std::min<int64_t>(t, extra);
  const int64_t count = per + (t < extra ? 1 : 0);
  return {std::min(n, first * align), std::min(n, (first + count) * align)};
}

void require_float_pair(const cc_op_desc& op, const char* what) {
  const bool ok =
      op.dtype == op.acc_dtype && (op.dtype == CC_DTYPE_F32 || op.dtype == CC_DTYPE_F64);
  if (!ok)
    throw Error(CC_ERR_UNSUPPORTED, std::string(what) + " supports dtype/acc_dtype f32/f32 and " +
                                        "f64/f64 on the CPU driver, not " + dtype_name(op.dtype) +
                                        "/" + dtype_name(op.acc_dtype));
}

uint64_t checked_bytes(uint64_t a, uint64_t b, uint64_t c) {
  uint64_t ab = 0, abc = 0;
  if (__builtin_mul_overflow(a, b, &ab) || __builtin_mul_overflow(ab, c, &abc))
    throw Error(CC_ERR_INVALID_ARGUMENT, "shape too large: its byte size overflows 64 bits");
  return abc;
}

}  // namespace chipcert::cpu
