#pragma once
/// DSSE v1 (Dead Simple Signing Envelope): the pre-authentication encoding,
/// the JSON envelope, strict parsing and signing. See
/// https://github.com/secure-systems-lab/dsse (protocol.md, envelope.md).
///
/// Signatures always cover PAE(payloadType, payload bytes) -- the exact bytes
/// carried in the envelope, never a re-serialisation.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chipcert/trust/keys.hpp"

namespace chipcert::trust::dsse {

/// The payload type of every chipcert certificate.
inline constexpr std::string_view kInTotoPayloadType = "application/vnd.in-toto+json";

/// Certificates are small; anything larger is refused before parsing.
inline constexpr std::size_t kMaxEnvelopeBytes = std::size_t{512} << 20;

/// "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths as ASCII
/// decimal byte counts without leading zeros.
std::string pae(std::string_view payload_type, std::string_view body);

struct Signature {
  std::optional<std::string> keyid;  ///< optional in DSSE; chipcert always writes it
  std::string sig;                   ///< decoded signature bytes (any length: checked later)
  bool operator==(const Signature&) const = default;
};

struct Envelope {
  std::string payload_type;
  std::string payload;  ///< decoded payload bytes, exactly as signed
  std::vector<Signature> signatures;
  bool operator==(const Envelope&) const = default;
};

/// Parse the JSON envelope strictly: exactly the members payload, payloadType
/// and signatures (each once: duplicate keys rejected anywhere), signatures a
/// non-empty array of {sig, keyid?}, every value a string, payload and sig
/// strict base64 (encoding.hpp). Throws results::ParseError naming `source`
/// and the JSON pointer.
Envelope parse_envelope(std::string_view text, std::string_view source);

/// The JSON envelope, 2-space indented, standard base64, trailing newline.
std::string serialize_envelope(const Envelope& e);

/// A one-signature envelope: Ed25519 signature by `key` over the PAE, keyid
/// = key.key_id().
Envelope sign_envelope(std::string_view payload_type, std::string payload, const Key& key);

/// A trusted key for generic verification (test vectors): a name to match
/// keyid hints against, and the key.
struct TrustedKey {
  std::string name;
  Key key;
};

/// The DSSE multi-signature rule: the distinct trusted keys whose Ed25519
/// signature verifies over the PAE. A signature whose keyid names a trusted
/// key is checked against that key only; one without keyid against every
/// trusted key. Payload type support is the caller's business.
std::vector<std::string> verifying_keys(const Envelope& e, const std::vector<TrustedKey>& keys);

}  // namespace chipcert::trust::dsse
