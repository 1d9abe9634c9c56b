#pragma once
/// The instruction loops the clock and the execution-unit probes time
/// (x86-64 only). Not installed: clock.cpp is their one user.
#include <functional>
#include <string>
#include <vector>

namespace chipcert::harness::detail {

/// A dependent chain of 10 M register-register adds (~3 ms at 3.5 GHz);
/// returns the adds done, i.e. the cycles taken at one add per cycle.
double add_chain_window();
/// A dependent chain of ~3.3 M register-register imuls; returns 3 x the
/// imuls done, the cycles taken at a latency of three.
double imul_chain_window();

/// One execution unit's probe: `window` runs independent chains of one
/// instruction for a few milliseconds and returns the ops done.
struct UnitProbe {
  std::string name;   ///< e.g. "avx512-fma-fp32"
  std::string dtype;  ///< fp64, fp32, fp16, bf16, int8
  std::string what;   ///< the instruction, for the basis text
  std::function<double()> window;
  double ops_per_instruction = 0;
  int max_pipes = 2;
  /// > 0 for a matrix unit: its documented ops per cycle per core.
  double documented_ops_per_cycle = 0;
};

/// The probes of every unit this CPU has, widest ISA first per dtype.
/// Asks Linux for the AMX tile state first where the CPU has AMX.
std::vector<UnitProbe> unit_probes();

/// "" when AMX can be used by this process, else why not.
std::string amx_unavailable_reason();

}  // namespace chipcert::harness::detail
