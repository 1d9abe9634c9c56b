// Peak, element-wise and row-wise ops of the OpenCL driver, through the ABI,
// against straightforward double-precision loops on small, edge-shaped inputs.
#include "opencl_test_support.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

// Descriptors are written with designated initializers: omitted fields are
// zero by the language, which is what the ABI wants.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace {

using namespace chipcert::opencl::testing;

// ---- peak ---------------------------------------------------------------------

class OpenclPeak : public OpenclDriver {
 protected:
  // Runs peak and checks every element bit for bit against the per-element
  // recurrence replayed on the host (fma in the accumulation type): the
  // driver may interleave chains but must never reassociate one.
  void check(cc_dtype dtype, int64_t n, int64_t iterations, double alpha, double beta) {
    const cc_dtype acc = acc_of(dtype);
    const auto x =
        quantize(acc, pattern(static_cast<size_t>(n), 31, acc == CC_DTYPE_I32 ? -1e6 : -1,
                              acc == CC_DTYPE_I32 ? 1e6 : 1));
    auto op = make_desc(CC_OP_PEAK, dtype, acc);
    op.u.peak = {.n = n, .iterations = iterations, .alpha = alpha, .beta = beta};
    cc_buffer* y = upload(acc, std::vector<double>(static_cast<size_t>(n), -7.0));
    ASSERT_TRUE(run(op, {upload(acc, x), y}));
    const std::vector<double> got = download(acc, y, static_cast<size_t>(n));
    std::vector<double> want(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      if (dtype == CC_DTYPE_F64) {
        double a = x[i];
        for (int64_t t = 0; t < iterations; ++t) a = std::fma(a, alpha, beta);
        want[i] = a;
      } else if (dtype == CC_DTYPE_F32) {
        float a = static_cast<float>(x[i]);
        for (int64_t t = 0; t < iterations; ++t)
          a = std::fma(a, static_cast<float>(alpha), static_cast<float>(beta));
        want[i] = a;
      } else if (dtype == CC_DTYPE_BF16) {
        const auto ab = static_cast<float>(quantize(CC_DTYPE_BF16, alpha) *
                                           quantize(CC_DTYPE_BF16, beta));  // exact
        float a = static_cast<float>(x[i]);
        for (int64_t t = 0; t < iterations; ++t) a += ab;
        want[i] = a;
      } else {
        int64_t a = static_cast<int64_t>(x[i]);
        for (int64_t t = 0; t < iterations; ++t)
          a += static_cast<int64_t>(static_cast<int8_t>(alpha)) * static_cast<int8_t>(beta);
        want[i] = static_cast<double>(static_cast<int32_t>(a));
      }
    }
    EXPECT_EQ(count_mismatches(
                  got, want, [](size_t) { return 0.0; }, "y"),
              0);
  }
};

TEST_F(OpenclPeak, F32IsThePerElementRecurrenceExactly) {
  // n is not a multiple of any chains x vector width, so the tail path runs too.
  check(CC_DTYPE_F32, 1001, 300, 1.0 - 0x1p-10, 0.75 * 0x1p-10);
  check(CC_DTYPE_F32, 5, 3, 1.5, -0.25);
}

TEST_F(OpenclPeak, F64IsThePerElementRecurrenceExactly) {
  if (!has(CC_DTYPE_F64)) GTEST_SKIP() << info_.name << " has no fp64";
  check(CC_DTYPE_F64, 777, 200, 1.0 - 0x1p-10, 0.75 * 0x1p-10);
}

TEST_F(OpenclPeak, Bf16AndI8FollowTheirRecurrences) {
  check(CC_DTYPE_BF16, 1000, 257, 0.75, 1.5 * 0x1p-12);
  check(CC_DTYPE_I8, 999, 1000, 3.0, -5.0);
}

