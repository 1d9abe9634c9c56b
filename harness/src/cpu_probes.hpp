#pragma once
/// The instruction loops the clock and the execution-unit probes time
/// (x86-64 only). Not installed: clock.cpp is their one user.
#include <string>
#include <vector>

#include "chipcert/harness/clock.hpp"

namespace chipcert::harness::detail {

/// A dependent chain of 10 M register-register adds (~3 ms at 3.5 GHz);
/// returns the adds done, i.e. the cycles taken at one add per cycle.
double add_chain_window();
/// A dependent chain of ~3.3 M register-register imuls; returns 3 x the
/// imuls done, the cycles taken at a latency of three.
double imul_chain_window();

/// The probes of every unit this CPU has (see harness::cpu_unit_probes).
std::vector<CpuUnitProbe> unit_probes();

/// "" when AMX can be used by this process, else why not.
std::string amx_unavailable_reason();

}  // namespace chipcert::harness::detail
