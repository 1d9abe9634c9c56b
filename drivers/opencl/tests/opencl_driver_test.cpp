// Tests of the OpenCL driver through its ABI only (chipcert/driver.h); the raw
// OpenCL API is used just to count devices independently. Every test skips
// with a reason when the machine has no OpenCL device.
#include "opencl_test_support.hpp"

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

using namespace chipcert::opencl::testing;

cc_op_desc gemm_desc(cc_dtype t, int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb,
                     int64_t ldc, bool ta, bool tb, double alpha, double beta) {
  cc_op_desc op{};
  op.struct_size = sizeof op;
  op.kind = CC_OP_GEMM;
  op.dtype = op.acc_dtype = t;
  cc_gemm_params& g = op.u.gemm;  // by field: the struct grows at its end
  g.m = m, g.n = n, g.k = k, g.lda = lda, g.ldb = ldb, g.ldc = ldc;
  g.trans_a = ta ? 1u : 0u, g.trans_b = tb ? 1u : 0u, g.alpha = alpha, g.beta = beta;
  return op;
}

cc_op_desc stream_desc(cc_op_kind kind, cc_dtype t, int64_t n, double scalar) {
  cc_op_desc op{};
  op.struct_size = sizeof op;
  op.kind = kind;
  op.dtype = op.acc_dtype = t;
  op.u.stream.n = n;
  op.u.stream.scalar = scalar;
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
  // padding of C is untouched) against a double-precision loop on the
  // dtype-rounded inputs, with a tolerance of (k + 2) eps of the accumulation
  // type times the magnitude of the terms (exact for i8 -> i32).
  void check(const GemmCase& c, cc_dtype dtype) {
    const cc_dtype acc = acc_of(dtype);
    const int64_t a_rows = c.ta ? c.k : c.m, a_cols = c.ta ? c.m : c.k;
    const int64_t b_rows = c.tb ? c.n : c.k, b_cols = c.tb ? c.k : c.n;
    const int64_t lda = std::max<int64_t>(1, a_cols) + c.pad_a;
    const int64_t ldb = std::max<int64_t>(1, b_cols) + c.pad_b;
    const int64_t ldc = std::max<int64_t>(1, c.n) + c.pad_c;
    const bool integer = dtype == CC_DTYPE_I8;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    // Padding holds NaN (a sentinel for i8/i32): reading it would poison the result.
    const double pad = integer ? 77.0 : nan;
    auto fill = [&](cc_dtype t, int64_t rows, int64_t cols, int64_t ld, uint32_t seed) {
      std::vector<double> v = pattern(static_cast<size_t>(std::max<int64_t>(rows * ld, 1)), seed,
                                      integer ? -8.0 : -1.0, integer ? 8.0 : 1.0);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t col = cols; col < ld; ++col) v[r * ld + col] = pad;
      return quantize(t, v);
    };
    const auto a = fill(dtype, a_rows, a_cols, lda, 1), b = fill(dtype, b_rows, b_cols, ldb, 2);
    const auto c0 = fill(acc, c.m, c.n, ldc, 3);
    cc_buffer* args[] = {upload(dtype, a), upload(dtype, b), upload(acc, c0)};
    auto desc = gemm_desc(dtype, c.m, c.n, c.k, lda, ldb, ldc, c.ta, c.tb, c.alpha, c.beta);
    desc.acc_dtype = acc;
    cc_kernel* k = prepare(desc);
    ASSERT_NE(k, nullptr);
    ASSERT_EQ(d_->launch(dev_, k, args, 3), CC_OK) << error();
    ASSERT_EQ(d_->synchronize(dev_), CC_OK) << error();
    const std::vector<double> got = download(acc, args[2], c0.size());
    const double eps = acc == CC_DTYPE_F64 ? 0x1p-52 : acc == CC_DTYPE_F32 ? 0x1p-23 : 0.0;
    int bad = 0;
    for (int64_t i = 0; i < c.m; ++i) {
      for (int64_t j = 0; j < c.n; ++j) {
        double ref = 0, mag = 0;
        for (int64_t p = 0; p < c.k; ++p) {
          const double x = c.ta ? a[p * lda + i] : a[i * lda + p];
          const double y = c.tb ? b[j * ldb + p] : b[p * ldb + j];
          ref += x * y, mag += std::abs(x * y);
        }
        const double cij = c0[i * ldc + j];
        ref = c.alpha * ref + c.beta * cij;
        mag = std::abs(c.alpha) * mag + std::abs(c.beta * cij);
        const double tol = (c.k + 2) * eps * mag + eps;
        if (!(std::abs(got[i * ldc + j] - ref) <= tol) && ++bad <= 5)
          ADD_FAILURE() << "C[" << i << "][" << j << "] = " << got[i * ldc + j] << ", want " << ref
                        << " +- " << tol;
      }
      for (int64_t j = c.n; j < ldc; ++j) {
        const double g = got[i * ldc + j];
        if (!(integer ? g == pad : std::isnan(g)) && ++bad <= 5)
          ADD_FAILURE() << "padding C[" << i << "][" << j << "] was written";
      }
    }
    EXPECT_EQ(bad, 0);
    // kernel_info names the kernel and its tiles.
    ASSERT_NE(d_->kernel_info, nullptr);
    const std::string info = d_->kernel_info(dev_, k);
    if (c.m > 0 && c.n > 0) {
      EXPECT_NE(info.find("tm="), std::string::npos) << info;
    }
  }
};

