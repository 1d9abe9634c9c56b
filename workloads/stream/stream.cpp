// The STREAM set (McCalpin; kernels and scalar as BabelStream): copy, mul,
// add, triad, dot. Bytes counted are the compulsory traffic of each kernel
// (no write-allocate), as STREAM and BabelStream report them.
//
// Verification replays each kernel on the host in fp64 from the exact input
// values. Element-wise bound: one rounding of the output type per operation,
// times 2 for fused/unfused differences (|ref| scaled). Dot: the sum is
// compared with a probabilistic bound 8*sqrt(n)*u*sum|a*b|, as for GEMM.

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>

#include "../src/builtin.hpp"
#include "chipcert/workloads/dtype.hpp"
#include "chipcert/workloads/tensor.hpp"

namespace chipcert::workloads {
namespace {

/// BabelStream's startScalar.
constexpr double kScalar = 0.4;

struct StreamOpInfo {
  cc_op_kind op;
  const char* name;
  const char* formula;
  int inputs;   // arrays read
  int outputs;  // arrays written (dot writes one scalar)
  double flop;  // per element
};

constexpr std::array<StreamOpInfo, 5> kOps{{
    {CC_OP_STREAM_COPY, "stream_copy", "c = a", 1, 1, 0},
    {CC_OP_STREAM_MUL, "stream_mul", "b = scalar * c", 1, 1, 1},
    {CC_OP_STREAM_ADD, "stream_add", "c = a + b", 2, 1, 1},
    {CC_OP_STREAM_TRIAD, "stream_triad", "a = b + scalar * c", 2, 1, 2},
    {CC_OP_STREAM_DOT, "stream_dot", "sum = a . b", 2, 0, 2},
}};

const StreamOpInfo& info_of(cc_op_kind op) {
  for (const auto& i : kOps)
    if (i.op == op) return i;
  throw std::logic_error("not a STREAM op");
}

class StreamInstance final : public Instance {
 public:
  StreamInstance(const StreamOpInfo& info, cc_dtype dtype, int64_t n)
      : info_(info), dtype_(dtype), n_(n) {}

  void setup(Device& dev, uint64_t seed) override {
    dev_ = &dev;
    const auto n = static_cast<size_t>(n_);
    for (int i = 0; i < info_.inputs; ++i) {
      in_[i] = random_tensor(dtype_, n, seed, 10 + static_cast<uint64_t>(i));
      in_buf_[i] = dev.alloc(in_[i].bytes.size());
      dev.write(in_buf_[i], in_[i].bytes.data(), in_[i].bytes.size());
    }
    out_bytes_ = (info_.outputs ? n : 1) * dtype_size(dtype_);
    out_buf_ = dev.alloc(out_bytes_);
    cc_op_desc op = make_op(info_.op, dtype_, dtype_);
    op.u.stream = cc_stream_params{.n = n_, .scalar = kScalar};
    kernel_ = dev.prepare(op);
    // Argument order as the ABI documents it per op.
    if (info_.inputs == 1)
      args_ = {in_buf_[0].handle(), out_buf_.handle()};
    else
      args_ = {in_buf_[0].handle(), in_buf_[1].handle(), out_buf_.handle()};
    nargs_ = static_cast<uint32_t>(info_.inputs + 1);
  }

