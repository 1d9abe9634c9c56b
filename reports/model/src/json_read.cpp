// JSON -> model, strictly: exact types, every required field, no unknown
// field, no duplicate key, cross-references checked. Every failure is a
// ParseError "<source>: <pointer>: expected <what>, found <what>".

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chipcert/results/json.hpp"
#include "json_internal.hpp"

namespace chipcert::results {

using nlohmann::json;

namespace {

using detail::child;
using detail::describe;
using detail::fail;

// ---------------------------------------------------------------------------
// Typed scalar readers. `what` is the expectation as the message states it.

std::string read_string(const json& j, std::string_view src, const std::string& ptr) {
  if (!j.is_string()) fail(src, ptr, "a string", describe(j));
  return j.get<std::string>();
}

bool read_bool(const json& j, std::string_view src, const std::string& ptr) {
  if (!j.is_boolean()) fail(src, ptr, "a boolean", describe(j));
  return j.get<bool>();
}

uint64_t read_u64(const json& j, std::string_view src, const std::string& ptr,
                  uint64_t max = std::numeric_limits<uint64_t>::max()) {
  // nlohmann stores every non-negative integer literal as number_unsigned.
  if (!j.is_number_unsigned() || j.get<uint64_t>() > max) {
    fail(src, ptr, "an integer in [0, " + std::to_string(max) + "]", describe(j));
  }
  return j.get<uint64_t>();
}

int read_int(const json& j, std::string_view src, const std::string& ptr, int min) {
  constexpr int64_t kMax = std::numeric_limits<int>::max();
  const bool ok = (j.is_number_unsigned() && j.get<uint64_t>() <= static_cast<uint64_t>(kMax)) ||
                  (j.is_number_integer() && !j.is_number_unsigned() && j.get<int64_t>() >= min);
  if (!ok) {
    fail(src, ptr, "an integer in [" + std::to_string(min) + ", " + std::to_string(kMax) + "]",
         describe(j));
  }
  return static_cast<int>(j.get<int64_t>());
}

enum class Sign { Any, NonNegative };

double read_double(const json& j, std::string_view src, const std::string& ptr,
                   Sign sign = Sign::NonNegative) {
  const char* what = sign == Sign::Any ? "a finite number" : "a non-negative finite number";
  if (!j.is_number()) fail(src, ptr, what, describe(j));
  const double d = j.get<double>();
  if (!std::isfinite(d) || (sign == Sign::NonNegative && d < 0)) fail(src, ptr, what, describe(j));
  return d;
}

std::string read_enum(const json& j, std::string_view src, const std::string& ptr,
                      std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) list += (list.empty() ? "\"" : ", \"") + std::string(a) + "\"";
  if (!j.is_string()) fail(src, ptr, "one of " + list, describe(j));
  const auto& s = j.get_ref<const std::string&>();
  for (const char* a : allowed) {
    if (s == a) return s;
  }
  fail(src, ptr, "one of " + list, describe(j));
}

// ---------------------------------------------------------------------------
// Strict object access: unknown keys are rejected up front, then each
// required field is fetched by name (missing -> error naming it).

class Obj {
 public:
  Obj(const json& j, std::string_view src, std::string ptr, const char* what,
      std::initializer_list<std::string_view> known)
      : j_(j), src_(src), ptr_(std::move(ptr)) {
    if (!j.is_object()) fail(src_, ptr_, std::string(what) + " (an object)", describe(j));
    for (const auto& [key, value] : j.items()) {
      bool found = false;
      for (auto k : known) found = found || k == key;
      if (!found) {
        std::string names;
        for (auto k : known) names += (names.empty() ? "" : ", ") + std::string(k);
        fail(src_, child(ptr_, key),
             "one of the fields of " + std::string(what) + " (" + names + ")",
             "unknown field " + detail::quote_short(key));
      }
    }
  }

