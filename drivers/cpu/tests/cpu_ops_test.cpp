// PEAK, the element-wise and the row-wise ops of the CPU driver against
// straightforward double-precision loops.
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "cpu_test_support.hpp"

namespace cpu_test {
namespace {

// ---- PEAK -------------------------------------------------------------------

/// PEAK for every ISA the test can force, against the per-element recurrence.
class PeakTest : public CpuOps {
 protected:
  template <class T>
  void check_float(cc_dtype dt, const char* isa, int64_t n, int64_t iters) {
    IsaCap cap(isa);
    cc_op_desc op = desc(CC_OP_PEAK, dt, dt);
    op.u.peak = {n, iters, 0.999, 0.001};
    const auto x = uniform<T>(size_t(n), -1, 1, 7);
    cc_buffer* bx = upload(x);
    cc_buffer* by = zeros(size_t(n) * sizeof(T));
    ASSERT_EQ(run(op, {bx, by}), CC_OK) << error();
    const auto y = download<T>(by, size_t(n));
    for (int64_t e = 0; e < n; ++e) {
      T acc = x[size_t(e)];
      for (int64_t i = 0; i < iters; ++i) acc = std::fma(acc, T(0.999), T(0.001));
      ASSERT_EQ(y[size_t(e)], acc) << "element " << e << " isa " << (isa ? isa : "best");
    }
  }
};

TEST_F(PeakTest, FloatChainsMatchTheRecurrenceOnEveryIsa) {
  for (const char* isa : {static_cast<const char*>(nullptr), "avx2", "scalar"})
    for (auto [n, it] :
         {std::pair<int64_t, int64_t>{1, 3}, {17, 0}, {383, 1}, {385, 7}, {3001, 20}, {0, 5}}) {
      check_float<float>(CC_DTYPE_F32, isa, n, it);
      check_float<double>(CC_DTYPE_F64, isa, n, it);
    }
}

TEST_F(PeakTest, Bf16DotProductsDoTwoIterationsEach) {
  for (const char* isa : {static_cast<const char*>(nullptr), "avx512_bf16_vnni", "scalar"})
    for (auto [n, it] : {std::pair<int64_t, int64_t>{1, 1}, {40, 2}, {777, 9}, {5000, 100}}) {
      IsaCap cap(isa);
      cc_op_desc op = desc(CC_OP_PEAK, CC_DTYPE_BF16, CC_DTYPE_F32);
      op.u.peak = {n, it, 0.3, -0.7};  // rounded to bf16 by the driver
      const auto x = uniform<float>(size_t(n), -1, 1, 3);
      cc_buffer* bx = upload(x);
      cc_buffer* by = zeros(size_t(n) * 4);
      ASSERT_EQ(run(op, {bx, by}), CC_OK) << error();
      const double ab = double(from_bf16(to_bf16(0.3f))) * double(from_bf16(to_bf16(-0.7f)));
      std::vector<double> want(static_cast<size_t>(n));
      for (int64_t e = 0; e < n; ++e) want[size_t(e)] = double(x[size_t(e)]) + double(it) * ab;
      // fp32 accumulation: one rounding per step of a value below ~30.
      EXPECT_TRUE(close_all(download<float>(by, size_t(n)), want, 4e-6 * double(it + 1), 0))
          << "n " << n << " iterations " << it;
    }
}

TEST_F(PeakTest, Int8IsExactSignedArithmetic) {
  // Includes (-128) * (-128), which no single u8 x s8 product can express.
  for (const char* isa : {static_cast<const char*>(nullptr), "avx512_bf16_vnni", "scalar"})
    for (auto [a, b] : {std::pair{-128, -128}, {127, -128}, {-3, 5}, {0, 77}, {-1, -1}})
      for (auto [n, it] : {std::pair<int64_t, int64_t>{1, 1}, {33, 6}, {400, 7}, {1000, 41}}) {
        IsaCap cap(isa);
        cc_op_desc op = desc(CC_OP_PEAK, CC_DTYPE_I8, CC_DTYPE_I32);
        op.u.peak = {n, it, double(a), double(b)};
        std::vector<int32_t> x(static_cast<size_t>(n));
        for (int64_t e = 0; e < n; ++e) x[size_t(e)] = int32_t(e * 7919 % 20001) - 10000;
        cc_buffer* bx = upload(x);
        cc_buffer* by = zeros(size_t(n) * 4);
        ASSERT_EQ(run(op, {bx, by}), CC_OK) << error();
        const auto y = download<int32_t>(by, size_t(n));
        for (int64_t e = 0; e < n; ++e)
          ASSERT_EQ(int64_t(y[size_t(e)]), int64_t(x[size_t(e)]) + it * a * b)
              << "a " << a << " b " << b << " n " << n << " iterations " << it << " element " << e;
      }
}

// AMX: 1536 elements (6 tiles) a group, 32 (bf16) or 64 (int8) iterations
// an instruction, the rest on AVX-512; counts and iterations around both.
TEST_F(PeakTest, AmxTilesMatchTheRecurrence) {
  if (!__builtin_cpu_supports("amx-tile") || !__builtin_cpu_supports("amx-bf16") ||
      !__builtin_cpu_supports("amx-int8"))
    GTEST_SKIP() << "the CPU reports no AMX-TILE/AMX-BF16/AMX-INT8: the AMX peak kernels are "
                    "built but not run on this host";
  // As the driver does: Linux hands out the tile state only on request.
  if (syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XTILEDATA */) != 0)
    GTEST_SKIP() << "Linux refused the AMX tile state: the driver uses AVX-512 here";
  IsaCap cap("amx");
  const std::pair<int64_t, int64_t> shapes[] = {{1, 1},     {1535, 31}, {1536, 32},
                                                {1537, 33}, {3077, 64}, {4000, 200}};
  for (auto [n, it] : shapes) {
    cc_op_desc op = desc(CC_OP_PEAK, CC_DTYPE_BF16, CC_DTYPE_F32);
    op.u.peak = {n, it, 0.3, -0.7};
    const auto x = uniform<float>(size_t(n), -1, 1, 3);
    cc_buffer* bx = upload(x);
    cc_buffer* by = zeros(size_t(n) * 4);
    ASSERT_EQ(run(op, {bx, by}), CC_OK) << error();
    ASSERT_NE(last_info_.find("unit amx-bf16"), std::string::npos)
        << "Linux refused the tile state? " << last_info_;
    const double ab = double(from_bf16(to_bf16(0.3f))) * double(from_bf16(to_bf16(-0.7f)));
    std::vector<double> want(static_cast<size_t>(n));
    for (int64_t e = 0; e < n; ++e) want[size_t(e)] = double(x[size_t(e)]) + double(it) * ab;
    EXPECT_TRUE(close_all(download<float>(by, size_t(n)), want, 4e-6 * double(it + 1), 0))
        << "bf16 n " << n << " iterations " << it;
  }
  for (auto [n, it] : shapes)
    for (auto [a, b] : {std::pair{-128, -128}, {127, -3}}) {
      cc_op_desc op = desc(CC_OP_PEAK, CC_DTYPE_I8, CC_DTYPE_I32);
      op.u.peak = {n, it, double(a), double(b)};
      std::vector<int32_t> x(static_cast<size_t>(n));
      for (int64_t e = 0; e < n; ++e) x[size_t(e)] = int32_t(e * 7919 % 20001) - 10000;
      cc_buffer* bx = upload(x);
      cc_buffer* by = zeros(size_t(n) * 4);
      ASSERT_EQ(run(op, {bx, by}), CC_OK) << error();
      EXPECT_NE(last_info_.find("unit amx-int8"), std::string::npos) << last_info_;
      const auto y = download<int32_t>(by, size_t(n));
      for (int64_t e = 0; e < n; ++e)
        ASSERT_EQ(int64_t(y[size_t(e)]), int64_t(x[size_t(e)]) + it * a * b)
            << "int8 a " << a << " b " << b << " n " << n << " iterations " << it << " element "
            << e;
    }
}

TEST_F(PeakTest, KernelInfoNamesTheInstruction) {
  cc_op_desc op = desc(CC_OP_PEAK, CC_DTYPE_F32, CC_DTYPE_F32);
  op.u.peak = {16, 1, 1, 0};
  cc_buffer* b = zeros(64);
  cc_buffer* y = zeros(64);
  ASSERT_EQ(run(op, {b, y}), CC_OK) << error();
  EXPECT_NE(last_info_.find("fma"), std::string::npos) << last_info_;
  // And the execution unit, by the name the host record gives it.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl")) {
    EXPECT_NE(last_info_.find("unit avx512-fma-fp32: "), std::string::npos) << last_info_;
  }
  {
    IsaCap cap("scalar");
    ASSERT_EQ(run(op, {b, y}), CC_OK) << error();
    EXPECT_NE(last_info_.find("scalar"), std::string::npos) << last_info_;
  }
  op.u.peak.alpha = 300;  // int8 operands must fit int8
  op.dtype = CC_DTYPE_I8, op.acc_dtype = CC_DTYPE_I32;
  cc_kernel* k = nullptr;
  EXPECT_EQ(drv().prepare(dev_, &op, &k), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("alpha and beta"), std::string::npos) << error();
}