  VerifyResult verify() override {
    // Poison the output so a kernel that writes nothing cannot pass.
    // Host buffers are kept across verifications: at 2^25+ elements fresh
    // allocations cost more in page faults than the check itself.
    if (host_out_.size() != out_bytes_) host_out_.resize(out_bytes_);
    std::fill(host_out_.begin(), host_out_.end(), std::byte{0x7f});
    dev_->write(out_buf_, host_out_.data(), host_out_.size());
    dev_->launch(kernel_, std::span(args_.data(), nargs_));
    dev_->synchronize();
    std::vector<std::byte>& out = host_out_;
    dev_->read(out_buf_, out.data(), out.size());
    const std::vector<double> got = decode(dtype_, out);
    const double u = unit_roundoff(dtype_);
    const auto& a = in_[0].values;
    const auto& b = in_[1].values;
    if (info_.op == CC_OP_STREAM_DOT) {
      double sum = 0, abs_sum = 0;
      for (size_t i = 0; i < a.size(); ++i) {
        sum += a[i] * b[i];
        abs_sum += std::fabs(a[i] * b[i]);
      }
      const double bound = 8.0 * std::sqrt(static_cast<double>(n_)) * u * abs_sum;
      std::ostringstream rule;
      rule << "|sum-ref| <= 8*sqrt(n)*u*sum|a*b| = " << bound;
      VerifyResult r = compare_elementwise(
          std::vector<double>{sum}, got, [&](size_t) { return bound; }, rule.str());
      r.method = "scalar";
      return r;
    }
    std::vector<double>& ref = ref_;
    if (ref.size() != a.size()) ref.resize(a.size());
    for (size_t i = 0; i < a.size(); ++i) {
      switch (info_.op) {
        case CC_OP_STREAM_COPY:
          ref[i] = a[i];
          break;
        case CC_OP_STREAM_MUL:
          ref[i] = kScalar * a[i];
          break;
        case CC_OP_STREAM_ADD:
          ref[i] = a[i] + b[i];
          break;
        case CC_OP_STREAM_TRIAD:
          ref[i] = a[i] + kScalar * b[i];
          break;
        default:
          break;
      }
    }
    const double ops = info_.flop == 0 ? 0.0 : info_.flop;
    std::ostringstream rule;
    rule << "|x-ref| <= " << 2.0 * ops << "*u*(|ref|+|inputs|), u=" << u;
    return compare_elementwise(
        ref, got,
        [&](size_t i) {
          const double mag =
              std::fabs(ref[i]) + std::fabs(a[i]) + (b.empty() ? 0.0 : std::fabs(b[i]));
          return 2.0 * ops * u * mag;
        },
        rule.str());
  }

  void enqueue() override { dev_->launch(kernel_, std::span(args_.data(), nargs_)); }

  std::optional<double> device_time(uint32_t repeat) override {
    if (!dev_->has_device_timer()) return std::nullopt;
    return dev_->timed_launch(kernel_, std::span(args_.data(), nargs_), repeat);
  }

  nlohmann::json details() const override {
    return {{"implementation", dev_ ? dev_->kernel_info(kernel_) : std::string()}};
  }

  Work work() const override {
    const double n = static_cast<double>(n_);
    const double arrays = info_.inputs + info_.outputs;
    return {.flop = info_.flop * n, .bytes = arrays * n * dtype_size(dtype_), .items = 0};
  }

 private:
  const StreamOpInfo& info_;
  cc_dtype dtype_;
  int64_t n_;
  Device* dev_ = nullptr;
  std::array<HostTensor, 2> in_;
  std::array<Buffer, 2> in_buf_;
  Buffer out_buf_;
  size_t out_bytes_ = 0;
  std::vector<std::byte> host_out_;
  std::vector<double> ref_;
  Kernel kernel_;
  std::array<cc_buffer*, 3> args_{};
  uint32_t nargs_ = 0;
};

class StreamWorkload final : public Workload {
 public:
  explicit StreamWorkload(const StreamOpInfo& info) : info_(info) {
    description_ = "STREAM ";
    description_ += info.formula;
    description_ += " over n elements (memory bandwidth)";
  }
  std::string_view name() const override { return info_.name; }
  std::string_view category() const override { return "micro"; }
  std::string_view description() const override { return description_; }
  std::string label(const nlohmann::json& p) const override {
    std::string out = "n";
    out += std::to_string(p.value("n", int64_t{1} << 25));
    return out;
  }
  std::unique_ptr<Instance> instantiate(const CaseSpec& spec) const override {
    check_known_params(spec.parameters, {"n"}, name());
    const int64_t n = param_int(spec.parameters, "n", int64_t{1} << 25, 1, int64_t{1} << 34);
    if (spec.dtype != CC_DTYPE_F32 && spec.dtype != CC_DTYPE_F64 && spec.dtype != CC_DTYPE_F16 &&
        spec.dtype != CC_DTYPE_BF16) {
      std::ostringstream m;
      m << name() << ": dtype " << dtype_name(spec.dtype)
        << " is not a floating-point type (expected fp64, fp32, fp16 or bf16)";
      throw SpecError(m.str());
    }
    return std::make_unique<StreamInstance>(info_, spec.dtype, n);
  }

 private:
  const StreamOpInfo& info_;
  std::string description_;
};

}  // namespace

const Workload& stream_workload(cc_op_kind op) {
  static const std::array<StreamWorkload, 5> all{StreamWorkload(kOps[0]), StreamWorkload(kOps[1]),
                                                 StreamWorkload(kOps[2]), StreamWorkload(kOps[3]),
                                                 StreamWorkload(kOps[4])};
  for (size_t i = 0; i < kOps.size(); ++i)
    if (kOps[i].op == op) return all[i];
  (void)info_of(op);
  throw std::logic_error("unreachable");
}

}  // namespace chipcert::workloads