  /// The member `key`, which must be present. `expect` describes it for the message.
  const json& at(std::string_view key, const char* expect) const {
    auto it = j_.find(key);
    if (it == j_.end()) fail(src_, ptr(key), std::string(expect) + " (required field)", "nothing");
    return *it;
  }
  const json* optional(std::string_view key) const {
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }
  std::string ptr(std::string_view key) const { return child(ptr_, key); }
  std::string_view src() const { return src_; }

  std::string str(std::string_view key) const {
    return read_string(at(key, "a string"), src_, ptr(key));
  }
  bool boolean(std::string_view key) const {
    return read_bool(at(key, "a boolean"), src_, ptr(key));
  }
  uint64_t u64(std::string_view key, uint64_t max = std::numeric_limits<uint64_t>::max()) const {
    return read_u64(at(key, "an integer"), src_, ptr(key), max);
  }
  int i32(std::string_view key, int min = 0) const {
    return read_int(at(key, "an integer"), src_, ptr(key), min);
  }
  double num(std::string_view key, Sign sign = Sign::NonNegative) const {
    return read_double(at(key, "a number"), src_, ptr(key), sign);
  }
  const json& array(std::string_view key) const {
    const json& a = at(key, "an array");
    if (!a.is_array()) fail(src_, ptr(key), "an array", describe(a));
    return a;
  }
  const json& object(std::string_view key) const {
    const json& o = at(key, "an object");
    if (!o.is_object()) fail(src_, ptr(key), "an object", describe(o));
    return o;
  }
  std::vector<std::string> strings(std::string_view key) const {
    const json& a = array(key);
    std::vector<std::string> out;
    out.reserve(a.size());
    for (std::size_t i = 0; i < a.size(); ++i)
      out.push_back(read_string(a[i], src_, child(ptr(key), i)));
    return out;
  }

