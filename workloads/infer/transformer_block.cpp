// Inference: one transformer block forward, in the three MLPerf-style
// scenarios (single_stream, offline, server).
//
// Two models share the code:
//  - bert_block: a BERT-base-like encoder layer (post-LN) over `batch`
//    sequences of `seq` tokens, full bidirectional attention:
//      Q,K,V = X Wq, X Wk, X Wv;  A = attention(Q, K, V);  R1 = X + A Wo;
//      N1 = LN1(R1);  Y = LN2(N1 + GELU(N1 W1) W2)
//  - gpt_decode: a GPT-like decoder layer (pre-LN) generating one token for
//    each of `batch` sequences against a KV cache of `context` earlier tokens:
//      N = LN1(X);  q = N Wq;  cache slot <- N Wk, N Wv;
//      A = attention(q, K cache, V cache);  R1 = X + A Wo;
//      Y = R1 + GELU(LN2(R1) W1) W2
//    The cache is a ring buffer [batch, context+1, heads, head_dim] (BSHD);
//    this step's slot is 0, written directly by the K and V projection GEMMs
//    (ldc = (context+1)*hidden). A decode step's single query sees every key,
//    and attention does not depend on the order of keys, so the slot's
//    position does not change the result.
// Projections write [tokens, hidden] = [batch, seq, heads, head_dim], so
// attention runs on BSHD tensors with no transpose. No biases (the ABI has no
// bias op; a bias is an element-wise add a GEMM epilogue hides). fp32 only:
// the ABI has no cast op, and bf16 GEMMs write fp32.
//
// FLOP: 2 per multiply-add of the six GEMMs plus attention's 4*H*D per
// visible (query, key) pair; element-wise work is not counted. items: samples
// (sequences for bert_block, generated tokens for gpt_decode).
//
// Inputs are seeded (streams 130-141): X uniform in [-1, 1); weights uniform
// scaled by 1/sqrt(fan-in) so activations stay O(1); LN gamma in [0.9, 1.1),
// beta in [-0.1, 0.1); the cache's earlier slots uniform in [-1, 1) (the
// spread a projection of normalised activations has).
//
// Verification (before and after timing): Y against an fp64 forward of the
// same block, normwise:
//   |y - ref| <= 128 * sqrt(L) * u * max|ref| + 2u|ref|,  L = max(hidden, ffn, keys)
// seven dependent reduction stages (QKV, the two products of attention, Wo,
// LN, W1, W2), each with Higham & Mary's sqrt(L) error growth and a safety
// factor; layer norm keeps every stage's output O(1). A wrong head mapping, a
// missed mask or a skipped kernel is an O(max|ref|) error, far outside.
//
// Scenarios:
//  - single_stream: batch 1; one query at a time, each sample one query
//    (Google Benchmark, one iteration per sample): p50/p90/p99 latency.
//  - offline: `batch` samples per launch sequence, adaptive timing; the
//    figure is samples/s.
//  - server: queries of batch 1 arrive as a Poisson process at rate lambda
//    and are served first-come first-served, one at a time, in real time
//    (a query's latency includes its wait in the queue). A bisection over
//    lambda in (0, 1/t_service] finds the highest rate whose p99 latency stays
//    within `latency_bound_ms`; the figure is that rate (queries/s).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <sstream>
#include <thread>

#include "../src/builtin.hpp"
#include "../src/op_instance.hpp"
#include "../src/training.hpp"
#include "chipcert/workloads/dtype.hpp"
#include "chipcert/workloads/random.hpp"
#include "chipcert/workloads/reference.hpp"
#include "chipcert/workloads/tensor.hpp"
#include "chipcert/workloads/verify.hpp"

