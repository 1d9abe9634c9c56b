#include "ops.hpp"

#include "kernel_sources.hpp"

#include <algorithm>
#include <climits>
#include <string>
#include <vector>

namespace chipcert::opencl {
namespace {

// A one-line kernel needs no file of its own.
const char kNoopSource[] = "__kernel void noop(void) {}\n";

std::string dtype_name(uint32_t d) {
  static const char* const names[] = {"f64", "f32", "f16", "bf16", "i8", "i32", "tf32"};
  return d < CC_DTYPE_COUNT_ ? names[d] : "dtype " + std::to_string(d);
}

const char* op_name(uint32_t kind) {
  switch (kind) {
    case CC_OP_NOOP:
      return "noop";
    case CC_OP_GEMM:
      return "gemm";
    case CC_OP_STREAM_COPY:
      return "stream_copy";
    case CC_OP_STREAM_MUL:
      return "stream_mul";
    case CC_OP_STREAM_ADD:
      return "stream_add";
    case CC_OP_STREAM_TRIAD:
      return "stream_triad";
    case CC_OP_STREAM_DOT:
      return "stream_dot";
    default:
      return "unknown op";
  }
}

// Floating-point ops run in f32 or f64 with accumulation in the same type.
size_t require_float(const DeviceRecord& rec, const cc_op_desc& op) {
  const std::string what = op_name(op.kind);
  if (op.dtype == CC_DTYPE_F16 && !rec.fp16)
    throw Error(CC_ERR_UNSUPPORTED,
                what + " in fp16 needs cl_khr_fp16, which " + rec.label + " does not report");
  if (op.dtype == CC_DTYPE_F64 && !rec.fp64)
    throw Error(CC_ERR_UNSUPPORTED,
                what + " in fp64 needs cl_khr_fp64, which " + rec.label + " does not report");
  if (op.dtype != CC_DTYPE_F32 && op.dtype != CC_DTYPE_F64)
    throw Error(CC_ERR_UNSUPPORTED,
                what + " is implemented for f32 and f64 only, not " + dtype_name(op.dtype));
  if (op.acc_dtype != op.dtype)
    throw Error(CC_ERR_UNSUPPORTED, what + " needs acc_dtype equal to dtype (" +
                                        dtype_name(op.dtype) + "), got " +
                                        dtype_name(op.acc_dtype));
  return op.dtype == CC_DTYPE_F64 ? 8 : 4;
}

std::string type_options(uint32_t dtype) {
  return dtype == CC_DTYPE_F64 ? "-DT=double -DUSE_FP64" : "-DT=float";
}

// Bytes spanned by a row-major rows x cols matrix with leading dimension ld.
uint64_t matrix_bytes(int64_t rows, int64_t cols, int64_t ld, size_t esize, const char* name) {
  if (rows == 0 || cols == 0) return 0;
  uint64_t elems = 0, bytes = 0;
  if (__builtin_mul_overflow(static_cast<uint64_t>(rows - 1), static_cast<uint64_t>(ld), &elems) ||
      __builtin_add_overflow(elems, static_cast<uint64_t>(cols), &elems) ||
      __builtin_mul_overflow(elems, esize, &bytes))
    throw Error(CC_ERR_INVALID_ARGUMENT,
                std::string("gemm: matrix ") + name + " spans more than 2^64 bytes");
  return bytes;
}

Kernel create_kernel(cl_program program, const char* name) {
  cl_int rc = CL_SUCCESS;
  Kernel k(clCreateKernel(program, name, &rc));
  check(rc, "clCreateKernel");
  return k;
}

template <typename V>
void set_arg(const Kernel& k, cl_uint index, const V& value) {
  check(clSetKernelArg(k.get(), index, sizeof(V), &value), "clSetKernelArg");
}

// Sets a floating-point scalar in the kernel's element type.
void set_real(const Kernel& k, cl_uint index, double value, size_t esize) {
  if (esize == 8) {
    set_arg(k, index, static_cast<cl_double>(value));
  } else {
    set_arg(k, index, static_cast<cl_float>(value));
  }
}

void require_group_size(const cc_device& dev, const Kernel& k, size_t wanted, const char* what) {
  size_t max = 0;
  check(clGetKernelWorkGroupInfo(k.get(), dev.rec->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof max,
                                 &max, nullptr),
        "clGetKernelWorkGroupInfo");
  if (max < wanted)
    throw Error(CC_ERR_UNSUPPORTED, std::string(what) + " needs work-groups of " +
                                        std::to_string(wanted) + " work-items; " + dev.rec->label +
                                        " allows " + std::to_string(max));
}

// ---- GEMM ---------------------------------------------------------------------

/// Tile shape of gemm.cl (see the comment at its top).
struct GemmTiles {
  int tm, tn, tk, rm, nv, vw;
  int wgx() const { return tn / (nv * vw); }
  int wgy() const { return tm / rm; }
  uint64_t local_bytes(size_t esize) const {
    return static_cast<uint64_t>(tm + tn) * static_cast<uint64_t>(tk) * esize;
  }
};

GemmTiles pick_gemm_tiles(const DeviceRecord& rec, size_t esize) {
  // Best first; the first that fits the device wins. These are the tuning
  // knobs (see README.md). CPU (PoCL and similar): a work-group runs as a loop
  // on one core, so few work-items, each with a register micro-tile of 8 rows
  // x two 512-bit vectors (16 accumulators), and a deep k tile so that the
  // copy-in and the barriers are amortised over many FMAs; the local tiles
  // (192-256 KiB) live in L2. Measured on PoCL/Zen 5 at 2048^3: TK 256 beat
  // TK 64 by ~25 % for f32; f64 preferred 128x128x128.
  // GPU and unknown devices: 16x16 work-items with 4x4 micro-tiles.
  const GemmTiles cpu_f32 = {64, 128, 256, 8, 2, 16};
  const GemmTiles cpu_f64 = {128, 128, 128, 8, 2, 8};
  const GemmTiles generic[] = {{64, 64, 16, 4, 1, 4}, {16, 16, 16, 4, 1, 4}, {8, 8, 8, 4, 1, 4}};
  std::vector<GemmTiles> candidates;
  if (rec.is_cpu) candidates.push_back(esize == 8 ? cpu_f64 : cpu_f32);
  candidates.insert(candidates.end(), std::begin(generic), std::end(generic));
  for (const GemmTiles& t : candidates) {
    if (static_cast<size_t>(t.wgx() * t.wgy()) <= rec.max_work_group &&
        t.local_bytes(esize) <= rec.local_mem)
      return t;
  }
  throw Error(CC_ERR_UNSUPPORTED, "gemm: no tile shape fits the work-group size (" +
                                      std::to_string(rec.max_work_group) + ") and local memory (" +
                                      std::to_string(rec.local_mem) + " bytes) of " + rec.label);
}

void prepare_gemm(cc_device& dev, const cc_op_desc& op, cc_kernel& k) {
  const size_t esize = require_float(*dev.rec, op);
  const cc_gemm_params& g = op.u.gemm;
  if (g.m < 0 || g.n < 0 || g.k < 0 || g.m > INT_MAX || g.n > INT_MAX || g.k > INT_MAX)
    throw Error(CC_ERR_INVALID_ARGUMENT,
                "gemm: m, n, k must be in [0, 2^31), got m=" + std::to_string(g.m) +
                    " n=" + std::to_string(g.n) + " k=" + std::to_string(g.k));
  if (g.trans_a > 1 || g.trans_b > 1)
    throw Error(CC_ERR_INVALID_ARGUMENT, "gemm: trans_a and trans_b must be 0 or 1");
  const int64_t a_cols = g.trans_a ? g.m : g.k, b_cols = g.trans_b ? g.k : g.n;
  const auto check_ld = [](const char* name, int64_t ld, int64_t cols) {
    if (ld < std::max<int64_t>(1, cols))
      throw Error(CC_ERR_INVALID_ARGUMENT, std::string("gemm: ") + name + "=" + std::to_string(ld) +
                                               " is less than the " + std::to_string(cols) +
                                               " columns it spans");
  };
  check_ld("lda", g.lda, a_cols);
  check_ld("ldb", g.ldb, b_cols);
  check_ld("ldc", g.ldc, g.n);
  k.args = {{"A", matrix_bytes(g.trans_a ? g.k : g.m, a_cols, g.lda, esize, "A"), {{0, 8}}},
            {"B", matrix_bytes(g.trans_b ? g.n : g.k, b_cols, g.ldb, esize, "B"), {{0, 9}}},
            {"C", matrix_bytes(g.m, g.n, g.ldc, esize, "C"), {{0, 10}}}};
  if (g.m == 0 || g.n == 0) return;  // nothing to compute

  const GemmTiles t = pick_gemm_tiles(*dev.rec, esize);
  const std::string options =
      type_options(op.dtype) + " -DVW=" + std::to_string(t.vw) + " -DTM=" + std::to_string(t.tm) +
      " -DTN=" + std::to_string(t.tn) + " -DTK=" + std::to_string(t.tk) +
      " -DRM=" + std::to_string(t.rm) + " -DNV=" + std::to_string(t.nv) + " -DGROUP_M=8" +
      " -DTRANS_A=" + std::to_string(g.trans_a) + " -DTRANS_B=" + std::to_string(g.trans_b);
  Step s;
  s.kernel = create_kernel(program_for(dev, "gemm.cl", kGemmSource, options), "gemm");
  require_group_size(dev, s.kernel, static_cast<size_t>(t.wgx() * t.wgy()), "gemm");
  set_arg(s.kernel, 0, static_cast<cl_int>(g.m));
  set_arg(s.kernel, 1, static_cast<cl_int>(g.n));
  set_arg(s.kernel, 2, static_cast<cl_int>(g.k));
  set_arg(s.kernel, 3, static_cast<cl_long>(g.lda));
  set_arg(s.kernel, 4, static_cast<cl_long>(g.ldb));
  set_arg(s.kernel, 5, static_cast<cl_long>(g.ldc));
  set_real(s.kernel, 6, g.alpha, esize);
  set_real(s.kernel, 7, g.beta, esize);
  s.dims = 2;
  s.local[0] = static_cast<size_t>(t.wgx());
  s.local[1] = static_cast<size_t>(t.wgy());
  s.global[0] = (static_cast<size_t>(g.n) + t.tn - 1) / t.tn * s.local[0];
  s.global[1] = (static_cast<size_t>(g.m) + t.tm - 1) / t.tm * s.local[1];
  k.steps.push_back(std::move(s));
}

// ---- STREAM -------------------------------------------------------------------

void prepare_stream(cc_device& dev, const cc_op_desc& op, cc_kernel& k) {
  const size_t esize = require_float(*dev.rec, op);
  const int64_t n = op.u.stream.n;
  uint64_t bytes = 0;
  if (n < 0 || __builtin_mul_overflow(static_cast<uint64_t>(n), esize, &bytes))
    throw Error(CC_ERR_INVALID_ARGUMENT, std::string(op_name(op.kind)) +
                                             ": n=" + std::to_string(n) + " is not a valid length");
  const bool dot = op.kind == CC_OP_STREAM_DOT;
  // Buffer arguments start at kernel argument 3 (after n, per_wi, scalar).
  switch (op.kind) {
    case CC_OP_STREAM_COPY:
      k.args = {{"a", bytes, {{0, 3}}}, {"c", bytes, {{0, 4}}}};
      break;
    case CC_OP_STREAM_MUL:
      k.args = {{"c", bytes, {{0, 3}}}, {"b", bytes, {{0, 4}}}};
      break;
    case CC_OP_STREAM_ADD:
      k.args = {{"a", bytes, {{0, 3}}}, {"b", bytes, {{0, 4}}}, {"c", bytes, {{0, 5}}}};
      break;
    case CC_OP_STREAM_TRIAD:
      k.args = {{"b", bytes, {{0, 3}}}, {"c", bytes, {{0, 4}}}, {"a", bytes, {{0, 5}}}};
      break;
    default:  // dot: s is one element, written by the second (final) kernel
      k.args = {{"a", bytes, {{0, 3}}}, {"b", bytes, {{0, 4}}}, {"s", esize, {{1, 2}}}};
      break;
  }
  if (n == 0 && !dot) return;  // nothing to move; dot still writes s = 0

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

  const std::string options = type_options(op.dtype) + " -DVW=" + std::to_string(vw) +
                              " -DWGS=" + std::to_string(wgs) +
                              " -DCONTIG=" + std::string(rec.is_cpu ? "1" : "0");
  const cl_program program = program_for(dev, "stream.cl", kStreamSource, options);
  const char* names[] = {
      "", "", "stream_copy", "stream_mul", "stream_add", "stream_triad", "stream_dot_partial"};
  Step s;
  s.kernel = create_kernel(program, names[op.kind]);
  require_group_size(dev, s.kernel, wgs, op_name(op.kind));
  set_arg(s.kernel, 0, static_cast<cl_long>(n));
  set_arg(s.kernel, 1, static_cast<cl_int>(per_wi));
  set_real(s.kernel, 2, op.u.stream.scalar, esize);
  s.global[0] = groups * wgs;
  s.local[0] = wgs;
  if (dot) {
    cl_int rc = CL_SUCCESS;
    k.scratch =
        Mem(clCreateBuffer(dev.context.get(), CL_MEM_READ_WRITE, groups * esize, nullptr, &rc));
    check(rc, "clCreateBuffer (dot partial sums)");
    const cl_mem partial = k.scratch.get();
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

void prepare_noop(cc_device& dev, cc_kernel& k) {
  Step s;
  s.kernel = create_kernel(program_for(dev, "noop", kNoopSource, ""), "noop");
  s.global[0] = 1;
  s.local[0] = 1;
  k.steps.push_back(std::move(s));
}

}  // namespace

cc_kernel* prepare_op(cc_device& dev, const cc_op_desc& op) {
  auto k = std::make_unique<cc_kernel>();
  k->desc = op;
  switch (op.kind) {
    case CC_OP_NOOP:
      prepare_noop(dev, *k);
      break;
    case CC_OP_GEMM:
      prepare_gemm(dev, op, *k);
      break;
    case CC_OP_STREAM_COPY:
    case CC_OP_STREAM_MUL:
    case CC_OP_STREAM_ADD:
    case CC_OP_STREAM_TRIAD:
    case CC_OP_STREAM_DOT:
      prepare_stream(dev, op, *k);
      break;
    default:
      throw Error(CC_ERR_UNSUPPORTED,
                  "op kind " + std::to_string(op.kind) + " is not known to the opencl driver");
  }
  cc_kernel* raw = k.get();
  dev.kernels.emplace(raw, std::move(k));
  return raw;
}

void release_op(cc_device& dev, cc_kernel* kernel) {
  dev.kernels.erase(kernel);
}

void launch_op(cc_device& dev, cc_kernel* kernel, cc_buffer* const* args, uint32_t nargs,
               Event* first, Event* last) {
  const auto it = dev.kernels.find(kernel);
  if (kernel == nullptr || it == dev.kernels.end())
    throw Error(CC_ERR_INVALID_ARGUMENT, "kernel is not a live kernel prepared on this device");
  cc_kernel& k = *it->second;
  const char* what = op_name(k.desc.kind);
  if (nargs != k.args.size() || (nargs > 0 && args == nullptr))
    throw Error(CC_ERR_INVALID_ARGUMENT, std::string(what) + " takes " +
                                             std::to_string(k.args.size()) +
                                             " buffer arguments, got " + std::to_string(nargs));
  for (uint32_t i = 0; i < nargs; ++i) {
    const ArgSpec& spec = k.args[i];
    const std::string label = "argument " + std::to_string(i) + " (" + spec.name + ") of " + what;
    const cc_buffer& b = owned_buffer(dev, args[i], label.c_str());
    if (b.bytes < spec.bytes)
      throw Error(CC_ERR_INVALID_ARGUMENT, label + " needs " + std::to_string(spec.bytes) +
                                               " bytes for this shape, the buffer holds " +
                                               std::to_string(b.bytes));
    const cl_mem mem = b.mem.get();  // NULL for a 0-byte buffer: the kernel never reads it
    for (const auto& [step, index] : spec.bindings) set_arg(k.steps.at(step).kernel, index, mem);
  }
  for (size_t i = 0; i < k.steps.size(); ++i) {
    const Step& s = k.steps[i];
    const bool want_first = first != nullptr && i == 0;
    const bool want_last = last != nullptr && i + 1 == k.steps.size();
    cl_event ev = nullptr;
    check(clEnqueueNDRangeKernel(dev.queue.get(), s.kernel.get(), s.dims, nullptr, s.global,
                                 s.local, 0, nullptr, (want_first || want_last) ? &ev : nullptr),
          "clEnqueueNDRangeKernel");
    if (want_first && want_last) clRetainEvent(ev);  // one event, two owners
    if (want_first) *first = Event(ev);
    if (want_last) *last = Event(ev);
  }
}

double timed_launch_op(cc_device& dev, cc_kernel* kernel, cc_buffer* const* args, uint32_t nargs,
                       uint32_t repeat) {
  if (repeat == 0) throw Error(CC_ERR_INVALID_ARGUMENT, "timed_launch: repeat must be >= 1");
  Event first, last;
  for (uint32_t r = 0; r < repeat; ++r)
    launch_op(dev, kernel, args, nargs, r == 0 ? &first : nullptr,
              r + 1 == repeat ? &last : nullptr);
  if (!first || !last) return 0.0;  // the shape has no work (e.g. m == 0)
  const cl_event ev = last.get();
  check(clWaitForEvents(1, &ev), "clWaitForEvents");
  cl_ulong start = 0, end = 0;
  check(clGetEventProfilingInfo(first.get(), CL_PROFILING_COMMAND_START, sizeof start, &start,
                                nullptr),
        "clGetEventProfilingInfo");
  check(clGetEventProfilingInfo(last.get(), CL_PROFILING_COMMAND_END, sizeof end, &end, nullptr),
        "clGetEventProfilingInfo");
  return end > start ? static_cast<double>(end - start) * 1e-9 : 0.0;
}

}  // namespace chipcert::opencl
