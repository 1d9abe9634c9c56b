// Tests of the OpenCL driver through its ABI only (chipcert/driver.h); the raw
// OpenCL API is used just to count devices independently. Every test skips
// with a reason when the machine has no OpenCL device.
#include <chipcert/opencl_driver.h>

#include <CL/cl.h>
#include <CL/cl_ext.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace {

const cc_driver_v1* drv() {
  return chipcert_opencl_driver_entry(CC_DRIVER_ABI_VERSION);
}

// Deterministic values in [lo, hi): tests must not depend on a global RNG.
std::vector<double> pattern(size_t n, uint32_t seed, double lo = -1.0, double hi = 1.0) {
  std::vector<double> v(n);
  uint32_t x = seed * 2654435761u + 1u;
  for (auto& e : v) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    e = lo + (hi - lo) * (x / 4294967296.0);
  }
  return v;
}

class OpenclDriver : public ::testing::Test {
 protected:
  void SetUp() override {
    d_ = drv();
    ASSERT_NE(d_, nullptr);
    uint32_t count = 0;
    ASSERT_EQ(d_->enumerate(&count), CC_OK) << d_->last_error(nullptr);
    if (count == 0) GTEST_SKIP() << "no OpenCL device on this machine (ICD loader reports none)";
    info_.struct_size = sizeof info_;
    ASSERT_EQ(d_->device_info(0, &info_), CC_OK) << d_->last_error(nullptr);
    ASSERT_EQ(d_->open(0, &dev_), CC_OK) << d_->last_error(nullptr);
  }
  void TearDown() override {
    if (dev_ != nullptr) d_->close(dev_);  // also frees buffers and kernels still held
  }

  bool has(cc_dtype t) const { return (info_.dtypes & CC_DTYPE_BIT(t)) != 0; }
  std::string error() const { return d_->last_error(dev_); }

  // Allocates a buffer holding `values` converted to T (T = float or double).
  template <typename T>
  cc_buffer* upload(const std::vector<double>& values) {
    std::vector<T> host(values.begin(), values.end());
    cc_buffer* b = nullptr;
    EXPECT_EQ(d_->alloc(dev_, host.size() * sizeof(T), &b), CC_OK) << error();
    EXPECT_EQ(d_->write(dev_, b, 0, host.data(), host.size() * sizeof(T)), CC_OK) << error();
    return b;
  }
  template <typename T>
  std::vector<T> download(cc_buffer* b, size_t n) {
    std::vector<T> host(n);
    EXPECT_EQ(d_->read(dev_, b, 0, host.data(), n * sizeof(T)), CC_OK) << error();
    return host;
  }
  cc_kernel* prepare(const cc_op_desc& op) {
    cc_kernel* k = nullptr;
    EXPECT_EQ(d_->prepare(dev_, &op, &k), CC_OK) << error();
    return k;
  }

  const cc_driver_v1* d_ = nullptr;
  cc_device* dev_ = nullptr;
  cc_device_info info_{};
};

cc_op_desc gemm_desc(cc_dtype t, int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb,
                     int64_t ldc, bool ta, bool tb, double alpha, double beta) {
  cc_op_desc op{};
  op.struct_size = sizeof op;
  op.kind = CC_OP_GEMM;
  op.dtype = op.acc_dtype = t;
  op.u.gemm = {m, n, k, lda, ldb, ldc, ta ? 1u : 0u, tb ? 1u : 0u, alpha, beta};
  return op;
}

cc_op_desc stream_desc(cc_op_kind kind, cc_dtype t, int64_t n, double scalar) {
  cc_op_desc op{};
  op.struct_size = sizeof op;
  op.kind = kind;
  op.dtype = op.acc_dtype = t;
  op.u.stream = {n, scalar};
  return op;
}

// ---- ABI surface ------------------------------------------------------------

TEST(OpenclEntry, NullForAbi0TableForAbi1) {
  EXPECT_EQ(chipcert_opencl_driver_entry(0), nullptr);
  const cc_driver_v1* d = chipcert_opencl_driver_entry(1);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d, chipcert_opencl_driver_entry(CC_DRIVER_ABI_VERSION + 5));  // older table for newer
  EXPECT_EQ(d->struct_size, sizeof(cc_driver_v1));
  EXPECT_EQ(d->abi_version, CC_DRIVER_ABI_VERSION);
  EXPECT_STREQ(d->name, "opencl");
  EXPECT_NE(d->enumerate, nullptr);
  EXPECT_NE(d->last_error, nullptr);
  EXPECT_NE(d->timed_launch, nullptr);
  EXPECT_EQ(d->read_sensors, nullptr);
  EXPECT_NE(d->last_error(nullptr), nullptr);
}

