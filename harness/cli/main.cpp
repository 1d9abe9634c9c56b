// chipcert: discover accelerators, run verified benchmark suites, emit results.
// main() is the only place that decides the exit code.

#include <csignal>
#include <cstdlib>
#include <iostream>

#include "chipcert/harness/files.hpp"
#include "chipcert/harness/provenance.hpp"
#include "chipcert/results/json.hpp"
#include "cli.hpp"

namespace chipcert::cli {

harness::DriverOptions driver_options(const GlobalOptions& g) {
  harness::DriverOptions o;
  o.builtins = !g.no_builtin_drivers;
  o.plugin_paths = g.driver_paths;
  o.required_paths = g.driver_paths;  // named on the command line: must be usable
  if (const char* env = std::getenv("CHIPCERT_DRIVER_PATH")) {
    for (auto& p : harness::split_search_path(env)) o.plugin_paths.push_back(p);
  }
  return o;
}

}  // namespace chipcert::cli

int main(int argc, char** argv) {
  using namespace chipcert;
  // Writes to a worker that died must fail with EPIPE, not kill chipcert.
  signal(SIGPIPE, SIG_IGN);
  // A file-size limit (ulimit -f) or quota must fail the write with EFBIG and
  // a message naming the file, not kill the run with a core dump.
  signal(SIGXFSZ, SIG_IGN);
  cli::GlobalOptions global;
  for (int i = 0; i < argc; ++i) global.command_line.emplace_back(argv[i]);

  CLI::App app{"chipcert: vendor-neutral accelerator benchmarking and certification"};
  app.set_version_flag("--version", std::string("chipcert ") + harness::chipcert_version());
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option(
      "--driver-path", global.driver_paths,
      "Driver plugin file or directory (repeatable; also CHIPCERT_DRIVER_PATH, ':'-separated)");
  app.add_flag("--no-builtin-drivers", global.no_builtin_drivers,
               "Use only plugins, not the drivers built into this binary");

  cli::Action action;
  cli::add_devices_command(app, global, action);
  cli::add_run_command(app, global, action);
  cli::add_suites_command(app, global, action);
  cli::add_worker_command(app, global, action);
  cli::add_key_command(app, global, action);
  cli::add_certify_command(app, global, action);
  cli::add_verify_command(app, global, action);
  cli::add_report_command(app, global, action);
  cli::add_compare_command(app, global, action);
  cli::add_quota_command(app, global, action);
  cli::add_conformance_command(app, global, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "chipcert: " << e.what() << "\nRun 'chipcert --help' for usage.\n";
    return harness::kExitUsage;
  }
  try {
    return action ? action() : harness::kExitUsage;
  } catch (const cli::UsageError& e) {
    std::cerr << "chipcert: " << e.what() << "\n";
    return harness::kExitUsage;
  } catch (const harness::DriverPathError& e) {
    std::cerr << "chipcert: --driver-path " << e.what() << "\n";
    return harness::kExitUsage;
  } catch (const results::ParseError& e) {
    std::cerr << "chipcert: " << e.what() << "\n";
    return harness::kExitBadInput;
  } catch (const harness::ReadError& e) {
    std::cerr << "chipcert: " << e.what() << "\n";
    return harness::kExitBadInput;
  } catch (const harness::FileError& e) {
    std::cerr << "chipcert: " << e.what() << "\n";
    return harness::kExitEnvironment;
  } catch (const std::exception& e) {
    std::cerr << "chipcert: internal error: " << e.what() << "\n";
    return harness::kExitInternal;
  }
}
