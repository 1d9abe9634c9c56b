// Model -> JSON. Every writer goes through check_writable() so that nothing
// JSON cannot carry (NaN, infinity, broken UTF-8) is ever silently turned into
// null or an exception deep inside dump().

#include <cmath>
#include <stdexcept>
#include <string>

#include "chipcert/results/json.hpp"
#include "json_internal.hpp"

namespace chipcert::results {
namespace {

using nlohmann::json;

void check_writable(const json& j, const std::string& pointer, std::size_t depth) {
  switch (j.type()) {
    case json::value_t::number_float:
      if (!std::isfinite(j.get<double>())) {
        throw std::invalid_argument(
            "results: cannot write " + (pointer.empty() ? "(root)" : pointer) + ": " +
            (std::isnan(j.get<double>()) ? "NaN" : "infinity") + " cannot be represented in JSON");
      }
      return;
    case json::value_t::string:
      if (!detail::valid_utf8(j.get_ref<const std::string&>())) {
        throw std::invalid_argument("results: cannot write " + pointer +
                                    ": string is not valid UTF-8");
      }
      return;
    case json::value_t::array:
    case json::value_t::object:
      if (depth >= detail::kMaxDepth) {
        throw std::invalid_argument("results: cannot write " + pointer + ": nested deeper than " +
                                    std::to_string(detail::kMaxDepth) + " levels");
      }
      if (j.is_array()) {
        for (std::size_t i = 0; i < j.size(); ++i) {
          check_writable(j[i], detail::child(pointer, i), depth + 1);
        }
      } else {
        for (const auto& [key, value] : j.items()) {
          const std::string where = detail::child(pointer, key);
          if (!detail::valid_utf8(key)) {
            throw std::invalid_argument("results: cannot write " + where +
                                        ": key is not valid UTF-8");
          }
          check_writable(value, where, depth + 1);
        }
      }
      return;
    default:
      return;
  }
}

json build(const SuiteRef& s) {
  return {{"name", s.name}, {"version", s.version}};
}

json build(const Cache& c) {
  return {{"level", c.level}, {"type", c.type}, {"size_bytes", c.size_bytes}, {"count", c.count}};
}

json build(const Host& h) {
  json caches = json::array();
  for (const auto& c : h.caches) caches.push_back(build(c));
  json j = {{"cpu_vendor", h.cpu_vendor},
            {"cpu_model", h.cpu_model},
            {"packages", h.packages},
            {"cores", h.cores},
            {"pus", h.pus},
            {"numa_nodes", h.numa_nodes},
            {"memory_bytes", h.memory_bytes},
            {"caches", std::move(caches)},
            {"os", h.os},
            {"kernel", h.kernel},
            {"arch", h.arch},
            {"hostname", h.hostname}};
  if (h.clock_under_load_mhz) j["clock_under_load_mhz"] = *h.clock_under_load_mhz;
  if (!h.clock_under_load_readings_mhz.empty())
    j["clock_under_load_readings_mhz"] = h.clock_under_load_readings_mhz;
  if (!h.clock_cross_check_readings_mhz.empty())
    j["clock_cross_check_readings_mhz"] = h.clock_cross_check_readings_mhz;
  if (h.clock_bounds_mhz)
    j["clock_bounds_mhz"] = {{"min_mhz", h.clock_bounds_mhz->min_mhz},
                             {"max_mhz", h.clock_bounds_mhz->max_mhz},
                             {"basis", h.clock_bounds_mhz->basis}};
  if (!h.clock_untrusted.empty()) j["clock_untrusted"] = h.clock_untrusted;
  if (!h.peak_ops_per_cycle_per_core.empty()) {
    j["peak_ops_per_cycle_per_core"] = h.peak_ops_per_cycle_per_core;
    j["peak_basis"] = h.peak_basis;
  }
  if (!h.execution_units.empty()) {
    json units = json::array();
    for (const auto& u : h.execution_units)
      units.push_back({{"name", u.name},
                       {"dtype", u.dtype},
                       {"ops_per_cycle", u.ops_per_cycle},
                       {"measured_ops_per_cycle", u.measured_ops_per_cycle},
                       {"basis", u.basis}});
    j["execution_units"] = std::move(units);
  }
  return j;
}

json build(const Device& d) {
  json j = {{"id", d.id},
            {"driver", d.driver},
            {"driver_version", d.driver_version},
            {"driver_source", d.driver_source},
            {"kind", d.kind},
            {"vendor", d.vendor},
            {"name", d.name},
            {"runtime_version", d.runtime_version},
            {"uuid", d.uuid},
            {"serial", d.serial},
            {"pci_bus_id", d.pci_bus_id},
            {"numa_node", d.numa_node},
            {"memory_bytes", d.memory_bytes},
            {"compute_units", d.compute_units},
            {"clock_mhz", d.clock_mhz},
            {"dtypes", d.dtypes}};
  if (d.fleet_rank) j["fleet_rank"] = *d.fleet_rank;
  return j;
}

json build(const Statistics& s) {
  return {{"n", s.n},       {"min", s.min}, {"median", s.median},
          {"mean", s.mean}, {"max", s.max}, {"stddev", s.stddev},
          {"cv", s.cv},     {"p90", s.p90}, {"p99", s.p99}};
}

json build(const Rates& r) {
  json j = json::object();
  if (r.flop_per_s) j["flop_per_s"] = *r.flop_per_s;
  if (r.bytes_per_s) j["bytes_per_s"] = *r.bytes_per_s;
  if (r.items_per_s) j["items_per_s"] = *r.items_per_s;
  return j;
}

json build(const Verification& v) {
  json mismatches = json::array();
  for (const auto& m : v.first_mismatches) {
    mismatches.push_back({{"index", m.index}, {"expected", m.expected}, {"actual", m.actual}});
  }
  return {{"passed", v.passed},
          {"method", v.method},
          {"tolerance", v.tolerance},
          {"checked", v.checked},
          {"mismatches", v.mismatches},
          {"max_abs_error", v.max_abs_error},
          {"max_rel_error", v.max_rel_error},
          {"zero_fraction", v.zero_fraction},
          {"first_mismatches", std::move(mismatches)}};
}

json build(const SensorRange& r) {
  return {{"min", r.min}, {"median", r.median}, {"max", r.max}};
}

json build(const SensorSummary& s) {
  json j = {{"readings", s.readings}};
  if (s.power_w) j["power_w"] = build(*s.power_w);
  if (s.temperature_c) j["temperature_c"] = build(*s.temperature_c);
  if (s.clock_mhz) j["clock_mhz"] = build(*s.clock_mhz);
  return j;
}

json build(const Case& c) {
  json j = {{"id", c.id},
            {"device", c.device},
            {"workload", c.workload},
            {"category", c.category},
            {"parameters", c.parameters},
            {"dtype", c.dtype},
            {"status", to_string(c.status)},
            {"reason", c.reason},
            {"timer", c.timer},
            {"samples", c.samples},
            {"iterations", c.iterations},
            {"rates", build(c.rates)},
            {"flop", c.flop},
            {"bytes", c.bytes},
            {"details", c.details}};
  if (c.statistics) j["statistics"] = build(*c.statistics);
  if (c.verification) j["verification"] = build(*c.verification);
  if (c.sensors) j["sensors"] = build(*c.sensors);
  if (c.host_peak_rss_bytes) j["host_peak_rss_bytes"] = *c.host_peak_rss_bytes;
  return j;
}

json build(const Provenance& p) {
  return {{"chipcert_version", p.chipcert_version},
          {"git_commit", p.git_commit},
          {"dirty", p.dirty},
          {"compiler", p.compiler},
          {"build_type", p.build_type},
          {"cxx_flags", p.cxx_flags},
          {"binary_sha256", p.binary_sha256},
          {"command_line", p.command_line}};
}

json build(const DriverProblem& p) {
  return {{"source", p.source}, {"reason", p.reason}};
}

json build(const Document& d) {
  json devices = json::array();
  for (const auto& dev : d.devices) devices.push_back(build(dev));
  json cases = json::array();
  for (const auto& c : d.cases) cases.push_back(build(c));
  json problems = json::array();
  for (const auto& p : d.driver_problems) problems.push_back(build(p));
  json j = {{"schema_version", d.schema_version},
            {"run_id", d.run_id},
            {"started_at", d.started_at},
            {"finished_at", d.finished_at},
            {"suite", build(d.suite)},
            {"seed", d.seed},
            {"resumed", d.resumed},
            {"host", build(d.host)},
            {"devices", std::move(devices)},
            {"cases", std::move(cases)},
            {"driver_problems", std::move(problems)},
            {"provenance", build(d.provenance)}};
  if (d.fleet) j["fleet"] = *d.fleet;
  return j;
}

template <typename T>
json checked(const T& value) {
  json j = build(value);
  check_writable(j, "", 0);
  return j;
}

}  // namespace

json to_json(const Document& doc) {
  return checked(doc);
}
json to_json(const Case& c) {
  return checked(c);
}
json to_json(const Device& d) {
  return checked(d);
}
json to_json(const Host& h) {
  return checked(h);
}

std::string dump_document(const Document& doc) {
  const json j = to_json(doc);
  // Refuse to write what a reader would refuse to read (unknown device,
  // duplicate id, negative sample, bad schema_version, ...).
  try {
    (void)document_from_json(j, "results being written");
  } catch (const ParseError& e) {
    throw std::invalid_argument(e.what());
  }
  return j.dump(2) + "\n";
}

}  // namespace chipcert::results
