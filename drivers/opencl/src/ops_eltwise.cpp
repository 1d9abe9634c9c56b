// Peak arithmetic and the element-wise ops (gelu, add, mul, gelu_backward,
// adamw): one-dimensional kernels with enough work-groups for every compute unit.
#include "kernel_sources.hpp"
#include "ops.hpp"
#include "ops_common.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

namespace chipcert::opencl {
namespace {

// x rounded to nearest-even with `bits` significant bits and smallest
// normal exponent `emin` (below it, a fixed quantum: subnormals). Enough for
// the host-side rounding of peak's constants to fp16 or bf16.
double round_to_bits(double x, int bits, int emin) {
  if (x == 0 || !std::isfinite(x)) return x;
  int e = 0;
  std::frexp(x, &e);  // |x| in [2^(e-1), 2^e)
  const double quantum = std::ldexp(1.0, std::max(e, emin) - bits);
  return std::nearbyint(x / quantum) * quantum;
}

struct EltShape {
  size_t wgs = 16, per = 0, global = 0, groups = 0;
};

// Work-group size and elements per work-item: about 64 work-groups per
// compute unit on CPUs (load balance without per-group overhead), one
// vector per work-item on GPUs.
EltShape elt_shape(const DeviceRecord& rec, int64_t n, int vw) {
  EltShape s;
  s.wgs = rec.is_cpu ? 16 : 256;
  while (s.wgs > rec.max_work_group) s.wgs /= 2;
  const size_t vectors = (static_cast<size_t>(n) + vw - 1) / vw;
  const size_t target = std::max<size_t>(1, rec.info.compute_units) * (rec.is_cpu ? 64 : 8);
  const size_t per_wi = rec.is_cpu ? std::clamp<size_t>(vectors / (s.wgs * target), 1, 512) : 1;
  s.per = per_wi * static_cast<size_t>(vw);
  const size_t items = std::max<size_t>(1, (static_cast<size_t>(n) + s.per - 1) / s.per);
  s.global = round_up(items, s.wgs);
  s.groups = s.global / s.wgs;
  return s;
}

}  // namespace

void prepare_peak(Device& dev, const cc_op_desc& desc, Op& op) {
  const DeviceRecord& rec = *dev.rec;
  const Types types =
      op_types(rec, desc, Allowed{.f64 = true, .f16 = true, .bf16 = true, .i8 = true});
  const cc_peak_params& p = desc.u.peak;
  require_range("peak", "n", p.n, 0, int64_t{1} << 40);
  require_range("peak", "iterations", p.iterations, 0, INT_MAX);
  const size_t esize = types.acc_size;
  const uint64_t bytes = checked_mul({static_cast<uint64_t>(p.n), esize}, "peak: x");
  op.args = {{"x", bytes, {{0, 5}}}, {"y", bytes, {{0, 6}}, true}};

  double alpha = p.alpha, beta = p.beta;
  std::string mode = "-DPEAK_FMA", step = "fma(acc, alpha, beta)";
  if (types.dtype == CC_DTYPE_F16 || types.dtype == CC_DTYPE_BF16) {
    // a and b rounded to the dtype; the fp32 chain then adds their exact product.
    const bool f16 = types.dtype == CC_DTYPE_F16;
    alpha = round_to_bits(alpha, f16 ? 11 : 8, f16 ? -13 : -125);
    beta = round_to_bits(beta, f16 ? 11 : 8, f16 ? -13 : -125);
    mode = "-DPEAK_DOT", step = "fma(a, b, acc) in f32";
  } else if (types.dtype == CC_DTYPE_I8) {
    alpha = static_cast<int8_t>(static_cast<int>(alpha));
    beta = static_cast<int8_t>(static_cast<int>(beta));
    mode = "-DPEAK_INT", step = "acc * one + a * b in i32";
  }
  const int vw = vector_width(rec, types.acc);
  // Independent chains per work-item: FMA latency x issue width is 8 on
  // current x86 cores; 12 leaves slack and still fits 16 vector registers.
  const int ch = rec.is_cpu ? 12 : 8;
  const size_t per = static_cast<size_t>(ch * vw);
  const size_t wgs = std::min<size_t>(rec.is_cpu ? 16 : 64, rec.max_work_group);
  const size_t items = (static_cast<size_t>(p.n) + per - 1) / per;
  op.info = "peak.cl peak " + dtype_name(types.dtype) + ": " + step + ", " + std::to_string(ch) +
            " independent chains of " + std::to_string(vw) +
            "-wide vectors per work-item (vectorised across elements), work-group " +
            std::to_string(wgs) + ", preferred vector width " + std::to_string(vw);
  if (items == 0) return;

  const std::string options =
      types.options + " -DVW=" + std::to_string(vw) + " -DCH=" + std::to_string(ch) + " " + mode;
  Step s;
  s.kernel = create_kernel(program_for(dev, "peak.cl", with_prelude(kPeakSource), options), "peak");
  set_arg(s.kernel, 0, static_cast<cl_long>(p.n));
  set_arg(s.kernel, 1, static_cast<cl_int>(p.iterations));
  set_acc(s.kernel, 2, alpha, types.acc);
  set_acc(s.kernel, 3, beta, types.acc);
  set_acc(s.kernel, 4, 1.0, types.acc);
  s.local[0] = wgs;
  s.global[0] = round_up(items, wgs);
  op.steps.push_back(std::move(s));
}

void prepare_eltwise(Device& dev, const cc_op_desc& desc, Op& op) {
  const DeviceRecord& rec = *dev.rec;
  const bool forward = desc.kind == CC_OP_GELU || desc.kind == CC_OP_ADD || desc.kind == CC_OP_MUL;
  // Forward ops read dtype inputs; gelu_backward and adamw are all acc_dtype.
  const Types types =
      op_types(rec, desc, Allowed{.f64 = true, .f16 = forward, .bf16 = forward, .i8 = false});
  const char* what = op_name(desc.kind);
  const int64_t n = desc.kind == CC_OP_ADAMW ? desc.u.adamw.n : desc.u.eltwise.n;
  require_range(what, "n", n, 0, int64_t{1} << 40);
  const uint64_t in = checked_mul({static_cast<uint64_t>(n), types.in_size}, what);
  const uint64_t acc = checked_mul({static_cast<uint64_t>(n), types.acc_size}, what);
  // Kernel arguments 0, 1 are n and per; the buffers follow (adamw: after 7 scalars).
  switch (desc.kind) {
    case CC_OP_GELU:
      op.args = {{"x", in, {{0, 2}}}, {"y", acc, {{0, 3}}, true}};
      break;
    case CC_OP_ADD:
    case CC_OP_MUL:
      op.args = {{"a", in, {{0, 2}}}, {"b", in, {{0, 3}}}, {"y", acc, {{0, 4}}, true}};
      break;
    case CC_OP_GELU_BACKWARD:
      op.args = {{"x", acc, {{0, 2}}}, {"dy", acc, {{0, 3}}}, {"dx", acc, {{0, 4}}, true}};
      break;
    default: {  // adamw: param, grad, m, v after 7 scalars
      const cc_adamw_params& a = desc.u.adamw;
      if (a.step < 1)
        throw Error(CC_ERR_INVALID_ARGUMENT,
                    "adamw: step=" + std::to_string(a.step) + " must be >= 1 (1-based)");
      op.args = {{"param", acc, {{0, 9}}, true},
                 {"grad", acc, {{0, 10}}},
                 {"m", acc, {{0, 11}}, true},
                 {"v", acc, {{0, 12}}, true}};
      break;
    }
  }
  const int vw = vector_width(rec, types.acc);
  const EltShape shape = elt_shape(rec, n, vw);
  op.info = std::string("eltwise.cl ") + what + " " + dtype_name(types.dtype) + "->" +
            dtype_name(types.acc) + ": " + std::to_string(shape.per) +
            " contiguous elements per work-item in " + std::to_string(vw) +
            "-wide vectors, work-group " + std::to_string(shape.wgs) + ", " +
            std::to_string(shape.groups) + " work-groups";
  if (n == 0) return;

  const std::string options = types.options + " -DVW=" + std::to_string(vw);
  Step s;
  s.kernel =
      create_kernel(program_for(dev, "eltwise.cl", with_prelude(kEltwiseSource), options), what);
  set_arg(s.kernel, 0, static_cast<cl_long>(n));
  set_arg(s.kernel, 1, static_cast<cl_long>(shape.per));
  if (desc.kind == CC_OP_ADAMW) {
    const cc_adamw_params& a = desc.u.adamw;
    const auto t = static_cast<double>(a.step);
    const double scalars[] = {a.lr,
                              a.beta1,
                              a.beta2,
                              a.eps,
                              a.weight_decay,
                              1.0 - std::pow(a.beta1, t),
                              1.0 - std::pow(a.beta2, t)};
    for (cl_uint i = 0; i < 7; ++i) set_acc(s.kernel, 2 + i, scalars[i], types.acc);
  }
  s.local[0] = shape.wgs;
  s.global[0] = shape.global;
  op.steps.push_back(std::move(s));
}

}  // namespace chipcert::opencl
