// Markdown for a pull-request comment (GitHub-flavoured tables): a summary
// row per device, the failures with their reasons, and the full case table
// of each device folded in a <details> block so the comment stays short.

#include <map>
#include <string>
#include <vector>

#include "chipcert/reports/console.hpp"
#include "figures.hpp"
#include "renderers.hpp"
#include "text.hpp"

namespace chipcert::reports::detail {

namespace {

/// A fleet document's own section: one row per node (rank), the stragglers
/// and the collectives' bus bandwidth at the largest size measured.
void write_markdown_fleet(const nlohmann::json& f, std::ostream& o) {
  o << "### Fleet: " << f.at("ranks").get<uint64_t>() << " ranks\n\n"
    << "| Rank | Host | Status | Devices | Cases | Reason |\n|---:|---|---|---|---:|---|\n";
  for (const auto& n : f.at("nodes")) {
    std::string devices;
    for (const auto& d : n.at("devices"))
      devices += (devices.empty() ? "" : ", ") + d.get<std::string>();
    o << "| " << n.at("rank").get<uint64_t>() << " | "
      << md_cell(n.at("hostname").get<std::string>()) << " | "
      << (n.at("status") == "ok" ? "ok" : "**" + n.at("status").get<std::string>() + "**") << " | "
      << md_cell(devices) << " | " << n.at("cases").get<uint64_t>() << " | "
      << md_cell(n.at("reason").get<std::string>()) << " |\n";
  }
  o << "\n";
  if (f.contains("stragglers") && !f.at("stragglers").empty()) {
    o << "**Stragglers** (outside the fleet median by more than "
      << fixed(100 * f.value("straggler_margin", 0.0), 0) << "%):\n\n";
    for (const auto& s : f.at("stragglers"))
      o << "- rank " << s.at("rank").get<int>() << " ("
        << md_cell(s.at("hostname").get<std::string>()) << ") `"
        << md_cell(s.at("case").get<std::string>())
        << "`: " << format_seconds(s.at("value").get<double>()) << " vs fleet median "
        << format_seconds(s.at("fleet_median").get<double>()) << " ("
        << fixed(100 * s.at("relative_deviation").get<double>(), 0) << "%)\n";
    o << "\n";
  }
  if (f.contains("collectives") && !f.at("collectives").empty()) {
    // The largest size per operation: where bus bandwidth means the most.
    std::map<std::string, const nlohmann::json*> largest;
    for (const auto& c : f.at("collectives")) {
      auto& l = largest[c.at("op").get<std::string>()];
      if (!l || c.at("bytes").get<uint64_t>() >= l->at("bytes").get<uint64_t>()) l = &c;
    }
    o << "| Collective | Bytes | Latency | Alg BW | Bus BW | Bus factor | Verified |\n"
      << "|---|---:|---:|---:|---:|---:|---|\n";
    for (const auto& [op, c] : largest)
      o << "| " << op << " | " << c->at("bytes").get<uint64_t>() << " | "
        << format_seconds(c->at("latency_s").get<double>()) << " | "
        << si(c->at("algbw_bytes_per_s").get<double>(), "B/s") << " | "
        << si(c->at("busbw_bytes_per_s").get<double>(), "B/s") << " | "
        << fixed(c->at("bus_factor").get<double>(), 3) << " | "
        << (c->at("verified").get<bool>() ? "yes" : "**no**") << " |\n";
    o << "\n";
  }
}

}  // namespace

void write_markdown(const results::Document& doc, const ReportOptions& opt, std::ostream& o) {
  o << "## chipcert results: " << md_cell(doc.suite.name + " " + doc.suite.version) << "\n\n";
  if (!opt.notice.empty()) o << "> **Warning:** " << md_cell(opt.notice) << "\n\n";
  o << "Run `" << md_cell(doc.run_id) << "` started " << md_cell(doc.started_at) << " on "
    << md_cell(doc.host.hostname.empty() ? "(unknown host)" : doc.host.hostname) << "; chipcert "
    << md_cell(doc.provenance.chipcert_version) << " ("
    << md_cell(doc.provenance.git_commit.substr(0, 12)) << (doc.provenance.dirty ? ", dirty" : "")
    << ")";
  if (opt.verdict)
    o << "; profile " << md_cell(opt.verdict->profile.name + " " + opt.verdict->profile.version);
  o << ".\n\n";

  o << "| Device | Verdict | Tier | Passed | Not passed | Best GEMM | STREAM triad | Launch "
       "latency |\n"
    << "|---|---|---|---:|---:|---|---:|---:|\n";
  std::vector<std::string> sensors;  // per device, for its case table below
  for (const auto& d : doc.devices) {
    const auto cases = cases_of(doc.cases, d.id);
    const auto f = device_figures(cases);
    sensors.push_back(sensors_text(f));
    int passed = 0, bad = 0;
    for (const auto* c : cases) (c->status == results::Status::Passed ? passed : bad) += 1;
    const auto* v = verdict_for(opt, d.id);
    std::string gemm;
    for (const auto& [dtype, m] : f.best_gemm)
      gemm += (gemm.empty() ? "" : ", ") + dtype + " " + si(m.value, "FLOP/s");
    o << "| `" << md_cell(d.id) << "` " << md_cell(d.vendor + " " + d.name) << " | "
      << (v ? (v->valid ? "**VALID**" : "**INVALID**") : "not certified") << " | "
      << (v ? md_cell(v->tier.empty() ? "none" : v->tier) : "-") << " | " << passed << " | " << bad
      << " | " << (gemm.empty() ? "-" : gemm) << " | "
      << (f.triad ? si(f.triad->value, "B/s") : "-") << " | "
      << (f.launch_latency ? format_seconds(f.launch_latency->value) : "-") << " |\n";
  }
  o << "\n";
  if (doc.fleet) write_markdown_fleet(*doc.fleet, o);

  bool any_failure = false;
  for (const auto& c : doc.cases) any_failure = any_failure || is_failure(c.status);
  if (any_failure) {
    o << "### Failures\n\n";
    for (const auto& c : doc.cases)
      if (is_failure(c.status))
        o << "- `" << md_cell(c.id) << "` **" << results::to_string(c.status)
          << "**: " << md_cell(c.reason.empty() ? "(no reason given)" : c.reason) << "\n";
    o << "\n";
  }
  if (opt.verdict) {
    bool heading = false;
    for (const auto& dv : opt.verdict->devices)
      for (const auto& r : dv.rules)
        if (!r.passed) {
          if (!heading) o << "### Rules not met\n\n", heading = true;
          o << "- `" << md_cell(dv.device) << "` " << md_cell(r.rule_id) << ": "
            << md_cell(r.figure) << " (bound " << md_cell(r.threshold) << ")"
            << (r.detail.empty() ? "" : ": " + md_cell(r.detail)) << "\n";
        }
    if (heading) o << "\n";
  }

  for (size_t i = 0; i < doc.devices.size(); ++i) {
    const auto& d = doc.devices[i];
    const auto cases = cases_of(doc.cases, d.id);
    o << "<details><summary>" << md_cell(d.id) << ": " << cases.size() << " cases</summary>\n\n";
    if (!sensors[i].empty()) o << "Sensors while timed: " << md_cell(sensors[i]) << ".\n\n";
    o << "| Case | Status | Median | CV | Rate | Note |\n|---|---|---:|---:|---:|---|\n";
    const auto bandwidth = device_figures(cases).bandwidth;
    for (const auto* c : cases) {
      const bool ok = c->status == results::Status::Passed && c->statistics;
      // As in the console table: a CPU device's compute rate against the
      // host's theoretical peak.
      std::string note = c->reason;
      if (const std::string peak =
              ok ? cpu_peak_note(cpu_peak_ratio(doc.host, d, *c, bandwidth)) : std::string();
          !peak.empty())
        note += (note.empty() ? "" : "; ") + peak;
      o << "| `" << md_cell(c->id.substr(0, c->id.rfind('@'))) << "` | "
        << results::to_string(c->status) << " | "
        << (ok ? format_seconds(c->statistics->median) : "-") << " | "
        << (ok ? fixed(100 * c->statistics->cv, 1) + "%" : "-") << " | "
        << (ok && !headline_rate(*c).empty() ? headline_rate(*c) : "-") << " | " << md_cell(note)
        << " |\n";
    }
    o << "\n</details>\n\n";
  }
}

}  // namespace chipcert::reports::detail
