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
