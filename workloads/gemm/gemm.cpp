// GEMM: C = alpha * op(A) * op(B) + beta * C, row-major.
//
// Verification: a full fp64 reference for problems up to 2^33 multiply-adds;
// above that, every element of a seeded sample of rows (see kFullCheckLimit).
// Tolerance per element (probabilistic bound of Higham & Mary, 2019):
//   |c - ref| <= 8 * sqrt(k) * u * |alpha| * ||a_i|| * ||b_j|| + 2 * u * |ref|
//              + |beta| * u * |c0|
// u is the unit roundoff of the accumulation type plus that of the input type
// when the inputs are rounded on the device (tf32). A kernel that rounds
// differently (blocking, FMA) stays far inside it; a wrong element does not.

#include <algorithm>
#include <cmath>
#include <sstream>

#include "../src/builtin.hpp"
#include "chipcert/workloads/dtype.hpp"
#include "chipcert/workloads/random.hpp"
#include "chipcert/workloads/reference.hpp"
#include "chipcert/workloads/tensor.hpp"

namespace chipcert::workloads {
namespace {

constexpr double kFullCheckLimit = 0x1p33;
constexpr int64_t kSampledRows = 64;

struct GemmShape {
  int64_t m, n, k;
  bool trans_a, trans_b;
  double alpha, beta;
  int64_t lda, ldb, ldc;
  int64_t a_rows() const { return trans_a ? k : m; }
  int64_t b_rows() const { return trans_b ? n : k; }
};

cc_dtype accumulator_for(cc_dtype d) {
  switch (d) {
    case CC_DTYPE_F64:
      return CC_DTYPE_F64;
    case CC_DTYPE_I8:
      return CC_DTYPE_I32;
    default:
      return CC_DTYPE_F32;
  }
}

class GemmInstance final : public Instance {
 public:
  GemmInstance(GemmShape s, cc_dtype dtype) : s_(s), dtype_(dtype), acc_(accumulator_for(dtype)) {}

  void setup(Device& dev, uint64_t seed) override {
    dev_ = &dev;
    a_ = random_tensor(dtype_, static_cast<size_t>(s_.a_rows() * s_.lda), seed, 1);
    b_ = random_tensor(dtype_, static_cast<size_t>(s_.b_rows() * s_.ldb), seed, 2);
    c0_ = random_tensor(acc_, static_cast<size_t>(s_.m * s_.ldc), seed, 3);
    buf_a_ = dev.alloc(a_.bytes.size());
    buf_b_ = dev.alloc(b_.bytes.size());
    buf_c_ = dev.alloc(c0_.bytes.size());
    dev.write(buf_a_, a_.bytes.data(), a_.bytes.size());
    dev.write(buf_b_, b_.bytes.data(), b_.bytes.size());
    dev.write(buf_c_, c0_.bytes.data(), c0_.bytes.size());
    cc_op_desc op = make_op(CC_OP_GEMM, dtype_, acc_);
    op.constant_args = 0x3;  // A and B are weights-like: same buffers, same contents
    op.u.gemm = cc_gemm_params{.m = s_.m,
                               .n = s_.n,
                               .k = s_.k,
                               .lda = s_.lda,
                               .ldb = s_.ldb,
                               .ldc = s_.ldc,
                               .trans_a = s_.trans_a ? 1u : 0u,
                               .trans_b = s_.trans_b ? 1u : 0u,
                               .alpha = s_.alpha,
                               .beta = s_.beta};
    kernel_ = dev.prepare(op);
    args_ = {buf_a_.handle(), buf_b_.handle(), buf_c_.handle()};
  }

