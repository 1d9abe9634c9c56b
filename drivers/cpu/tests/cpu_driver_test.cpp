// Tests of the CPU driver through its C ABI table only, the way the harness
// (or a dlopen'ed plugin's user) sees it.
#include <chipcert/cpu_driver.h>
#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "cpu_test_support.hpp"

namespace {

const cc_driver_v1& drv() {
  return *chipcert_cpu_driver_entry(CC_DRIVER_ABI_VERSION);
}

/// Rounds a float to the nearest bfloat16 (ties to even), as raw bits.
uint16_t to_bf16(float f) {
  uint32_t u = 0;
  std::memcpy(&u, &f, 4);
  return uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

struct GemmCase {
  int64_t m, n, k;
  uint32_t ta, tb;
  int64_t pad_a, pad_b, pad_c;  // leading dimension minus the stored columns
  double alpha, beta;
  int64_t batch;  // 0 and 1 both mean one product
  bool shared_b;  // batched: every product uses the same B (stride_b = 0)
};

/// cc_gemm_params by field name (positional braces hide mistakes).
cc_gemm_params gemm_params(int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb, int64_t ldc,
                           double alpha = 1, double beta = 0) {
  cc_gemm_params g{};
  g.m = m, g.n = n, g.k = k;
  g.lda = lda, g.ldb = ldb, g.ldc = ldc;
  g.alpha = alpha, g.beta = beta;
  return g;
}

class CpuDriver : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(drv().open(0, &dev_), CC_OK) << drv().last_error(nullptr); }
  void TearDown() override { drv().close(dev_); }  // also frees what a test left behind

  std::string error() const { return drv().last_error(dev_); }

  template <class T>
  cc_buffer* upload(const std::vector<T>& host) {
    cc_buffer* b = nullptr;
    EXPECT_EQ(drv().alloc(dev_, host.size() * sizeof(T), &b), CC_OK) << error();
    EXPECT_EQ(drv().write(dev_, b, 0, host.data(), host.size() * sizeof(T)), CC_OK) << error();
    return b;
  }

  template <class T>
  std::vector<T> download(cc_buffer* b, size_t n) {
    std::vector<T> host(n);
    EXPECT_EQ(drv().read(dev_, b, 0, host.data(), n * sizeof(T)), CC_OK) << error();
    return host;
  }

  /// prepare + launch + synchronize + release; returns the first failure.
  cc_status run(const cc_op_desc& op, std::vector<cc_buffer*> args) {
    cc_kernel* k = nullptr;
    if (cc_status s = drv().prepare(dev_, &op, &k); s != CC_OK) return s;
    cc_status s = drv().launch(dev_, k, args.data(), uint32_t(args.size()));
    if (s == CC_OK) s = drv().synchronize(dev_);
    drv().release(dev_, k);
    return s;
  }

  static cc_op_desc desc(cc_op_kind kind, cc_dtype dtype, cc_dtype acc) {
    cc_op_desc op{};
    op.struct_size = sizeof op;
    op.kind = kind;
    op.dtype = dtype;
    op.acc_dtype = acc;
    return op;
  }

  /// One GEMM case against a double-precision loop; gen makes one input value
  /// (exactly representable in Store), to_store converts it.
  template <class Store, class Out, class Gen, class ToStore>
  void check_gemm(cc_dtype in, cc_dtype acc, const GemmCase& c, double eps, Gen gen,
                  ToStore to_store);
  /// Every STREAM op against a scalar loop, for one element type.
  template <class T>
  void check_stream(cc_dtype dt, int64_t n);

  cc_device* dev_ = nullptr;
};

TEST(CpuDriverEntry, TableAndVersions) {
  EXPECT_EQ(chipcert_cpu_driver_entry(0), nullptr);
  const cc_driver_v1* t = chipcert_cpu_driver_entry(1);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(chipcert_cpu_driver_entry(7), t);  // newer harness: we offer v1
  EXPECT_EQ(t->struct_size, sizeof(cc_driver_v1));
  EXPECT_EQ(t->abi_version, CC_DRIVER_ABI_VERSION);
  EXPECT_STREQ(t->name, "cpu");
  EXPECT_EQ(t->timed_launch, nullptr);
  for (auto fn :
       {(void*)t->enumerate, (void*)t->device_info, (void*)t->open, (void*)t->close,
        (void*)t->alloc, (void*)t->free, (void*)t->write, (void*)t->read, (void*)t->prepare,
        (void*)t->release, (void*)t->launch, (void*)t->synchronize, (void*)t->last_error})
    EXPECT_NE(fn, nullptr);
}

