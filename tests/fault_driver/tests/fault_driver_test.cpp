// Pins the fault-injection driver itself through the C ABI: the plugin is
// loaded with dlopen exactly as chipcert loads it. This file: the table,
// discovery, configuration errors and correct results; fault_modes_test.cpp:
// every CHIPCERT_FAULT mode.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "fault_test_support.hpp"

namespace {

using namespace fault_test;

// ---- the table, discovery and configuration ---------------------------------

TEST_F(FaultTest, TableIsFaultDriverWithOrWithoutTimer) {
  EXPECT_STREQ(T().name, "fault");
  EXPECT_EQ(T().abi_version, CC_DRIVER_ABI_VERSION);
  EXPECT_EQ(T().struct_size, sizeof(cc_driver_v1));
  EXPECT_NE(T().timed_launch, nullptr);
  EXPECT_EQ(Entry()(0), nullptr);
  Set("CHIPCERT_FAULT_NO_TIMER", "1");
  const cc_driver_v1* nt = Entry()(CC_DRIVER_ABI_VERSION);
  ASSERT_NE(nt, nullptr);
  EXPECT_EQ(nt->timed_launch, nullptr);
  EXPECT_EQ(nt->launch, T().launch);
  Set("CHIPCERT_FAULT_NO_TIMER", "0");
  EXPECT_NE(Entry()(CC_DRIVER_ABI_VERSION)->timed_launch, nullptr);
}

TEST_F(FaultTest, DeviceInfoIsSane) {
  uint32_t n = 0;
  ASSERT_EQ(T().enumerate(&n), CC_OK);
  EXPECT_EQ(n, 1u);
  cc_device_info info{};
  info.struct_size = sizeof info;
  ASSERT_EQ(T().device_info(0, &info), CC_OK);
  EXPECT_STREQ(info.name, "chipcert fault-injection device");
  EXPECT_STREQ(info.vendor, "chipcert test");
  EXPECT_EQ(std::strlen(info.uuid), 36u);
  EXPECT_GT(info.memory_bytes, 0u);
  EXPECT_EQ(info.compute_units, 1u);
  EXPECT_EQ(info.dtypes, CC_DTYPE_BIT(CC_DTYPE_F32) | CC_DTYPE_BIT(CC_DTYPE_F64));
  EXPECT_EQ(T().device_info(1, &info), CC_ERR_INVALID_ARGUMENT);
  Set("CHIPCERT_FAULT_DEVICES", "3");
  ASSERT_EQ(T().enumerate(&n), CC_OK);
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(T().device_info(2, &info), CC_OK);
}

TEST_F(FaultTest, BadVariablesAreNamedInTheError) {
  const std::vector<std::pair<const char*, const char*>> bad = {
      {"CHIPCERT_FAULT", "bogus"},     {"CHIPCERT_FAULT_OP", "gemmm"},
      {"CHIPCERT_FAULT_AFTER", "-1"},  {"CHIPCERT_FAULT_ARG", "nan"},
      {"CHIPCERT_FAULT_DEVICES", "0"}, {"CHIPCERT_FAULT_DEVICE", "1"}};
  for (const auto& [var, value] : bad) {
    SCOPED_TRACE(var);
    Set(var, value);
    uint32_t n = 0;
    EXPECT_EQ(T().enumerate(&n), CC_ERR_INVALID_ARGUMENT);
    const std::string err = T().last_error(nullptr);
    EXPECT_NE(err.find(std::string(var) + "=\"" + value + "\""), std::string::npos) << err;
    EXPECT_NE(err.find("expected"), std::string::npos) << err;
    unsetenv(var);
  }
}

TEST_F(FaultTest, EnumerateFaults) {
  uint32_t n = 0;
  Set("CHIPCERT_FAULT", "huge_count");
  ASSERT_EQ(T().enumerate(&n), CC_OK);
  EXPECT_EQ(n, 4000000000u);
  Set("CHIPCERT_FAULT", "enumerate_error");
  EXPECT_EQ(T().enumerate(&n), CC_ERR_DEVICE);
  EXPECT_STREQ(T().last_error(nullptr), "injected enumerate failure");
}

TEST_F(FaultTest, AbsurdInfo) {
  Set("CHIPCERT_FAULT", "absurd_info");
  cc_device_info info{};
  info.struct_size = sizeof info;
  ASSERT_EQ(T().device_info(0, &info), CC_OK);
  EXPECT_STREQ(info.name, "");
  EXPECT_EQ(info.memory_bytes, 0u);
  EXPECT_EQ(info.compute_units, 0u);
}

TEST_F(FaultTest, UnterminatedInfoFillsEveryStringArray) {
  Set("CHIPCERT_FAULT", "unterminated_info");
  cc_device_info info{};
  info.struct_size = sizeof info;
  ASSERT_EQ(T().device_info(0, &info), CC_OK);
  EXPECT_EQ(std::memchr(info.name, 0, sizeof info.name), nullptr);
  EXPECT_EQ(std::memchr(info.vendor, 0, sizeof info.vendor), nullptr);
  EXPECT_EQ(std::memchr(info.driver_version, 0, sizeof info.driver_version), nullptr);
  EXPECT_EQ(std::memchr(info.uuid, 0, sizeof info.uuid), nullptr);
  EXPECT_EQ(std::memchr(info.serial, 0, sizeof info.serial), nullptr);
  EXPECT_EQ(std::memchr(info.pci_bus_id, 0, sizeof info.pci_bus_id), nullptr);
}

TEST_F(FaultTest, DeviceFilterLeavesOtherDevicesAlone) {
  Set("CHIPCERT_FAULT_DEVICES", "2");
  Set("CHIPCERT_FAULT_DEVICE", "1");
  Set("CHIPCERT_FAULT", "absurd_info");
  cc_device_info info{};
  info.struct_size = sizeof info;
  ASSERT_EQ(T().device_info(0, &info), CC_OK);
  EXPECT_STREQ(info.name, "chipcert fault-injection device");
  ASSERT_EQ(T().device_info(1, &info), CC_OK);
  EXPECT_STREQ(info.name, "");
  Set("CHIPCERT_FAULT", "open_fail");
  Dev d0(0), d1(1);
  EXPECT_EQ(d0.status, CC_OK);
  EXPECT_EQ(d1.status, CC_ERR_DEVICE);
  EXPECT_STREQ(T().last_error(nullptr), "injected open failure");
  Set("CHIPCERT_FAULT", "error");
  Stream s(d0, CC_OP_STREAM_ADD, CC_DTYPE_F32, 16);
  EXPECT_EQ(s.op.Launch(), CC_OK);
}

// ---- correct results ----------------------------------------------------------

struct GemmCase {
  cc_dtype t;
  bool ta, tb;
  int64_t batch;
  double alpha, beta;
};

class GemmTest : public FaultTest, public ::testing::WithParamInterface<GemmCase> {};

TEST_P(GemmTest, MatchesReference) {
  const GemmCase c = GetParam();
  const int64_t m = 5, n = 7, k = 9, pad = 3, nb = std::max<int64_t>(c.batch, 1);
  cc_gemm_params g{};
  g.m = m, g.n = n, g.k = k;
  g.trans_a = c.ta, g.trans_b = c.tb;
  g.lda = (c.ta ? m : k) + pad, g.ldb = (c.tb ? k : n) + pad, g.ldc = n + pad;
  g.alpha = c.alpha, g.beta = c.beta, g.batch = c.batch;
  const int64_t sa = (c.ta ? k : m) * g.lda, sb = (c.tb ? n : k) * g.ldb, sc = m * g.ldc + 2;
  g.stride_a = sa, g.stride_b = 0 /* shared B */, g.stride_c = sc;
  cc_op_desc d = Desc(CC_OP_GEMM, c.t);
  d.u.gemm = g;
  const auto a = Values(size_t(nb * sa), 0.3), b = Values(size_t(sb), 1.1),
             c0 = Values(size_t(nb * sc), 2.9);
  Dev dev;
  Op op(dev, d, {a, b, c0});
  ASSERT_EQ(op.prepare_status, CC_OK) << dev.error();
  ASSERT_EQ(op.Launch(), CC_OK) << dev.error();
  const auto out = op.Read(2, c0.size());
  const auto round = [&](double x) { return c.t == CC_DTYPE_F32 ? double(float(x)) : x; };
  const double tol = c.t == CC_DTYPE_F32 ? 1e-5 : 1e-13;
  for (int64_t bt = 0; bt < nb; ++bt)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p)
          s += round(a[size_t(bt * sa + (c.ta ? p * g.lda + i : i * g.lda + p))]) *
               round(b[size_t(c.tb ? j * g.ldb + p : p * g.ldb + j)]);
        const size_t at = size_t(bt * sc + i * g.ldc + j);
        const double want = c.alpha * s + c.beta * round(c0[at]);
        EXPECT_NEAR(out[at], want, tol * (1 + std::fabs(want))) << bt << "," << i << "," << j;
      }
  // Padding and the gap between C matrices are never written.
  EXPECT_EQ(out[size_t(n)], round(c0[size_t(n)]));
  EXPECT_EQ(out[size_t(sc - 1)], round(c0[size_t(sc - 1)]));
}

