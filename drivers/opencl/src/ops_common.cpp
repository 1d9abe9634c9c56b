#include "ops_common.hpp"

#include "kernel_sources.hpp"

#include <algorithm>

namespace chipcert::opencl {

std::string dtype_name(uint32_t d) {
  static const char* const names[] = {"f64", "f32", "f16", "bf16", "i8", "i32", "tf32"};
  return d < CC_DTYPE_COUNT_ ? names[d] : "dtype " + std::to_string(d);
}

const char* op_name(uint32_t kind) {
  const char* name = cc_op_kind_name(kind);
  return name ? name : "unknown op";
}

Types op_types(const DeviceRecord& rec, const cc_op_desc& op, Allowed allowed) {
  const std::string what = op_name(op.kind);
  Types t;
  t.dtype = op.dtype;
  switch (op.dtype) {
    case CC_DTYPE_F32:
      t.acc = CC_DTYPE_F32;
      t.options = "-DT=float -DTI=float";
      break;
    case CC_DTYPE_F64:
      if (!allowed.f64)
        throw Error(CC_ERR_UNSUPPORTED, what + " is not implemented for f64 by the opencl driver");
      if (!rec.fp64)
        throw Error(CC_ERR_UNSUPPORTED,
                    what + " in f64 needs cl_khr_fp64, which " + rec.label + " does not report");
      t.acc = CC_DTYPE_F64;
      t.in_size = t.acc_size = 8;
      t.options = "-DT=double -DTI=double -DUSE_FP64";
      break;
    case CC_DTYPE_F16:
      if (!rec.fp16)
        throw Error(CC_ERR_UNSUPPORTED,
                    what + " in f16 needs cl_khr_fp16, which " + rec.label + " does not report");
      if (!allowed.f16)
        throw Error(CC_ERR_UNSUPPORTED, what + " is not implemented for f16 by the opencl driver");
      t.acc = CC_DTYPE_F32;
      t.in_size = 2;
      t.options = "-DT=float -DTI=half -DIN_F16 -DUSE_FP16";
      break;
    case CC_DTYPE_BF16:
      if (!allowed.bf16)
        throw Error(CC_ERR_UNSUPPORTED, what + " is not implemented for bf16 by the opencl driver");
      t.acc = CC_DTYPE_F32;
      t.in_size = 2;
      t.options = "-DT=float -DTI=ushort -DIN_BF16";
      break;
    case CC_DTYPE_I8:
      if (!allowed.i8)
        throw Error(CC_ERR_UNSUPPORTED, what + " is not implemented for i8 by the opencl driver");
      t.acc = CC_DTYPE_I32;
      t.in_size = 1;
      t.options = "-DT=int -DTI=char -DIN_I8 -DINT_MATH";
      break;
    case CC_DTYPE_TF32:
      throw Error(CC_ERR_UNSUPPORTED, what +
                                          " in tf32: OpenCL has no reduced-precision fp32 "
                                          "multiply; the opencl driver runs f32 only");
    default:
      throw Error(CC_ERR_UNSUPPORTED,
                  what + " is not implemented for " + dtype_name(op.dtype) + " inputs");
  }
  if (op.acc_dtype != t.acc)
    throw Error(CC_ERR_UNSUPPORTED, what + " with " + dtype_name(op.dtype) +
                                        " inputs accumulates in " + dtype_name(t.acc) +
                                        " here; acc_dtype " + dtype_name(op.acc_dtype) +
                                        " is not implemented");
  return t;
}

int vector_width(const DeviceRecord& rec, uint32_t acc_dtype) {
  const cl_uint pref = acc_dtype == CC_DTYPE_F64   ? rec.vec_double
                       : acc_dtype == CC_DTYPE_I32 ? rec.vec_int
                                                   : rec.vec_float;
  int vw = 2;
  while (vw < 16 && static_cast<cl_uint>(vw) < pref) vw *= 2;
  return vw;
}

void require_range(const char* op, const char* name, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi)
    throw Error(CC_ERR_INVALID_ARGUMENT, std::string(op) + ": " + name + "=" + std::to_string(v) +
                                             " must be in [" + std::to_string(lo) + ", " +
                                             std::to_string(hi) + "]");
}

uint64_t checked_mul(std::initializer_list<uint64_t> factors, const std::string& what) {
  uint64_t r = 1;
  for (uint64_t f : factors)
    if (__builtin_mul_overflow(r, f, &r))
      throw Error(CC_ERR_INVALID_ARGUMENT, what + " spans more than 2^64 bytes");
  return r;
}

Kernel create_kernel(cl_program program, const char* name) {
  cl_int rc = CL_SUCCESS;
  Kernel k(clCreateKernel(program, name, &rc));
  check(rc, "clCreateKernel");
  return k;
}

void set_acc(const Kernel& k, cl_uint index, double value, uint32_t acc_dtype) {
  switch (acc_dtype) {
    case CC_DTYPE_F64:
      set_arg(k, index, static_cast<cl_double>(value));
      break;
    case CC_DTYPE_I32:
      set_arg(k, index, static_cast<cl_int>(value));
      break;
    default:
      set_arg(k, index, static_cast<cl_float>(value));
      break;
  }
}

void require_group_size(const Device& dev, const Kernel& k, size_t wanted, const char* what) {
  size_t max = 0;
  check(clGetKernelWorkGroupInfo(k.get(), dev.rec->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof max,
                                 &max, nullptr),
        "clGetKernelWorkGroupInfo");
  if (max < wanted)
    throw Error(CC_ERR_UNSUPPORTED, std::string(what) + " needs work-groups of " +
                                        std::to_string(wanted) + " work-items; " + dev.rec->label +
                                        " allows " + std::to_string(max));
}

cl_mem make_scratch(Device& dev, Op& op, size_t bytes, const char* what) {
  cl_int rc = CL_SUCCESS;
  op.scratch.emplace_back(clCreateBuffer(dev.context.get(), CL_MEM_READ_WRITE,
                                         std::max<size_t>(bytes, 1), nullptr, &rc));
  check(rc, (std::string("clCreateBuffer (") + what + ")").c_str());
  return op.scratch.back().get();
}

std::vector<const char*> with_prelude(const char* source) {
  return {kCommonSource, source};
}

}  // namespace chipcert::opencl
