#pragma once
/// Finding and loading drivers. Built-in drivers and plugins meet the same
/// checks; a plugin that is missing, broken or of another ABI version is
/// skipped with a one-line reason, never a crash, and the others still run.

#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "chipcert/driver.h"
#include "chipcert/results/model.hpp"

namespace chipcert::harness {

/// A built-in driver: its id and entry point (generated from the CMake options).
struct BuiltinDriver {
  const char* name;
  cc_driver_entry_fn entry;
};

/// The built-in drivers this binary was configured with.
std::span<const BuiltinDriver> builtin_drivers();

/// A driver whose table passed validation.
struct LoadedDriver {
  std::string name;
  std::string source;  ///< "builtin" or the plugin's path
  const cc_driver_v1* table = nullptr;
  std::shared_ptr<void> library;  ///< keeps a plugin loaded; null for built-ins
};

struct DriverSet {
  std::vector<LoadedDriver> drivers;
  std::vector<results::DriverProblem> problems;
};

struct DriverOptions {
  /// Files or directories (every *.so inside, sorted) to load plugins from.
  std::vector<std::string> plugin_paths;
  /// Those of plugin_paths the user named explicitly (--driver-path). For these,
  /// a path that does not exist or is neither a file nor a directory, and a
  /// named file that is not a loadable chipcert plugin, throw DriverPathError:
  /// silently running without the driver asked for would measure the wrong
  /// devices. A broken plugin inside a named directory is still only a problem,
  /// as is any path from CHIPCERT_DRIVER_PATH (a search path, like an ICD's).
  std::vector<std::string> required_paths;
  bool builtins = true;
};

/// An explicitly named plugin path (DriverOptions::required_paths) is unusable.
class DriverPathError : public std::runtime_error {
 public:
  DriverPathError(std::string path, std::string reason)
      : std::runtime_error(path + ": " + reason),
        path_(std::move(path)),
        reason_(std::move(reason)) {}
  const std::string& path() const { return path_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string path_;
  std::string reason_;
};

/// Split a CHIPCERT_DRIVER_PATH-style value on ':' (empty entries dropped).
std::vector<std::string> split_search_path(const std::string& value);

/// Load built-ins and plugins. A bad plugin lands in problems (a directory
/// without any *.so too), except for a required path: DriverPathError.
DriverSet load_drivers(const DriverOptions& options);

/// Check a table returned by an entry point. Empty string when usable, else the reason.
std::string validate_driver_table(const cc_driver_v1* table, uint32_t requested_abi);

}  // namespace chipcert::harness