TEST_P(OpenclGemm, F32MatchesReference) {
  check(GetParam(), CC_DTYPE_F32);
}

TEST_P(OpenclGemm, F64MatchesReferenceWhenSupported) {
  if (!has(CC_DTYPE_F64)) GTEST_SKIP() << info_.name << " has no fp64";
  check(GetParam(), CC_DTYPE_F64);
}

TEST_P(OpenclGemm, Bf16WithF32AccumulationMatchesReference) {
  check(GetParam(), CC_DTYPE_BF16);
}

TEST_P(OpenclGemm, I8WithI32AccumulationIsExact) {
  GemmCase c = GetParam();
  c.alpha = std::nearbyint(c.alpha) == 0 ? 1.0 : std::nearbyint(c.alpha);  // integral only
  c.beta = std::nearbyint(c.beta);
  check(c, CC_DTYPE_I8);
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

TEST_F(OpenclDriver, BatchedGemmWithSharedA) {
  // 3 entries; A is shared (stride 0), B and C are packed with extra gaps.
  const int64_t m = 37, n = 45, k = 29, batch = 3, sb = k * n + 5, sc = m * n + 3;
  const auto a = pattern(m * k, 21), b = pattern(batch * sb, 22), c0 = pattern(batch * sc, 23);
  cc_buffer* args[] = {upload<float>(a), upload<float>(b), upload<float>(c0)};
  auto op = gemm_desc(CC_DTYPE_F32, m, n, k, k, n, n, false, false, 1.0, 0.5);
  op.u.gemm.batch = batch, op.u.gemm.stride_a = 0, op.u.gemm.stride_b = sb;
  op.u.gemm.stride_c = sc;
  cc_kernel* kern = prepare(op);
  ASSERT_EQ(d_->launch(dev_, kern, args, 3), CC_OK) << error();
  const std::vector<float> got = download<float>(args[2], batch * sc);
  for (int64_t e = 0; e < batch; ++e) {
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double ref = 0.5 * static_cast<float>(c0[e * sc + i * n + j]);
        for (int64_t p = 0; p < k; ++p)
          ref += static_cast<double>(static_cast<float>(a[i * k + p])) *
                 static_cast<float>(b[e * sb + p * n + j]);
        ASSERT_NEAR(got[e * sc + i * n + j], ref, 1e-4) << e << " " << i << " " << j;
      }
    }
    for (int64_t gap = m * n; gap < sc; ++gap)  // between C matrices: untouched
      ASSERT_EQ(got[e * sc + gap], static_cast<float>(c0[e * sc + gap]));
  }
  // Too small a C buffer for the whole batch, and overlapping C entries.
  cc_buffer* small = nullptr;
  // The last entry ends at (batch - 1) * sc + m * n elements; one fewer must fail.
  ASSERT_EQ(d_->alloc(dev_, ((batch - 1) * sc + m * n - 1) * sizeof(float), &small), CC_OK);
  cc_buffer* short_args[] = {args[0], args[1], small};
  EXPECT_EQ(d_->launch(dev_, kern, short_args, 3), CC_ERR_INVALID_ARGUMENT);
  op.u.gemm.stride_c = m * n - 1;
  EXPECT_EQ(d_->prepare(dev_, &op, &kern), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("overlap"), std::string::npos) << error();
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
  op = gemm_desc(CC_DTYPE_TF32, 8, 8, 8, 8, 8, 8, false, false, 1.0, 0.0);
  op.acc_dtype = CC_DTYPE_F32;
  EXPECT_EQ(d_->prepare(dev_, &op, &k), CC_ERR_UNSUPPORTED);
  EXPECT_NE(error().find("tf32"), std::string::npos) << error();
  // bf16 inputs accumulate in f32: another acc_dtype is refused with a reason.
  op = gemm_desc(CC_DTYPE_BF16, 8, 8, 8, 8, 8, 8, false, false, 1.0, 0.0);
  op.acc_dtype = CC_DTYPE_BF16;
  EXPECT_EQ(d_->prepare(dev_, &op, &k), CC_ERR_UNSUPPORTED);
  EXPECT_NE(error().find("acc_dtype"), std::string::npos) << error();
  // i8 with i32 accumulation needs integral alpha and beta.
  op = gemm_desc(CC_DTYPE_I8, 8, 8, 8, 8, 8, 8, false, false, 0.5, 0.0);
  op.acc_dtype = CC_DTYPE_I32;
  EXPECT_EQ(d_->prepare(dev_, &op, &k), CC_ERR_UNSUPPORTED);
  EXPECT_NE(error().find("integral"), std::string::npos) << error();
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
  // Just over 32 MiB per array, with a ragged tail: the non-temporal store
  // path on CPU devices (see StreamStoresAreNonTemporalOnlyForLargeArrays).
  for (cc_op_kind kind :
       {CC_OP_STREAM_COPY, CC_OP_STREAM_MUL, CC_OP_STREAM_ADD, CC_OP_STREAM_TRIAD})
    cases.push_back({kind, CC_DTYPE_F64, (int64_t{1} << 22) + 7});
  cases.push_back({CC_OP_STREAM_TRIAD, CC_DTYPE_F32, (int64_t{1} << 23) + 3});
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