namespace chipcert::workloads {
namespace {

enum class Model { Bert, GptDecode };
enum class Scenario { SingleStream, Offline, Server };

struct BlockParams {
  Model model = Model::Bert;
  Scenario scenario = Scenario::Offline;
  int64_t batch = 1, seq = 128, context = 512, hidden = 768, heads = 12, ffn = 3072;
  int64_t queries = 200, search_steps = 6;
  double latency_bound_s = 0;
  double eps = 1e-5;
  // Derived.
  int64_t tokens() const { return model == Model::Bert ? batch * seq : batch; }
  int64_t keys() const { return model == Model::Bert ? seq : context + 1; }
  int64_t head_dim() const { return hidden / heads; }
};

const char* scenario_name(Scenario s) {
  return s == Scenario::SingleStream ? "single_stream"
         : s == Scenario::Offline    ? "offline"
                                     : "server";
}

/// Row-major m x n = (m x k)(k x n), C with leading dimension ldc; B is a
/// weight matrix (constant across launches).
cc_op_desc gemm_desc(int64_t m, int64_t n, int64_t k, int64_t ldc) {
  cc_op_desc op = dense_gemm_desc(CC_DTYPE_F32, m, n, k, false, false);
  op.u.gemm.ldc = ldc;
  op.constant_args = 1u << 1;
  return op;
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const auto at = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
  return v[std::min(at, v.size() - 1)];
}

class BlockInstance final : public Instance {
 public:
  explicit BlockInstance(BlockParams p) : p_(p) {}

  void setup(Device& dev, uint64_t seed) override {
    dev_ = &dev;
    seed_ = seed;
    const int64_t T = p_.tokens(), Hd = p_.hidden, F = p_.ffn, B = p_.batch;
    const auto n = [](int64_t a, int64_t b) { return static_cast<size_t>(a * b); };
    const double sh = 1.0 / std::sqrt(static_cast<double>(Hd)),
                 sf = 1.0 / std::sqrt(static_cast<double>(F));
    auto weights = [&](size_t count, double scale, uint64_t stream) {
      return make_tensor(CC_DTYPE_F32, count,
                         [&](size_t i) { return scale * random_uniform(seed, stream, i); });
    };
    x_ = random_tensor(CC_DTYPE_F32, n(T, Hd), seed, 130);
    wq_ = weights(n(Hd, Hd), sh, 131);
    wk_ = weights(n(Hd, Hd), sh, 132);
    wv_ = weights(n(Hd, Hd), sh, 133);
    wo_ = weights(n(Hd, Hd), sh, 134);
    w1_ = weights(n(Hd, F), sh, 135);
    w2_ = weights(n(F, Hd), sf, 136);
    auto gamma = [&](uint64_t s) {
      return make_tensor(CC_DTYPE_F32, n(1, Hd),
                         [&](size_t i) { return 1.0 + 0.1 * random_uniform(seed, s, i); });
    };
    g1_ = gamma(137), g2_ = gamma(139);
    b1_ = weights(n(1, Hd), 0.1, 138), b2_ = weights(n(1, Hd), 0.1, 140);
    const size_t act = n(T, Hd) * 4;
    if (p_.model == Model::GptDecode) {
      // Slot 0 of every sequence is this step's; it is poisoned before each
      // verification so the projections must write it.
      cache_len_ = n(B * (p_.context + 1), Hd);
      kc_init_ = random_tensor(CC_DTYPE_F32, cache_len_, seed, 141);
      vc_init_ = random_tensor(CC_DTYPE_F32, cache_len_, seed, 142);
    }
    for (auto* t : {&x_, &wq_, &wk_, &wv_, &wo_, &w1_, &w2_, &g1_, &g2_, &b1_, &b2_})
      bufs_.push_back(upload(*t));
    // Activations.
    q_ = dev.alloc(act);
    if (p_.model == Model::Bert) {
      k_ = dev.alloc(act), v_ = dev.alloc(act);
    } else {
      k_ = upload(kc_init_), v_ = upload(vc_init_);
      ln0_ = dev.alloc(act), mean0_ = dev.alloc(n(T, 4)), rstd0_ = dev.alloc(n(T, 4));
    }
    a_ = dev.alloc(act), p_buf_ = dev.alloc(act), r1_ = dev.alloc(act), n1_ = dev.alloc(act);
    mean1_ = dev.alloc(n(T, 4)), rstd1_ = dev.alloc(n(T, 4));
    f_ = dev.alloc(n(T, F) * 4), g_ = dev.alloc(n(T, F) * 4), f2_ = dev.alloc(act);
    r2_ = dev.alloc(act), y_ = dev.alloc(act);
    mean2_ = dev.alloc(n(T, 4)), rstd2_ = dev.alloc(n(T, 4));

    k_hh_ = dev.prepare(gemm_desc(T, Hd, Hd, Hd));
    if (p_.model == Model::GptDecode)
      k_cache_ = dev.prepare(gemm_desc(B, Hd, Hd, (p_.context + 1) * Hd));
    k_h4_ = dev.prepare(gemm_desc(T, F, Hd, F));
    k_4h_ = dev.prepare(gemm_desc(T, Hd, F, Hd));
    cc_op_desc att = make_op(CC_OP_ATTENTION, CC_DTYPE_F32, CC_DTYPE_F32);
    att.u.attention = attention_params();
    k_att_ = dev.prepare(att);
    cc_op_desc ln = make_op(CC_OP_LAYERNORM, CC_DTYPE_F32, CC_DTYPE_F32);
    ln.u.rows.rows = T;
    ln.u.rows.cols = Hd;
    ln.u.rows.eps = p_.eps;
    ln.constant_args = (1u << 1) | (1u << 2);
    k_ln_ = dev.prepare(ln);
    cc_op_desc add = make_op(CC_OP_ADD, CC_DTYPE_F32, CC_DTYPE_F32);
    add.u.eltwise.n = T * Hd;
    k_add_ = dev.prepare(add);
    cc_op_desc gelu = make_op(CC_OP_GELU, CC_DTYPE_F32, CC_DTYPE_F32);
    gelu.u.eltwise.n = T * F;
    k_gelu_ = dev.prepare(gelu);
    poison_.assign(act / 4, std::nanf(""));
  }

