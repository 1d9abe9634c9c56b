// The trusted-keys directory: trust.json plus PEM public keys.

#include "chipcert/trust/trusted_keys.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "chipcert/results/json.hpp"
#include "chipcert/trust/encoding.hpp"
#include "chipcert/trust/strict.hpp"

namespace chipcert::trust {

using detail::Obj;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxTrustFile = std::size_t{4} << 20;
constexpr std::size_t kMaxKeyFile = 64 << 10;

std::string time_field(const Obj& o, std::string_view key) {
  const std::string t = o.str(key);
  try {
    parse_utc_time(t);
  } catch (const std::invalid_argument& e) {
    detail::fail(o.src(), o.ptr(key), "an RFC 3339 UTC time YYYY-MM-DDTHH:MM:SSZ",
                 detail::describe(json(t)));
  }
  return t;
}

bool plain_file_name(const std::string& f) {
  return !f.empty() && f != "." && f != ".." && f.find('/') == std::string::npos &&
         f.find('\0') == std::string::npos;
}

}  // namespace

const TrustedKeyEntry* TrustedKeys::find(std::string_view key_id) const {
  for (const auto& k : keys)
    if (k.key_id == key_id) return &k;
  return nullptr;
}

TrustedKeys parse_trusted_keys(std::string_view text, std::string_view src) {
  const json j = results::parse_json_strict(text, src);
  Obj o(j, src, "", "a trusted-keys list", {"format", "format_version", "keys"});
  o.check_format("chipcert-trusted-keys");
  TrustedKeys out;
  const json& keys = o.array("keys");
  std::set<std::string> ids;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    Obj k(keys[i], src, detail::child(o.ptr("keys"), i), "a trusted key",
          {"key_id", "file", "label", "not_before", "not_after", "revoked_since"});
    TrustedKeyEntry e;
    e.key_id = k.name("key_id");
    if (e.key_id.size() != 64 ||
        e.key_id.find_first_not_of("0123456789abcdef") != std::string::npos)
      detail::fail(src, k.ptr("key_id"), "64 lowercase hex digits (SHA-256 of the public key DER)",
                   detail::describe(json(e.key_id)));
    if (!ids.insert(e.key_id).second)
      detail::fail(src, k.ptr("key_id"), "each key once", "duplicate key id");
    e.file = k.name("file");
    if (!plain_file_name(e.file))
      detail::fail(src, k.ptr("file"), "a file name inside the directory (no '/')",
                   detail::describe(json(e.file)));
    e.label = k.str("label");
    e.not_before = time_field(k, "not_before");
    if (k.has("not_after")) e.not_after = time_field(k, "not_after");
    if (k.has("revoked_since")) e.revoked_since = time_field(k, "revoked_since");
    out.keys.push_back(std::move(e));
  }
  return out;
}

std::string read_file_limited(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw results::ParseError(
        path, "", std::string("expected a readable file, found ") + std::strerror(errno));
  }
  std::string out;
  char buf[1 << 14];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out.append(buf, static_cast<std::size_t>(in.gcount()));
    if (out.size() > max_bytes) {
      throw results::ParseError(
          path, "",
          "expected a file of at most " + std::to_string(max_bytes) + " bytes, found more");
    }
  }
  if (in.bad()) throw results::ParseError(path, "", "expected a readable file, found a read error");
  return out;
}

TrustedKeys load_trusted_keys(const std::string& dir) {
  const std::string list = dir + "/" + std::string(kTrustFile);
  TrustedKeys t = parse_trusted_keys(read_file_limited(list, kMaxTrustFile), list);
  t.dir = dir;
  for (std::size_t i = 0; i < t.keys.size(); ++i) {
    auto& e = t.keys[i];
    const std::string path = dir + "/" + e.file;
    e.key = Key::from_public_pem(read_file_limited(path, kMaxKeyFile), path);
    if (e.key->key_id() != e.key_id) {
      throw results::ParseError(
          list, "/keys/" + std::to_string(i) + "/key_id",
          "expected the key id of " + e.file + " (" + e.key->key_id() + "), found " + e.key_id);
    }
  }
  return t;
}

std::string serialize_trusted_keys(const TrustedKeys& t) {
  json keys = json::array();
  for (const auto& e : t.keys) {
    json k = {
        {"key_id", e.key_id}, {"file", e.file}, {"label", e.label}, {"not_before", e.not_before}};
    if (e.not_after) k["not_after"] = *e.not_after;
    if (e.revoked_since) k["revoked_since"] = *e.revoked_since;
    keys.push_back(std::move(k));
  }
  const json j = {
      {"format", "chipcert-trusted-keys"}, {"format_version", 1}, {"keys", std::move(keys)}};
  return j.dump(2) + "\n";
}

std::string key_validity_problem(const TrustedKeyEntry& e, std::string_view signed_at) {
  const int64_t t = parse_utc_time(signed_at);
  const std::string who =
      "key " + e.key_id.substr(0, 16) + (e.label.empty() ? "" : " (" + e.label + ")");
  if (t < parse_utc_time(e.not_before))
    return who + " is trusted only from " + e.not_before + "; signed_at " + std::string(signed_at) +
           " is earlier";
  if (e.revoked_since && t >= parse_utc_time(*e.revoked_since))
    return who + " was revoked since " + *e.revoked_since + "; signed_at " +
           std::string(signed_at) + " is not before that";
  if (e.not_after && t >= parse_utc_time(*e.not_after))
    return who + " expired at " + *e.not_after + " (not_after); signed_at " +
           std::string(signed_at) + " is not before that";
  return "";
}

}  // namespace chipcert::trust