TEST(CpuDriverEntry, EnumerateAndInfo) {
  uint32_t count = 0;
  ASSERT_EQ(drv().enumerate(&count), CC_OK);
  EXPECT_EQ(count, 1u);
  cc_device_info info{};
  info.struct_size = sizeof info;
  ASSERT_EQ(drv().device_info(0, &info), CC_OK) << drv().last_error(nullptr);
  EXPECT_EQ(info.struct_size, sizeof info);
  EXPECT_EQ(info.kind, uint32_t(CC_DEVICE_CPU));
  for (const auto& [s, cap] : {std::pair{info.name, sizeof info.name},
                               {info.vendor, sizeof info.vendor},
                               {info.driver_version, sizeof info.driver_version},
                               {info.uuid, sizeof info.uuid},
                               {info.serial, sizeof info.serial},
                               {info.pci_bus_id, sizeof info.pci_bus_id}})
    EXPECT_NE(std::memchr(s, '\0', cap), nullptr);
  EXPECT_GT(std::strlen(info.name), 0u);
  EXPECT_EQ(std::string(info.driver_version).rfind("oneDNN ", 0), 0u) << info.driver_version;
  EXPECT_GT(info.memory_bytes, 0u);
  EXPECT_GE(info.compute_units, 1u);
  EXPECT_TRUE(info.dtypes & CC_DTYPE_BIT(CC_DTYPE_F32));
  EXPECT_STREQ(info.uuid, "");
  std::printf("device: %s | %s | %s | %u cores | %u MHz | %.1f GiB\n", info.name, info.vendor,
              info.driver_version, info.compute_units, info.clock_mhz,
              double(info.memory_bytes) / (1 << 30));

  EXPECT_EQ(drv().device_info(1, &info), CC_ERR_INVALID_ARGUMENT);
  EXPECT_STRNE(drv().last_error(nullptr), "");
  cc_device* dev = nullptr;
  EXPECT_EQ(drv().open(3, &dev), CC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(dev, nullptr);
}

// open() pins the calling thread to a core for OpenMP; close() must give it
// its binding back, or threads it starts later (an OpenCL runtime's workers,
// an MPI progress thread) all inherit one core. Run on a fresh thread so the
// test does not depend on what other tests did to the main thread.
TEST(CpuDriverEntry, CloseRestoresTheCallersCpuBinding) {
  std::thread([] {
    cpu_set_t before, pinned, after;
    ASSERT_EQ(sched_getaffinity(0, sizeof before, &before), 0);
    if (CPU_COUNT(&before) < 2) GTEST_SKIP() << "one CPU: pinning changes nothing to see";
    cc_device* dev = nullptr;
    ASSERT_EQ(drv().open(0, &dev), CC_OK) << drv().last_error(nullptr);
    ASSERT_EQ(sched_getaffinity(0, sizeof pinned, &pinned), 0);
    const bool was_pinned = CPU_COUNT(&pinned) < CPU_COUNT(&before);
    drv().close(dev);
    ASSERT_EQ(sched_getaffinity(0, sizeof after, &after), 0);
    EXPECT_TRUE(CPU_EQUAL(&before, &after))
        << CPU_COUNT(&after) << " CPUs after close, " << CPU_COUNT(&before) << " before";
    if (!was_pinned) std::printf("note: open did not pin this thread (container forbids it?)\n");
  }).join();
}

TEST_F(CpuDriver, AllocZeroAndBounds) {
  cc_buffer* empty = nullptr;
  ASSERT_EQ(drv().alloc(dev_, 0, &empty), CC_OK) << error();
  EXPECT_NE(empty, nullptr);
  EXPECT_EQ(drv().write(dev_, empty, 0, nullptr, 0), CC_OK);
  char byte = 0;
  EXPECT_EQ(drv().read(dev_, empty, 0, &byte, 1), CC_ERR_INVALID_ARGUMENT);
  drv().free(dev_, empty);

  std::vector<char> host(32, 'x');
  cc_buffer* b = upload(std::vector<char>(16, 'a'));
  EXPECT_EQ(drv().write(dev_, b, 12, host.data(), 8), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("exceeds"), std::string::npos) << error();
  EXPECT_EQ(drv().read(dev_, b, 0, host.data(), 17), CC_ERR_INVALID_ARGUMENT);
  EXPECT_FALSE(error().empty());
  EXPECT_EQ(drv().read(dev_, b, UINT64_MAX, host.data(), 2), CC_ERR_INVALID_ARGUMENT);
  ASSERT_EQ(drv().read(dev_, b, 4, host.data(), 12), CC_OK);  // exactly to the end
  EXPECT_EQ(host[11], 'a');
  drv().free(dev_, b);
}

TEST_F(CpuDriver, AbsurdAllocIsOutOfMemory) {
  cc_buffer* b = nullptr;
  EXPECT_EQ(drv().alloc(dev_, uint64_t(1) << 50, &b), CC_ERR_OUT_OF_MEMORY);  // 1 PiB
  EXPECT_EQ(b, nullptr);
  EXPECT_FALSE(error().empty());
  EXPECT_EQ(drv().alloc(dev_, UINT64_MAX, &b), CC_ERR_OUT_OF_MEMORY);
}

TEST_F(CpuDriver, NoopLaunchAndSensors) {
  const cc_op_desc op = desc(CC_OP_NOOP, CC_DTYPE_F32, CC_DTYPE_F32);
  EXPECT_EQ(run(op, {}), CC_OK) << error();
  cc_buffer* extra = upload(std::vector<char>(4));
  EXPECT_EQ(run(op, {extra}), CC_ERR_INVALID_ARGUMENT);  // NOOP takes no buffers
  if (drv().read_sensors) {
    cc_sensors s{};
    s.struct_size = sizeof s;
    EXPECT_EQ(drv().read_sensors(dev_, &s), CC_OK) << error();
    EXPECT_LT(s.power_w, 0);
  }
}

std::string name_of(const GemmCase& c) {
  return std::to_string(c.m) + "x" + std::to_string(c.n) + "x" + std::to_string(c.k) +
         (c.ta ? " A^T" : "") + (c.tb ? " B^T" : "") + " alpha=" + std::to_string(c.alpha) +
         " beta=" + std::to_string(c.beta);
}

const std::vector<GemmCase> kGemmCases = {
    // m, n, k, trans_a, trans_b, pad_a, pad_b, pad_c, alpha, beta, batch, shared_b
    {1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, false},
    {64, 64, 64, 0, 0, 0, 0, 0, 1, 0, 1, false},
    {37, 53, 71, 1, 0, 0, 0, 0, 1, 0, 0, false},
    {128, 96, 200, 0, 1, 0, 0, 0, 1, 0, 0, false},
    {33, 17, 300, 1, 1, 3, 5, 7, 1, 0, 0, false},
    {100, 70, 90, 0, 0, 5, 9, 3, 0.5, 2, 0, false},
    {257, 130, 513, 1, 0, 0, 2, 1, 0.5, 2, 0, false},
    {300, 600, 40, 0, 1, 1, 1, 1, -1, 1, 0, false},
    {260, 1040, 50, 0, 0, 0, 3, 0, 1, 0, 0, false},
    {16, 16, 0, 0, 0, 0, 0, 0, 1, 2, 0, false},
    {16, 8, 8, 0, 0, 0, 0, 0, 0, 0.5, 0, false},
    {20, 24, 36, 0, 1, 2, 0, 1, 1, 0, 3, false},
    {17, 40, 33, 1, 0, 0, 1, 0, 0.5, 2, 4, true},
    {8, 8, 0, 0, 0, 0, 0, 1, 1, 2, 2, false},
};

template <class Store, class Out, class Gen, class ToStore>
void CpuDriver::check_gemm(cc_dtype in, cc_dtype acc, const GemmCase& c, double eps, Gen gen,
                           ToStore to_store) {
  SCOPED_TRACE(name_of(c));
  const int64_t a_rows = c.ta ? c.k : c.m, a_cols = c.ta ? c.m : c.k;
  const int64_t b_rows = c.tb ? c.n : c.k, b_cols = c.tb ? c.k : c.n;
  const int64_t lda = std::max<int64_t>(1, a_cols + c.pad_a);  // BLAS: ld >= max(1, cols)
  const int64_t ldb = std::max<int64_t>(1, b_cols + c.pad_b), ldc = c.n + c.pad_c;
  // Batched matrices sit 3 elements apart beyond their span (0 for a shared B).
  const int64_t batch = std::max<int64_t>(1, c.batch);
  const int64_t sa = a_rows * lda + 3, sb = c.shared_b ? 0 : b_rows * ldb + 3, sc = c.m * ldc + 3;
  std::mt19937 rng(42);
  std::vector<double> a(size_t(std::max<int64_t>(1, batch * sa))),
      b(size_t(std::max<int64_t>(1, (batch - 1) * sb + b_rows * ldb)));
  std::vector<Out> c0(size_t(batch * sc));
  for (double& v : a) v = gen(rng);
  for (double& v : b) v = gen(rng);
  for (Out& v : c0) v = Out(gen(rng));
  std::vector<Store> as(a.size()), bs(b.size());
  for (size_t i = 0; i < a.size(); ++i) as[i] = to_store(a[i]);
  for (size_t i = 0; i < b.size(); ++i) bs[i] = to_store(b[i]);

  cc_op_desc op{};
  op.struct_size = sizeof op;
  op.kind = CC_OP_GEMM;
  op.dtype = in;
  op.acc_dtype = acc;
  op.u.gemm = gemm_params(c.m, c.n, c.k, lda, ldb, ldc, c.alpha, c.beta);
  op.u.gemm.trans_a = c.ta;
  op.u.gemm.trans_b = c.tb;
  op.u.gemm.batch = c.batch;
  op.u.gemm.stride_a = sa, op.u.gemm.stride_b = sb, op.u.gemm.stride_c = sc;
  cc_buffer* bc = upload(c0);
  ASSERT_EQ(run(op, {upload(as), upload(bs), bc}), CC_OK) << error();
  const std::vector<Out> got = download<Out>(bc, c0.size());
  int64_t bad = 0;
  std::vector<bool> written(got.size(), false);
  for (int64_t t = 0; t < batch; ++t)
    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.n; ++j) {
        double ref = 0, mag = 0;
        for (int64_t p = 0; p < c.k; ++p) {
          const double x = a[size_t(t * sa + (c.ta ? p * lda + i : i * lda + p))];
          const double y = b[size_t(t * sb + (c.tb ? j * ldb + p : p * ldb + j))];
          ref += x * y;
          mag += std::fabs(x * y);
        }
        const size_t at = size_t(t * sc + i * ldc + j);
        written[at] = true;
        const double old = double(c0[at]);
        const double want = c.alpha * ref + (c.beta == 0 ? 0 : c.beta * old);
        const double tol =
            double(c.k + 2) * eps * (std::fabs(c.alpha) * mag + std::fabs(c.beta * old));
        const double have = double(got[at]);
        if (!(std::fabs(have - want) <= tol) && ++bad <= 5)
          ADD_FAILURE() << "C[" << t << "][" << i << "][" << j << "] = " << have << ", want "
                        << want;
      }
  EXPECT_EQ(bad, 0);
  for (size_t i = 0; i < got.size(); ++i) {  // padding around the C matrices is untouched
    if (!written[i]) {
      ASSERT_EQ(got[i], c0[i]) << "C padding element " << i;
    }
  }
}