  VerifyResult verify() override {
    if (p_.model == Model::GptDecode) {
      // Poison this step's cache slot, keep the earlier ones.
      std::vector<float> kc(cache_len_), vc(cache_len_);
      std::memcpy(kc.data(), kc_init_.bytes.data(), cache_len_ * 4);
      std::memcpy(vc.data(), vc_init_.bytes.data(), cache_len_ * 4);
      const auto row = static_cast<size_t>((p_.context + 1) * p_.hidden);
      for (int64_t b = 0; b < p_.batch; ++b)
        for (int64_t e = 0; e < p_.hidden; ++e)
          kc[static_cast<size_t>(b) * row + static_cast<size_t>(e)] =
              vc[static_cast<size_t>(b) * row + static_cast<size_t>(e)] = std::nanf("");
      dev_->write(k_, kc.data(), cache_len_ * 4);
      dev_->write(v_, vc.data(), cache_len_ * 4);
    }
    dev_->write(y_, poison_.data(), poison_.size() * 4);
    enqueue();
    dev_->synchronize();
    std::vector<float> got32(poison_.size());
    dev_->read(y_, got32.data(), got32.size() * 4);
    const std::vector<double> got(got32.begin(), got32.end());
    if (ref_.empty()) ref_ = reference_forward();
    const double u = unit_roundoff(CC_DTYPE_F32);
    const double L = static_cast<double>(std::max({p_.hidden, p_.ffn, p_.keys()}));
    return compare_normwise(ref_, got, 128.0, L, u, "block output");
  }

