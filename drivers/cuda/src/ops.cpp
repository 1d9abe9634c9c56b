// prepare / launch of every op that runs on our own kernels, the launch-time
// argument checks shared with GEMM, and timed_launch with CUDA events.
#include "ops.hpp"

#include <cmath>

namespace chipcert::cuda {
namespace {

/// Every op except GEMM: a plan, the scratch it needs and one launcher call.
class OwnKernel final : public Kernel {
 public:
  OwnKernel(Device& dev, const OpPlan& p) : Kernel(p) {
    const cc_op_desc& op = plan.op;
    const bool f64 = plan.prec == Prec::f64;
    const size_t acc = f64 ? 8 : 4;
    switch (op.kind) {
      case CC_OP_STREAM_DOT:  // per-block partial sums
        scratch_ = DeviceMemory(uint64_t{dev.grid.blocks} * acc, "stream_dot partial sums");
        break;
      case CC_OP_PEAK:
        peak_kind_ = op.dtype == CC_DTYPE_F64                                  ? 0
                     : (op.dtype == CC_DTYPE_F16 || op.dtype == CC_DTYPE_BF16) ? 2
                     : op.dtype == CC_DTYPE_I8                                 ? 3
                                                                               : 1;
        break;
      case CC_OP_ATTENTION: {
        const size_t smem = attention_smem_bytes(plan.prec, op.u.attention);
        if (smem > static_cast<size_t>(dev.max_smem_optin))
          throw Error(CC_ERR_UNSUPPORTED,
                      "attention with head_dim " + std::to_string(op.u.attention.head_dim) +
                          " in " + dtype_name(op.acc_dtype) + " needs " + std::to_string(smem) +
                          " bytes of shared memory per block; " + dev.rec->label + " allows " +
                          std::to_string(dev.max_smem_optin));
        check(attention_prepare(plan.prec, op.u.attention), "attention: setting shared memory");
        break;
      }
      case CC_OP_LAYERNORM_BACKWARD:
        scratch_ = DeviceMemory(layernorm_backward_scratch_bytes(f64, rows()),
                                "layernorm_backward column sums");
        break;
      case CC_OP_SOFTMAX_XENT:
        scratch_ =
            DeviceMemory(static_cast<uint64_t>(op.u.rows.rows) * acc, "softmax_xent row losses");
        break;
      case CC_OP_ADAMW: {
        const cc_adamw_params& a = op.u.adamw;
        adam_ = AdamArgs{.n = a.n,
                         .lr = a.lr,
                         .beta1 = a.beta1,
                         .beta2 = a.beta2,
                         .eps = a.eps,
                         .weight_decay = a.weight_decay,
                         .bc1 = 1 - std::pow(a.beta1, static_cast<double>(a.step)),
                         .bc2 = 1 - std::pow(a.beta2, static_cast<double>(a.step))};
        break;
      }
      default:
        break;
    }
    info = describe(dev) + ", " + machine_code_for(dev.rec->cc);
  }