TEST_F(OpenclPeak, ZeroIterationsCopiesAndZeroElementsIsANoOp) {
  check(CC_DTYPE_F32, 300, 0, 2.0, 1.0);
  auto op = make_desc(CC_OP_PEAK, CC_DTYPE_F32, CC_DTYPE_F32);
  op.u.peak = {.n = 0, .iterations = 10, .alpha = 1, .beta = 1};
  cc_buffer* empty = nullptr;
  ASSERT_EQ(d_->alloc(dev_, 0, &empty), CC_OK);
  cc_buffer* empty2 = nullptr;
  ASSERT_EQ(d_->alloc(dev_, 0, &empty2), CC_OK);
  EXPECT_TRUE(run(op, {empty, empty2}));
}

TEST_F(OpenclPeak, KernelInfoNamesChainsAndVectorWidth) {
  auto op = make_desc(CC_OP_PEAK, CC_DTYPE_F32, CC_DTYPE_F32);
  op.u.peak = {.n = 1 << 12, .iterations = 8, .alpha = 1, .beta = 0};
  cc_kernel* k = prepare(op);
  ASSERT_NE(k, nullptr);
  const std::string info = d_->kernel_info(dev_, k);
  EXPECT_NE(info.find("chains"), std::string::npos) << info;
  EXPECT_NE(info.find("vector width"), std::string::npos) << info;
}

// ---- element-wise ---------------------------------------------------------------

// x * Phi(x) with Phi from erfc: no cancellation for x << 0 (the erf form
// loses relative accuracy there, even in double).
double gelu(double x) {
  return 0.5 * x * std::erfc(-x / std::numbers::sqrt2);
}

class OpenclEltwise : public OpenclDriver,
                      public ::testing::WithParamInterface<std::pair<cc_dtype, int64_t>> {};

