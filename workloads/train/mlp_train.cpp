// Training: a two-layer MLP classifier, forward + backward + AdamW, on
// synthetic data, trained until the loss falls below a stated target.
//
// Model: logits = GELU(X W1) W2 (no biases: the ABI has no bias op and a bias
// would add nothing a GEMM does not already measure). Loss: mean softmax
// cross-entropy. One step is nine kernels:
//   Z = X W1, A = GELU(Z), L = A W2, (loss, dL) = xent(L, y),
//   dW2 = A^T dL, dA = dL W2^T, dZ = GELU'(Z) dA, dW1 = X^T dZ,
//   AdamW(W1, dW1), AdamW(W2, dW2).
// FLOP per step: the five GEMMs, 4*B*I*H + 6*B*H*C (element-wise work is
// not counted). items = B samples per step.
//
// Data: `batches` batches of B samples, x uniform in [-1, 1); labels from a
// fixed random linear "teacher" T (I x C): y = argmax(x T), so the task is
// learnable and the loss must fall; never constant data. Weights: uniform
// scaled by 1/sqrt(fan-in). All seeded (streams 120-124).
//
// Verification (before and after timing): one forward + backward pass from
// the seeded weights, comparing the loss and both weight gradients with an
// fp64 reference of the same chain. The bound is normwise per tensor:
//   |x - ref| <= 64 * sqrt(L) * u * max|ref| + 2u|ref|,  L = max(I, H, B)
// (a chain of four length-<=L reductions, Higham & Mary's sqrt(L) growth with
// a safety factor of 16 per stage; a wrong element is O(max|ref|), far
// outside). AdamW itself is checked element-wise by the `adamw` workload.
// After timing the case also fails when the loss did not fall below
// `target_loss` within `max_steps`: a training step that does not train is
// not a figure.
//
// Timing: measure() trains from the seeded state `repetitions` times; each
// run's sample is its mean step time (seconds per step, loss read back after
// every step as a convergence check does). details: steps and seconds to the
// target (median over runs), the loss curve of the first run, and whether
// every run took the same number of steps (the kernels are deterministic on
// the drivers we ship; a vendor's may not be).

#include <algorithm>
#include <cmath>

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

struct MlpParams {
  int64_t batch, in, hidden, classes, batches, max_steps;
  double target_loss, lr, weight_decay;
};

/// Row-major transpose of an r x c matrix.
std::vector<double> transpose(std::span<const double> a, int64_t r, int64_t c) {
  std::vector<double> t(a.size());
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j)
      t[static_cast<size_t>(j * r + i)] = a[static_cast<size_t>(i * c + j)];
  return t;
}

cc_op_desc gemm_desc(cc_dtype dt, int64_t m, int64_t n, int64_t k, bool ta, bool tb) {
  return dense_gemm_desc(dt, m, n, k, ta, tb);
}

class MlpTrainInstance final : public Instance {
 public:
  MlpTrainInstance(MlpParams p, cc_dtype dtype) : p_(p), dt_(dtype) {}

