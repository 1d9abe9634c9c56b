#pragma once
/// The workload interface. A workload is written once against Device (the
/// driver ABI); only kernels differ per backend. The harness owns timing:
/// it calls setup, verify, then enqueue (or device_time) in its timed loop,
/// then verify again, so a kernel that is right once and wrong later fails.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "chipcert/driver.h"
#include "chipcert/workloads/device.hpp"
#include "chipcert/workloads/verify.hpp"

namespace chipcert::workloads {

/// One concrete case before it meets a device: workload, dtype and shape.
struct CaseSpec {
  std::string workload;
  cc_dtype dtype = CC_DTYPE_F32;
  nlohmann::json parameters = nlohmann::json::object();
};

/// Work done by one iteration, for rates. Zero means "not meaningful".
struct Work {
  double flop = 0;   ///< arithmetic operations (integer ops count too)
  double bytes = 0;  ///< compulsory memory / transfer traffic
  double items = 0;  ///< samples, tokens, queries, launches
};

/// Bad suite parameters: names the key and what was expected.
class SpecError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A case bound to one device. Not thread-safe; lives inside one device session.
class Instance {
 public:
  virtual ~Instance() = default;

  /// Allocate device memory, upload seeded inputs, prepare kernels. Untimed.
  /// Throws DriverError (Unsupported is reported as such by the runner).
  virtual void setup(Device& dev, uint64_t seed) = 0;
  /// Restore inputs, run once, read the outputs back and compare them with the
  /// reference. Called before and after timing.
  virtual VerifyResult verify() = 0;
  /// Enqueue one iteration; the runner synchronises.
  virtual void enqueue() = 0;
  /// Device-clock seconds for `repeat` iterations, or nullopt when the driver
  /// has no device timer or the workload is more than one kernel.
  virtual std::optional<double> device_time(uint32_t repeat) {
    (void)repeat;
    return std::nullopt;
  }
  /// Work per iteration.
  virtual Work work() const = 0;
  /// Driver notes worth keeping (e.g. the implementation a library chose).
  virtual nlohmann::json details() const { return nlohmann::json::object(); }

  /// How the runner's Google Benchmark loop should sample this workload.
  /// Default: adaptive iterations per sample (at least the suite's min time).
  /// Latency scenarios fix one iteration per sample, so every sample is one
  /// query and percentiles are over queries.
  struct TimingPlan {
    int64_t iterations_per_sample = 0;  ///< 0: adaptive
    int samples = 0;                    ///< 0: the suite's repetitions
  };
  virtual TimingPlan timing_plan() const { return {}; }

  /// A workload whose figure is not a timing loop (a server scenario under
  /// Poisson arrivals, say) measures itself: samples in seconds in time
  /// order, iterations per sample, and its figures in `details`. nullopt:
  /// the runner's Google Benchmark loop times enqueue().
  struct Measurement {
    std::vector<double> samples;
    uint64_t iterations = 1;
    nlohmann::json details = nlohmann::json::object();
  };
  virtual std::optional<Measurement> measure(int repetitions, double min_time_s) {
    (void)repetitions;
    (void)min_time_s;
    return std::nullopt;
  }
};

class Workload {
 public:
  virtual ~Workload() = default;
  virtual std::string_view name() const = 0;
  /// "micro", "kernel", "inference" or "training".
  virtual std::string_view category() const = 0;
  virtual std::string_view description() const = 0;
  /// A short label for the shape, used in case ids, e.g. "m512_n512_k512".
  virtual std::string label(const nlohmann::json& parameters) const;
  /// Check the spec (throws SpecError naming the parameter) and build an instance.
  virtual std::unique_ptr<Instance> instantiate(const CaseSpec& spec) const = 0;
};

/// Every workload chipcert ships, in a fixed order.
std::span<const Workload* const> all_workloads();
/// The workload of that name, or nullptr.
const Workload* find_workload(std::string_view name);

/// Parameter helpers for instantiate(): read an integer/number/bool with a
/// range check, or the default when absent. Throw SpecError naming the key.
int64_t param_int(const nlohmann::json& p, const char* key, std::optional<int64_t> fallback,
                  int64_t min, int64_t max);
double param_number(const nlohmann::json& p, const char* key, std::optional<double> fallback);
bool param_bool(const nlohmann::json& p, const char* key, bool fallback);
/// Reject parameters other than `allowed`.
void check_known_params(const nlohmann::json& p, std::initializer_list<const char*> allowed,
                        std::string_view workload);

}  // namespace chipcert::workloads
