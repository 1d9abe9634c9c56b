#include "chipcert/harness/clock.hpp"

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>
#include <vector>

#include "cpu_probes.hpp"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace chipcert::harness {
namespace {

#if defined(__x86_64__)
/// The calling thread's CPU time in seconds.
double thread_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

/// Work per second of thread CPU time for each of `windows`: `threads`
/// threads run them in turn 16 times each and keep their fastest of each;
/// per window, the slowest thread of the best of `rounds` rounds. Short
/// windows, each thread keeping its fastest: a hypervisor that steals a vCPU
/// still charges the stolen time to the guest thread's CPU time, so no
/// single long window is trustworthy on a shared VM; seen on the 2-vCPU
/// reference host, one vCPU read 1.1-2.4 GHz over 25 ms windows while its
/// best 3 ms windows read 3.48 GHz like its sibling. Stealing only ever
/// lowers a window's figure, so the fastest window is the rate. Each window
/// returns the work it did.
std::vector<double> best_window_rates(unsigned threads, int rounds,
                                      const std::vector<std::function<double()>>& windows) {
  constexpr int kWindows = 16;
  threads = std::max(1u, threads);
  std::vector<double> best(windows.size(), 0.0);
  for (int round = 0; round < std::max(1, rounds); ++round) {
    std::vector<std::vector<double>> rate(threads, std::vector<double>(windows.size(), 0.0));
    std::vector<std::thread> team;
    team.reserve(threads);
    for (unsigned t = 0; t < threads; ++t)
      team.emplace_back([&rate, &windows, t] {
        for (int w = 0; w < kWindows; ++w)
          for (std::size_t k = 0; k < windows.size(); ++k) {
            const double c0 = thread_cpu();
            const double work = windows[k]();
            const double seconds = thread_cpu() - c0;
            if (seconds > 0) rate[t][k] = std::max(rate[t][k], work / seconds);
          }
      });
    for (auto& th : team) th.join();
    for (std::size_t k = 0; k < windows.size(); ++k) {
      double slowest = rate[0][k];
      for (unsigned t = 1; t < threads; ++t) slowest = std::min(slowest, rate[t][k]);
      best[k] = std::max(best[k], slowest);
    }
  }
  return best;
}

/// The median over `threads` x `pairs` of (probe ops per second) / (add
/// chain cycles per second), each pair timed back to back on one thread.
double median_ops_per_cycle(unsigned threads, const std::function<double()>& probe) {
  constexpr int kPairs = 12;
  threads = std::max(1u, threads);
  std::vector<double> ratios(size_t(threads) * kPairs, 0.0);
  std::vector<std::thread> team;
  for (unsigned t = 0; t < threads; ++t)
    team.emplace_back([&ratios, &probe, t] {
      for (int p = 0; p < kPairs; ++p) {
        const double c0 = thread_cpu();
        const double cycles = detail::add_chain_window();
        const double c1 = thread_cpu();
        const double ops = probe();
        const double c2 = thread_cpu();
        if (c1 > c0 && c2 > c1)
          ratios[size_t(t) * kPairs + size_t(p)] = (ops / (c2 - c1)) / (cycles / (c1 - c0));
      }
    });
  for (auto& th : team) th.join();
  std::nth_element(ratios.begin(), ratios.begin() + ptrdiff_t(ratios.size() / 2), ratios.end());
  return ratios[ratios.size() / 2];
}

std::optional<double> read_number_file(const char* path, double scale) {
  std::ifstream in(path);
  double v = 0;
  if (in >> v && v > 0) return v * scale;
  return std::nullopt;
}

/// The kernel's "cpu MHz": in a VM without cpufreq, the TSC frequency it
/// calibrated; on bare metal with cpufreq, a current frequency (cpufreq's
/// maximum is then read too).
std::optional<double> proc_cpuinfo_mhz() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("cpu MHz", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) return std::nullopt;
    try {
      const double v = std::stod(line.substr(colon + 1));
      if (v > 0) return v;
    } catch (...) {
    }
    return std::nullopt;
  }
  return std::nullopt;
}
#endif

std::string mhz_text(double mhz) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f MHz", mhz);
  return buf;
}

}  // namespace

std::optional<ClockReading> measure_clock_under_load(unsigned threads, int rounds) {
#if defined(__x86_64__)
  const auto rates =
      best_window_rates(threads, rounds, {detail::add_chain_window, detail::imul_chain_window});
  if (!(rates[0] > 0) || !(rates[1] > 0)) return std::nullopt;
  return ClockReading{rates[0] / 1e6, rates[1] / 1e6};
#else
  (void)threads, (void)rounds;
  return std::nullopt;
#endif
}

