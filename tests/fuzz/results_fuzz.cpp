// Fuzz target: bytes -> strict results-document parser -> serialiser.
// Any input must end in a Document or a ParseError; a parsed document must
// serialise (dump_document re-validates it) and parse back to the same text.
// Anything else (a crash, a sanitizer report, another exception) is a finding.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "chipcert/results/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  chipcert::results::Document doc;
  try {
    doc = chipcert::results::parse_document(text, "fuzz");
  } catch (const chipcert::results::ParseError&) {
    return 0;  // rejected with a message: fine
  }
  const std::string once = chipcert::results::dump_document(doc);
  const std::string twice =
      chipcert::results::dump_document(chipcert::results::parse_document(once, "fuzz-roundtrip"));
  if (once != twice) __builtin_trap();
  return 0;
}
