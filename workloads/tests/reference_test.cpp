// The references against small hand-computed cases and finite differences:
// verification is only as good as the reference it compares with.

#include "chipcert/workloads/reference.hpp"

#include <cmath>
#include <functional>
#include <vector>

#include <gtest/gtest.h>

#include "chipcert/workloads/random.hpp"

namespace ref = chipcert::workloads::reference;
using V = std::vector<double>;

TEST(Reference, GemmTwoByTwo) {
  const V a{1, 2, 3, 4}, b{5, 6, 7, 8};
  V c(4);
  ref::gemm_f64(2, 2, 2, a, b, c);
  EXPECT_EQ(c, (V{19, 22, 43, 50}));
}

TEST(Reference, GemmRectangularThreaded) {
  // Large enough to take the threaded path; compared with a naive triple loop.
  const int64_t m = 67, n = 300, k = 250;
  V a(m * k), b(k * n), c(m * n);
  for (size_t i = 0; i < a.size(); ++i) a[i] = chipcert::workloads::random_uniform(1, 1, i);
  for (size_t i = 0; i < b.size(); ++i) b[i] = chipcert::workloads::random_uniform(1, 2, i);
  ref::gemm_f64(m, n, k, a, b, c);
  for (int64_t i = 0; i < m; i += 11)
    for (int64_t j = 0; j < n; j += 7) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p) s += a[i * k + p] * b[p * n + j];
      EXPECT_NEAR(c[i * n + j], s, 1e-12);
    }
}

namespace {
cc_conv2d_params conv(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t r, int64_t s) {
  cc_conv2d_params p{};
  p.n = n, p.c = c, p.h = h, p.w = w, p.k = k, p.r = r, p.s = s;
  p.stride_h = p.stride_w = p.dilation_h = p.dilation_w = p.groups = 1;
  return p;
}
}  // namespace

TEST(Reference, Conv2dIsCrossCorrelation) {
  // x = 1..9 in a 3x3 image, filter [[1, 0], [0, -1]]: y = x[i][j] - x[i+1][j+1] = -4.
  auto p = conv(1, 1, 3, 3, 1, 2, 2);
  V x{1, 2, 3, 4, 5, 6, 7, 8, 9}, w{1, 0, 0, -1}, y(4), abs(4);
  ref::conv2d_f64(p, x, w, y, abs, {});
  EXPECT_EQ(y, (V{-4, -4, -4, -4}));
  EXPECT_EQ(abs, (V{1 + 5, 2 + 6, 4 + 8, 5 + 9}));
  EXPECT_EQ(ref::conv2d_out_h(p), 2);
}

TEST(Reference, Conv2dPaddingStrideDilation) {
  // 1x4 image with pad 1, stride 2, a 1x2 filter dilated by 2 ([1, 10]):
  // padded row 0 1 2 3 4 0; taps at q*2 + {0, 2}: (0,2)=0+20, (2,4)=2+40.
  auto p = conv(1, 1, 1, 4, 1, 1, 2);
  p.pad_w = 1, p.stride_w = 2, p.dilation_w = 2;
  EXPECT_EQ(ref::conv2d_out_w(p), 2);
  V x{1, 2, 3, 4}, w{1, 10}, y(2);
  ref::conv2d_f64(p, x, w, y, {}, {});
  EXPECT_EQ(y, (V{0 + 20, 2 + 40}));
}

TEST(Reference, Conv2dGroupsSeeOnlyTheirChannels) {
  // Two channels, two groups: output k reads only input channel k.
  auto p = conv(1, 2, 1, 1, 2, 1, 1);
  p.groups = 2;
  V x{3, 5}, w{2, 7}, y(2);
  ref::conv2d_f64(p, x, w, y, {}, {});
  EXPECT_EQ(y, (V{6, 35}));
  // Without groups each output sums both channels (w is then K x C = 2 x 2).
  p.groups = 1;
  V w2{2, 1, 0, 7};
  ref::conv2d_f64(p, x, w2, y, {}, {});
  EXPECT_EQ(y, (V{11, 35}));
}

TEST(Reference, Conv2dPlaneSelection) {
  auto p = conv(1, 1, 1, 1, 3, 1, 1);
  V x{2}, w{1, 2, 3}, y(3);
  const std::vector<int64_t> planes{2};
  ref::conv2d_f64(p, x, w, y, {}, planes);
  EXPECT_EQ(y, (V{0, 0, 6}));
}

