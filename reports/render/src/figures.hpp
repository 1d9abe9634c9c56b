#pragma once
// Figures derived from a device's cases that several renderers show: the
// roofs of the roofline, the key figures of the summary card, the workload
// families of the bar charts. Only passed cases count: a figure from a
// kernel that failed verification is no figure.

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "chipcert/results/model.hpp"

namespace chipcert::reports::detail {

/// A measured figure and the case it came from.
struct Measured {
  double value = 0;
  std::string case_id;
};

struct DeviceFigures {
  /// Compute roof per dtype: the best `peak` case, else the best GEMM.
  std::map<std::string, Measured> compute_roof;
  /// Whether compute_roof[dtype] came from a peak case (else from GEMM).
  std::map<std::string, bool> roof_from_peak;
  /// Best GEMM FLOP/s per dtype.
  std::map<std::string, Measured> best_gemm;
  /// Memory roof: the best bytes/s of any STREAM case.
  std::optional<Measured> bandwidth;
  /// STREAM triad bytes/s (best over its shapes and dtypes).
  std::optional<Measured> triad;
  /// Launch latency: the lowest median seconds of a launch_latency case.
  std::optional<Measured> launch_latency;
  /// The driver's sensors over every timed case (passed or not: the chip
  /// ran either way): lowest min, median of the cases' medians, highest max.
  std::optional<results::SensorRange> power_w, temperature_c, clock_mhz;
};

/// "power 212-240 W (median 231), up to 44 °C, clock 1755-1980 MHz (median
/// 1980)" for the sensors a device's cases recorded; "" when none did.
std::string sensors_text(const DeviceFigures& f);

/// The cases of `device_id`, in document order.
std::vector<const results::Case*> cases_of(std::span<const results::Case> cases,
                                           const std::string& device_id);

DeviceFigures device_figures(const std::vector<const results::Case*>& cases);

/// The chart family of a workload: "stream" for stream_*, "transfer" for
/// transfer_*, the workload name itself otherwise.
std::string family_of(const std::string& workload);

/// Whether a case's headline figure is bytes/s rather than FLOP/s: a case
/// with bytes and no FLOP count (transfers), or a micro case below one FLOP
/// per byte (STREAM). A peak case, thousands of FLOP per byte, is FLOP/s.
bool headline_is_bandwidth(const results::Case& c);

/// The figure a bar chart of a family shows for a passed case: the headline
/// (bytes/s or FLOP/s, as the console), else items/s, else the median ("s").
struct BarValue {
  double value = 0;
  std::string unit;  ///< "FLOP/s", "B/s", "/s" or "s"
};
std::optional<BarValue> bar_value(const results::Case& c);

/// "<label>/<dtype>" of a case id "<workload>/<label>/<dtype>@<device>".
std::string short_name(const results::Case& c);

/// The host CPU's theoretical peak for `dtype` in ops/s: measured clock under
/// load x cores x ops per cycle per core; nullopt where the document lacks any
/// of them. It bounds every device that computes on the host CPU (the CPU
/// driver, an OpenCL CPU device).
std::optional<double> cpu_theoretical_peak(const results::Host& h, const std::string& dtype);

/// A compute case on a device that computes on the host CPU, against that
/// CPU's theoretical peak.
struct CpuPeakRatio {
  double fraction = 0;  ///< the case's FLOP/s over the theoretical peak
  /// Below the roofline's ridge point: the case's FLOP per byte, times the
  /// bandwidth its device reached in the same run, is under the compute
  /// peak, so memory and not arithmetic bounds it and `fraction` says little.
  bool memory_bound = false;
  double flop_per_byte = 0;  ///< set when memory_bound
  /// The execution unit the peak is that of (the dtype's fastest in
  /// host.execution_units); "" for documents without units.
  std::string unit;
};

/// The case's standing against the host CPU's theoretical peak for its dtype,
/// when its headline is FLOP/s on a device of kind "cpu" (the CPU driver, an
/// OpenCL CPU device) and the document has that peak; nullopt otherwise.
/// `bandwidth` is the device's best STREAM figure in the run, if any: without
/// it no case is judged memory-bound.
std::optional<CpuPeakRatio> cpu_peak_ratio(const results::Host& h, const results::Device& d,
                                           const results::Case& c,
                                           const std::optional<Measured>& bandwidth);

/// The text after a case's rate: "0.93 x theoretical" and the unit's name
/// where known (with a warning above
/// 1.02, which only a low clock reading explains), or "memory-bound, 0.25
/// FLOP/B" when the ratio says little; "" when there is no peak.
std::string cpu_peak_note(const std::optional<CpuPeakRatio>& r);

/// "fp32 456 GFLOP/s, fp64 228 GFLOP/s, ... = 3.56 GHz x 2 cores x 64 / 32 /
/// ... per cycle (<basis>)", "not computed: the clock reading is not
/// trusted (<why>)", or "" when the host has no such figures.
std::string cpu_theoretical_peak_text(const results::Host& h);

/// True for the statuses JUnit and Markdown count as failures.
bool is_failure(results::Status s);

}  // namespace chipcert::reports::detail
