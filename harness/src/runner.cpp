#include "chipcert/harness/runner.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <vector>

#include "chipcert/harness/host_memory.hpp"
#include "chipcert/results/statistics.hpp"
#include "chipcert/workloads/dtype.hpp"

namespace chipcert::harness {

namespace {

using results::Status;

/// Collects Google Benchmark's per-repetition runs instead of printing them.
class CaptureReporter final : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs)
      if (r.run_type == Run::RT_Iteration) captured.push_back(r);
  }
  std::vector<Run> captured;
};

results::Verification to_result(const workloads::VerifyResult& v) {
  results::Verification r;
  r.passed = v.passed;
  r.method = v.method;
  r.tolerance = v.tolerance;
  r.checked = v.checked;
  r.mismatches = v.mismatches;
  r.max_abs_error = std::isfinite(v.max_abs_error) ? v.max_abs_error : 0.0;
  r.max_rel_error = std::isfinite(v.max_rel_error) ? v.max_rel_error : 0.0;
  r.zero_fraction = v.zero_fraction;
  for (const auto& m : v.first_mismatches) {
    // JSON cannot carry NaN/inf: keep the index, clamp the values to something writable.
    const double a = std::isfinite(m.actual)
                         ? m.actual
                         : (std::isnan(m.actual) ? 0.0 : std::copysign(1e308, m.actual));
    r.first_mismatches.push_back({m.index, m.expected, a});
  }
  return r;
}

/// Status and reason from a verification that did not pass.
void apply_failed_verification(results::Case& row, const workloads::VerifyResult& v,
                               const char* when) {
  row.status = v.mistrusted ? Status::Mistrusted : Status::Failed;
  row.reason = std::string("verification ") + when + ": " + v.reason;
  row.verification = to_result(v);
}

/// Appends the driver's sensor reading, if it has sensors. Called between
/// timing runs, never inside a timed loop.
void read_sensors(workloads::Device& dev, std::vector<cc_sensors>& readings) {
  try {
    if (auto s = dev.sensors()) readings.push_back(*s);
  } catch (const std::exception&) {
    // A sensor that fails to read is not a measurement error.
  }
}

/// min/median/max of one sensor over the readings that report it (>= 0).
std::optional<results::SensorRange> sensor_range(const std::vector<cc_sensors>& readings,
                                                 double cc_sensors::*field) {
  std::vector<double> v;
  for (const cc_sensors& s : readings)
    if (std::isfinite(s.*field) && s.*field >= 0) v.push_back(s.*field);
  if (v.empty()) return std::nullopt;
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return results::SensorRange{*lo, results::quantile(v, 0.5), *hi};
}

std::optional<results::SensorSummary> summarize_sensors(const std::vector<cc_sensors>& readings) {
  results::SensorSummary s;
  s.readings = readings.size();
  s.power_w = sensor_range(readings, &cc_sensors::power_w);
  s.temperature_c = sensor_range(readings, &cc_sensors::temperature_c);
  s.clock_mhz = sensor_range(readings, &cc_sensors::clock_mhz);
  if (!s.power_w && !s.temperature_c && !s.clock_mhz) return std::nullopt;
  return s;
}

/// Time `inst` with Google Benchmark: `rules.repetitions` samples (or the
/// plan's), each the mean of an adaptive (or fixed) number of iterations.
/// The device's sensors are read after each run of the benchmark function.
/// Returns "" or the error that stopped timing.
std::string time_with_benchmark(const std::string& name, workloads::Instance& inst,
                                workloads::Device& dev, bool device_timer,
                                const workloads::Instance::TimingPlan& plan, const RunRules& rules,
                                results::Case& row, std::vector<cc_sensors>& readings) {
  std::string error;
  auto* bench = benchmark::RegisterBenchmark(name.c_str(), [&](benchmark::State& st) {
    try {
      if (device_timer) {
        for (auto _ : st) st.SetIterationTime(*inst.device_time(1));
      } else {
        // Nothing but the launch and the wait inside the timed loop: no
        // allocation, no I/O.
        for (auto _ : st) {
          inst.enqueue();
          dev.synchronize();
        }
      }
      read_sensors(dev, readings);
    } catch (const std::exception& e) {
      error = e.what();
      st.SkipWithError(error.c_str());
    }
  });
  bench->Repetitions(plan.samples > 0 ? plan.samples : rules.repetitions)->Unit(benchmark::kSecond);
  if (plan.iterations_per_sample > 0)
    bench->Iterations(plan.iterations_per_sample);
  else
    bench->MinTime(rules.min_time_s);
  if (device_timer)
    bench->UseManualTime();
  else
    bench->UseRealTime();
  CaptureReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::ClearRegisteredBenchmarks();
  for (const auto& r : reporter.captured) {
    if (r.error_occurred) return error.empty() ? r.error_message : error;
    if (r.iterations > 0) {
      row.samples.push_back(r.real_accumulated_time / static_cast<double>(r.iterations));
      row.iterations = static_cast<uint64_t>(r.iterations);
    }
  }
  return "";
}

}  // namespace

