#pragma once
/// The core clock a run's CPU figures were reached at: measured, not the
/// nominal or turbo figure the OS reports, because a chip under an all-core
/// load runs at whatever its power and thermal limits allow.
#include <optional>

namespace chipcert::harness {

/// MHz with `threads` threads busy at once: each runs a chain of dependent
/// integer adds (one per cycle on every x86-64 core since the P6) in 16
/// windows of ~3 ms, each divided by the thread's own CPU time, so time spent
/// descheduled on a shared machine does not count, and keeps its fastest
/// window (time a hypervisor steals is still charged as CPU time, and only
/// ever lowers a window). The slowest thread of the best of `rounds` rounds.
/// About 0.05 s per round at 3.5 GHz. nullopt off x86-64 (no portable
/// one-add-per-cycle chain).
std::optional<double> measure_clock_under_load_mhz(unsigned threads, int rounds = 3);

}  // namespace chipcert::harness

#include <map>
#include <string>

namespace chipcert::harness {

/// The arithmetic the host CPU retires per cycle per core at its widest
/// vector FMA, per dtype ("fp64", "fp32", "bf16", "int8"; dense ops, an FMA
/// counting 2), so theoretical peak = clock x cores x ops/cycle.
struct CpuPeakRates {
  std::map<std::string, double> ops_per_cycle;
  std::string basis;  ///< how the figures were obtained, for the reader
};

/// Measures fp32 FLOP per cycle per core: on each of `threads` threads, 16
/// pairs of windows run back to back, the add chain of
/// measure_clock_under_load_mhz and 16 independent vector FMA chains, and
/// the median ratio of their rates is the figure (a vCPU slowed for a few
/// milliseconds slows both halves of a pair alike). It is then taken as one
/// of the two figures the FMA pipes allow (the top one from 0.55 x top up;
/// see clock.cpp for why so low), because the ISA alone cannot say: AVX-512 runs on 256-bit pipes
/// on Zen 4, some Xeons have one 512-bit FMA unit and others two. fp64 is half of fp32; bf16 twice
/// (AVX512-BF16 VDPBF16PS) and int8 four times (AVX512-VNNI VPDPBUSD, or
/// AVX-VNNI at 256 bits) where the ISA has them. About 0.2 s. nullopt off
/// x86-64 or without AVX2+FMA.
std::optional<CpuPeakRates> measure_cpu_peak_rates(unsigned threads);

}  // namespace chipcert::harness
