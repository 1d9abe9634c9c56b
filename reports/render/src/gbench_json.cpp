// Google Benchmark's JSON output format, so that existing tooling
// (compare.py, dashboards) reads chipcert results. One "iteration" entry per
// case and repetition, then mean/median/stddev/cv aggregates as Benchmark
// writes them when repetitions > 1. Times are in ns; chipcert measures wall
// (or device) time only, so cpu_time repeats real_time.

#include <cmath>
#include <nlohmann/json.hpp>

#include "chipcert/results/statistics.hpp"
#include "renderers.hpp"

namespace chipcert::reports::detail {

namespace {

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string cache_type(const std::string& t) {
  if (t == "data") return "Data";
  if (t == "instruction") return "Instruction";
  return "Unified";
}

nlohmann::json entry(const results::Case& c, int family, const std::string& name) {
  return {{"name", name},     {"family_index", family}, {"per_family_instance_index", 0},
          {"run_name", c.id}, {"threads", 1},           {"time_unit", "ns"}};
}

}  // namespace

void write_gbench_json(const results::Document& doc, const ReportOptions& opt, std::ostream& o) {
  using nlohmann::json;
  const auto& h = doc.host;
  json caches = json::array();
  for (const auto& c : h.caches)
    caches.push_back({{"type", cache_type(c.type)},
                      {"level", c.level},
                      {"size", c.size_bytes},
                      {"num_sharing", c.count > 0 ? std::max(1, h.pus / c.count) : 1}});
  std::string date = doc.started_at;  // RFC 3339; Benchmark writes the same shape
  std::string build = lower(doc.provenance.build_type);
  json context = {
      {"date", date},
      {"host_name", h.hostname},
      {"executable", doc.provenance.command_line.empty() ? std::string("chipcert")
                                                         : doc.provenance.command_line[0]},
      {"num_cpus", h.pus},
      {"mhz_per_cpu", 0},
      {"cpu_scaling_enabled", false},
      {"caches", caches},
      {"load_avg", json::array()},
      {"library_build_type", build == "debug" ? "debug" : "release"},
      {"json_schema_version", 1},
      {"chipcert",
       {{"results_schema_version", doc.schema_version},
        {"run_id", doc.run_id},
        {"suite", doc.suite.name + " " + doc.suite.version},
        {"chipcert_version", doc.provenance.chipcert_version},
        {"git_commit", doc.provenance.git_commit}}}};
  if (!opt.notice.empty()) context["chipcert"]["notice"] = opt.notice;

  json benchmarks = json::array();
  int family = 0;
  for (const auto& c : doc.cases) {
    const auto n = c.samples.size();
    if (c.status != results::Status::Passed || n == 0) {
      // Benchmark's shape for a run that did not produce a time.
      json e = entry(c, family, c.id);
      e.update({{"run_type", "iteration"},
                {"repetitions", 1},
                {"repetition_index", 0},
                {"iterations", 0},
                {"real_time", 0.0},
                {"cpu_time", 0.0},
                {"error_occurred", true},
                {"error_message", std::string(results::to_string(c.status)) + ": " + c.reason}});
      benchmarks.push_back(e);
      ++family;
      continue;
    }
    const double items_per_iter =
        c.rates.items_per_s && c.statistics ? *c.rates.items_per_s * c.statistics->median : 0;
    for (size_t i = 0; i < n; ++i) {
      const double s = c.samples[i];
      json e = entry(c, family, c.id);
      e.update({{"run_type", "iteration"},
                {"repetitions", n},
                {"repetition_index", i},
                {"iterations", c.iterations},
                {"real_time", s * 1e9},
                {"cpu_time", s * 1e9}});
      if (s > 0 && c.bytes > 0) e["bytes_per_second"] = c.bytes / s;
      if (s > 0 && items_per_iter > 0) e["items_per_second"] = items_per_iter / s;
      if (s > 0 && c.flop > 0) e["flop_per_second"] = c.flop / s;
      benchmarks.push_back(e);
    }
    if (n > 1) {
      const auto st = results::summarize(c.samples);
      const std::pair<const char*, double> aggs[] = {
          {"mean", st.mean}, {"median", st.median}, {"stddev", st.stddev}, {"cv", st.cv}};
      for (const auto& [agg, v] : aggs) {
        json e = entry(c, family, c.id + "_" + agg);
        const bool pct = std::string(agg) == "cv";
        e.update({{"run_type", "aggregate"},
                  {"repetitions", n},
                  {"aggregate_name", agg},
                  {"aggregate_unit", pct ? "percentage" : "time"},
                  {"iterations", n},
                  {"real_time", pct ? v : v * 1e9},
                  {"cpu_time", pct ? v : v * 1e9}});
        benchmarks.push_back(e);
      }
    }
    ++family;
  }
  o << json{{"context", context}, {"benchmarks", benchmarks}}.dump(2) << "\n";
}

}  // namespace chipcert::reports::detail
