#pragma once
// Shared pieces of the chipcert command line. Each subcommand lives in its own
// file and registers itself on the app from main.cpp's explicit list.

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "chipcert/harness/drivers.hpp"
#include "chipcert/harness/exit_codes.hpp"
#include "chipcert/results/model.hpp"
#include "chipcert/results/verdict.hpp"

namespace chipcert::cli {

/// Options every subcommand sees (set on the root app, fall through).
struct GlobalOptions {
  std::vector<std::string> driver_paths;
  bool no_builtin_drivers = false;
  std::vector<std::string> command_line;
};

/// A usage error detected after parsing (bad combination, unknown name).
class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A subcommand's action; returns the exit code.
using Action = std::function<int()>;

/// Driver options from --driver-path and CHIPCERT_DRIVER_PATH (flag first).
harness::DriverOptions driver_options(const GlobalOptions& g);

void add_devices_command(CLI::App& app, const GlobalOptions& g, Action& action);
void add_run_command(CLI::App& app, const GlobalOptions& g, Action& action);
void add_suites_command(CLI::App& app, const GlobalOptions& g, Action& action);
void add_worker_command(CLI::App& app, const GlobalOptions& g, Action& action);
void add_key_command(CLI::App& app, const GlobalOptions& g, Action& action);
void add_certify_command(CLI::App& app, const GlobalOptions& g, Action& action);
void add_verify_command(CLI::App& app, const GlobalOptions& g, Action& action);
void add_report_command(CLI::App& app, const GlobalOptions& g, Action& action);
void add_compare_command(CLI::App& app, const GlobalOptions& g, Action& action);
void add_quota_command(CLI::App& app, const GlobalOptions& g, Action& action);
void add_conformance_command(CLI::App& app, const GlobalOptions& g, Action& action);

/// A results document, read directly or decoded from a certificate (DSSE
/// envelope, detected by its "payloadType" key). The certificate's signature
/// is NOT verified here: that is `chipcert verify`. Throws results::ParseError
/// and harness::ReadError naming the file and the JSON pointer.
struct LoadedResults {
  results::Document document;
  std::optional<results::Verdict> verdict;  ///< a certificate's claimed verdict
  bool certificate = false;
};
LoadedResults load_results_or_certificate(const std::string& path);

}  // namespace chipcert::cli