namespace {
cc_attention_params attn(int64_t sq, int64_t skv, bool causal) {
  cc_attention_params p{};
  p.batch = 1, p.heads = 1, p.seq_q = sq, p.seq_kv = skv, p.head_dim = 1;
  p.causal = causal ? 1u : 0u;
  p.scale = 1.0;
  return p;
}
}  // namespace

TEST(Reference, CausalMaskIsBottomRightAligned) {
  const auto p = attn(2, 4, true);
  // Row 0 sees keys 0..2, row 1 keys 0..3.
  EXPECT_TRUE(ref::attention_visible(p, 0, 2));
  EXPECT_FALSE(ref::attention_visible(p, 0, 3));
  EXPECT_TRUE(ref::attention_visible(p, 1, 3));
  EXPECT_EQ(ref::attention_visible_pairs(p), 3 + 4);
  // A decode step (seq_q = 1) sees the whole cache; square causal: lower triangle.
  EXPECT_TRUE(ref::attention_visible(attn(1, 5, true), 0, 4));
  EXPECT_EQ(ref::attention_visible_pairs(attn(4, 4, true)), 10);
  EXPECT_EQ(ref::attention_visible_pairs(attn(4, 4, false)), 16);
}

TEST(Reference, AttentionAveragesVisibleValuesForEqualScores) {
  // q = 0: every score is 0, so each row is the mean of the values it sees.
  const auto p = attn(2, 4, true);
  V q{0, 0}, k{1, 2, 3, 4}, v{1, 2, 4, 8}, o(2), wabs(2), sabs(2);
  ref::attention_f64(p, q, k, v, o, wabs, sabs, {});
  EXPECT_DOUBLE_EQ(o[0], (1 + 2 + 4) / 3.0);
  EXPECT_DOUBLE_EQ(o[1], (1 + 2 + 4 + 8) / 4.0);
  EXPECT_DOUBLE_EQ(wabs[1], o[1]);
  EXPECT_EQ(sabs[0], 0.0);
}

TEST(Reference, AttentionSoftmaxWeights) {
  // One query, two keys, scores ln(1) and ln(3) (q = 1, k = {0, ln 3}): weights 1/4, 3/4.
  auto p = attn(1, 2, false);
  V q{1}, k{0, std::log(3.0)}, v{4, 8}, o(1);
  ref::attention_f64(p, q, k, v, o, {}, {}, {});
  EXPECT_NEAR(o[0], 0.25 * 4 + 0.75 * 8, 1e-14);
}

namespace {
cc_rows_params rows(int64_t r, int64_t c) {
  cc_rows_params p{};
  p.rows = r, p.cols = c, p.eps = 1e-5, p.scale = 1.0;
  return p;
}
}  // namespace

TEST(Reference, LayernormHandComputed) {
  const auto p = rows(1, 4);
  V x{1, 2, 3, 4}, g{1, 1, 2, 1}, b{0, 0, 0, 1}, y(4), mean(1), rstd(1);
  ref::layernorm_f64(p, x, g, b, y, mean, rstd);
  EXPECT_DOUBLE_EQ(mean[0], 2.5);
  const double rs = 1.0 / std::sqrt(1.25 + 1e-5);  // biased variance 1.25
  EXPECT_DOUBLE_EQ(rstd[0], rs);
  EXPECT_NEAR(y[0], -1.5 * rs, 1e-15);
  EXPECT_NEAR(y[2], 2 * 0.5 * rs, 1e-15);
  EXPECT_NEAR(y[3], 1.5 * rs + 1, 1e-15);
}

TEST(Reference, LayernormBackwardMatchesFiniteDifferences) {
  // loss = sum(w * layernorm(x)); its gradients by central differences.
  const auto p = rows(3, 5);
  const size_t n = 15;
  V x(n), g(5), b(5), w(n);
  for (size_t i = 0; i < n; ++i) x[i] = chipcert::workloads::random_uniform(3, 1, i) + 0.3;
  for (size_t i = 0; i < n; ++i) w[i] = chipcert::workloads::random_uniform(3, 2, i);
  for (size_t i = 0; i < 5; ++i) g[i] = 1 + 0.5 * chipcert::workloads::random_uniform(3, 3, i);
  for (size_t i = 0; i < 5; ++i) b[i] = chipcert::workloads::random_uniform(3, 4, i);
  auto loss = [&](const V& xx, const V& gg, const V& bb) {
    V y(n), mean(3), rstd(3);
    ref::layernorm_f64(p, xx, gg, bb, y, mean, rstd);
    double s = 0;
    for (size_t i = 0; i < n; ++i) s += w[i] * y[i];
    return s;
  };
  V y(n), mean(3), rstd(3), dx(n), dg(5), db(5);
  ref::layernorm_f64(p, x, g, b, y, mean, rstd);
  ref::layernorm_backward_f64(p, x, g, mean, rstd, w, dx, dg, db);
  const double h = 1e-6;
  auto fd = [&](V& var, size_t i) {
    const double keep = var[i];
    var[i] = keep + h;
    const double up = loss(x, g, b);
    var[i] = keep - h;
    const double down = loss(x, g, b);
    var[i] = keep;
    return (up - down) / (2 * h);
  };
  for (size_t i = 0; i < n; ++i) EXPECT_NEAR(dx[i], fd(x, i), 1e-7) << "dx " << i;
  for (size_t i = 0; i < 5; ++i) EXPECT_NEAR(dg[i], fd(g, i), 1e-7) << "dgamma " << i;
  for (size_t i = 0; i < 5; ++i) EXPECT_NEAR(db[i], fd(b, i), 1e-7) << "dbeta " << i;
}