  void setup(Device& dev, uint64_t seed) override {
    dev_ = &dev;
    const auto B = static_cast<size_t>(p_.batch), I = static_cast<size_t>(p_.in),
               H = static_cast<size_t>(p_.hidden), C = static_cast<size_t>(p_.classes);
    // Data and teacher labels.
    const HostTensor teacher = random_tensor(CC_DTYPE_F64, I * C, seed, 120);
    for (int64_t b = 0; b < p_.batches; ++b) {
      HostTensor x = make_tensor(dt_, B * I, [&](size_t i) {
        return random_uniform(seed, 121, static_cast<uint64_t>(b) * B * I + i);
      });
      std::vector<double> y(B);
      for (size_t r = 0; r < B; ++r) {
        size_t best = 0;
        double best_v = -1e300;
        for (size_t c = 0; c < C; ++c) {
          double s = 0;
          for (size_t i = 0; i < I; ++i) s += x.values[r * I + i] * teacher.values[i * C + c];
          if (s > best_v) best_v = s, best = c;
        }
        y[r] = static_cast<double>(best);
      }
      Batch bt{std::move(x), encode(CC_DTYPE_I32, y), {}, {}};
      bt.x_buf = upload(bt.x);
      bt.y_buf = upload(bt.y);
      data_.push_back(std::move(bt));
    }
    const double s1 = 1.0 / std::sqrt(static_cast<double>(I)),
                 s2 = 1.0 / std::sqrt(static_cast<double>(H));
    w1_init_ = make_tensor(dt_, I * H, [&](size_t i) { return s1 * random_uniform(seed, 122, i); });
    w2_init_ = make_tensor(dt_, H * C, [&](size_t i) { return s2 * random_uniform(seed, 123, i); });
    zeros_w1_ = encode(dt_, std::vector<double>(I * H, 0.0));
    zeros_w2_ = encode(dt_, std::vector<double>(H * C, 0.0));
    w1_ = upload(w1_init_);
    w2_ = upload(w2_init_);
    m1_ = upload(zeros_w1_);
    v1_ = upload(zeros_w1_);
    m2_ = upload(zeros_w2_);
    v2_ = upload(zeros_w2_);
    const size_t es = dtype_size(dt_);
    z_ = dev.alloc(B * H * es);
    a_ = dev.alloc(B * H * es);
    l_ = dev.alloc(B * C * es);
    loss_ = dev.alloc(es);
    dl_ = dev.alloc(B * C * es);
    dw2_ = dev.alloc(H * C * es);
    da_ = dev.alloc(B * H * es);
    dz_ = dev.alloc(B * H * es);
    dw1_ = dev.alloc(I * H * es);

    const int64_t b = p_.batch, i = p_.in, h = p_.hidden, c = p_.classes;
    k_z_ = dev.prepare(gemm_desc(dt_, b, h, i, false, false));
    cc_op_desc gelu = make_op(CC_OP_GELU, dt_, dt_);
    gelu.u.eltwise.n = b * h;
    k_gelu_ = dev.prepare(gelu);
    k_l_ = dev.prepare(gemm_desc(dt_, b, c, h, false, false));
    cc_op_desc xent = make_op(CC_OP_SOFTMAX_XENT, dt_, dt_);
    xent.u.rows.rows = b;
    xent.u.rows.cols = c;
    xent.u.rows.scale = 1.0;
    xent.u.rows.seq_q = 1;
    k_xent_ = dev.prepare(xent);
    k_dw2_ = dev.prepare(gemm_desc(dt_, h, c, b, true, false));
    k_da_ = dev.prepare(gemm_desc(dt_, b, h, c, false, true));
    cc_op_desc gb = make_op(CC_OP_GELU_BACKWARD, dt_, dt_);
    gb.u.eltwise.n = b * h;
    k_dz_ = dev.prepare(gb);
    k_dw1_ = dev.prepare(gemm_desc(dt_, i, h, b, true, false));
    // The step number is part of the AdamW descriptor (bias correction), so
    // one kernel per step and tensor, all prepared here, outside timing.
    for (int64_t s = 1; s <= p_.max_steps; ++s) {
      for (int which = 0; which < 2; ++which) {
        cc_op_desc op = make_op(CC_OP_ADAMW, dt_, dt_);
        op.u.adamw = {.n = which == 0 ? i * h : h * c,
                      .step = s,
                      .lr = p_.lr,
                      .beta1 = 0.9,
                      .beta2 = 0.999,
                      .eps = 1e-8,
                      .weight_decay = p_.weight_decay};
        adamw_.push_back(dev.prepare(op));
      }
    }
  }

  VerifyResult verify() override {
    reset_state();
    forward_backward(data_.front());
    dev_->synchronize();
    const double loss = read(loss_, 1).front();
    const std::vector<double> dw1 = read(dw1_, static_cast<size_t>(p_.in * p_.hidden));
    const std::vector<double> dw2 = read(dw2_, static_cast<size_t>(p_.hidden * p_.classes));
    if (ref_dw1_.empty()) compute_reference();

    const double u = unit_roundoff(dt_);
    const double L =
        static_cast<double>(std::max({p_.in, p_.hidden, p_.batch, p_.classes, int64_t{1}}));
    auto check = [&](std::span<const double> ref, std::span<const double> got, const char* what) {
      return compare_normwise(ref, got, 64.0, L, u, what);
    };
    std::vector<VerifyResult> parts;
    parts.push_back(
        check(std::span<const double>(&ref_loss_, 1), std::span<const double>(&loss, 1), "loss"));
    parts.push_back(check(ref_dw1_, dw1, "dW1"));
    parts.push_back(check(ref_dw2_, dw2, "dW2"));
    VerifyResult v = merge(std::move(parts));
    fail_unless_converged(v, trained_ ? &*trained_ : nullptr, p_.max_steps, p_.target_loss);
    return v;
  }