StatedClock read_stated_clock() {
  StatedClock s;
#if defined(__x86_64__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  const unsigned max_leaf = __get_cpuid_max(0, nullptr);
  if (max_leaf >= 0x16 && __get_cpuid(0x16, &a, &b, &c, &d)) {
    if ((a & 0xffff) > 0) s.cpuid_base_mhz = double(a & 0xffff);
    if ((b & 0xffff) > 0) s.cpuid_max_mhz = double(b & 0xffff);
  }
  if (max_leaf >= 0x15 && __get_cpuid(0x15, &a, &b, &c, &d) && a && b && c) {
    s.tsc_mhz = double(c) * double(b) / double(a) / 1e6;
    s.tsc_source = "CPUID leaf 0x15";
  }
  // A hypervisor's timing leaf (KVM, VMware): EAX is the TSC in kHz.
  __cpuid(1, a, b, c, d);
  if (!s.tsc_mhz && (c & (1u << 31))) {
    __cpuid(0x40000000, a, b, c, d);
    if (a >= 0x40000010) {
      __cpuid(0x40000010, a, b, c, d);
      if (a > 0) {
        s.tsc_mhz = double(a) / 1e3;
        s.tsc_source = "the hypervisor's timing leaf 0x40000010";
      }
    }
  }
  s.cpufreq_max_mhz =
      read_number_file("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", 1e-3);
  s.cpufreq_boost_above_max =
      read_number_file("/sys/devices/system/cpu/cpufreq/boost", 1).value_or(0) > 0;
  if (!s.tsc_mhz && !s.cpufreq_max_mhz) {
    s.tsc_mhz = proc_cpuinfo_mhz();
    if (s.tsc_mhz) s.tsc_source = "the kernel's cpu MHz (its TSC calibration, no cpufreq)";
  }
#endif
  return s;
}

results::ClockBounds clock_bounds(const StatedClock& s) {
  results::ClockBounds b;
  std::optional<double> stated_max = s.cpuid_max_mhz;
  std::string max_basis;
  if (s.cpuid_max_mhz) max_basis = "CPUID 0x16 maximum " + mhz_text(*s.cpuid_max_mhz);
  const bool cpufreq_is_max = s.cpufreq_max_mhz && !s.cpufreq_boost_above_max;
  if (cpufreq_is_max && (!stated_max || *s.cpufreq_max_mhz > *stated_max)) {
    stated_max = s.cpufreq_max_mhz;
    max_basis = "cpufreq maximum " + mhz_text(*s.cpufreq_max_mhz);
  }
  std::optional<double> base;
  std::string base_basis;
  if (s.cpuid_base_mhz) {
    base = s.cpuid_base_mhz;
    base_basis = "CPUID 0x16 base " + mhz_text(*s.cpuid_base_mhz);
  } else if (s.cpufreq_max_mhz && !cpufreq_is_max) {
    base = s.cpufreq_max_mhz;
    base_basis = "cpufreq maximum " + mhz_text(*s.cpufreq_max_mhz) + " (boost on above it)";
  } else if (s.tsc_mhz) {
    base = s.tsc_mhz;
    base_basis = "TSC " + mhz_text(*s.tsc_mhz) + " from " + s.tsc_source;
  }
  if (stated_max) {
    b.max_mhz = *stated_max * 1.05;
    b.basis = "up to the " + max_basis + " + 5 %";
  } else if (base) {
    b.max_mhz = *base * kTurboHeadroom;
    char text[64];
    std::snprintf(text, sizeof text, " x %.1f turbo headroom (no maximum stated)", kTurboHeadroom);
    b.basis = "up to the " + base_basis + text;
  } else {
    b.max_mhz = kHighestX86ClockMhz;
    b.basis = "no clock stated by the CPU: up to the highest clock an x86-64 core is sold at";
  }
  if (b.max_mhz > kHighestX86ClockMhz) {
    b.max_mhz = kHighestX86ClockMhz;
    b.basis += ", capped at " + mhz_text(kHighestX86ClockMhz) + " (no x86-64 core runs faster)";
  }
  b.min_mhz = base ? std::max(200.0, *base / 5) : 200.0;
  b.basis +=
      base ? (stated_max ? "; down to a fifth of the " + base_basis : "; down to a fifth of it")
           : "; down to 200 MHz";
  return b;
}

