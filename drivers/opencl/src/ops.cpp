#include "ops.hpp"

#include "ops_common.hpp"

#include <string>

namespace chipcert::opencl {
namespace {

// A one-line kernel needs no file of its own.
const char kNoopSource[] = "__kernel void noop(void) {}\n";

void prepare_noop(Device& dev, Op& op) {
  Step s;
  s.kernel = create_kernel(program_for(dev, "noop", {kNoopSource}, ""), "noop");
  s.global[0] = 1;
  s.local[0] = 1;
  op.steps.push_back(std::move(s));
  op.info = "noop: an empty kernel, one work-item";
}

}  // namespace

Op* prepare_op(Device& dev, const cc_op_desc& desc) {
  auto op = std::make_unique<Op>();
  op->desc = desc;
  switch (desc.kind) {
    case CC_OP_NOOP:
      prepare_noop(dev, *op);
      break;
    case CC_OP_GEMM:
      prepare_gemm(dev, desc, *op);
      break;
    case CC_OP_STREAM_COPY:
    case CC_OP_STREAM_MUL:
    case CC_OP_STREAM_ADD:
    case CC_OP_STREAM_TRIAD:
    case CC_OP_STREAM_DOT:
      prepare_stream(dev, desc, *op);
      break;
    case CC_OP_PEAK:
      prepare_peak(dev, desc, *op);
      break;
    case CC_OP_CONV2D:
      prepare_conv2d(dev, desc, *op);
      break;
    case CC_OP_ATTENTION:
      prepare_attention(dev, desc, *op);
      break;
    case CC_OP_LAYERNORM:
    case CC_OP_SOFTMAX:
    case CC_OP_LAYERNORM_BACKWARD:
    case CC_OP_SOFTMAX_BACKWARD:
    case CC_OP_SOFTMAX_XENT:
      prepare_rows(dev, desc, *op);
      break;
    case CC_OP_GELU:
    case CC_OP_ADD:
    case CC_OP_MUL:
    case CC_OP_GELU_BACKWARD:
    case CC_OP_ADAMW:
      prepare_eltwise(dev, desc, *op);
      break;
    default:
      throw Error(CC_ERR_UNSUPPORTED,
                  "op kind " + std::to_string(desc.kind) + " is not known to the opencl driver");
  }
  Op* raw = op.get();
  dev.ops.emplace(raw, std::move(op));
  return raw;
}

void release_op(Device& dev, Op* op) {
  dev.ops.erase(op);
}

const Op* find_op(const Device& dev, const Op* op) {
  const auto it = dev.ops.find(op);
  return op == nullptr || it == dev.ops.end() ? nullptr : it->second.get();
}

void enqueue_op(Device& dev, Op& op, Buffer* const* args, uint32_t nargs, Event* first,
                Event* last) {
  const char* what = op_name(op.desc.kind);
  if (nargs != op.args.size() || (nargs > 0 && args == nullptr))
    throw Error(CC_ERR_INVALID_ARGUMENT, std::string(what) + " takes " +
                                             std::to_string(op.args.size()) +
                                             " buffer arguments, got " + std::to_string(nargs));
  for (uint32_t i = 0; i < nargs; ++i) {
    const ArgSpec& spec = op.args[i];
    const std::string label = "argument " + std::to_string(i) + " (" + spec.name + ") of " + what;
    const Buffer& b = owned_buffer(dev, args[i], label.c_str());
    if (b.bytes < spec.bytes)
      throw Error(CC_ERR_INVALID_ARGUMENT, label + " needs " + std::to_string(spec.bytes) +
                                               " bytes for this shape, the buffer holds " +
                                               std::to_string(b.bytes));
    // ABI: outputs never overlap inputs or each other. Distinct allocations
    // never overlap, so the same handle is the only way to break the rule.
    if (spec.output && spec.bytes > 0) {
      for (uint32_t j = 0; j < nargs; ++j)
        if (j != i && args[j] == args[i])
          throw Error(CC_ERR_INVALID_ARGUMENT, label + " is the same buffer as argument " +
                                                   std::to_string(j) + " (" + op.args[j].name +
                                                   "); an output must not alias another argument");
    }
  }
  for (uint32_t i = 0; i < nargs; ++i) {
    const cl_mem mem = args[i]->mem.get();  // NULL for a 0-byte buffer: never read
    for (const auto& [step, index] : op.args[i].bindings)
      if (step < op.steps.size()) set_arg(op.steps[step].kernel, index, mem);  // none: empty shape
  }
  for (size_t i = 0; i < op.steps.size(); ++i) {
    const Step& s = op.steps[i];
    const bool want_first = first != nullptr && i == 0;
    const bool want_last = last != nullptr && i + 1 == op.steps.size();
    cl_event ev = nullptr;
    check(clEnqueueNDRangeKernel(dev.queue.get(), s.kernel.get(), s.dims, nullptr, s.global,
                                 s.local, 0, nullptr, (want_first || want_last) ? &ev : nullptr),
          "clEnqueueNDRangeKernel");
    if (want_first && want_last) clRetainEvent(ev);  // one event, two owners
    if (want_first) *first = Event(ev);
    if (want_last) *last = Event(ev);
  }
}

void launch_op(Device& dev, Op* op, Buffer* const* args, uint32_t nargs, Event* first,
               Event* last) {
  const auto it = dev.ops.find(op);
  if (op == nullptr || it == dev.ops.end())
    throw Error(CC_ERR_INVALID_ARGUMENT, "kernel is not a live kernel prepared on this device");
  enqueue_op(dev, *it->second, args, nargs, first, last);
}

double timed_enqueue(Device& dev, Op& op, Buffer* const* args, uint32_t nargs, uint32_t repeat) {
  if (repeat == 0) throw Error(CC_ERR_INVALID_ARGUMENT, "timed_launch: repeat must be >= 1");
  Event first, last;
  for (uint32_t r = 0; r < repeat; ++r)
    enqueue_op(dev, op, args, nargs, r == 0 ? &first : nullptr, r + 1 == repeat ? &last : nullptr);
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

double timed_launch_op(Device& dev, Op* op, Buffer* const* args, uint32_t nargs, uint32_t repeat) {
  const auto it = dev.ops.find(op);
  if (op == nullptr || it == dev.ops.end())
    throw Error(CC_ERR_INVALID_ARGUMENT, "kernel is not a live kernel prepared on this device");
  return timed_enqueue(dev, *it->second, args, nargs, repeat);
}

}  // namespace chipcert::opencl
