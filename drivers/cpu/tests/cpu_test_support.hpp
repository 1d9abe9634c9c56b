// Shared fixture for the CPU driver's op tests: everything goes through the
// C ABI table, the way the harness sees the driver.
#pragma once

#include <chipcert/cpu_driver.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace cpu_test {

inline const cc_driver_v1& drv() {
  return *chipcert_cpu_driver_entry(CC_DRIVER_ABI_VERSION);
}

/// Rounds a float to the nearest bfloat16 (ties to even), as raw bits.
inline uint16_t to_bf16(float f) {
  uint32_t u = 0;
  std::memcpy(&u, &f, 4);
  return uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
inline float from_bf16(uint16_t h) {
  const uint32_t u = uint32_t(h) << 16;
  float f = 0;
  std::memcpy(&f, &u, 4);
  return f;
}

/// Uniform values in [lo, hi), deterministic per seed.
template <class T>
std::vector<T> uniform(size_t n, double lo, double hi, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<T> v(n);
  for (T& x : v) x = T(d(gen));
  return v;
}

/// Sets CHIPCERT_CPU_MAX_ISA for one scope (the driver reads it in prepare).
class IsaCap {
 public:
  explicit IsaCap(const char* isa) {
    if (isa) setenv("CHIPCERT_CPU_MAX_ISA", isa, 1);
  }
  ~IsaCap() { unsetenv("CHIPCERT_CPU_MAX_ISA"); }
  IsaCap(const IsaCap&) = delete;
  IsaCap& operator=(const IsaCap&) = delete;
};

/// Public members: the per-dtype case templates take the fixture by reference.
class CpuOps : public ::testing::Test {
 public:
  void SetUp() override { ASSERT_EQ(drv().open(0, &dev_), CC_OK) << drv().last_error(nullptr); }
  void TearDown() override { drv().close(dev_); }

  std::string error() const { return drv().last_error(dev_); }

  template <class T>
  cc_buffer* upload(const std::vector<T>& host) {
    cc_buffer* b = nullptr;
    EXPECT_EQ(drv().alloc(dev_, host.size() * sizeof(T), &b), CC_OK) << error();
    if (!host.empty()) {
      EXPECT_EQ(drv().write(dev_, b, 0, host.data(), host.size() * sizeof(T)), CC_OK) << error();
    }
    return b;
  }
  cc_buffer* zeros(size_t bytes) {
    cc_buffer* b = nullptr;
    EXPECT_EQ(drv().alloc(dev_, bytes, &b), CC_OK) << error();
    return b;
  }
  template <class T>
  std::vector<T> download(cc_buffer* b, size_t n) {
    std::vector<T> host(n);
    if (n) {
      EXPECT_EQ(drv().read(dev_, b, 0, host.data(), n * sizeof(T)), CC_OK) << error();
    }
    return host;
  }

  /// prepare + launch (`launches` times) + release; returns the first failure.
  cc_status run(const cc_op_desc& op, std::vector<cc_buffer*> args, int launches = 1) {
    cc_kernel* k = nullptr;
    if (cc_status s = drv().prepare(dev_, &op, &k); s != CC_OK) return s;
    cc_status s = CC_OK;
    for (int i = 0; i < launches && s == CC_OK; ++i)
      s = drv().launch(dev_, k, args.data(), uint32_t(args.size()));
    if (s == CC_OK) s = drv().synchronize(dev_);
    last_info_ = drv().kernel_info(dev_, k);
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

  cc_device* dev_ = nullptr;
  std::string last_info_;  ///< kernel_info of the kernel run() used last
};

/// |got - want| <= atol + rtol * |want| for every element, else a message
/// naming the first bad index.
template <class G, class W>
::testing::AssertionResult close_all(const std::vector<G>& got, const std::vector<W>& want,
                                     double atol, double rtol) {
  if (got.size() != want.size()) return ::testing::AssertionFailure() << "size differs";
  for (size_t i = 0; i < got.size(); ++i) {
    const double g = double(got[i]), w = double(want[i]);
    if (!(std::fabs(g - w) <= atol + rtol * std::fabs(w)))
      return ::testing::AssertionFailure() << "element " << i << ": got " << g << ", want " << w;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace cpu_test