TEST_F(CpuDriver, GemmF32) {
  std::uniform_real_distribution<double> u(-1, 1);
  for (const GemmCase& c : kGemmCases)
    check_gemm<float, float>(
        CC_DTYPE_F32, CC_DTYPE_F32, c, std::numeric_limits<float>::epsilon(),
        [&](std::mt19937& r) { return double(float(u(r))); }, [](double v) { return float(v); });
}

TEST_F(CpuDriver, GemmF64) {
  std::uniform_real_distribution<double> u(-1, 1);
  // OpenBLAS's DGEMM under the driver's GEMM contract: transposes, padded
  // leading dimensions, alpha/beta, k = 0, batches with a shared B.
  for (const GemmCase& c : kGemmCases)
    check_gemm<double, double>(
        CC_DTYPE_F64, CC_DTYPE_F64, c, std::numeric_limits<double>::epsilon(),
        [&](std::mt19937& r) { return u(r); }, [](double v) { return v; });
  // kernel_info names the library, its version and the kernels it chose.
  cc_op_desc op = desc(CC_OP_GEMM, CC_DTYPE_F64, CC_DTYPE_F64);
  op.u.gemm = gemm_params(64, 64, 64, 64, 64, 64);
  cc_kernel* k = nullptr;
  ASSERT_EQ(drv().prepare(dev_, &op, &k), CC_OK) << error();
  const std::string info = drv().kernel_info(dev_, k);
  drv().release(dev_, k);
  EXPECT_EQ(info.rfind("OpenBLAS 0.", 0), 0u) << info;
  EXPECT_NE(info.find("cblas_dgemm with kernels for "), std::string::npos) << info;
  // A dimension OpenBLAS's 32-bit integers cannot carry is refused at prepare.
  op.u.gemm = gemm_params(1, 1, int64_t{1} << 31, int64_t{1} << 31, 1, 1);
  EXPECT_EQ(drv().prepare(dev_, &op, &k), CC_ERR_UNSUPPORTED);
  EXPECT_NE(error().find("up to 2^31-1, got 2147483648"), std::string::npos) << error();
}

