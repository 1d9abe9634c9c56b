#pragma once
/// The results model: the contract between running and everything after it
/// (certify, verify, report, compare). It mirrors
/// reports/schema/results-v1.schema.json field for field; change both together.
///
/// Plain value types, no behaviour beyond serialisation (results/json.hpp)
/// and memberwise equality (as doubles compare: a NaN never equals itself).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace chipcert::results {

/// The schema version every document carries in "schema_version".
inline constexpr const char* kSchemaVersion = "1";

/// Outcome of one case. Only Passed cases carry performance figures that count.
enum class Status {
  Passed,       ///< ran, output verified against the reference
  Failed,       ///< ran, output wrong
  Mistrusted,   ///< ran, output "verified" but too many zeros to be trusted
  Unsupported,  ///< the device cannot run this op / dtype / shape
  Skipped,      ///< not run by choice (filter, dependency failed)
  Error,        ///< driver or harness error while running
  TimedOut,     ///< exceeded its time limit
};

/// "passed", "failed", "mistrusted", "unsupported", "skipped", "error", "timed_out".
const char* to_string(Status s);
/// Inverse of to_string; std::nullopt for anything else.
std::optional<Status> status_from_string(const std::string& s);

struct SuiteRef {
  std::string name;
  std::string version;

  friend bool operator==(const SuiteRef&, const SuiteRef&) = default;
};

struct Cache {
  int level = 0;     ///< 1, 2, 3, ...
  std::string type;  ///< "data", "instruction", "unified"
  uint64_t size_bytes = 0;
  int count = 0;  ///< how many such caches the machine has

  friend bool operator==(const Cache&, const Cache&) = default;
};

/// What the CPU states about its own clock, the range a clock reading must
/// fall in to be believed (MHz).
struct ClockBounds {
  double min_mhz = 0;
  double max_mhz = 0;
  std::string basis;  ///< where each bound came from (CPUID, cpufreq, TSC, headroom)

  friend bool operator==(const ClockBounds&, const ClockBounds&) = default;
};

/// One arithmetic execution unit of the host CPU and the dense arithmetic it
/// retires per cycle per core (an FMA counts 2), e.g. "avx512-fma-fp32",
/// "avx512-bf16", "avx512-vnni-int8", "amx-bf16".
struct ExecutionUnit {
  std::string name;
  std::string dtype;                  ///< the input dtype it computes: fp64, fp32, fp16, bf16, int8
  double ops_per_cycle = 0;           ///< the figure theoretical peaks are computed from
  double measured_ops_per_cycle = 0;  ///< the probe's reading against the clock chain
  std::string basis;                  ///< how ops_per_cycle follows from the reading

  friend bool operator==(const ExecutionUnit&, const ExecutionUnit&) = default;
};

struct Host {
  std::string cpu_vendor;
  std::string cpu_model;
  int packages = 0;
  int cores = 0;  ///< physical cores
  int pus = 0;    ///< hardware threads
  int numa_nodes = 0;
  uint64_t memory_bytes = 0;
  std::vector<Cache> caches;
  std::string os;      ///< e.g. "Debian GNU/Linux 12 (bookworm)"
  std::string kernel;  ///< uname -sr
  std::string arch;    ///< uname -m
  std::string hostname;
  /// Core clock measured under load on every core (MHz): the highest of
  /// clock_under_load_readings_mhz; absent where chipcert cannot measure it
  /// (not x86-64).
  std::optional<double> clock_under_load_mhz;
  /// Every such reading, in order: one at the start of the run, one at its
  /// end (a resumed run adds its own end). Time stolen from a shared
  /// machine's vCPUs only lowers a reading, so one low reading beside a high
  /// one says the host was busy, not that the chip slowed; a chip that did
  /// slow shows in the cases' clock sensors.
  std::vector<double> clock_under_load_readings_mhz;
  /// The cross-check of each reading, in the same order: a dependent imul
  /// chain (three cycles per imul on every x86-64 core) timed beside the add
  /// chain. Empty in documents written before the cross-check existed.
  std::vector<double> clock_cross_check_readings_mhz;
  /// The range the CPU states its clock can be in; absent where it states none.
  std::optional<ClockBounds> clock_bounds_mhz;
  /// Why the clock readings cannot be believed ("" when they can):
  /// always clock_untrusted_reason(*this), which the reader checks. No
  /// "x theoretical" is computed from an untrusted clock.
  std::string clock_untrusted;
  /// Dense arithmetic per cycle per core at the widest vector FMA, by dtype
  /// ("fp32", "fp64", "bf16", "int8"; an FMA counts 2): theoretical peak =
  /// clock_under_load_mhz x cores x this. Empty where not measured.
  std::map<std::string, double> peak_ops_per_cycle_per_core;
  std::string peak_basis;  ///< how those figures were obtained; "" with them absent
  /// Every arithmetic unit probed; peak_ops_per_cycle_per_core holds, per
  /// dtype, the fastest of them. Empty in older documents.
  std::vector<ExecutionUnit> execution_units;

