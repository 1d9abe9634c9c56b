// Training: one transformer layer (pre-LN, causal multi-head attention, GELU
// FFN) with a classifier head, forward + backward + AdamW, on synthetic token
// sequences, trained until the loss falls below a stated target.
//
// Model, for one sequence of S tokens x (S x H, H = hidden, heads of width d):
//   N1 = LN1(x); Q, K, V = N1 Wq, N1 Wk, N1 Wv
//   per head: P = softmax(Q_h K_h^T / sqrt(d), causal); O_h = P V_h
//   R = x + O Wo; N2 = LN2(R); Y = R + GELU(N2 W1) W2; logits = Y Wout
//   loss = mean softmax cross-entropy against the labels.
// Q, K, V and O live transposed on the device (H x S, head h = rows h*d..):
// then every per-head product is a plain strided batched GEMM over heads
// (batch stride d*S) and every projection one GEMM with transposes, so no
// transpose or gather kernel is needed and each head's block is contiguous.
// One step is 50 kernels: 16 forward, 23 backward (attention backward through
// softmax backward, both layer-norm backwards, dN1 accumulated with beta = 1
// over the three projections), 11 AdamW (seven matrices, two LN gains and
// biases).
//
// Data: `sequences` sequences of S tokens, x uniform in [-1, 1); label of
// token t = argmax(x_t T) for a fixed seeded "teacher" T (H x C), learnable,
// never constant. Weights uniform/sqrt(fan-in), LN gamma 1, beta 0 (streams
// 160-170). items = S tokens per step.
//
// FLOP per step: the GEMMs, forward 2*S*H*(4H + 2F + C) + 4*H*pairs (pairs:
// visible (query, key) pairs of the causal mask, per head width d summed over
// heads gives H), backward twice that (dX and dW of every product). Element-
// wise work is not counted.
//
// Verification (before and after timing): one forward + backward from the
// seeded state against an fp64 reference of the same chain; the loss and the
// gradients of Wq, Wo, W1, Wout and LN1's gain are compared normwise:
//   |x - ref| <= 256 * sqrt(L) * u * max|ref| + 2u|ref|,  L = max(S, H, F, C)
// (the chain to dWq is about twelve dependent reductions, each with Higham &
// Mary's sqrt(L) growth and a safety factor; a wrong kernel is an
// O(max|ref|) error). After timing the case fails when the loss did not fall
// below `target_loss` within `max_steps`.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

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

struct LayerParams {
  int64_t seq, hidden, heads, ffn, classes, sequences, max_steps;
  double target_loss, lr, weight_decay;
  int64_t head_dim() const { return hidden / heads; }
};

cc_op_desc gemm(int64_t m, int64_t n, int64_t k, bool ta, bool tb, double beta = 0,
                int64_t batch = 1, int64_t sa = 0, int64_t sb = 0, int64_t sc = 0) {
  return dense_gemm_desc(CC_DTYPE_F32, m, n, k, ta, tb, beta, batch, sa, sb, sc);
}

// ---- fp64 reference helpers (row-major) -------------------------------------------

using Mat = std::vector<double>;

Mat transpose(const Mat& a, int64_t r, int64_t c) {
  Mat t(a.size());
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j) t[size_t(j * r + i)] = a[size_t(i * c + j)];
  return t;
}
/// (m x k)(k x n).
Mat mul(const Mat& a, const Mat& b, int64_t m, int64_t n, int64_t k) {
  Mat c(size_t(m * n));
  reference::gemm_f64(m, n, k, a, b, c);
  return c;
}
Mat plus(Mat a, const Mat& b) {
  for (size_t i = 0; i < a.size(); ++i) a[i] += b[i];
  return a;
}

class LayerTrainInstance final : public Instance {
 public:
  explicit LayerTrainInstance(LayerParams p) : p_(p) {}