std::vector<PlannedCase> plan_cases(const Suite& suite,
                                    const std::vector<const DeviceEntry*>& devices) {
  std::vector<PlannedCase> plan;
  for (const DeviceEntry* d : devices) {
    for (const auto& c : suite.cases) {
      plan.push_back({&c, d,
                      c.spec.workload + "/" + c.label + "/" + workloads::dtype_name(c.spec.dtype) +
                          "@" + d->info.id});
    }
  }
  return plan;
}

double default_case_timeout(const PlannedCase& pc, const RunRules& rules) {
  workloads::Work w;
  try {
    w = pc.suite_case->workload->instantiate(pc.suite_case->spec)->work();
  } catch (const std::exception&) {
    // A spec that cannot be instantiated fails fast in the worker.
  }
  return 120.0 + 20.0 * rules.repetitions * rules.min_time_s + 4.0 * w.flop / 1e9 +
         4.0 * w.bytes / 1e8;
}

results::Case unfinished_row(const PlannedCase& pc, results::Status status, std::string reason) {
  const SuiteCase& sc = *pc.suite_case;
  results::Case row;
  row.id = pc.id;
  row.device = pc.device->info.id;
  row.workload = sc.spec.workload;
  row.category = sc.workload ? std::string(sc.workload->category()) : "";
  row.parameters = sc.spec.parameters;
  row.dtype = workloads::dtype_name(sc.spec.dtype);
  row.status = status;
  row.reason = std::move(reason);
  return row;
}

namespace {

/// run_case without the host-memory figure.
results::Case measure_case(const PlannedCase& pc, workloads::Device* dev, const RunOptions& options,
                           const PhaseCallback& phase) {
  auto enter = [&](const char* p) {
    if (phase) phase(p);
  };
  const SuiteCase& sc = *pc.suite_case;
  results::Case row = unfinished_row(pc, Status::Error, "");
  if (dev == nullptr) {
    row.status = Status::Error;
    row.reason = "device could not be opened";
    return row;
  }
  std::unique_ptr<workloads::Instance> inst;
  try {
    enter("setup");
    inst = sc.workload->instantiate(sc.spec);
    inst->setup(*dev, options.seed);
  } catch (const workloads::DriverError& e) {
    row.status = e.status() == CC_ERR_UNSUPPORTED ? Status::Unsupported : Status::Error;
    row.reason = e.what();
    return row;
  } catch (const std::exception& e) {
    row.status = Status::Error;
    row.reason = std::string("setup: ") + e.what();
    return row;
  }
  const workloads::Work work = inst->work();
  row.flop = work.flop;
  row.bytes = work.bytes;

  try {
    // The first launch is also the warm-up: code paths compiled, weights packed.
    enter("verify");
    const workloads::VerifyResult before = inst->verify();
    if (!before.passed) {
      apply_failed_verification(row, before, "before timing");
      return row;
    }

    enter("timing");
    nlohmann::json measured_details = nlohmann::json::object();
    std::vector<cc_sensors> readings;
    if (auto m = inst->measure(options.rules.repetitions, options.rules.min_time_s)) {
      row.timer = "host";
      row.samples = std::move(m->samples);
      row.iterations = m->iterations;
      measured_details = std::move(m->details);
      read_sensors(*dev, readings);
    } else {
      const bool device_timer = inst->device_time(1).has_value();
      row.timer = device_timer ? "device" : "host";
      const std::string error = time_with_benchmark(
          pc.id, *inst, *dev, device_timer, inst->timing_plan(), options.rules, row, readings);
      if (!error.empty()) {
        row.status = Status::Error;
        row.reason = "during timing: " + error;
        row.samples.clear();
        return row;
      }
    }
    if (row.samples.empty()) {
      row.status = Status::Error;
      row.reason = "timing produced no samples";
      return row;
    }
    row.details = std::move(measured_details);
    row.sensors = summarize_sensors(readings);

    enter("verify-after");
    const workloads::VerifyResult after = inst->verify();
    row.verification = to_result(after);
    if (!after.passed) {
      apply_failed_verification(row, after, "after timing");
      row.samples.clear();  // a wrong kernel's speed is not a figure
      return row;
    }
  } catch (const workloads::DriverError& e) {
    row.status = Status::Error;
    row.reason = e.what();
    row.samples.clear();
    return row;
  } catch (const std::exception& e) {
    row.status = Status::Error;
    row.reason = e.what();
    row.samples.clear();
    return row;
  }

  row.statistics = results::summarize(row.samples);
  const double t = row.statistics->median;
  if (t > 0) {
    if (work.flop > 0) row.rates.flop_per_s = work.flop / t;
    if (work.bytes > 0) row.rates.bytes_per_s = work.bytes / t;
    if (work.items > 0) row.rates.items_per_s = work.items / t;
  }
  // Held by name: a range-for over items() of a temporary would dangle.
  const nlohmann::json instance_details = inst->details();
  for (auto& [key, value] : instance_details.items()) row.details[key] = value;
  row.status = Status::Passed;
  return row;
}

}  // namespace

results::Case run_case(const PlannedCase& pc, workloads::Device* dev, const RunOptions& options,
                       const PhaseCallback& phase) {
  // Reset where the case starts: the high-water mark is then this case's
  // own, whatever ran before it in this process.
  const bool reset = reset_peak_rss();
  results::Case row = measure_case(pc, dev, options, phase);
  if (reset && dev) row.host_peak_rss_bytes = peak_rss_bytes();
  return row;
}

}  // namespace chipcert::harness