void record_clock_reading(results::Host& host, const ClockReading& reading) {
  host.clock_under_load_readings_mhz.push_back(reading.add_mhz);
  host.clock_cross_check_readings_mhz.push_back(reading.imul_mhz);
  host.clock_under_load_mhz = std::max(host.clock_under_load_mhz.value_or(0), reading.add_mhz);
  host.clock_untrusted = results::clock_untrusted_reason(host);
}

void read_clock(results::Host& host) {
  const auto reading = measure_clock_under_load(static_cast<unsigned>(std::max(1, host.cores)));
  if (!reading) return;
  if (!host.clock_bounds_mhz) host.clock_bounds_mhz = clock_bounds(read_stated_clock());
  record_clock_reading(host, *reading);
}

results::ExecutionUnit vector_unit_from_probe(std::string name, std::string dtype, double measured,
                                              double ops_per_instruction, int max_pipes,
                                              const std::string& what) {
  // The pipes are the nearest count the reading allows, split low (a core
  // with p pipes from 0.55 x p instructions per cycle up): a two-pipe core
  // whose clock drops under wide vectors (up to ~26 % on Skylake-SP's
  // AVX-512 licence) reads well under 2, and taking it for one pipe would
  // halve the theoretical peak and double every ratio; taking a one-pipe
  // core for two only makes ratios look worse.
  const double per_cycle = measured / ops_per_instruction;
  const int pipes = std::clamp(int(std::floor(per_cycle / 0.55)), 1, std::max(1, max_pipes));
  results::ExecutionUnit u;
  u.name = std::move(name);
  u.dtype = std::move(dtype);
  u.measured_ops_per_cycle = measured;
  u.ops_per_cycle = pipes * ops_per_instruction;
  char text[400];
  std::snprintf(text, sizeof text,
                "%s: %.1f ops per cycle per core measured against the add chain, %.2f "
                "instructions per cycle, taken as %d pipe(s) x %.0f ops",
                what.c_str(), measured, per_cycle, pipes, ops_per_instruction);
  u.basis = text;
  return u;
}

std::vector<CpuUnitProbe> cpu_unit_probes() {
  return detail::unit_probes();
}

std::string amx_unavailable_reason() {
#if defined(__x86_64__)
  return detail::amx_unavailable_reason();
#else
  return "not an x86-64 CPU";
#endif
}

std::optional<CpuPeakRates> measure_cpu_peak_rates(unsigned threads) {
#if defined(__x86_64__)
  const auto probes = detail::unit_probes();
  if (probes.empty()) return std::nullopt;
  CpuPeakRates r;
  for (const auto& p : probes) {
    const double measured = median_ops_per_cycle(threads, p.window);
    if (!(measured > 0)) continue;
    if (p.documented_ops_per_cycle > 0) {
      // A matrix unit's rate is what its vendor documents per core; the
      // probe is printed beside it so a slow one shows.
      results::ExecutionUnit u{p.name, p.dtype, p.documented_ops_per_cycle, measured, ""};
      char text[400];
      std::snprintf(text, sizeof text,
                    "%s: %.0f ops per cycle per core as documented; the probe read %.1f (%.2f "
                    "of it)",
                    p.what.c_str(), p.documented_ops_per_cycle, measured,
                    measured / p.documented_ops_per_cycle);
      u.basis = text;
      r.units.push_back(std::move(u));
    } else {
      r.units.push_back(vector_unit_from_probe(p.name, p.dtype, measured, p.ops_per_instruction,
                                               p.max_pipes, p.what));
    }
  }
  if (r.units.empty()) return std::nullopt;
  for (const auto& u : r.units) {
    auto& best = r.ops_per_cycle[u.dtype];
    best = std::max(best, u.ops_per_cycle);
  }
  for (const auto& [dtype, ops] : r.ops_per_cycle)
    for (const auto& u : r.units)
      if (u.dtype == dtype && u.ops_per_cycle == ops) {
        char text[96];
        std::snprintf(text, sizeof text, "%s%s %.0f from %s", r.basis.empty() ? "" : "; ",
                      dtype.c_str(), ops, u.name.c_str());
        r.basis += text;
        break;
      }
  if (const std::string why = detail::amx_unavailable_reason(); !why.empty())
    r.basis += "; no AMX: " + why;
  return r;
#else
  (void)threads;
  return std::nullopt;
#endif
}

}  // namespace chipcert::harness