TEST(OpenclEnumerate, CountMatchesRawOpenCL) {
  cl_uint nplatforms = 0;
  const cl_int rc = clGetPlatformIDs(0, nullptr, &nplatforms);
  uint64_t expected = 0;
  if (rc == CL_SUCCESS && nplatforms > 0) {
    std::vector<cl_platform_id> platforms(nplatforms);
    ASSERT_EQ(clGetPlatformIDs(nplatforms, platforms.data(), nullptr), CL_SUCCESS);
    for (cl_platform_id p : platforms) {
      cl_uint n = 0;
      if (clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, nullptr, &n) == CL_SUCCESS) expected += n;
    }
  } else {
    ASSERT_TRUE(rc == CL_PLATFORM_NOT_FOUND_KHR || rc == CL_SUCCESS) << rc;
  }
  uint32_t count = 99;
  ASSERT_EQ(drv()->enumerate(&count), CC_OK) << drv()->last_error(nullptr);
  EXPECT_EQ(count, expected);
  EXPECT_EQ(drv()->enumerate(nullptr), CC_ERR_INVALID_ARGUMENT);
}

TEST_F(OpenclDriver, DeviceInfoStringsTerminatedAndNamed) {
  uint32_t count = 0;
  ASSERT_EQ(d_->enumerate(&count), CC_OK);
  for (uint32_t i = 0; i < count; ++i) {
    cc_device_info info;
    std::memset(&info, 0x7f, sizeof info);  // garbage must be overwritten
    info.struct_size = sizeof info;
    ASSERT_EQ(d_->device_info(i, &info), CC_OK) << d_->last_error(nullptr);
    for (const auto& [field, cap] : {std::pair{info.name, sizeof info.name},
                                     {info.vendor, sizeof info.vendor},
                                     {info.driver_version, sizeof info.driver_version},
                                     {info.uuid, sizeof info.uuid},
                                     {info.serial, sizeof info.serial},
                                     {info.pci_bus_id, sizeof info.pci_bus_id}})
      EXPECT_NE(std::memchr(field, '\0', cap), nullptr) << "device " << i;
    EXPECT_GT(std::strlen(info.name), 0u);
    EXPECT_GT(info.memory_bytes, 0u);
    EXPECT_GT(info.compute_units, 0u);
    EXPECT_TRUE(info.dtypes & CC_DTYPE_BIT(CC_DTYPE_F32));
    EXPECT_LE(info.kind, static_cast<uint32_t>(CC_DEVICE_OTHER));
  }
  cc_device_info info{};
  info.struct_size = sizeof info;
  EXPECT_EQ(d_->device_info(count, &info), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(d_->last_error(nullptr)).find("out of range"), std::string::npos);
  cc_device* none = nullptr;
  EXPECT_EQ(d_->open(count, &none), CC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(none, nullptr);
}

// ---- memory -------------------------------------------------------------------

TEST_F(OpenclDriver, ZeroByteAllocIsAValidHandle) {
  cc_buffer* b = nullptr;
  ASSERT_EQ(d_->alloc(dev_, 0, &b), CC_OK) << error();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(d_->write(dev_, b, 0, nullptr, 0), CC_OK) << error();
  EXPECT_EQ(d_->read(dev_, b, 0, nullptr, 0), CC_OK) << error();
  char byte = 0;
  EXPECT_EQ(d_->write(dev_, b, 0, &byte, 1), CC_ERR_INVALID_ARGUMENT);
  d_->free(dev_, b);
}

TEST_F(OpenclDriver, WriteReadRoundTripWithOffset) {
  cc_buffer* b = nullptr;
  ASSERT_EQ(d_->alloc(dev_, 64, &b), CC_OK) << error();
  std::vector<uint8_t> in(64), out(64, 0);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i * 7);
  ASSERT_EQ(d_->write(dev_, b, 0, in.data(), 64), CC_OK) << error();
  ASSERT_EQ(d_->read(dev_, b, 16, out.data(), 48), CC_OK) << error();
  EXPECT_EQ(0, std::memcmp(out.data(), in.data() + 16, 48));
  d_->free(dev_, b);
}