TEST(Reference, SoftmaxHandComputed) {
  auto p = rows(1, 2);
  V x{0, std::log(3.0)}, y(2);
  ref::softmax_f64(p, x, y);
  EXPECT_NEAR(y[0], 0.25, 1e-15);
  EXPECT_NEAR(y[1], 0.75, 1e-15);
  p.scale = 2.0;  // softmax(2x): weights 1 : 9
  ref::softmax_f64(p, x, y);
  EXPECT_NEAR(y[0], 0.1, 1e-15);
}

TEST(Reference, SoftmaxCausalMaskRule) {
  // rows = batch*heads*seq_q with seq_q = 2, cols = seq_kv = 3: row r masks
  // c > (r % 2) + 1, so even rows drop column 2 and odd rows keep everything.
  auto p = rows(4, 3);
  p.causal = 1;
  p.seq_q = 2;
  EXPECT_TRUE(ref::softmax_masked(p, 0, 2));
  EXPECT_FALSE(ref::softmax_masked(p, 0, 1));
  EXPECT_FALSE(ref::softmax_masked(p, 1, 2));
  EXPECT_TRUE(ref::softmax_masked(p, 2, 2));
  V x(12, 0.0), y(12);
  ref::softmax_f64(p, x, y);
  EXPECT_DOUBLE_EQ(y[0], 0.5);
  EXPECT_EQ(y[2], 0.0);
  EXPECT_DOUBLE_EQ(y[3], 1.0 / 3.0);
}

TEST(Reference, SoftmaxBackwardHandComputed) {
  auto p = rows(1, 2);
  V y{0.25, 0.75}, dy{1, 0}, dx(2);
  ref::softmax_backward_f64(p, y, dy, dx);  // rowsum(dy*y) = 0.25
  EXPECT_DOUBLE_EQ(dx[0], 0.25 * 0.75);
  EXPECT_DOUBLE_EQ(dx[1], 0.75 * -0.25);
  p.scale = 2;
  ref::softmax_backward_f64(p, y, dy, dx);
  EXPECT_DOUBLE_EQ(dx[0], 2 * 0.25 * 0.75);
}

TEST(Reference, SoftmaxBackwardMatchesFiniteDifferences) {
  // d/dx sum(w * softmax(scale*x)) = softmax_backward(y, w) with the same scale.
  auto p = rows(2, 4);
  p.scale = 0.7;
  V x(8), w(8), y(8), dx(8);
  for (size_t i = 0; i < 8; ++i) x[i] = chipcert::workloads::random_uniform(5, 1, i);
  for (size_t i = 0; i < 8; ++i) w[i] = chipcert::workloads::random_uniform(5, 2, i);
  ref::softmax_f64(p, x, y);
  ref::softmax_backward_f64(p, y, w, dx);
  const double h = 1e-6;
  for (size_t i = 0; i < 8; ++i) {
    V xp = x, xm = x, yp(8), ym(8);
    xp[i] += h, xm[i] -= h;
    ref::softmax_f64(p, xp, yp);
    ref::softmax_f64(p, xm, ym);
    double up = 0, down = 0;
    for (size_t j = 0; j < 8; ++j) up += w[j] * yp[j], down += w[j] * ym[j];
    EXPECT_NEAR(dx[i], (up - down) / (2 * h), 1e-8) << i;
  }
}