 private:
  const json& j_;
  std::string_view src_;
  std::string ptr_;
};

SuiteRef suite_from(const json& j, std::string_view src, const std::string& ptr) {
  Obj o(j, src, ptr, "a suite", {"name", "version"});
  return {o.str("name"), o.str("version")};
}

Cache cache_from(const json& j, std::string_view src, const std::string& ptr) {
  Obj o(j, src, ptr, "a cache", {"level", "type", "size_bytes", "count"});
  Cache c;
  c.level = o.i32("level");
  c.type = o.str("type");
  c.size_bytes = o.u64("size_bytes");
  c.count = o.i32("count");
  return c;
}

bool is_dtype_name(const std::string& d) {
  return d == "fp64" || d == "fp32" || d == "bf16" || d == "fp16" || d == "tf32" || d == "int8";
}

ClockBounds clock_bounds_from(const json& j, std::string_view src, const std::string& ptr) {
  Obj o(j, src, ptr, "clock bounds", {"min_mhz", "max_mhz", "basis"});
  ClockBounds b{o.num("min_mhz"), o.num("max_mhz"), o.str("basis")};
  if (!(b.max_mhz > b.min_mhz))
    fail(src, o.ptr("max_mhz"), "a bound above min_mhz (" + json(b.min_mhz).dump() + ")",
         json(b.max_mhz).dump());
  return b;
}

ExecutionUnit unit_from(const json& j, std::string_view src, const std::string& ptr) {
  Obj o(j, src, ptr, "an execution unit",
        {"name", "dtype", "ops_per_cycle", "measured_ops_per_cycle", "basis"});
  ExecutionUnit u;
  u.name = o.str("name");
  if (u.name.empty()) fail(src, o.ptr("name"), "a unit name", "an empty string");
  u.dtype = o.str("dtype");
  if (!is_dtype_name(u.dtype) || u.dtype == "tf32")
    fail(src, o.ptr("dtype"), "a dtype: fp64, fp32, fp16, bf16 or int8",
         detail::quote_short(u.dtype));
  u.ops_per_cycle = o.num("ops_per_cycle");
  if (u.ops_per_cycle <= 0)
    fail(src, o.ptr("ops_per_cycle"), "ops per cycle above 0", json(u.ops_per_cycle).dump());
  u.measured_ops_per_cycle = o.num("measured_ops_per_cycle");
  u.basis = o.str("basis");
  return u;
}

Host host_from(const json& j, std::string_view src, const std::string& ptr) {
  Obj o(j, src, ptr, "a host",
        {"cpu_vendor",
         "cpu_model",
         "packages",
         "cores",
         "pus",
         "numa_nodes",
         "memory_bytes",
         "caches",
         "os",
         "kernel",
         "arch",
         "hostname",
         "clock_under_load_mhz",
         "clock_under_load_readings_mhz",
         "clock_cross_check_readings_mhz",
         "clock_bounds_mhz",
         "clock_untrusted",
         "peak_ops_per_cycle_per_core",
         "peak_basis",
         "execution_units"});
  Host h;
  h.cpu_vendor = o.str("cpu_vendor");
  h.cpu_model = o.str("cpu_model");
  h.packages = o.i32("packages");
  h.cores = o.i32("cores");
  h.pus = o.i32("pus");
  h.numa_nodes = o.i32("numa_nodes");
  h.memory_bytes = o.u64("memory_bytes");
  const json& caches = o.array("caches");
  for (std::size_t i = 0; i < caches.size(); ++i) {
    h.caches.push_back(cache_from(caches[i], src, child(o.ptr("caches"), i)));
  }
  h.os = o.str("os");
  h.kernel = o.str("kernel");
  h.arch = o.str("arch");
  h.hostname = o.str("hostname");
  const auto read_mhz = [&](const json& v, const std::string& at) {
    const double mhz = read_double(v, src, at);
    if (mhz <= 0) fail(src, at, "a clock in MHz above 0", describe(v));
    return mhz;
  };
  if (const json* v = o.optional("clock_under_load_mhz"))
    h.clock_under_load_mhz = read_mhz(*v, o.ptr("clock_under_load_mhz"));
  if (o.optional("clock_under_load_readings_mhz")) {
    const json& readings = o.array("clock_under_load_readings_mhz");
    for (std::size_t i = 0; i < readings.size(); ++i)
      h.clock_under_load_readings_mhz.push_back(
          read_mhz(readings[i], child(o.ptr("clock_under_load_readings_mhz"), i)));
    // The recorded clock is the highest reading; a document saying otherwise
    // was edited or written by something else.
    if (!h.clock_under_load_readings_mhz.empty()) {
      const double top = *std::max_element(h.clock_under_load_readings_mhz.begin(),
                                           h.clock_under_load_readings_mhz.end());
      if (!h.clock_under_load_mhz || *h.clock_under_load_mhz != top)
        fail(src, o.ptr("clock_under_load_mhz"),
             "the highest of clock_under_load_readings_mhz (" + json(top).dump() + ")",
             h.clock_under_load_mhz ? json(*h.clock_under_load_mhz).dump() : "nothing");
    }
  }
  if (o.optional("clock_cross_check_readings_mhz")) {
    const json& readings = o.array("clock_cross_check_readings_mhz");
    for (std::size_t i = 0; i < readings.size(); ++i)
      h.clock_cross_check_readings_mhz.push_back(
          read_mhz(readings[i], child(o.ptr("clock_cross_check_readings_mhz"), i)));
  }
  if (const json* v = o.optional("clock_bounds_mhz"))
    h.clock_bounds_mhz = clock_bounds_from(*v, src, o.ptr("clock_bounds_mhz"));
  if (o.optional("clock_untrusted")) h.clock_untrusted = o.str("clock_untrusted");
  // Whether the clock is believed follows from the readings and the bounds;
  // a document saying otherwise was edited or written by something else.
  // Documents from before the cross-check carry neither field: they still
  // read, and no theoretical peak is computed from their clock.
  const bool checked = !h.clock_cross_check_readings_mhz.empty() || !h.clock_untrusted.empty();
  if (const std::string reason = clock_untrusted_reason(h);
      checked && reason.empty() != h.clock_untrusted.empty())
    fail(src, o.ptr("clock_untrusted"),
         reason.empty() ? std::string("nothing: the readings and bounds give no reason to doubt "
                                      "the clock")
                        : "the reason the readings give: " + reason,
         h.clock_untrusted.empty() ? "nothing" : detail::quote_short(h.clock_untrusted));
  if (o.optional("peak_ops_per_cycle_per_core")) {
    const json& rates = o.object("peak_ops_per_cycle_per_core");
    const std::string at = o.ptr("peak_ops_per_cycle_per_core");
    for (const auto& [dtype, v] : rates.items()) {
      if (!is_dtype_name(dtype))
        fail(src, child(at, dtype), "a dtype: fp64, fp32, tf32, fp16, bf16 or int8",
             "\"" + dtype + "\"");
      const double ops = read_double(v, src, child(at, dtype));
      if (ops <= 0) fail(src, child(at, dtype), "ops per cycle above 0", describe(v));
      h.peak_ops_per_cycle_per_core[dtype] = ops;
    }
    h.peak_basis = o.str("peak_basis");
  } else if (o.optional("peak_basis")) {
    fail(src, o.ptr("peak_ops_per_cycle_per_core"), "an object beside peak_basis", "nothing");
  }
  if (o.optional("execution_units")) {
    const json& units = o.array("execution_units");
    for (std::size_t i = 0; i < units.size(); ++i)
      h.execution_units.push_back(unit_from(units[i], src, child(o.ptr("execution_units"), i)));
    // The per-dtype peak is the fastest unit of that dtype, nothing else.
    const std::string at = o.ptr("peak_ops_per_cycle_per_core");
    for (const auto& u : h.execution_units) {
      const ExecutionUnit* best = fastest_unit(h, u.dtype);
      const auto it = h.peak_ops_per_cycle_per_core.find(u.dtype);
      if (it == h.peak_ops_per_cycle_per_core.end() || it->second != best->ops_per_cycle)
        fail(src, child(at, u.dtype),
             "the fastest " + u.dtype + " execution unit's figure (" + best->name + ", " +
                 json(best->ops_per_cycle).dump() + ")",
             it == h.peak_ops_per_cycle_per_core.end() ? "nothing" : json(it->second).dump());
    }
    for (const auto& [dtype, ops] : h.peak_ops_per_cycle_per_core)
      if (!fastest_unit(h, dtype))
        fail(src, o.ptr("execution_units"), "a " + dtype + " unit behind " + child(at, dtype),
             "none");
  }
  return h;
}

Device device_from(const json& j, std::string_view src, const std::string& ptr) {
  Obj o(j, src, ptr, "a device",
        {"id", "driver", "driver_version", "driver_source", "kind", "vendor", "name",
         "runtime_version", "uuid", "serial", "pci_bus_id", "numa_node", "memory_bytes",
         "compute_units", "clock_mhz", "dtypes", "fleet_rank"});
  constexpr uint64_t kU32 = std::numeric_limits<uint32_t>::max();
  Device d;
  d.id = o.str("id");
  if (d.id.empty()) fail(src, o.ptr("id"), "a non-empty device id", "empty string");
  d.driver = o.str("driver");
  d.driver_version = o.str("driver_version");
  d.driver_source = o.str("driver_source");
  d.kind = read_enum(o.at("kind", "a string"), src, o.ptr("kind"),
                     {"cpu", "gpu", "accelerator", "other"});
  d.vendor = o.str("vendor");
  d.name = o.str("name");
  d.runtime_version = o.str("runtime_version");
  d.uuid = o.str("uuid");
  d.serial = o.str("serial");
  d.pci_bus_id = o.str("pci_bus_id");
  d.numa_node = o.i32("numa_node", -1);
  d.memory_bytes = o.u64("memory_bytes");
  d.compute_units = static_cast<uint32_t>(o.u64("compute_units", kU32));
  d.clock_mhz = static_cast<uint32_t>(o.u64("clock_mhz", kU32));
  d.dtypes = o.strings("dtypes");
  if (const json* v = o.optional("fleet_rank"))
    d.fleet_rank = read_int(*v, src, o.ptr("fleet_rank"), 0);
  return d;
}

// The fleet section: its frame is checked here (what every consumer relies
// on: the nodes and their statuses); collectives and stragglers are free-form
// objects checked by the schema.
json fleet_from(const json& j, std::string_view src, const std::string& ptr) {
  Obj o(j, src, ptr, "a fleet section",
        {"ranks", "placement", "nodes", "totals", "collectives", "stragglers", "straggler_margin"});
  const uint64_t ranks = o.u64("ranks");
  (void)read_enum(o.at("placement", "a string"), src, o.ptr("placement"), {"node", "device"});
  const json& nodes = o.array("nodes");
  if (nodes.size() != ranks)
    fail(src, o.ptr("nodes"), "one node per rank (" + std::to_string(ranks) + ")",
         "array of " + std::to_string(nodes.size()));
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const std::string np = child(o.ptr("nodes"), i);
    Obj n(nodes[i], src, np, "a fleet node",
          {"rank", "hostname", "status", "reason", "run_id", "host", "devices", "cases"});
    if (n.u64("rank") != i)
      fail(src, n.ptr("rank"), "rank " + std::to_string(i), describe(n.at("rank", "")));
    (void)n.str("hostname");
    (void)read_enum(n.at("status", "a string"), src, n.ptr("status"),
                    {"ok", "partial", "missing", "failed"});
    (void)n.str("reason");
    (void)n.strings("devices");
    (void)n.u64("cases");
  }
  (void)o.object("totals");
  if (const json* c = o.optional("collectives"); c && !c->is_array())
    fail(src, o.ptr("collectives"), "an array", describe(*c));
  if (const json* s = o.optional("stragglers"); s && !s->is_array())
    fail(src, o.ptr("stragglers"), "an array", describe(*s));
  if (const json* m = o.optional("straggler_margin"))
    (void)read_double(*m, src, o.ptr("straggler_margin"));
  return j;
}

