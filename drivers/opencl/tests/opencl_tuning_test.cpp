// White-box tests of the GEMM autotuner: every candidate tile configuration
// computes the same, correct result; the cache file is parsed strictly, written
// atomically and never fails a run when it cannot be written.
#include "ops.hpp"
#include "ops_gemm.hpp"
#include "tuning_cache.hpp"

#include <gtest/gtest.h>

#include "opencl_test_support.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

// Descriptors are written with designated initializers: omitted fields are
// zero by the language, which is what the ABI wants.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace {

using namespace chipcert::opencl;
using namespace chipcert::opencl::testing;

// Sets an environment variable for the life of the object (tests run in
// their own process under ctest, so nothing leaks between tests).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (had_)
      ::setenv(name_, old_.c_str(), 1);
    else
      ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

std::string temp_dir(const std::string& tag) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("chipcert-ocl-" + tag + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST(OpenclTuningCache, RoundTripsAndRejectsOtherDocuments) {
  TuningEntries in = {{"dev \"x\"|3.1|f32", {{"tm", 64}, {"gflops", 101.5}}}, {"b|1|f64", {}}};
  TuningEntries out;
  std::string problem;
  ASSERT_TRUE(parse_tuning_cache(format_tuning_cache(in), out, problem)) << problem;
  EXPECT_EQ(out, in);
  for (const char* bad :
       {"", "[]", "{}", "{\"format\": \"other/1\", \"entries\": {}}",
        "{\"format\": \"chipcert-opencl-tuning/1\"}",
        "{\"format\": \"chipcert-opencl-tuning/1\", \"entries\": {\"k\": 3}}",
        "{\"format\": \"chipcert-opencl-tuning/1\", \"entries\": {}} trailing",
        "{\"format\": \"chipcert-opencl-tuning/1\", \"entries\": {}, \"x\": 1}"}) {
    EXPECT_FALSE(parse_tuning_cache(bad, out, problem)) << bad;
    EXPECT_TRUE(out.empty());
    EXPECT_FALSE(problem.empty());
  }
}

TEST(OpenclTuningCache, PathFollowsTheEnvironment) {
  {
    ScopedEnv e("CHIPCERT_OPENCL_TUNING_CACHE", "/tmp/x.json");
    EXPECT_EQ(tuning_cache_path(), "/tmp/x.json");
  }
  ::unsetenv("CHIPCERT_OPENCL_TUNING_CACHE");
  {
    ScopedEnv e("XDG_CACHE_HOME", "/var/cache/me");
    EXPECT_EQ(tuning_cache_path(), "/var/cache/me/chipcert/opencl-tuning.json");
  }
  ScopedEnv xdg("XDG_CACHE_HOME", "");
  ScopedEnv home("HOME", "/home/u");
  EXPECT_EQ(tuning_cache_path(), "/home/u/.cache/chipcert/opencl-tuning.json");
}

TEST(OpenclTuningCache, StoreCreatesTheDirectoryAndKeepsOtherEntries) {
  const std::string dir = temp_dir("store");
  const std::string path = dir + "/sub/tuning.json";
  std::string problem;
  ASSERT_TRUE(store_tuning_entry(path, "a", {{"tm", 1}}, problem)) << problem;
  ASSERT_TRUE(store_tuning_entry(path, "b", {{"tm", 2}}, problem)) << problem;
  TuningEntries entries;
  ASSERT_TRUE(load_tuning_cache(path, entries, problem)) << problem;
  EXPECT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries["a"]["tm"], 1);
  // A path under a regular file cannot be created: false with a reason, no throw.
  EXPECT_FALSE(store_tuning_entry(path + "/nested.json", "c", {}, problem));
  EXPECT_FALSE(problem.empty());
  std::filesystem::remove_all(dir);
}

class OpenclTuner : public OpenclDriver {
 protected:
  Device& device() { return *reinterpret_cast<Device*>(dev_); }
};

