#pragma once
// Helpers every renderer shares: escaping and number formatting with units.
// Internal to chipcert::reports.

#include <string>
#include <string_view>

#include "chipcert/reports/escape.hpp"

namespace chipcert::reports::detail {

using reports::xml_escape;

/// Escape for a GitHub-flavoured Markdown table cell: '|' and '\' escaped,
/// line breaks as spaces, HTML-significant '<' '>' '&' as entities.
std::string md_cell(std::string_view s);

/// Three significant digits with an SI prefix: si(2.185e11, "FLOP/s") ==
/// "218 GFLOP/s"; si(1.5e-6, "s") == "1.50 us". 0 gives "0 <unit>".
std::string si(double value, std::string_view unit);

/// Fixed decimals, "C" locale independent of the process locale: fixed(1.5, 2) == "1.50".
std::string fixed(double value, int decimals);

/// A number for machines (SVG coordinates): six decimals with trailing
/// zeros trimmed, never exponent notation; non-finite gives "0".
std::string plain(double value);

/// A lower-case id fragment: letters, digits and '-' only ("cpu:0" -> "cpu-0").
std::string slug(std::string_view s);

}  // namespace chipcert::reports::detail