  void enqueue() override {
    auto* X = bufs_[0].handle();
    auto* Wq = bufs_[1].handle();
    auto* Wk = bufs_[2].handle();
    auto* Wv = bufs_[3].handle();
    auto* Wo = bufs_[4].handle();
    auto* W1 = bufs_[5].handle();
    auto* W2 = bufs_[6].handle();
    auto* G1 = bufs_[7].handle();
    auto* G2 = bufs_[8].handle();
    auto* B1 = bufs_[9].handle();
    auto* B2 = bufs_[10].handle();
    if (p_.model == Model::Bert) {
      launch(k_hh_, {X, Wq, q_.handle()});
      launch(k_hh_, {X, Wk, k_.handle()});
      launch(k_hh_, {X, Wv, v_.handle()});
      launch(k_att_, {q_.handle(), k_.handle(), v_.handle(), a_.handle()});
      launch(k_hh_, {a_.handle(), Wo, p_buf_.handle()});
      launch(k_add_, {X, p_buf_.handle(), r1_.handle()});
      launch(k_ln_, {r1_.handle(), G1, B1, n1_.handle(), mean1_.handle(), rstd1_.handle()});
      launch(k_h4_, {n1_.handle(), W1, f_.handle()});
      launch(k_gelu_, {f_.handle(), g_.handle()});
      launch(k_4h_, {g_.handle(), W2, f2_.handle()});
      launch(k_add_, {n1_.handle(), f2_.handle(), r2_.handle()});
      launch(k_ln_, {r2_.handle(), G2, B2, y_.handle(), mean2_.handle(), rstd2_.handle()});
    } else {
      launch(k_ln_, {X, G1, B1, ln0_.handle(), mean0_.handle(), rstd0_.handle()});
      launch(k_hh_, {ln0_.handle(), Wq, q_.handle()});
      launch(k_cache_, {ln0_.handle(), Wk, k_.handle()});
      launch(k_cache_, {ln0_.handle(), Wv, v_.handle()});
      launch(k_att_, {q_.handle(), k_.handle(), v_.handle(), a_.handle()});
      launch(k_hh_, {a_.handle(), Wo, p_buf_.handle()});
      launch(k_add_, {X, p_buf_.handle(), r1_.handle()});
      launch(k_ln_, {r1_.handle(), G2, B2, n1_.handle(), mean1_.handle(), rstd1_.handle()});
      launch(k_h4_, {n1_.handle(), W1, f_.handle()});
      launch(k_gelu_, {f_.handle(), g_.handle()});
      launch(k_4h_, {g_.handle(), W2, f2_.handle()});
      launch(k_add_, {r1_.handle(), f2_.handle(), y_.handle()});
    }
  }

  Work work() const override {
    const auto T = static_cast<double>(p_.tokens()), Hd = static_cast<double>(p_.hidden),
               F = static_cast<double>(p_.ffn), B = static_cast<double>(p_.batch);
    const double pairs = reference::attention_visible_pairs(attention_params());
    const double gemm = 2.0 * T * Hd * (4.0 * Hd + 2.0 * F);
    const double att = 4.0 * B * Hd * pairs;  // heads * head_dim = hidden
    double bytes = 4.0 * (4.0 * Hd * Hd + 2.0 * Hd * F + 2.0 * T * Hd);
    if (p_.model == Model::GptDecode) bytes += 4.0 * 2.0 * B * static_cast<double>(p_.keys()) * Hd;
    // A server run's figure is its sustained rate, not a rate per latency.
    if (p_.scenario == Scenario::Server) return {};
    return {.flop = gemm + att, .bytes = bytes, .items = B};
  }

  TimingPlan timing_plan() const override {
    if (p_.scenario == Scenario::SingleStream)
      return {.iterations_per_sample = 1, .samples = static_cast<int>(p_.queries)};
    return {};
  }

  nlohmann::json details() const override {
    std::string impl;
    for (const Kernel* k : {&k_hh_, &k_h4_, &k_att_}) {
      const std::string info = dev_ ? dev_->kernel_info(*k) : std::string();
      if (!info.empty() && impl.find(info) == std::string::npos)
        impl += (impl.empty() ? "" : "; ") + info;
    }
    nlohmann::json d = {{"implementation", impl},
                        {"scenario", scenario_name(p_.scenario)},
                        {"tokens_per_sample", p_.model == Model::Bert ? p_.seq : 1}};
    return d;
  }

  std::optional<Measurement> measure(int repetitions, double min_time_s) override {
    (void)repetitions, (void)min_time_s;
    if (p_.scenario != Scenario::Server) return std::nullopt;
    return serve();
  }

 private:
  using Clock = std::chrono::steady_clock;

  cc_attention_params attention_params() const {
    cc_attention_params a{};
    a.batch = p_.batch;
    a.heads = p_.heads;
    a.seq_q = p_.model == Model::Bert ? p_.seq : 1;
    a.seq_kv = p_.keys();
    a.head_dim = p_.head_dim();
    a.causal = 0;
    a.layout = CC_ATTN_BSHD;
    a.scale = 1.0 / std::sqrt(static_cast<double>(p_.head_dim()));
    return a;
  }