  friend bool operator==(const Host&, const Host&) = default;
};

/// How far apart the add chain and the imul cross-check may read before the
/// clock is not believed (fraction of the cross-check).
inline constexpr double kClockCrossCheckTolerance = 0.05;

/// Why `h`'s clock readings cannot be believed, or "" when they can: a
/// reading without its cross-check, an add and an imul reading more than
/// kClockCrossCheckTolerance apart, or a reading outside clock_bounds_mhz.
/// "" also where there is no reading at all (nothing to believe).
std::string clock_untrusted_reason(const Host& h);

/// The fastest unit of `dtype` in h.execution_units, or nullptr.
const ExecutionUnit* fastest_unit(const Host& h, const std::string& dtype);

/// One device as a driver reported it, plus where hwloc places it.
struct Device {
  std::string id;              ///< "<driver>:<index>", unique in the document
  std::string driver;          ///< driver name, e.g. "opencl"
  std::string driver_version;  ///< the chipcert driver's own version
  std::string driver_source;   ///< "builtin" or the plugin's file path
  std::string kind;            ///< "cpu", "gpu", "accelerator", "other" (required)
  std::string vendor;
  std::string name;
  std::string runtime_version;  ///< vendor runtime / firmware, as reported
  std::string uuid;
  std::string serial;
  std::string pci_bus_id;
  int numa_node = -1;  ///< -1 when unknown
  uint64_t memory_bytes = 0;
  uint32_t compute_units = 0;
  uint32_t clock_mhz = 0;
  std::vector<std::string> dtypes;  ///< "fp64", "fp32", ...
  /// Fleet documents only: the MPI rank (node) that measured this device;
  /// its id is then "r<rank>/<driver>:<index>".
  std::optional<int> fleet_rank;

  friend bool operator==(const Device&, const Device&) = default;
};

/// Summary statistics over a case's raw samples (seconds per iteration).
struct Statistics {
  uint64_t n = 0;
  double min = 0, median = 0, mean = 0, max = 0;
  double stddev = 0;  ///< sample standard deviation (n-1); 0 when n < 2
  double cv = 0;      ///< stddev / mean; 0 when n < 2
  double p90 = 0, p99 = 0;

  friend bool operator==(const Statistics&, const Statistics&) = default;
};

/// Work rates derived from the median time; absent when not meaningful.
struct Rates {
  std::optional<double> flop_per_s;   ///< arithmetic operations (int ops count too)
  std::optional<double> bytes_per_s;  ///< memory or transfer traffic
  std::optional<double> items_per_s;  ///< samples, tokens, queries, launches

  friend bool operator==(const Rates&, const Rates&) = default;
};

/// One sensor's readings over a case: smallest, median and largest.
struct SensorRange {
  double min = 0, median = 0, max = 0;

  friend bool operator==(const SensorRange&, const SensorRange&) = default;
};

