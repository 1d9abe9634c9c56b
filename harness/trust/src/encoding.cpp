// Strict base64, hex, SHA-256 and UTC times. Strictness matters: a lenient
// decoder gives one signature many encodings, and a verifier that accepts
// what another rejects splits the ecosystem.

#include "chipcert/trust/encoding.hpp"

#include <openssl/evp.h>

#include <array>
#include <ctime>
#include <stdexcept>
#include <string>

namespace chipcert::trust {

namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Value of a base64 digit in either alphabet, -1 for anything else;
/// `alphabet` is set to 1 for '+' '/', 2 for '-' '_', untouched otherwise.
int digit(char c, int& alphabet) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '/') {
    alphabet = 1;
    return c == '+' ? 62 : 63;
  }
  if (c == '-' || c == '_') {
    alphabet = 2;
    return c == '-' ? 62 : 63;
  }
  return -1;
}

std::string printable(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7f) return std::string("'") + c + "'";
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", u);
  return buf;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                       static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kStd[v >> 18];
    out += kStd[(v >> 12) & 63];
    out += kStd[(v >> 6) & 63];
    out += kStd[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kStd[v >> 18];
    out += kStd[(v >> 12) & 63];
    out += rest == 2 ? kStd[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string base64_decode_strict(std::string_view text) {
  // Split off the padding, which may only be the last one or two characters.
  std::size_t body = text.size();
  while (body > 0 && text[body - 1] == '=') --body;
  const std::size_t pad = text.size() - body;
  // Foreign characters first: "there is a newline at offset 76" says more
  // than any length complaint it also causes.
  for (std::size_t i = 0; i < body; ++i) {
    int ignored = 0;
    if (digit(text[i], ignored) < 0) {
      throw std::invalid_argument("character " + printable(text[i]) + " at offset " +
                                  std::to_string(i) + " is not base64" +
                                  (text[i] == '=' ? " here (padding only at the end)" : ""));
    }
  }
  if (pad > 2) {
    throw std::invalid_argument("more than two '=' padding characters at the end");
  }
  if (pad > 0 && text.size() % 4 != 0) {
    throw std::invalid_argument("padded base64 must be a multiple of 4 characters long, this is " +
                                std::to_string(text.size()));
  }
  if (body % 4 == 1) {
    throw std::invalid_argument("length " + std::to_string(body) +
                                " leaves one dangling character (a truncated encoding)");
  }
  int alphabet = 0;
  std::string out;
  out.reserve(body / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < body; ++i) {
    int seen = 0;
    const int v = digit(text[i], seen);  // >= 0: checked above
    if (seen != 0) {
      if (alphabet != 0 && alphabet != seen) {
        throw std::invalid_argument("character " + printable(text[i]) + " at offset " +
                                    std::to_string(i) +
                                    " mixes the URL-safe and the standard alphabet");
      }
      alphabet = seen;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // The bits left over must be zero: otherwise several texts decode alike.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    throw std::invalid_argument("non-zero unused bits in the last character " +
                                printable(text[body - 1]) + " (a non-canonical encoding)");
  }
  return out;
}

std::string hex_encode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    out += kHex[u >> 4];
    out += kHex[u & 15];
  }
  return out;
}

std::string hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0) throw std::invalid_argument("odd number of hex digits");
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::invalid_argument(std::string("not a hex digit: ") + printable(c));
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2)
    out += static_cast<char>(val(hex[i]) << 4 | val(hex[i + 1]));
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md.data(), &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL: SHA-256 failed");
  }
  return hex_encode(std::string_view(reinterpret_cast<const char*>(md.data()), len));
}

int64_t parse_utc_time(std::string_view t) {
  const auto bad = [&t](const char* why) {
    std::string shown(t.substr(0, 40));
    throw std::invalid_argument("\"" + shown + "\" is not an RFC 3339 UTC time " +
                                "YYYY-MM-DDTHH:MM:SSZ (" + why + ")");
  };
  if (t.size() != 20) bad("wrong length");
  static constexpr const char* kShape = "dddd-dd-ddTdd:dd:ddZ";
  for (std::size_t i = 0; i < 20; ++i) {
    const bool want_digit = kShape[i] == 'd';
    const bool is_digit = t[i] >= '0' && t[i] <= '9';
    if (want_digit ? !is_digit : t[i] != kShape[i]) bad("wrong character");
  }
  auto num = [&t](std::size_t pos, std::size_t len) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) v = v * 10 + (t[i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(5, 2) - 1;
  tm.tm_mday = num(8, 2);
  tm.tm_hour = num(11, 2);
  tm.tm_min = num(14, 2);
  tm.tm_sec = num(17, 2);
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 59) {
    bad("field out of range");
  }
  const std::tm want = tm;
  const time_t secs = ::timegm(&tm);
  // timegm normalises Feb 30 to Mar 2; a date that moved did not exist.
  if (tm.tm_mday != want.tm_mday || tm.tm_mon != want.tm_mon || tm.tm_year != want.tm_year) {
    bad("no such date");
  }
  return static_cast<int64_t>(secs);
}

std::string format_utc_time(int64_t seconds) {
  const auto t = static_cast<time_t>(seconds);
  std::tm tm{};
  if (::gmtime_r(&t, &tm) == nullptr) throw std::invalid_argument("time out of range");
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace chipcert::trust