  void setup(Device& dev, uint64_t seed) override {
    dev_ = &dev;
    const int64_t S = p_.seq, H = p_.hidden, F = p_.ffn, C = p_.classes, d = p_.head_dim(),
                  nh = p_.heads;
    const auto n = [](int64_t a, int64_t b) { return size_t(a * b); };
    const HostTensor teacher = random_tensor(CC_DTYPE_F64, n(H, C), seed, 160);
    for (int64_t s = 0; s < p_.sequences; ++s) {
      HostTensor x = make_tensor(CC_DTYPE_F32, n(S, H), [&](size_t i) {
        return random_uniform(seed, 161, uint64_t(s) * n(S, H) + i);
      });
      std::vector<double> y(static_cast<size_t>(S));
      for (int64_t t = 0; t < S; ++t) {
        int64_t best = 0;
        double best_v = -1e300;
        for (int64_t c = 0; c < C; ++c) {
          double v = 0;
          for (int64_t i = 0; i < H; ++i)
            v += x.values[n(t, H) + size_t(i)] * teacher.values[n(i, C) + size_t(c)];
          if (v > best_v) best_v = v, best = c;
        }
        y[size_t(t)] = double(best);
      }
      Sequence sq{std::move(x), encode(CC_DTYPE_I32, y), {}, {}};
      sq.x_buf = upload(sq.x);
      sq.y_buf = upload(sq.y);
      data_.push_back(std::move(sq));
    }
    // Parameters: Wq, Wk, Wv, Wo, W1, W2, Wout, g1, b1, g2, b2.
    const double sh = 1 / std::sqrt(double(H)), sf = 1 / std::sqrt(double(F));
    const struct {
      int64_t rows, cols;
      double scale, fill;  // scale 0: constant `fill` (LN gain 1, bias 0)
    } shapes[kParams] = {{H, H, sh, 0}, {H, H, sh, 0}, {H, H, sh, 0}, {H, H, sh, 0},
                         {H, F, sh, 0}, {F, H, sf, 0}, {H, C, sh, 0}, {1, H, 0, 1},
                         {1, H, 0, 0},  {1, H, 0, 1},  {1, H, 0, 0}};
    for (int i = 0; i < kParams; ++i) {
      const auto& s = shapes[i];
      init_[i] = make_tensor(CC_DTYPE_F32, n(s.rows, s.cols), [&](size_t e) {
        return s.scale == 0 ? s.fill : s.scale * random_uniform(seed, 162 + uint64_t(i), e);
      });
      zeros_[i] = encode(CC_DTYPE_F32, std::vector<double>(init_[i].values.size(), 0.0));
      w_[i] = upload(init_[i]);
      m_[i] = upload(zeros_[i]);
      v_[i] = upload(zeros_[i]);
      g_[i] = dev.alloc(init_[i].bytes.size());
    }
    auto act = [&](int64_t r, int64_t c) { return dev.alloc(n(r, c) * 4); };
    n1_ = act(S, H), qt_ = act(H, S), kt_ = act(H, S), vt_ = act(H, S), sc_ = act(nh * S, S),
    p_buf_ = act(nh * S, S), ot_ = act(H, S), a_ = act(S, H), r_ = act(S, H), n2_ = act(S, H),
    f1_ = act(S, F), ge_ = act(S, F), f2_ = act(S, H), y_ = act(S, H), logits_ = act(S, C);
    mean1_ = act(S, 1), rstd1_ = act(S, 1), mean2_ = act(S, 1), rstd2_ = act(S, 1);
    loss_ = act(1, 1), dlogits_ = act(S, C), dy_ = act(S, H), dge_ = act(S, F), df1_ = act(S, F),
    dn2_ = act(S, H), dr2_ = act(S, H), dr_ = act(S, H), dot_ = act(H, S), dp_ = act(nh * S, S),
    dsc_ = act(nh * S, S), dqt_ = act(H, S), dkt_ = act(H, S), dvt_ = act(H, S), dn1_ = act(S, H),
    dx_ = act(S, H);

    const int64_t hs = d * S, ss = S * S;
    k_proj_t_ = dev.prepare(gemm(H, S, H, true, true));  // Q^T = Wq^T N1^T
    k_scores_ = dev.prepare(gemm(S, S, d, true, false, 0, nh, hs, hs, ss));
    cc_op_desc sm = make_op(CC_OP_SOFTMAX, CC_DTYPE_F32, CC_DTYPE_F32);
    sm.u.rows.rows = nh * S;
    sm.u.rows.cols = S;
    sm.u.rows.scale = 1 / std::sqrt(double(d));
    sm.u.rows.causal = 1;
    sm.u.rows.seq_q = S;
    k_softmax_ = dev.prepare(sm);
    k_pv_ = dev.prepare(gemm(d, S, S, false, true, 0, nh, hs, ss, hs));  // O^T_h = V^T_h P_h^T
    k_wo_ = dev.prepare(gemm(S, H, H, true, false));                     // A = (O^T)^T Wo
    cc_op_desc add = make_op(CC_OP_ADD, CC_DTYPE_F32, CC_DTYPE_F32);
    add.u.eltwise.n = S * H;
    k_add_ = dev.prepare(add);
    cc_op_desc ln = make_op(CC_OP_LAYERNORM, CC_DTYPE_F32, CC_DTYPE_F32);
    ln.u.rows.rows = S;
    ln.u.rows.cols = H;
    ln.u.rows.eps = 1e-5;
    k_ln_ = dev.prepare(ln);
    k_w1_ = dev.prepare(gemm(S, F, H, false, false));
    cc_op_desc gelu = make_op(CC_OP_GELU, CC_DTYPE_F32, CC_DTYPE_F32);
    gelu.u.eltwise.n = S * F;
    k_gelu_ = dev.prepare(gelu);
    k_w2_ = dev.prepare(gemm(S, H, F, false, false));
    k_out_ = dev.prepare(gemm(S, C, H, false, false));
    cc_op_desc xent = make_op(CC_OP_SOFTMAX_XENT, CC_DTYPE_F32, CC_DTYPE_F32);
    xent.u.rows.rows = S;
    xent.u.rows.cols = C;
    xent.u.rows.scale = 1.0;
    xent.u.rows.seq_q = 1;
    k_xent_ = dev.prepare(xent);
    // Backward.
    k_dwout_ = dev.prepare(gemm(H, C, S, true, false));  // Y^T dlogits
    k_dy_ = dev.prepare(gemm(S, H, C, false, true));     // dlogits Wout^T
    k_dw2_ = dev.prepare(gemm(F, H, S, true, false));    // G^T dY
    k_dge_ = dev.prepare(gemm(S, F, H, false, true));    // dY W2^T
    cc_op_desc gb = make_op(CC_OP_GELU_BACKWARD, CC_DTYPE_F32, CC_DTYPE_F32);
    gb.u.eltwise.n = S * F;
    k_gelu_b_ = dev.prepare(gb);
    k_dw1_ = dev.prepare(gemm(H, F, S, true, false));  // N2^T dF1
    k_dn2_ = dev.prepare(gemm(S, H, F, false, true));  // dF1 W1^T
    cc_op_desc lnb = ln;
    lnb.kind = CC_OP_LAYERNORM_BACKWARD;
    k_ln_b_ = dev.prepare(lnb);
    k_dwo_ = dev.prepare(gemm(H, H, S, false, false));                     // O^T dA
    k_dot_ = dev.prepare(gemm(H, S, H, false, true));                      // Wo dA^T
    k_dp_ = dev.prepare(gemm(S, S, d, true, false, 0, nh, hs, hs, ss));    // dO_h V_h^T
    k_dvt_ = dev.prepare(gemm(d, S, S, false, false, 0, nh, hs, ss, hs));  // dO^T_h P_h
    cc_op_desc smb = make_op(CC_OP_SOFTMAX_BACKWARD, CC_DTYPE_F32, CC_DTYPE_F32);
    smb.u.rows = sm.u.rows;
    k_softmax_b_ = dev.prepare(smb);
    k_dqt_ = dev.prepare(gemm(d, S, S, false, true, 0, nh, hs, ss, hs));   // K^T_h dSc_h^T
    k_dkt_ = dev.prepare(gemm(d, S, S, false, false, 0, nh, hs, ss, hs));  // Q^T_h dSc_h
    k_dw_ = dev.prepare(gemm(H, H, S, true, true));                        // N1^T (dQ^T)^T
    k_dn1_ = dev.prepare(gemm(S, H, H, true, true));                       // (dQ^T)^T Wq^T
    k_dn1_acc_ = dev.prepare(gemm(S, H, H, true, true, 1.0));
    for (int64_t s = 1; s <= p_.max_steps; ++s)
      for (int i = 0; i < kParams; ++i) {
        cc_op_desc op = make_op(CC_OP_ADAMW, CC_DTYPE_F32, CC_DTYPE_F32);
        op.u.adamw = {.n = int64_t(init_[i].values.size()),
                      .step = s,
                      .lr = p_.lr,
                      .beta1 = 0.9,
                      .beta2 = 0.999,
                      .eps = 1e-8,
                      .weight_decay = i < 7 ? p_.weight_decay : 0.0};  // no decay on LN
        adamw_.push_back(dev.prepare(op));
      }
  }

