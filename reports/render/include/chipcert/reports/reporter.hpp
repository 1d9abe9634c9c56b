#pragma once
/// One reporter interface for every output format (after Google Benchmark's
/// reporter.h): the header of a results document first, then its cases in
/// one or more batches (as a runner finishes them), then finalize writes the
/// whole report. Reporters read the results model only, never a driver.
///
/// Contract: call context() exactly once, then runs() any number of times,
/// then finalize() once. A reporter is not thread-safe; it owns copies of
/// everything it was given, so the caller's spans may die after each call.

#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "chipcert/results/model.hpp"
#include "chipcert/results/verdict.hpp"

namespace chipcert::reports {

enum class Format {
  Console,     ///< the end-of-run text table (render_console)
  Html,        ///< one self-contained HTML file with SVG charts
  Markdown,    ///< GitHub-flavoured Markdown for a pull-request comment
  Junit,       ///< JUnit XML (Ant / Jenkins schema)
  GbenchJson,  ///< Google Benchmark's JSON, readable by its compare.py
};

/// "console", "html", "md", "junit", "gbench-json"; std::nullopt otherwise.
std::optional<Format> format_from_name(std::string_view name);
/// The canonical name of a format (the inverse of format_from_name).
const char* format_name(Format f);
/// From an output path's extension: .html/.htm, .md, .xml, .json, .txt;
/// std::nullopt for anything else.
std::optional<Format> format_from_path(std::string_view path);

/// What a report shows besides the results.
struct ReportOptions {
  /// The certification verdict, when the input was a certificate or a
  /// certify output: adds verdict, tier and rules per device.
  std::optional<results::Verdict> verdict;
  /// A warning shown at the top of the report, e.g. that a certificate's
  /// signature was not checked. Empty: none.
  std::string notice;
  /// Where the results came from (file name), shown in the header.
  std::string source;
};

class Reporter {
 public:
  virtual ~Reporter() = default;
  /// The document's header: run id, suite, host, devices, provenance. Its
  /// `cases` are ignored; cases arrive through runs().
  virtual void context(const results::Document& header) = 0;
  /// A batch of finished cases, in run order.
  virtual void runs(std::span<const results::Case> cases) = 0;
  /// Write the complete report. Throws std::ios_base::failure if the
  /// stream fails.
  virtual void finalize(std::ostream& out) = 0;
};

/// A reporter for `format`. Never null.
std::unique_ptr<Reporter> make_reporter(Format format, ReportOptions options = {});

/// Convenience: context(doc), runs(doc.cases), finalize into a string.
std::string render(Format format, const results::Document& doc, const ReportOptions& options = {});

}  // namespace chipcert::reports
