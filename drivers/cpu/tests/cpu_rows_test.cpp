// Row-wise ops (layernorm, softmax, their backward, cross-entropy) of the CPU
// driver against straightforward double-precision loops.
#include <algorithm>
#include <cmath>
#include <tuple>

#include "cpu_test_support.hpp"

namespace cpu_test {
namespace {

struct Shape {
  int64_t rows, cols;
};
constexpr Shape kShapes[] = {{1, 1}, {3, 17}, {5, 1000}, {64, 33}, {7, 4099}};

template <class T>
double tol_of() {
  return sizeof(T) == 4 ? 3e-6 : 1e-13;
}

template <class T>
void layernorm_case(CpuOps& t, cc_dtype dt, Shape s) {
  const size_t rc = size_t(s.rows * s.cols), r = size_t(s.rows), c = size_t(s.cols);
  const auto x = uniform<T>(rc, -3, 5, 21), g = uniform<T>(c, 0.5, 1.5, 22),
             b = uniform<T>(c, -1, 1, 23), dy = uniform<T>(rc, -1, 1, 24);
  cc_buffer *bx = t.upload(x), *bg = t.upload(g), *bb = t.upload(b), *bdy = t.upload(dy);
  cc_buffer *by = t.zeros(rc * sizeof(T)), *bm = t.zeros(r * sizeof(T)),
            *bs = t.zeros(r * sizeof(T));
  cc_op_desc op = CpuOps::desc(CC_OP_LAYERNORM, dt, dt);
  op.u.rows.rows = s.rows, op.u.rows.cols = s.cols, op.u.rows.eps = 1e-5;
  ASSERT_EQ(t.run(op, {bx, bg, bb, by, bm, bs}), CC_OK) << t.error();
  std::vector<double> wy(rc), wm(r), ws(r), wdx(rc), wdg(c, 0.0), wdb(c, 0.0);
  for (size_t i = 0; i < r; ++i) {
    double mu = 0, var = 0;
    for (size_t j = 0; j < c; ++j) mu += double(x[i * c + j]);
    mu /= double(c);
    for (size_t j = 0; j < c; ++j) var += (double(x[i * c + j]) - mu) * (double(x[i * c + j]) - mu);
    var /= double(c);
    const double rs = 1 / std::sqrt(var + 1e-5);
    wm[i] = mu, ws[i] = rs;
    double a = 0, bsum = 0;
    for (size_t j = 0; j < c; ++j) {
      const double xh = (double(x[i * c + j]) - mu) * rs;
      wy[i * c + j] = xh * double(g[j]) + double(b[j]);
      a += double(dy[i * c + j]) * double(g[j]);
      bsum += double(dy[i * c + j]) * double(g[j]) * xh;
      wdg[j] += double(dy[i * c + j]) * xh;
      wdb[j] += double(dy[i * c + j]);
    }
    a /= double(c), bsum /= double(c);
    for (size_t j = 0; j < c; ++j) {
      const double xh = (double(x[i * c + j]) - mu) * rs;
      wdx[i * c + j] = rs * (double(dy[i * c + j]) * double(g[j]) - a - xh * bsum);
    }
  }
  const double tol = tol_of<T>();
  EXPECT_TRUE(close_all(t.download<T>(by, rc), wy, tol, tol)) << "y " << s.rows << "x" << s.cols;
  EXPECT_TRUE(close_all(t.download<T>(bm, r), wm, tol, tol)) << "mean";
  EXPECT_TRUE(close_all(t.download<T>(bs, r), ws, tol, tol)) << "rstd";

  // Backward from the driver's own mean/rstd (as a training step would).
  cc_buffer *bdx = t.zeros(rc * sizeof(T)), *bdg = t.zeros(c * sizeof(T)),
            *bdb = t.zeros(c * sizeof(T));
  op.kind = CC_OP_LAYERNORM_BACKWARD;
  ASSERT_EQ(t.run(op, {bx, bg, bm, bs, bdy, bdx, bdg, bdb}), CC_OK) << t.error();
  EXPECT_TRUE(close_all(t.download<T>(bdx, rc), wdx, tol * 10, tol * 10)) << "dx";
  EXPECT_TRUE(close_all(t.download<T>(bdg, c), wdg, tol * double(s.rows), tol)) << "dgamma";
  EXPECT_TRUE(close_all(t.download<T>(bdb, c), wdb, tol * double(s.rows), tol)) << "dbeta";
}

TEST_F(CpuOps, LayernormAndBackwardMatchDoubleLoops) {
  for (Shape s : kShapes) {
    layernorm_case<float>(*this, CC_DTYPE_F32, s);
    layernorm_case<double>(*this, CC_DTYPE_F64, s);
  }
}

/// Softmax (optionally causal) and its backward; rows = batch * seq_q.
template <class T>
void softmax_case(CpuOps& t, cc_dtype dt, Shape s, bool causal, int64_t seq_q, double scale,
                  const char* isa) {
  IsaCap cap(isa);
  const size_t rc = size_t(s.rows * s.cols), c = size_t(s.cols);
  const auto x = uniform<T>(rc, -4, 4, 31), dy = uniform<T>(rc, -1, 1, 32);
  cc_buffer *bx = t.upload(x), *bdy = t.upload(dy), *by = t.zeros(rc * sizeof(T)),
            *bdx = t.zeros(rc * sizeof(T));
  cc_op_desc op = CpuOps::desc(CC_OP_SOFTMAX, dt, dt);
  op.u.rows.rows = s.rows, op.u.rows.cols = s.cols, op.u.rows.scale = scale;
  op.u.rows.causal = causal, op.u.rows.seq_q = seq_q;
  ASSERT_EQ(t.run(op, {bx, by}), CC_OK) << t.error();
  std::vector<double> wy(rc, 0.0), wdx(rc, 0.0);
  for (size_t i = 0; i < size_t(s.rows); ++i) {
    size_t vis = c;
    if (causal) {
      const int64_t last = int64_t(i) % seq_q + (s.cols - seq_q);
      vis = size_t(std::clamp<int64_t>(last + 1, 0, s.cols));
    }
    double mx = -INFINITY, sum = 0;
    for (size_t j = 0; j < vis; ++j) mx = std::max(mx, scale * double(x[i * c + j]));
    for (size_t j = 0; j < vis; ++j) sum += std::exp(scale * double(x[i * c + j]) - mx);
    for (size_t j = 0; j < vis; ++j)
      wy[i * c + j] = std::exp(scale * double(x[i * c + j]) - mx) / sum;
  }
  const double tol = tol_of<T>();
  const auto y = t.download<T>(by, rc);
  ASSERT_TRUE(close_all(y, wy, tol * 0.1, tol)) << s.rows << "x" << s.cols << " causal " << causal;
  // Backward from the driver's y: dx = scale * y * (dy - sum(dy*y)).
  op.kind = CC_OP_SOFTMAX_BACKWARD;
  ASSERT_EQ(t.run(op, {by, bdy, bdx}), CC_OK) << t.error();
  for (size_t i = 0; i < size_t(s.rows); ++i) {
    double d = 0;
    for (size_t j = 0; j < c; ++j) d += double(dy[i * c + j]) * double(y[i * c + j]);
    for (size_t j = 0; j < c; ++j)
      wdx[i * c + j] = scale * double(y[i * c + j]) * (double(dy[i * c + j]) - d);
  }
  EXPECT_TRUE(close_all(t.download<T>(bdx, rc), wdx, tol, tol)) << "softmax backward";
}

TEST_F(CpuOps, SoftmaxAndBackwardMatchDoubleLoops) {
  for (Shape s : kShapes)
    for (const char* isa : {static_cast<const char*>(nullptr), "scalar"}) {
      softmax_case<float>(*this, CC_DTYPE_F32, s, false, 0, 0.7, isa);
      softmax_case<double>(*this, CC_DTYPE_F64, s, false, 0, -1.3, isa);
    }
  // Causal: 2 heads of seq_q rows over cols keys; seq_q < cols (a KV cache),
  // seq_q == cols, and seq_q > cols (leading rows see nothing: all zero).
  for (auto [seq_q, cols] : {std::pair<int64_t, int64_t>{3, 10}, {16, 16}, {9, 4}, {1, 300}}) {
    softmax_case<float>(*this, CC_DTYPE_F32, {2 * seq_q, cols}, true, seq_q, 0.5, nullptr);
    softmax_case<double>(*this, CC_DTYPE_F64, {2 * seq_q, cols}, true, seq_q, 0.5, nullptr);
  }
  cc_op_desc op = desc(CC_OP_SOFTMAX, CC_DTYPE_F32, CC_DTYPE_F32);
  op.u.rows.rows = 5, op.u.rows.cols = 4, op.u.rows.causal = 1, op.u.rows.seq_q = 2;
  cc_kernel* k = nullptr;
  EXPECT_EQ(drv().prepare(dev_, &op, &k), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("seq_q"), std::string::npos) << error();
}

template <class T>
void xent_case(CpuOps& t, cc_dtype dt, Shape s) {
  const size_t rc = size_t(s.rows * s.cols), r = size_t(s.rows), c = size_t(s.cols);
  const auto x = uniform<T>(rc, -5, 5, 41);
  std::vector<int32_t> labels(r);
  for (size_t i = 0; i < r; ++i) labels[i] = int32_t((i * 7 + 3) % c);
  cc_buffer *bx = t.upload(x), *bl = t.upload(labels), *bloss = t.zeros(sizeof(T)),
            *bd = t.zeros(rc * sizeof(T));
  cc_op_desc op = CpuOps::desc(CC_OP_SOFTMAX_XENT, dt, dt);
  op.u.rows.rows = s.rows, op.u.rows.cols = s.cols;
  ASSERT_EQ(t.run(op, {bx, bl, bloss, bd}), CC_OK) << t.error();
  std::vector<double> wd(rc);
  double loss = 0;
  for (size_t i = 0; i < r; ++i) {
    double mx = -INFINITY, sum = 0;
    for (size_t j = 0; j < c; ++j) mx = std::max(mx, double(x[i * c + j]));
    for (size_t j = 0; j < c; ++j) sum += std::exp(double(x[i * c + j]) - mx);
    loss += std::log(sum) - (double(x[i * c + size_t(labels[i])]) - mx);
    for (size_t j = 0; j < c; ++j)
      wd[i * c + j] =
          (std::exp(double(x[i * c + j]) - mx) / sum - (int32_t(j) == labels[i] ? 1.0 : 0.0)) /
          double(r);
  }
  const double tol = tol_of<T>();
  EXPECT_TRUE(close_all(t.download<T>(bloss, 1), std::vector<double>{loss / double(r)}, tol, tol));
  EXPECT_TRUE(close_all(t.download<T>(bd, rc), wd, tol / double(r), tol)) << "dlogits";
}

TEST_F(CpuOps, SoftmaxCrossEntropyMatchesDoubleLoop) {
  for (Shape s : kShapes) {
    xent_case<float>(*this, CC_DTYPE_F32, s);
    xent_case<double>(*this, CC_DTYPE_F64, s);
  }
  // A label outside [0, cols) is the caller's error, named in the message.
  const std::vector<float> x(6, 0.0f);
  const std::vector<int32_t> labels = {0, 3};
  cc_op_desc op = desc(CC_OP_SOFTMAX_XENT, CC_DTYPE_F32, CC_DTYPE_F32);
  op.u.rows.rows = 2, op.u.rows.cols = 3;
  EXPECT_EQ(run(op, {upload(x), upload(labels), zeros(4), zeros(24)}), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("labels[1] = 3"), std::string::npos) << error();
}

}  // namespace
}  // namespace cpu_test
