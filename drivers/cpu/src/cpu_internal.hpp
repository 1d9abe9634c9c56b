// Internal types of the CPU driver. Nothing here crosses the C ABI: the ABI's
// opaque handles (cc_device, cc_buffer, cc_kernel) are reinterpret_casts of the
// classes below. We deliberately do not define `struct cc_device` & co. here:
// other built-in drivers linked into the same binary would define them too,
// which would violate the one-definition rule.
#pragma once

#include <chipcert/driver.h>
#include <hwloc.h>
#include <pthread.h>

#include <cstdint>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace chipcert::cpu {

/// A failure that crosses the ABI as `status()`, with `what()` as last_error.
class Error : public std::runtime_error {
 public:
  Error(cc_status status, const std::string& what) : std::runtime_error(what), status_(status) {}
  cc_status status() const noexcept { return status_; }

 private:
  cc_status status_;
};

/// Immutable facts about the host, gathered once per process.
struct HostInfo {
  std::string model;       ///< hwloc CPUModel, trimmed ("" if unknown)
  std::string vendor_raw;  ///< hwloc CPUVendor, e.g. "AuthenticAMD"
  std::string vendor;      ///< readable vendor, e.g. "AMD (AuthenticAMD)"
  uint64_t memory_bytes = 0;
  uint32_t cores = 0;      ///< physical cores, >= 1
  uint32_t clock_mhz = 0;  ///< nominal maximum clock, 0 if unknown
  std::string problem;     ///< why hwloc could not be used, "" when it could
};

/// The host snapshot; computed on first call, thread-safe, never throws.
const HostInfo& host_info();

/// Current clock of cpu0 in MHz, or a negative value when unreadable.
double current_clock_mhz();
/// Highest temperature any hwmon sensor reports, or negative when none.
double max_temperature_c();

/// Host memory standing in for device memory. 64-byte aligned (2 MiB for
/// large buffers); data is null only when bytes == 0.
struct Buffer {
  void* data = nullptr;
  uint64_t bytes = 0;
  ~Buffer();
};

/// One argument a kernel expects: its name (for messages) and minimum size.
struct ArgSpec {
  const char* name;
  uint64_t bytes;
};

/// A prepared op. launch() checks the buffers against args() before run().
class Kernel {
 public:
  virtual ~Kernel() = default;
  /// The arguments in the order the op kind documents.
  const std::vector<ArgSpec>& args() const { return args_; }
  /// Executes synchronously. `data[i]` points at >= args()[i].bytes bytes.
  virtual void run(void* const* data) = 0;
  /// One line naming the implementation (library, its chosen kernel, ISA).
  const std::string& info() const { return info_; }

 protected:
  std::vector<ArgSpec> args_;
  std::string info_;
};

/// Most buffers any op kind takes (LAYERNORM_BACKWARD).
constexpr uint32_t kMaxArgs = 8;

class Device;

/// Kernel for CC_OP_GEMM; throws Error(CC_ERR_UNSUPPORTED / INVALID_ARGUMENT).
std::unique_ptr<Kernel> make_gemm_kernel(Device& dev, const cc_op_desc& op);
/// Kernel for the CC_OP_STREAM_* kinds; throws like make_gemm_kernel.
std::unique_ptr<Kernel> make_stream_kernel(Device& dev, const cc_op_desc& op);
/// Kernel for CC_OP_PEAK (cpu_peak.cpp).
std::unique_ptr<Kernel> make_peak_kernel(Device& dev, const cc_op_desc& op);
/// Kernel for CC_OP_CONV2D (cpu_conv.cpp).
std::unique_ptr<Kernel> make_conv2d_kernel(Device& dev, const cc_op_desc& op);
/// True for GELU, ADD, MUL, LAYERNORM and SOFTMAX with bf16 or f16 inputs and
/// f32 accumulation: make_widened_kernel serves them (cpu_widen.cpp).
bool is_widened_op(const cc_op_desc& op);
/// The f32 kernel behind a staging pass that widens the 2-byte inputs.
std::unique_ptr<Kernel> make_widened_kernel(Device& dev, const cc_op_desc& op);
/// Kernel for CC_OP_ATTENTION (cpu_attention.cpp).
std::unique_ptr<Kernel> make_attention_kernel(Device& dev, const cc_op_desc& op);
/// Kernels for LAYERNORM, SOFTMAX, their backward ops and SOFTMAX_XENT (cpu_rows.cpp).
std::unique_ptr<Kernel> make_rows_kernel(Device& dev, const cc_op_desc& op);
/// Kernels for GELU, ADD, MUL, GELU_BACKWARD and ADAMW (cpu_eltwise.cpp).
std::unique_ptr<Kernel> make_eltwise_kernel(Device& dev, const cc_op_desc& op);

