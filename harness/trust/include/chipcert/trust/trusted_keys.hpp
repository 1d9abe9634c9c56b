#pragma once
/// The trusted-keys directory a verifier points at: public keys (PEM files)
/// and trust.json, which lists the keys that are trusted and when:
///
///   {"format": "chipcert-trusted-keys", "format_version": 1,
///    "keys": [{"key_id": "<hex>", "file": "<name>.pub", "label": "lab A 2026",
///              "not_before": "2026-01-01T00:00:00Z",
///              "not_after": "2027-01-01T00:00:00Z",        (optional)
///              "revoked_since": "2026-06-01T00:00:00Z"}]}  (optional)
///
/// A key is valid for a signature made at time T when
/// not_before <= T < min(not_after, revoked_since). Rotating a lab key is
/// adding the new one and giving the old one a not_after: certificates signed
/// before that stay valid. A PEM file not listed in trust.json is not trusted.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chipcert/trust/keys.hpp"

namespace chipcert::trust {

struct TrustedKeyEntry {
  std::string key_id;
  std::string file;  ///< a plain file name inside the directory
  std::string label;
  std::string not_before;  ///< RFC 3339 UTC
  std::optional<std::string> not_after;
  std::optional<std::string> revoked_since;
  std::optional<Key> key;  ///< loaded by load_trusted_keys; any algorithm
};

struct TrustedKeys {
  std::string dir;
  std::vector<TrustedKeyEntry> keys;

  /// The entry with this key id, or nullptr.
  const TrustedKeyEntry* find(std::string_view key_id) const;
};

/// The name of the list inside the directory.
inline constexpr std::string_view kTrustFile = "trust.json";

/// Parse trust.json text strictly (no key files read). Throws results::ParseError.
TrustedKeys parse_trusted_keys(std::string_view text, std::string_view source);

/// Read DIR/trust.json and every key file it names; each file's key id must
/// be the listed one. Keys of any algorithm load (so that verify can say why
/// it refuses them). Throws results::ParseError naming the file for anything
/// missing, unreadable or inconsistent.
TrustedKeys load_trusted_keys(const std::string& dir);

/// trust.json text for `keys` (2-space JSON, trailing newline).
std::string serialize_trusted_keys(const TrustedKeys& keys);

/// Why `entry` may not be used for a signature made at `signed_at`
/// (RFC 3339 UTC), or "" when it may.
std::string key_validity_problem(const TrustedKeyEntry& entry, std::string_view signed_at);

/// Read a whole file of at most `max_bytes`; throws results::ParseError naming
/// the file (the trust module does not depend on the harness's file helpers).
std::string read_file_limited(const std::string& path, std::size_t max_bytes);

}  // namespace chipcert::trust
