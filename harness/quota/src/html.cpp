// One self-contained HTML page for `quota check` and `quota plan` (no
// scripts, fonts or network: procurement committees read these air-gapped).
// Rendered from the JSON reports, so the page can never say something the
// JSON does not.

#include <cmath>
#include <iomanip>
#include <sstream>
#include <string>

#include "chipcert/quota/report.hpp"
#include "chipcert/reports/escape.hpp"

namespace chipcert::quota {
namespace {

using nlohmann::json;

/// The reports' escaping: & < > " ' and control characters a page cannot
/// carry (a vendor or device name comes from a certificate).
std::string esc(const std::string& s) {
  return reports::xml_escape(s);
}

std::string text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) {
    std::ostringstream o;
    o << std::setprecision(6) << v.get<double>();
    return o.str();
  }
  if (v.is_null()) return "";
  return v.dump();
}

void head(std::ostringstream& o, const std::string& title) {
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" << esc(title)
    << "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:72em}"
       "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #999;padding:.3em .6em;"
       "text-align:left}.pass{color:#060}.fail{color:#a00;font-weight:bold}"
       ".verdict{font-size:1.4em;padding:.4em;border:2px solid}</style></head><body>\n"
    << "<h1>" << esc(title) << "</h1>\n";
}

/// Rows of objects as a table with the listed columns.
void table(std::ostringstream& o, const char* id, const json& rows,
           std::initializer_list<const char*> columns) {
  o << "<table id=\"" << id << "\"><tr>";
  for (const char* c : columns) o << "<th>" << esc(c) << "</th>";
  o << "</tr>\n";
  for (const auto& r : rows) {
    o << "<tr>";
    for (const char* c : columns) {
      const json v = r.contains(c) ? r.at(c) : json();
      if (std::string(c) == "passed" || std::string(c) == "accepted") {
        const bool ok = v.is_boolean() && v.get<bool>();
        o << "<td class=\"" << (ok ? "pass\">" : "fail\">")
          << (std::string(c) == "passed" ? (ok ? "PASS" : "FAIL") : (ok ? "accepted" : "REJECTED"))
          << "</td>";
      } else {
        o << "<td>" << esc(text(v)) << "</td>";
      }
    }
    o << "</tr>\n";
  }
  o << "</table>\n";
}

/// Horizontal bars: each category's share of the units (or capacity).
void share_chart(std::ostringstream& o, const json& totals, const char* basis) {
  if (!totals.contains("categories") || !totals.contains(basis)) return;
  const double total = totals.at(basis).is_number() ? totals.at(basis).get<double>() : 0.0;
  if (!(total > 0)) return;
  const auto& cats = totals.at("categories");
  const int bar = 22, label = 140, width = 420;
  o << "<svg id=\"shares-" << basis << "\" xmlns=\"http://www.w3.org/2000/svg\" width=\""
    << label + width + 80 << "\" height=\"" << bar * static_cast<int>(cats.size()) + 10
    << "\" role=\"img\"><title>Share of " << basis << " per category</title>\n";
  int y = 5;
  for (const auto& c : cats) {
    const double v = c.contains(basis) && c.at(basis).is_number() ? c.at(basis).get<double>() : 0;
    const double share = v / total;
    o << "<text x=\"0\" y=\"" << y + 15 << "\" font-size=\"13\">"
      << esc(text(c.value("id", json()))) << "</text><rect x=\"" << label << "\" y=\"" << y + 3
      << "\" height=\"" << bar - 6 << "\" width=\"" << std::max(1.0, std::round(share * width))
      << "\" fill=\"#4a78b5\"/>"
      << "<text x=\"" << label + std::round(share * width) + 5 << "\" y=\"" << y + 15
      << "\" font-size=\"13\">" << std::fixed << std::setprecision(1) << share * 100
      << " %</text>\n";
    y += bar;
  }
  o << "</svg>\n";
}

}  // namespace

std::string render_html(const json& report) {
  std::ostringstream o;
  const bool is_plan = report.value("format", "") == "chipcert-quota-plan";
  const json policy = report.value("policy", json::object());
  head(o, std::string(is_plan ? "Optimal procurement plan" : "Procurement plan check") +
              " — policy " + text(policy.value("name", json())) + " " +
              text(policy.value("version", json())));
  bool ok = false;
  if (is_plan)
    ok = report.value("feasible", false);
  else
    ok = report.value("compliant", false);
  o << "<p class=\"verdict " << (ok ? "pass" : "fail") << "\" id=\"verdict\">"
    << (is_plan ? (ok ? "FEASIBLE: optimum found" : "INFEASIBLE")
                : (ok ? "COMPLIANT" : "NON-COMPLIANT"))
    << "</p>\n";
  if (report.contains("totals")) {
    const json& t = report.at("totals");
    o << "<h2>Totals</h2>\n<p>" << esc(text(t.value("units", json()))) << " units, capacity "
      << esc(text(t.value("capacity", json()))) << " ("
      << esc(text(policy.value("capacity_figure", json()))) << "), cost "
      << esc(text(t.value("cost", json()))) << ", power " << esc(text(t.value("power_w", json())))
      << " W</p>\n";
    share_chart(o, t, "units");
    share_chart(o, t, "capacity");
  }
  if (report.contains("rules")) {
    o << "<h2>Rules</h2>\n";
    table(o, "rules", report.at("rules"), {"id", "kind", "passed", "figure", "bound", "detail"});
  }
  for (const char* key : {"lines", "items"}) {
    if (!report.contains(key)) continue;
    o << "<h2>" << (is_plan ? "Offers" : "Lines") << " and their certificates</h2>\n";
    table(o, "lines", report.at(key),
          {"id", "accepted", "quantity", "available", "vendor", "model", "category", "tier",
           "capacity_per_unit", "certificate", "check", "reason"});
  }
  if (report.contains("rule_costs")) {
    o << "<h2>What each rule costs</h2>\n";
    table(o, "rule-costs", report.at("rule_costs"), {"rule", "objective_without", "capacity_cost"});
  }
  for (const char* extra : {"objective", "binding", "conflict"}) {
    if (!report.contains(extra)) continue;
    o << "<h2>" << esc(extra) << "</h2>\n<pre>" << esc(report.at(extra).dump(2)) << "</pre>\n";
  }
  o << "<h2>Report (JSON)</h2>\n<pre id=\"json\">" << esc(report.dump(2)) << "</pre>\n";
  o << "</body></html>\n";
  return o.str();
}

}  // namespace chipcert::quota
