// GEMM: C = alpha * op(A) * op(B) + beta * C, row-major, optionally batched
// (matrix b of A at A + b*stride_a elements, likewise B and C).
//
// Verification: a full fp64 reference for problems up to 2^33 multiply-adds;
// above that, up to 4 batches (first, last, two between) and in each every
// row, or 64 evenly spaced rows (first and last included) when that is still
// too much. Tolerance per element (probabilistic bound of Higham & Mary, 2019):
//   |c - ref| <= 8 * sqrt(k) * u * |alpha| * ||a_i|| * ||b_j|| + 2 * u * |ref|
//              + |beta| * u * |c0|
// u is the unit roundoff of the accumulation type plus that of the input type
// when the inputs are rounded on the device (tf32). A kernel that rounds
// differently (blocking, FMA) stays far inside it; a wrong element does not.
// int8 inputs accumulate exactly in int32: the bound is zero.

#include <algorithm>
#include <cmath>
#include <sstream>

#include "../src/builtin.hpp"
#include "../src/op_instance.hpp"
#include "chipcert/workloads/dtype.hpp"
#include "chipcert/workloads/reference.hpp"
#include "chipcert/workloads/verify.hpp"

namespace chipcert::workloads {
namespace {

constexpr double kGemmFullCheckLimit = 0x1p33;
constexpr int64_t kSampledRows = 64;
constexpr int64_t kSampledBatches = 4;

struct GemmShape {
  int64_t m, n, k;
  bool trans_a, trans_b;
  double alpha, beta;
  int64_t lda, ldb, ldc;
  int64_t batch, stride_a, stride_b, stride_c;
  int64_t a_rows() const { return trans_a ? k : m; }
  int64_t a_cols() const { return trans_a ? m : k; }
  int64_t b_rows() const { return trans_b ? n : k; }
  int64_t b_cols() const { return trans_b ? k : n; }
  // Elements the ABI requires: (batch-1)*stride + (rows-1)*ld + cols.
  size_t a_size() const {
    return static_cast<size_t>((batch - 1) * stride_a + (a_rows() - 1) * lda + a_cols());
  }
  size_t b_size() const {
    return static_cast<size_t>((batch - 1) * stride_b + (b_rows() - 1) * ldb + b_cols());
  }
  size_t c_size() const { return static_cast<size_t>((batch - 1) * stride_c + (m - 1) * ldc + n); }
};

class GemmInstance final : public OpInstance {
 public:
  GemmInstance(GemmShape s, cc_dtype dtype) : s_(s), dtype_(dtype), acc_(accumulator_for(dtype)) {}

  void setup(Device& dev, uint64_t seed) override {
    a_ = add_input(random_tensor(dtype_, s_.a_size(), seed, 1));
    b_ = add_input(random_tensor(dtype_, s_.b_size(), seed, 2));
    c_ = add_input(random_tensor(acc_, s_.c_size(), seed, 3), /*restore=*/true);
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
                               .beta = s_.beta,
                               .batch = s_.batch,
                               .stride_a = s_.stride_a,
                               .stride_b = s_.stride_b,
                               .stride_c = s_.stride_c};
    prepare(dev, op);
  }

  VerifyResult verify() override {
    const std::vector<double> c = run_once({c_}).front();
    if (!reference_done_) compute_reference();
    const double u = unit_roundoff(acc_) + (dtype_ == CC_DTYPE_TF32 ? unit_roundoff(dtype_) : 0.0);
    const double sk = std::sqrt(static_cast<double>(s_.k));
    const auto& c0 = init(c_).values;
    std::vector<double> actual, bounds;
    actual.reserve(ref_.size());
    bounds.reserve(ref_.size());
    for (size_t r = 0; r < checks_.size(); ++r) {
      const auto [bi, i] = checks_[r];
      for (int64_t j = 0; j < s_.n; ++j) {
        const auto at = static_cast<size_t>(bi * s_.stride_c + i * s_.ldc + j);
        const double ref = ref_[r * static_cast<size_t>(s_.n) + static_cast<size_t>(j)];
        actual.push_back(c[at]);
        bounds.push_back(u == 0.0 ? 0.0
                                  : 8.0 * sk * u * std::fabs(s_.alpha) * row_norm_[r] *
                                            col_norm_[bi_slot_[r] * s_.n + j] +
                                        2.0 * u * std::fabs(ref) +
                                        std::fabs(s_.beta) * u * std::fabs(c0[at]));
      }
    }
    std::ostringstream rule;
    if (u == 0.0)
      rule << "exact (integer accumulation)";
    else
      rule << "|c-ref| <= 8*sqrt(k)*u*|alpha|*|a_i|*|b_j| + 2u|ref| + |beta|u|c0|, u=" << u;
    const size_t all = static_cast<size_t>(s_.batch * s_.m);
    if (checks_.size() < all)
      rule << "; " << checks_.size() << " of " << all << " rows checked (evenly spaced sample)";
    return compare_elementwise(
        ref_, actual, [&](size_t idx) { return bounds[idx]; }, rule.str());
  }