  VerifyResult verify() override {
    reset_state();
    forward_backward(data_.front());
    dev_->synchronize();
    float loss = 0;
    dev_->read(loss_, &loss, 4);
    if (ref_grad_[Wq].empty()) compute_reference();
    const double u = unit_roundoff(CC_DTYPE_F32);
    const double L = double(std::max({p_.seq, p_.hidden, p_.ffn, p_.classes}));
    auto check = [&](const Mat& ref, const Mat& got, const char* what) {
      return compare_normwise(ref, got, 256.0, L, u, what);
    };
    std::vector<VerifyResult> parts;
    parts.push_back(check(Mat{ref_loss_}, Mat{double(loss)}, "loss"));
    for (const auto& [index, name] : kChecked)
      parts.push_back(check(ref_grad_[index], read(g_[index], ref_grad_[index].size()), name));
    VerifyResult v = merge(std::move(parts));
    fail_unless_converged(v, trained_ ? &*trained_ : nullptr, p_.max_steps, p_.target_loss);
    return v;
  }

  void enqueue() override { step(1); }

  Work work() const override {
    const double S = double(p_.seq), H = double(p_.hidden), F = double(p_.ffn),
                 C = double(p_.classes);
    cc_attention_params a{};
    a.seq_q = a.seq_kv = p_.seq;
    a.causal = 1;
    const double pairs = reference::attention_visible_pairs(a);
    const double forward = 2.0 * S * H * (4.0 * H + 2.0 * F + C) + 4.0 * H * pairs;
    double params = 0;
    for (const HostTensor& t : init_) params += double(t.values.size());
    return {.flop = 3.0 * forward, .bytes = 4.0 * (S * H + 2.0 * params), .items = S};
  }