TEST_P(OpenclEltwise, GeluAddMulMatchReference) {
  const auto [dtype, n] = GetParam();
  if (!has(dtype)) GTEST_SKIP() << info_.name << " has no " << dtype;
  const cc_dtype acc = acc_of(dtype);
  const double eps = acc == CC_DTYPE_F64 ? 0x1p-52 : 0x1p-23;
  const auto a = quantize(dtype, pattern(static_cast<size_t>(n), 41, -4, 4));
  const auto b = quantize(dtype, pattern(static_cast<size_t>(n), 42, -4, 4));
  for (cc_op_kind kind : {CC_OP_GELU, CC_OP_ADD, CC_OP_MUL}) {
    auto op = make_desc(kind, dtype, acc);
    op.u.eltwise.n = n;
    cc_buffer* y = upload(acc, std::vector<double>(static_cast<size_t>(n), 0.0));
    std::vector<cc_buffer*> args = {upload(dtype, a)};
    if (kind != CC_OP_GELU) args.push_back(upload(dtype, b));
    args.push_back(y);
    ASSERT_TRUE(run(op, args));
    std::vector<double> want(a.size());
    for (size_t i = 0; i < a.size(); ++i)
      want[i] = kind == CC_OP_GELU ? gelu(a[i]) : kind == CC_OP_ADD ? a[i] + b[i] : a[i] * b[i];
    // erf is accurate to 16 ulp in OpenCL; add/mul round once.
    const double ulps = kind == CC_OP_GELU ? 32 : 1;
    EXPECT_EQ(
        count_mismatches(
            download(acc, y, a.size()), want,
            [&](size_t i) { return ulps * eps * (std::abs(want[i]) + std::abs(a[i]) * 1e-3); },
            std::string("op ") + std::to_string(kind)),
        0);
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, OpenclEltwise,
                         ::testing::Values(std::pair{CC_DTYPE_F32, int64_t{1}},
                                           std::pair{CC_DTYPE_F32, int64_t{100003}},
                                           std::pair{CC_DTYPE_BF16, int64_t{1001}},
                                           std::pair{CC_DTYPE_F64, int64_t{1001}}));

TEST_F(OpenclDriver, GeluBackwardAndAdamwMatchReference) {
  for (cc_dtype t : {CC_DTYPE_F32, CC_DTYPE_F64}) {
    if (!has(t)) continue;
    const double eps = t == CC_DTYPE_F64 ? 0x1p-52 : 0x1p-23;
    const size_t n = 1003;
    const auto x = quantize(t, pattern(n, 51, -4, 4)), dy = quantize(t, pattern(n, 52));
    auto op = make_desc(CC_OP_GELU_BACKWARD, t, t);
    op.u.eltwise.n = static_cast<int64_t>(n);
    cc_buffer* dx = upload(t, std::vector<double>(n, 0.0));
    ASSERT_TRUE(run(op, {upload(t, x), upload(t, dy), dx}));
    std::vector<double> want(n);
    for (size_t i = 0; i < n; ++i) {
      const double cdf = 0.5 * (1.0 + std::erf(x[i] / std::numbers::sqrt2));
      const double pdf = std::exp(-0.5 * x[i] * x[i]) / std::sqrt(2 * std::numbers::pi);
      want[i] = dy[i] * (cdf + x[i] * pdf);
    }
    EXPECT_EQ(count_mismatches(
                  download(t, dx, n), want,
                  [&](size_t i) { return 64 * eps * (std::abs(dy[i]) + 1e-3); }, "dx"),
              0);

    cc_adamw_params p{.n = static_cast<int64_t>(n),
                      .step = 3,
                      .lr = 1e-2,
                      .beta1 = 0.9,
                      .beta2 = 0.999,
                      .eps = 1e-8,
                      .weight_decay = 0.01};
    auto aop = make_desc(CC_OP_ADAMW, t, t);
    aop.u.adamw = p;
    auto param = quantize(t, pattern(n, 53)), grad = quantize(t, pattern(n, 54));
    auto m = quantize(t, pattern(n, 55, -0.1, 0.1)), v = quantize(t, pattern(n, 56, 0, 0.01));
    cc_buffer* bufs[] = {upload(t, param), upload(t, grad), upload(t, m), upload(t, v)};
    ASSERT_TRUE(run(aop, {bufs[0], bufs[1], bufs[2], bufs[3]}));
    const double bc1 = 1 - std::pow(p.beta1, 3.0), bc2 = 1 - std::pow(p.beta2, 3.0);
    for (size_t i = 0; i < n; ++i) {
      m[i] = p.beta1 * m[i] + (1 - p.beta1) * grad[i];
      v[i] = p.beta2 * v[i] + (1 - p.beta2) * grad[i] * grad[i];
      param[i] -=
          p.lr * ((m[i] / bc1) / (std::sqrt(v[i] / bc2) + p.eps) + p.weight_decay * param[i]);
    }
    const auto tol = [&](size_t) { return 64 * eps; };
    EXPECT_EQ(count_mismatches(download(t, bufs[0], n), param, tol, "param"), 0);
    EXPECT_EQ(count_mismatches(download(t, bufs[2], n), m, tol, "m"), 0);
    EXPECT_EQ(count_mismatches(download(t, bufs[3], n), v, tol, "v"), 0);
  }
}

// ---- row-wise -----------------------------------------------------------------

struct RowsCase {
  cc_dtype dtype;
  int64_t rows, cols;
};

class OpenclRows : public OpenclDriver, public ::testing::WithParamInterface<RowsCase> {
 protected:
  double eps() const { return acc_of(GetParam().dtype) == CC_DTYPE_F64 ? 0x1p-52 : 0x1p-23; }
  size_t count() const { return static_cast<size_t>(GetParam().rows * GetParam().cols); }
};

TEST_P(OpenclRows, LayernormMatchesReference) {
  const auto [dtype, rows, cols] = GetParam();
  const cc_dtype acc = acc_of(dtype);
  const auto x = quantize(dtype, pattern(count(), 61, -2, 3));
  const auto g = quantize(dtype, pattern(static_cast<size_t>(cols), 62));
  const auto b = quantize(dtype, pattern(static_cast<size_t>(cols), 63));
  auto op = make_desc(CC_OP_LAYERNORM, dtype, acc);
  op.u.rows = {.rows = rows, .cols = cols, .eps = 1e-5};
  cc_buffer* out[] = {upload(acc, std::vector<double>(count(), 0)),
                      upload(acc, std::vector<double>(static_cast<size_t>(rows), 0)),
                      upload(acc, std::vector<double>(static_cast<size_t>(rows), 0))};
  ASSERT_TRUE(
      run(op, {upload(dtype, x), upload(dtype, g), upload(dtype, b), out[0], out[1], out[2]}));
  std::vector<double> y(count()), mean(static_cast<size_t>(rows)), rstd(mean.size());
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0, q = 0;
    for (int64_t c = 0; c < cols; ++c) s += x[r * cols + c];
    mean[r] = s / cols;
    for (int64_t c = 0; c < cols; ++c)
      q += (x[r * cols + c] - mean[r]) * (x[r * cols + c] - mean[r]);
    rstd[r] = 1 / std::sqrt(q / cols + 1e-5);
    for (int64_t c = 0; c < cols; ++c)
      y[r * cols + c] = (x[r * cols + c] - mean[r]) * rstd[r] * g[c] + b[c];
  }
  const double tol = 16 * eps() * std::sqrt(static_cast<double>(cols)) * 8;
  EXPECT_EQ(count_mismatches(
                download(acc, out[0], count()), y, [&](size_t) { return tol; }, "y"),
            0);
  EXPECT_EQ(count_mismatches(
                download(acc, out[1], mean.size()), mean, [&](size_t) { return tol; }, "mean"),
            0);
  EXPECT_EQ(count_mismatches(
                download(acc, out[2], rstd.size()), rstd, [&](size_t) { return tol; }, "rstd"),
            0);
}

