#pragma once
// Run a command for integration tests and capture its exit code and output.

#include <string>
#include <vector>

namespace chipcert::testing {

struct CommandResult {
  int exit_code = -1;  ///< exit status, or 128 + signal
  std::string out;
  std::string err;
};

/// Run argv (no shell) with extra environment entries "K=V"; waits for it.
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::vector<std::string>& env = {});

/// A fresh empty directory under the test temp dir, removed by the caller's fixture.
std::string make_temp_dir(const std::string& tag);

/// Entire file as a string ("" if missing).
std::string slurp(const std::string& path);

}  // namespace chipcert::testing
