// The CUDA driver through its ABI table. Without an NVIDIA driver (CI), the
// tests check the clean "no driver" path and the identity code against a
// fake libcuda/NVML; the device tests skip with the reason. On a GPU machine
// the device tests check GEMM in every dtype and transpose against a host
// reference, STREAM, timing, sensors and argument checks.
#include <chipcert/cuda_driver.h>
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "inventory.hpp"

namespace chipcert::cuda {
namespace {

const cc_driver_v1& table() {
  return *chipcert_cuda_driver_entry(CC_DRIVER_ABI_VERSION);
}

bool real_libcuda_present() {
  void* h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (h != nullptr) dlclose(h);
  return h != nullptr;
}

TEST(CudaEntry, AbiZeroGivesNull) {
  EXPECT_EQ(chipcert_cuda_driver_entry(0), nullptr);
}

TEST(CudaEntry, TableIsComplete) {
  const cc_driver_v1* t = chipcert_cuda_driver_entry(1);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t, chipcert_cuda_driver_entry(7));  // newer harness: our v1 table
  EXPECT_EQ(t->struct_size, sizeof(cc_driver_v1));
  EXPECT_EQ(t->abi_version, 1u);
  EXPECT_STREQ(t->name, "cuda");
  for (const void* fn :
       {reinterpret_cast<const void*>(t->enumerate), reinterpret_cast<const void*>(t->device_info),
        reinterpret_cast<const void*>(t->open), reinterpret_cast<const void*>(t->close),
        reinterpret_cast<const void*>(t->alloc), reinterpret_cast<const void*>(t->free),
        reinterpret_cast<const void*>(t->write), reinterpret_cast<const void*>(t->read),
        reinterpret_cast<const void*>(t->prepare), reinterpret_cast<const void*>(t->release),
        reinterpret_cast<const void*>(t->launch), reinterpret_cast<const void*>(t->synchronize),
        reinterpret_cast<const void*>(t->timed_launch),
        reinterpret_cast<const void*>(t->read_sensors),
        reinterpret_cast<const void*>(t->last_error)})
    EXPECT_NE(fn, nullptr);
}

TEST(CudaEntry, NullArgumentsAreRejected) {
  const cc_driver_v1& t = table();
  EXPECT_EQ(t.enumerate(nullptr), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(t.last_error(nullptr)).find("count is NULL"), std::string::npos);
  EXPECT_EQ(t.alloc(nullptr, 16, nullptr), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(t.last_error(nullptr)).find("alloc: device is NULL"), std::string::npos);
  EXPECT_EQ(t.open(0, nullptr), CC_ERR_INVALID_ARGUMENT);
  t.close(nullptr);  // no-ops, no crash
  t.free(nullptr, nullptr);
  t.release(nullptr, nullptr);
}

// ---- without an NVIDIA driver -------------------------------------------------

TEST(CudaNoDriver, EnumerateSaysWhy) {
  if (real_libcuda_present()) GTEST_SKIP() << "libcuda.so.1 is present: this machine has a driver";
  const cc_driver_v1& t = table();
  uint32_t count = 99;
  EXPECT_EQ(t.enumerate(&count), CC_ERR_DEVICE);
  EXPECT_EQ(count, 99u);  // untouched on failure
  const std::string why = t.last_error(nullptr);
  EXPECT_EQ(why.rfind("libcuda.so.1 not found: no NVIDIA driver on this machine", 0), 0u) << why;
  cc_device_info info{};
  info.struct_size = sizeof info;
  EXPECT_EQ(t.device_info(0, &info), CC_ERR_DEVICE);
  cc_device* dev = nullptr;
  EXPECT_EQ(t.open(0, &dev), CC_ERR_DEVICE);
  EXPECT_EQ(dev, nullptr);
  EXPECT_NE(std::string(t.last_error(nullptr)).find("libcuda.so.1 not found"), std::string::npos);
}

TEST(CudaInventory, MissingLibraryIsACleanError) {
  LibraryNames names;
  names.cuda = {"libchipcert_no_such_cuda.so.1"};
  const auto inv = build_inventory(names);
  EXPECT_EQ(inv->status, CC_ERR_DEVICE);
  EXPECT_EQ(inv->error.rfind("libchipcert_no_such_cuda.so.1 not found: no NVIDIA driver", 0), 0u)
      << inv->error;
  EXPECT_TRUE(inv->devices.empty());
}

TEST(CudaInventory, FakeDriverAndNvmlGiveFullIdentity) {
  LibraryNames names;
  names.cuda = {FAKE_NVIDIA};
  names.nvml = {FAKE_NVIDIA};
  const auto inv = build_inventory(names);
  ASSERT_EQ(inv->status, CC_OK) << inv->error;
  ASSERT_EQ(inv->devices.size(), 1u);
  ASSERT_TRUE(inv->nvml) << inv->nvml_note;
  const DeviceRecord& r = inv->devices[0];
  const cc_device_info& i = r.info;
  EXPECT_EQ(i.struct_size, sizeof(cc_device_info));
  EXPECT_EQ(i.kind, static_cast<uint32_t>(CC_DEVICE_GPU));
  EXPECT_STREQ(i.name, "Fake NVIDIA H100 80GB HBM3");
  EXPECT_STREQ(i.vendor, "NVIDIA Corporation");
  EXPECT_STREQ(i.uuid, "a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf");
  EXPECT_STREQ(i.pci_bus_id, "0000:1b:00.0");
  EXPECT_STREQ(i.serial, "1654922001234");
  EXPECT_STREQ(i.driver_version, "driver 580.65.06, VBIOS 96.00.89.00.01, ECC on, limit 700 W");
  EXPECT_EQ(i.memory_bytes, uint64_t{80} << 30);
  EXPECT_EQ(i.compute_units, 132u);
  EXPECT_EQ(i.clock_mhz, 1980u);  // NVML's maximum SM clock
  EXPECT_EQ(i.dtypes, dtypes_for_compute_capability(90));
  EXPECT_EQ(r.cc, 90);
  EXPECT_EQ(r.label, "cuda:0 (Fake NVIDIA H100 80GB HBM3)");
  EXPECT_NE(r.nvml, nullptr);
}

TEST(CudaInventory, WithoutNvmlIdentityComesFromTheDriverApi) {
  LibraryNames names;
  names.cuda = {FAKE_NVIDIA};
  names.nvml = {"libchipcert_no_such_nvml.so.1"};
  const auto inv = build_inventory(names);
  ASSERT_EQ(inv->status, CC_OK) << inv->error;
  EXPECT_FALSE(inv->nvml);
  EXPECT_NE(inv->nvml_note.find("NVML not loaded"), std::string::npos) << inv->nvml_note;
  const cc_device_info& i = inv->devices.at(0).info;
  EXPECT_STREQ(i.serial, "");
  EXPECT_STREQ(i.driver_version, "CUDA 13.0");
  EXPECT_EQ(i.clock_mhz, 1755u);  // CU_DEVICE_ATTRIBUTE_CLOCK_RATE
}

TEST(CudaInventory, NoDeviceNamesTheCudaError) {
  LibraryNames names;
  names.cuda = {FAKE_NVIDIA_NODEV};
  const auto inv = build_inventory(names);
  EXPECT_EQ(inv->status, CC_ERR_DEVICE);
  EXPECT_NE(inv->error.find("cuInit failed: CUDA_ERROR_NO_DEVICE (100)"), std::string::npos)
      << inv->error;
  EXPECT_NE(inv->error.find("CUDA_VISIBLE_DEVICES"), std::string::npos);
}

// ---- on a GPU -----------------------------------------------------------------

class CudaDevice : public ::testing::Test {
 protected:
  void SetUp() override {
    const cc_driver_v1& t = table();
    uint32_t count = 0;
    if (t.enumerate(&count) != CC_OK) GTEST_SKIP() << "no CUDA device: " << t.last_error(nullptr);
    if (count == 0) GTEST_SKIP() << "no CUDA device: the driver reports 0";
    ASSERT_EQ(t.open(0, &dev_), CC_OK) << t.last_error(nullptr);
  }
  void TearDown() override {
    for (cc_buffer* b : bufs_) table().free(dev_, b);
    if (dev_ != nullptr) table().close(dev_);
  }
  std::string err() const { return table().last_error(dev_); }

