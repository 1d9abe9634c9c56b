#pragma once
/// Byte encodings a certificate needs: strict base64 (DSSE allows the standard
/// and the URL-safe alphabet), hex, SHA-256, and RFC 3339 UTC times.
/// Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

namespace chipcert::trust {

/// Standard base64 (RFC 4648 section 4) with '=' padding.
std::string base64_encode(std::string_view bytes);

/// Decode base64 strictly. Accepted: the standard alphabet (+/) or the URL-safe
/// one (-_), not both in one string; either fully padded (length a multiple of
/// 4, one or two '=' only at the end) or unpadded (length % 4 != 1). Rejected:
/// whitespace, any other character, '=' anywhere but the end, a mix of
/// alphabets, and non-zero unused bits in the last character (so each byte
/// string has exactly one accepted encoding per alphabet and padding style).
/// Throws std::invalid_argument saying what was wrong and at which offset.
std::string base64_decode_strict(std::string_view text);

/// Lowercase hex.
std::string hex_encode(std::string_view bytes);
/// Hex (either case) to bytes; throws std::invalid_argument on odd length or a non-hex digit.
std::string hex_decode(std::string_view hex);

/// Lowercase hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

/// Seconds since the Unix epoch for an RFC 3339 UTC time written exactly as
/// "YYYY-MM-DDTHH:MM:SSZ" (what chipcert writes). Throws std::invalid_argument
/// for anything else (other offsets, fractions, Feb 30, hour 24, ...).
int64_t parse_utc_time(std::string_view text);

/// The inverse of parse_utc_time.
std::string format_utc_time(int64_t seconds_since_epoch);

}  // namespace chipcert::trust