/// What the driver's sensors read while a case was timed: one reading after
/// each timing run (outside the timed loop). A sensor the driver does not
/// report is absent.
struct SensorSummary {
  uint64_t readings = 0;
  std::optional<SensorRange> power_w;
  std::optional<SensorRange> temperature_c;
  std::optional<SensorRange> clock_mhz;

  friend bool operator==(const SensorSummary&, const SensorSummary&) = default;
};

struct Mismatch {
  uint64_t index = 0;   ///< flat element index in the checked output
  double expected = 0;  ///< finite: JSON cannot carry NaN/inf; record those in reason
  double actual = 0;    ///< finite, as above

  friend bool operator==(const Mismatch&, const Mismatch&) = default;
};

struct Verification {
  bool passed = false;
  std::string method;     ///< e.g. "elementwise", "scalar"
  std::string tolerance;  ///< the rule applied, human readable
  uint64_t checked = 0;   ///< elements compared
  uint64_t mismatches = 0;
  double max_abs_error = 0;
  double max_rel_error = 0;
  double zero_fraction = 0;  ///< share of exactly-zero outputs
  std::vector<Mismatch> first_mismatches;

  friend bool operator==(const Verification&, const Verification&) = default;
};

struct Case {
  std::string id;  ///< "<workload>/<shape>/<dtype>@<device>", unique per document
  std::string device;
  std::string workload;
  std::string category;  ///< "micro", "kernel", "inference", "training"
  nlohmann::json parameters = nlohmann::json::object();
  std::string dtype;
  Status status = Status::Error;
  std::string reason;           ///< empty only for Passed
  std::string timer;            ///< "device" or "host"; "" when the case was not timed
  std::vector<double> samples;  ///< seconds per iteration, one per repetition; finite, >= 0
  uint64_t iterations = 0;      ///< iterations behind each sample
  std::optional<Statistics> statistics;
  Rates rates;
  double flop = 0;   ///< per iteration
  double bytes = 0;  ///< per iteration
  std::optional<Verification> verification;
  nlohmann::json details = nlohmann::json::object();  ///< driver notes, e.g. chosen ISA
  std::optional<SensorSummary> sensors;               ///< absent when the driver has no sensors
  /// The host process's resident-set high-water mark over the case (setup to
  /// the last check), bytes; absent where it could not be measured.
  std::optional<uint64_t> host_peak_rss_bytes;

  friend bool operator==(const Case&, const Case&) = default;
};

struct Provenance {
  std::string chipcert_version;
  std::string git_commit;
  bool dirty = false;
  std::string compiler;
  std::string build_type;
  std::string cxx_flags;
  std::string binary_sha256;
  std::vector<std::string> command_line;

  friend bool operator==(const Provenance&, const Provenance&) = default;
};

/// A driver that could not be used (plugin without entry symbol, ...).
struct DriverProblem {
  std::string source;  ///< plugin path or "builtin:<name>"
  std::string reason;

  friend bool operator==(const DriverProblem&, const DriverProblem&) = default;
};

struct Document {
  std::string schema_version = kSchemaVersion;
  std::string run_id;
  std::string started_at;   ///< RFC 3339 UTC
  std::string finished_at;  ///< RFC 3339 UTC; empty while the run is in progress
  SuiteRef suite;
  uint64_t seed = 0;
  bool resumed = false;
  Host host;
  std::vector<Device> devices;
  std::vector<Case> cases;
  std::vector<DriverProblem> driver_problems;
  Provenance provenance;
  /// Fleet documents only (`chipcert run --fleet`): nodes (rank, hostname,
  /// status ok/partial/missing/failed, host), totals, collectives and
  /// stragglers. Kept as JSON here: its shape is checked on read by
  /// fleet_section_errors() and in full by the schema's "fleet" definition;
  /// certify/verify/report/compare use only the devices and cases above.
  std::optional<nlohmann::json> fleet;

  friend bool operator==(const Document&, const Document&) = default;
};

}  // namespace chipcert::results