  Work work() const override {
    const double mnk =
        static_cast<double>(s_.m) * static_cast<double>(s_.n) * static_cast<double>(s_.k);
    const double in = dtype_size(dtype_), out = dtype_size(acc_);
    const auto batch = static_cast<double>(s_.batch);
    // Compulsory traffic: a broadcast operand (stride 0) is read once.
    const double a_count = s_.stride_a == 0 ? 1.0 : batch, b_count = s_.stride_b == 0 ? 1.0 : batch;
    const double bytes = in * (a_count * static_cast<double>(s_.m * s_.k) +
                               b_count * static_cast<double>(s_.k * s_.n)) +
                         out * batch * static_cast<double>(s_.m * s_.n) * (s_.beta != 0.0 ? 2 : 1);
    return {.flop = 2.0 * mnk * batch, .bytes = bytes, .items = 0};
  }

 private:
  double a_at(int64_t bi, int64_t i, int64_t p) const {
    const int64_t off = bi * s_.stride_a + (s_.trans_a ? p * s_.lda + i : i * s_.lda + p);
    return init(a_).values[static_cast<size_t>(off)];
  }
  double b_at(int64_t bi, int64_t p, int64_t j) const {
    const int64_t off = bi * s_.stride_b + (s_.trans_b ? j * s_.ldb + p : p * s_.ldb + j);
    return init(b_).values[static_cast<size_t>(off)];
  }

  void compute_reference() {
    const double mnk =
        static_cast<double>(s_.m) * static_cast<double>(s_.n) * static_cast<double>(s_.k);
    const auto fits = [&](double nbatches) { return mnk * nbatches <= kGemmFullCheckLimit; };
    const std::vector<int64_t> batches =
        evenly_spaced(s_.batch, fits(static_cast<double>(s_.batch)) ? s_.batch : kSampledBatches);
    const std::vector<int64_t> rows =
        evenly_spaced(s_.m, fits(static_cast<double>(batches.size())) ? s_.m : kSampledRows);
    const auto nrows = static_cast<int64_t>(rows.size());
    col_norm_.assign(batches.size() * static_cast<size_t>(s_.n), 0.0);
    for (size_t slot = 0; slot < batches.size(); ++slot) {
      const int64_t bi = batches[slot];
      std::vector<double> a(static_cast<size_t>(nrows * s_.k)), b(static_cast<size_t>(s_.k * s_.n));
      for (int64_t r = 0; r < nrows; ++r) {
        double norm = 0;
        for (int64_t p = 0; p < s_.k; ++p) {
          const double v = a_at(bi, rows[static_cast<size_t>(r)], p);
          a[static_cast<size_t>(r * s_.k + p)] = v;
          norm += v * v;
        }
        checks_.push_back({bi, rows[static_cast<size_t>(r)]});
        bi_slot_.push_back(static_cast<int64_t>(slot));
        row_norm_.push_back(std::sqrt(norm));
      }
      double* cn = col_norm_.data() + slot * static_cast<size_t>(s_.n);
      for (int64_t p = 0; p < s_.k; ++p)
        for (int64_t j = 0; j < s_.n; ++j) {
          const double v = b_at(bi, p, j);
          b[static_cast<size_t>(p * s_.n + j)] = v;
          cn[j] += v * v;
        }
      for (int64_t j = 0; j < s_.n; ++j) cn[j] = std::sqrt(cn[j]);
      std::vector<double> c(static_cast<size_t>(nrows * s_.n));
      reference::gemm_f64(nrows, s_.n, s_.k, a, b, c);
      const auto& c0 = init(c_).values;
      for (int64_t r = 0; r < nrows; ++r)
        for (int64_t j = 0; j < s_.n; ++j) {
          const auto at =
              static_cast<size_t>(bi * s_.stride_c + rows[static_cast<size_t>(r)] * s_.ldc + j);
          ref_.push_back(s_.alpha * c[static_cast<size_t>(r * s_.n + j)] + s_.beta * c0[at]);
        }
    }
    reference_done_ = true;
  }