TEST_F(CpuDriver, GemmBf16) {
  // Quarter-integers in [-2, 2] are exact in bf16, so the reference sees the
  // same inputs; accumulation is f32.
  std::uniform_int_distribution<int> u(-8, 8);
  for (const GemmCase& c : kGemmCases)
    check_gemm<uint16_t, float>(
        CC_DTYPE_BF16, CC_DTYPE_F32, c, std::numeric_limits<float>::epsilon(),
        [&](std::mt19937& r) { return u(r) / 4.0; }, [](double v) { return to_bf16(float(v)); });
}

TEST_F(CpuDriver, GemmI8IsExact) {
  std::uniform_int_distribution<int> u(-128, 127);
  for (const GemmCase& c : kGemmCases) {
    if (c.alpha != 1 || (c.beta != 0 && c.beta != 1)) continue;  // unsupported for i8
    check_gemm<int8_t, int32_t>(
        CC_DTYPE_I8, CC_DTYPE_I32, c, 0.0, [&](std::mt19937& r) { return double(u(r)); },
        [](double v) { return int8_t(v); });
  }
  cc_op_desc op = desc(CC_OP_GEMM, CC_DTYPE_I8, CC_DTYPE_I32);
  op.u.gemm = gemm_params(4, 4, 4, 4, 4, 4, 0.5, 0);
  cc_kernel* k = nullptr;
  EXPECT_EQ(drv().prepare(dev_, &op, &k), CC_ERR_UNSUPPORTED);
  EXPECT_FALSE(error().empty());
}