  nlohmann::json details() const override {
    std::string impl;
    for (const Kernel* k : {&k_proj_t_, &k_scores_, &k_w1_}) {
      const std::string info = dev_ ? dev_->kernel_info(*k) : std::string();
      if (!info.empty() && impl.find(info) == std::string::npos)
        impl += (impl.empty() ? "" : "; ") + info;
    }
    return {{"implementation", impl}, {"tokens_per_step", p_.seq}};
  }

  std::optional<Measurement> measure(int repetitions, double min_time_s) override {
    (void)min_time_s;  // a training run is as long as it takes to converge
    const auto read_loss = [this] {
      float loss = 0;
      dev_->read(loss_, &loss, 4);  // 4 bytes, no allocation in the timed loop
      return double(loss);
    };
    trained_ = train_to_target(
        *dev_, {[this] { reset_state(); }, [this](int64_t s) { step(s); }, read_loss}, repetitions,
        p_.max_steps, p_.target_loss);
    return trained_->measurement;
  }

 private:
  static constexpr int kParams = 11;
  enum { Wq, Wk, Wv, Wo, W1, W2, Wout, G1, B1, G2, B2 };
  static constexpr std::pair<int, const char*> kChecked[] = {
      {Wq, "dWq"}, {Wo, "dWo"}, {W1, "dW1"}, {Wout, "dWout"}, {G1, "dgamma1"}};