  template <typename T>
  cc_buffer* upload(const std::vector<T>& v) {
    cc_buffer* b = nullptr;
    EXPECT_EQ(table().alloc(dev_, v.size() * sizeof(T), &b), CC_OK) << err();
    EXPECT_EQ(table().write(dev_, b, 0, v.data(), v.size() * sizeof(T)), CC_OK) << err();
    bufs_.push_back(b);
    return b;
  }
  template <typename T>
  std::vector<T> download(cc_buffer* b, size_t n) {
    std::vector<T> v(n);
    EXPECT_EQ(table().read(dev_, b, 0, v.data(), n * sizeof(T)), CC_OK) << err();
    return v;
  }
  cc_kernel* prepare(const cc_op_desc& op) {
    cc_kernel* k = nullptr;
    EXPECT_EQ(table().prepare(dev_, &op, &k), CC_OK) << err();
    return k;
  }

  cc_device* dev_ = nullptr;
  std::vector<cc_buffer*> bufs_;
};

/// Values exactly representable in every dtype (small integers).
template <typename T>
std::vector<T> small_ints(size_t n, int seed) {
  std::vector<T> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<T>(int((i * 5 + seed * 3) % 7) - 3);
  return v;
}

uint16_t to_half_bits(float f, bool bf16) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if (bf16) return static_cast<uint16_t>(u >> 16);  // small integers: exact
  // Small integers |x| <= 3 as binary16: sign, exponent, 10-bit mantissa.
  if (f == 0) return 0;
  const int e = std::ilogb(f);
  const uint32_t mant = static_cast<uint32_t>(std::ldexp(std::fabs(f), 10 - e)) & 0x3ffu;
  return static_cast<uint16_t>((f < 0 ? 0x8000u : 0u) | (uint32_t(e + 15) << 10) | mant);
}

