#pragma once
// A normalised outline of the HTML report for golden tests: one line per
// element (name#id.class), SVG children summarised by counts, and the text
// of headings, table headers, definition terms and status cells. Throws
// std::runtime_error when the markup is not well nested, so every golden
// test also checks that the report is well formed.

#include <string>

namespace chipcert::reports::testing {

std::string html_outline(const std::string& html);

}  // namespace chipcert::reports::testing
