// `chipcert run`: a suite on the selected devices, each case in a worker
// process, verified and timed. Every finished case is appended to the
// journal (fsync'd) and the results document is rewritten atomically, so
// nothing measured is lost if the run dies; `--resume JOURNAL` continues.

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <set>
#include <thread>

#include "chipcert/harness/clock.hpp"
#include "chipcert/harness/discovery.hpp"
#include "chipcert/harness/files.hpp"
#include "chipcert/harness/isolation.hpp"
#include "chipcert/harness/journal.hpp"
#include "chipcert/harness/provenance.hpp"
#include "chipcert/harness/runner.hpp"
#include "chipcert/harness/selector.hpp"
#include "chipcert/harness/suite.hpp"
#include "chipcert/reports/console.hpp"
#include "chipcert/reports/reporter.hpp"
#include "chipcert/results/json.hpp"
#include "chipcert/workloads/dtype.hpp"
#include "cli.hpp"
#include "format.hpp"
#include "run.hpp"

namespace chipcert::cli {

namespace {

using json = nlohmann::json;

std::string clock_text(double seconds) {
  const auto s = static_cast<long>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%ld:%02ld", s / 60, s % 60);
  return buf;
}

/// Prints progress and persists every finished case (journal, then document).
class Progress final : public harness::RunObserver {
 public:
  Progress(results::Document& doc, std::string path, harness::Journal& journal, bool quiet,
           size_t already_done, std::function<void(const results::Document&)> on_case = {})
      : on_case_(std::move(on_case)),
        doc_(doc),
        path_(std::move(path)),
        journal_(journal),
        quiet_(quiet),
        tty_(stdout_is_terminal()),
        done_before_(already_done) {}

  void case_started(size_t index, size_t total, const harness::PlannedCase& c) override {
    if (quiet_ || !tty_) return;
    std::cout << "\r\033[K[" << index + 1 << "/" << total << "] " << c.id << "  elapsed "
              << clock_text(elapsed()) << eta(index, total) << std::flush;
  }

  void case_finished(size_t index, size_t total, const results::Case& row) override {
    journal_.append(row);
    doc_.cases.push_back(row);
    harness::write_file_atomic(path_, results::dump_document(doc_));
    if (on_case_) on_case_(doc_);
    ++finished_;
    if (quiet_) return;
    if (tty_) std::cout << "\r\033[K";
    std::cout << "[" << index + 1 << "/" << total << "] " << reports::case_line(row) << "\n"
              << std::flush;
  }

  size_t finished() const { return finished_; }

 private:
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  std::string eta(size_t index, size_t total) const {
    const size_t done_now = finished_;
    if (done_now == 0) return "";
    const double per = elapsed() / static_cast<double>(done_now);
    const size_t left = total > index ? total - index : 0;
    return "  remaining ~" + clock_text(per * static_cast<double>(left));
  }