TEST_P(OpenclRows, SoftmaxPlainAndCausalMatchReference) {
  const auto [dtype, rows, cols] = GetParam();
  const cc_dtype acc = acc_of(dtype);
  const auto x = quantize(dtype, pattern(count(), 71, -3, 3));
  // seq_q smaller than rows (several heads' rows), and larger than cols
  // (early rows see nothing: all zeros).
  for (const auto& [causal, seq_q] :
       {std::pair{0u, int64_t{0}}, {1u, std::max<int64_t>(1, rows / 2)}, {1u, cols + 2}}) {
    auto op = make_desc(CC_OP_SOFTMAX, dtype, acc);
    op.u.rows = {.rows = rows, .cols = cols, .scale = 0.7, .causal = causal, .seq_q = seq_q};
    cc_buffer* y = upload(acc, std::vector<double>(count(), 5));
    ASSERT_TRUE(run(op, {upload(dtype, x), y}));
    std::vector<double> want(count());
    for (int64_t r = 0; r < rows; ++r) {
      auto masked = [&](int64_t c) { return causal && c > (r % seq_q) + (cols - seq_q); };
      double mx = -INFINITY, sum = 0;
      for (int64_t c = 0; c < cols; ++c)
        if (!masked(c)) mx = std::max(mx, 0.7 * x[r * cols + c]);
      for (int64_t c = 0; c < cols; ++c)
        sum += want[r * cols + c] = masked(c) ? 0 : std::exp(0.7 * x[r * cols + c] - mx);
      for (int64_t c = 0; c < cols; ++c)
        want[r * cols + c] = sum > 0 ? want[r * cols + c] / sum : 0;
    }
    EXPECT_EQ(count_mismatches(
                  download(acc, y, count()), want,
                  [&](size_t i) { return 64 * eps() * (want[i] + 1e-6); },
                  "causal " + std::to_string(causal) + " y"),
              0);
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, OpenclRows,
                         ::testing::Values(RowsCase{CC_DTYPE_F32, 6, 1000},
                                           RowsCase{CC_DTYPE_F32, 4, 7},
                                           RowsCase{CC_DTYPE_F32, 3, 3001},
                                           RowsCase{CC_DTYPE_BF16, 5, 77},
                                           RowsCase{CC_DTYPE_F64, 4, 300}));

TEST_F(OpenclDriver, RowBackwardOpsAndCrossEntropyMatchReference) {
  const int64_t rows = 5, cols = 37;
  const size_t n = rows * cols;
  const cc_dtype t = CC_DTYPE_F32;
  const double tol = 1e-5;
  const auto x = quantize(t, pattern(n, 81, -2, 2)), dy = quantize(t, pattern(n, 82));
  const auto gamma = quantize(t, pattern(cols, 83)), y = quantize(t, pattern(n, 84, 0, 0.2));
  std::vector<double> mean(rows), rstd(rows);
  for (int64_t r = 0; r < rows; ++r) mean[r] = 0.1 * r, rstd[r] = 1.0 + 0.1 * r;
  mean = quantize(t, mean), rstd = quantize(t, rstd);

  auto lnb = make_desc(CC_OP_LAYERNORM_BACKWARD, t, t);
  lnb.u.rows = {.rows = rows, .cols = cols};
  cc_buffer* outs[] = {upload(t, std::vector<double>(n, 0)),
                       upload(t, std::vector<double>(cols, 0)),
                       upload(t, std::vector<double>(cols, 0))};
  ASSERT_TRUE(run(lnb, {upload(t, x), upload(t, gamma), upload(t, mean), upload(t, rstd),
                        upload(t, dy), outs[0], outs[1], outs[2]}));
  std::vector<double> dx(n), dgamma(cols, 0), dbeta(cols, 0);
  for (int64_t r = 0; r < rows; ++r) {
    double gs = 0, gxs = 0;
    for (int64_t c = 0; c < cols; ++c) {
      const double xh = (x[r * cols + c] - mean[r]) * rstd[r], g = dy[r * cols + c] * gamma[c];
      gs += g, gxs += g * xh;
      dgamma[c] += dy[r * cols + c] * xh, dbeta[c] += dy[r * cols + c];
    }
    for (int64_t c = 0; c < cols; ++c) {
      const double xh = (x[r * cols + c] - mean[r]) * rstd[r], g = dy[r * cols + c] * gamma[c];
      dx[r * cols + c] = rstd[r] * (g - gs / cols - xh * gxs / cols);
    }
  }
  const auto within = [&](size_t) { return tol; };
  EXPECT_EQ(count_mismatches(download(t, outs[0], n), dx, within, "dx"), 0);
  EXPECT_EQ(count_mismatches(download(t, outs[1], cols), dgamma, within, "dgamma"), 0);
  EXPECT_EQ(count_mismatches(download(t, outs[2], cols), dbeta, within, "dbeta"), 0);

  auto sb = make_desc(CC_OP_SOFTMAX_BACKWARD, t, t);
  sb.u.rows = {.rows = rows, .cols = cols, .scale = 0.5};
  cc_buffer* sdx = upload(t, std::vector<double>(n, 0));
  ASSERT_TRUE(run(sb, {upload(t, y), upload(t, dy), sdx}));
  std::vector<double> want(n);
  for (int64_t r = 0; r < rows; ++r) {
    double dot = 0;
    for (int64_t c = 0; c < cols; ++c) dot += dy[r * cols + c] * y[r * cols + c];
    for (int64_t c = 0; c < cols; ++c)
      want[r * cols + c] = 0.5 * y[r * cols + c] * (dy[r * cols + c] - dot);
  }
  EXPECT_EQ(count_mismatches(download(t, sdx, n), want, within, "softmax dx"), 0);

  // Cross-entropy; the last row's label is out of range: its loss is NaN.
  for (const bool bad_label : {false, true}) {
    std::vector<double> labels = {3, 0, 36, 17, 5};
    if (bad_label) labels.back() = 37;
    auto xe = make_desc(CC_OP_SOFTMAX_XENT, t, t);
    xe.u.rows = {.rows = rows, .cols = cols};
    cc_buffer* loss = upload(t, {-1.0});
    cc_buffer* dl = upload(t, std::vector<double>(n, 0));
    ASSERT_TRUE(run(xe, {upload(t, x), upload(CC_DTYPE_I32, labels), loss, dl}));
    const double got_loss = download(t, loss, 1)[0];
    if (bad_label) {
      EXPECT_TRUE(std::isnan(got_loss)) << got_loss;
      continue;
    }
    double total = 0;
    std::vector<double> dwant(n);
    for (int64_t r = 0; r < rows; ++r) {
      double mx = -INFINITY, sum = 0;
      for (int64_t c = 0; c < cols; ++c) mx = std::max(mx, x[r * cols + c]);
      for (int64_t c = 0; c < cols; ++c) sum += std::exp(x[r * cols + c] - mx);
      const auto label = static_cast<int64_t>(labels[r]);
      total += mx + std::log(sum) - x[r * cols + label];
      for (int64_t c = 0; c < cols; ++c)
        dwant[r * cols + c] = (std::exp(x[r * cols + c] - mx) / sum - (c == label)) / rows;
    }
    EXPECT_NEAR(got_loss, total / rows, tol);
    EXPECT_EQ(count_mismatches(download(t, dl, n), dwant, within, "dlogits"), 0);
  }
}

// ---- unsupported combinations and validation --------------------------------------

TEST_F(OpenclDriver, UnsupportedCombinationsSayWhy) {
  cc_kernel* k = nullptr;
  auto expect_unsupported = [&](cc_op_desc op, const char* needle) {
    EXPECT_EQ(d_->prepare(dev_, &op, &k), CC_ERR_UNSUPPORTED) << "op " << op.kind;
    EXPECT_NE(error().find(needle), std::string::npos) << error();
  };
  auto rows = make_desc(CC_OP_LAYERNORM_BACKWARD, CC_DTYPE_BF16, CC_DTYPE_F32);
  rows.u.rows = {.rows = 2, .cols = 2};
  expect_unsupported(rows, "bf16");
  auto adamw = make_desc(CC_OP_ADAMW, CC_DTYPE_I8, CC_DTYPE_I32);
  adamw.u.adamw = {.n = 4, .step = 1};
  expect_unsupported(adamw, "i8");
  auto peak = make_desc(CC_OP_PEAK, CC_DTYPE_TF32, CC_DTYPE_F32);
  peak.u.peak = {.n = 4, .iterations = 1};
  expect_unsupported(peak, "tf32");
  if (!has(CC_DTYPE_F16)) {
    for (cc_op_kind kind : {CC_OP_PEAK, CC_OP_GELU, CC_OP_SOFTMAX, CC_OP_CONV2D, CC_OP_ATTENTION}) {
      auto op = make_desc(kind, CC_DTYPE_F16, CC_DTYPE_F32);
      expect_unsupported(op, "cl_khr_fp16");
    }
  }
  auto wrong_acc = make_desc(CC_OP_SOFTMAX, CC_DTYPE_F32, CC_DTYPE_F64);
  wrong_acc.u.rows = {.rows = 2, .cols = 2};
  expect_unsupported(wrong_acc, "acc_dtype");
}

TEST_F(OpenclDriver, InvalidRowAndElementDescriptorsAreRejected) {
  cc_kernel* k = nullptr;
  auto soft = make_desc(CC_OP_SOFTMAX, CC_DTYPE_F32, CC_DTYPE_F32);
  soft.u.rows = {.rows = 2, .cols = 0};
  EXPECT_EQ(d_->prepare(dev_, &soft, &k), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("cols"), std::string::npos) << error();
  soft.u.rows = {.rows = 2, .cols = 4, .causal = 1, .seq_q = 0};
  EXPECT_EQ(d_->prepare(dev_, &soft, &k), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("seq_q"), std::string::npos) << error();
  auto adamw = make_desc(CC_OP_ADAMW, CC_DTYPE_F32, CC_DTYPE_F32);
  adamw.u.adamw = {.n = 4, .step = 0};
  EXPECT_EQ(d_->prepare(dev_, &adamw, &k), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("step"), std::string::npos) << error();
  auto gelu = make_desc(CC_OP_GELU, CC_DTYPE_F32, CC_DTYPE_F32);
  gelu.u.eltwise.n = -1;
  EXPECT_EQ(d_->prepare(dev_, &gelu, &k), CC_ERR_INVALID_ARGUMENT);
}

TEST_F(OpenclDriver, ShortBuffersAreNamedInTheError) {
  // layernorm: rstd (argument 5) one element short.
  auto ln = make_desc(CC_OP_LAYERNORM, CC_DTYPE_F32, CC_DTYPE_F32);
  ln.u.rows = {.rows = 3, .cols = 10, .eps = 1e-5};
  cc_kernel* k = prepare(ln);
  ASSERT_NE(k, nullptr);
  std::vector<cc_buffer*> args = {upload(CC_DTYPE_F32, std::vector<double>(30, 1)),
                                  upload(CC_DTYPE_F32, std::vector<double>(10, 1)),
                                  upload(CC_DTYPE_F32, std::vector<double>(10, 1)),
                                  upload(CC_DTYPE_F32, std::vector<double>(30, 1)),
                                  upload(CC_DTYPE_F32, std::vector<double>(3, 1)),
                                  upload(CC_DTYPE_F32, std::vector<double>(2, 1))};
  EXPECT_EQ(d_->launch(dev_, k, args.data(), 6), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("argument 5 (rstd)"), std::string::npos) << error();
  EXPECT_NE(error().find("12 bytes"), std::string::npos) << error();
  // adamw: v short; and param passed twice (an in-place output aliasing m).
  auto ad = make_desc(CC_OP_ADAMW, CC_DTYPE_F32, CC_DTYPE_F32);
  ad.u.adamw = {.n = 8, .step = 1, .lr = 0.1, .beta1 = 0.9, .beta2 = 0.99, .eps = 1e-8};
  cc_kernel* ka = prepare(ad);
  cc_buffer* p = upload(CC_DTYPE_F32, std::vector<double>(8, 1));
  cc_buffer* g = upload(CC_DTYPE_F32, std::vector<double>(8, 1));
  cc_buffer* m = upload(CC_DTYPE_F32, std::vector<double>(8, 1));
  cc_buffer* v = upload(CC_DTYPE_F32, std::vector<double>(7, 1));
  cc_buffer* short_v[] = {p, g, m, v};
  EXPECT_EQ(d_->launch(dev_, ka, short_v, 4), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("(v)"), std::string::npos) << error();
  cc_buffer* aliased[] = {p, g, p, m};
  EXPECT_EQ(d_->launch(dev_, ka, aliased, 4), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("same buffer"), std::string::npos) << error();
  // cross-entropy: labels are int32, one per row.
  auto xe = make_desc(CC_OP_SOFTMAX_XENT, CC_DTYPE_F32, CC_DTYPE_F32);
  xe.u.rows = {.rows = 4, .cols = 3};
  cc_kernel* kx = prepare(xe);
  cc_buffer* labels = upload(CC_DTYPE_I32, std::vector<double>(3, 0));
  cc_buffer* xargs[] = {upload(CC_DTYPE_F32, std::vector<double>(12, 0)), labels,
                        upload(CC_DTYPE_F32, {0.0}),
                        upload(CC_DTYPE_F32, std::vector<double>(12, 0))};
  EXPECT_EQ(d_->launch(dev_, kx, xargs, 4), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("(labels)"), std::string::npos) << error();
}

}  // namespace
