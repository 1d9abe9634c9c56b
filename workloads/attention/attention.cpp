// Scaled dot-product attention o = softmax(scale * q k^T + mask) v over
// [batch, heads, seq, head_dim] tensors ("layout": "bhsd", the default) or
// [batch, seq, heads, head_dim] ("bshd", what a projection GEMM writes),
// optionally causal (bottom-right aligned, cc_attention_params).
//
// FLOP convention: 4 * B * H * D per visible (query, key) pair, i.e.
// 4*B*H*Sq*Skv*D without a mask; with the causal mask only unmasked pairs
// count (about half), as FlashAttention's benchmarks report causal runs.
// Bytes: q, k, v read and o written once.
//
// Inputs: k, v uniform in [-1, 1); q uniform in [-2, 2), so scores spread
// over a few units and the softmax is far from flat (a kernel that ignores
// scores or the mask is visibly wrong).
// Reference: fp64 per query row; above 2^30 multiply-adds an evenly spaced
// sample of query rows (first and last included) is checked.
// Tolerance per output element (row i, column d), W = sum_j p_ij |v_jd|,
// S = max_j scale * sum_d |q_id k_jd|:
//   |o - ref| <= (16*sqrt(D)*u*S + 8*sqrt(Skv)*u + 8u + 2*u_p) * W + 2u|ref|
// The first term is the score error (a length-D dot product, Higham & Mary
// bound) which exp turns into a relative error of the weights, twice (the
// normaliser sees it too); the second the length-Skv weighted sum; 8u covers
// exp's library error and online-softmax rescaling; u_p is the input dtype's
// roundoff for fp16/bf16 (FlashAttention-style kernels round the weights to the
// input type before the second product), else u.

#include <cmath>
#include <sstream>

#include "../src/builtin.hpp"
#include "../src/op_instance.hpp"
#include "chipcert/workloads/dtype.hpp"
#include "chipcert/workloads/random.hpp"
#include "chipcert/workloads/reference.hpp"
#include "chipcert/workloads/verify.hpp"

namespace chipcert::workloads {
namespace {

constexpr double kAttentionFullCheckLimit = 0x1p30;

cc_attention_params parse(const nlohmann::json& p) {
  constexpr int64_t kMax = int64_t{1} << 20;
  cc_attention_params a{};
  a.batch = param_int(p, "batch", 1, 1, kMax);
  a.heads = param_int(p, "heads", 1, 1, kMax);
  a.seq_q = param_int(p, "seq_q", std::nullopt, 1, kMax);
  a.seq_kv = param_int(p, "seq_kv", a.seq_q, 1, kMax);
  a.head_dim = param_int(p, "head_dim", std::nullopt, 1, 4096);
  a.causal = param_bool(p, "causal", false) ? 1u : 0u;
  a.scale = param_number(p, "scale", 1.0 / std::sqrt(static_cast<double>(a.head_dim)));
  if (p.contains("layout")) {
    const nlohmann::json& l = p["layout"];
    if (l == "bhsd")
      a.layout = CC_ATTN_BHSD;
    else if (l == "bshd")
      a.layout = CC_ATTN_BSHD;
    else
      throw SpecError("attention: parameter \"layout\": expected \"bhsd\" or \"bshd\", found " +
                      l.dump());
  }
  if (!std::isfinite(a.scale) || a.scale == 0.0)
    throw SpecError("attention: parameter \"scale\": expected a finite non-zero number");
  if (a.causal && a.seq_q > a.seq_kv)
    throw SpecError(
        "attention: parameter \"seq_q\": with \"causal\" it must not exceed \"seq_kv\" (the first "
        "seq_q - seq_kv query rows would see no key)");
  return a;
}

class AttentionInstance final : public OpInstance {
 public:
  AttentionInstance(cc_attention_params p, cc_dtype dtype)
      : p_(p), dtype_(dtype), acc_(accumulator_for(dtype)) {}

  void setup(Device& dev, uint64_t seed) override {
    const auto bh = static_cast<size_t>(p_.batch * p_.heads);
    const auto nq = bh * static_cast<size_t>(p_.seq_q * p_.head_dim);
    const auto nkv = bh * static_cast<size_t>(p_.seq_kv * p_.head_dim);
    q_ = add_input(
        make_tensor(dtype_, nq, [&](size_t i) { return 2.0 * random_uniform(seed, 70, i); }));
    k_ = add_input(random_tensor(dtype_, nkv, seed, 71));
    v_ = add_input(random_tensor(dtype_, nkv, seed, 72));
    o_ = add_output(acc_, nq);
    cc_op_desc op = make_op(CC_OP_ATTENTION, dtype_, acc_);
    op.u.attention = p_;
    prepare(dev, op);
  }