// ---- aliasing and kernel_info ----------------------------------------------------

TEST_F(OpenclDriver, OutputAliasingAnInputIsRejected) {
  const auto v = pattern(64, 9);
  cc_buffer* a = upload<float>(v);
  cc_buffer* b = upload<float>(v);
  cc_kernel* k = prepare(stream_desc(CC_OP_STREAM_ADD, CC_DTYPE_F32, 64, 0));
  cc_buffer* aliased[] = {a, b, a};  // c = a + b written over a
  EXPECT_EQ(d_->launch(dev_, k, aliased, 3), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("same buffer"), std::string::npos) << error();
  cc_buffer* c = upload<float>(v);
  cc_buffer* shared_inputs[] = {a, a, c};  // inputs may alias each other
  EXPECT_EQ(d_->launch(dev_, k, shared_inputs, 3), CC_OK) << error();
  const std::vector<float> got = download<float>(c, 64);
  EXPECT_EQ(got[5], 2 * static_cast<float>(v[5]));
}

TEST_F(OpenclDriver, StreamStoresAreNonTemporalOnlyForLargeArrays) {
  const auto info_of = [&](cc_op_kind kind, int64_t n) {
    cc_kernel* k = prepare(stream_desc(kind, CC_DTYPE_F32, n, 0.5));
    const std::string info = k ? d_->kernel_info(dev_, k) : "not prepared: " + error();
    if (k) d_->release(dev_, k);
    return info;
  };
  const int64_t large = int64_t{1} << 23;  // 32 MiB of f32
  for (cc_op_kind kind :
       {CC_OP_STREAM_COPY, CC_OP_STREAM_MUL, CC_OP_STREAM_ADD, CC_OP_STREAM_TRIAD}) {
    const std::string small = info_of(kind, large - 16), big = info_of(kind, large);
    EXPECT_EQ(small.find("stores"), std::string::npos) << small;
    if (info_.kind == CC_DEVICE_CPU) {
      // PoCL compiles with clang, which has the builtin; another CPU ICD may say why not.
      EXPECT_NE(big.find("stores"), std::string::npos) << big;
    } else {
      EXPECT_EQ(big.find("stores"), std::string::npos) << "a GPU keeps plain stores: " << big;
    }
  }
  // dot writes one element: never non-temporal.
  EXPECT_EQ(info_of(CC_OP_STREAM_DOT, large).find("stores"), std::string::npos);
}

TEST_F(OpenclDriver, KernelInfoDescribesEveryPreparedKernel) {
  ASSERT_NE(d_->kernel_info, nullptr);
  cc_kernel* k = prepare(stream_desc(CC_OP_STREAM_DOT, CC_DTYPE_F32, 1000, 0));
  const std::string info = d_->kernel_info(dev_, k);
  EXPECT_NE(info.find("stream_dot"), std::string::npos) << info;
  EXPECT_NE(info.find("work-group"), std::string::npos) << info;
  EXPECT_EQ(info.find('\n'), std::string::npos) << "one line: " << info;
  auto op = gemm_desc(CC_DTYPE_F32, 64, 64, 64, 64, 64, 64, false, false, 1.0, 0.0);
  cc_kernel* g = prepare(op);
  const std::string ginfo = d_->kernel_info(dev_, g);
  for (const char* part : {"gemm", "tm=", "vw=", "work-group"})
    EXPECT_NE(ginfo.find(part), std::string::npos) << ginfo;
  EXPECT_TRUE(ginfo.find("autotuned") != std::string::npos ||
              ginfo.find("default") != std::string::npos)
      << ginfo;
  d_->release(dev_, g);
  EXPECT_STREQ(d_->kernel_info(dev_, g), "not a live kernel of this device");
}

}  // namespace