TEST(Reference, SoftmaxXentLossAndGradient) {
  // Hand case: logits {0, ln 3}, label 1: loss = -ln(0.75).
  auto p = rows(1, 2);
  V x{0, std::log(3.0)}, d(2);
  std::vector<int32_t> labels{1};
  double loss = 0;
  ref::softmax_xent_f64(p, x, labels, loss, d);
  EXPECT_NEAR(loss, -std::log(0.75), 1e-15);
  EXPECT_NEAR(d[0], 0.25, 1e-15);
  EXPECT_NEAR(d[1], -0.25, 1e-15);
  // Finite differences of the mean loss over three rows.
  p = rows(3, 5);
  V l(15), g(15);
  for (size_t i = 0; i < 15; ++i) l[i] = 4 * chipcert::workloads::random_uniform(6, 1, i);
  labels = {4, 0, 2};
  ref::softmax_xent_f64(p, l, labels, loss, g);
  const double h = 1e-6;
  for (size_t i = 0; i < 15; ++i) {
    V lp = l, lm = l, scratch(15);
    lp[i] += h, lm[i] -= h;
    double up = 0, down = 0;
    ref::softmax_xent_f64(p, lp, labels, up, scratch);
    ref::softmax_xent_f64(p, lm, labels, down, scratch);
    EXPECT_NEAR(g[i], (up - down) / (2 * h), 1e-8) << i;
  }
}

TEST(Reference, GeluValuesAndDerivative) {
  V x{0, 1, -1, 3}, y(4);
  ref::gelu_f64(x, y);
  EXPECT_EQ(y[0], 0.0);
  EXPECT_NEAR(y[1], 0.8413447460685429, 1e-15);  // Phi(1)
  EXPECT_NEAR(y[2], -0.15865525393145707, 1e-15);
  EXPECT_NEAR(y[3], 3 * 0.9986501019683699, 1e-14);
  V xs(41), dy(41, 1.0), dx(41);
  for (size_t i = 0; i < 41; ++i) xs[i] = -4 + 0.2 * static_cast<double>(i);
  ref::gelu_backward_f64(xs, dy, dx);
  const double h = 1e-6;
  for (size_t i = 0; i < 41; ++i) {
    V a{xs[i] + h, xs[i] - h}, b(2);
    ref::gelu_f64(a, b);
    EXPECT_NEAR(dx[i], (b[0] - b[1]) / (2 * h), 1e-8) << xs[i];
  }
}

TEST(Reference, AdamwFollowsTheFormula) {
  cc_adamw_params p{};
  p.n = 1, p.step = 2, p.lr = 0.1, p.beta1 = 0.5, p.beta2 = 0.75, p.eps = 0.0,
  p.weight_decay = 0.25;
  V param{2}, grad{1}, m{0.5}, v{0.25};
  ref::adamw_f64(p, param, grad, m, v);
  // m = 0.5*0.5 + 0.5*1 = 0.75; v = 0.75*0.25 + 0.25*1 = 0.4375
  // mhat = 0.75/(1-0.25) = 1; vhat = 0.4375/(1-0.5625) = 1
  // p = 2 - 0.1*(1/(1+0) + 0.25*2) = 1.85
  EXPECT_DOUBLE_EQ(m[0], 0.75);
  EXPECT_DOUBLE_EQ(v[0], 0.4375);
  EXPECT_DOUBLE_EQ(param[0], 1.85);
}

TEST(Reference, PeakRecurrencePerDtype) {
  // fp32: three steps of fma(acc, 0.5, 1) from 4: 3, 2.5, 2.25.
  EXPECT_EQ(ref::peak_element(CC_DTYPE_F32, 4.0, 3, 0.5, 1.0), 2.25);
  EXPECT_EQ(ref::peak_element(CC_DTYPE_F64, 4.0, 3, 0.5, 1.0), 2.25);
  // fp32 arithmetic, not fp64: 1 + 2^-30 stays 1 in fp32.
  EXPECT_EQ(ref::peak_element(CC_DTYPE_F32, 1.0, 1, 1.0, 0x1p-30), 1.0);
  EXPECT_EQ(ref::peak_element(CC_DTYPE_F64, 1.0, 1, 1.0, 0x1p-30), 1.0 + 0x1p-30);
  // int8: x + iterations * a * b exactly.
  EXPECT_EQ(ref::peak_element(CC_DTYPE_I8, 100.0, 1000, 3.0, -5.0), 100.0 - 15000.0);
  // bf16: a and b rounded to bf16 first (1 + 2^-9 rounds to 1).
  EXPECT_EQ(ref::peak_element(CC_DTYPE_BF16, 0.0, 4, 1.0 + 0x1p-9, 0.5), 2.0);
  EXPECT_EQ(ref::peak_element(CC_DTYPE_F16, 0.0, 4, 1.0 + 0x1p-9, 0.5), 4 * (1.0 + 0x1p-9) * 0.5);
}