TEST_F(CpuDriver, GemmRejectsBadShapes) {
  cc_op_desc op = desc(CC_OP_GEMM, CC_DTYPE_F32, CC_DTYPE_F32);
  op.u.gemm = gemm_params(8, 8, 8, 7, 8, 8);  // lda < k
  cc_kernel* k = nullptr;
  EXPECT_EQ(drv().prepare(dev_, &op, &k), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("lda"), std::string::npos) << error();
  op.u.gemm = gemm_params(8, 8, 8, 8, 8, 8);
  op.u.gemm.batch = 2;
  op.u.gemm.stride_c = 63;  // the two C matrices would overlap
  EXPECT_EQ(drv().prepare(dev_, &op, &k), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("stride_c"), std::string::npos) << error();
  op.u.gemm = gemm_params(8, 8, 8, 8, 8, 8);
  cc_buffer* a = upload(std::vector<float>(64));
  cc_buffer* small = upload(std::vector<float>(63));
  EXPECT_EQ(run(op, {a, small, a}), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("(B) needs 256 bytes, buffer has 252"), std::string::npos) << error();
  EXPECT_EQ(run(op, {a, a}), CC_ERR_INVALID_ARGUMENT);  // wrong nargs
  op.u.gemm.batch = 3;  // three A, B and C matrices 64 elements apart
  op.u.gemm.stride_a = op.u.gemm.stride_b = op.u.gemm.stride_c = 64;
  cc_buffer* big = upload(std::vector<float>(192));
  EXPECT_EQ(run(op, {big, big, a}), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("(C) needs 768 bytes"), std::string::npos) << error();
}