  struct Sequence {
    HostTensor x, y;
    Buffer x_buf, y_buf;
  };

  Buffer upload(const HostTensor& t) {
    Buffer b = dev_->alloc(t.bytes.size());
    dev_->write(b, t.bytes.data(), t.bytes.size());
    return b;
  }
  Mat read(Buffer& b, size_t n) {
    std::vector<float> f(n);
    dev_->read(b, f.data(), n * 4);
    return Mat(f.begin(), f.end());
  }
  void reset_state() {
    for (int i = 0; i < kParams; ++i) {
      dev_->write(w_[i], init_[i].bytes.data(), init_[i].bytes.size());
      dev_->write(m_[i], zeros_[i].bytes.data(), zeros_[i].bytes.size());
      dev_->write(v_[i], zeros_[i].bytes.data(), zeros_[i].bytes.size());
    }
  }
  void launch(Kernel& k, std::initializer_list<cc_buffer*> args) {
    dev_->launch(k, std::span<cc_buffer* const>(args.begin(), args.size()));
  }
  cc_buffer* w(int i) { return w_[i].handle(); }
  cc_buffer* g(int i) { return g_[i].handle(); }

  void forward_backward(Sequence& sq) {
    cc_buffer* x = sq.x_buf.handle();
    // Forward.
    launch(k_ln_, {x, w(G1), w(B1), n1_.handle(), mean1_.handle(), rstd1_.handle()});
    launch(k_proj_t_, {w(Wq), n1_.handle(), qt_.handle()});
    launch(k_proj_t_, {w(Wk), n1_.handle(), kt_.handle()});
    launch(k_proj_t_, {w(Wv), n1_.handle(), vt_.handle()});
    launch(k_scores_, {qt_.handle(), kt_.handle(), sc_.handle()});
    launch(k_softmax_, {sc_.handle(), p_buf_.handle()});
    launch(k_pv_, {vt_.handle(), p_buf_.handle(), ot_.handle()});
    launch(k_wo_, {ot_.handle(), w(Wo), a_.handle()});
    launch(k_add_, {x, a_.handle(), r_.handle()});
    launch(k_ln_, {r_.handle(), w(G2), w(B2), n2_.handle(), mean2_.handle(), rstd2_.handle()});
    launch(k_w1_, {n2_.handle(), w(W1), f1_.handle()});
    launch(k_gelu_, {f1_.handle(), ge_.handle()});
    launch(k_w2_, {ge_.handle(), w(W2), f2_.handle()});
    launch(k_add_, {r_.handle(), f2_.handle(), y_.handle()});
    launch(k_out_, {y_.handle(), w(Wout), logits_.handle()});
    launch(k_xent_, {logits_.handle(), sq.y_buf.handle(), loss_.handle(), dlogits_.handle()});
    // Backward: head, FFN, LN2, residual.
    launch(k_dwout_, {y_.handle(), dlogits_.handle(), g(Wout)});
    launch(k_dy_, {dlogits_.handle(), w(Wout), dy_.handle()});
    launch(k_dw2_, {ge_.handle(), dy_.handle(), g(W2)});
    launch(k_dge_, {dy_.handle(), w(W2), dge_.handle()});
    launch(k_gelu_b_, {f1_.handle(), dge_.handle(), df1_.handle()});
    launch(k_dw1_, {n2_.handle(), df1_.handle(), g(W1)});
    launch(k_dn2_, {df1_.handle(), w(W1), dn2_.handle()});
    launch(k_ln_b_, {r_.handle(), w(G2), mean2_.handle(), rstd2_.handle(), dn2_.handle(),
                     dr2_.handle(), g(G2), g(B2)});
    launch(k_add_, {dy_.handle(), dr2_.handle(), dr_.handle()});
    // Attention.
    launch(k_dwo_, {ot_.handle(), dr_.handle(), g(Wo)});
    launch(k_dot_, {w(Wo), dr_.handle(), dot_.handle()});
    launch(k_dp_, {dot_.handle(), vt_.handle(), dp_.handle()});
    launch(k_dvt_, {dot_.handle(), p_buf_.handle(), dvt_.handle()});
    launch(k_softmax_b_, {p_buf_.handle(), dp_.handle(), dsc_.handle()});
    launch(k_dqt_, {kt_.handle(), dsc_.handle(), dqt_.handle()});
    launch(k_dkt_, {qt_.handle(), dsc_.handle(), dkt_.handle()});
    launch(k_dw_, {n1_.handle(), dqt_.handle(), g(Wq)});
    launch(k_dw_, {n1_.handle(), dkt_.handle(), g(Wk)});
    launch(k_dw_, {n1_.handle(), dvt_.handle(), g(Wv)});
    launch(k_dn1_, {dqt_.handle(), w(Wq), dn1_.handle()});
    launch(k_dn1_acc_, {dkt_.handle(), w(Wk), dn1_.handle()});
    launch(k_dn1_acc_, {dvt_.handle(), w(Wv), dn1_.handle()});
    launch(k_ln_b_,
           {x, w(G1), mean1_.handle(), rstd1_.handle(), dn1_.handle(), dx_.handle(), g(G1), g(B1)});
  }