// ---- element-wise -----------------------------------------------------------

double gelu(double x) {
  return 0.5 * x * std::erfc(-x / std::sqrt(2.0));
}
double gelu_grad(double x) {
  return 0.5 * std::erfc(-x / std::sqrt(2.0)) + x * std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
}

template <class T>
void eltwise_case(CpuOps& t, cc_dtype dt, int64_t n, const char* isa) {
  IsaCap cap(isa);
  const double tol = sizeof(T) == 4 ? 2e-6 : 1e-14;
  const auto a = uniform<T>(size_t(n), -6, 6, 11), b = uniform<T>(size_t(n), -2, 2, 12);
  cc_buffer* ba = t.upload(a);
  cc_buffer* bb = t.upload(b);
  cc_buffer* by = t.zeros(size_t(n) * sizeof(T));
  std::vector<double> want(static_cast<size_t>(n));

  cc_op_desc op = CpuOps::desc(CC_OP_GELU, dt, dt);
  op.u.eltwise.n = n;
  ASSERT_EQ(t.run(op, {ba, by}), CC_OK) << t.error();
  for (int64_t i = 0; i < n; ++i) want[size_t(i)] = gelu(double(a[size_t(i)]));
  EXPECT_TRUE(close_all(t.download<T>(by, size_t(n)), want, tol * 1e-3, tol)) << "GELU n " << n;

  // GELU' = Phi(x) + x phi(x) cancels near x = -0.75: an absolute bound
  // relative to the terms (~0.2), not to the result.
  op.kind = CC_OP_GELU_BACKWARD;
  ASSERT_EQ(t.run(op, {ba, bb, by}), CC_OK) << t.error();
  for (int64_t i = 0; i < n; ++i)
    want[size_t(i)] = double(b[size_t(i)]) * gelu_grad(double(a[size_t(i)]));
  EXPECT_TRUE(close_all(t.download<T>(by, size_t(n)), want, tol * 0.1, tol * 4))
      << "GELU_BACKWARD n " << n;

  for (cc_op_kind kind : {CC_OP_ADD, CC_OP_MUL}) {
    op.kind = kind;
    ASSERT_EQ(t.run(op, {ba, bb, by}), CC_OK) << t.error();
    const auto y = t.download<T>(by, size_t(n));
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(y[size_t(i)], kind == CC_OP_ADD ? T(a[size_t(i)] + b[size_t(i)])
                                                : T(a[size_t(i)] * b[size_t(i)]));
  }
}