  Buffer upload(const HostTensor& t) {
    Buffer b = dev_->alloc(t.bytes.size());
    dev_->write(b, t.bytes.data(), t.bytes.size());
    return b;
  }
  void launch(Kernel& k, std::initializer_list<cc_buffer*> args) {
    dev_->launch(k, std::span<cc_buffer* const>(args.begin(), args.size()));
  }

  /// One query, enqueue to completion, in seconds.
  double one_query() {
    const auto t0 = Clock::now();
    enqueue();
    dev_->synchronize();
    return std::chrono::duration<double>(Clock::now() - t0).count();
  }

  /// Poisson arrivals at `rate` per second, served in order, in real time.
  /// Returns each query's latency (completion minus arrival).
  std::vector<double> run_at(double rate, uint64_t probe) {
    std::vector<double> latency;
    latency.reserve(static_cast<size_t>(p_.queries));
    const auto start = Clock::now();
    double arrival = 0;  // seconds after start
    for (int64_t i = 0; i < p_.queries; ++i) {
      // Exponential gaps from the seeded uniform stream (u in (0, 1]).
      const double u = 0.5 * (1.0 - random_uniform(seed_, 150 + probe, static_cast<uint64_t>(i)));
      arrival += -std::log(u) / rate;
      const auto due = start + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(arrival));
      if (Clock::now() < due) std::this_thread::sleep_until(due);
      enqueue();
      dev_->synchronize();
      latency.push_back(std::chrono::duration<double>(Clock::now() - start).count() - arrival);
    }
    return latency;
  }

  Measurement serve() {
    // Service time at no load: the median of a short single-stream run.
    std::vector<double> service;
    for (int i = 0; i < 21; ++i) service.push_back(one_query());
    const double t_service = percentile(service, 0.5);
    const double max_rate = 1.0 / t_service;
    double lo = 0, hi = 1;  // fractions of max_rate: lo met the bound, hi did not (or is the cap)
    std::vector<double> best;
    double best_rate = 0;
    nlohmann::json probes = nlohmann::json::array();
    // The cap itself first: a device far inside the bound needs no search.
    for (int64_t step = 0; step < p_.search_steps; ++step) {
      const double f = step == 0 ? 1.0 : 0.5 * (lo + hi);
      const double rate = f * max_rate;
      std::vector<double> lat = run_at(rate, static_cast<uint64_t>(step));
      const double p99 = percentile(lat, 0.99);
      const bool met = p99 <= p_.latency_bound_s;
      probes.push_back({{"rate_qps", rate}, {"p99_s", p99}, {"met_bound", met}});
      if (met) {
        lo = f;
        if (rate > best_rate) best_rate = rate, best = std::move(lat);
        if (step == 0) break;
      } else {
        hi = f;
      }
    }
    Measurement m;
    m.iterations = 1;
    nlohmann::json d = {{"scenario", "server"},
                        {"latency_bound_s", p_.latency_bound_s},
                        {"queries_per_probe", p_.queries},
                        {"service_time_s", t_service},
                        {"max_rate_qps", best_rate},
                        {"probes", std::move(probes)}};
    if (best.empty()) {
      // No probed rate met the bound: the latencies of the slowest probe stand
      // as the samples, and the figure is 0 queries/s.
      best = run_at(lo > 0 ? lo * max_rate : 0.05 * max_rate, 99);
      d["note"] = "no probed rate kept p99 within the bound";
    }
    d["p50_s"] = percentile(best, 0.5);
    d["p90_s"] = percentile(best, 0.9);
    d["p99_s"] = percentile(best, 0.99);
    m.samples = std::move(best);
    m.details = std::move(d);
    return m;
  }

