// Fuzz target: bytes -> DSSE envelope parser -> certificate verifier.
// Any input must end in a parsed envelope or a ParseError, and every parsed
// envelope in a report; anything else (a crash, a sanitizer report, another
// exception) is a finding.
//
// The trusted key is fixed (from a seed) so that a corpus certificate signed
// by it reaches past the signature into the statement, profile and verdict
// checks; the fuzzer mutates from there.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "chipcert/results/json.hpp"
#include "chipcert/trust/certificate.hpp"
#include "chipcert/trust/dsse.hpp"
#include "chipcert/trust/keys.hpp"
#include "chipcert/trust/trusted_keys.hpp"

namespace {

const chipcert::trust::TrustedKeys& trusted_keys() {
  static const chipcert::trust::TrustedKeys keys = [] {
    const auto key = chipcert::trust::Key::ed25519_from_seed(std::string(32, '\x01'));
    chipcert::trust::TrustedKeys t;
    t.dir = "fuzz";
    chipcert::trust::TrustedKeyEntry e;
    e.key_id = key.key_id();
    e.file = "fuzz.pub";
    e.label = "fuzz";
    e.not_before = "2020-01-01T00:00:00Z";
    e.key = chipcert::trust::Key::from_public_pem(key.public_pem(), "fuzz.pub");
    t.keys.push_back(e);
    return t;
  }();
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  chipcert::trust::dsse::Envelope env;
  try {
    env = chipcert::trust::dsse::parse_envelope(text, "fuzz");
  } catch (const chipcert::results::ParseError&) {
    return 0;  // rejected with a message: fine
  }
  chipcert::trust::VerifyRequest req;
  req.keys = &trusted_keys();
  const auto report = chipcert::trust::verify_certificate(env, req);
  // Serialising what was parsed must round-trip.
  const auto again = chipcert::trust::dsse::parse_envelope(
      chipcert::trust::dsse::serialize_envelope(env), "fuzz-roundtrip");
  if (!(again == env)) __builtin_trap();
  if (report.checks.empty()) __builtin_trap();  // every verification says something
  return 0;
}