Statistics statistics_from(const json& j, std::string_view src, const std::string& ptr) {
  Obj o(j, src, ptr, "statistics",
        {"n", "min", "median", "mean", "max", "stddev", "cv", "p90", "p99"});
  Statistics s;
  s.n = o.u64("n");
  s.min = o.num("min");
  s.median = o.num("median");
  s.mean = o.num("mean");
  s.max = o.num("max");
  s.stddev = o.num("stddev");
  s.cv = o.num("cv");
  s.p90 = o.num("p90");
  s.p99 = o.num("p99");
  return s;
}

Rates rates_from(const json& j, std::string_view src, const std::string& ptr) {
  Obj o(j, src, ptr, "rates", {"flop_per_s", "bytes_per_s", "items_per_s"});
  Rates r;
  if (const json* v = o.optional("flop_per_s"))
    r.flop_per_s = read_double(*v, src, o.ptr("flop_per_s"));
  if (const json* v = o.optional("bytes_per_s"))
    r.bytes_per_s = read_double(*v, src, o.ptr("bytes_per_s"));
  if (const json* v = o.optional("items_per_s"))
    r.items_per_s = read_double(*v, src, o.ptr("items_per_s"));
  return r;
}

Verification verification_from(const json& j, std::string_view src, const std::string& ptr) {
  Obj o(j, src, ptr, "a verification",
        {"passed", "method", "tolerance", "checked", "mismatches", "max_abs_error", "max_rel_error",
         "zero_fraction", "first_mismatches"});
  Verification v;
  v.passed = o.boolean("passed");
  v.method = o.str("method");
  v.tolerance = o.str("tolerance");
  v.checked = o.u64("checked");
  v.mismatches = o.u64("mismatches");
  v.max_abs_error = o.num("max_abs_error");
  v.max_rel_error = o.num("max_rel_error");
  v.zero_fraction = o.num("zero_fraction");
  if (v.zero_fraction > 1) {
    fail(src, o.ptr("zero_fraction"), "a fraction in [0, 1]", describe(o.at("zero_fraction", "")));
  }
  const json& ms = o.array("first_mismatches");
  for (std::size_t i = 0; i < ms.size(); ++i) {
    Obj m(ms[i], src, child(o.ptr("first_mismatches"), i), "a mismatch",
          {"index", "expected", "actual"});
    v.first_mismatches.push_back(
        {m.u64("index"), m.num("expected", Sign::Any), m.num("actual", Sign::Any)});
  }
  return v;
}