TEST_F(CpuDriver, UnsupportedDtypesSayWhy) {
  for (auto [kind, in, acc] : {std::tuple{CC_OP_GEMM, CC_DTYPE_F16, CC_DTYPE_F32},
                               {CC_OP_GEMM, CC_DTYPE_TF32, CC_DTYPE_F32},
                               {CC_OP_GEMM, CC_DTYPE_F32, CC_DTYPE_F64},
                               {CC_OP_STREAM_TRIAD, CC_DTYPE_I32, CC_DTYPE_I32},
                               {CC_OP_STREAM_COPY, CC_DTYPE_F32, CC_DTYPE_F64}}) {
    cc_op_desc op = desc(kind, in, acc);
    if (kind == CC_OP_GEMM)
      op.u.gemm = gemm_params(4, 4, 4, 4, 4, 4);
    else
      op.u.stream.n = 4;
    cc_kernel* k = nullptr;
    EXPECT_EQ(drv().prepare(dev_, &op, &k), CC_ERR_UNSUPPORTED) << kind << " " << in;
    EXPECT_FALSE(error().empty());
  }
  cc_op_desc op = desc(cc_op_kind(99), CC_DTYPE_F32, CC_DTYPE_F32);
  cc_kernel* k = nullptr;
  EXPECT_EQ(drv().prepare(dev_, &op, &k), CC_ERR_UNSUPPORTED);
  EXPECT_NE(error().find("op kind 99"), std::string::npos) << error();
}

template <class T>
void CpuDriver::check_stream(cc_dtype dt, int64_t n) {
  SCOPED_TRACE("n=" + std::to_string(n));
  const auto up = [this](const std::vector<T>& v) { return upload(v); };
  const auto down = [this](cc_buffer* b, size_t len) { return download<T>(b, len); };
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-1, 1);
  const size_t len = static_cast<size_t>(n);
  std::vector<T> a(len), b(len), c(len);
  for (size_t i = 0; i < size_t(n); ++i) a[i] = T(u(rng)), b[i] = T(u(rng)), c[i] = T(u(rng));
  const T s = T(0.4);
  const double eps = std::numeric_limits<T>::epsilon();
  cc_op_desc op{};
  op.struct_size = sizeof op;
  op.dtype = op.acc_dtype = dt;
  op.u.stream = {n, double(s)};
  const auto near = [&](const std::vector<T>& got, auto want, const char* what) {
    for (size_t i = 0; i < size_t(n); ++i) {
      const double w = want(i);
      ASSERT_NEAR(double(got[i]), w, 2 * eps * (std::fabs(w) + 1)) << what << " at " << i;
    }
  };
  cc_buffer *ba = up(a), *bb = up(b), *bc = up(c);
  op.kind = CC_OP_STREAM_COPY;  // c = a
  ASSERT_EQ(run(op, {ba, bc}), CC_OK);
  near(
      down(bc, size_t(n)), [&](size_t i) { return double(a[i]); }, "copy");
  op.kind = CC_OP_STREAM_MUL;  // b = s*c (c now holds a)
  ASSERT_EQ(run(op, {bc, bb}), CC_OK);
  near(
      down(bb, size_t(n)), [&](size_t i) { return double(T(s * a[i])); }, "mul");
  const std::vector<T> b2 = down(bb, size_t(n));
  op.kind = CC_OP_STREAM_ADD;  // c = a + b
  ASSERT_EQ(run(op, {ba, bb, bc}), CC_OK);
  near(
      down(bc, size_t(n)), [&](size_t i) { return double(T(a[i] + b2[i])); }, "add");
  const std::vector<T> c2 = down(bc, size_t(n));
  op.kind = CC_OP_STREAM_TRIAD;  // a = b + s*c
  ASSERT_EQ(run(op, {bb, bc, ba}), CC_OK);
  near(
      down(ba, size_t(n)), [&](size_t i) { return double(b2[i]) + double(s) * double(c2[i]); },
      "triad");
  const std::vector<T> a2 = down(ba, size_t(n));
  op.kind = CC_OP_STREAM_DOT;  // s = sum(a*b)
  cc_buffer* out = up(std::vector<T>(1, T(-99)));
  ASSERT_EQ(run(op, {ba, bb, out}), CC_OK);
  double ref = 0, mag = 0;
  for (size_t i = 0; i < size_t(n); ++i) {
    ref += double(a2[i]) * double(b2[i]);
    mag += std::fabs(double(a2[i]) * double(b2[i]));
  }
  EXPECT_NEAR(double(down(out, 1)[0]), ref, double(n + 1) * eps * mag) << "dot";
}