  void run(Device& dev, const std::vector<const Buffer*>& bufs) override {
    const cc_op_desc& op = plan.op;
    const auto in = [&](size_t i) -> const void* { return bufs[i]->mem.get(); };
    const auto out = [&](size_t i) { return bufs[i]->mem.get(); };
    const bool f64 = plan.prec == Prec::f64;
    const Grid g = dev.grid;
    cudaStream_t s = dev.stream;
    cudaError_t rc = cudaSuccess;
    switch (op.kind) {
      case CC_OP_NOOP:
        rc = launch_noop(s);
        break;
      case CC_OP_STREAM_COPY:
      case CC_OP_STREAM_MUL:
        rc = launch_stream(op.kind, f64, op.u.stream.n, op.u.stream.scalar, in(0), nullptr, out(1),
                           g, s);
        break;
      case CC_OP_STREAM_ADD:
      case CC_OP_STREAM_TRIAD:
        rc = launch_stream(op.kind, f64, op.u.stream.n, op.u.stream.scalar, in(0), in(1), out(2), g,
                           s);
        break;
      case CC_OP_STREAM_DOT:
        rc = launch_stream_dot(f64, op.u.stream.n, in(0), in(1), out(2), scratch_.get(), g, s);
        break;
      case CC_OP_PEAK: {
        const cc_peak_params& p = op.u.peak;
        rc = launch_peak(peak_kind_, p.n, p.iterations, round_to_dtype(p.alpha, op.dtype),
                         round_to_dtype(p.beta, op.dtype), in(0), out(1), dev.grid, s);
        break;
      }
      case CC_OP_CONV2D:
        rc = launch_conv2d(plan.prec, op.u.conv2d, in(0), in(1), out(2), s);
        break;
      case CC_OP_ATTENTION:
        rc = launch_attention(plan.prec, op.u.attention, in(0), in(1), in(2), out(3), s);
        break;
      case CC_OP_LAYERNORM:
        rc = launch_layernorm(plan.prec, rows(), in(0), in(1), in(2), out(3), out(4), out(5), s);
        break;
      case CC_OP_LAYERNORM_BACKWARD:
        rc = launch_layernorm_backward(f64, rows(), in(0), in(1), in(2), in(3), in(4), out(5),
                                       out(6), out(7), scratch_.get(), s);
        break;
      case CC_OP_SOFTMAX:
        rc = launch_softmax(plan.prec, rows(), in(0), out(1), s);
        break;
      case CC_OP_SOFTMAX_BACKWARD:
        rc = launch_softmax_backward(f64, rows(), in(0), in(1), out(2), s);
        break;
      case CC_OP_SOFTMAX_XENT:
        rc = launch_softmax_xent(f64, rows(), in(0), static_cast<const int32_t*>(in(1)), out(2),
                                 out(3), scratch_.get(), s);
        break;
      case CC_OP_GELU:
        rc = launch_gelu(plan.prec, op.u.eltwise.n, in(0), out(1), g, s);
        break;
      case CC_OP_GELU_BACKWARD:
        rc = launch_gelu_backward(f64, op.u.eltwise.n, in(0), in(1), out(2), g, s);
        break;
      case CC_OP_ADD:
      case CC_OP_MUL:
        rc = launch_binary(op.kind == CC_OP_MUL, plan.prec, op.u.eltwise.n, in(0), in(1), out(2), g,
                           s);
        break;
      case CC_OP_ADAMW:
        rc = launch_adamw(f64, adam_, out(0), in(1), out(2), out(3), g, s);
        break;
      default:
        throw Error(CC_ERR_INTERNAL, op_name(op.kind) + " has no kernel");
    }
    check(rc, op_name(op.kind) + " kernel launch on " + dev.rec->label);
  }

 private:
  /// kernel_info: which of our kernels runs and how it is launched.
  std::string describe(const Device& dev) const {
    const cc_op_desc& op = plan.op;
    const std::string grid_stride = "grid-stride loop, " + std::to_string(dev.grid.blocks) + "x" +
                                    std::to_string(dev.grid.threads) + " threads";
    const std::string in = dtype_name(op.dtype), acc = dtype_name(op.acc_dtype);
    switch (op.kind) {
      case CC_OP_NOOP:
        return "chipcert empty kernel <<<1, 1>>>";
      case CC_OP_STREAM_DOT:
        return "chipcert stream_dot: " + grid_stride + ", fixed-order two-stage reduction";
      case CC_OP_PEAK: {
        const std::string what =
            peak_kind_ == 0   ? "fp64 FMA"
            : peak_kind_ == 1 ? "fp32 FMA (CUDA cores; no tensor cores for tf32)"
            : peak_kind_ == 2 ? "fp32 FMA on " + in + "-rounded operands (CUDA cores)"
                              : "dp4a, 4 int8 multiply-adds per instruction";
        const int chains = peak_chains(op.u.peak.n, dev.grid);
        return "chipcert peak: " + std::to_string(chains) + " chain" + (chains == 1 ? "" : "s") +
               " per thread, " + what;
      }
      case CC_OP_CONV2D:
        return "chipcert direct conv2d (" +
               std::string(op.u.conv2d.layout == CC_LAYOUT_NHWC ? "NHWC" : "NCHW") +
               "), one thread per output, " + in + " -> " + acc + " on CUDA cores";
      case CC_OP_ATTENTION:
        return "chipcert tiled attention, online softmax, " +
               std::to_string(attention_warps(op.u.attention)) +
               " query rows (warps) per block, 32-key tiles in " +
               std::to_string(attention_smem_bytes(plan.prec, op.u.attention)) +
               " bytes of shared memory, " + in + " -> " + acc + " on CUDA cores";
      case CC_OP_LAYERNORM:
      case CC_OP_SOFTMAX:
      case CC_OP_SOFTMAX_BACKWARD:
        return "chipcert " + op_name(op.kind) + ": one 256-thread block per row, " + in + " -> " +
               acc;
      case CC_OP_LAYERNORM_BACKWARD:
        return "chipcert layernorm_backward: a block per row for dx, chunked column sums for "
               "dgamma/dbeta, " +
               acc;
      case CC_OP_SOFTMAX_XENT:
        return "chipcert softmax_xent: a block per row, fixed-order mean, " + acc;
      default:  // STREAM copy/mul/add/triad and the element-wise ops
        return "chipcert " + op_name(op.kind) + ": " + grid_stride +
               (op.kind <= CC_OP_STREAM_TRIAD ? ", 16-byte vectors" : ", " + in + " -> " + acc);
    }
  }

