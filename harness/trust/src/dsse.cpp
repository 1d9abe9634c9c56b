// DSSE envelopes: PAE, strict parsing, signing, generic verification.

#include "chipcert/trust/dsse.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "chipcert/results/json.hpp"
#include "chipcert/trust/encoding.hpp"
#include "chipcert/trust/strict.hpp"

namespace chipcert::trust::dsse {

using nlohmann::json;

std::string pae(std::string_view type, std::string_view body) {
  std::string out = "DSSEv1 ";
  out += std::to_string(type.size());
  out += ' ';
  out += type;
  out += ' ';
  out += std::to_string(body.size());
  out += ' ';
  out += body;
  return out;
}

namespace {

std::string decode(const json& v, std::string_view src, const std::string& ptr) {
  if (!v.is_string()) detail::fail(src, ptr, "a base64 string", detail::describe(v));
  try {
    return base64_decode_strict(v.get_ref<const std::string&>());
  } catch (const std::invalid_argument& e) {
    detail::fail(src, ptr, "standard or URL-safe base64",
                 std::string("malformed base64: ") + e.what());
  }
}

}  // namespace

Envelope parse_envelope(std::string_view text, std::string_view source) {
  if (text.size() > kMaxEnvelopeBytes) {
    detail::fail(source, "",
                 "an envelope of at most " + std::to_string(kMaxEnvelopeBytes) + " bytes",
                 std::to_string(text.size()) + " bytes");
  }
  const json j = results::parse_json_strict(text, source);
  detail::Obj o(j, source, "", "a DSSE envelope", {"payload", "payloadType", "signatures"});
  Envelope e;
  e.payload_type = o.str("payloadType");
  e.payload = decode(o.at("payload", "a base64 string"), source, o.ptr("payload"));
  const json& sigs = o.array("signatures");
  if (sigs.empty())
    detail::fail(source, o.ptr("signatures"), "at least one signature", "empty array");
  for (std::size_t i = 0; i < sigs.size(); ++i) {
    detail::Obj s(sigs[i], source, detail::child(o.ptr("signatures"), i), "a signature",
                  {"keyid", "sig"});
    Signature sig;
    if (s.has("keyid")) sig.keyid = s.str("keyid");
    sig.sig = decode(s.at("sig", "a base64 string"), source, s.ptr("sig"));
    e.signatures.push_back(std::move(sig));
  }
  return e;
}

std::string serialize_envelope(const Envelope& e) {
  json sigs = json::array();
  for (const auto& s : e.signatures) {
    json js = {{"sig", base64_encode(s.sig)}};
    if (s.keyid) js["keyid"] = *s.keyid;
    sigs.push_back(std::move(js));
  }
  const json j = {{"payloadType", e.payload_type},
                  {"payload", base64_encode(e.payload)},
                  {"signatures", std::move(sigs)}};
  return j.dump(2) + "\n";
}

Envelope sign_envelope(std::string_view payload_type, std::string payload, const Key& key) {
  Envelope e;
  e.payload_type = std::string(payload_type);
  e.payload = std::move(payload);
  e.signatures.push_back({key.key_id(), key.sign(pae(e.payload_type, e.payload))});
  return e;
}

std::vector<std::string> verifying_keys(const Envelope& e, const std::vector<TrustedKey>& keys) {
  const std::string message = pae(e.payload_type, e.payload);
  std::vector<std::string> accepted;
  for (const auto& s : e.signatures) {
    for (const auto& k : keys) {
      if (s.keyid && *s.keyid != k.name) continue;
      if (std::find(accepted.begin(), accepted.end(), k.name) != accepted.end()) continue;
      if (k.key.verify(message, s.sig)) accepted.push_back(k.name);
    }
  }
  return accepted;
}

}  // namespace chipcert::trust::dsse