  // One training step (for callers that time enqueue(); measure() is used).
  void enqueue() override { step(1); }

  Work work() const override {
    const auto b = static_cast<double>(p_.batch), i = static_cast<double>(p_.in),
               h = static_cast<double>(p_.hidden), c = static_cast<double>(p_.classes);
    const double es = static_cast<double>(dtype_size(dt_));
    // Compulsory traffic: read the batch and both weight sets, write both.
    return {.flop = 4.0 * b * i * h + 6.0 * b * h * c,
            .bytes = es * (b * i + 2.0 * (i * h + h * c)),
            .items = b};
  }

  /// The GEMMs dominate: name what the driver chose for them.
  nlohmann::json details() const override {
    std::string impl;
    for (const Kernel* k : {&k_z_, &k_l_, &k_dw2_, &k_da_, &k_dw1_}) {
      const std::string info = dev_ ? dev_->kernel_info(*k) : std::string();
      if (!info.empty() && impl.find(info) == std::string::npos)
        impl += (impl.empty() ? "" : "; ") + info;
    }
    return {{"implementation", impl}};
  }

  std::optional<Measurement> measure(int repetitions, double min_time_s) override {
    (void)min_time_s;  // a training run is as long as it takes to converge
    trained_ = train_to_target(
        *dev_,
        {[this] { reset_state(); }, [this](int64_t s) { step(s); }, [this] { return read_loss(); }},
        repetitions, p_.max_steps, p_.target_loss);
    return trained_->measurement;
  }

 private:
  struct Batch {
    HostTensor x, y;
    Buffer x_buf, y_buf;
  };

  Buffer upload(const HostTensor& t) {
    Buffer b = dev_->alloc(t.bytes.size());
    dev_->write(b, t.bytes.data(), t.bytes.size());
    return b;
  }
  /// The loss as a double, with no allocation (it runs inside the timed loop).
  double read_loss() {
    if (dt_ == CC_DTYPE_F64) {
      double d = 0;
      dev_->read(loss_, &d, sizeof d);
      return d;
    }
    float f = 0;
    dev_->read(loss_, &f, sizeof f);
    return f;
  }
  void reupload(Buffer& b, const HostTensor& t) { dev_->write(b, t.bytes.data(), t.bytes.size()); }
  std::vector<double> read(Buffer& b, size_t n) {
    std::vector<std::byte> bytes(n * dtype_size(dt_));
    dev_->read(b, bytes.data(), bytes.size());
    return decode(dt_, bytes);
  }
  void reset_state() {
    reupload(w1_, w1_init_);
    reupload(w2_, w2_init_);
    reupload(m1_, zeros_w1_);
    reupload(v1_, zeros_w1_);
    reupload(m2_, zeros_w2_);
    reupload(v2_, zeros_w2_);
  }
  // No allocation: it runs inside the timed training steps.
  void launch(Kernel& k, std::initializer_list<cc_buffer*> args) {
    dev_->launch(k, std::span<cc_buffer* const>(args.begin(), args.size()));
  }
  void forward_backward(Batch& d) {
    launch(k_z_, {d.x_buf.handle(), w1_.handle(), z_.handle()});
    launch(k_gelu_, {z_.handle(), a_.handle()});
    launch(k_l_, {a_.handle(), w2_.handle(), l_.handle()});
    launch(k_xent_, {l_.handle(), d.y_buf.handle(), loss_.handle(), dl_.handle()});
    launch(k_dw2_, {a_.handle(), dl_.handle(), dw2_.handle()});
    launch(k_da_, {dl_.handle(), w2_.handle(), da_.handle()});
    launch(k_dz_, {z_.handle(), da_.handle(), dz_.handle()});
    launch(k_dw1_, {d.x_buf.handle(), dz_.handle(), dw1_.handle()});
  }
  void step(int64_t s) {
    Batch& d = data_[static_cast<size_t>((s - 1) % p_.batches)];
    forward_backward(d);
    const auto at = static_cast<size_t>(std::clamp<int64_t>(s, 1, p_.max_steps) - 1) * 2;
    launch(adamw_[at], {w1_.handle(), dw1_.handle(), m1_.handle(), v1_.handle()});
    launch(adamw_[at + 1], {w2_.handle(), dw2_.handle(), m2_.handle(), v2_.handle()});
  }