  VerifyResult verify() override {
    const std::vector<double> o = run_once({o_}).front();
    if (rows_.empty()) compute_reference();
    const double u = unit_roundoff(acc_);
    const double up =
        (dtype_ == CC_DTYPE_F16 || dtype_ == CC_DTYPE_BF16) ? unit_roundoff(dtype_) : u;
    const double sd = std::sqrt(static_cast<double>(p_.head_dim));
    const double skv = std::sqrt(static_cast<double>(p_.seq_kv));
    std::vector<double> expected, actual, bounds;
    const int64_t D = p_.head_dim;
    for (int64_t r : rows_) {
      const int64_t row0 =
          reference::attention_row_offset(p_, r / p_.seq_q, r % p_.seq_q, p_.seq_q);
      for (int64_t d = 0; d < D; ++d) {
        const auto at = static_cast<size_t>(row0 + d);
        const double rel =
            16.0 * sd * u * score_abs_[static_cast<size_t>(r)] + 8.0 * skv * u + 8.0 * u + 2.0 * up;
        expected.push_back(ref_[at]);
        actual.push_back(o[at]);
        bounds.push_back(rel * weighted_[at] + 2.0 * u * std::fabs(ref_[at]));
      }
    }
    std::ostringstream rule;
    rule << "|o-ref| <= (16*sqrt(D)*u*S + 8*sqrt(Skv)*u + 8u + 2u_p)*sum_j p_j|v_j| + 2u|ref|, u="
         << u << ", u_p=" << up;
    const auto total = static_cast<size_t>(p_.batch * p_.heads * p_.seq_q);
    if (rows_.size() < total)
      rule << "; " << rows_.size() << " of " << total
           << " query rows checked (evenly spaced sample)";
    return compare_elementwise(
        expected, actual, [&](size_t i) { return bounds[i]; }, rule.str());
  }

  Work work() const override {
    const auto bh = static_cast<double>(p_.batch * p_.heads);
    const auto D = static_cast<double>(p_.head_dim);
    const double pairs = reference::attention_visible_pairs(p_);
    const double elems_q = bh * static_cast<double>(p_.seq_q) * D;
    const double elems_kv = bh * static_cast<double>(p_.seq_kv) * D;
    return {.flop = 4.0 * bh * D * pairs,
            .bytes = dtype_size(dtype_) * (elems_q + 2.0 * elems_kv) + dtype_size(acc_) * elems_q,
            .items = 0};
  }

 private:
  void compute_reference() {
    const int64_t total = p_.batch * p_.heads * p_.seq_q;
    const double row_cost = 2.0 * static_cast<double>(p_.seq_kv * p_.head_dim);
    rows_ = evenly_spaced(total, affordable_checks(total, row_cost, kAttentionFullCheckLimit));
    const auto n = static_cast<size_t>(total * p_.head_dim);
    ref_.assign(n, 0.0);
    weighted_.assign(n, 0.0);
    score_abs_.assign(static_cast<size_t>(total), 0.0);
    reference::attention_f64(p_, init(q_).values, init(k_).values, init(v_).values, ref_, weighted_,
                             score_abs_, rows_);
  }

  cc_attention_params p_;
  cc_dtype dtype_, acc_;
  size_t q_ = 0, k_ = 0, v_ = 0, o_ = 0;
  std::vector<int64_t> rows_;
  std::vector<double> ref_, weighted_, score_abs_;
};

class AttentionWorkload final : public Workload {
 public:
  std::string_view name() const override { return "attention"; }
  std::string_view category() const override { return "kernel"; }
  std::string_view description() const override {
    return "Scaled dot-product attention softmax(scale*q*k^T + mask)*v, optionally causal";
  }
  std::string label(const nlohmann::json& p) const override {
    cc_attention_params a{};
    try {
      a = parse(p);
    } catch (const SpecError&) {
      return Workload::label(p);
    }
    std::ostringstream s;
    s << "b" << a.batch << "_h" << a.heads;
    if (a.seq_q == a.seq_kv)
      s << "_s" << a.seq_q;
    else
      s << "_sq" << a.seq_q << "_skv" << a.seq_kv;
    s << "_d" << a.head_dim;
    if (a.causal) s << "_causal";
    if (a.layout == CC_ATTN_BSHD) s << "_bshd";
    if (p.contains("scale")) s << "_scale" << p["scale"].dump();
    return s.str();
  }
  std::unique_ptr<Instance> instantiate(const CaseSpec& spec) const override {
    check_known_params(
        spec.parameters,
        {"batch", "heads", "seq_q", "seq_kv", "head_dim", "causal", "scale", "layout"}, name());
    const cc_attention_params a = parse(spec.parameters);
    require_dtype(name(), spec.dtype, {CC_DTYPE_F64, CC_DTYPE_F32, CC_DTYPE_F16, CC_DTYPE_BF16});
    return std::make_unique<AttentionInstance>(a, spec.dtype);
  }
};

}  // namespace

const Workload& attention_workload() {
  static const AttentionWorkload w;
  return w;
}

}  // namespace chipcert::workloads
