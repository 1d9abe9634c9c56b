// The three forms of a comparison: a text table for logs, Markdown for a
// pull-request comment, JSON for machines.

#include <algorithm>
#include <cstdio>

#include "chipcert/compare/compare.hpp"

namespace chipcert::compare {

namespace {

std::string seconds(double s) {
  char buf[32];
  if (s >= 1.0)
    std::snprintf(buf, sizeof(buf), "%.3f s", s);
  else if (s >= 1e-3)
    std::snprintf(buf, sizeof(buf), "%.3f ms", s * 1e3);
  else if (s >= 1e-6)
    std::snprintf(buf, sizeof(buf), "%.3f us", s * 1e6);
  else
    std::snprintf(buf, sizeof(buf), "%.1f ns", s * 1e9);
  return buf;
}

std::string fmt(const char* f, double v) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

struct Row {
  std::string key, base, cand, change, ci, p, outcome, why;
};

Row row_of(const CaseComparison& c) {
  Row r;
  r.key = c.key;
  auto side = [](const std::optional<Side>& s) {
    if (!s) return std::string("-");
    if (s->status != "passed" || s->n == 0) return s->status;
    return seconds(s->median);
  };
  r.base = side(c.base);
  r.cand = side(c.candidate);
  const bool timed = c.test.has_value();
  r.change = timed ? fmt("%+.1f%%", 100 * c.change) : "-";
  r.ci = "-";
  if (c.ratio && c.ratio->low && c.ratio->high)
    r.ci = fmt("%.3f", *c.ratio->low) + " .. " + fmt("%.3f", *c.ratio->high);
  else if (c.ratio)
    r.ci = "n/a";
  r.p = timed ? fmt("%.4f", c.test->p) + " " +
                    (c.test->method == PMethod::Exact ? "(exact)" : "(normal)")
              : "-";
  r.outcome = to_string(c.outcome);
  r.why = c.why;
  return r;
}

std::string summary_line(const Comparison& c) {
  std::string s = std::to_string(c.cases.size()) + " cases: ";
  const Outcome all[] = {Outcome::Regressed, Outcome::Improved, Outcome::Unchanged, Outcome::Noisy,
                         Outcome::NotPassed, Outcome::BaseOnly, Outcome::NewOnly};
  bool first = true;
  for (Outcome o : all) {
    s += (first ? "" : ", ") + std::to_string(c.count(o)) + " " + to_string(o);
    first = false;
  }
  return s;
}

std::string verdict_line(const Comparison& c) {
  const std::string thr = fmt("%.1f%%", 100 * c.options.threshold);
  if (c.regressions() == 0) return "PASS: no case regressed significantly beyond " + thr;
  return "FAIL: " + std::to_string(c.regressions()) +
         " case(s) regressed (significantly slower by more than " + thr + ", or no longer passing)";
}

std::string header(const Comparison& c) {
  return "baseline  " + c.base.source + " (run " + c.base.run_id + ", " + c.base.suite + ", " +
         c.base.started_at + ")\ncandidate " + c.candidate.source + " (run " + c.candidate.run_id +
         ", " + c.candidate.suite + ", " + c.candidate.started_at + ")\nthreshold " +
         fmt("%.1f%%", 100 * c.options.threshold) + ", alpha " + fmt("%g", c.options.alpha) +
         ", two-sided Mann-Whitney U over raw samples; CI: Hodges-Lehmann ratio new/base at " +
         fmt("%g", 100 * (1 - c.options.alpha)) + "%; matching " +
         (c.options.ignore_device ? "workload/label/dtype (device ignored)"
                                  : "workload/label/dtype + device model");
}

std::string md(std::string s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|')
      out += "\\|";
    else if (ch == '\n')
      out += ' ';
    else if (ch == '<')
      out += "&lt;";
    else if (ch == '>')
      out += "&gt;";
    else
      out += ch;
  }
  return out;
}

nlohmann::json side_json(const std::optional<Side>& s) {
  if (!s) return nullptr;
  return {{"id", s->id},
          {"status", s->status},
          {"reason", s->reason},
          {"n", s->n},
          {"median_s", s->median}};
}

}  // namespace