INSTANTIATE_TEST_SUITE_P(Shapes, GemmTest,
                         ::testing::Values(GemmCase{CC_DTYPE_F32, false, false, 1, 1.0, 0.0},
                                           GemmCase{CC_DTYPE_F64, false, false, 0, 1.0, 0.0},
                                           GemmCase{CC_DTYPE_F32, true, false, 1, 0.5, 2.0},
                                           GemmCase{CC_DTYPE_F64, false, true, 1, -1.5, 1.0},
                                           GemmCase{CC_DTYPE_F32, true, true, 3, 2.0, -0.5},
                                           GemmCase{CC_DTYPE_F64, true, true, 4, 1.0, 0.25},
                                           GemmCase{CC_DTYPE_F64, false, false, 2, 0.0, 3.0}));

TEST_F(FaultTest, StreamOpsMatchReference) {
  const size_t n = 37;
  for (cc_dtype t : {CC_DTYPE_F32, CC_DTYPE_F64})
    for (cc_op_kind kind : {CC_OP_STREAM_COPY, CC_OP_STREAM_MUL, CC_OP_STREAM_ADD,
                            CC_OP_STREAM_TRIAD, CC_OP_STREAM_DOT}) {
      SCOPED_TRACE(std::to_string(kind) + (t == CC_DTYPE_F32 ? " fp32" : " fp64"));
      Dev dev;
      Stream s(dev, kind, t, n);
      ASSERT_EQ(s.op.prepare_status, CC_OK) << dev.error();
      ASSERT_EQ(s.op.Launch(), CC_OK) << dev.error();
      const auto out = s.Out();
      const auto x = s.op.Read(0, n);
      const auto y = s.inputs > 1 ? s.op.Read(1, n) : x;
      const double tol = t == CC_DTYPE_F32 ? 1e-6 : 1e-15;
      double dot = 0;
      for (size_t i = 0; i < n; ++i) {
        dot += x[i] * y[i];
        const double want = kind == CC_OP_STREAM_COPY  ? x[i]
                            : kind == CC_OP_STREAM_MUL ? 0.4 * x[i]
                            : kind == CC_OP_STREAM_ADD ? x[i] + y[i]
                                                       : x[i] + 0.4 * y[i];
        if (kind != CC_OP_STREAM_DOT) {
          EXPECT_NEAR(out[i], want, tol * 4) << i;
        }
      }
      if (kind == CC_OP_STREAM_DOT) {
        EXPECT_NEAR(out[0], dot, tol * 4 * double(n));
      }
    }
}