  void step(int64_t s) {
    forward_backward(data_[size_t((s - 1) % p_.sequences)]);
    const auto at = size_t(std::clamp<int64_t>(s, 1, p_.max_steps) - 1) * kParams;
    for (int i = 0; i < kParams; ++i)
      launch(adamw_[at + size_t(i)], {w(i), g(i), m_[i].handle(), v_[i].handle()});
  }

  /// fp64 forward + backward of the first sequence from the seeded state.
  void compute_reference() {
    const int64_t S = p_.seq, H = p_.hidden, F = p_.ffn, C = p_.classes, d = p_.head_dim(),
                  nh = p_.heads;
    const Mat& x = data_.front().x.values;
    auto W = [&](int i) -> const Mat& { return init_[i].values; };
    cc_rows_params ln{};
    ln.rows = S;
    ln.cols = H;
    ln.eps = 1e-5;
    Mat mean1(static_cast<size_t>(S)), rstd1(static_cast<size_t>(S)), mean2(static_cast<size_t>(S)),
        rstd2(static_cast<size_t>(S));
    Mat n1(x.size()), n2(x.size());
    reference::layernorm_f64(ln, x, W(G1), W(B1), n1, mean1, rstd1);
    const Mat q = mul(n1, W(Wq), S, H, H), k = mul(n1, W(Wk), S, H, H), v = mul(n1, W(Wv), S, H, H);
    // Scores per head, [nh*S, S] rows as the device keeps them.
    Mat sc(size_t(nh * S * S)), p(sc.size());
    for (int64_t h = 0; h < nh; ++h)
      for (int64_t i = 0; i < S; ++i)
        for (int64_t j = 0; j < S; ++j) {
          double s = 0;
          for (int64_t e = 0; e < d; ++e)
            s += q[size_t(i * H + h * d + e)] * k[size_t(j * H + h * d + e)];
          sc[size_t((h * S + i) * S + j)] = s;
        }
    cc_rows_params sm{};
    sm.rows = nh * S;
    sm.cols = S;
    sm.scale = 1 / std::sqrt(double(d));
    sm.causal = 1;
    sm.seq_q = S;
    reference::softmax_f64(sm, sc, p);
    Mat o(x.size(), 0.0);
    for (int64_t h = 0; h < nh; ++h)
      for (int64_t i = 0; i < S; ++i)
        for (int64_t j = 0; j < S; ++j) {
          const double pij = p[size_t((h * S + i) * S + j)];
          for (int64_t e = 0; e < d; ++e)
            o[size_t(i * H + h * d + e)] += pij * v[size_t(j * H + h * d + e)];
        }
    const Mat r = plus(x, mul(o, W(Wo), S, H, H));
    reference::layernorm_f64(ln, r, W(G2), W(B2), n2, mean2, rstd2);
    const Mat f1 = mul(n2, W(W1), S, F, H);
    Mat ge(f1.size());
    reference::gelu_f64(f1, ge);
    const Mat y = plus(r, mul(ge, W(W2), S, H, F));
    const Mat logits = mul(y, W(Wout), S, C, H);
    std::vector<int32_t> labels;
    for (double l : data_.front().y.values) labels.push_back(int32_t(l));
    cc_rows_params xr{};
    xr.rows = S;
    xr.cols = C;
    xr.scale = 1;
    xr.seq_q = 1;
    Mat dlogits(logits.size());
    reference::softmax_xent_f64(xr, logits, labels, ref_loss_, dlogits);
    // Backward.
    ref_grad_[Wout] = mul(transpose(y, S, H), dlogits, H, C, S);
    const Mat dy = mul(dlogits, transpose(W(Wout), H, C), S, H, C);
    const Mat dge = mul(dy, transpose(W(W2), F, H), S, F, H);
    Mat df1(dge.size());
    reference::gelu_backward_f64(f1, dge, df1);
    ref_grad_[W1] = mul(transpose(n2, S, H), df1, H, F, S);
    const Mat dn2 = mul(df1, transpose(W(W1), H, F), S, H, F);
    Mat dr2(x.size()), dg2(static_cast<size_t>(H)), db2(static_cast<size_t>(H));
    reference::layernorm_backward_f64(ln, r, W(G2), mean2, rstd2, dn2, dr2, dg2, db2);
    const Mat dr = plus(dy, dr2);
    ref_grad_[Wo] = mul(transpose(o, S, H), dr, H, H, S);
    const Mat dout = mul(dr, transpose(W(Wo), H, H), S, H, H);
    Mat dp(p.size()), dsc(p.size()), dq(x.size(), 0.0), dk(x.size(), 0.0), dv(x.size(), 0.0);
    for (int64_t h = 0; h < nh; ++h)
      for (int64_t i = 0; i < S; ++i)
        for (int64_t j = 0; j < S; ++j) {
          double s = 0;
          for (int64_t e = 0; e < d; ++e)
            s += dout[size_t(i * H + h * d + e)] * v[size_t(j * H + h * d + e)];
          dp[size_t((h * S + i) * S + j)] = s;
          const double pij = p[size_t((h * S + i) * S + j)];
          for (int64_t e = 0; e < d; ++e)
            dv[size_t(j * H + h * d + e)] += pij * dout[size_t(i * H + h * d + e)];
        }
    reference::softmax_backward_f64(sm, p, dp, dsc);
    for (int64_t h = 0; h < nh; ++h)
      for (int64_t i = 0; i < S; ++i)
        for (int64_t j = 0; j < S; ++j) {
          const double g = dsc[size_t((h * S + i) * S + j)];
          for (int64_t e = 0; e < d; ++e) {
            dq[size_t(i * H + h * d + e)] += g * k[size_t(j * H + h * d + e)];
            dk[size_t(j * H + h * d + e)] += g * q[size_t(i * H + h * d + e)];
          }
        }
    const Mat n1t = transpose(n1, S, H);
    ref_grad_[Wq] = mul(n1t, dq, H, H, S);
    const Mat dn1 = plus(
        plus(mul(dq, transpose(W(Wq), H, H), S, H, H), mul(dk, transpose(W(Wk), H, H), S, H, H)),
        mul(dv, transpose(W(Wv), H, H), S, H, H));
    Mat dx(x.size()), dg1(static_cast<size_t>(H)), db1(static_cast<size_t>(H));
    reference::layernorm_backward_f64(ln, x, W(G1), mean1, rstd1, dn1, dx, dg1, db1);
    ref_grad_[G1] = dg1;
  }

