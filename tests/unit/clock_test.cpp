// The clock measurement and its cross-check, the bounds the CPU states, and
// the per-unit peak probes: plausible on this machine, and the readings
// recorded on hosts not at hand refused where they were wrong.
#include <gtest/gtest.h>

#include <thread>

#include "chipcert/harness/clock.hpp"

namespace ch = chipcert::harness;
namespace cr = chipcert::results;

TEST(ClockUnderLoad, AddAndImulChainsAgreeOnThisHost) {
#if defined(__x86_64__)
  const auto a = ch::measure_clock_under_load(std::thread::hardware_concurrency());
  const auto b = ch::measure_clock_under_load(1);
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  // Any x86-64 server or laptop of the last 20 years runs between these.
  EXPECT_GT(a->add_mhz, 500.0);
  EXPECT_LT(a->add_mhz, ch::kHighestX86ClockMhz);
  // Two chains no core shortcuts, timed on the same threads, read one clock.
  EXPECT_NEAR(a->add_mhz / a->imul_mhz, 1.0, cr::kClockCrossCheckTolerance)
      << a->add_mhz << " vs " << a->imul_mhz;
  // One thread cannot be much slower than all of them (at most boost lost).
  EXPECT_GT(b->add_mhz, 0.7 * a->add_mhz);
  // And what this CPU states about its clock admits the reading.
  cr::Host h;
  h.clock_bounds_mhz = ch::clock_bounds(ch::read_stated_clock());
  ch::record_clock_reading(h, *a);
  EXPECT_EQ(h.clock_untrusted, "") << h.clock_bounds_mhz->basis;
#else
  EXPECT_FALSE(ch::measure_clock_under_load(1).has_value());
#endif
}

// The Intel Xeon of issue 23 (family 6 model 207, cpu MHz 2100 in a VM, no
// cpufreq): the `add $1` chain read 5810-11152 MHz while reg-reg add and
// imul chains read 2600-2750.
TEST(ClockBounds, RefuseTheReadingsOfAFooledProbe) {
  ch::StatedClock xeon;
  xeon.tsc_mhz = 2100;
  xeon.tsc_source = "the kernel's cpu MHz";
  const cr::ClockBounds b = ch::clock_bounds(xeon);
  EXPECT_DOUBLE_EQ(b.max_mhz, 2100 * ch::kTurboHeadroom);
  EXPECT_DOUBLE_EQ(b.min_mhz, 420);
  EXPECT_NE(b.basis.find("TSC 2100 MHz"), std::string::npos) << b.basis;
  for (double fooled : {5810.0, 10711.0, 11140.0, 11152.0, 5878.0, 10726.0}) {
    cr::Host h;
    h.clock_bounds_mhz = b;
    // Even with a cross-check that agreed, the bound refuses it.
    ch::record_clock_reading(h, {fooled, fooled});
    EXPECT_NE(h.clock_untrusted.find("is outside the 420-5250 MHz the CPU states"),
              std::string::npos)
        << fooled << ": " << h.clock_untrusted;
    // And with the imul chain's reading beside it, the cross-check refuses it first.
    cr::Host g;
    g.clock_bounds_mhz = b;
    ch::record_clock_reading(g, {fooled, 2700});
    EXPECT_NE(g.clock_untrusted.find("the add chain read"), std::string::npos) << fooled;
  }
  // What the unfoolable chains read there is believed.
  cr::Host h;
  h.clock_bounds_mhz = b;
  ch::record_clock_reading(h, {2712, 2698});
  ch::record_clock_reading(h, {2688, 2701});
  EXPECT_EQ(h.clock_untrusted, "");
  EXPECT_EQ(h.clock_under_load_mhz, 2712);
}

TEST(ClockBounds, StatedMaximumWinsAndNothingAboveTheFastestX86) {
  ch::StatedClock s;
  s.cpuid_base_mhz = 2000;
  s.cpuid_max_mhz = 3800;
  cr::ClockBounds b = ch::clock_bounds(s);
  EXPECT_DOUBLE_EQ(b.max_mhz, 3990);
  EXPECT_DOUBLE_EQ(b.min_mhz, 400);
  cr::Host h;
  h.clock_bounds_mhz = b;
  ch::record_clock_reading(h, {3950, 3960});
  EXPECT_EQ(h.clock_untrusted, "");
  ch::record_clock_reading(h, {4100, 4090});
  EXPECT_NE(h.clock_untrusted.find("reading 1: 4100 MHz is outside"), std::string::npos)
      << h.clock_untrusted;
  // cpufreq's maximum above CPUID's is the one taken.
  s.cpufreq_max_mhz = 4200;
  EXPECT_DOUBLE_EQ(ch::clock_bounds(s).max_mhz, 4410);
  // acpi-cpufreq with boost on states its top P-state, not the boost clock:
  // a base, with the headroom above it (an EPYC 7763: 2450, boosting to 3500).
  ch::StatedClock epyc;
  epyc.cpufreq_max_mhz = 2450;
  epyc.cpufreq_boost_above_max = true;
  b = ch::clock_bounds(epyc);
  EXPECT_DOUBLE_EQ(b.max_mhz, 2450 * ch::kTurboHeadroom);
  EXPECT_NE(b.basis.find("(boost on above it)"), std::string::npos) << b.basis;
  epyc.cpufreq_boost_above_max = false;
  EXPECT_DOUBLE_EQ(ch::clock_bounds(epyc).max_mhz, 2450 * 1.05);
  // A desktop part's TSC times the headroom is capped.
  ch::StatedClock desktop;
  desktop.tsc_mhz = 3700;
  b = ch::clock_bounds(desktop);
  EXPECT_DOUBLE_EQ(b.max_mhz, ch::kHighestX86ClockMhz);
  EXPECT_NE(b.basis.find("capped"), std::string::npos);
  // Nothing stated: only the range every x86-64 core runs in.
  b = ch::clock_bounds({});
  EXPECT_DOUBLE_EQ(b.max_mhz, ch::kHighestX86ClockMhz);
  EXPECT_DOUBLE_EQ(b.min_mhz, 200);
}