  RowsArgs rows() const {
    const cc_rows_params& r = plan.op.u.rows;
    return RowsArgs{.rows = r.rows,
                    .cols = r.cols,
                    .eps = r.eps,
                    .scale = r.scale,
                    .causal = r.causal != 0,
                    .seq_q = r.seq_q < 1 ? 1 : r.seq_q};
  }

  DeviceMemory scratch_;
  int peak_kind_ = 1;
  AdamArgs adam_;
};

Kernel& live_kernel(Device& dev, const Kernel* kernel) {
  const auto it = dev.kernels.find(kernel);
  if (kernel == nullptr || it == dev.kernels.end())
    throw Error(CC_ERR_INVALID_ARGUMENT, "kernel is not a live kernel prepared on this device");
  return *it->second;
}

}  // namespace

Kernel* prepare_op(Device& dev, const cc_op_desc& op) {
  const DeviceRecord& rec = *dev.rec;
  OpPlan plan = plan_op(op);  // validation first: a bad descriptor is always INVALID_ARGUMENT
  if (rec.cc < kMinComputeCapability)
    throw Error(CC_ERR_UNSUPPORTED, op_name(op.kind) + ": " + rec.label +
                                        " has compute capability " + std::to_string(rec.cc / 10) +
                                        "." + std::to_string(rec.cc % 10) +
                                        "; this chipcert build has code for 8.0 and newer");
  std::unique_ptr<Kernel> k;
  if (op.kind == CC_OP_GEMM)
    k = prepare_gemm(dev, plan);
  else
    k = std::make_unique<OwnKernel>(dev, plan);
  Kernel* raw = k.get();
  dev.kernels.emplace(raw, std::move(k));
  return raw;
}

void release_op(Device& dev, const Kernel* kernel) {
  // Queued launches may still read the kernel's scratch: finish them first.
  if (dev.kernels.count(kernel) != 0) {
    cudaStreamSynchronize(dev.stream);
    dev.kernels.erase(kernel);
  }
}

void launch_op(Device& dev, const Kernel* kernel, cc_buffer* const* args, uint32_t nargs) {
  Kernel& k = live_kernel(dev, kernel);
  const std::vector<ArgSpec>& specs = k.plan.args;
  const std::string what = op_name(k.plan.op.kind);
  if (nargs != specs.size() || (nargs > 0 && args == nullptr))
    throw Error(CC_ERR_INVALID_ARGUMENT, what + " takes " + std::to_string(specs.size()) +
                                             " buffer arguments, got " + std::to_string(nargs));
  std::vector<const Buffer*> bufs(nargs);
  for (uint32_t i = 0; i < nargs; ++i) {
    const std::string label =
        "argument " + std::to_string(i) + " (" + specs[i].name + ") of " + what;
    const Buffer& b = owned_buffer(dev, reinterpret_cast<const Buffer*>(args[i]), label);
    if (b.bytes < specs[i].bytes)
      throw Error(CC_ERR_INVALID_ARGUMENT, label + " needs " + std::to_string(specs[i].bytes) +
                                               " bytes for this shape, the buffer holds " +
                                               std::to_string(b.bytes));
    bufs[i] = &b;
  }
  if (k.plan.empty) return;
  k.run(dev, bufs);
}

double timed_launch_op(Device& dev, const Kernel* kernel, cc_buffer* const* args, uint32_t nargs,
                       uint32_t repeat) {
  if (repeat == 0) throw Error(CC_ERR_INVALID_ARGUMENT, "timed_launch: repeat must be >= 1");
  return event_seconds(dev, [&] {
    for (uint32_t r = 0; r < repeat; ++r) launch_op(dev, kernel, args, nargs);
  });
}

}  // namespace chipcert::cuda
