#pragma once
/// The core clock a run's CPU figures were reached at: measured, not the
/// nominal or turbo figure the OS reports, because a chip under an all-core
/// load runs at whatever its power and thermal limits allow. And the check
/// that the measurement can be believed: a probe that a core can shortcut
/// (an `add $imm` chain runs faster than one add per cycle on recent Intel
/// cores) must not set the theoretical peak a certificate is read against.
#include <optional>
#include <string>
#include <vector>

#include "chipcert/results/model.hpp"

namespace chipcert::harness {

/// One clock reading: two dependent chains timed in alternating windows on
/// the same threads, so both see the same clock.
struct ClockReading {
  double add_mhz = 0;   ///< register-register adds, one cycle each: the reading
  double imul_mhz = 0;  ///< register-register imuls x 3 cycles each: the cross-check
};

/// MHz with `threads` threads busy at once: each runs a dependent chain of
/// register-register adds and, alternating with it, a dependent chain of
/// imuls (latency 3 on every x86-64 core), each in 16 windows of ~3 ms
/// divided by the thread's own CPU time, so time spent descheduled on a
/// shared machine does not count, and keeps its fastest window of each (time
/// a hypervisor steals is still charged as CPU time, and only ever lowers a
/// window). The slowest thread of the best of `rounds` rounds. About 0.1 s
/// per round at 3.5 GHz. nullopt off x86-64.
std::optional<ClockReading> measure_clock_under_load(unsigned threads, int rounds = 3);

/// What the CPU and the OS state about the clock, each absent where not
/// stated. MHz.
struct StatedClock {
  std::optional<double> cpuid_base_mhz;   ///< CPUID leaf 0x16 EAX
  std::optional<double> cpuid_max_mhz;    ///< CPUID leaf 0x16 EBX
  std::optional<double> cpufreq_max_mhz;  ///< cpufreq's cpuinfo_max_freq
  /// cpufreq's global `boost` switch is on: acpi-cpufreq (AMD's older
  /// driver) then states its highest P-state, not the boost clock above it,
  /// so cpufreq_max_mhz is a base, not a maximum.
  bool cpufreq_boost_above_max = false;
  std::optional<double> tsc_mhz;  ///< CPUID 0x15, the hypervisor's timing leaf, or cpu MHz
  std::string tsc_source;         ///< where tsc_mhz came from
};

/// Reads StatedClock on this machine (empty off x86-64).
StatedClock read_stated_clock();

/// Turbo headroom over a base or TSC frequency, where the CPU states no
/// maximum: a server part's all-core turbo is under 2x its base, and 2.5x
/// covers a desktop part's single-core boost too.
inline constexpr double kTurboHeadroom = 2.5;
/// No x86-64 core has been sold to run above 6.2 GHz; a reading above this
/// is a probe fooled, whatever the CPU states.
inline constexpr double kHighestX86ClockMhz = 6500;

/// The range a clock reading must fall in, from what the CPU states: up to
/// its stated maximum (+5 % for the measurement) or, lacking one, up to
/// kTurboHeadroom x its base or TSC frequency, never above
/// kHighestX86ClockMhz; down to a fifth of the base (a reading can be low
/// on a busy shared host) or 200 MHz. Pure, so tests can feed it the facts
/// of hosts not at hand.
results::ClockBounds clock_bounds(const StatedClock& s);

/// Adds a reading to `host` (add chain to clock_under_load_readings_mhz, imul
/// chain to clock_cross_check_readings_mhz), keeps clock_under_load_mhz the
/// highest add reading and clock_untrusted up to date. Pure.
void record_clock_reading(results::Host& host, const ClockReading& reading);

/// Measures a reading on every core of `host` and records it; sets the
/// bounds from read_stated_clock() on the first call.
void read_clock(results::Host& host);

}  // namespace chipcert::harness

#include <functional>
#include <map>

namespace chipcert::harness {

/// The arithmetic the host CPU retires per cycle per core, per execution
/// unit (see results::ExecutionUnit) and per dtype the fastest of them, so
/// theoretical peak = clock x cores x ops/cycle.
struct CpuPeakRates {
  std::vector<results::ExecutionUnit> units;
  std::map<std::string, double> ops_per_cycle;  ///< per dtype, the fastest unit's
  std::string basis;                            ///< which unit each dtype's figure is
};

/// What one probe read: `measured` ops per add-chain cycle per core for a
/// unit whose one instruction does `ops_per_instruction`, on a core that
/// can have 1 to `max_pipes` pipes for it. The figure theoretical peaks use:
/// pipes x ops_per_instruction, pipes the nearest the reading allows.
/// Pure. Exposed for tests.
results::ExecutionUnit vector_unit_from_probe(std::string name, std::string dtype, double measured,
                                              double ops_per_instruction, int max_pipes,
                                              const std::string& what);

/// Probes every arithmetic unit the CPU has, on `threads` threads: FMA at
/// fp64 and fp32 (AVX-512 or AVX2), AVX512-BF16 VDPBF16PS, AVX512-FP16
/// VFMADDPH, VNNI VPDPBUSD (AVX-512 or AVX-VNNI), AMX TDPBF16PS and TDPBSSD
/// (after asking Linux for the tile state with arch_prctl). Each probe pairs
/// a window of independent chains with a window of the add chain on the
/// same thread, back to back: whatever slows that vCPU for a few
/// milliseconds slows both, so their ratio holds where each rate alone does
/// not. The median over the pairs of every thread. About 0.1 s a unit.
/// nullopt off x86-64 or without AVX2+FMA.
std::optional<CpuPeakRates> measure_cpu_peak_rates(unsigned threads);

/// One execution unit's probe: `window` runs independent chains of one
/// instruction on the calling thread for a few milliseconds and returns the
/// ops done. Exposed so a benchmark can time a peak case against the probe
/// of the unit it runs on, in the same rounds.
struct CpuUnitProbe {
  std::string name;   ///< e.g. "avx512-fma-fp32", as results::ExecutionUnit::name
  std::string dtype;  ///< fp64, fp32, fp16, bf16, int8
  std::string what;   ///< the instruction, for the basis text
  std::function<double()> window;
  double ops_per_instruction = 0;
  int max_pipes = 2;
  /// > 0 for a matrix unit: its documented ops per cycle per core.
  double documented_ops_per_cycle = 0;
};

/// The probes of every unit this CPU has (after asking Linux for the AMX
/// tile state where the CPU has AMX); empty off x86-64 or without AVX2+FMA.
std::vector<CpuUnitProbe> cpu_unit_probes();

/// Why the AMX units are not probed on this machine ("" when they are):
/// no AMX in CPUID, or Linux refused the tile state.
std::string amx_unavailable_reason();

}  // namespace chipcert::harness