  /// The block forward in fp64 from the rounded inputs.
  std::vector<double> reference_forward() const {
    const int64_t T = p_.tokens(), Hd = p_.hidden, F = p_.ffn, B = p_.batch;
    const auto sz = [](int64_t a, int64_t b) { return static_cast<size_t>(a * b); };
    cc_rows_params ln{};
    ln.rows = T;
    ln.cols = Hd;
    ln.eps = p_.eps;
    std::vector<double> mean(sz(T, 1)), rstd(sz(T, 1));
    auto layernorm = [&](const std::vector<double>& in, const HostTensor& g, const HostTensor& b) {
      std::vector<double> out(in.size());
      reference::layernorm_f64(ln, in, g.values, b.values, out, mean, rstd);
      return out;
    };
    auto gemm = [&](const std::vector<double>& a, const HostTensor& w, int64_t n, int64_t k) {
      std::vector<double> c(sz(static_cast<int64_t>(a.size()) / k, n));
      reference::gemm_f64(static_cast<int64_t>(a.size()) / k, n, k, a, w.values, c);
      return c;
    };
    auto add = [](std::vector<double> a, const std::vector<double>& b) {
      for (size_t i = 0; i < a.size(); ++i) a[i] += b[i];
      return a;
    };
    auto ffn = [&](const std::vector<double>& in) {
      std::vector<double> f = gemm(in, w1_, F, Hd), g(f.size());
      reference::gelu_f64(f, g);
      return gemm(g, w2_, Hd, F);
    };
    const cc_attention_params ap = attention_params();
    std::vector<double> a(sz(T, Hd));
    if (p_.model == Model::Bert) {
      const std::vector<double> q = gemm(x_.values, wq_, Hd, Hd), k = gemm(x_.values, wk_, Hd, Hd),
                                v = gemm(x_.values, wv_, Hd, Hd);
      reference::attention_f64(ap, q, k, v, a, {}, {}, {});
      const std::vector<double> n1 = layernorm(add(x_.values, gemm(a, wo_, Hd, Hd)), g1_, b1_);
      return layernorm(add(n1, ffn(n1)), g2_, b2_);
    }
    const std::vector<double> n0 = layernorm(x_.values, g1_, b1_);
    const std::vector<double> q = gemm(n0, wq_, Hd, Hd), kn = gemm(n0, wk_, Hd, Hd),
                              vn = gemm(n0, wv_, Hd, Hd);
    std::vector<double> kc = kc_init_.values, vc = vc_init_.values;
    const auto row = static_cast<size_t>((p_.context + 1) * Hd);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t e = 0; e < Hd; ++e) {
        kc[static_cast<size_t>(b) * row + static_cast<size_t>(e)] = kn[sz(b, Hd) + size_t(e)];
        vc[static_cast<size_t>(b) * row + static_cast<size_t>(e)] = vn[sz(b, Hd) + size_t(e)];
      }
    reference::attention_f64(ap, q, kc, vc, a, {}, {}, {});
    const std::vector<double> r1 = add(x_.values, gemm(a, wo_, Hd, Hd));
    return add(r1, ffn(layernorm(r1, g2_, b2_)));
  }

  BlockParams p_;
  Device* dev_ = nullptr;
  uint64_t seed_ = 0;
  HostTensor x_, wq_, wk_, wv_, wo_, w1_, w2_, g1_, g2_, b1_, b2_, kc_init_, vc_init_;
  size_t cache_len_ = 0;
  std::vector<Buffer> bufs_;  // x, wq, wk, wv, wo, w1, w2, g1, g2, b1, b2
  Buffer q_, k_, v_, ln0_, mean0_, rstd0_, a_, p_buf_, r1_, n1_, mean1_, rstd1_, f_, g_, f2_, r2_,
      y_, mean2_, rstd2_;
  Kernel k_hh_, k_cache_, k_h4_, k_4h_, k_att_, k_ln_, k_add_, k_gelu_;
  std::vector<float> poison_;
  std::vector<double> ref_;
};