SensorRange sensor_range_from(const json& j, std::string_view src, const std::string& ptr,
                              Sign sign) {
  Obj o(j, src, ptr, "a sensor range", {"min", "median", "max"});
  SensorRange r{o.num("min", sign), o.num("median", sign), o.num("max", sign)};
  if (!(r.min <= r.median && r.median <= r.max))
    fail(src, ptr, "min <= median <= max",
         std::to_string(r.min) + ", " + std::to_string(r.median) + ", " + std::to_string(r.max));
  return r;
}

SensorSummary sensors_from(const json& j, std::string_view src, const std::string& ptr) {
  Obj o(j, src, ptr, "sensor readings", {"readings", "power_w", "temperature_c", "clock_mhz"});
  SensorSummary s;
  s.readings = o.u64("readings");
  if (s.readings == 0) fail(src, o.ptr("readings"), "at least 1 reading", "0");
  if (const json* v = o.optional("power_w"))
    s.power_w = sensor_range_from(*v, src, o.ptr("power_w"), Sign::NonNegative);
  if (const json* v = o.optional("temperature_c"))
    s.temperature_c = sensor_range_from(*v, src, o.ptr("temperature_c"), Sign::Any);
  if (const json* v = o.optional("clock_mhz"))
    s.clock_mhz = sensor_range_from(*v, src, o.ptr("clock_mhz"), Sign::NonNegative);
  return s;
}

