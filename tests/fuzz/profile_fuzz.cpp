// Fuzz target: bytes -> certification-profile parser. Any input must end in
// a Profile or a ParseError naming the JSON pointer; a parsed profile keeps
// the exact bytes it was parsed from and their digest. Anything else (a
// crash, a sanitizer report, another exception) is a finding.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "chipcert/results/json.hpp"
#include "chipcert/trust/profile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const chipcert::trust::Profile p = chipcert::trust::parse_profile(text, "fuzz");
    if (p.text != text || p.sha256.size() != 64) __builtin_trap();
  } catch (const chipcert::results::ParseError&) {
    return 0;  // rejected with a message: fine
  }
  return 0;
}