class BlockWorkload final : public Workload {
 public:
  explicit BlockWorkload(Model m) : model_(m) {}
  std::string_view name() const override {
    return model_ == Model::Bert ? "bert_block" : "gpt_decode";
  }
  std::string_view category() const override { return "inference"; }
  std::string_view description() const override {
    return model_ == Model::Bert
               ? "BERT-like transformer encoder layer forward (QKV, attention, output "
                 "projection, residuals, layer norms, GELU FFN) in the single_stream, offline or "
                 "server scenario"
               : "GPT-like decoder layer generating one token per sequence against a KV cache "
                 "(pre-LN, projections write the cache slot) in the single_stream, offline or "
                 "server scenario";
  }
  std::string label(const nlohmann::json& p) const override {
    BlockParams b;
    try {
      b = parse(p);
    } catch (const SpecError&) {
      return Workload::label(p);
    }
    std::ostringstream s;
    s << scenario_name(b.scenario) << "_b" << b.batch << "_"
      << (model_ == Model::Bert ? "s" + std::to_string(b.seq) : "ctx" + std::to_string(b.context))
      << "_h" << b.hidden << "_heads" << b.heads << "_ffn" << b.ffn;
    if (b.scenario == Scenario::Server) s << "_p99le" << b.latency_bound_s * 1e3 << "ms";
    return s.str();
  }
  std::unique_ptr<Instance> instantiate(const CaseSpec& spec) const override {
    check_known_params(spec.parameters,
                       {"scenario", "batch", "seq", "context", "hidden", "heads", "ffn", "queries",
                        "search_steps", "latency_bound_ms"},
                       name());
    require_dtype(name(), spec.dtype, {CC_DTYPE_F32});
    return std::make_unique<BlockInstance>(parse(spec.parameters));
  }

 private:
  BlockParams parse(const nlohmann::json& p) const {
    const std::string n(name());
    BlockParams b;
    b.model = model_;
    const std::string sc = p.contains("scenario") && p["scenario"].is_string()
                               ? p["scenario"].get<std::string>()
                               : (p.contains("scenario") ? "" : "offline");
    if (sc == "single_stream")
      b.scenario = Scenario::SingleStream;
    else if (sc == "offline")
      b.scenario = Scenario::Offline;
    else if (sc == "server")
      b.scenario = Scenario::Server;
    else
      throw SpecError(n +
                      ": parameter \"scenario\": expected \"single_stream\", \"offline\" or "
                      "\"server\", found " +
                      p["scenario"].dump());
    b.hidden = param_int(p, "hidden", 768, 1, 1 << 16);
    b.heads = param_int(p, "heads", 12, 1, 1 << 10);
    if (b.hidden % b.heads != 0)
      throw SpecError(n + ": parameter \"heads\": expected a divisor of \"hidden\" (" +
                      std::to_string(b.hidden) + "), found " + std::to_string(b.heads));
    b.ffn = param_int(p, "ffn", 4 * b.hidden, 1, 1 << 18);
    b.seq = param_int(p, "seq", 128, 1, 1 << 16);
    b.context = param_int(p, "context", 512, 0, 1 << 20);
    if (model_ == Model::Bert && p.contains("context"))
      throw SpecError(n + ": parameter \"context\": only gpt_decode has a KV cache; use \"seq\"");
    if (model_ == Model::GptDecode && p.contains("seq"))
      throw SpecError(n +
                      ": parameter \"seq\": a decode step has one query token; use \"context\"");
    const bool one_query = b.scenario != Scenario::Offline;
    b.batch = param_int(p, "batch", one_query ? 1 : 8, 1, 1 << 16);
    if (one_query && b.batch != 1)
      throw SpecError(n + ": parameter \"batch\": the " + scenario_name(b.scenario) +
                      " scenario issues one sample per query, so batch must be 1");
    b.queries = param_int(p, "queries", 200, 10, 1 << 20);
    if (!one_query && p.contains("queries"))
      throw SpecError(n +
                      ": parameter \"queries\": the offline scenario is timed adaptively; "
                      "\"queries\" belongs to single_stream and server");
    b.search_steps = param_int(p, "search_steps", 6, 1, 30);
    if (b.scenario == Scenario::Server) {
      const double ms = param_number(p, "latency_bound_ms", std::nullopt);
      if (!(ms > 0 && std::isfinite(ms)))
        throw SpecError(n + ": parameter \"latency_bound_ms\": expected a number > 0");
      b.latency_bound_s = ms * 1e-3;
    } else if (p.contains("latency_bound_ms") || p.contains("search_steps")) {
      throw SpecError(n +
                      ": parameters \"latency_bound_ms\" and \"search_steps\" belong to the "
                      "server scenario");
    }
    return b;
  }

  Model model_;
};

}  // namespace

const Workload& transformer_block_workload(bool decode) {
  static const BlockWorkload bert(Model::Bert), gpt(Model::GptDecode);
  return decode ? gpt : bert;
}

}  // namespace chipcert::workloads