  LayerParams p_;
  Device* dev_ = nullptr;
  std::vector<Sequence> data_;
  HostTensor init_[kParams], zeros_[kParams];
  Buffer w_[kParams], m_[kParams], v_[kParams], g_[kParams];
  Buffer n1_, qt_, kt_, vt_, sc_, p_buf_, ot_, a_, r_, n2_, f1_, ge_, f2_, y_, logits_, mean1_,
      rstd1_, mean2_, rstd2_, loss_, dlogits_, dy_, dge_, df1_, dn2_, dr2_, dr_, dot_, dp_, dsc_,
      dqt_, dkt_, dvt_, dn1_, dx_;
  Kernel k_ln_, k_proj_t_, k_scores_, k_softmax_, k_pv_, k_wo_, k_add_, k_w1_, k_gelu_, k_w2_,
      k_out_, k_xent_, k_dwout_, k_dy_, k_dw2_, k_dge_, k_gelu_b_, k_dw1_, k_dn2_, k_ln_b_, k_dwo_,
      k_dot_, k_dp_, k_dvt_, k_softmax_b_, k_dqt_, k_dkt_, k_dw_, k_dn1_, k_dn1_acc_;
  std::vector<Kernel> adamw_;
  double ref_loss_ = 0;
  Mat ref_grad_[kParams];
  std::optional<TrainingOutcome> trained_;
};