TEST_F(OpenclDriver, OutOfRangeCopiesFailWithAMessage) {
  cc_buffer* b = nullptr;
  ASSERT_EQ(d_->alloc(dev_, 100, &b), CC_OK) << error();
  std::vector<char> host(200);
  EXPECT_EQ(d_->write(dev_, b, 60, host.data(), 41), CC_ERR_INVALID_ARGUMENT);
  const std::string msg = error();
  EXPECT_NE(msg.find("offset 60"), std::string::npos) << msg;
  EXPECT_NE(msg.find("41 bytes"), std::string::npos) << msg;
  EXPECT_NE(msg.find("100 bytes"), std::string::npos) << msg;
  EXPECT_EQ(d_->read(dev_, b, 0, host.data(), 101), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("read"), std::string::npos);
  // offset + bytes overflows uint64: must still be caught.
  EXPECT_EQ(d_->read(dev_, b, UINT64_MAX, host.data(), 2), CC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(d_->write(dev_, nullptr, 0, host.data(), 1), CC_ERR_INVALID_ARGUMENT);
  d_->free(dev_, b);
}

TEST_F(OpenclDriver, AbsurdAllocFailsCleanly) {
  for (uint64_t bytes : {UINT64_MAX, uint64_t{1} << 62, info_.memory_bytes * 4}) {
    cc_buffer* b = nullptr;
    const cc_status s = d_->alloc(dev_, bytes, &b);
    EXPECT_TRUE(s == CC_ERR_OUT_OF_MEMORY || s == CC_ERR_INVALID_ARGUMENT) << s;
    EXPECT_FALSE(error().empty());
  }
  EXPECT_NE(error().find("CL_DEVICE_MAX_MEM_ALLOC_SIZE"), std::string::npos) << error();
}

// ---- GEMM ---------------------------------------------------------------------

struct GemmCase {
  int64_t m, n, k;
  bool ta, tb;
  int64_t pad_a, pad_b, pad_c;  // leading dimension minus the minimum
  double alpha, beta;
};

void PrintTo(const GemmCase& c, std::ostream* os) {
  *os << c.m << "x" << c.n << "x" << c.k << (c.ta ? " At" : "") << (c.tb ? " Bt" : "") << " pads "
      << c.pad_a << "," << c.pad_b << "," << c.pad_c << " alpha " << c.alpha << " beta " << c.beta;
}

class OpenclGemm : public OpenclDriver, public ::testing::WithParamInterface<GemmCase> {
 protected:
  // Runs the case on the device and checks every element of C (and that the
  // padding of C is untouched) against a double-precision loop, with a
  // tolerance of (k + 2) eps times the magnitude of the terms.
  template <typename T>
  void check(const GemmCase& c, cc_dtype dtype) {
    const int64_t a_rows = c.ta ? c.k : c.m, a_cols = c.ta ? c.m : c.k;
    const int64_t b_rows = c.tb ? c.n : c.k, b_cols = c.tb ? c.k : c.n;
    const int64_t lda = std::max<int64_t>(1, a_cols) + c.pad_a;
    const int64_t ldb = std::max<int64_t>(1, b_cols) + c.pad_b;
    const int64_t ldc = std::max<int64_t>(1, c.n) + c.pad_c;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    // Padding holds NaN: reading it would poison the result.
    auto fill = [&](int64_t rows, int64_t cols, int64_t ld, uint32_t seed) {
      std::vector<double> v = pattern(static_cast<size_t>(std::max<int64_t>(rows * ld, 1)), seed);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t col = cols; col < ld; ++col) v[r * ld + col] = nan;
      return v;
    };
    const auto a = fill(a_rows, a_cols, lda, 1), b = fill(b_rows, b_cols, ldb, 2);
    const auto c0 = fill(c.m, c.n, ldc, 3);
    cc_buffer* args[] = {upload<T>(a), upload<T>(b), upload<T>(c0)};
    cc_kernel* k =
        prepare(gemm_desc(dtype, c.m, c.n, c.k, lda, ldb, ldc, c.ta, c.tb, c.alpha, c.beta));
    ASSERT_NE(k, nullptr);
    ASSERT_EQ(d_->launch(dev_, k, args, 3), CC_OK) << error();
    ASSERT_EQ(d_->synchronize(dev_), CC_OK) << error();
    const std::vector<T> got = download<T>(args[2], c0.size());
    const double eps = std::numeric_limits<T>::epsilon();
    int bad = 0;
    for (int64_t i = 0; i < c.m; ++i) {
      for (int64_t j = 0; j < c.n; ++j) {
        double ref = 0, mag = 0;
        for (int64_t p = 0; p < c.k; ++p) {
          const double x = c.ta ? a[p * lda + i] : a[i * lda + p];
          const double y = c.tb ? b[j * ldb + p] : b[p * ldb + j];
          ref += x * y, mag += std::abs(x * y);
        }
        const double cij = static_cast<T>(c0[i * ldc + j]);
        ref = c.alpha * ref + c.beta * cij;
        mag = std::abs(c.alpha) * mag + std::abs(c.beta * cij);
        const double tol = (c.k + 2) * eps * mag + eps;
        if (!(std::abs(got[i * ldc + j] - ref) <= tol) && ++bad <= 5)
          ADD_FAILURE() << "C[" << i << "][" << j << "] = " << got[i * ldc + j] << ", want " << ref
                        << " +- " << tol;
      }
      for (int64_t j = c.n; j < ldc; ++j)
        if (!std::isnan(static_cast<double>(got[i * ldc + j])) && ++bad <= 5)
          ADD_FAILURE() << "padding C[" << i << "][" << j << "] was written";
    }
    EXPECT_EQ(bad, 0);
  }
};

