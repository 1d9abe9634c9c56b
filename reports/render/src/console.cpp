#include "chipcert/reports/console.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

#include "figures.hpp"
#include "text.hpp"

namespace chipcert::reports {

namespace {

std::string scaled(double v, const char* unit) {
  const char* prefixes[] = {"", "K", "M", "G", "T", "P", "E"};
  int p = 0;
  while (v >= 1000.0 && p < 6) {
    v /= 1000.0;
    ++p;
  }
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.1f %s%s", v, prefixes[p], unit);
  return buf;
}

std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (w.size() <= i) w.push_back(0);
      w[i] = std::max(w[i], r[i].size());
    }
  std::string out;
  for (const auto& r : rows) {
    std::string line = "  ";
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(w[i] - r[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace

std::string format_seconds(double s) {
  char buf[32];
  if (s >= 1.0)
    std::snprintf(buf, sizeof(buf), "%.2f s", s);
  else if (s >= 1e-3)
    std::snprintf(buf, sizeof(buf), "%.2f ms", s * 1e3);
  else if (s >= 1e-6)
    std::snprintf(buf, sizeof(buf), "%.2f us", s * 1e6);
  else
    std::snprintf(buf, sizeof(buf), "%.0f ns", s * 1e9);
  return buf;
}

std::string headline_rate(const results::Case& c) {
  if (detail::headline_is_bandwidth(c)) return scaled(*c.rates.bytes_per_s, "B/s");
  if (c.rates.flop_per_s) return scaled(*c.rates.flop_per_s, "FLOP/s");
  if (c.rates.items_per_s) return scaled(*c.rates.items_per_s, "/s");
  return "";
}

std::string case_line(const results::Case& c) {
  std::string line = std::string(results::to_string(c.status)) + "  " + c.id;
  if (c.status == results::Status::Passed && c.statistics) {
    line += "  " + format_seconds(c.statistics->median);
    const std::string rate = headline_rate(c);
    if (!rate.empty()) line += "  " + rate;
  } else if (!c.reason.empty()) {
    line += "  " + c.reason;
  }
  return line;
}

std::string render_console(const results::Document& doc) {
  std::string out;
  std::map<std::string, int> by_status;
  for (const auto& d : doc.devices) {
    const auto bandwidth = detail::device_figures(detail::cases_of(doc.cases, d.id)).bandwidth;
    std::vector<std::vector<std::string>> rows{{"CASE", "STATUS", "MEDIAN", "CV", "RATE", "NOTE"}};
    for (const auto& c : doc.cases) {
      if (c.device != d.id) continue;
      std::string name = c.id.substr(0, c.id.rfind('@'));
      if (c.status == results::Status::Passed && c.statistics) {
        char cv[16];
        std::snprintf(cv, sizeof(cv), "%.1f%%", 100.0 * c.statistics->cv);
        // Compute figures on a device that computes on the host CPU, against
        // the host's theoretical peak where the run measured it.
        const std::string note =
            detail::cpu_peak_note(detail::cpu_peak_ratio(doc.host, d, c, bandwidth));
        rows.push_back({name, results::to_string(c.status), format_seconds(c.statistics->median),
                        cv, headline_rate(c), note});
      } else {
        std::string note = c.reason;
        if (note.size() > 90) note = note.substr(0, 87) + "...";
        rows.push_back({name, results::to_string(c.status), "-", "-", "-", note});
      }
    }
    out += d.id + "  " + d.vendor + " " + d.name + "\n" + table(rows) + "\n";
  }
  for (const auto& c : doc.cases) ++by_status[results::to_string(c.status)];
  out += std::to_string(doc.cases.size()) + " cases:";
  for (const auto& [status, n] : by_status) out += " " + std::to_string(n) + " " + status + ";";
  out += "\n";
  // Said once, where the per-case "x theoretical" notes would have been.
  if (doc.host.clock_under_load_mhz && !doc.host.peak_ops_per_cycle_per_core.empty() &&
      !results::clock_untrusted_reason(doc.host).empty())
    out += "CPU clock reading not trusted, no theoretical peak computed: " +
           results::clock_untrusted_reason(doc.host) + "\n";
  if (doc.fleet) {
    // A fleet document: the nodes that are not ok and the stragglers.
    for (const auto& n : doc.fleet->at("nodes"))
      if (n.at("status") != "ok")
        out += "rank " + std::to_string(n.at("rank").get<uint64_t>()) + ": " +
               n.at("status").get<std::string>() + " (" + n.at("reason").get<std::string>() + ")\n";
    for (const auto& s : doc.fleet->value("stragglers", nlohmann::json::array()))
      out += "straggler: rank " + std::to_string(s.at("rank").get<int>()) + " " +
             s.at("case").get<std::string>() + " " + format_seconds(s.at("value").get<double>()) +
             " vs fleet median " + format_seconds(s.at("fleet_median").get<double>()) + "\n";
  }
  return out;
}

}  // namespace chipcert::reports