  VerifyResult verify() override {
    dev_->write(buf_c_, c0_.bytes.data(), c0_.bytes.size());
    dev_->launch(kernel_, args_);
    dev_->synchronize();
    std::vector<std::byte> out(c0_.bytes.size());
    dev_->read(buf_c_, out.data(), out.size());
    const std::vector<double> c = decode(acc_, out);
    if (!rows_computed_) compute_reference();
    std::vector<double> expected, actual;
    std::vector<double> bounds;
    const double u = unit_roundoff(acc_) + (dtype_ == CC_DTYPE_TF32 ? unit_roundoff(dtype_) : 0.0);
    const double sk = std::sqrt(static_cast<double>(s_.k));
    for (size_t r = 0; r < check_rows_.size(); ++r) {
      const int64_t i = check_rows_[r];
      for (int64_t j = 0; j < s_.n; ++j) {
        const double ref = ref_[r * static_cast<size_t>(s_.n) + static_cast<size_t>(j)];
        const double c0 = c0_.values[static_cast<size_t>(i * s_.ldc + j)];
        expected.push_back(ref);
        actual.push_back(c[static_cast<size_t>(i * s_.ldc + j)]);
        bounds.push_back(
            u == 0.0 ? 0.0
                     : 8.0 * sk * u * std::fabs(s_.alpha) * row_norm_[r] * col_norm_[j] +
                           2.0 * u * std::fabs(ref) + std::fabs(s_.beta) * u * std::fabs(c0));
      }
    }
    std::ostringstream rule;
    if (u == 0.0)
      rule << "exact (integer accumulation)";
    else
      rule << "|c-ref| <= 8*sqrt(k)*u*|alpha|*|a_i|*|b_j| + 2u|ref| + |beta|u|c0|, u=" << u;
    if (check_rows_.size() < static_cast<size_t>(s_.m))
      rule << "; " << check_rows_.size() << " of " << s_.m << " rows checked (seeded sample)";
    return compare_elementwise(
        expected, actual, [&](size_t idx) { return bounds[idx]; }, rule.str());
  }

  void enqueue() override { dev_->launch(kernel_, args_); }

  std::optional<double> device_time(uint32_t repeat) override {
    if (!dev_->has_device_timer()) return std::nullopt;
    return dev_->timed_launch(kernel_, args_, repeat);
  }

  Work work() const override {
    const double mnk =
        static_cast<double>(s_.m) * static_cast<double>(s_.n) * static_cast<double>(s_.k);
    const double in = static_cast<double>(dtype_size(dtype_));
    const double out = static_cast<double>(dtype_size(acc_));
    const double bytes = in * static_cast<double>(s_.m * s_.k + s_.k * s_.n) +
                         out * static_cast<double>(s_.m * s_.n) * (s_.beta != 0.0 ? 2.0 : 1.0);
    return {.flop = 2.0 * mnk, .bytes = bytes, .items = 0};
  }

 private:
  double a_at(int64_t i, int64_t p) const {
    return a_.values[static_cast<size_t>(s_.trans_a ? p * s_.lda + i : i * s_.lda + p)];
  }
  double b_at(int64_t p, int64_t j) const {
    return b_.values[static_cast<size_t>(s_.trans_b ? j * s_.ldb + p : p * s_.ldb + j)];
  }

  void compute_reference() {
    const double mnk =
        static_cast<double>(s_.m) * static_cast<double>(s_.n) * static_cast<double>(s_.k);
    check_rows_.clear();
    if (mnk <= kFullCheckLimit || s_.m <= kSampledRows) {
      for (int64_t i = 0; i < s_.m; ++i) check_rows_.push_back(i);
    } else {
      // Seeded sample of distinct rows, always including the first and last.
      for (int64_t r = 0; r < kSampledRows; ++r)
        check_rows_.push_back(r * (s_.m - 1) / (kSampledRows - 1));
    }
    const auto rows = static_cast<int64_t>(check_rows_.size());
    std::vector<double> a(static_cast<size_t>(rows * s_.k)), b(static_cast<size_t>(s_.k * s_.n));
    row_norm_.assign(check_rows_.size(), 0.0);
    col_norm_.assign(static_cast<size_t>(s_.n), 0.0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t p = 0; p < s_.k; ++p) {
        const double v = a_at(check_rows_[static_cast<size_t>(r)], p);
        a[static_cast<size_t>(r * s_.k + p)] = v;
        row_norm_[static_cast<size_t>(r)] += v * v;
      }
    for (int64_t p = 0; p < s_.k; ++p)
      for (int64_t j = 0; j < s_.n; ++j) {
        const double v = b_at(p, j);
        b[static_cast<size_t>(p * s_.n + j)] = v;
        col_norm_[static_cast<size_t>(j)] += v * v;
      }
    for (auto& x : row_norm_) x = std::sqrt(x);
    for (auto& x : col_norm_) x = std::sqrt(x);
    ref_.assign(static_cast<size_t>(rows * s_.n), 0.0);
    reference::gemm_f64(rows, s_.n, s_.k, a, b, ref_);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < s_.n; ++j) {
        double& x = ref_[static_cast<size_t>(r * s_.n + j)];
        x = s_.alpha * x +
            s_.beta *
                c0_.values[static_cast<size_t>(check_rows_[static_cast<size_t>(r)] * s_.ldc + j)];
      }
    rows_computed_ = true;
  }