TEST_F(CudaDevice, GemmEveryDtypeAndTransposeMatchesHost) {
  const int64_t m = 33, n = 40, k = 24;  // multiples of 4 where int8 needs them (n, k)
  const uint32_t dtypes[] = {CC_DTYPE_F64, CC_DTYPE_F32,  CC_DTYPE_TF32,
                             CC_DTYPE_F16, CC_DTYPE_BF16, CC_DTYPE_I8};
  for (const uint32_t dtype : dtypes)
    for (const int ta : {0, 1})
      for (const int tb : {0, 1}) {
        SCOPED_TRACE(std::to_string(dtype) + " ta=" + std::to_string(ta) +
                     " tb=" + std::to_string(tb));
        const std::vector<float> a = small_ints<float>(size_t(m * k), 1);
        const std::vector<float> b = small_ints<float>(size_t(k * n), 2);
        const auto A = [&](int64_t i, int64_t p) { return double(a[ta ? p * m + i : i * k + p]); };
        const auto B = [&](int64_t p, int64_t j) { return double(b[tb ? j * k + p : p * n + j]); };
        cc_op_desc op{};
        op.struct_size = sizeof op;
        op.kind = CC_OP_GEMM;
        op.dtype = dtype;
        op.acc_dtype = dtype == CC_DTYPE_F64  ? CC_DTYPE_F64
                       : dtype == CC_DTYPE_I8 ? CC_DTYPE_I32
                                              : CC_DTYPE_F32;
        op.constant_args = 0x3;
        op.u.gemm = {.m = m,
                     .n = n,
                     .k = k,
                     .lda = ta ? m : k,
                     .ldb = tb ? k : n,
                     .ldc = n,
                     .trans_a = uint32_t(ta),
                     .trans_b = uint32_t(tb),
                     .alpha = 1,
                     .beta = 0,
                     .batch = 1,
                     .stride_a = 0,
                     .stride_b = 0,
                     .stride_c = 0};
        cc_buffer *ba = nullptr, *bb = nullptr;
        switch (dtype) {
          case CC_DTYPE_F64:
            ba = upload(std::vector<double>(a.begin(), a.end()));
            bb = upload(std::vector<double>(b.begin(), b.end()));
            break;
          case CC_DTYPE_F16:
          case CC_DTYPE_BF16: {
            std::vector<uint16_t> ha, hb;
            for (float f : a) ha.push_back(to_half_bits(f, dtype == CC_DTYPE_BF16));
            for (float f : b) hb.push_back(to_half_bits(f, dtype == CC_DTYPE_BF16));
            ba = upload(ha);
            bb = upload(hb);
            break;
          }
          case CC_DTYPE_I8:
            ba = upload(std::vector<int8_t>(a.begin(), a.end()));
            bb = upload(std::vector<int8_t>(b.begin(), b.end()));
            break;
          default:
            ba = upload(a);
            bb = upload(b);
        }
        const size_t out_size = op.acc_dtype == CC_DTYPE_F64 ? 8 : 4;
        cc_buffer* bc = upload(std::vector<char>(size_t(m * n) * out_size, 0));
        cc_kernel* kern = prepare(op);
        ASSERT_NE(kern, nullptr);
        cc_buffer* args[] = {ba, bb, bc};
        for (int rep = 0; rep < 2; ++rep) {  // the second launch reuses staged int8 weights
          ASSERT_EQ(table().launch(dev_, kern, args, 3), CC_OK) << err();
          ASSERT_EQ(table().synchronize(dev_), CC_OK) << err();
          std::vector<char> raw = download<char>(bc, size_t(m * n) * out_size);
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) {
              double want = 0, got = 0;
              for (int64_t p = 0; p < k; ++p) want += A(i, p) * B(p, j);
              const size_t e = size_t(i * n + j);
              if (op.acc_dtype == CC_DTYPE_F64) {
                std::memcpy(&got, raw.data() + e * 8, 8);
              } else if (op.acc_dtype == CC_DTYPE_I32) {
                int32_t v;
                std::memcpy(&v, raw.data() + e * 4, 4);
                got = v;
              } else {
                float v;
                std::memcpy(&v, raw.data() + e * 4, 4);
                got = v;
              }
              ASSERT_EQ(got, want) << "C[" << i << "][" << j << "]";  // small ints: exact
            }
        }
        table().release(dev_, kern);
      }
}

