#pragma once
/// chipcert certificates: a DSSE envelope (payloadType
/// application/vnd.in-toto+json) around an in-toto Statement v1 whose
/// predicate (type kPredicateType) carries the verdict, the profile (exact
/// text and digest), the full results document, the certifier's provenance,
/// the signer and the signing time. harness/trust/README.md documents the
/// format and every check of verify_certificate.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chipcert/results/model.hpp"
#include "chipcert/results/verdict.hpp"
#include "chipcert/trust/dsse.hpp"
#include "chipcert/trust/keys.hpp"
#include "chipcert/trust/profile.hpp"
#include "chipcert/trust/trusted_keys.hpp"

namespace chipcert::trust {

inline constexpr std::string_view kStatementType = "https://in-toto.io/Statement/v1";
inline constexpr std::string_view kPredicateType = "https://chipcert.dev/certificate/v1";

/// The canonical identity of a device, whose SHA-256 is the digest of its
/// "device:<id>" subject: compact JSON, keys sorted, of driver,
/// driver_version, kind, vendor, name, runtime_version, uuid, serial,
/// pci_bus_id, memory_bytes and compute_units (what `jq -cS` prints for the
/// same object).
std::string device_identity(const results::Device& d);

/// Why device `d` is a stand-in and not silicon (its driver simulates a device:
/// chipcert's example plugin, the fault-injection test driver), or "" for a
/// real device. The driver name is part of the signed device identity, so a
/// certificate can always say so; `certify` refuses stand-ins unless asked
/// (demos, tests), `verify` marks them and `quota` rejects them unless asked.
std::string stand_in_reason(const results::Device& d);
/// The same for the device of `doc` with id `device_id`; "" when it has none.
std::string stand_in_reason(const results::Document& doc, const std::string& device_id);

struct CertifyRequest {
  std::string results_name;                    ///< subject name: the results file's base name
  std::string results_bytes;                   ///< the results file's exact bytes (digested)
  const results::Document* results = nullptr;  ///< the same file, parsed
  const Profile* profile = nullptr;
  results::Provenance certifier;  ///< of the certifying binary
  std::string signer_kind;        ///< "lab" or "self-signed"
  std::string signed_at;          ///< RFC 3339 UTC
};

struct Certificate {
  dsse::Envelope envelope;
  results::Verdict verdict;
};

/// Evaluate the profile (evaluate.hpp, with `certifier` for clean_build),
/// build the statement and sign its exact bytes with `key` (Ed25519).
/// Throws std::invalid_argument for a bad signer kind or time.
Certificate certify(const CertifyRequest& request, const Key& key);

struct Check {
  enum class Outcome { Pass, Fail, Skip };
  std::string name;  ///< "payload-type", "signature", "statement", ...
  Outcome outcome = Outcome::Fail;
  std::string message;
};

struct VerifyRequest {
  const TrustedKeys* keys = nullptr;
  std::optional<std::string> results_bytes;  ///< --results file bytes
  std::string results_source;                ///< its path, for messages
  std::vector<Profile> profiles;             ///< --profile-file: trusted besides the built-ins
};

struct VerifyReport {
  std::vector<Check> checks;  ///< in order; stops after a failed signature check
  /// After a passed statement check: what the certificate says.
  std::optional<results::Verdict> verdict;
  std::string signer_kind;
  std::string signer_key_id;
  std::string signed_at;
  /// After a passed statement check: the results document the certificate
  /// embeds (devices with their identity, the raw samples).
  std::optional<results::Document> results;
  /// After a passed profile check: the trusted profile the verdict was
  /// recomputed under (its tiers rank the verdict's tier, e.g. for quotas).
  std::optional<Profile> profile;
  /// Every check passed or was skipped, and at least the signature passed.
  bool accepted() const;
};

/// Check a parsed envelope: payload type, Ed25519 signature over the PAE by a
/// trusted key, then -- using only the verified payload bytes -- the
/// statement schema, signer, key validity at signed_at, the results subject
/// (when results_bytes is given), the device subjects, the profile, and the
/// recomputed verdict. Never throws for bad certificate content: every
/// problem is a failed Check with a specific message.
VerifyReport verify_certificate(const dsse::Envelope& envelope, const VerifyRequest& request);

}  // namespace chipcert::trust