TEST_F(CpuDriver, StreamF32) {
  for (int64_t n : {0, 1, 5, 17, 1000003}) check_stream<float>(CC_DTYPE_F32, n);
}

TEST_F(CpuDriver, StreamF64) {
  for (int64_t n : {0, 1, 5, 17, 1000003}) check_stream<double>(CC_DTYPE_F64, n);
}

TEST_F(CpuDriver, StreamLargeArraysUseNonTemporalStores) {
  // Just over 32 MiB per array, with ragged tails: the streamed-store path.
  check_stream<double>(CC_DTYPE_F64, (int64_t{1} << 22) + 5);
  check_stream<float>(CC_DTYPE_F32, (int64_t{1} << 23) + 3);
  const auto info_of = [&](cc_op_kind kind, int64_t n) {
    cc_op_desc op = desc(kind, CC_DTYPE_F64, CC_DTYPE_F64);
    op.u.stream = {n, 2.0};
    cc_kernel* k = nullptr;
    if (drv().prepare(dev_, &op, &k) != CC_OK) return "not prepared: " + error();
    std::string info = drv().kernel_info(dev_, k);
    drv().release(dev_, k);
    return info;
  };
  const int64_t large = int64_t{1} << 22;  // 32 MiB of f64
  for (cc_op_kind kind :
       {CC_OP_STREAM_COPY, CC_OP_STREAM_MUL, CC_OP_STREAM_ADD, CC_OP_STREAM_TRIAD}) {
    EXPECT_NE(info_of(kind, large).find("non-temporal stores"), std::string::npos)
        << info_of(kind, large);
    EXPECT_EQ(info_of(kind, large - 8).find("non-temporal"), std::string::npos)
        << info_of(kind, large - 8);
  }
  EXPECT_EQ(info_of(CC_OP_STREAM_DOT, large).find("non-temporal"), std::string::npos);
}

TEST_F(CpuDriver, StreamTooSmallBufferNamesTheArgument) {
  cc_op_desc op = desc(CC_OP_STREAM_TRIAD, CC_DTYPE_F64, CC_DTYPE_F64);
  op.u.stream = {100, 3.0};
  cc_buffer* ok = upload(std::vector<double>(100));
  cc_buffer* small = upload(std::vector<double>(99));
  EXPECT_EQ(run(op, {ok, ok, small}), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("argument 2 (a) needs 800 bytes, buffer has 792"), std::string::npos)
      << error();
  op.u.stream.n = -1;
  EXPECT_EQ(run(op, {ok, ok, ok}), CC_ERR_INVALID_ARGUMENT);
}

TEST_F(CpuDriver, LaunchFromAnotherThread) {
  // GOMP keeps one thread pool per calling thread: the driver must size (and
  // pin) the new pool itself.
  cc_op_desc op = desc(CC_OP_STREAM_TRIAD, CC_DTYPE_F32, CC_DTYPE_F32);
  op.u.stream = {4096, 2.0};
  cc_buffer* b = upload(std::vector<float>(4096, 1.0f));
  cc_buffer* c = upload(std::vector<float>(4096, 3.0f));
  cc_buffer* a = upload(std::vector<float>(4096, 0.0f));
  cc_status status = CC_ERR_INTERNAL;
  std::thread([&] { status = run(op, {b, c, a}); }).join();
  ASSERT_EQ(status, CC_OK) << error();
  for (float v : download<float>(a, 4096)) ASSERT_EQ(v, 7.0f);
}