TEST_P(OpenclGemm, F32MatchesReference) {
  check<float>(GetParam(), CC_DTYPE_F32);
}

TEST_P(OpenclGemm, F64MatchesReferenceWhenSupported) {
  if (!has(CC_DTYPE_F64)) GTEST_SKIP() << info_.name << " has no fp64";
  check<double>(GetParam(), CC_DTYPE_F64);
}

INSTANTIATE_TEST_SUITE_P(Shapes, OpenclGemm,
                         ::testing::Values(GemmCase{1, 1, 1, false, false, 0, 0, 0, 1.0, 0.0},
                                           GemmCase{67, 129, 33, false, false, 0, 0, 0, 1.0, 0.0},
                                           GemmCase{130, 70, 257, false, false, 0, 0, 0, 1.0, 0.0},
                                           GemmCase{130, 70, 257, true, false, 0, 0, 0, 1.0, 0.0},
                                           GemmCase{67, 129, 33, false, true, 0, 0, 0, 1.0, 0.0},
                                           GemmCase{67, 129, 33, true, true, 0, 0, 0, 1.0, 0.0},
                                           GemmCase{64, 128, 128, false, false, 0, 0, 0, 1.0, 0.0},
                                           GemmCase{100, 90, 80, false, false, 5, 3, 7, 0.5, 2.0},
                                           GemmCase{100, 90, 80, true, true, 11, 1, 2, 0.5, 2.0},
                                           GemmCase{33, 17, 0, false, false, 0, 0, 0, 1.0, 2.0},
                                           GemmCase{3, 200, 5, false, true, 1, 0, 0, -1.5, 0.25}),
                         [](const ::testing::TestParamInfo<GemmCase>& p) {
                           const GemmCase& c = p.param;
                           return "m" + std::to_string(c.m) + "n" + std::to_string(c.n) + "k" +
                                  std::to_string(c.k) + (c.ta ? "T" : "N") + (c.tb ? "T" : "N") +
                                  "_" + std::to_string(p.index);
                         });

TEST_F(OpenclDriver, GemmBetaZeroIgnoresNanInC) {
  const int64_t n = 40;
  const auto ones = std::vector<double>(n * n, 1.0);
  cc_buffer* args[] = {upload<float>(ones), upload<float>(ones),
                       upload<float>(std::vector<double>(n * n, std::nan("")))};
  cc_kernel* k = prepare(gemm_desc(CC_DTYPE_F32, n, n, n, n, n, n, false, false, 1.0, 0.0));
  ASSERT_EQ(d_->launch(dev_, k, args, 3), CC_OK) << error();
  for (float v : download<float>(args[2], n * n)) ASSERT_EQ(v, static_cast<float>(n));
}