  GemmShape s_;
  cc_dtype dtype_, acc_;
  Device* dev_ = nullptr;
  HostTensor a_, b_, c0_;
  Buffer buf_a_, buf_b_, buf_c_;
  Kernel kernel_;
  std::array<cc_buffer*, 3> args_{};
  bool rows_computed_ = false;
  std::vector<int64_t> check_rows_;
  std::vector<double> ref_, row_norm_, col_norm_;
};

class GemmWorkload final : public Workload {
 public:
  std::string_view name() const override { return "gemm"; }
  std::string_view category() const override { return "kernel"; }
  std::string_view description() const override {
    return "General matrix multiply C = alpha*op(A)*op(B) + beta*C (row-major)";
  }
  std::string label(const nlohmann::json& p) const override {
    std::ostringstream s;
    s << "m" << p.value("m", 0) << "_n" << p.value("n", 0) << "_k" << p.value("k", 0);
    if (p.value("trans_a", false)) s << "_ta";
    if (p.value("trans_b", false)) s << "_tb";
    if (p.contains("alpha")) s << "_alpha" << p["alpha"].dump();
    if (p.contains("beta")) s << "_beta" << p["beta"].dump();
    return s.str();
  }
  std::unique_ptr<Instance> instantiate(const CaseSpec& spec) const override {
    const auto& p = spec.parameters;
    check_known_params(
        p, {"m", "n", "k", "trans_a", "trans_b", "alpha", "beta", "lda", "ldb", "ldc"}, name());
    constexpr int64_t kMax = int64_t{1} << 20;
    GemmShape s{};
    s.m = param_int(p, "m", std::nullopt, 1, kMax);
    s.n = param_int(p, "n", std::nullopt, 1, kMax);
    s.k = param_int(p, "k", std::nullopt, 1, kMax);
    s.trans_a = param_bool(p, "trans_a", false);
    s.trans_b = param_bool(p, "trans_b", false);
    s.alpha = param_number(p, "alpha", 1.0);
    s.beta = param_number(p, "beta", 0.0);
    s.lda = param_int(p, "lda", s.trans_a ? s.m : s.k, s.trans_a ? s.m : s.k, kMax);
    s.ldb = param_int(p, "ldb", s.trans_b ? s.k : s.n, s.trans_b ? s.k : s.n, kMax);
    s.ldc = param_int(p, "ldc", s.n, s.n, kMax);
    if (spec.dtype == CC_DTYPE_I32)
      throw SpecError("gemm: dtype int32 is not an input type (use int8 with int32 accumulation)");
    if (spec.dtype == CC_DTYPE_I8 && (s.alpha != 1.0 || s.beta != 0.0))
      throw SpecError("gemm: int8 requires alpha = 1 and beta = 0 (exact int32 accumulation)");
    return std::make_unique<GemmInstance>(s, spec.dtype);
  }
};

}  // namespace

const Workload& gemm_workload() {
  static const GemmWorkload w;
  return w;
}

}  // namespace chipcert::workloads
