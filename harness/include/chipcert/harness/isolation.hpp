#pragma once
/// Case isolation. Cases run in worker processes (`chipcert worker`, the same
/// binary re-executed, so no driver state is ever shared across fork); the
/// parent keeps the results. A worker that crashes, hangs past the case's
/// timeout or exits without a result yields an Error / TimedOut row naming
/// the signal and the phase, and the run goes on with a fresh worker.
///
/// Protocol: the parent writes one JSON request line to the worker's stdin;
/// the worker writes JSON event lines to file descriptor 3:
///   {"event":"start","index":i}  {"event":"phase","phase":"timing"}
///   {"event":"done","index":i,"row":{...results case...}}

#include <atomic>
#include <string>
#include <vector>

#include "chipcert/harness/runner.hpp"

namespace chipcert::harness {

enum class Isolation {
  None,    ///< in-process: fastest, a crashing driver takes the run down
  Device,  ///< one worker per device runs its cases; restarted after a crash
  Case,    ///< one worker per case: nothing a case does can touch the next
};

/// "none", "device", "case".
const char* isolation_name(Isolation i);

/// How to start a worker: this binary and the driver options to pass on.
struct WorkerCommand {
  std::string executable;         ///< usually /proc/self/exe
  std::vector<std::string> args;  ///< global options, e.g. --driver-path X
};

/// Set asynchronously (by a signal handler) to ask the run to stop after the
/// current case.
using StopFlag = std::atomic<bool>;

/// Run the plan with the given isolation. Returns normally when every case
/// finished or `stop` was raised (remaining cases are not reported).
void run_isolated(const std::vector<PlannedCase>& plan, const RunOptions& options,
                  const WorkerCommand& worker, Isolation isolation, RunObserver& observer,
                  const StopFlag& stop);

/// The worker side: read the request from `in_fd`, write events to `out_fd`.
/// Returns the process exit code.
int worker_main(const DriverOptions& drivers, int in_fd, int out_fd);

}  // namespace chipcert::harness