TEST_F(OpenclDriver, Fp16IsUnsupportedWithAReason) {
  cc_kernel* k = nullptr;
  auto op = gemm_desc(CC_DTYPE_F16, 64, 64, 64, 64, 64, 64, false, false, 1.0, 0.0);
  op.acc_dtype = CC_DTYPE_F32;
  EXPECT_EQ(d_->prepare(dev_, &op, &k), CC_ERR_UNSUPPORTED);
  EXPECT_FALSE(error().empty());
  if (!has(CC_DTYPE_F16)) {
    EXPECT_NE(error().find("cl_khr_fp16"), std::string::npos) << error();
  }
  op = gemm_desc(CC_DTYPE_I8, 8, 8, 8, 8, 8, 8, false, false, 1.0, 0.0);
  EXPECT_EQ(d_->prepare(dev_, &op, &k), CC_ERR_UNSUPPORTED);
}

TEST_F(OpenclDriver, InvalidGemmDescriptorIsRejected) {
  cc_kernel* k = nullptr;
  auto op = gemm_desc(CC_DTYPE_F32, 8, 8, 16, 8 /* lda < k */, 8, 8, false, false, 1.0, 0.0);
  EXPECT_EQ(d_->prepare(dev_, &op, &k), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("lda"), std::string::npos) << error();
  op.u.gemm.lda = 16, op.u.gemm.m = -1;
  EXPECT_EQ(d_->prepare(dev_, &op, &k), CC_ERR_INVALID_ARGUMENT);
}

// ---- STREAM -------------------------------------------------------------------

struct StreamCase {
  cc_op_kind kind;
  cc_dtype dtype;
  int64_t n;
};

void PrintTo(const StreamCase& c, std::ostream* os) {
  *os << "op " << c.kind << " dtype " << c.dtype << " n " << c.n;
}

class OpenclStream : public OpenclDriver, public ::testing::WithParamInterface<StreamCase> {
 protected:
  template <typename T>
  void check(const StreamCase& c) {
    const double scalar = 0.4;
    const size_t n = static_cast<size_t>(c.n);
    // Positive inputs keep dot free of cancellation, so a relative bound holds.
    const auto x = pattern(n, 11, 0.5, 1.5), y = pattern(n, 12, 0.5, 1.5);
    const auto z = pattern(n, 13, 0.5, 1.5);
    std::vector<cc_buffer*> args = {upload<T>(x), upload<T>(y)};
    if (c.kind == CC_OP_STREAM_ADD || c.kind == CC_OP_STREAM_TRIAD) args.push_back(upload<T>(z));
    if (c.kind == CC_OP_STREAM_DOT) args.push_back(upload<T>({std::nan("")}));
    cc_kernel* k = prepare(stream_desc(c.kind, c.dtype, c.n, scalar));
    ASSERT_NE(k, nullptr);
    ASSERT_EQ(d_->launch(dev_, k, args.data(), static_cast<uint32_t>(args.size())), CC_OK)
        << error();
    const double eps = std::numeric_limits<T>::epsilon();
    auto t = [](double v) { return static_cast<double>(static_cast<T>(v)); };
    if (c.kind == CC_OP_STREAM_DOT) {
      double ref = 0;
      for (size_t i = 0; i < n; ++i) ref += t(x[i]) * t(y[i]);
      const double got = download<T>(args[2], 1)[0];
      EXPECT_NEAR(got, ref, 64 * eps * std::max(ref, 1.0) * std::log2(n + 2.0)) << "n=" << n;
      return;
    }
    const size_t out = c.kind == CC_OP_STREAM_COPY || c.kind == CC_OP_STREAM_MUL ? 1 : 2;
    const std::vector<T> got = download<T>(args[out], n);
    int bad = 0;
    for (size_t i = 0; i < n && bad < 5; ++i) {
      double want = 0;
      if (c.kind == CC_OP_STREAM_COPY) want = t(x[i]);                      // c = a
      if (c.kind == CC_OP_STREAM_MUL) want = scalar * t(x[i]);              // b = scalar * c
      if (c.kind == CC_OP_STREAM_ADD) want = t(x[i]) + t(y[i]);             // c = a + b
      if (c.kind == CC_OP_STREAM_TRIAD) want = t(x[i]) + scalar * t(y[i]);  // a = b + scalar * c
      if (!(std::abs(got[i] - want) <= 4 * eps * std::abs(want))) {
        ++bad;
        ADD_FAILURE() << "element " << i << " = " << got[i] << ", want " << want;
      }
    }
  }
};