  std::function<void(const results::Document&)> on_case_;
  results::Document& doc_;
  std::string path_;
  harness::Journal& journal_;
  bool quiet_;
  bool tty_;
  size_t done_before_;
  size_t finished_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

harness::Isolation parse_isolation(const std::string& s) {
  if (s == "case") return harness::Isolation::Case;
  if (s == "device") return harness::Isolation::Device;
  if (s == "none") return harness::Isolation::None;
  throw UsageError("--isolation \"" + s + "\": expected case, device or none");
}

/// Everything a run (fresh or resumed) needs before its first case.
struct Prepared {
  harness::Suite suite;
  harness::RunOptions options;
  harness::Isolation isolation = harness::Isolation::Case;
  harness::DriverSet drivers;
  std::unique_ptr<harness::Topology> topo;
  harness::Discovery found;
  std::vector<const harness::DeviceEntry*> selected;
  results::Document doc;
  std::string output;
  std::string journal;
  std::string gbench_json;
  json settings;
};

void discover_into(Prepared& p, const harness::DriverOptions& driver_opts) {
  p.drivers = harness::load_drivers(driver_opts);
  p.topo = std::make_unique<harness::Topology>();
  p.found = harness::discover(p.drivers, *p.topo);
}

/// Plugins that were skipped (broken, or an empty plugin directory): the run
/// goes on without them, but says so instead of only recording it.
void warn_driver_problems(const Prepared& p, bool quiet) {
  if (quiet) return;
  for (const auto& pr : p.drivers.problems)
    std::cerr << "chipcert: warning: driver not used: " << pr.source << ": " << pr.reason << "\n";
}

int finish(Prepared& p, Progress& progress, size_t planned, const harness::StopFlag& stop,
           bool quiet) {
  const bool complete = !stop.load();
  if (complete) {
    // Read again now the cores are idle: one reading taken while a shared
    // host stole time would otherwise set the clock the figures are read at.
    harness::read_clock(p.doc.host);
    p.doc.finished_at = harness::utc_now_rfc3339();
  }
  harness::write_file_atomic(p.output, results::dump_document(p.doc));
  if (!quiet) std::cout << "\n" << reports::render_console(p.doc);
  std::cout << "results: " << p.output << "\n";
  if (!p.gbench_json.empty()) {
    // The same cases in Google Benchmark's format, for tooling that reads it.
    harness::write_file_atomic(p.gbench_json, reports::render(reports::Format::GbenchJson, p.doc));
    std::cout << "google benchmark json: " << p.gbench_json << "\n";
  }
  if (!complete) {
    std::cout << "stopped early: " << p.doc.cases.size() << " of " << planned
              << " cases measured; continue with: chipcert run --resume " << p.journal << "\n";
    return harness::kExitInterrupted;
  }
  (void)progress;
  for (const auto& c : p.doc.cases)
    if (c.status != results::Status::Passed && c.status != results::Status::Unsupported &&
        c.status != results::Status::Skipped)
      return harness::kExitVerdict;
  return harness::kExitOk;
}

harness::WorkerCommand worker_command(const GlobalOptions& g, const harness::DriverOptions& d) {
  harness::WorkerCommand w;
  w.executable = "/proc/self/exe";
  for (const auto& p : d.plugin_paths) {
    w.args.push_back("--driver-path");
    w.args.push_back(p);
  }
  if (g.no_builtin_drivers) w.args.push_back("--no-builtin-drivers");
  return w;
}

}  // namespace

std::string default_output(const results::Document& doc, const std::string& prefix) {
  std::string stamp = doc.started_at;
  for (char& c : stamp)
    if (c == ':') c = '-';
  return "chipcert-results/" + prefix + doc.suite.name + "-" + stamp + "-" +
         doc.run_id.substr(0, 8) + ".json";
}

int run_local(const GlobalOptions& g, const RunArgs& a, SignalWatcher& watcher,
              const LocalRunHooks& hooks) {
  Prepared p;
  if (!a.suite_file.empty()) {
    p.suite = harness::read_suite_file(a.suite_file);
  } else {
    try {
      p.suite = harness::builtin_suite(a.suite);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--suite: ") + e.what());
    }
  }
  p.isolation = parse_isolation(a.isolation);
  p.options.seed = a.seed;
  p.options.rules = p.suite.rules;
  if (a.repetitions > 0) p.options.rules.repetitions = a.repetitions;
  if (a.min_time_s > 0) p.options.rules.min_time_s = a.min_time_s;
  p.options.case_timeout_s = a.case_timeout_s;

  const harness::DriverOptions driver_opts = driver_options(g);
  discover_into(p, driver_opts);
  try {
    p.selected = harness::select_devices(p.found.devices, a.devices);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (hooks.narrow) p.selected = hooks.narrow(std::move(p.selected));
  if (p.selected.empty()) {
    if (hooks.failure) *hooks.failure = "no devices to run on";
    std::cerr << "chipcert: no devices to run on";
    for (const auto& pr : p.drivers.problems) std::cerr << "\n  " << pr.source << ": " << pr.reason;
    for (const auto& pr : p.found.problems) std::cerr << "\n  " << pr.source << ": " << pr.reason;
    std::cerr << "\n";
    return harness::kExitEnvironment;
  }
  warn_driver_problems(p, a.quiet);

  auto& doc = p.doc;
  doc.run_id = harness::new_run_id();
  doc.started_at = harness::utc_now_rfc3339();
  doc.suite = {p.suite.name, p.suite.version};
  doc.seed = a.seed;
  doc.host = p.found.host;
  // The clock the CPU ran at under an all-core load, measured before the
  // cases and again after them (finish), and what the CPU retires per cycle:
  // together the theoretical peak the CPU figures are read against.
  harness::read_clock(doc.host);
  if (auto rates =
          harness::measure_cpu_peak_rates(static_cast<unsigned>(std::max(1, doc.host.cores)))) {
    doc.host.peak_ops_per_cycle_per_core = std::move(rates->ops_per_cycle);
    doc.host.peak_basis = std::move(rates->basis);
    doc.host.execution_units = std::move(rates->units);
  }
  for (const auto* d : p.selected) doc.devices.push_back(d->info);
  doc.driver_problems = p.drivers.problems;
  doc.driver_problems.insert(doc.driver_problems.end(), p.found.problems.begin(),
                             p.found.problems.end());
  doc.provenance = harness::collect_provenance(g.command_line);
  p.output = a.output.empty() ? default_output(doc) : a.output;
  p.journal = a.journal.empty() ? p.output + ".journal" : a.journal;
  p.gbench_json = a.gbench_json;

  json device_ids = json::array();
  for (const auto* d : p.selected) device_ids.push_back(d->info.id);
  p.settings = {{"devices", device_ids},
                {"isolation", a.isolation},
                {"repetitions", p.options.rules.repetitions},
                {"min_time_s", p.options.rules.min_time_s},
                {"case_timeout_s", a.case_timeout_s},
                {"output", p.output},
                {"driver_paths", driver_opts.plugin_paths},
                {"builtin_drivers", driver_opts.builtins}};
  harness::Journal journal = harness::Journal::create(
      p.journal,
      {doc, p.suite.text, a.suite_file.empty() ? "suite " + a.suite : a.suite_file, p.settings});
  harness::write_file_atomic(p.output, results::dump_document(doc));
  if (hooks.on_progress) hooks.on_progress(doc);

  const auto plan = harness::plan_cases(p.suite, p.selected);
  if (!a.quiet)
    std::cout << "chipcert " << harness::chipcert_version() << ": suite " << p.suite.name << " "
              << p.suite.version << ", " << plan.size() << " cases on " << p.selected.size()
              << " device(s), seed " << a.seed << ", isolation " << a.isolation << "\n"
              << "journal: " << p.journal << "\n";
  harness::StopFlag& stop = watcher.stop();
  Progress progress(doc, p.output, journal, a.quiet, 0, hooks.on_progress);
  harness::run_isolated(plan, p.options, worker_command(g, driver_opts), p.isolation, progress,
                        stop);
  const int rc = finish(p, progress, plan.size(), stop, a.quiet);
  if (hooks.final_doc) *hooks.final_doc = p.doc;
  return rc;
}

namespace {

int run_fresh(const GlobalOptions& g, const RunArgs& a) {
  SignalWatcher watcher;  // first: before any driver starts a thread
  return run_local(g, a, watcher, {});
}

int run_resume(const GlobalOptions& g, const RunArgs& a) {
  SignalWatcher watcher;  // first: before any driver starts a thread
  const harness::JournalContents jc = harness::Journal::read(a.resume);
  Prepared p;
  p.journal = a.resume;
  p.suite = harness::parse_suite(jc.header.suite_text, jc.header.suite_source);
  const json& s = jc.header.settings;
  p.isolation = parse_isolation(s.value("isolation", "case"));
  p.options.seed = jc.header.document.seed;
  p.options.rules.repetitions = s.value("repetitions", p.suite.rules.repetitions);
  p.options.rules.min_time_s = s.value("min_time_s", p.suite.rules.min_time_s);
  p.options.case_timeout_s = s.value("case_timeout_s", 0.0);
  p.output = a.output.empty() ? s.value("output", a.resume + ".json") : a.output;
  p.gbench_json = a.gbench_json;

  // The journal's own driver paths unless the command line names others.
  harness::DriverOptions driver_opts = driver_options(g);
  if (driver_opts.plugin_paths.empty())
    driver_opts.plugin_paths = s.value("driver_paths", std::vector<std::string>{});
  driver_opts.builtins = s.value("builtin_drivers", true) && driver_opts.builtins;
  discover_into(p, driver_opts);
  warn_driver_problems(p, a.quiet);
  for (const auto& recorded : jc.header.document.devices) {
    const harness::DeviceEntry* match = nullptr;
    for (const auto& d : p.found.devices)
      if (d.info.id == recorded.id) match = &d;
    if (!match)
      throw UsageError("--resume: device " + recorded.id + " (" + recorded.name +
                       ") from the journal is not present now");
    if (match->info.name != recorded.name || match->info.vendor != recorded.vendor ||
        match->info.uuid != recorded.uuid || match->info.serial != recorded.serial)
      throw UsageError("--resume: device " + recorded.id + " is now \"" + match->info.name +
                       "\", the journal measured \"" + recorded.name + "\"");
    p.selected.push_back(match);
  }
  p.doc = jc.header.document;
  p.doc.resumed = true;
  p.doc.cases = jc.cases;
  std::set<std::string> done;
  for (const auto& c : jc.cases) done.insert(c.id);

  const auto full_plan = harness::plan_cases(p.suite, p.selected);
  std::vector<harness::PlannedCase> plan;
  for (const auto& pc : full_plan)
    if (!done.count(pc.id)) plan.push_back(pc);
  if (!a.quiet)
    std::cout << "chipcert " << harness::chipcert_version() << ": resuming run " << p.doc.run_id
              << ": " << done.size() << " of " << full_plan.size() << " cases already measured"
              << (jc.torn_tail ? " (one torn journal line dropped)" : "") << ", " << plan.size()
              << " to go\n";
  harness::Journal journal = harness::Journal::append_to(p.journal);
  harness::write_file_atomic(p.output, results::dump_document(p.doc));
  harness::StopFlag& stop = watcher.stop();
  Progress progress(p.doc, p.output, journal, a.quiet, done.size());
  harness::run_isolated(plan, p.options, worker_command(g, driver_opts), p.isolation, progress,
                        stop);
  return finish(p, progress, full_plan.size(), stop, a.quiet);
}

}  // namespace

void add_run_command(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto* cmd =
      app.add_subcommand("run", "Run a suite on the selected devices and write a results document");
  auto a = std::make_shared<RunArgs>();
  auto* suite_opt =
      cmd->add_option("--suite", a->suite, "Built-in suite name (see 'chipcert suites')")
          ->capture_default_str();
  auto* suite_file =
      cmd->add_option("--suite-file", a->suite_file, "A suite file instead of a built-in suite")
          ->excludes(suite_opt);
  cmd->add_option("--device", a->devices,
                  "Device selector: all, an id (opencl:0), a driver (opencl) or a kind (cpu, gpu, "
                  "accelerator); repeatable; default all");
  cmd->add_option("-o,--output", a->output,
                  "Results file (default chipcert-results/<suite>-<time>.json)");
  cmd->add_option("--journal", a->journal, "Journal file (default <output>.journal)");
  cmd->add_option("--resume", a->resume,
                  "Continue the interrupted run recorded in this journal, skipping measured cases")
      ->excludes(suite_opt)
      ->excludes(suite_file);
  cmd->add_option("--seed", a->seed, "Seed of the input generator (recorded in the results)")
      ->capture_default_str();
  cmd->add_option("--repetitions", a->repetitions, "Samples per case (default: the suite's)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--min-time", a->min_time_s, "Minimum seconds per sample (default: the suite's)")
      ->check(CLI::Range(0.001, 60.0));
  cmd->add_option("--case-timeout", a->case_timeout_s,
                  "Seconds before a case's worker is killed (default: from the case's cost)")
      ->check(CLI::Range(0.1, 86400.0));
  cmd->add_option("--isolation", a->isolation,
                  "case: a worker process per case; device: one per device, restarted after a "
                  "crash; none: in-process")
      ->capture_default_str();
  cmd->add_option("--gbench-json", a->gbench_json,
                  "Also write the results in Google Benchmark's JSON format to this file (read by "
                  "its compare.py)");
  cmd->add_flag("-q,--quiet", a->quiet, "Print only the results path");
  auto* fleet =
      cmd->add_flag("--fleet", a->fleet,
                    "Run as one rank of a fleet under mpirun or srun: every rank runs its local "
                    "devices, rank 0 writes one fleet results document (needs an MPI build)");
  fleet->excludes("--resume");
  cmd->add_option("--fleet-placement", a->fleet_placement,
                  "node: each rank runs every selected local device; device: one rank per "
                  "device, the rank's node-local rank picks it")
      ->check(CLI::IsMember({"node", "device"}))
      ->capture_default_str()
      ->needs(fleet);
  cmd->add_flag("--collectives", a->collectives,
                "Also measure allreduce, allgather, reduce-scatter, broadcast and all-to-all "
                "across the ranks (host memory, verified)")
      ->needs(fleet);
  cmd->add_option("--collective-max-bytes", a->collective_max_bytes,
                  "Largest collective message, from 8 bytes doubling")
      ->check(CLI::Range(uint64_t{8}, uint64_t{1} << 34))
      ->capture_default_str()
      ->needs(fleet);
  cmd->add_option("--collective-repetitions", a->collective_repetitions,
                  "Timed repetitions per collective and size (the median is reported)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str()
      ->needs(fleet);
  cmd->add_option("--straggler-margin", a->straggler_margin,
                  "Flag a node whose case time is more than this fraction off the fleet median")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str()
      ->needs(fleet);
  cmd->callback([&g, &action, a] {
    action = [&g, a] {
      if (a->fleet) return run_fleet(g, *a);
      return a->resume.empty() ? run_fresh(g, *a) : run_resume(g, *a);
    };
  });
}

void add_suites_command(CLI::App& app, const GlobalOptions& /*g*/, Action& action) {
  auto* cmd = app.add_subcommand("suites", "List the built-in suites and their cases");
  cmd->callback([&action] {
    action = [] {
      for (const auto& e : harness::builtin_suites()) {
        const auto s = harness::builtin_suite(e.name);
        std::cout << s.name << " " << s.version << " (" << s.cases.size()
                  << " cases): " << s.description << "\n";
        for (const auto& c : s.cases)
          std::cout << "  " << c.spec.workload << "/" << c.label << "/"
                    << workloads::dtype_name(c.spec.dtype) << "\n";
      }
      return harness::kExitOk;
    };
  });
}

void add_worker_command(CLI::App& app, const GlobalOptions& g, Action& action) {
  // Internal: started by `run` for case isolation. Hidden from --help.
  auto* cmd = app.add_subcommand("worker", "");
  cmd->group("");
  cmd->callback([&g, &action] {
    action = [&g] {
      // The parent already checked the paths it was given; it passes the
      // CHIPCERT_DRIVER_PATH entries as flags too, and those stay lenient.
      harness::DriverOptions o = driver_options(g);
      o.required_paths.clear();
      return harness::worker_main(o, 0, 3);
    };
  });
}

}  // namespace chipcert::cli
