// Helpers shared by the op families of the OpenCL driver (ops_*.cpp):
// dtype rules, build options, kernel creation and argument setting, size
// arithmetic with overflow checks.
#pragma once

#include "device.hpp"

#include <string>

namespace chipcert::opencl {

/// "f32", "bf16", ... for messages.
std::string dtype_name(uint32_t d);

/// "gemm", "conv2d", ... for messages.
const char* op_name(uint32_t kind);

/// The types of an op: its dtype (inputs) and acc_dtype (accumulation, float
/// outputs), their sizes, and the -D options common.cl expects.
struct Types {
  uint32_t dtype = CC_DTYPE_F32;
  uint32_t acc = CC_DTYPE_F32;
  size_t in_size = 4;
  size_t acc_size = 4;
  std::string options;  ///< -DT=... -DTI=... [-DIN_BF16|-DIN_F16|-DIN_I8] [-DUSE_FP64] ...
};

/// Which dtypes an op family implements besides f32.
struct Allowed {
  bool f64 = false, f16 = false, bf16 = false, i8 = false;
};

/// Checks the op's (dtype, acc_dtype) pair: f32/f32, f64/f64 (cl_khr_fp64),
/// f16/f32 (cl_khr_fp16), bf16/f32, i8/i32, as far as `allowed` permits.
/// Throws UNSUPPORTED with a reason otherwise (fp16 names cl_khr_fp16).
Types op_types(const DeviceRecord& rec, const cc_op_desc& op, Allowed allowed);

/// Vector width for T on this device: the preferred width (clamped to
/// [2, 16], a power of two) so kernels can always use vector types.
int vector_width(const DeviceRecord& rec, uint32_t acc_dtype);

/// Throws INVALID_ARGUMENT "<op>: <name>=<v> must be in [lo, hi]" unless it is.
void require_range(const char* op, const char* name, int64_t v, int64_t lo, int64_t hi);

/// a * b * ... in uint64 with overflow check; throws INVALID_ARGUMENT naming `what`.
uint64_t checked_mul(std::initializer_list<uint64_t> factors, const std::string& what);

Kernel create_kernel(cl_program program, const char* name);

template <typename V>
void set_arg(const Kernel& k, cl_uint index, const V& value) {
  check(clSetKernelArg(k.get(), index, sizeof(V), &value), "clSetKernelArg");
}

/// Sets a scalar kernel argument of type T (the op's acc type): float,
/// double or int (int8 ops: the value rounded to an integer).
void set_acc(const Kernel& k, cl_uint index, double value, uint32_t acc_dtype);

/// Throws UNSUPPORTED if the kernel cannot run work-groups of `wanted` items.
void require_group_size(const Device& dev, const Kernel& k, size_t wanted, const char* what);

/// A device buffer of `bytes` owned by `op` (partial sums and the like).
cl_mem make_scratch(Device& dev, Op& op, size_t bytes, const char* what);

/// The prelude (common.cl) followed by `source`, for program_for.
std::vector<const char*> with_prelude(const char* source);

/// Rounds n up to a multiple of m (m > 0).
inline size_t round_up(size_t n, size_t m) {
  return (n + m - 1) / m * m;
}

}  // namespace chipcert::opencl