TEST_F(CpuDriver, BadHandlesAreRejected) {
  cc_buffer* b = upload(std::vector<char>(8));
  drv().free(dev_, b);
  char x[8];
  EXPECT_EQ(drv().read(dev_, b, 0, x, 8), CC_ERR_INVALID_ARGUMENT);  // freed buffer
  EXPECT_EQ(drv().launch(dev_, nullptr, nullptr, 0), CC_ERR_INVALID_ARGUMENT);
}

/// Throughput figures; run with --gtest_also_run_disabled_tests.
TEST_F(CpuDriver, DISABLED_Throughput) {
  const auto best_seconds = [&](const cc_op_desc& op, std::vector<cc_buffer*> args, int reps) {
    cc_kernel* k = nullptr;
    EXPECT_EQ(drv().prepare(dev_, &op, &k), CC_OK) << error();
    double best = 1e30;
    for (int r = 0; r <= reps; ++r) {  // r == 0 is the untimed warm-up
      const auto t0 = std::chrono::steady_clock::now();
      EXPECT_EQ(drv().launch(dev_, k, args.data(), uint32_t(args.size())), CC_OK) << error();
      drv().synchronize(dev_);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (r > 0) best = std::min(best, s);
    }
    drv().release(dev_, k);
    return best;
  };
  // Inputs are 1.0 in each type: byte patterns like 0x01 would be tiny
  // floats whose products underflow, and denormals can slow FMA down.
  const int64_t n = 2048;
  const size_t nn = size_t(n * n);
  const auto gemm = [&](const char* name, cc_dtype in, cc_dtype acc, cc_buffer* ab, cc_buffer* c,
                        int reps) {
    cc_op_desc op = desc(CC_OP_GEMM, in, acc);
    op.u.gemm = gemm_params(n, n, n, n, n, n);
    const double s = best_seconds(op, {ab, ab, c}, reps);
    std::printf("GEMM %s %ld^3: %.1f GFLOP/s\n", name, long(n), 2.0 * n * n * n / s / 1e9);
  };
  cc_buffer* c32 = upload(std::vector<float>(nn, 0.0f));
  gemm("f32/f32", CC_DTYPE_F32, CC_DTYPE_F32, upload(std::vector<float>(nn, 1.0f)), c32, 20);
  gemm("bf16/f32", CC_DTYPE_BF16, CC_DTYPE_F32, upload(std::vector<uint16_t>(nn, 0x3f80)), c32, 20);
  gemm("i8/i32", CC_DTYPE_I8, CC_DTYPE_I32, upload(std::vector<int8_t>(nn, 1)), c32, 20);
  gemm("f64/f64", CC_DTYPE_F64, CC_DTYPE_F64, upload(std::vector<double>(nn, 1.0)),
       upload(std::vector<double>(nn, 0.0)), 3);
  const int64_t len = int64_t(1) << 25;
  cc_buffer *x = nullptr, *y = nullptr, *z = nullptr;
  for (cc_buffer** b : {&x, &y, &z}) ASSERT_EQ(drv().alloc(dev_, len * 8, b), CC_OK);
  for (auto [kind, name, arrays] : {std::tuple{CC_OP_STREAM_COPY, "copy", 2},
                                    {CC_OP_STREAM_MUL, "mul", 2},
                                    {CC_OP_STREAM_ADD, "add", 3},
                                    {CC_OP_STREAM_TRIAD, "triad", 3},
                                    {CC_OP_STREAM_DOT, "dot", 2}}) {
    cc_op_desc op = desc(kind, CC_DTYPE_F64, CC_DTYPE_F64);
    op.u.stream = {len, 0.4};
    std::vector<cc_buffer*> args = {x, y, z};
    args.resize(kind == CC_OP_STREAM_DOT ? 3 : size_t(arrays));
    const double s = best_seconds(op, args, 20);
    std::printf("STREAM %s f64 2^25: %.1f GB/s\n", name, arrays * 8.0 * len / s / 1e9);
  }
}

}  // namespace
