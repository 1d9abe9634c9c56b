#pragma once
// Shared fixtures of the trust tests: a smoke-like results document built in
// code, the test profile, keys and a trusted-keys set held in memory.

#include <string>

#include "chipcert/results/model.hpp"
#include "chipcert/trust/certificate.hpp"
#include "chipcert/trust/keys.hpp"
#include "chipcert/trust/profile.hpp"
#include "chipcert/trust/trusted_keys.hpp"

namespace chipcert::trust::testing {

/// harness/trust/tests/data/<name>.
std::string data_path(const std::string& name);

/// One CPU device, the five smoke cases all passed with 5 steady samples
/// each, a clean provenance: VALID under test-smoke-v1.
results::Document smoke_document();

/// A case of smoke_document() by workload and label.
results::Case& find_case(results::Document& doc, const std::string& workload,
                         const std::string& label);

/// test-smoke-v1.json, parsed.
Profile test_profile();

/// A clean certifier provenance.
results::Provenance clean_certifier();

/// An Ed25519 key from a fixed seed byte (deterministic tests).
Key seeded_key(unsigned char fill);

/// PEM of a fresh ECDSA P-256 public key.
std::string ec_public_pem();

/// A trusted entry for `key`, valid from 2020 on.
TrustedKeyEntry trusted(const Key& key, const std::string& label);

}  // namespace chipcert::trust::testing