TEST_F(FaultTest, TimedLaunchMeasuresAndRuns) {
  Dev dev;
  Stream s(dev, CC_OP_STREAM_COPY, CC_DTYPE_F32, 1000);
  double sec = -1;
  ASSERT_EQ(s.op.Timed(3, &sec), CC_OK) << dev.error();
  EXPECT_TRUE(std::isfinite(sec) && sec > 0) << sec;
  EXPECT_EQ(s.Out(), s.op.Read(0, 1000));
  EXPECT_EQ(s.op.Timed(0, &sec), CC_ERR_INVALID_ARGUMENT);
}

TEST_F(FaultTest, NoopAndUnsupportedOps) {
  Dev dev;
  cc_kernel* k = nullptr;
  const cc_op_desc noop = Desc(CC_OP_NOOP, CC_DTYPE_F32);
  ASSERT_EQ(T().prepare(dev.d, &noop, &k), CC_OK);
  ASSERT_NE(T().kernel_info, nullptr);
  EXPECT_EQ(std::string(T().kernel_info(dev.d, k)), "fault driver: naive host loop for noop");
  EXPECT_EQ(T().launch(dev.d, k, nullptr, 0), CC_OK);
  EXPECT_EQ(T().synchronize(dev.d), CC_OK);
  T().release(dev.d, k);
  for (cc_op_kind kind : {CC_OP_PEAK, CC_OP_CONV2D, CC_OP_ADAMW}) {
    const cc_op_desc d = Desc(kind, CC_DTYPE_F32);
    EXPECT_EQ(T().prepare(dev.d, &d, &k), CC_ERR_UNSUPPORTED);
    EXPECT_NE(dev.error().find("not "), std::string::npos) << dev.error();
  }
  cc_op_desc half = Desc(CC_OP_GEMM, CC_DTYPE_F16);
  EXPECT_EQ(T().prepare(dev.d, &half, &k), CC_ERR_UNSUPPORTED);
  EXPECT_NE(dev.error().find("fp32 or fp64"), std::string::npos) << dev.error();
}

