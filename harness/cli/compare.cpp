// `chipcert compare BASE NEW`: the CI gate. Matches cases, tests each with a
// Mann-Whitney U test over the raw samples, and exits 1 when any case
// regressed significantly beyond the threshold (reports/compare/README.md).

#include <cmath>
#include <iostream>
#include <memory>

#include "chipcert/compare/compare.hpp"
#include "chipcert/harness/files.hpp"
#include "cli.hpp"

namespace chipcert::cli {

namespace {

struct CompareArgs {
  std::string base, candidate;
  std::string threshold = "5%";
  double alpha = 0.05;
  std::string format = "text";
  std::string output;
  bool ignore_device = false;
};

/// "5%" -> 0.05, "0.05" -> 0.05; a bare number above 1 is ambiguous.
double parse_threshold(const std::string& s) {
  const bool pct = !s.empty() && s.back() == '%';
  const std::string num = pct ? s.substr(0, s.size() - 1) : s;
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(num, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != num.size() || num.empty() || !std::isfinite(v) || v < 0)
    throw UsageError("--threshold " + s +
                     ": expected a percentage such as 5% or a fraction such as 0.05");
  if (!pct && v > 1)
    throw UsageError("--threshold " + s + ": ambiguous; write " + s + "% for a percentage");
  return pct ? v / 100.0 : v;
}

int run_compare(const CompareArgs& a) {
  compare::Options o;
  o.threshold = parse_threshold(a.threshold);
  o.alpha = a.alpha;
  o.ignore_device = a.ignore_device;
  if (a.format != "text" && a.format != "md" && a.format != "json")
    throw UsageError("-f " + a.format + ": expected text, md or json");
  const LoadedResults base = load_results_or_certificate(a.base);
  const LoadedResults cand = load_results_or_certificate(a.candidate);
  const auto cmp = compare::compare_documents(base.document, cand.document, o, a.base, a.candidate);
  std::string text = a.format == "json" ? compare::to_json(cmp).dump(2) + "\n"
                     : a.format == "md" ? compare::render_markdown(cmp)
                                        : compare::render_text(cmp);
  if (a.output.empty() || a.output == "-")
    std::cout << text << std::flush;
  else
    harness::write_file_atomic(a.output, text);
  if (!a.output.empty() && a.output != "-") {
    // The log still says what the gate decided.
    std::cout << (cmp.regressions()
                      ? "compare: REGRESSION in " + std::to_string(cmp.regressions()) + " case(s); "
                      : std::string("compare: no significant regression; "))
              << "details in " << a.output << "\n";
  }
  return cmp.regressions() ? harness::kExitVerdict : harness::kExitOk;
}

}  // namespace

void add_compare_command(CLI::App& app, const GlobalOptions& /*g*/, Action& action) {
  auto* cmd = app.add_subcommand(
      "compare", "Compare a candidate run with a baseline; exit 1 on a significant regression");
  auto a = std::make_shared<CompareArgs>();
  cmd->add_option("base", a->base, "Baseline results document (or certificate)")->required();
  cmd->add_option("new", a->candidate, "Candidate results document (or certificate)")->required();
  cmd->add_option("--threshold", a->threshold,
                  "Relative change of the median that matters: 5% or 0.05")
      ->capture_default_str();
  cmd->add_option("--alpha", a->alpha, "Significance level of the Mann-Whitney U test")
      ->check(CLI::Range(1e-9, 0.5))
      ->capture_default_str();
  cmd->add_option("-f,--format", a->format, "text, md or json")->capture_default_str();
  cmd->add_option("-o,--output", a->output, "Write the comparison to a file instead of stdout");
  cmd->add_flag("--ignore-device", a->ignore_device,
                "Match cases without the device model (a tuned plugin against a baseline driver)");
  cmd->callback([&action, a] { action = [a] { return run_compare(*a); }; });
}

}  // namespace chipcert::cli
