#pragma once
// `chipcert run` pieces shared by the single-machine run (run.cpp) and the
// fleet run (fleet_run.cpp): the arguments, the signal watcher and the
// local run with the hooks a fleet rank needs.

#include <pthread.h>
#include <signal.h>

#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "chipcert/harness/discovery.hpp"
#include "chipcert/harness/isolation.hpp"
#include "chipcert/results/model.hpp"
#include "cli.hpp"

namespace chipcert::cli {

struct RunArgs {
  std::string suite = "smoke";
  std::string suite_file;
  std::vector<std::string> devices;
  std::string output;
  std::string journal;
  std::string resume;
  uint64_t seed = 1;
  int repetitions = 0;    // 0: the suite's
  double min_time_s = 0;  // 0: the suite's
  double case_timeout_s = 0;
  std::string isolation = "case";
  std::string gbench_json;  // also write Google Benchmark's JSON here
  bool quiet = false;
  // Fleet runs (fleet_run.cpp), under mpirun / srun.
  bool fleet = false;
  std::string fleet_placement = "node";  // "node" or "device"
  bool collectives = false;
  uint64_t collective_max_bytes = uint64_t{1} << 20;
  int collective_repetitions = 10;
  double straggler_margin = 0.2;
};

/// Blocks SIGINT/SIGTERM in this thread (and the threads it starts) and
/// waits for them on a watcher thread: the first asks the run to stop after
/// the current case, the second ends the process. No global state needed.
/// Create it before any driver is loaded: a signal sent to the process goes
/// to any thread that does not block it, and a thread started earlier (PoCL's
/// and OpenMP's workers start at discovery) would take the default action
/// and kill the run without a word instead of stopping it cleanly.
class SignalWatcher {
 public:
  SignalWatcher() : stop_(std::make_shared<harness::StopFlag>(false)) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    // The thread shares ownership of the flag: it may outlive this object.
    std::thread([set, stop = stop_] {
      int sig = 0;
      sigwait(&set, &sig);
      stop->store(true);
      std::cerr << "\nchipcert: " << (sig == SIGINT ? "interrupted" : "terminated")
                << "; stopping after the current case (again to abort at once)\n";
      sigwait(&set, &sig);
      std::_Exit(harness::kExitInterrupted);
    }).detach();
  }

  harness::StopFlag& stop() { return *stop_; }

 private:
  std::shared_ptr<harness::StopFlag> stop_;
};

/// What a fleet rank adds to a local run. Every member is optional.
struct LocalRunHooks {
  /// Narrows the selected devices (one rank per device picks its own).
  std::function<std::vector<const harness::DeviceEntry*>(std::vector<const harness::DeviceEntry*>)>
      narrow;
  /// Called with the document when it is first written and after every case.
  std::function<void(const results::Document&)> on_progress;
  results::Document* final_doc = nullptr;  ///< receives the final document
  std::string* failure = nullptr;          ///< why nothing ran (no devices)
};

/// chipcert-results/<prefix><suite>-<start time>-<run id>.json: where a run's
/// document goes without -o (prefix "fleet-" for a fleet document).
std::string default_output(const results::Document& doc, const std::string& prefix = "");

/// A fresh run of `a` on this machine's selected devices; returns the exit
/// code. Usage problems throw UsageError, as everywhere in the CLI.
int run_local(const GlobalOptions& g, const RunArgs& a, SignalWatcher& watcher,
              const LocalRunHooks& hooks);

/// `run --fleet`: fleet_run.cpp.
int run_fleet(const GlobalOptions& g, const RunArgs& a);

}  // namespace chipcert::cli