class LayerTrainWorkload final : public Workload {
 public:
  std::string_view name() const override { return "transformer_train"; }
  std::string_view category() const override { return "training"; }
  std::string_view description() const override {
    return "one pre-LN transformer layer (causal multi-head attention, GELU FFN) with a "
           "classifier head trained with AdamW on synthetic token sequences until the loss falls "
           "below a target (tokens/s and time-to-target)";
  }
  std::string label(const nlohmann::json& p) const override {
    try {
      const LayerParams l = parse(p);
      std::ostringstream s;
      s << "s" << l.seq << "_h" << l.hidden << "_heads" << l.heads << "_ffn" << l.ffn << "_c"
        << l.classes << "_to" << l.target_loss;
      return s.str();
    } catch (const SpecError&) {
      return Workload::label(p);
    }
  }
  std::unique_ptr<Instance> instantiate(const CaseSpec& spec) const override {
    check_known_params(spec.parameters,
                       {"seq", "hidden", "heads", "ffn", "classes", "sequences", "max_steps",
                        "target_loss", "lr", "weight_decay"},
                       name());
    require_dtype(name(), spec.dtype, {CC_DTYPE_F32});
    return std::make_unique<LayerTrainInstance>(parse(spec.parameters));
  }

 private:
  LayerParams parse(const nlohmann::json& p) const {
    LayerParams l{};
    l.seq = param_int(p, "seq", 128, 1, 1 << 14);
    l.hidden = param_int(p, "hidden", 256, 1, 1 << 14);
    l.heads = param_int(p, "heads", 4, 1, 1 << 10);
    if (l.hidden % l.heads != 0)
      throw SpecError("transformer_train: parameter \"heads\": expected a divisor of \"hidden\" (" +
                      std::to_string(l.hidden) + "), found " + std::to_string(l.heads));
    l.ffn = param_int(p, "ffn", 4 * l.hidden, 1, 1 << 16);
    l.classes = param_int(p, "classes", 16, 2, 1 << 16);
    l.sequences = param_int(p, "sequences", 4, 1, 1 << 10);
    const TrainingParams t = parse_training_params(p, name());
    l.max_steps = t.max_steps, l.target_loss = t.target_loss, l.lr = t.lr;
    l.weight_decay = t.weight_decay;
    return l;
  }
};

}  // namespace

const Workload& transformer_train_workload() {
  static const LayerTrainWorkload w;
  return w;
}

}  // namespace chipcert::workloads