  GemmShape s_;
  cc_dtype dtype_, acc_;
  size_t a_ = 0, b_ = 0, c_ = 0;
  bool reference_done_ = false;
  std::vector<std::pair<int64_t, int64_t>> checks_;  // (batch, row) per checked row
  std::vector<int64_t> bi_slot_;                     // index into col_norm_ blocks per row
  std::vector<double> ref_, row_norm_, col_norm_;
};

class GemmWorkload final : public Workload {
 public:
  std::string_view name() const override { return "gemm"; }
  std::string_view category() const override { return "kernel"; }
  std::string_view description() const override {
    return "General matrix multiply C = alpha*op(A)*op(B) + beta*C (row-major, optionally batched)";
  }
  std::string label(const nlohmann::json& p) const override {
    std::ostringstream s;
    if (p.value("batch", int64_t{1}) != 1) s << "b" << p["batch"].dump() << "_";
    s << "m" << p.value("m", 0) << "_n" << p.value("n", 0) << "_k" << p.value("k", 0);
    if (p.value("trans_a", false)) s << "_ta";
    if (p.value("trans_b", false)) s << "_tb";
    for (const char* key : {"alpha", "beta", "lda", "ldb", "ldc"})
      if (p.contains(key)) s << "_" << key << p[key].dump();
    for (const char* key : {"stride_a", "stride_b", "stride_c"})
      if (p.contains(key)) s << "_s" << key[7] << p[key].dump();
    return s.str();
  }
  std::unique_ptr<Instance> instantiate(const CaseSpec& spec) const override {
    const auto& p = spec.parameters;
    check_known_params(p,
                       {"m", "n", "k", "trans_a", "trans_b", "alpha", "beta", "lda", "ldb", "ldc",
                        "batch", "stride_a", "stride_b", "stride_c"},
                       name());
    constexpr int64_t kMax = int64_t{1} << 20;
    GemmShape s{};
    s.m = param_int(p, "m", std::nullopt, 1, kMax);
    s.n = param_int(p, "n", std::nullopt, 1, kMax);
    s.k = param_int(p, "k", std::nullopt, 1, kMax);
    s.trans_a = param_bool(p, "trans_a", false);
    s.trans_b = param_bool(p, "trans_b", false);
    s.alpha = param_number(p, "alpha", 1.0);
    s.beta = param_number(p, "beta", 0.0);
    s.lda = param_int(p, "lda", s.a_cols(), s.a_cols(), kMax);
    s.ldb = param_int(p, "ldb", s.b_cols(), s.b_cols(), kMax);
    s.ldc = param_int(p, "ldc", s.n, s.n, kMax);
    s.batch = param_int(p, "batch", 1, 1, kMax);
    constexpr int64_t kMaxStride = int64_t{1} << 40;
    // Inputs may overlap or broadcast (stride 0); outputs of two batches may not.
    s.stride_a = param_int(p, "stride_a", s.a_rows() * s.lda, 0, kMaxStride);
    s.stride_b = param_int(p, "stride_b", s.b_rows() * s.ldb, 0, kMaxStride);
    s.stride_c = param_int(p, "stride_c", s.m * s.ldc, s.batch > 1 ? s.m * s.ldc : 0, kMaxStride);
    require_dtype(
        name(), spec.dtype,
        {CC_DTYPE_F64, CC_DTYPE_F32, CC_DTYPE_TF32, CC_DTYPE_F16, CC_DTYPE_BF16, CC_DTYPE_I8});
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
