#pragma once
// The renderers behind make_reporter: each writes a whole document (header
// plus every case accumulated by the reporter) to a stream.

#include <ostream>

#include "chipcert/reports/reporter.hpp"

namespace chipcert::reports::detail {

void write_html(const results::Document& doc, const ReportOptions& o, std::ostream& out);
void write_markdown(const results::Document& doc, const ReportOptions& o, std::ostream& out);
void write_junit(const results::Document& doc, const ReportOptions& o, std::ostream& out);
void write_gbench_json(const results::Document& doc, const ReportOptions& o, std::ostream& out);

/// The verdict of one device, if the options carry one for it.
const results::DeviceVerdict* verdict_for(const ReportOptions& o, const std::string& device_id);

}  // namespace chipcert::reports::detail