std::string render_text(const Comparison& c) {
  std::vector<Row> rows;
  rows.push_back({"CASE", "BASE", "NEW", "CHANGE", "RATIO CI", "P", "RESULT", "WHY"});
  for (const auto& cc : c.cases) rows.push_back(row_of(cc));
  std::vector<size_t> w(7, 0);
  for (const auto& r : rows) {
    const std::string* f[] = {&r.key, &r.base, &r.cand, &r.change, &r.ci, &r.p, &r.outcome};
    for (size_t i = 0; i < 7; ++i) w[i] = std::max(w[i], f[i]->size());
  }
  std::string out = header(c) + "\n\n";
  for (const auto& r : rows) {
    const std::string* f[] = {&r.key, &r.base, &r.cand, &r.change, &r.ci, &r.p, &r.outcome, &r.why};
    std::string line;
    for (size_t i = 0; i < 8; ++i) {
      line += *f[i];
      if (i < 7) line += std::string(w[i] - f[i]->size() + 2, ' ');
    }
    out += line + "\n";
  }
  for (const auto& wmsg : c.warnings) out += "warning: " + wmsg + "\n";
  return out + "\n" + summary_line(c) + "\n" + verdict_line(c) + "\n";
}

std::string render_markdown(const Comparison& c) {
  std::string out = "## chipcert compare\n\n**" + verdict_line(c) + "**\n\n";
  out += "Baseline `" + md(c.base.source) + "` (run `" + md(c.base.run_id) + "`), candidate `" +
         md(c.candidate.source) + "` (run `" + md(c.candidate.run_id) + "`); threshold " +
         fmt("%.1f%%", 100 * c.options.threshold) + ", alpha " + fmt("%g", c.options.alpha) +
         ".\n\n";
  out +=
      "| Case | Base | New | Change | Ratio CI | p | Result |\n|---|---:|---:|---:|---|---:|---|\n";
  for (const auto& cc : c.cases) {
    const Row r = row_of(cc);
    const bool bad = cc.outcome == Outcome::Regressed;
    out += "| `" + md(r.key) + "` | " + md(r.base) + " | " + md(r.cand) + " | " + r.change + " | " +
           r.ci + " | " + r.p + " | " + (bad ? "**" + r.outcome + "**" : r.outcome) + " |\n";
  }
  out += "\n" + summary_line(c) + ".\n";
  bool any = false;
  for (const auto& cc : c.cases)
    if (cc.outcome != Outcome::Unchanged) {
      if (!any) out += "\n", any = true;
      out += "- `" + md(cc.key) + "` " + to_string(cc.outcome) + ": " + md(cc.why) + "\n";
    }
  for (const auto& wmsg : c.warnings) out += "\n> warning: " + md(wmsg) + "\n";
  return out;
}

nlohmann::json to_json(const Comparison& c) {
  using nlohmann::json;
  json cases = json::array();
  for (const auto& cc : c.cases) {
    json j = {{"key", cc.key},
              {"outcome", to_string(cc.outcome)},
              {"why", cc.why},
              {"base", side_json(cc.base)},
              {"candidate", side_json(cc.candidate)}};
    if (cc.test) {
      j["change"] = cc.change;
      j["test"] = {{"u1", cc.test->u1}, {"p", cc.test->p}, {"method", to_string(cc.test->method)}};
    }
    if (cc.ratio) {
      j["ratio"] = {{"estimate", cc.ratio->estimate}};
      if (cc.ratio->low) j["ratio"]["low"] = *cc.ratio->low;
      if (cc.ratio->high) j["ratio"]["high"] = *cc.ratio->high;
    }
    cases.push_back(j);
  }
  json summary = json::object();
  for (Outcome o : {Outcome::Improved, Outcome::Regressed, Outcome::Unchanged, Outcome::Noisy,
                    Outcome::NotPassed, Outcome::BaseOnly, Outcome::NewOnly})
    summary[to_string(o)] = c.count(o);
  auto ref = [](const DocumentRef& r) {
    return json{{"source", r.source},
                {"run_id", r.run_id},
                {"suite", r.suite},
                {"started_at", r.started_at}};
  };
  return {{"schema_version", kCompareSchemaVersion},
          {"kind", "chipcert-compare"},
          {"options",
           {{"threshold", c.options.threshold},
            {"alpha", c.options.alpha},
            {"confidence", 1 - c.options.alpha},
            {"ignore_device", c.options.ignore_device},
            {"min_samples", c.options.min_samples}}},
          {"base", ref(c.base)},
          {"candidate", ref(c.candidate)},
          {"cases", cases},
          {"summary", summary},
          {"regression", c.regressions() > 0},
          {"warnings", c.warnings}};
}

}  // namespace chipcert::compare
