// Shared fixture of the OpenCL driver tests: opens device 0 through the ABI
// (skipping with a reason when the machine has no OpenCL device) and moves
// values between double vectors on the host and device buffers of any dtype.
#pragma once

#include <chipcert/opencl_driver.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace chipcert::opencl::testing {

inline const cc_driver_v1* drv() {
  return chipcert_opencl_driver_entry(CC_DRIVER_ABI_VERSION);
}

/// Deterministic values in [lo, hi): tests must not depend on a global RNG.
inline std::vector<double> pattern(size_t n, uint32_t seed, double lo = -1.0, double hi = 1.0) {
  std::vector<double> v(n);
  uint32_t x = seed * 2654435761u + 1u;
  for (auto& e : v) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    e = lo + (hi - lo) * (x / 4294967296.0);
  }
  return v;
}

inline size_t dtype_size(cc_dtype t) {
  switch (t) {
    case CC_DTYPE_F64:
      return 8;
    case CC_DTYPE_F16:
    case CC_DTYPE_BF16:
      return 2;
    case CC_DTYPE_I8:
      return 1;
    default:
      return 4;
  }
}

/// bf16 bits of v (round to nearest even), and back.
inline uint16_t to_bf16(double v) {
  const auto f = static_cast<float>(v);
  uint32_t bits = 0;
  std::memcpy(&bits, &f, 4);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}
inline double from_bf16(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f = 0;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// `v` as the dtype stores it (the value the device sees).
inline double quantize(cc_dtype t, double v) {
  switch (t) {
    case CC_DTYPE_F32:
      return static_cast<float>(v);
    case CC_DTYPE_BF16:
      return from_bf16(to_bf16(v));
    case CC_DTYPE_I8:
    case CC_DTYPE_I32:
      return std::nearbyint(v);
    default:
      return v;
  }
}
inline std::vector<double> quantize(cc_dtype t, std::vector<double> v) {
  for (auto& e : v) e = quantize(t, e);
  return v;
}

/// Host bytes of `values` in dtype t (f64, f32, bf16, i8, i32).
inline std::vector<uint8_t> encode(cc_dtype t, const std::vector<double>& values) {
  std::vector<uint8_t> out(values.size() * dtype_size(t));
  for (size_t i = 0; i < values.size(); ++i) {
    uint8_t* p = out.data() + i * dtype_size(t);
    const double v = values[i];
    if (t == CC_DTYPE_F64) {
      std::memcpy(p, &v, 8);
    } else if (t == CC_DTYPE_BF16) {
      const uint16_t h = to_bf16(v);
      std::memcpy(p, &h, 2);
    } else if (t == CC_DTYPE_I8) {
      const auto c = static_cast<int8_t>(std::nearbyint(v));
      std::memcpy(p, &c, 1);
    } else if (t == CC_DTYPE_I32) {
      const auto c = static_cast<int32_t>(std::nearbyint(v));
      std::memcpy(p, &c, 4);
    } else {
      const auto f = static_cast<float>(v);
      std::memcpy(p, &f, 4);
    }
  }
  return out;
}

inline std::vector<double> decode(cc_dtype t, const std::vector<uint8_t>& bytes) {
  std::vector<double> out(bytes.size() / dtype_size(t));
  for (size_t i = 0; i < out.size(); ++i) {
    const uint8_t* p = bytes.data() + i * dtype_size(t);
    if (t == CC_DTYPE_F64) {
      std::memcpy(&out[i], p, 8);
    } else if (t == CC_DTYPE_I32) {
      int32_t v = 0;
      std::memcpy(&v, p, 4);
      out[i] = v;
    } else {
      float f = 0;
      std::memcpy(&f, p, 4);
      out[i] = f;
    }
  }
  return out;
}

inline cc_op_desc make_desc(cc_op_kind kind, cc_dtype dtype, cc_dtype acc) {
  cc_op_desc op{};
  op.struct_size = sizeof op;
  op.kind = kind;
  op.dtype = dtype;
  op.acc_dtype = acc;
  return op;
}

/// The accumulation dtype the driver uses for `t` (as the workloads do).
inline cc_dtype acc_of(cc_dtype t) {
  return t == CC_DTYPE_F64 ? CC_DTYPE_F64 : t == CC_DTYPE_I8 ? CC_DTYPE_I32 : CC_DTYPE_F32;
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
  // The same for any dtype (values are rounded to it).
  cc_buffer* upload(cc_dtype t, const std::vector<double>& values) {
    const std::vector<uint8_t> bytes = encode(t, values);
    cc_buffer* b = nullptr;
    EXPECT_EQ(d_->alloc(dev_, bytes.size(), &b), CC_OK) << error();
    EXPECT_EQ(d_->write(dev_, b, 0, bytes.data(), bytes.size()), CC_OK) << error();
    return b;
  }
  std::vector<double> download(cc_dtype t, cc_buffer* b, size_t n) {
    std::vector<uint8_t> bytes(n * dtype_size(t));
    EXPECT_EQ(d_->read(dev_, b, 0, bytes.data(), bytes.size()), CC_OK) << error();
    return decode(t, bytes);
  }
  cc_kernel* prepare(const cc_op_desc& op) {
    cc_kernel* k = nullptr;
    EXPECT_EQ(d_->prepare(dev_, &op, &k), CC_OK) << error();
    return k;
  }
  // Prepares, launches on `args` and synchronizes; false (with a failure) on error.
  bool run(const cc_op_desc& op, std::vector<cc_buffer*> args) {
    cc_kernel* k = prepare(op);
    if (k == nullptr) return false;
    const cc_status s = d_->launch(dev_, k, args.data(), static_cast<uint32_t>(args.size()));
    EXPECT_EQ(s, CC_OK) << error();
    EXPECT_EQ(d_->synchronize(dev_), CC_OK) << error();
    return s == CC_OK;
  }

  const cc_driver_v1* d_ = nullptr;
  cc_device* dev_ = nullptr;
  cc_device_info info_{};
};

/// Counts elements with |got - want| > tol(i), reporting the first five.
template <typename Tol>
int count_mismatches(const std::vector<double>& got, const std::vector<double>& want, Tol tol,
                     const std::string& what) {
  int bad = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double t = tol(i);
    if (!(std::abs(got[i] - want[i]) <= t) && ++bad <= 5)
      ADD_FAILURE() << what << "[" << i << "] = " << got[i] << ", want " << want[i] << " +- " << t;
  }
  return bad;
}

}  // namespace chipcert::opencl::testing
