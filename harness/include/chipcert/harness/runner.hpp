#pragma once
/// The runner: every case of a plan on its device, timed by Google Benchmark,
/// verified before and after timing, turned into result rows. It never throws
/// for a case: driver errors, unsupported ops and wrong outputs become rows
/// with a status and a reason.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "chipcert/harness/discovery.hpp"
#include "chipcert/harness/suite.hpp"
#include "chipcert/results/model.hpp"

namespace chipcert::harness {

/// One case of the plan: a suite case on one device.
struct PlannedCase {
  const SuiteCase* suite_case = nullptr;
  const DeviceEntry* device = nullptr;
  std::string id;  ///< "<workload>/<label>/<dtype>@<device>"
};

/// Suite x devices, device-major so each device is opened once.
std::vector<PlannedCase> plan_cases(const Suite& suite,
                                    const std::vector<const DeviceEntry*>& devices);

struct RunOptions {
  uint64_t seed = 1;
  RunRules rules;
  double case_timeout_s = 0;  ///< 0: derived per case from its expected cost
};

/// Told which phase a case is in ("setup", "verify", "timing", "verify-after"),
/// so a worker that dies can be reported with where it died.
using PhaseCallback = std::function<void(const char* phase)>;

/// Seconds a case may take before its worker is killed: a generous allowance
/// for set-up and verification plus the work at a pessimistic 1 GFLOP/s and
/// 100 MB/s, plus the timing budget.
double default_case_timeout(const PlannedCase& pc, const RunRules& rules);

/// The row for a case that was never run to completion (crash, timeout, stop).
results::Case unfinished_row(const PlannedCase& pc, results::Status status, std::string reason);

/// Told about progress; called on the runner's thread.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void case_started(size_t index, size_t total, const PlannedCase& c) = 0;
  /// The row is final; the observer persists it.
  virtual void case_finished(size_t index, size_t total, const results::Case& row) = 0;
};

/// Run one case on an already-open device (exposed for tests). The row also
/// carries the process's resident-set high-water mark over the case
/// (host_memory.hpp), where it can be measured.
results::Case run_case(const PlannedCase& pc, workloads::Device* dev, const RunOptions& options,
                       const PhaseCallback& phase = {});

}  // namespace chipcert::harness
