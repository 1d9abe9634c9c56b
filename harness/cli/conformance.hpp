#pragma once
// `chipcert conformance`: the checks a driver must pass, each run in its own
// child process by conformance.cpp so a crashing driver still gets a report.

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "chipcert/driver.h"

namespace chipcert::cli::conformance {

/// The driver under test, as the child process sees it.
struct Target {
  cc_driver_entry_fn entry = nullptr;
  const cc_driver_v1* table = nullptr;  ///< entry(CC_DRIVER_ABI_VERSION); may be NULL
};

/// A check's verdict: a failed contract throws Failure from inside the check.
class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Tells the parent what the check is doing, so a crash names the step.
using Progress = std::function<void(const std::string& step)>;

struct Check {
  std::string id;           ///< e.g. "alloc.zero", "op.gemm"
  std::string description;  ///< the contract, one line
  /// Returns the PASS reason; throws Failure (or anything) on a violation.
  std::function<std::string(const Target&, const Progress&)> run;
};

/// Helpers shared by the check files (conformance_checks.cpp, conformance_ops.cpp).

/// Throws Failure(why) unless ok.
void require(bool ok, const std::string& why);
/// The target's table after validating it against the ABI; Failure if unusable.
const cc_driver_v1& table(const Target& t);
/// last_error as text, bounded; "(last_error returned NULL)" for a NULL pointer,
/// which the contract forbids, so the report says so rather than printing nothing.
std::string error_text(const cc_driver_v1& d, cc_device* dev);

/// Every check, in report order: ABI, discovery, memory, ops, errors, threads, teardown.
std::vector<Check> all_checks();

}  // namespace chipcert::cli::conformance
