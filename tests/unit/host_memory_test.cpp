// The host-memory figure of a case: the resident-set high-water mark, reset
// where the case starts. Memory is mapped and unmapped directly (not through
// malloc, whose arenas, or a sanitizer's quarantine, would keep freed pages
// resident), so the resident set falls when a block is released.
#include "chipcert/harness/host_memory.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>

namespace {

constexpr uint64_t kMiB = uint64_t(1) << 20;

/// Maps `bytes`, touches every page, and unmaps it again.
void touch_and_release(uint64_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  std::memset(p, 1, bytes);
  ::munmap(p, bytes);
}

TEST(HostMemory, PeakFollowsWhatWasTouchedSinceTheLastReset) {
  if (!chipcert::harness::reset_peak_rss()) GTEST_SKIP() << "/proc/self/clear_refs not writable";
  touch_and_release(256 * kMiB);
  const auto after_big = chipcert::harness::peak_rss_bytes();
  ASSERT_TRUE(after_big.has_value());
  EXPECT_GE(*after_big, 256 * kMiB);

  // The 256 MiB are gone: a reset brings the mark down to what is resident now.
  ASSERT_TRUE(chipcert::harness::reset_peak_rss());
  const auto after_reset = chipcert::harness::peak_rss_bytes();
  ASSERT_TRUE(after_reset.has_value());
  EXPECT_LT(*after_reset, *after_big - 200 * kMiB);

  touch_and_release(64 * kMiB);
  const auto after_small = chipcert::harness::peak_rss_bytes();
  ASSERT_TRUE(after_small.has_value());
  EXPECT_GE(*after_small, *after_reset + 60 * kMiB);
  EXPECT_LT(*after_small, *after_big);
}

}  // namespace
