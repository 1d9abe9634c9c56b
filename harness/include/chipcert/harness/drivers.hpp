#pragma once
/// Finding and loading drivers. Built-in drivers and plugins meet the same
/// checks; a plugin that is missing, broken or of another ABI version is
/// skipped with a one-line reason, never a crash, and the others still run.

#include <memory>
#include <span>
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
  bool builtins = true;
};

/// Split a CHIPCERT_DRIVER_PATH-style value on ':' (empty entries dropped).
std::vector<std::string> split_search_path(const std::string& value);

/// Load built-ins and plugins. Never throws for a bad plugin: it lands in problems.
DriverSet load_drivers(const DriverOptions& options);

/// Check a table returned by an entry point. Empty string when usable, else the reason.
std::string validate_driver_table(const cc_driver_v1* table, uint32_t requested_abi);

}  // namespace chipcert::harness
