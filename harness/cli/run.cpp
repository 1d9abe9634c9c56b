// `chipcert run`: a suite on the selected devices, verified and timed; the
// results document is rewritten atomically after every case, so nothing
// measured is lost if the run dies.

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "chipcert/harness/discovery.hpp"
#include "chipcert/harness/files.hpp"
#include "chipcert/harness/provenance.hpp"
#include "chipcert/harness/runner.hpp"
#include "chipcert/harness/selector.hpp"
#include "chipcert/harness/suite.hpp"
#include "chipcert/reports/console.hpp"
#include "chipcert/results/json.hpp"
#include "chipcert/workloads/dtype.hpp"
#include "cli.hpp"
#include "format.hpp"

namespace chipcert::cli {

namespace {

struct RunArgs {
  std::string suite = "smoke";
  std::string suite_file;
  std::vector<std::string> devices;
  std::string output;
  uint64_t seed = 1;
  int repetitions = 0;    // 0: the suite's
  double min_time_s = 0;  // 0: the suite's
  bool quiet = false;
};

std::string clock_text(double seconds) {
  const auto s = static_cast<long>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%ld:%02ld", s / 60, s % 60);
  return buf;
}

/// Prints progress and persists every finished case.
class Progress final : public harness::RunObserver {
 public:
  Progress(results::Document& doc, std::string path, bool quiet)
      : doc_(doc), path_(std::move(path)), quiet_(quiet), tty_(stdout_is_terminal()) {}

  void case_started(size_t index, size_t total, const harness::PlannedCase& c) override {
    if (quiet_ || !tty_) return;
    std::cout << "\r\033[K[" << index + 1 << "/" << total << "] " << c.id << "  elapsed "
              << clock_text(elapsed()) << eta(index, total) << std::flush;
  }

  void case_finished(size_t index, size_t total, const results::Case& row) override {
    doc_.cases.push_back(row);
    harness::write_file_atomic(path_, results::dump_document(doc_));
    if (quiet_) return;
    if (tty_) std::cout << "\r\033[K";
    std::cout << "[" << index + 1 << "/" << total << "] " << reports::case_line(row) << "\n"
              << std::flush;
  }

 private:
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  std::string eta(size_t index, size_t total) const {
    if (index == 0) return "";
    const double per = elapsed() / static_cast<double>(index);
    return "  remaining ~" + clock_text(per * static_cast<double>(total - index));
  }

  results::Document& doc_;
  std::string path_;
  bool quiet_;
  bool tty_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

int run(const GlobalOptions& g, const RunArgs& a) {
  harness::Suite suite;
  if (!a.suite_file.empty()) {
    suite = harness::read_suite_file(a.suite_file);
  } else {
    try {
      suite = harness::builtin_suite(a.suite);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--suite: ") + e.what());
    }
  }
  harness::RunOptions opts;
  opts.seed = a.seed;
  opts.rules = suite.rules;
  if (a.repetitions > 0) opts.rules.repetitions = a.repetitions;
  if (a.min_time_s > 0) opts.rules.min_time_s = a.min_time_s;

  const harness::DriverSet drivers = harness::load_drivers(driver_options(g));
  const harness::Topology topo;
  harness::Discovery found = harness::discover(drivers, topo);
  std::vector<const harness::DeviceEntry*> selected;
  try {
    selected = harness::select_devices(found.devices, a.devices);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (selected.empty()) {
    std::cerr << "chipcert: no devices to run on";
    for (const auto& p : drivers.problems) std::cerr << "\n  " << p.source << ": " << p.reason;
    for (const auto& p : found.problems) std::cerr << "\n  " << p.source << ": " << p.reason;
    std::cerr << "\n";
    return harness::kExitEnvironment;
  }

  results::Document doc;
  doc.run_id = harness::new_run_id();
  doc.started_at = harness::utc_now_rfc3339();
  doc.suite = {suite.name, suite.version};
  doc.seed = a.seed;
  doc.host = found.host;
  for (const auto* d : selected) doc.devices.push_back(d->info);
  doc.driver_problems = drivers.problems;
  doc.driver_problems.insert(doc.driver_problems.end(), found.problems.begin(),
                             found.problems.end());
  doc.provenance = harness::collect_provenance(g.command_line);

  std::string out = a.output;
  if (out.empty()) {
    std::string stamp = doc.started_at;
    for (char& c : stamp)
      if (c == ':') c = '-';
    out = "chipcert-results/" + suite.name + "-" + stamp + "-" + doc.run_id.substr(0, 8) + ".json";
  }
  harness::write_file_atomic(out, results::dump_document(doc));

  const auto plan = harness::plan_cases(suite, selected);
  if (!a.quiet)
    std::cout << "chipcert " << harness::chipcert_version() << ": suite " << suite.name << " "
              << suite.version << ", " << plan.size() << " cases on " << selected.size()
              << " device(s), seed " << a.seed << "\n";
  Progress progress(doc, out, a.quiet);
  harness::run_cases(plan, opts, progress);
  doc.finished_at = harness::utc_now_rfc3339();
  harness::write_file_atomic(out, results::dump_document(doc));

  if (!a.quiet) std::cout << "\n" << reports::render_console(doc);
  std::cout << "results: " << out << "\n";
  for (const auto& c : doc.cases)
    if (c.status != results::Status::Passed && c.status != results::Status::Unsupported &&
        c.status != results::Status::Skipped)
      return harness::kExitVerdict;
  return harness::kExitOk;
}

}  // namespace

void add_run_command(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto* cmd =
      app.add_subcommand("run", "Run a suite on the selected devices and write a results document");
  auto a = std::make_shared<RunArgs>();
  auto* suite_opt =
      cmd->add_option("--suite", a->suite, "Built-in suite name (see 'chipcert suites')")
          ->capture_default_str();
  cmd->add_option("--suite-file", a->suite_file, "A suite file instead of a built-in suite")
      ->excludes(suite_opt);
  cmd->add_option("--device", a->devices,
                  "Device selector: all, an id (opencl:0), a driver (opencl) or a kind (cpu, gpu, "
                  "accelerator); repeatable; default all");
  cmd->add_option("-o,--output", a->output,
                  "Results file (default chipcert-results/<suite>-<time>.json)");
  cmd->add_option("--seed", a->seed, "Seed of the input generator (recorded in the results)")
      ->capture_default_str();
  cmd->add_option("--repetitions", a->repetitions, "Samples per case (default: the suite's)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--min-time", a->min_time_s, "Minimum seconds per sample (default: the suite's)")
      ->check(CLI::Range(0.001, 60.0));
  cmd->add_flag("-q,--quiet", a->quiet, "Print only the results path");
  cmd->callback([&g, &action, a] { action = [&g, a] { return run(g, *a); }; });
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

}  // namespace chipcert::cli
