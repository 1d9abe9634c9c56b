#pragma once
// Shared helpers of the fault driver's tests: load the plugin by path, open
// devices, build ops from doubles, and reset CHIPCERT_FAULT* around each test.
#include <chipcert/driver.h>
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace fault_test {

inline cc_driver_entry_fn Entry() {
  static const cc_driver_entry_fn entry = [] {
    void* h = dlopen(CHIPCERT_FAULT_DRIVER_FILE, RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) return static_cast<cc_driver_entry_fn>(nullptr);
    cc_driver_entry_fn fn = nullptr;
    void* sym = dlsym(h, CC_DRIVER_ENTRY_SYMBOL);
    std::memcpy(&fn, &sym, sizeof fn);
    return fn;
  }();
  return entry;
}

inline const cc_driver_v1& T() {
  static const cc_driver_v1* t = Entry() ? Entry()(CC_DRIVER_ABI_VERSION) : nullptr;
  if (t == nullptr) std::abort();  // the fixture asserts this first
  return *t;
}

inline constexpr const char* kVars[] = {"CHIPCERT_FAULT",         "CHIPCERT_FAULT_OP",
                                        "CHIPCERT_FAULT_AFTER",   "CHIPCERT_FAULT_ARG",
                                        "CHIPCERT_FAULT_DEVICE",  "CHIPCERT_FAULT_DEVICES",
                                        "CHIPCERT_FAULT_NO_TIMER"};

inline void Set(const char* var, const std::string& value) {
  setenv(var, value.c_str(), 1);
}

/// An open device, closed at scope end.
struct Dev {
  explicit Dev(uint32_t index = 0) { status = T().open(index, &d); }
  ~Dev() {
    if (d) T().close(d);
  }
  Dev(const Dev&) = delete;
  Dev& operator=(const Dev&) = delete;
  std::string error() const { return T().last_error(d); }
  cc_device* d = nullptr;
  cc_status status;
};

inline size_t Size(cc_dtype t) {
  return t == CC_DTYPE_F64 ? 8 : 4;
}

/// A prepared op with its argument buffers, filled from doubles.
class Op {
 public:
  Op(Dev& dev, const cc_op_desc& op, const std::vector<std::vector<double>>& args)
      : dev_(dev), dtype_(static_cast<cc_dtype>(op.dtype)) {
    for (const auto& a : args) {
      cc_buffer* b = nullptr;
      EXPECT_EQ(T().alloc(dev.d, a.size() * Size(dtype_), &b), CC_OK) << dev.error();
      bufs_.push_back(b);
      Write(bufs_.size() - 1, a);
    }
    prepare_status = T().prepare(dev.d, &op, &kernel_);
  }
  ~Op() {
    if (kernel_) T().release(dev_.d, kernel_);
    for (auto* b : bufs_) T().free(dev_.d, b);
  }
  Op(const Op&) = delete;
  Op& operator=(const Op&) = delete;

  void Write(size_t i, const std::vector<double>& v) {
    std::vector<unsigned char> bytes(v.size() * Size(dtype_));
    for (size_t j = 0; j < v.size(); ++j) {
      if (dtype_ == CC_DTYPE_F64) {
        std::memcpy(&bytes[j * 8], &v[j], 8);
      } else {
        const auto f = static_cast<float>(v[j]);
        std::memcpy(&bytes[j * 4], &f, 4);
      }
    }
    EXPECT_EQ(T().write(dev_.d, bufs_[i], 0, bytes.data(), bytes.size()), CC_OK) << dev_.error();
  }
  std::vector<double> Read(size_t i, size_t n) const {
    std::vector<unsigned char> bytes(n * Size(dtype_));
    EXPECT_EQ(T().read(dev_.d, bufs_[i], 0, bytes.data(), bytes.size()), CC_OK) << dev_.error();
    std::vector<double> v(n);
    for (size_t j = 0; j < n; ++j) {
      if (dtype_ == CC_DTYPE_F64) {
        std::memcpy(&v[j], &bytes[j * 8], 8);
      } else {
        float f;
        std::memcpy(&f, &bytes[j * 4], 4);
        v[j] = f;
      }
    }
    return v;
  }
  cc_status Launch() { return T().launch(dev_.d, kernel_, bufs_.data(), uint32_t(bufs_.size())); }
  cc_status Timed(uint32_t repeat, double* s) {
    return T().timed_launch(dev_.d, kernel_, bufs_.data(), uint32_t(bufs_.size()), repeat, s);
  }
  cc_kernel* kernel() const { return kernel_; }
  const std::vector<cc_buffer*>& buffers() const { return bufs_; }
  cc_status prepare_status;

 private:
  Dev& dev_;
  cc_dtype dtype_;
  std::vector<cc_buffer*> bufs_;
  cc_kernel* kernel_ = nullptr;
};

inline cc_op_desc Desc(cc_op_kind kind, cc_dtype dtype) {
  cc_op_desc op;
  std::memset(&op, 0, sizeof op);
  op.struct_size = sizeof op;
  op.kind = kind;
  op.dtype = op.acc_dtype = dtype;
  return op;
}

/// Plain row-major m x n x k GEMM: tight leading dims, alpha 1, beta 0, batch 1.
inline cc_gemm_params Gemm(int64_t m, int64_t n, int64_t k) {
  cc_gemm_params g;
  std::memset(&g, 0, sizeof g);
  g.m = m, g.n = n, g.k = k, g.lda = k, g.ldb = n, g.ldc = n, g.alpha = 1, g.batch = 1;
  return g;
}

inline std::vector<double> Values(size_t n, double seed) {
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = std::sin(seed + 0.7 * double(i)) + 0.25;
  return v;
}

/// STREAM op with inputs from Values(); the output buffer is the last argument.
struct Stream {
  Stream(Dev& dev, cc_op_kind kind, cc_dtype t, size_t n)
      : inputs(kind == CC_OP_STREAM_COPY || kind == CC_OP_STREAM_MUL ? 1 : 2),
        outs(kind == CC_OP_STREAM_DOT ? 1 : n),
        op(
            dev,
            [&] {
              cc_op_desc d = Desc(kind, t);
              d.u.stream = {.n = int64_t(n), .scalar = 0.4};
              return d;
            }(),
            Args(inputs, n, outs)) {}
  static std::vector<std::vector<double>> Args(int inputs, size_t n, size_t outs) {
    std::vector<std::vector<double>> a;
    for (int i = 0; i < inputs; ++i) a.push_back(Values(n, 1.0 + i));
    a.push_back(std::vector<double>(outs, -7.0));
    return a;
  }
  std::vector<double> Out() const { return op.Read(size_t(inputs), outs); }
  int inputs;
  size_t outs;
  Op op;
};

/// Number of elements where a and b differ, and the index of the last one.
inline std::pair<size_t, size_t> Diff(const std::vector<double>& a, const std::vector<double>& b) {
  size_t n = 0, at = 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (!(a[i] == b[i])) ++n, at = i;
  return {n, at};
}

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : kVars) unsetenv(v);
    ASSERT_NE(Entry(), nullptr) << dlerror();
    ASSERT_NE(Entry()(CC_DRIVER_ABI_VERSION), nullptr);
  }
  void TearDown() override {
    for (const char* v : kVars) unsetenv(v);
  }
};

}  // namespace fault_test
