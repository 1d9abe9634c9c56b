// STREAM (copy, mul, add, triad, dot): vectorised kernels with enough
// work-groups for every compute unit; dot in two fixed-order stages.
#include "kernel_sources.hpp"
#include "ops.hpp"
#include "ops_common.hpp"

#include <algorithm>

namespace chipcert::opencl {
namespace {
constexpr uint64_t kNonTemporalMinBytes = uint64_t(32) << 20;
}  // namespace

void prepare_stream(Device& dev, const cc_op_desc& op, Op& k) {
  const Types types = op_types(*dev.rec, op, Allowed{.f64 = true});
  const size_t esize = types.acc_size;
  const int64_t n = op.u.stream.n;
  uint64_t bytes = 0;
  if (n < 0 || __builtin_mul_overflow(static_cast<uint64_t>(n), esize, &bytes))
    throw Error(CC_ERR_INVALID_ARGUMENT, std::string(op_name(op.kind)) +
                                             ": n=" + std::to_string(n) + " is not a valid length");
  const bool dot = op.kind == CC_OP_STREAM_DOT;
  // Buffer arguments start at kernel argument 3 (after n, per_wi, scalar).
  switch (op.kind) {
    case CC_OP_STREAM_COPY:
      k.args = {{"a", bytes, {{0, 3}}}, {"c", bytes, {{0, 4}}, true}};
      break;
    case CC_OP_STREAM_MUL:
      k.args = {{"c", bytes, {{0, 3}}}, {"b", bytes, {{0, 4}}, true}};
      break;
    case CC_OP_STREAM_ADD:
      k.args = {{"a", bytes, {{0, 3}}}, {"b", bytes, {{0, 4}}}, {"c", bytes, {{0, 5}}, true}};
      break;
    case CC_OP_STREAM_TRIAD:
      k.args = {{"b", bytes, {{0, 3}}}, {"c", bytes, {{0, 4}}}, {"a", bytes, {{0, 5}}, true}};
      break;
    default:  // dot: s is one element, written by the second (final) kernel
      k.args = {{"a", bytes, {{0, 3}}}, {"b", bytes, {{0, 4}}}, {"s", esize, {{1, 2}}, true}};
      break;
  }
  if (n == 0 && !dot) {  // nothing to move; dot still writes s = 0
    k.info = std::string(op_name(op.kind)) + ": empty shape, nothing to do";
    return;
  }

  // CPU: a 512-bit vector per access and contiguous runs per work-item;
  // GPU: 4-wide vectors interleaved across the work-group (coalesced).
  const DeviceRecord& rec = *dev.rec;
  const size_t vw = rec.is_cpu ? 64 / esize : 4;
  size_t wgs = 256;
  while (wgs > rec.max_work_group) wgs /= 2;
  // Aim for many work-groups per compute unit (load balance) while keeping
  // each group large enough that per-group dispatch cost stays hidden.
  const size_t target_groups = std::max<size_t>(1, rec.info.compute_units) * (rec.is_cpu ? 64 : 8);
  const size_t vectors = (static_cast<size_t>(n) + vw - 1) / vw;
  const size_t per_wi =
      std::clamp<size_t>(vectors / (wgs * target_groups), 1, rec.is_cpu ? 512 : 16);
  const size_t groups = std::max<size_t>(1, (vectors + wgs * per_wi - 1) / (wgs * per_wi));

  // Non-temporal stores on a CPU device once every array is far larger than
  // the caches (STREAM's own rule is 4x the last-level cache; 32 MiB arrays
  // are beyond a core's share of L3 on any CPU we know of). Measured on the
  // 2-core Zen 5 host, PoCL triad fp64 2^25: 48.6 GB/s plain, 76.2 with
  // them. The vector stores need the buffer alignment a whole vector has.
  const bool nt_wanted =
      rec.is_cpu && !dot && bytes >= kNonTemporalMinBytes && rec.base_align_bits >= 8 * vw * esize;
  const std::string base_options =
      std::string(op.dtype == CC_DTYPE_F64 ? "-DT=double -DUSE_FP64" : "-DT=float") +
      " -DVW=" + std::to_string(vw) + " -DWGS=" + std::to_string(wgs) +
      " -DCONTIG=" + std::string(rec.is_cpu ? "1" : "0");
  cl_program program = nullptr;
  std::string nt_note;
  if (nt_wanted) {
    try {
      program = program_for(dev, "stream.cl", {kStreamSource}, base_options + " -DNT_STORE=1");
      nt_note = ", non-temporal stores";
    } catch (const Error&) {
      // A compiler without clang's builtin: plain stores, and say so.
      nt_note = ", plain stores (this compiler has no __builtin_nontemporal_store)";
    }
  }
  if (!program)
    program = program_for(dev, "stream.cl", {kStreamSource}, base_options + " -DNT_STORE=0");
  const char* names[] = {
      "", "", "stream_copy", "stream_mul", "stream_add", "stream_triad", "stream_dot_partial"};
  Step s;
  s.kernel = create_kernel(program, names[op.kind]);
  require_group_size(dev, s.kernel, wgs, op_name(op.kind));
  set_arg(s.kernel, 0, static_cast<cl_long>(n));
  set_arg(s.kernel, 1, static_cast<cl_int>(per_wi));
  set_acc(s.kernel, 2, op.u.stream.scalar, types.acc);
  s.global[0] = groups * wgs;
  s.local[0] = wgs;
  k.info = std::string("stream.cl ") + names[op.kind] + " " + dtype_name(op.dtype) +
           ": vector width " + std::to_string(vw) + ", work-group " + std::to_string(wgs) + ", " +
           std::to_string(per_wi) + " vectors per work-item (" +
           (rec.is_cpu ? "contiguous" : "interleaved") + "), " + std::to_string(groups) +
           " work-groups" + nt_note + (dot ? ", then one work-group sums the partials" : "");
  if (dot) {
    cl_int rc = CL_SUCCESS;
    k.scratch.emplace_back(
        clCreateBuffer(dev.context.get(), CL_MEM_READ_WRITE, groups * esize, nullptr, &rc));
    check(rc, "clCreateBuffer (dot partial sums)");
    const cl_mem partial = k.scratch.back().get();
    set_arg(s.kernel, 5, partial);
    Step fin;
    fin.kernel = create_kernel(program, "stream_dot_final");
    set_arg(fin.kernel, 0, static_cast<cl_int>(groups));
    set_arg(fin.kernel, 1, partial);
    fin.global[0] = wgs;
    fin.local[0] = wgs;
    k.steps.push_back(std::move(s));
    k.steps.push_back(std::move(fin));
  } else {
    k.steps.push_back(std::move(s));
  }
}

}  // namespace chipcert::opencl