TEST_P(OpenclStream, MatchesReference) {
  const StreamCase c = GetParam();
  if (c.dtype == CC_DTYPE_F64) {
    if (!has(CC_DTYPE_F64)) GTEST_SKIP() << info_.name << " has no fp64";
    check<double>(c);
  } else {
    check<float>(c);
  }
}

std::vector<StreamCase> stream_cases() {
  std::vector<StreamCase> cases;
  for (cc_op_kind kind : {CC_OP_STREAM_COPY, CC_OP_STREAM_MUL, CC_OP_STREAM_ADD, CC_OP_STREAM_TRIAD,
                          CC_OP_STREAM_DOT})
    for (cc_dtype dtype : {CC_DTYPE_F32, CC_DTYPE_F64})
      for (int64_t n : {int64_t{1}, int64_t{1000003}}) cases.push_back({kind, dtype, n});
  cases.push_back({CC_OP_STREAM_DOT, CC_DTYPE_F64, 0});
  return cases;
}

std::string stream_name(const ::testing::TestParamInfo<StreamCase>& p) {
  static const char* const ops[] = {"", "", "copy", "mul", "add", "triad", "dot"};
  return std::string(ops[p.param.kind]) + (p.param.dtype == CC_DTYPE_F64 ? "_f64_n" : "_f32_n") +
         std::to_string(p.param.n);
}

INSTANTIATE_TEST_SUITE_P(Ops, OpenclStream, ::testing::ValuesIn(stream_cases()), stream_name);

// ---- launch checks and timing --------------------------------------------------

TEST_F(OpenclDriver, TooSmallBufferIsInvalidArgument) {
  cc_buffer* small = nullptr;
  cc_buffer* big = nullptr;
  ASSERT_EQ(d_->alloc(dev_, 1000 * 4 - 4, &small), CC_OK);
  ASSERT_EQ(d_->alloc(dev_, 1000 * 4, &big), CC_OK);
  cc_kernel* k = prepare(stream_desc(CC_OP_STREAM_COPY, CC_DTYPE_F32, 1000, 0));
  cc_buffer* args[] = {big, small};
  EXPECT_EQ(d_->launch(dev_, k, args, 2), CC_ERR_INVALID_ARGUMENT);
  const std::string msg = error();
  EXPECT_NE(msg.find("argument 1 (c)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("4000"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3996"), std::string::npos) << msg;
  EXPECT_EQ(d_->launch(dev_, k, args, 1), CC_ERR_INVALID_ARGUMENT);  // wrong nargs
  EXPECT_NE(error().find("takes 2"), std::string::npos) << error();
  double s = 0;
  EXPECT_EQ(d_->timed_launch(dev_, k, args, 2, 1, &s), CC_ERR_INVALID_ARGUMENT);
}

TEST_F(OpenclDriver, NoopLaunchesAndTimedLaunchReturnsSeconds) {
  cc_op_desc op{};
  op.struct_size = sizeof op;
  op.kind = CC_OP_NOOP;
  cc_kernel* noop = prepare(op);
  ASSERT_EQ(d_->launch(dev_, noop, nullptr, 0), CC_OK) << error();
  ASSERT_EQ(d_->synchronize(dev_), CC_OK) << error();
  double s = -1;
  ASSERT_EQ(d_->timed_launch(dev_, noop, nullptr, 0, 10, &s), CC_OK) << error();
  EXPECT_GT(s, 0.0);

  const int64_t n = 256;
  const auto v = pattern(n * n, 5);
  cc_buffer* args[] = {upload<float>(v), upload<float>(v), upload<float>(v)};
  cc_kernel* gemm = prepare(gemm_desc(CC_DTYPE_F32, n, n, n, n, n, n, false, false, 1.0, 0.0));
  double one = 0, three = 0;
  ASSERT_EQ(d_->timed_launch(dev_, gemm, args, 3, 1, &one), CC_OK) << error();
  ASSERT_EQ(d_->timed_launch(dev_, gemm, args, 3, 3, &three), CC_OK) << error();
  EXPECT_GT(one, 0.0);
  EXPECT_GT(three, 0.0);  // not compared with `one`: a shared host can stall any single run
  EXPECT_EQ(d_->timed_launch(dev_, gemm, args, 3, 0, &s), CC_ERR_INVALID_ARGUMENT);
  d_->release(dev_, gemm);
  EXPECT_EQ(d_->launch(dev_, gemm, args, 3), CC_ERR_INVALID_ARGUMENT);  // released
}

}  // namespace
