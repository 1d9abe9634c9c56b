#include "chipcert/harness/runner.hpp"

#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>
#include <optional>

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

results::Case run_case(const PlannedCase& pc, workloads::Device* dev, const RunOptions& options) {
  const SuiteCase& sc = *pc.suite_case;
  results::Case row;
  row.id = pc.id;
  row.device = pc.device->info.id;
  row.workload = sc.spec.workload;
  row.category = std::string(sc.workload->category());
  row.parameters = sc.spec.parameters;
  row.dtype = workloads::dtype_name(sc.spec.dtype);
  if (dev == nullptr) {
    row.status = Status::Error;
    row.reason = "device could not be opened";
    return row;
  }
  std::unique_ptr<workloads::Instance> inst;
  try {
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
    const workloads::VerifyResult before = inst->verify();
    if (!before.passed) {
      apply_failed_verification(row, before, "before timing");
      return row;
    }

    const bool device_timer = inst->device_time(1).has_value();
    row.timer = device_timer ? "device" : "host";
    std::string error;
    auto* bench = benchmark::RegisterBenchmark(pc.id.c_str(), [&](benchmark::State& st) {
      try {
        if (device_timer) {
          for (auto _ : st) st.SetIterationTime(*inst->device_time(1));
        } else {
          for (auto _ : st) {
            inst->enqueue();
            dev->synchronize();
          }
        }
      } catch (const std::exception& e) {
        error = e.what();
        st.SkipWithError(error.c_str());
      }
    });
    bench->Repetitions(options.rules.repetitions)
        ->MinTime(options.rules.min_time_s)
        ->Unit(benchmark::kSecond);
    if (device_timer)
      bench->UseManualTime();
    else
      bench->UseRealTime();
    CaptureReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::ClearRegisteredBenchmarks();
    for (const auto& r : reporter.captured) {
      if (r.error_occurred) {
        row.status = Status::Error;
        row.reason = "during timing: " + (error.empty() ? r.error_message : error);
        return row;
      }
      if (r.iterations > 0) {
        row.samples.push_back(r.real_accumulated_time / static_cast<double>(r.iterations));
        row.iterations = static_cast<uint64_t>(r.iterations);
      }
    }
    if (row.samples.empty()) {
      row.status = Status::Error;
      row.reason = "timing produced no samples";
      return row;
    }

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
  row.details = inst->details();
  row.status = Status::Passed;
  return row;
}

void run_cases(const std::vector<PlannedCase>& plan, const RunOptions& options,
               RunObserver& observer) {
  std::unique_ptr<workloads::Device> dev;
  const DeviceEntry* open_for = nullptr;
  std::string open_error;
  for (size_t i = 0; i < plan.size(); ++i) {
    const PlannedCase& pc = plan[i];
    if (pc.device != open_for) {
      dev.reset();
      open_error.clear();
      open_for = pc.device;
      try {
        dev = std::make_unique<workloads::Device>(*pc.device->driver->table, pc.device->index);
      } catch (const std::exception& e) {
        open_error = e.what();
      }
    }
    observer.case_started(i, plan.size(), pc);
    results::Case row = run_case(pc, dev.get(), options);
    if (!dev && !open_error.empty()) row.reason = open_error;
    observer.case_finished(i, plan.size(), row);
  }
}

}  // namespace chipcert::harness
