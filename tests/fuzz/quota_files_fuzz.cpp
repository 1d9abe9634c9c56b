// Fuzz target: bytes -> procurement policy, plan and offers parsers (the
// same bytes through all three). Any input must end in a parsed file or a
// ParseError naming the JSON pointer; anything else (a crash, a sanitizer
// report, another exception) is a finding.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "chipcert/quota/plan.hpp"
#include "chipcert/quota/policy.hpp"
#include "chipcert/results/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)chipcert::quota::parse_policy(text, "fuzz-policy");
  } catch (const chipcert::results::ParseError&) {
  }
  try {
    (void)chipcert::quota::parse_plan(text, "fuzz-plan");
  } catch (const chipcert::results::ParseError&) {
  }
  try {
    (void)chipcert::quota::parse_offers(text, "fuzz-offers");
  } catch (const chipcert::results::ParseError&) {
  }
  return 0;
}