  void compute_reference() {
    const int64_t B = p_.batch, I = p_.in, H = p_.hidden, C = p_.classes;
    const auto& x = data_.front().x.values;
    std::vector<double> z(static_cast<size_t>(B * H)), a(z.size()), l(static_cast<size_t>(B * C)),
        dl(l.size()), da(z.size()), dz(z.size());
    reference::gemm_f64(B, H, I, x, w1_init_.values, z);
    reference::gelu_f64(z, a);
    reference::gemm_f64(B, C, H, a, w2_init_.values, l);
    std::vector<int32_t> labels;
    for (double y : data_.front().y.values) labels.push_back(static_cast<int32_t>(y));
    cc_rows_params rp{};
    rp.rows = B;
    rp.cols = C;
    rp.scale = 1.0;
    rp.seq_q = 1;
    reference::softmax_xent_f64(rp, l, labels, ref_loss_, dl);
    ref_dw2_.assign(static_cast<size_t>(H * C), 0.0);
    reference::gemm_f64(H, C, B, transpose(a, B, H), dl, ref_dw2_);
    reference::gemm_f64(B, H, C, dl, transpose(w2_init_.values, H, C), da);
    reference::gelu_backward_f64(z, da, dz);
    ref_dw1_.assign(static_cast<size_t>(I * H), 0.0);
    reference::gemm_f64(I, H, B, transpose(x, B, I), dz, ref_dw1_);
  }

  MlpParams p_;
  cc_dtype dt_;
  Device* dev_ = nullptr;
  std::vector<Batch> data_;
  HostTensor w1_init_, w2_init_, zeros_w1_, zeros_w2_;
  Buffer w1_, w2_, m1_, v1_, m2_, v2_, z_, a_, l_, loss_, dl_, dw2_, da_, dz_, dw1_;
  Kernel k_z_, k_gelu_, k_l_, k_xent_, k_dw2_, k_da_, k_dz_, k_dw1_;
  std::vector<Kernel> adamw_;
  double ref_loss_ = 0;
  std::vector<double> ref_dw1_, ref_dw2_;
  std::optional<TrainingOutcome> trained_;
};

class MlpTrainWorkload final : public Workload {
 public:
  std::string_view name() const override { return "mlp_train"; }
  std::string_view category() const override { return "training"; }
  std::string_view description() const override {
    return "two-layer MLP classifier trained with AdamW on synthetic teacher data until the loss "
           "falls below a target (samples/s and time-to-target)";
  }
  std::unique_ptr<Instance> instantiate(const CaseSpec& spec) const override {
    const auto& p = spec.parameters;
    check_known_params(p,
                       {"batch", "in", "hidden", "classes", "batches", "max_steps", "target_loss",
                        "lr", "weight_decay"},
                       name());
    MlpParams m{};
    m.batch = param_int(p, "batch", 64, 1, 1 << 16);
    m.in = param_int(p, "in", 256, 1, 1 << 16);
    m.hidden = param_int(p, "hidden", 512, 1, 1 << 16);
    m.classes = param_int(p, "classes", 10, 2, 1 << 16);
    m.batches = param_int(p, "batches", 4, 1, 1 << 10);
    const TrainingParams t = parse_training_params(p, name());
    m.max_steps = t.max_steps, m.target_loss = t.target_loss, m.lr = t.lr;
    m.weight_decay = t.weight_decay;
    require_dtype(name(), spec.dtype, {CC_DTYPE_F64, CC_DTYPE_F32});
    return std::make_unique<MlpTrainInstance>(m, spec.dtype);
  }
};

}  // namespace

const Workload& mlp_train_workload() {
  static const MlpTrainWorkload w;
  return w;
}

}  // namespace chipcert::workloads
