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

// The FLOP/cycle probe: one of the two figures the FMA pipes allow at the
// ISA's width, the other dtypes derived as the ISA says, and the basis
// naming how.
TEST(CpuPeakRates, OneOfTheTwoFiguresThePipesAllow) {
#if defined(__x86_64__)
  const bool avx512 = __builtin_cpu_supports("avx512f");
  if (!avx512 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
    EXPECT_FALSE(ch::measure_cpu_peak_rates(1).has_value());
    return;
  }
  const auto r = ch::measure_cpu_peak_rates(std::thread::hardware_concurrency());
  ASSERT_TRUE(r.has_value());
  const double top = avx512 ? 64 : 32;
  const double fp32 = r->ops_per_cycle.at("fp32");
  EXPECT_TRUE(fp32 == top || fp32 == top / 2) << r->basis;
  EXPECT_EQ(r->ops_per_cycle.at("fp64"), fp32 / 2);
  EXPECT_EQ(r->ops_per_cycle.count("bf16"),
            avx512 && __builtin_cpu_supports("avx512bf16") ? 1u : 0u);
  if (r->ops_per_cycle.count("bf16")) {
    EXPECT_EQ(r->ops_per_cycle.at("bf16"), 2 * fp32);
  }
  if (r->ops_per_cycle.count("int8")) {
    EXPECT_EQ(r->ops_per_cycle.at("int8"), 4 * fp32);
  }
  EXPECT_NE(r->basis.find(avx512 ? "AVX-512 FMA probe" : "AVX2 FMA probe"), std::string::npos)
      << r->basis;
#else
  EXPECT_FALSE(ch::measure_cpu_peak_rates(1).has_value());
#endif
}
