// The HTML report: one self-contained file (inline CSS, inline SVG, no
// script, no font, no image, no link outside the file) because labs that
// certify hardware are often air-gapped.

#include <algorithm>
#include <map>
#include <set>

#include "chipcert/reports/console.hpp"
#include "figures.hpp"
#include "renderers.hpp"
#include "svg.hpp"
#include "text.hpp"

namespace chipcert::reports::detail {

namespace {

constexpr const char* kStyle = R"(
body{font-family:"DejaVu Sans",Verdana,sans-serif;margin:0 auto;max-width:1100px;padding:16px;color:#1a1a1a;background:#fff}
h1{font-size:1.6em;margin:0 0 .3em}h2{border-bottom:2px solid #0072B2;padding-bottom:.2em;margin-top:1.6em}
h3{margin:1.2em 0 .4em}table{border-collapse:collapse;margin:.4em 0;font-size:.86em}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f0f4f8}
td.num{text-align:right;white-space:nowrap}.notice{background:#fff3cd;border:1px solid #e0c060;padding:8px 12px;font-weight:bold}
.card{border:1px solid #bbb;border-radius:6px;padding:10px 14px;margin:.8em 0;background:#fafcfe}
.card dl{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:.4em 0}.card dt{font-weight:bold}.card dd{margin:0}
.verdict-valid{color:#006b3c;font-weight:bold}.verdict-invalid{color:#b00020;font-weight:bold}.verdict-none{color:#555}
.status-passed{color:#006b3c}.status-failed,.status-mistrusted,.status-error,.status-timed_out{color:#b00020;font-weight:bold}
.status-unsupported,.status-skipped{color:#666}figure{margin:.6em 0}figcaption{font-size:.85em;color:#444}
svg text{font-family:"DejaVu Sans",Verdana,sans-serif;font-size:11px;fill:#222}svg .plot,svg .frame{fill:#fff;stroke:#888}
svg .grid{stroke:#e2e2e2}svg .roof{stroke-width:2.5}svg .theoretical{stroke-width:1.5;stroke-dasharray:2 3}svg .bandwidth{stroke:#555;stroke-dasharray:6 3}
svg .tick{fill:#555}svg .point{stroke:#222;stroke-width:.6}svg .point-label{font-size:9px}svg .empty{fill:#666}
svg .loss{stroke-width:2}.mono{font-family:"DejaVu Sans Mono",monospace;font-size:.85em;word-break:break-all}
)";

std::string esc(const std::string& s) {
  return xml_escape(s);
}

std::string verification_text(const results::Case& c) {
  if (!c.verification) return "-";
  const auto& v = *c.verification;
  std::string s = v.passed ? "passed" : "failed";
  s += ", " + std::to_string(v.mismatches) + " of " + std::to_string(v.checked) + " mismatched";
  if (!v.tolerance.empty()) s += "; " + v.tolerance;
  if (v.zero_fraction > 0) s += "; zeros " + fixed(100 * v.zero_fraction, 1) + "%";
  return s;
}

void summary_card(std::ostream& o, const results::Device& d, const DeviceFigures& f,
                  const std::vector<const results::Case*>& cases, const ReportOptions& opt) {
  o << "<div class=\"card summary-card\" id=\"summary-" << slug(d.id) << "\">\n<dl>\n";
  if (const auto* v = verdict_for(opt, d.id)) {
    o << "<dt>Verdict</dt><dd class=\"" << (v->valid ? "verdict-valid" : "verdict-invalid") << "\">"
      << (v->valid ? "VALID" : "INVALID") << " under "
      << esc(opt.verdict->profile.name + " " + opt.verdict->profile.version) << "</dd>\n";
    o << "<dt>Tier</dt><dd>" << esc(v->tier.empty() ? "none reached" : v->tier) << "</dd>\n";
  } else {
    o << "<dt>Verdict</dt><dd class=\"verdict-none\">not certified (results only)</dd>\n";
  }
  for (const auto& [dtype, m] : f.best_gemm)
    o << "<dt>Best GEMM " << esc(dtype) << "</dt><dd>" << si(m.value, "FLOP/s") << "</dd>\n";
  if (f.triad) o << "<dt>STREAM triad</dt><dd>" << si(f.triad->value, "B/s") << "</dd>\n";
  if (f.launch_latency)
    o << "<dt>Launch latency</dt><dd>" << format_seconds(f.launch_latency->value) << "</dd>\n";
  if (const std::string s = sensors_text(f); !s.empty())
    o << "<dt>Sensors while timed</dt><dd>" << esc(s) << "</dd>\n";
  std::map<std::string, int> by_status;
  for (const auto* c : cases) ++by_status[results::to_string(c->status)];
  std::string counts;
  for (const auto& [s, n] : by_status)
    counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + s;
  o << "<dt>Cases</dt><dd>" << cases.size() << (counts.empty() ? "" : ": " + counts) << "</dd>\n";
  o << "<dt>Device</dt><dd>" << esc(d.kind) << ", " << d.compute_units << " compute units"
    << (d.clock_mhz ? ", " + std::to_string(d.clock_mhz) + " MHz" : "")
    << (d.memory_bytes ? ", " + si(static_cast<double>(d.memory_bytes), "B") + " memory" : "")
    << "</dd>\n<dt>Driver</dt><dd>" << esc(d.driver + " " + d.driver_version)
    << (d.runtime_version.empty() ? "" : " (" + esc(d.runtime_version) + ")") << "</dd>\n</dl>\n";
  if (const auto* v = verdict_for(opt, d.id)) {
    if (!v->figures.empty()) {
      o << "<table class=\"figures\"><tr><th>Figure</th><th>Value</th><th>From</th></tr>\n";
      for (const auto& fig : v->figures)
        o << "<tr><td>" << esc(fig.name) << "</td><td class=\"num\">" << esc(fixed(fig.value, 3))
          << " " << esc(fig.unit) << "</td><td class=\"mono\">" << esc(fig.source)
          << "</td></tr>\n";
      o << "</table>\n";
    }
    o << "<table class=\"rules\"><tr><th>Rule</th><th>Result</th><th>Measured</th><th>Bound</th>"
         "<th>Detail</th></tr>\n";
    for (const auto& r : v->rules)
      o << "<tr><td title=\"" << esc(r.rationale) << "\">" << esc(r.rule_id) << "</td><td class=\""
        << (r.passed ? "status-passed\">pass" : "status-failed\">FAIL") << "</td><td>"
        << esc(r.figure) << "</td><td>" << esc(r.threshold) << "</td><td>" << esc(r.detail)
        << "</td></tr>\n";
    o << "</table>\n";
  }
  o << "</div>\n";
}

void figure(std::ostream& o, const char* cls, const std::string& svg, const std::string& caption) {
  o << "<figure class=\"chart " << cls << "\">\n"
    << svg << "<figcaption>" << esc(caption) << "</figcaption>\n</figure>\n";
}

void charts(std::ostream& o, const results::Host& host, const results::Device& d,
            const DeviceFigures& f, const std::vector<const results::Case*>& cases) {
  const std::string ds = slug(d.id);
  o << "<h3>Roofline</h3>\n";
  std::string roofs;
  for (const auto& [dtype, m] : f.compute_roof)
    roofs += dtype + (f.roof_from_peak.at(dtype) ? " peak " : " best GEMM ") +
             si(m.value, "FLOP/s") + "; ";
  // A device that computes on the host CPU is bounded by its theoretical peak.
  std::map<std::string, double> theoretical;
  if (d.kind == "cpu")
    for (const auto* c : cases)
      if (const auto peak = cpu_theoretical_peak(host, c->dtype);
          c->rates.flop_per_s && peak && *peak > 0)
        theoretical[c->dtype] = *peak;
  for (const auto& [dtype, v] : theoretical)
    roofs += dtype + " theoretical " + si(v, "FLOP/s") + " (dashed); ";
  figure(o, "roofline", roofline_svg("roofline-" + ds, f, cases, theoretical),
         "Roofs: " + (roofs.empty() ? std::string("no compute roof; ") : roofs) +
             (f.bandwidth
                  ? "memory " + si(f.bandwidth->value, "B/s") + " (" + f.bandwidth->case_id + ")"
                  : "no STREAM case, no memory roof") +
             ". Points: passed cases with FLOP and byte counts.");

  // Bar charts: one per workload family and unit, in first-seen order.
  std::vector<std::pair<std::string, std::string>> order;
  std::map<std::pair<std::string, std::string>, std::vector<Bar>> bars;
  for (const auto* c : cases) {
    const auto v = bar_value(*c);
    if (!v) continue;
    const auto key = std::make_pair(family_of(c->workload), v->unit);
    if (!bars.count(key)) order.push_back(key);
    bars[key].push_back({c->workload + "/" + short_name(*c), v->value, c->id});
  }
  if (!order.empty()) o << "<h3>Workload families</h3>\n";
  for (const auto& key : order)
    figure(o, "bars",
           bar_chart_svg("bars-" + ds + "-" + slug(key.first + "-" + key.second), bars[key],
                         key.second),
           key.first + ": " +
               (key.second == "s"    ? std::string("median time per iteration")
                : key.second == "/s" ? std::string("items (launches, queries, samples) per second")
                                     : key.second) +
               " of passed cases");

  std::vector<LatencyRow> lat;
  for (const auto* c : cases) {
    if (c->status != results::Status::Passed || !c->details.is_object()) continue;
    const auto& j = c->details;
    auto num = [&](const char* k) { return j.contains(k) && j.at(k).is_number(); };
    if (num("p50_s") && num("p90_s") && num("p99_s"))
      lat.push_back({c->workload + "/" + short_name(*c), j.at("p50_s").get<double>(),
                     j.at("p90_s").get<double>(), j.at("p99_s").get<double>()});
    else if (j.value("scenario", "") == "single_stream" && c->statistics)
      // One query per sample: the sample statistics are the latency percentiles.
      lat.push_back({c->workload + "/" + short_name(*c), c->statistics->median, c->statistics->p90,
                     c->statistics->p99});
  }
  if (!lat.empty()) {
    o << "<h3>Latency percentiles</h3>\n";
    figure(o, "latency", latency_svg("latency-" + ds, lat), "Per-query latency, p50 / p90 / p99");
  }

  bool heading = false;
  for (const auto* c : cases) {
    if (!c->details.is_object() || !c->details.contains("loss_curve")) continue;
    const auto& arr = c->details.at("loss_curve");
    if (!arr.is_array() || arr.empty()) continue;
    std::vector<double> loss;
    for (const auto& v : arr)
      if (v.is_number()) loss.push_back(v.get<double>());
    if (loss.size() != arr.size()) continue;  // not a list of numbers: not a curve
    if (!heading) o << "<h3>Loss curves</h3>\n", heading = true;
    figure(o, "loss", loss_svg("loss-" + slug(c->id), loss),
           c->id + ": loss from " + fixed(loss.front(), 4) + " to " + fixed(loss.back(), 4) + " (" +
               results::to_string(c->status) + ")");
  }
}

/// " = 0.97 x theoretical" (or " = memory-bound, 0.25 FLOP/B") for a passed
/// compute case on a device that computes on the host CPU, where the document
/// has the host's peak.
std::string of_theoretical(const results::Host& h, const results::Device& d, const results::Case& c,
                           const std::optional<Measured>& bandwidth) {
  const std::string note = cpu_peak_note(cpu_peak_ratio(h, d, c, bandwidth));
  return note.empty() ? note : " = " + note;
}

void case_table(std::ostream& o, const results::Host& host, const results::Device& d,
                const std::vector<const results::Case*>& cases,
                const std::optional<Measured>& bandwidth) {
  o << "<h3>Cases</h3>\n<table class=\"cases\" id=\"cases-" << slug(d.id) << "\">\n"
    << "<tr><th>Case</th><th>Status</th><th>Median</th><th>CV</th><th>Rate</th><th>Samples</th>"
       "<th>Host memory</th><th>Timer</th><th>Verification</th><th>Reason</th></tr>\n";
  for (const auto* c : cases) {
    const std::string st = results::to_string(c->status);
    o << "<tr><td class=\"mono\">" << esc(c->id.substr(0, c->id.rfind('@')))
      << "</td><td class=\"status-" << st << "\">" << st << "</td>";
    if (c->statistics) {
      o << "<td class=\"num\">" << format_seconds(c->statistics->median)
        << "</td><td class=\"num\">" << fixed(100 * c->statistics->cv, 1) << "%</td>";
    } else {
      o << "<td class=\"num\">-</td><td class=\"num\">-</td>";
    }
    const std::string rate = c->status == results::Status::Passed
                                 ? headline_rate(*c) + of_theoretical(host, d, *c, bandwidth)
                                 : "";
    o << "<td class=\"num\">" << (rate.empty() ? "-" : esc(rate)) << "</td><td class=\"num\">"
      << c->samples.size() << "</td><td class=\"num\">"
      << (c->host_peak_rss_bytes ? si(static_cast<double>(*c->host_peak_rss_bytes), "B") : "-")
      << "</td><td>" << esc(c->timer.empty() ? "-" : c->timer) << "</td><td>"
      << esc(verification_text(*c)) << "</td><td>" << esc(c->reason) << "</td></tr>\n";
  }
  o << "</table>\n";
}

/// ", 3.59 GHz under load", with the readings when there are several, and a
/// warning when they disagree: a reading taken while a shared host was busy
/// reads low, and the recorded clock is then the higher one.
std::string clock_under_load(const results::Host& h) {
  if (!h.clock_under_load_mhz) return {};
  std::string s = ", " + fixed(*h.clock_under_load_mhz / 1000, 2) + " GHz under load";
  const auto& r = h.clock_under_load_readings_mhz;
  if (r.size() < 2) return s;
  std::string list;
  for (double mhz : r) list += (list.empty() ? "" : ", ") + fixed(mhz / 1000, 2);
  s += " (readings " + list + " GHz";
  const auto [lo, hi] = std::minmax_element(r.begin(), r.end());
  if (*lo < 0.97 * *hi) s += "; more than 3 % apart: the host was busy at one of them";
  return s + ")";
}

void provenance(std::ostream& o, const results::Document& doc) {
  const auto& p = doc.provenance;
  const auto& h = doc.host;
  o << "<section id=\"provenance\">\n<h2>Provenance</h2>\n<table class=\"provenance\">\n";
  auto row = [&](const std::string& k, const std::string& v, bool mono = false) {
    o << "<tr><th>" << esc(k) << "</th><td" << (mono ? " class=\"mono\"" : "") << ">" << esc(v)
      << "</td></tr>\n";
  };
  std::string cmd;
  for (const auto& a : p.command_line) cmd += (cmd.empty() ? "" : " ") + a;
  row("chipcert", p.chipcert_version);
  row("git commit", p.git_commit + (p.dirty ? " (dirty tree)" : ""), true);
  row("compiler", p.compiler);
  row("build type", p.build_type);
  row("flags", p.cxx_flags, true);
  row("binary sha256", p.binary_sha256, true);
  row("command line", cmd, true);
  row("run id", doc.run_id, true);
  row("suite", doc.suite.name + " " + doc.suite.version);
  row("seed", std::to_string(doc.seed));
  row("started / finished",
      doc.started_at + " / " + (doc.finished_at.empty() ? "(unfinished)" : doc.finished_at));
  row("host", h.hostname + ": " + h.cpu_model + ", " + std::to_string(h.packages) +
                  " package(s), " + std::to_string(h.cores) + " cores, " + std::to_string(h.pus) +
                  " threads, " + si(static_cast<double>(h.memory_bytes), "B") +
                  clock_under_load(h));
  if (const std::string peak = cpu_theoretical_peak_text(h); !peak.empty())
    row("CPU theoretical peak", peak);
  row("os", h.os + ", " + h.kernel + " " + h.arch);
  for (const auto& d : doc.devices)
    row("device " + d.id, d.vendor + " " + d.name + "; driver " + d.driver + " " +
                              d.driver_version + " (" + d.driver_source + "); runtime " +
                              d.runtime_version);
  for (const auto& dp : doc.driver_problems) row("driver not used", dp.source + ": " + dp.reason);
  if (doc.fleet) {
    // A fleet document: each node's status, then the stragglers.
    for (const auto& n : doc.fleet->at("nodes")) {
      const std::string reason = n.at("reason").get<std::string>();
      row("fleet rank " + std::to_string(n.at("rank").get<uint64_t>()),
          n.at("hostname").get<std::string>() + ": " + n.at("status").get<std::string>() +
              (reason.empty() ? "" : " (" + reason + ")"));
    }
    for (const auto& st : doc.fleet->value("stragglers", nlohmann::json::array()))
      row("straggler", "rank " + std::to_string(st.at("rank").get<int>()) + " " +
                           st.at("case").get<std::string>() + ": " +
                           format_seconds(st.at("value").get<double>()) + " vs fleet median " +
                           format_seconds(st.at("fleet_median").get<double>()));
  }
  o << "</table>\n</section>\n";
}

}  // namespace

void write_html(const results::Document& doc, const ReportOptions& opt, std::ostream& o) {
  const std::string title = "chipcert report: " + doc.suite.name + " " + doc.suite.version;
  o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<meta name=\"generator\" content=\"chipcert " << esc(doc.provenance.chipcert_version)
    << "\">\n"
    << "<title>" << esc(title) << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
  o << "<header id=\"report-header\">\n<h1>" << esc(title) << "</h1>\n";
  if (!opt.notice.empty()) o << "<p class=\"notice\" id=\"notice\">" << esc(opt.notice) << "</p>\n";
  o << "<p class=\"meta\">Run <span class=\"mono\">" << esc(doc.run_id) << "</span>, "
    << esc(doc.started_at) << ", host " << esc(doc.host.hostname) << ", " << doc.devices.size()
    << " device(s), " << doc.cases.size() << " case(s)"
    << (opt.source.empty() ? "" : ", from " + esc(opt.source)) << ".";
  if (opt.verdict)
    o << " Profile " << esc(opt.verdict->profile.name + " " + opt.verdict->profile.version) << ".";
  o << "</p>\n<nav id=\"devices-nav\"><ul>\n";
  for (const auto& d : doc.devices)
    o << "<li><a href=\"#device-" << slug(d.id) << "\">"
      << esc(d.id + ": " + d.vendor + " " + d.name) << "</a></li>\n";
  o << "<li><a href=\"#provenance\">Provenance</a></li>\n</ul></nav>\n</header>\n<main>\n";
  for (const auto& d : doc.devices) {
    const auto cases = cases_of(doc.cases, d.id);
    const auto f = device_figures(cases);
    o << "<section class=\"device\" id=\"device-" << slug(d.id) << "\">\n<h2>" << esc(d.id) << ": "
      << esc(d.vendor + " " + d.name) << "</h2>\n";
    summary_card(o, d, f, cases, opt);
    charts(o, doc.host, d, f, cases);
    case_table(o, doc.host, d, cases, f.bandwidth);
    o << "</section>\n";
  }
  o << "</main>\n";
  provenance(o, doc);
  o << "<footer><p>Generated by chipcert " << esc(doc.provenance.chipcert_version)
    << " from the results model; charts are inline SVG, no script and no network "
       "needed.</p></footer>\n"
    << "</body>\n</html>\n";
}

}  // namespace chipcert::reports::detail
