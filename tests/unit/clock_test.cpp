// The clock measurement: plausible on this machine, stable between calls,
// and no slower with every core busy than the slowest single thread allows.
#include <gtest/gtest.h>

#include <thread>

#include "chipcert/harness/clock.hpp"

namespace ch = chipcert::harness;

TEST(ClockUnderLoad, IsPlausibleAndRepeatable) {
#if defined(__x86_64__)
  const auto a = ch::measure_clock_under_load_mhz(std::thread::hardware_concurrency());
  const auto b = ch::measure_clock_under_load_mhz(1);
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  // Any x86-64 server or laptop of the last 20 years runs between these.
  EXPECT_GT(*a, 500.0);
  EXPECT_LT(*a, 7000.0);
  // One thread cannot be much slower than all of them (at most boost lost).
  EXPECT_GT(*b, 0.7 * *a);
#else
  EXPECT_FALSE(ch::measure_clock_under_load_mhz(1).has_value());
#endif
}
