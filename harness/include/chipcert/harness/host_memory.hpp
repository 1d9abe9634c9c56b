#pragma once
/// The host memory a case needed: the process's resident-set high-water mark
/// over the case. The high-water mark is reset where the case starts, so the
/// figure is the case's own in every isolation mode (a worker per case, per
/// device, or in-process), not the largest of the run so far.
#include <cstdint>
#include <optional>

namespace chipcert::harness {

/// Resets the process's resident-set high-water mark to its current
/// resident set (Linux >= 4.0: "5" written to /proc/self/clear_refs).
/// False where it cannot (another OS, or /proc not writable).
bool reset_peak_rss();

/// The process's resident-set high-water mark in bytes (VmHWM in
/// /proc/self/status); nullopt where it cannot be read.
std::optional<uint64_t> peak_rss_bytes();

}  // namespace chipcert::harness