/// Instruction sets the driver's own kernels dispatch on, best last.
/// kAmx: AVX512-BF16/VNNI plus AMX-BF16/AMX-INT8 tiles this process may use.
enum class Isa { kScalar, kAvx2, kAvx512, kAvx512Bf16Vnni, kAmx };
/// The best ISA this CPU runs (cpuid; for AMX also Linux's permission for the
/// tile state, asked for once), capped by the environment variable
/// CHIPCERT_CPU_MAX_ISA ("scalar", "avx2", "avx512", "avx512_bf16_vnni",
/// "amx"); read at every call so tests can exercise the fallbacks.
Isa cpu_isa();
/// "avx512" etc., for kernel_info.
const char* isa_name(Isa isa);
/// Why this process cannot use AMX ("" when it can): no AMX in CPUID, or
/// Linux refused the tile state (arch_prctl ARCH_REQ_XCOMP_PERM).
std::string amx_unavailable_reason();

/// In place x[i] = exp(x[i]) / erfc(x[i]) for i < n, vectorised through
/// glibc's libmvec (<= 4 ulp) on AVX-512 / AVX2, else the scalar libm call.
void vexp(Isa isa, float* x, int64_t n);
void verfc(Isa isa, float* x, int64_t n);
/// Double versions: scalar libm (< 1 ulp), no vector path.
void vexp(Isa isa, double* x, int64_t n);
void verfc(Isa isa, double* x, int64_t n);

/// "oneDNN x.y.z", the version of the library actually loaded.
std::string dnnl_version_string();

/// [lo, hi) of thread t's contiguous share of n items, in units of `align`
/// items (the last share may end unaligned at n).
struct Range {
  int64_t lo, hi;
};
Range thread_range(int64_t n, int t, int nt, int64_t align = 1);

/// Throws Error(CC_ERR_UNSUPPORTED) unless dtype == acc_dtype is f32 or f64:
/// the dtypes of the OpenMP row and element-wise ops. `what` names the op.
void require_float_pair(const cc_op_desc& op, const char* what);

/// The whole host as one device. Owns every buffer and kernel made on it.
/// Not thread-safe: the ABI forbids concurrent calls for one device.
class Device {
 public:
  /// Loads the topology and pins this thread's OpenMP team (see pin_threads).
  Device();
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  /// Allocates `bytes` (0 is allowed); throws Error(CC_ERR_OUT_OF_MEMORY).
  Buffer* alloc(uint64_t bytes);
  /// The same memory as alloc gives (aligned, huge pages from 2 MiB on, pages
  /// touched), owned by the caller: a kernel's own working memory.
  std::unique_ptr<Buffer> allocate(uint64_t bytes) const;
  /// A oneDNN memory object for `md` over memory from allocate(), kept in
  /// `storage`, which must outlive it. oneDNN's own allocator gives 4 KiB
  /// pages; packed GEMM weights on them cost TLB misses (see README).
  dnnl::memory memory_for(const dnnl::memory::desc& md, std::unique_ptr<Buffer>& storage) const;
  void free(Buffer* buf) { buffers_.erase(buf); }
  /// Returns `buf` if it is a live buffer of this device, else throws.
  Buffer& buffer(const void* buf, const char* what) const;

  Kernel* add_kernel(std::unique_ptr<Kernel> kernel);
  void release(Kernel* kernel) { kernels_.erase(kernel); }
  /// Returns `k` if it is a live kernel of this device, else throws.
  Kernel& kernel(const void* k) const;

  /// OpenMP team size: one thread per physical core.
  int threads() const { return threads_; }
  /// Makes sure the calling thread's OpenMP team is sized and pinned. GOMP
  /// keeps one thread pool per calling thread, so a launch from a new thread
  /// needs pinning again. Cheap when nothing changed.
  void ensure_pinned() {
    if (pinned_for_ != std::this_thread::get_id()) pin_threads();
  }

  const dnnl::engine& engine() const { return engine_; }
  dnnl::stream& stream() { return stream_; }

  std::string last_error;  ///< what last_error(dev) returns

 private:
  void pin_threads();

  hwloc_topology_t topology_ = nullptr;
  int threads_ = 1;
  std::thread::id pinned_for_;
  // The binding the thread that opened the device had before pin_threads,
  // restored at close: threads that thread creates later (an OpenCL
  // runtime's workers) inherit its mask and would all share one core.
  hwloc_bitmap_t caller_binding_ = nullptr;
  pthread_t caller_ = {};
  dnnl::engine engine_;
  dnnl::stream stream_;
  // Kernels hold oneDNN primitives: declared after the engine so they die first.
  std::unordered_map<const void*, std::unique_ptr<Buffer>> buffers_;
  std::unordered_map<const void*, std::unique_ptr<Kernel>> kernels_;
};

/// Size in bytes of one element of `dtype`, 0 for unknown values.
uint64_t dtype_size(uint32_t dtype);
/// A short name of `dtype` for messages, e.g. "f32".
const char* dtype_name(uint32_t dtype);

/// a * b * c in uint64 or throws Error(CC_ERR_INVALID_ARGUMENT) on overflow.
uint64_t checked_bytes(uint64_t a, uint64_t b, uint64_t c = 1);

}  // namespace chipcert::cpu
