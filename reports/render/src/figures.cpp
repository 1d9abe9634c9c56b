#include "figures.hpp"

#include <algorithm>

#include "chipcert/results/statistics.hpp"
#include "text.hpp"

namespace chipcert::reports::detail {

namespace {

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

void keep_best(std::optional<Measured>& slot, double v, const std::string& id, bool lower) {
  if (!slot || (lower ? v < slot->value : v > slot->value)) slot = Measured{v, id};
}

void keep_best(std::map<std::string, Measured>& m, const std::string& key, double v,
               const std::string& id) {
  auto it = m.find(key);
  if (it == m.end() || v > it->second.value) m[key] = Measured{v, id};
}

}  // namespace

std::vector<const results::Case*> cases_of(std::span<const results::Case> cases,
                                           const std::string& device_id) {
  std::vector<const results::Case*> out;
  for (const auto& c : cases)
    if (c.device == device_id) out.push_back(&c);
  return out;
}

namespace {

/// Lowest min, median of the medians and highest max of one sensor.
std::optional<results::SensorRange> sensor_span(
    const std::vector<const results::Case*>& cases,
    std::optional<results::SensorRange> results::SensorSummary::*field) {
  std::optional<results::SensorRange> span;
  std::vector<double> medians;
  for (const auto* c : cases) {
    if (!c->sensors || !((*c->sensors).*field)) continue;
    const results::SensorRange& r = *((*c->sensors).*field);
    medians.push_back(r.median);
    if (!span) span = r;
    span->min = std::min(span->min, r.min);
    span->max = std::max(span->max, r.max);
  }
  if (span) span->median = results::quantile(medians, 0.5);
  return span;
}

}  // namespace

std::string sensors_text(const DeviceFigures& f) {
  const auto range = [](const results::SensorRange& r, const char* unit) {
    return fixed(r.min, 0) + "-" + fixed(r.max, 0) + " " + unit + " (median " + fixed(r.median, 0) +
           ")";
  };
  std::string out;
  const auto add = [&](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
  if (f.power_w) add("power " + range(*f.power_w, "W"));
  if (f.temperature_c) add("up to " + fixed(f.temperature_c->max, 0) + " \u00b0C");
  if (f.clock_mhz) add("clock " + range(*f.clock_mhz, "MHz"));
  return out;
}

DeviceFigures device_figures(const std::vector<const results::Case*>& cases) {
  DeviceFigures f;
  f.power_w = sensor_span(cases, &results::SensorSummary::power_w);
  f.temperature_c = sensor_span(cases, &results::SensorSummary::temperature_c);
  f.clock_mhz = sensor_span(cases, &results::SensorSummary::clock_mhz);
  std::map<std::string, Measured> peak;
  for (const auto* c : cases) {
    if (c->status != results::Status::Passed) continue;
    const auto& r = c->rates;
    if (c->workload == "peak" && r.flop_per_s) keep_best(peak, c->dtype, *r.flop_per_s, c->id);
    if (c->workload == "gemm" && r.flop_per_s)
      keep_best(f.best_gemm, c->dtype, *r.flop_per_s, c->id);
    if (starts_with(c->workload, "stream_") && r.bytes_per_s) {
      keep_best(f.bandwidth, *r.bytes_per_s, c->id, false);
      if (c->workload == "stream_triad") keep_best(f.triad, *r.bytes_per_s, c->id, false);
    }
    if (c->workload == "launch_latency" && c->statistics)
      keep_best(f.launch_latency, c->statistics->median, c->id, true);
  }
  for (const auto& [dtype, m] : f.best_gemm) {
    f.compute_roof[dtype] = m;
    f.roof_from_peak[dtype] = false;
  }
  // A peak case is the real roof even when a GEMM measured more (it should
  // not, and a point above its roof is then visible in the chart).
  for (const auto& [dtype, m] : peak) {
    f.compute_roof[dtype] = m;
    f.roof_from_peak[dtype] = true;
  }
  return f;
}

std::string family_of(const std::string& workload) {
  if (starts_with(workload, "stream_")) return "stream";
  if (starts_with(workload, "transfer_")) return "transfer";
  return workload;
}

bool headline_is_bandwidth(const results::Case& c) {
  if (!c.rates.bytes_per_s) return false;
  if (!c.rates.flop_per_s) return true;
  return c.category == "micro" && c.flop < c.bytes;
}

std::optional<BarValue> bar_value(const results::Case& c) {
  if (c.status != results::Status::Passed) return std::nullopt;
  if (headline_is_bandwidth(c)) return BarValue{*c.rates.bytes_per_s, "B/s"};
  if (c.rates.flop_per_s) return BarValue{*c.rates.flop_per_s, "FLOP/s"};
  if (c.rates.items_per_s) return BarValue{*c.rates.items_per_s, "/s"};
  if (c.statistics) return BarValue{c.statistics->median, "s"};
  return std::nullopt;
}

std::string short_name(const results::Case& c) {
  std::string s = c.id.substr(0, c.id.rfind('@'));
  const std::string prefix = c.workload + "/";
  if (s.rfind(prefix, 0) == 0) s = s.substr(prefix.size());
  return s;
}

bool is_failure(results::Status s) {
  using S = results::Status;
  return s == S::Failed || s == S::Mistrusted || s == S::Error || s == S::TimedOut;
}

std::optional<double> cpu_theoretical_peak(const results::Host& h, const std::string& dtype) {
  const auto it = h.peak_ops_per_cycle_per_core.find(dtype);
  if (it == h.peak_ops_per_cycle_per_core.end() || !h.clock_under_load_mhz || h.cores <= 0)
    return std::nullopt;
  // A clock that the cross-check or the CPU's stated bounds refute says
  // nothing about the peak: no ratio is better than a wrong one.
  if (!results::clock_untrusted_reason(h).empty() || !h.clock_untrusted.empty())
    return std::nullopt;
  return *h.clock_under_load_mhz * 1e6 * h.cores * it->second;
}

std::optional<CpuPeakRatio> cpu_peak_ratio(const results::Host& h, const results::Device& d,
                                           const results::Case& c,
                                           const std::optional<Measured>& bandwidth) {
  if (d.kind != "cpu" || !c.rates.flop_per_s || headline_is_bandwidth(c)) return std::nullopt;
  const auto peak = cpu_theoretical_peak(h, c.dtype);
  if (!peak || *peak <= 0) return std::nullopt;
  CpuPeakRatio r;
  r.fraction = *c.rates.flop_per_s / *peak;
  if (const results::ExecutionUnit* u = results::fastest_unit(h, c.dtype)) r.unit = u->name;
  // The ridge point uses the bytes the workload must move at least; a
  // case whose data stays in cache can beat that roof, yet it is still the
  // memory system, not the FMA units, that it measures.
  if (bandwidth && bandwidth->value > 0 && c.bytes > 0 && c.flop > 0 &&
      c.flop / c.bytes < *peak / bandwidth->value) {
    r.memory_bound = true;
    r.flop_per_byte = c.flop / c.bytes;
  }
  return r;
}

std::string cpu_peak_note(const std::optional<CpuPeakRatio>& r) {
  if (!r) return {};
  if (r->memory_bound) return "memory-bound, " + fixed(r->flop_per_byte, 2) + " FLOP/B";
  // Above 1 is impossible: the recorded clock (or the per-cycle figure) is
  // low, so every ratio of the run reads high. Say so next to the figure.
  return fixed(r->fraction, 2) + " x theoretical" + (r->unit.empty() ? "" : " " + r->unit) +
         (r->fraction > 1.02 ? " (above the peak: the clock reading is low)" : "");
}

std::string cpu_theoretical_peak_text(const results::Host& h) {
  if (!h.peak_ops_per_cycle_per_core.empty() && h.clock_under_load_mhz) {
    std::string why = h.clock_untrusted;
    if (why.empty()) why = results::clock_untrusted_reason(h);
    if (!why.empty()) return "not computed: the clock reading is not trusted (" + why + ")";
  }
  std::string rates, per_cycle;
  for (const char* dtype : {"fp32", "fp64", "tf32", "fp16", "bf16", "int8"}) {
    const auto peak = cpu_theoretical_peak(h, dtype);
    if (!peak) continue;
    const bool integer = std::string(dtype) == "int8";
    const results::ExecutionUnit* unit = results::fastest_unit(h, dtype);
    rates += (rates.empty() ? "" : ", ") + std::string(dtype) + " " +
             si(*peak, integer ? "OP/s" : "FLOP/s") + (unit ? " (" + unit->name + ")" : "");
    per_cycle +=
        (per_cycle.empty() ? "" : " / ") + fixed(h.peak_ops_per_cycle_per_core.at(dtype), 0);
  }
  if (rates.empty()) return {};
  return rates + " = " + fixed(*h.clock_under_load_mhz / 1000, 2) + " GHz x " +
         std::to_string(h.cores) + " cores x " + per_cycle + " per cycle (" + h.peak_basis + ")";
}

}  // namespace chipcert::reports::detail