TEST_F(CudaDevice, StreamTriadAndDot) {
  const int64_t n = (1 << 20) + 3;  // a tail that the 16-byte vectors do not cover
  std::vector<double> b(n), c(n);
  for (int64_t i = 0; i < n; ++i) {
    b[i] = double(i % 100);
    c[i] = 0.5 * double(i % 7);
  }
  cc_buffer* bb = upload(b);
  cc_buffer* bc = upload(c);
  cc_buffer* ba = upload(std::vector<double>(n, -1.0));
  cc_op_desc op{};
  op.struct_size = sizeof op;
  op.kind = CC_OP_STREAM_TRIAD;
  op.dtype = op.acc_dtype = CC_DTYPE_F64;
  op.u.stream = {.n = n, .scalar = 3.0};
  cc_kernel* triad = prepare(op);
  cc_buffer* targs[] = {bb, bc, ba};
  ASSERT_EQ(table().launch(dev_, triad, targs, 3), CC_OK) << err();
  const std::vector<double> a = download<double>(ba, size_t(n));
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(a[i], b[i] + 3.0 * c[i]) << i;

  op.kind = CC_OP_STREAM_DOT;
  cc_kernel* dot = prepare(op);
  cc_buffer* s = upload(std::vector<double>(1, 0.0));
  cc_buffer* dargs[] = {bb, bc, s};
  ASSERT_EQ(table().launch(dev_, dot, dargs, 3), CC_OK) << err();
  double want = 0;
  for (int64_t i = 0; i < n; ++i) want += b[i] * c[i];
  EXPECT_EQ(download<double>(s, 1)[0], want);  // multiples of 0.5 below 2^53: exact

  double seconds = 0;
  ASSERT_EQ(table().timed_launch(dev_, triad, targs, 3, 5, &seconds), CC_OK) << err();
  EXPECT_GT(seconds, 0.0);
  EXPECT_LT(seconds, 10.0);
}

TEST_F(CudaDevice, LaunchChecksArguments) {
  cc_op_desc op{};
  op.struct_size = sizeof op;
  op.kind = CC_OP_STREAM_COPY;
  op.dtype = op.acc_dtype = CC_DTYPE_F32;
  op.u.stream = {.n = 100, .scalar = 0};
  cc_kernel* k = prepare(op);
  cc_buffer* small = upload(std::vector<float>(99));
  cc_buffer* ok = upload(std::vector<float>(100));
  cc_buffer* args[] = {small, ok};
  EXPECT_EQ(table().launch(dev_, k, args, 2), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(err().find("argument 0 (a) of stream_copy needs 400 bytes"), std::string::npos)
      << err();
  EXPECT_EQ(table().launch(dev_, k, args, 1), CC_ERR_INVALID_ARGUMENT);
  cc_buffer* bogus[] = {reinterpret_cast<cc_buffer*>(&op), ok};
  EXPECT_EQ(table().launch(dev_, k, bogus, 2), CC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(table().launch(dev_, reinterpret_cast<cc_kernel*>(&op), args, 2),
            CC_ERR_INVALID_ARGUMENT);
  float host[4];
  EXPECT_EQ(table().read(dev_, ok, 396, host, 8), CC_ERR_INVALID_ARGUMENT);
}

TEST_F(CudaDevice, HugeAllocIsOutOfMemory) {
  cc_buffer* b = nullptr;
  EXPECT_EQ(table().alloc(dev_, uint64_t{1} << 62, &b), CC_ERR_OUT_OF_MEMORY);
  EXPECT_EQ(table().alloc(dev_, 0, &b), CC_OK) << err();  // a valid empty handle
  table().free(dev_, b);
}

TEST_F(CudaDevice, SensorsAreReadable) {
  cc_sensors s{};
  s.struct_size = sizeof s;
  const cc_status rc = table().read_sensors(dev_, &s);
  if (rc == CC_ERR_UNSUPPORTED) GTEST_SKIP() << err();
  ASSERT_EQ(rc, CC_OK) << err();
  EXPECT_GT(s.temperature_c, 0.0);
  EXPECT_GT(s.clock_mhz, 0.0);
}

}  // namespace
}  // namespace chipcert::cuda
