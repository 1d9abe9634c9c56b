#include "chipcert/reports/reporter.hpp"

#include <sstream>
#include <utility>

#include "chipcert/reports/console.hpp"
#include "renderers.hpp"

namespace chipcert::reports {

namespace {

/// Every format renders the whole document at the end (charts and tables
/// need all cases), so one reporter accumulates and dispatches.
class DocumentReporter final : public Reporter {
 public:
  DocumentReporter(Format f, ReportOptions o) : format_(f), options_(std::move(o)) {}

  void context(const results::Document& header) override {
    doc_ = header;
    doc_.cases.clear();
  }
  void runs(std::span<const results::Case> cases) override {
    doc_.cases.insert(doc_.cases.end(), cases.begin(), cases.end());
  }
  void finalize(std::ostream& out) override {
    out.exceptions(std::ios::badbit | std::ios::failbit);
    switch (format_) {
      case Format::Console:
        out << render_console(doc_);
        break;
      case Format::Html:
        detail::write_html(doc_, options_, out);
        break;
      case Format::Markdown:
        detail::write_markdown(doc_, options_, out);
        break;
      case Format::Junit:
        detail::write_junit(doc_, options_, out);
        break;
      case Format::GbenchJson:
        detail::write_gbench_json(doc_, options_, out);
        break;
    }
    out.flush();
  }

 private:
  Format format_;
  ReportOptions options_;
  results::Document doc_;
};

}  // namespace

std::optional<Format> format_from_name(std::string_view name) {
  if (name == "console") return Format::Console;
  if (name == "html") return Format::Html;
  if (name == "md") return Format::Markdown;
  if (name == "junit") return Format::Junit;
  if (name == "gbench-json") return Format::GbenchJson;
  return std::nullopt;
}

const char* format_name(Format f) {
  switch (f) {
    case Format::Console:
      return "console";
    case Format::Html:
      return "html";
    case Format::Markdown:
      return "md";
    case Format::Junit:
      return "junit";
    case Format::GbenchJson:
      return "gbench-json";
  }
  return "?";
}

std::optional<Format> format_from_path(std::string_view path) {
  const auto dot = path.rfind('.');
  const auto slash = path.find_last_of("/\\");
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
    return std::nullopt;
  const std::string_view ext = path.substr(dot + 1);
  if (ext == "html" || ext == "htm") return Format::Html;
  if (ext == "md") return Format::Markdown;
  if (ext == "xml") return Format::Junit;
  if (ext == "json") return Format::GbenchJson;
  if (ext == "txt") return Format::Console;
  return std::nullopt;
}

std::unique_ptr<Reporter> make_reporter(Format format, ReportOptions options) {
  return std::make_unique<DocumentReporter>(format, std::move(options));
}

std::string render(Format format, const results::Document& doc, const ReportOptions& options) {
  auto r = make_reporter(format, options);
  r->context(doc);
  r->runs(doc.cases);
  std::ostringstream out;
  r->finalize(out);
  return out.str();
}

namespace detail {

const results::DeviceVerdict* verdict_for(const ReportOptions& o, const std::string& device_id) {
  if (!o.verdict) return nullptr;
  for (const auto& d : o.verdict->devices)
    if (d.device == device_id) return &d;
  return nullptr;
}

}  // namespace detail

}  // namespace chipcert::reports