Provenance provenance_from(const json& j, std::string_view src, const std::string& ptr) {
  Obj o(j, src, ptr, "a provenance",
        {"chipcert_version", "git_commit", "dirty", "compiler", "build_type", "cxx_flags",
         "binary_sha256", "command_line"});
  Provenance p;
  p.chipcert_version = o.str("chipcert_version");
  p.git_commit = o.str("git_commit");
  p.dirty = o.boolean("dirty");
  p.compiler = o.str("compiler");
  p.build_type = o.str("build_type");
  p.cxx_flags = o.str("cxx_flags");
  p.binary_sha256 = o.str("binary_sha256");
  p.command_line = o.strings("command_line");
  return p;
}

DriverProblem driver_problem_from(const json& j, std::string_view src, const std::string& ptr) {
  Obj o(j, src, ptr, "a driver problem", {"source", "reason"});
  return {o.str("source"), o.str("reason")};
}

}  // namespace

Case case_from_json(const json& j, std::string_view src, const std::string& ptr) {
  Obj o(j, src, ptr, "a case",
        {"id", "device", "workload", "category", "parameters", "dtype", "status", "reason", "timer",
         "samples", "iterations", "statistics", "rates", "flop", "bytes", "verification", "details",
         "sensors", "host_peak_rss_bytes"});
  Case c;
  c.id = o.str("id");
  if (c.id.empty()) fail(src, o.ptr("id"), "a non-empty case id", "empty string");
  c.device = o.str("device");
  c.workload = o.str("workload");
  c.category = o.str("category");
  c.parameters = o.object("parameters");
  c.dtype = o.str("dtype");
  const json& status = o.at("status", "a status string");
  const std::optional<Status> st =
      status.is_string() ? status_from_string(status.get<std::string>()) : std::nullopt;
  if (!st) {
    fail(src, o.ptr("status"),
         "one of \"passed\", \"failed\", \"mistrusted\", \"unsupported\", \"skipped\", \"error\", "
         "\"timed_out\"",
         describe(status));
  }
  c.status = *st;
  c.reason = o.str("reason");
  c.timer = read_enum(o.at("timer", "a string"), src, o.ptr("timer"), {"device", "host", ""});
  const json& samples = o.array("samples");
  c.samples.reserve(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    c.samples.push_back(read_double(samples[i], src, child(o.ptr("samples"), i)));
  }
  c.iterations = o.u64("iterations");
  if (const json* s = o.optional("statistics"))
    c.statistics = statistics_from(*s, src, o.ptr("statistics"));
  c.rates = rates_from(o.at("rates", "an object"), src, o.ptr("rates"));
  c.flop = o.num("flop");
  c.bytes = o.num("bytes");
  if (const json* v = o.optional("verification")) {
    c.verification = verification_from(*v, src, o.ptr("verification"));
  }
  c.details = o.object("details");
  if (const json* s = o.optional("sensors")) c.sensors = sensors_from(*s, src, o.ptr("sensors"));
  if (o.optional("host_peak_rss_bytes")) c.host_peak_rss_bytes = o.u64("host_peak_rss_bytes");
  return c;
}