TEST_F(CpuOps, EltwiseOpsMatchDoubleLoops) {
  for (int64_t n : {1, 15, 17, 2049, 70001}) {
    for (const char* isa : {static_cast<const char*>(nullptr), "avx2", "scalar"})
      eltwise_case<float>(*this, CC_DTYPE_F32, n, isa);
    eltwise_case<double>(*this, CC_DTYPE_F64, n, nullptr);
  }
}

template <class T>
void adamw_case(CpuOps& t, cc_dtype dt, int64_t n, int64_t step) {
  auto p = uniform<T>(size_t(n), -1, 1, 1), g = uniform<T>(size_t(n), -1, 1, 2);
  auto m = uniform<T>(size_t(n), -0.1, 0.1, 3), v = uniform<T>(size_t(n), 0, 0.01, 4);
  cc_buffer* bufs[4] = {t.upload(p), t.upload(g), t.upload(m), t.upload(v)};
  cc_op_desc op = CpuOps::desc(CC_OP_ADAMW, dt, dt);
  op.u.adamw = {n, step, 1e-3, 0.9, 0.999, 1e-8, 0.01};
  ASSERT_EQ(t.run(op, {bufs[0], bufs[1], bufs[2], bufs[3]}), CC_OK) << t.error();
  std::vector<double> wp(static_cast<size_t>(n)), wm(static_cast<size_t>(n)),
      wv(static_cast<size_t>(n));
  for (size_t i = 0; i < size_t(n); ++i) {
    wm[i] = 0.9 * double(m[i]) + 0.1 * double(g[i]);
    wv[i] = 0.999 * double(v[i]) + 0.001 * double(g[i]) * double(g[i]);
    const double mh = wm[i] / (1 - std::pow(0.9, double(step)));
    const double vh = wv[i] / (1 - std::pow(0.999, double(step)));
    wp[i] = double(p[i]) - 1e-3 * (mh / (std::sqrt(vh) + 1e-8) + 0.01 * double(p[i]));
  }
  const double tol = sizeof(T) == 4 ? 1e-6 : 1e-13;
  EXPECT_TRUE(close_all(t.download<T>(bufs[0], size_t(n)), wp, tol, tol)) << "param";
  EXPECT_TRUE(close_all(t.download<T>(bufs[2], size_t(n)), wm, tol, tol)) << "m";
  EXPECT_TRUE(close_all(t.download<T>(bufs[3], size_t(n)), wv, tol, tol)) << "v";
}

TEST_F(CpuOps, AdamwMatchesDoubleLoop) {
  for (auto [n, step] : {std::pair<int64_t, int64_t>{1, 1}, {33, 2}, {10007, 1000}}) {
    adamw_case<float>(*this, CC_DTYPE_F32, n, step);
    adamw_case<double>(*this, CC_DTYPE_F64, n, step);
  }
  cc_op_desc op = desc(CC_OP_ADAMW, CC_DTYPE_F32, CC_DTYPE_F32);
  op.u.adamw = {4, 0, 1e-3, 0.9, 0.999, 1e-8, 0};
  cc_kernel* k = nullptr;
  EXPECT_EQ(drv().prepare(dev_, &op, &k), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("step"), std::string::npos) << error();
}

}  // namespace
}  // namespace cpu_test