TEST_F(FaultTest, BadArgumentsAreRejectedWithAReason) {
  Dev dev, other;
  Stream s(dev, CC_OP_STREAM_ADD, CC_DTYPE_F64, 8);
  EXPECT_EQ(T().launch(dev.d, s.op.kernel(), s.op.buffers().data(), 2), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(dev.error().find("takes 3 arguments"), std::string::npos) << dev.error();
  cc_buffer* small = nullptr;
  ASSERT_EQ(T().alloc(dev.d, 8, &small), CC_OK);
  std::vector<cc_buffer*> args = s.op.buffers();
  args[2] = small;
  EXPECT_EQ(T().launch(dev.d, s.op.kernel(), args.data(), 3), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(dev.error().find("needs 64"), std::string::npos) << dev.error();
  cc_buffer* foreign = nullptr;
  ASSERT_EQ(T().alloc(other.d, 64, &foreign), CC_OK);
  args[2] = foreign;
  EXPECT_EQ(T().launch(dev.d, s.op.kernel(), args.data(), 3), CC_ERR_INVALID_ARGUMENT);
  char byte = 0;
  EXPECT_EQ(T().write(dev.d, small, 8, &byte, 1), CC_ERR_INVALID_ARGUMENT);
  cc_op_desc g = Desc(CC_OP_GEMM, CC_DTYPE_F32);
  g.u.gemm = Gemm(4, 4, 4);
  g.u.gemm.lda = 3;
  cc_kernel* k = nullptr;
  EXPECT_EQ(T().prepare(dev.d, &g, &k), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(dev.error().find("lda = 3"), std::string::npos) << dev.error();
  EXPECT_EQ(T().alloc(dev.d, uint64_t(1) << 62, &small), CC_ERR_OUT_OF_MEMORY);
}

}  // namespace
