#pragma once
// Escaping for every HTML or XML page chipcert writes (the reports here, the
// quota reports in harness/quota): one function, so no page escapes less.

#include <string>
#include <string_view>

namespace chipcert::reports {

/// Escape for XML/HTML text and attribute values (& < > " '). Control
/// characters XML 1.0 cannot carry (all below 0x20 except tab, LF, CR) become
/// U+FFFD, so a driver's odd error string cannot break the document.
std::string xml_escape(std::string_view s);

}  // namespace chipcert::reports