TEST(ClockBounds, ReadingsWithoutCrossCheckAreNotBelieved) {
  cr::Host h;
  EXPECT_EQ(cr::clock_untrusted_reason(h), "");  // nothing measured, nothing to doubt
  h.clock_under_load_mhz = 3500;
  EXPECT_NE(cr::clock_untrusted_reason(h).find("no readings"), std::string::npos);
  h.clock_under_load_readings_mhz = {3500};
  EXPECT_NE(cr::clock_untrusted_reason(h).find("1 clock reading(s) but 0 imul"), std::string::npos);
  h.clock_cross_check_readings_mhz = {3340};  // 4.8 % apart: within 5 %
  EXPECT_EQ(cr::clock_untrusted_reason(h), "");
  h.clock_cross_check_readings_mhz = {3330};  // 5.1 %
  EXPECT_NE(cr::clock_untrusted_reason(h).find("5.1 %"), std::string::npos)
      << cr::clock_untrusted_reason(h);
}

// The pipes a probe reading is taken as: a unit of 32 ops per instruction.
TEST(ExecutionUnits, PipesFromTheReading) {
  struct Case {
    double measured;
    double taken;
  };
  // Zen 4's AVX-512 on 256-bit pipes reads ~31.5 (one 512-bit instruction a
  // cycle); the Xeon's two 512-bit pipes read ~60 against a true clock, and
  // ~44 under a 26 % AVX-512 licence drop (still two pipes); 30.2, what the
  // Xeon read against the fooled clock, is one.
  for (const Case c : {Case{31.5, 32}, Case{30.2, 32}, Case{60.1, 64}, Case{44.0, 64},
                       Case{17.0, 32}, Case{130.0, 64}}) {
    const cr::ExecutionUnit u = ch::vector_unit_from_probe("u", "fp32", c.measured, 32, 2, "x");
    EXPECT_EQ(u.ops_per_cycle, c.taken) << c.measured;
    EXPECT_EQ(u.measured_ops_per_cycle, c.measured);
    EXPECT_NE(u.basis.find("pipe(s) x 32 ops"), std::string::npos) << u.basis;
  }
}

// Every unit the CPU has is probed and each dtype's peak is its fastest.
TEST(ExecutionUnits, EveryUnitOfThisCpu) {
#if defined(__x86_64__)
  const bool avx512 = __builtin_cpu_supports("avx512f");
  if (!avx512 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
    EXPECT_FALSE(ch::measure_cpu_peak_rates(1).has_value());
    return;
  }
  const auto r = ch::measure_cpu_peak_rates(std::thread::hardware_concurrency());
  ASSERT_TRUE(r.has_value());
  auto has = [&](const std::string& name) {
    for (const auto& u : r->units)
      if (u.name == name) return true;
    return false;
  };
  const std::string isa = avx512 ? "avx512" : "avx2";
  EXPECT_TRUE(has(isa + "-fma-fp32"));
  EXPECT_TRUE(has(isa + "-fma-fp64"));
  EXPECT_EQ(has("avx512-bf16"), avx512 && __builtin_cpu_supports("avx512bf16"));
  EXPECT_EQ(has("avx512-fp16"), avx512 && __builtin_cpu_supports("avx512fp16"));
  EXPECT_EQ(has("avx512-vnni-int8"), avx512 && __builtin_cpu_supports("avx512vnni"));
  EXPECT_EQ(has("amx-bf16"), ch::amx_unavailable_reason().empty());
  EXPECT_EQ(has("amx-int8"), ch::amx_unavailable_reason().empty());
  cr::Host h;
  h.execution_units = r->units;
  for (const auto& [dtype, ops] : r->ops_per_cycle) {
    ASSERT_NE(cr::fastest_unit(h, dtype), nullptr) << dtype;
    EXPECT_EQ(cr::fastest_unit(h, dtype)->ops_per_cycle, ops) << dtype;
  }
  for (const auto& u : r->units) {
    EXPECT_EQ(r->ops_per_cycle.count(u.dtype), 1u) << u.name;
    // A vector unit's figure is whole pipes of its instruction; its reading
    // is not far from it (the split is at 0.55 of a pipe).
    EXPECT_GT(u.measured_ops_per_cycle, 0.5 * u.ops_per_cycle) << u.name << ": " << u.basis;
    EXPECT_LT(u.measured_ops_per_cycle, 1.6 * u.ops_per_cycle) << u.name << ": " << u.basis;
  }
  if (!ch::amx_unavailable_reason().empty()) {
    EXPECT_NE(r->basis.find("no AMX: "), std::string::npos) << r->basis;
    GTEST_SKIP() << "AMX probes not run on this host: " << ch::amx_unavailable_reason();
  }
#else
  EXPECT_FALSE(ch::measure_cpu_peak_rates(1).has_value());
#endif
}