TEST_F(OpenclTuner, EveryCandidateComputesTheSameCorrectResult) {
  // Small integers: every configuration must give bit-identical, exact C.
  const int64_t m = 150, n = 200, k = 300;
  for (cc_dtype t : {CC_DTYPE_F32, CC_DTYPE_F64, CC_DTYPE_BF16, CC_DTYPE_I8}) {
    if (!has(t)) continue;
    std::vector<double> a(static_cast<size_t>(m * k)), b(static_cast<size_t>(k * n));
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<double>(i % 7) - 3;
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<double>(i % 5) - 2;
    std::vector<double> want(static_cast<size_t>(m * n), 0);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t p = 0; p < k; ++p)
        for (int64_t j = 0; j < n; ++j) want[i * n + j] += a[i * k + p] * b[p * n + j];
    const cc_dtype acc = acc_of(t);
    auto desc = make_desc(CC_OP_GEMM, t, acc);
    desc.u.gemm = {.m = m, .n = n, .k = k, .lda = k, .ldb = n, .ldc = n, .alpha = 1, .beta = 0};
    const auto candidates = gemm_candidates(*device().rec, t);
    EXPECT_GE(candidates.size(), 2u);
    for (const GemmTiles& tiles : candidates) {
      Op op;
      op.desc = desc;
      prepare_gemm_with(device(), desc, tiles, "test", op);
      Buffer* bufs[] = {
          reinterpret_cast<Buffer*>(upload(t, a)), reinterpret_cast<Buffer*>(upload(t, b)),
          reinterpret_cast<Buffer*>(upload(acc, std::vector<double>(want.size(), 5)))};
      enqueue_op(device(), op, bufs, 3, nullptr, nullptr);
      const auto got = download(acc, reinterpret_cast<cc_buffer*>(bufs[2]), want.size());
      EXPECT_EQ(count_mismatches(
                    got, want, [](size_t) { return 0.0; }, describe(tiles)),
                0)
          << "dtype " << t;
    }
  }
}

TEST_F(OpenclTuner, TunesOnceCachesTheChoiceAndSurvivesAnUnwritableCache) {
  const std::string dir = temp_dir("tune");
  const std::string path = dir + "/t.json";
  ScopedEnv env("CHIPCERT_OPENCL_TUNING_CACHE", path);
  auto desc = make_desc(CC_OP_GEMM, CC_DTYPE_F32, CC_DTYPE_F32);
  desc.u.gemm = {.m = 8, .n = 8, .k = 8, .lda = 8, .ldb = 8, .ldc = 8, .alpha = 1, .beta = 0};
  cc_kernel* k = prepare(desc);
  ASSERT_NE(k, nullptr);
  const std::string info = d_->kernel_info(dev_, k);
  EXPECT_NE(info.find("autotuned"), std::string::npos) << info;
  TuningEntries entries;
  std::string problem;
  ASSERT_TRUE(load_tuning_cache(path, entries, problem)) << problem;
  const std::string key = gemm_tuning_key(*device().rec, CC_DTYPE_F32);
  ASSERT_EQ(entries.count(key), 1u) << format_tuning_cache(entries);
  EXPECT_GT(entries[key]["gflops"], 0.0);

  // A fresh device (new process in practice) reads the cached choice.
  d_->close(dev_);
  ASSERT_EQ(d_->open(0, &dev_), CC_OK);
  k = prepare(desc);
  EXPECT_NE(std::string(d_->kernel_info(dev_, k)).find("cached in " + path), std::string::npos)
      << d_->kernel_info(dev_, k);

  // A corrupt cache is retuned and rewritten; an unwritable one never fails prepare.
  std::ofstream(path) << "not json";
  d_->close(dev_);
  ASSERT_EQ(d_->open(0, &dev_), CC_OK);
  k = prepare(desc);
  ASSERT_NE(k, nullptr);
  ASSERT_TRUE(load_tuning_cache(path, entries, problem)) << problem;
  ScopedEnv bad("CHIPCERT_OPENCL_TUNING_CACHE", path + "/under-a-file.json");
  d_->close(dev_);
  ASSERT_EQ(d_->open(0, &dev_), CC_OK);
  k = prepare(desc);
  ASSERT_NE(k, nullptr) << error();
  EXPECT_NE(std::string(d_->kernel_info(dev_, k)).find("not cached"), std::string::npos)
      << d_->kernel_info(dev_, k);
  std::filesystem::remove_all(dir);
}

TEST_F(OpenclTuner, AutotuneOffUsesTheDefault) {
  ScopedEnv off("CHIPCERT_OPENCL_AUTOTUNE", "0");
  auto desc = make_desc(CC_OP_GEMM, CC_DTYPE_F32, CC_DTYPE_F32);
  // 64 rows: no short-tile adjustment for GEMV-like shapes.
  desc.u.gemm = {.m = 64, .n = 64, .k = 64, .lda = 64, .ldb = 64, .ldc = 64, .alpha = 1, .beta = 0};
  cc_kernel* k = prepare(desc);
  ASSERT_NE(k, nullptr);
  const std::string info = d_->kernel_info(dev_, k);
  EXPECT_NE(info.find("default"), std::string::npos) << info;
  EXPECT_NE(info.find(describe(gemm_candidates(*device().rec, CC_DTYPE_F32).front())),
            std::string::npos)
      << info;
}

}  // namespace
