#pragma once
/// Suites: versioned data files naming workloads, shapes and dtypes. The ones
/// in workloads/suites/ are compiled into the binary; --suite-file reads any.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chipcert/workloads/workload.hpp"

namespace chipcert::harness {

/// How a suite wants its cases timed.
struct RunRules {
  int repetitions = 5;      ///< samples per case
  double min_time_s = 0.1;  ///< minimum measured time per sample
};

struct SuiteCase {
  workloads::CaseSpec spec;
  std::string label;  ///< the workload's shape label
  const workloads::Workload* workload = nullptr;
};

struct Suite {
  std::string name;
  std::string version;
  std::string description;
  RunRules rules;
  std::vector<SuiteCase> cases;
  std::string text;  ///< the file's exact text: journals keep it so a resume runs the same suite
};

/// A suite file shipped in the binary.
struct EmbeddedSuite {
  const char* name;
  std::string_view text;
};
std::span<const EmbeddedSuite> builtin_suites();

/// Parse and validate a suite (strict JSON; every workload, dtype and shape
/// checked now, so a typo fails before anything runs). Throws
/// results::ParseError naming `source` and the JSON pointer.
Suite parse_suite(std::string_view text, std::string_view source);

/// A built-in suite by name; throws std::invalid_argument listing valid names.
Suite builtin_suite(std::string_view name);

/// Read and parse a suite file.
Suite read_suite_file(const std::string& path);

}  // namespace chipcert::harness