Document document_from_json(const json& j, std::string_view src) {
  // The version is checked before anything else: a newer document should be
  // reported as "unsupported version", not as a pile of unknown fields.
  if (!j.is_object()) fail(src, "", "a results document (an object)", describe(j));
  auto version = j.find("schema_version");
  if (version == j.end() || !version->is_string() || *version != kSchemaVersion) {
    fail(src, "/schema_version",
         "schema_version \"" + std::string(kSchemaVersion) + "\" (this reader supports version " +
             kSchemaVersion + " only)",
         version == j.end() ? "nothing" : describe(*version));
  }
  Obj o(j, src, "", "a results document",
        {"schema_version", "run_id", "started_at", "finished_at", "suite", "seed", "resumed",
         "host", "devices", "cases", "driver_problems", "provenance", "fleet"});
  Document d;
  d.schema_version = o.str("schema_version");
  d.run_id = o.str("run_id");
  d.started_at = o.str("started_at");
  d.finished_at = o.str("finished_at");
  d.suite = suite_from(o.at("suite", "an object"), src, "/suite");
  d.seed = o.u64("seed");
  d.resumed = o.boolean("resumed");
  d.host = host_from(o.at("host", "an object"), src, "/host");

  std::map<std::string, std::size_t> device_index;
  const json& devices = o.array("devices");
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const std::string ptr = child("/devices", i);
    d.devices.push_back(device_from(devices[i], src, ptr));
    const auto [it, fresh] = device_index.emplace(d.devices.back().id, i);
    if (!fresh) {
      fail(src, ptr + "/id", "a device id unique in the document",
           detail::quote_short(it->first) + ", already used by /devices/" +
               std::to_string(it->second));
    }
  }

  std::map<std::string, std::size_t> case_index;
  const json& cases = o.array("cases");
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string ptr = child("/cases", i);
    d.cases.push_back(case_from_json(cases[i], src, ptr));
    const Case& c = d.cases.back();
    const auto [it, fresh] = case_index.emplace(c.id, i);
    if (!fresh) {
      fail(src, ptr + "/id", "a case id unique in the document",
           detail::quote_short(it->first) + ", already used by /cases/" +
               std::to_string(it->second));
    }
    if (!device_index.contains(c.device)) {
      std::string ids;
      for (const auto& [id, idx] : device_index)
        ids += (ids.empty() ? "" : ", ") + detail::quote_short(id);
      fail(src, ptr + "/device",
           ids.empty() ? std::string("the id of a device in /devices (there are none)")
                       : "the id of a device in /devices (" + ids + ")",
           detail::quote_short(c.device));
    }
  }

  const json& problems = o.array("driver_problems");
  for (std::size_t i = 0; i < problems.size(); ++i) {
    d.driver_problems.push_back(
        driver_problem_from(problems[i], src, child("/driver_problems", i)));
  }
  d.provenance = provenance_from(o.at("provenance", "an object"), src, "/provenance");
  if (const json* f = o.optional("fleet")) d.fleet = fleet_from(*f, src, "/fleet");
  return d;
}

}  // namespace chipcert::results
