// Tests of the example driver through the C ABI only: the plugin is loaded
// with dlopen exactly as chipcert loads a vendor's .so.
#include <chipcert/driver.h>
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace {

// Loaded once per process; never unloaded (the table must outlive the tests).
const cc_driver_v1* Driver() {
  static const cc_driver_v1* table = [] {
    void* h = dlopen(CHIPCERT_EXAMPLE_DRIVER_FILE, RTLD_NOW | RTLD_LOCAL);
    if (!h) return static_cast<const cc_driver_v1*>(nullptr);
    auto entry = reinterpret_cast<cc_driver_entry_fn>(dlsym(h, CC_DRIVER_ENTRY_SYMBOL));
    return entry ? entry(CC_DRIVER_ABI_VERSION) : nullptr;
  }();
  return table;
}

// Sets (or unsets, with nullopt) an environment variable for one scope.
class EnvVar {
 public:
  EnvVar(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      setenv(name, value->c_str(), 1);
    else
      unsetenv(name);
  }
  ~EnvVar() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }
  EnvVar(const EnvVar&) = delete;
  EnvVar& operator=(const EnvVar&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// 8-4-4-4-12 lowercase hex, version 8, RFC variant. (No std::regex: GCC 12
// raises a false -Wmaybe-uninitialized in it under the sanitizers.)
bool IsUuidV8(const std::string& u) {
  if (u.size() != 36) return false;
  for (size_t i = 0; i < u.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (u[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(u[i]))) return false;
    if (!dash && std::isupper(static_cast<unsigned char>(u[i]))) return false;
  }
  return u[14] == '8' && std::strchr("89ab", u[19]) != nullptr;
}

bool Terminated(const char* s, size_t cap) {
  return std::memchr(s, '\0', cap) != nullptr;
}

cc_device_info Info(uint32_t index, cc_status* st = nullptr) {
  cc_device_info info{};
  info.struct_size = sizeof info;
  cc_status s = Driver()->device_info(index, &info);
  if (st)
    *st = s;
  else
    EXPECT_EQ(s, CC_OK) << Driver()->last_error(nullptr);
  return info;
}

TEST(ExampleDriverEntry, TableForVersion1AndNullForVersion0) {
  ASSERT_NE(Driver(), nullptr) << dlerror();
  void* h = dlopen(CHIPCERT_EXAMPLE_DRIVER_FILE, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(h, nullptr);
  auto entry = reinterpret_cast<cc_driver_entry_fn>(dlsym(h, CC_DRIVER_ENTRY_SYMBOL));
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry(0), nullptr);
  // A newer chipcert asking for version 2 gets the version-1 table.
  const cc_driver_v1* t = entry(CC_DRIVER_ABI_VERSION + 1);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->abi_version, 1u);
  EXPECT_EQ(t->struct_size, sizeof(cc_driver_v1));
  EXPECT_STREQ(t->name, "example");
  EXPECT_NE(t->timed_launch, nullptr);
  EXPECT_EQ(t->read_sensors, nullptr);  // no fake sensors
  // Only the entry point is exported.
  EXPECT_EQ(dlsym(h, "ex_enumerate"), nullptr);
  dlclose(h);
}

TEST(ExampleDriverDiscovery, EnumerateDefaultAndOverride) {
  uint32_t n = 0;
  {
    EnvVar d("CHIPCERT_EXAMPLE_DEVICES", std::nullopt);
    ASSERT_EQ(Driver()->enumerate(&n), CC_OK);
    EXPECT_EQ(n, 1u);
  }
  {
    EnvVar d("CHIPCERT_EXAMPLE_DEVICES", "3");
    ASSERT_EQ(Driver()->enumerate(&n), CC_OK);
    EXPECT_EQ(n, 3u);
    EXPECT_EQ(Info(2).kind, CC_DEVICE_ACCELERATOR);
    cc_status st;
    Info(3, &st);
    EXPECT_EQ(st, CC_ERR_INVALID_ARGUMENT);
    cc_device* dev = nullptr;
    EXPECT_EQ(Driver()->open(3, &dev), CC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(dev, nullptr);
  }
  for (const char* bad : {"0", "17", "abc", "-1", "2x"}) {
    EnvVar d("CHIPCERT_EXAMPLE_DEVICES", bad);
    EXPECT_EQ(Driver()->enumerate(&n), CC_ERR_INVALID_ARGUMENT) << bad;
    EXPECT_NE(std::string(Driver()->last_error(nullptr)).find("CHIPCERT_EXAMPLE_DEVICES"),
              std::string::npos);
  }
}

TEST(ExampleDriverDiscovery, DefaultIdentity) {
  EnvVar v("CHIPCERT_EXAMPLE_VENDOR", std::nullopt), m("CHIPCERT_EXAMPLE_MODEL", std::nullopt),
      s("CHIPCERT_EXAMPLE_SERIAL", std::nullopt), mem("CHIPCERT_EXAMPLE_MEMORY_MB", std::nullopt);
  cc_device_info info = Info(0);
  EXPECT_EQ(info.struct_size, sizeof info);
  EXPECT_EQ(info.kind, CC_DEVICE_ACCELERATOR);
  EXPECT_STREQ(info.name, "chipcert example device");
  EXPECT_STREQ(info.vendor, "chipcert example");
  EXPECT_STREQ(info.serial, "");
  EXPECT_EQ(info.memory_bytes, 4ull << 30);
  EXPECT_EQ(info.dtypes, CC_DTYPE_BIT(CC_DTYPE_F32) | CC_DTYPE_BIT(CC_DTYPE_F64));
  EXPECT_TRUE(IsUuidV8(info.uuid)) << info.uuid;
  EXPECT_STREQ(Info(0).uuid, info.uuid);  // deterministic
  for (auto [p, cap] : {std::pair{info.name, sizeof info.name},
                        {info.vendor, sizeof info.vendor},
                        {info.driver_version, sizeof info.driver_version},
                        {info.uuid, sizeof info.uuid},
                        {info.serial, sizeof info.serial},
                        {info.pci_bus_id, sizeof info.pci_bus_id}})
    EXPECT_TRUE(Terminated(p, cap));
}

TEST(ExampleDriverDiscovery, IdentityFromEnvironment) {
  std::string default_uuid = Info(0).uuid;
  EnvVar d("CHIPCERT_EXAMPLE_DEVICES", "2");
  EnvVar v("CHIPCERT_EXAMPLE_VENDOR", "Acme NPU Inc.");
  EnvVar m("CHIPCERT_EXAMPLE_MODEL", "Acme X1");
  EnvVar s("CHIPCERT_EXAMPLE_SERIAL", "SN-42");
  EnvVar mem("CHIPCERT_EXAMPLE_MEMORY_MB", "512");
  cc_device_info a = Info(0), b = Info(1);
  EXPECT_STREQ(a.vendor, "Acme NPU Inc.");
  EXPECT_STREQ(a.name, "Acme X1");
  EXPECT_STREQ(a.serial, "SN-42");
  EXPECT_EQ(a.memory_bytes, 512ull << 20);
  EXPECT_NE(default_uuid, a.uuid);     // depends on vendor+model
  EXPECT_STRNE(a.uuid, b.uuid);        // and on the index
  EXPECT_STREQ(Info(1).uuid, b.uuid);  // deterministic
  {
    EnvVar bad("CHIPCERT_EXAMPLE_MEMORY_MB", "lots");
    cc_status st;
    Info(0, &st);
    EXPECT_EQ(st, CC_ERR_INVALID_ARGUMENT);
  }
}

// A config file stands in for a vendor's identity in demos; the environment
// still wins for any setting it sets, and a bad file is an error naming it.
class ExampleDriverConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/example-config-XXXXXX";
    const int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    close(fd);
    path_ = tmpl;
  }
  void TearDown() override { std::remove(path_.c_str()); }
  void Write(const std::string& text) {
    FILE* f = std::fopen(path_.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(text.c_str(), f);
    std::fclose(f);
  }
  std::string path_;
  EnvVar v_{"CHIPCERT_EXAMPLE_VENDOR", std::nullopt}, m_{"CHIPCERT_EXAMPLE_MODEL", std::nullopt},
      s_{"CHIPCERT_EXAMPLE_SERIAL", std::nullopt}, d_{"CHIPCERT_EXAMPLE_DEVICES", std::nullopt},
      mem_{"CHIPCERT_EXAMPLE_MEMORY_MB", std::nullopt};
};

TEST_F(ExampleDriverConfig, IdentityFromFile) {
  Write(
      "# stand-in for a domestic NPU\nvendor = Rebellions\n  model=ATOM (example)  \n"
      "serial = RB-0007\ndevices = 3\nmemory_mb = 1024\n\n");
  EnvVar c("CHIPCERT_EXAMPLE_CONFIG", path_);
  uint32_t n = 0;
  ASSERT_EQ(Driver()->enumerate(&n), CC_OK) << Driver()->last_error(nullptr);
  EXPECT_EQ(n, 3u);
  cc_device_info info = Info(2);
  EXPECT_STREQ(info.vendor, "Rebellions");
  EXPECT_STREQ(info.name, "ATOM (example)");
  EXPECT_STREQ(info.serial, "RB-0007");
  EXPECT_EQ(info.memory_bytes, 1024ull << 20);
  EXPECT_STREQ(info.driver_version, "example-1.0");  // identity never changes the driver
  EnvVar v("CHIPCERT_EXAMPLE_VENDOR", "FuriosaAI");
  EXPECT_STREQ(Info(0).vendor, "FuriosaAI");  // the environment wins
  EXPECT_STREQ(Info(0).name, "ATOM (example)");
}

TEST_F(ExampleDriverConfig, BadFileIsAnErrorNamingFileAndLine) {
  EnvVar c("CHIPCERT_EXAMPLE_CONFIG", path_);
  uint32_t n = 0;
  const auto error = [] { return std::string(Driver()->last_error(nullptr)); };
  Write("vendor = Acme\ncolour = blue\n");
  EXPECT_EQ(Driver()->enumerate(&n), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find(path_ + ":2: unknown key \"colour\""), std::string::npos) << error();
  Write("vendor Acme\n");
  EXPECT_EQ(Driver()->enumerate(&n), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find(path_ + ":1: expected \"key = value\""), std::string::npos) << error();
  Write("devices = many\n");
  EXPECT_EQ(Driver()->enumerate(&n), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find(path_ + ":1: devices=\"many\" is not a number"), std::string::npos)
      << error();
  EnvVar missing("CHIPCERT_EXAMPLE_CONFIG", path_ + ".absent");
  EXPECT_EQ(Driver()->enumerate(&n), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find(".absent: cannot open"), std::string::npos) << error();
}

TEST(ExampleDriverDiscovery, LongStringsTruncatedAndTerminated) {
  EnvVar v("CHIPCERT_EXAMPLE_VENDOR", std::string(1000, 'v'));
  EnvVar m("CHIPCERT_EXAMPLE_MODEL", std::string(300, 'm'));
  EnvVar s("CHIPCERT_EXAMPLE_SERIAL", std::string(100, 's'));
  cc_device_info info;
  std::memset(&info, 0x7f, sizeof info);  // no zero-fill: the driver must terminate
  info.struct_size = sizeof info;
  ASSERT_EQ(Driver()->device_info(0, &info), CC_OK);
  EXPECT_EQ(std::strlen(info.vendor), CC_NAME_MAX - 1u);
  EXPECT_EQ(std::strlen(info.name), CC_NAME_MAX - 1u);
  EXPECT_EQ(std::strlen(info.serial), CC_SHORT_MAX - 1u);
  EXPECT_TRUE(Terminated(info.uuid, sizeof info.uuid));
}

TEST(ExampleDriverDiscovery, OlderSmallerInfoStructIsNotOverrun) {
  struct {
    cc_device_info head;  // pretend the caller's struct ends after `kind`
  } buf;
  std::memset(&buf, 0x55, sizeof buf);
  buf.head.struct_size = 8;
  ASSERT_EQ(Driver()->device_info(0, &buf.head), CC_OK);
  EXPECT_EQ(buf.head.struct_size, 8u);
  EXPECT_EQ(buf.head.kind, CC_DEVICE_ACCELERATOR);
  EXPECT_EQ(static_cast<unsigned char>(buf.head.name[0]), 0x55);  // untouched
}

// ---- a fixture with one open device ------------------------------------------

class ExampleDevice : public ::testing::Test {
 public:  // helpers are also used by the free CheckStream template
  void SetUp() override {
    d_ = Driver();
    ASSERT_NE(d_, nullptr);
    ASSERT_EQ(d_->open(0, &dev_), CC_OK) << d_->last_error(nullptr);
  }
  void TearDown() override {
    if (dev_) d_->close(dev_);  // also frees what a test leaves allocated
  }
  std::string Err() const { return d_->last_error(dev_); }

  template <class T>
  cc_buffer* Upload(const std::vector<T>& v) {
    cc_buffer* b = nullptr;
    EXPECT_EQ(d_->alloc(dev_, v.size() * sizeof(T), &b), CC_OK) << Err();
    EXPECT_EQ(d_->write(dev_, b, 0, v.data(), v.size() * sizeof(T)), CC_OK) << Err();
    return b;
  }
  template <class T>
  std::vector<T> Download(cc_buffer* b, size_t n) {
    std::vector<T> v(n);
    EXPECT_EQ(d_->read(dev_, b, 0, v.data(), n * sizeof(T)), CC_OK) << Err();
    return v;
  }
  cc_kernel* Prepare(const cc_op_desc& op, cc_status want = CC_OK) {
    cc_kernel* k = nullptr;
    EXPECT_EQ(d_->prepare(dev_, &op, &k), want) << Err();
    return k;
  }
  static cc_op_desc Op(cc_op_kind kind, cc_dtype t) {
    cc_op_desc op{};
    op.struct_size = sizeof op;
    op.kind = kind;
    op.dtype = t;
    op.acc_dtype = t;
    return op;
  }

  const cc_driver_v1* d_ = nullptr;
  cc_device* dev_ = nullptr;
};

TEST_F(ExampleDevice, MemoryBoundsAndErrors) {
  cc_buffer* empty = nullptr;
  ASSERT_EQ(d_->alloc(dev_, 0, &empty), CC_OK);
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(d_->write(dev_, empty, 0, nullptr, 0), CC_OK);
  char byte = 0;
  EXPECT_EQ(d_->read(dev_, empty, 0, &byte, 1), CC_ERR_INVALID_ARGUMENT);
  d_->free(dev_, empty);

  cc_buffer* huge = nullptr;
  EXPECT_EQ(d_->alloc(dev_, UINT64_MAX / 2, &huge), CC_ERR_OUT_OF_MEMORY);
  EXPECT_EQ(huge, nullptr);
  EXPECT_FALSE(Err().empty());

  cc_buffer* b = Upload(std::vector<float>(16, 1.0f));
  std::vector<char> host(128);
  EXPECT_EQ(d_->write(dev_, b, 60, host.data(), 8), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(Err().find("offset 60 + bytes 8 exceeds buffer size 64"), std::string::npos) << Err();
  EXPECT_EQ(d_->read(dev_, b, UINT64_MAX, host.data(), 2), CC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(d_->read(dev_, b, 8, host.data(), UINT64_MAX - 4), CC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(d_->read(dev_, b, 60, host.data(), 4), CC_OK);
  EXPECT_EQ(d_->write(dev_, b, 0, nullptr, 4), CC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(d_->write(dev_, nullptr, 0, host.data(), 4), CC_ERR_INVALID_ARGUMENT);
}

TEST(ExampleDriverMemory, CapacityFromEnvironment) {
  EnvVar mem("CHIPCERT_EXAMPLE_MEMORY_MB", "1");
  const cc_driver_v1* d = Driver();
  cc_device* dev = nullptr;
  ASSERT_EQ(d->open(0, &dev), CC_OK);
  cc_buffer *a = nullptr, *b = nullptr;
  ASSERT_EQ(d->alloc(dev, 768 << 10, &a), CC_OK);
  EXPECT_EQ(d->alloc(dev, 512 << 10, &b), CC_ERR_OUT_OF_MEMORY);
  d->free(dev, a);
  EXPECT_EQ(d->alloc(dev, 512 << 10, &b), CC_OK);  // freed memory is reusable
  d->close(dev);                                   // frees b
}

struct GemmCase {
  uint32_t ta, tb;
  double alpha, beta;
};
// Readable names in gtest and ctest output.
void PrintTo(const GemmCase& c, std::ostream* os) {
  *os << "ta" << c.ta << "_tb" << c.tb << "_alpha" << c.alpha << "_beta" << c.beta;
}

class ExampleGemm : public ExampleDevice, public ::testing::WithParamInterface<GemmCase> {};

TEST_P(ExampleGemm, MatchesDoubleReference) {
  const GemmCase c = GetParam();
  const int64_t m = 7, n = 5, k = 9;
  const int64_t arows = c.ta ? k : m, acols = c.ta ? m : k;
  const int64_t brows = c.tb ? n : k, bcols = c.tb ? k : n;
  const int64_t lda = acols + 3, ldb = bcols + 1, ldc = n + 2;  // padded rows
  std::vector<float> A(arows * lda), B(brows * ldb), C(m * ldc);
  for (size_t i = 0; i < A.size(); ++i) A[i] = static_cast<float>((i * 37 % 19) - 9) / 8.0f;
  for (size_t i = 0; i < B.size(); ++i) B[i] = static_cast<float>((i * 11 % 13) - 6) / 4.0f;
  for (size_t i = 0; i < C.size(); ++i) C[i] = c.beta == 0.0 ? NAN : static_cast<float>(i % 5);

  cc_op_desc op = Op(CC_OP_GEMM, CC_DTYPE_F32);
  op.u.gemm = {m, n, k, lda, ldb, ldc, c.ta, c.tb, c.alpha, c.beta, 1, 0, 0, 0};
  cc_kernel* kern = Prepare(op);
  ASSERT_NE(kern, nullptr);
  cc_buffer* args[] = {Upload(A), Upload(B), Upload(C)};
  ASSERT_EQ(d_->launch(dev_, kern, args, 3), CC_OK) << Err();
  ASSERT_EQ(d_->synchronize(dev_), CC_OK);
  std::vector<float> got = Download<float>(args[2], C.size());

  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < k; ++p) {
        double a = c.ta ? A[p * lda + i] : A[i * lda + p];
        double b = c.tb ? B[j * ldb + p] : B[p * ldb + j];
        acc += a * b;
      }
      double want = c.alpha * acc + (c.beta == 0.0 ? 0.0 : c.beta * C[i * ldc + j]);
      EXPECT_NEAR(got[i * ldc + j], want, 1e-4 * (1 + std::fabs(want))) << i << "," << j;
    }
    for (int64_t j = n; j < ldc; ++j)  // padding is never written
      EXPECT_TRUE(std::isnan(got[i * ldc + j]) == std::isnan(C[i * ldc + j]));
  }
}

INSTANTIATE_TEST_SUITE_P(Transposes, ExampleGemm,
                         ::testing::Values(GemmCase{0, 0, 1.0, 0.0}, GemmCase{1, 0, 1.5, -0.5},
                                           GemmCase{0, 1, -2.0, 1.0}, GemmCase{1, 1, 0.5, 2.0}),
                         [](const auto& info) {
                           return "ta" + std::to_string(info.param.ta) + "_tb" +
                                  std::to_string(info.param.tb);
                         });

template <class T>
void CheckStream(ExampleDevice* t, const cc_driver_v1* d, cc_device* dev, cc_dtype dt) {
  const int64_t n = 1001;
  const double s = 0.4;
  std::vector<T> a(n), b(n), c(n);
  for (int64_t i = 0; i < n; ++i) {
    a[i] = static_cast<T>(0.1 + i % 7);
    b[i] = static_cast<T>(0.2 * (i % 3));
    c[i] = static_cast<T>(-1.0 + i % 5);
  }
  struct Want {
    cc_op_kind kind;
    std::vector<const std::vector<T>*> in;
    std::vector<T> out;
  };
  std::vector<T> copy(a), mul(n), add(n), triad(n);
  double dot = 0;
  for (int64_t i = 0; i < n; ++i) {
    mul[i] = static_cast<T>(s) * c[i];
    add[i] = a[i] + b[i];
    triad[i] = b[i] + static_cast<T>(s) * c[i];
    dot += static_cast<double>(a[i]) * b[i];
  }
  const std::vector<Want> cases = {{CC_OP_STREAM_COPY, {&a}, copy},
                                   {CC_OP_STREAM_MUL, {&c}, mul},
                                   {CC_OP_STREAM_ADD, {&a, &b}, add},
                                   {CC_OP_STREAM_TRIAD, {&b, &c}, triad},
                                   {CC_OP_STREAM_DOT, {&a, &b}, {static_cast<T>(dot)}}};
  for (const Want& w : cases) {
    SCOPED_TRACE(w.kind);
    cc_op_desc op{};
    op.struct_size = sizeof op;
    op.kind = w.kind;
    op.dtype = op.acc_dtype = dt;
    op.u.stream = {n, s};
    cc_kernel* k = nullptr;
    ASSERT_EQ(d->prepare(dev, &op, &k), CC_OK) << d->last_error(dev);
    std::vector<cc_buffer*> args;
    for (const auto* v : w.in) args.push_back(t->Upload(*v));
    args.push_back(t->Upload(std::vector<T>(w.out.size(), T(-99))));
    ASSERT_EQ(d->launch(dev, k, args.data(), static_cast<uint32_t>(args.size())), CC_OK)
        << d->last_error(dev);
    std::vector<T> got = t->Download<T>(args.back(), w.out.size());
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_NEAR(got[i], w.out[i], 1e-5 * (1 + std::fabs(w.out[i]))) << i;
    for (cc_buffer* buf : args) d->free(dev, buf);
    d->release(dev, k);
  }
}

TEST_F(ExampleDevice, StreamF32) {
  CheckStream<float>(this, d_, dev_, CC_DTYPE_F32);
}
TEST_F(ExampleDevice, StreamF64) {
  CheckStream<double>(this, d_, dev_, CC_DTYPE_F64);
}

TEST_F(ExampleDevice, NoopAndTimedLaunch) {
  cc_kernel* k = Prepare(Op(CC_OP_NOOP, CC_DTYPE_F32));
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(d_->launch(dev_, k, nullptr, 0), CC_OK) << Err();
  double sec = -1;
  EXPECT_EQ(d_->timed_launch(dev_, k, nullptr, 0, 100, &sec), CC_OK) << Err();
  EXPECT_GE(sec, 0.0);
  EXPECT_EQ(d_->timed_launch(dev_, k, nullptr, 0, 0, &sec), CC_ERR_INVALID_ARGUMENT);
  cc_buffer* extra = Upload(std::vector<float>(1));
  EXPECT_EQ(d_->launch(dev_, k, &extra, 1), CC_ERR_INVALID_ARGUMENT);
  d_->release(dev_, k);
}

TEST_F(ExampleDevice, UnsupportedHasReason) {
  cc_op_desc gemm64 = Op(CC_OP_GEMM, CC_DTYPE_F64);
  gemm64.u.gemm = {2, 2, 2, 2, 2, 2, 0, 0, 1.0, 0.0, 1, 0, 0, 0};
  cc_op_desc gemm16 = gemm64;
  gemm16.dtype = gemm16.acc_dtype = CC_DTYPE_F16;
  cc_op_desc mixed = gemm64;
  mixed.dtype = CC_DTYPE_BF16;
  mixed.acc_dtype = CC_DTYPE_F32;
  cc_op_desc stream_i8 = Op(CC_OP_STREAM_TRIAD, CC_DTYPE_I8);
  cc_op_desc stream_mixed = Op(CC_OP_STREAM_DOT, CC_DTYPE_F32);
  stream_mixed.acc_dtype = CC_DTYPE_F64;
  cc_op_desc future = Op(static_cast<cc_op_kind>(CC_OP_KIND_COUNT_ + 3), CC_DTYPE_F32);
  for (const cc_op_desc& op : {gemm64, gemm16, mixed, stream_i8, stream_mixed, future}) {
    cc_kernel* k = reinterpret_cast<cc_kernel*>(&gemm64);  // must stay untouched
    EXPECT_EQ(d_->prepare(dev_, &op, &k), CC_ERR_UNSUPPORTED) << op.kind << "/" << op.dtype;
    EXPECT_EQ(k, reinterpret_cast<cc_kernel*>(&gemm64));
    EXPECT_FALSE(Err().empty());
  }
}

TEST_F(ExampleDevice, BadSizesAreInvalidArgument) {
  cc_op_desc op = Op(CC_OP_GEMM, CC_DTYPE_F32);
  op.u.gemm = {4, 3, 2, 2, 3, 3, 0, 0, 1.0, 0.0, 1, 0, 0, 0};
  cc_op_desc bad_ld = op;
  bad_ld.u.gemm.lda = 1;  // < k
  Prepare(bad_ld, CC_ERR_INVALID_ARGUMENT);
  cc_op_desc negative = op;
  negative.u.gemm.m = -1;
  Prepare(negative, CC_ERR_INVALID_ARGUMENT);
  cc_op_desc tiny = op;
  tiny.struct_size = 4;
  Prepare(tiny, CC_ERR_INVALID_ARGUMENT);

  cc_kernel* k = Prepare(op);
  ASSERT_NE(k, nullptr);
  cc_buffer* A = Upload(std::vector<float>(8));
  cc_buffer* B = Upload(std::vector<float>(5));  // needs 6
  cc_buffer* C = Upload(std::vector<float>(12));
  cc_buffer* args[] = {A, B, C};
  EXPECT_EQ(d_->launch(dev_, k, args, 3), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(Err().find("argument B needs 24 bytes, buffer has 20"), std::string::npos) << Err();
  EXPECT_EQ(d_->launch(dev_, k, args, 2), CC_ERR_INVALID_ARGUMENT);
  cc_buffer* with_null[] = {A, nullptr, C};
  EXPECT_EQ(d_->launch(dev_, k, with_null, 3), CC_ERR_INVALID_ARGUMENT);
  double sec;
  EXPECT_EQ(d_->timed_launch(dev_, k, args, 3, 1, &sec), CC_ERR_INVALID_ARGUMENT);

  cc_op_desc dot = Op(CC_OP_STREAM_DOT, CC_DTYPE_F64);
  dot.u.stream = {4, 0.0};
  cc_kernel* kd = Prepare(dot);
  cc_buffer* a = Upload(std::vector<double>(4));
  cc_buffer* s = Upload(std::vector<float>(1));  // 4 bytes, needs 8
  cc_buffer* dargs[] = {a, a, s};
  EXPECT_EQ(d_->launch(dev_, kd, dargs, 3), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(Err().find("argument s"), std::string::npos) << Err();
  // Leaked kernels and buffers are released by close() in TearDown.
}

TEST_F(ExampleDevice, ForeignBuffersRejected) {
  EnvVar d("CHIPCERT_EXAMPLE_DEVICES", "2");
  cc_device* other = nullptr;
  ASSERT_EQ(d_->open(1, &other), CC_OK);
  cc_buffer* theirs = nullptr;
  ASSERT_EQ(d_->alloc(other, 16, &theirs), CC_OK);
  float x[4] = {};
  EXPECT_EQ(d_->write(dev_, theirs, 0, x, sizeof x), CC_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(d_->last_error(other), "");  // errors are per device
  EXPECT_FALSE(Err().empty());
  d_->close(other);
}

}  // namespace
