#pragma once
/// Where a result came from: chipcert's version, commit, dirty flag, compiler,
/// flags and the SHA-256 of the running binary.

#include <string>
#include <vector>

#include "chipcert/results/model.hpp"

namespace chipcert::harness {

/// Provenance of this process. The binary digest is of /proc/self/exe.
results::Provenance collect_provenance(const std::vector<std::string>& command_line);

/// "0.1.0"
const char* chipcert_version();

/// Current UTC time as RFC 3339 with seconds ("2026-11-28T07:53:24Z").
std::string utc_now_rfc3339();

/// A random run id (128 bits from the OS, hex).
std::string new_run_id();

}  // namespace chipcert::harness
