// Certify (evaluate, build the in-toto statement, sign) and verify (every
// check of harness/trust/README.md, in order).

#include "chipcert/trust/certificate.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "chipcert/results/json.hpp"
#include "chipcert/trust/encoding.hpp"
#include "chipcert/trust/evaluate.hpp"
#include "chipcert/trust/strict.hpp"

namespace chipcert::trust {

using detail::Obj;
using nlohmann::json;
using Outcome = Check::Outcome;

std::string device_identity(const results::Device& d) {
  // nlohmann objects iterate in sorted key order: dump() is canonical.
  const json j = {{"driver", d.driver},
                  {"driver_version", d.driver_version},
                  {"kind", d.kind},
                  {"vendor", d.vendor},
                  {"name", d.name},
                  {"runtime_version", d.runtime_version},
                  {"uuid", d.uuid},
                  {"serial", d.serial},
                  {"pci_bus_id", d.pci_bus_id},
                  {"memory_bytes", d.memory_bytes},
                  {"compute_units", d.compute_units}};
  return j.dump();
}

std::string stand_in_reason(const results::Device& d) {
  if (d.driver == "example")
    return "driver 'example' simulates an accelerator on host memory (chipcert's template plugin)";
  if (d.driver == "fault") return "driver 'fault' is chipcert's fault-injection test driver";
  return "";
}

std::string stand_in_reason(const results::Document& doc, const std::string& device_id) {
  for (const auto& d : doc.devices)
    if (d.id == device_id) return stand_in_reason(d);
  return "";
}

namespace {

json subject(const std::string& name, const std::string& sha256) {
  return {{"name", name}, {"digest", {{"sha256", sha256}}}};
}

json device_subjects(const results::Document& doc) {
  json out = json::array();
  for (const auto& d : doc.devices)
    out.push_back(subject("device:" + d.id, sha256_hex(device_identity(d))));
  return out;
}

json provenance_json(const results::Provenance& p) {
  return {{"chipcert_version", p.chipcert_version},
          {"git_commit", p.git_commit},
          {"dirty", p.dirty},
          {"binary_sha256", p.binary_sha256},
          {"compiler", p.compiler}};
}

bool valid_kind(const std::string& k) {
  return k == "lab" || k == "self-signed";
}

}  // namespace

Certificate certify(const CertifyRequest& r, const Key& key) {
  if (!valid_kind(r.signer_kind))
    throw std::invalid_argument("signer kind must be lab or self-signed");
  parse_utc_time(r.signed_at);
  Certificate cert;
  cert.verdict = evaluate(*r.results, *r.profile, &r.certifier);
  json subjects = json::array({subject(r.results_name, sha256_hex(r.results_bytes))});
  for (auto& s : device_subjects(*r.results)) subjects.push_back(std::move(s));
  const json statement = {{"_type", kStatementType},
                          {"subject", std::move(subjects)},
                          {"predicateType", kPredicateType},
                          {"predicate",
                           {{"verdict", results::to_json(cert.verdict)},
                            {"profile",
                             {{"name", r.profile->name},
                              {"version", r.profile->version},
                              {"sha256", r.profile->sha256},
                              {"text", r.profile->text}}},
                            {"results", results::to_json(*r.results)},
                            {"provenance", provenance_json(r.certifier)},
                            {"signer", {{"key_id", key.key_id()}, {"kind", r.signer_kind}}},
                            {"signed_at", r.signed_at}}}};
  cert.envelope = dsse::sign_envelope(dsse::kInTotoPayloadType, statement.dump(), key);
  return cert;
}

bool VerifyReport::accepted() const {
  bool signature = false;
  for (const auto& c : checks) {
    if (c.outcome == Outcome::Fail) return false;
    signature = signature || (c.name == "signature" && c.outcome == Outcome::Pass);
  }
  return signature;
}

namespace {

/// Everything the payload says, parsed strictly.
struct Statement {
  json subjects;  // validated shape: [{name, digest{sha256}}]
  results::Verdict verdict;
  std::string profile_name, profile_version, profile_sha256, profile_text;
  results::Document results;
  results::Provenance certifier;
  std::string signer_key_id, signer_kind, signed_at;
};

constexpr const char* kPayload = "certificate payload";

Statement parse_statement(std::string_view payload) {
  const json j = results::parse_json_strict(payload, kPayload);
  Obj o(j, kPayload, "", "an in-toto statement",
        {"_type", "subject", "predicateType", "predicate"});
  if (o.str("_type") != kStatementType)
    detail::fail(kPayload, o.ptr("_type"), "\"" + std::string(kStatementType) + "\"",
                 detail::describe(o.at("_type", "")));
  if (o.str("predicateType") != kPredicateType)
    detail::fail(kPayload, o.ptr("predicateType"), "\"" + std::string(kPredicateType) + "\"",
                 detail::describe(o.at("predicateType", "")));
  Statement s;
  s.subjects = o.array("subject");
  if (s.subjects.empty())
    detail::fail(kPayload, o.ptr("subject"), "at least one subject", "empty array");
  for (std::size_t i = 0; i < s.subjects.size(); ++i) {
    Obj sub(s.subjects[i], kPayload, detail::child(o.ptr("subject"), i), "a subject",
            {"name", "digest"});
    sub.name("name");
    Obj dig(sub.at("digest", "a digest"), kPayload, sub.ptr("digest"), "a digest", {"sha256"});
    dig.name("sha256");
  }
  Obj p(o.at("predicate", "a predicate"), kPayload, o.ptr("predicate"), "a chipcert predicate",
        {"verdict", "profile", "results", "provenance", "signer", "signed_at"});
  s.verdict = results::verdict_from_json(p.at("verdict", "a verdict"), kPayload, p.ptr("verdict"));
  Obj prof(p.at("profile", "a profile"), kPayload, p.ptr("profile"), "a profile record",
           {"name", "version", "sha256", "text"});
  s.profile_name = prof.name("name");
  s.profile_version = prof.name("version");
  s.profile_sha256 = prof.name("sha256");
  s.profile_text = prof.str("text");
  s.results = results::document_from_json(p.at("results", "a results document"),
                                          std::string(kPayload) + " /predicate/results");
  Obj prov(p.at("provenance", "a provenance"), kPayload, p.ptr("provenance"),
           "a certifier provenance",
           {"chipcert_version", "git_commit", "dirty", "binary_sha256", "compiler"});
  s.certifier.chipcert_version = prov.str("chipcert_version");
  s.certifier.git_commit = prov.str("git_commit");
  s.certifier.dirty = prov.boolean("dirty");
  s.certifier.binary_sha256 = prov.str("binary_sha256");
  s.certifier.compiler = prov.str("compiler");
  Obj signer(p.at("signer", "a signer"), kPayload, p.ptr("signer"), "a signer", {"key_id", "kind"});
  s.signer_key_id = signer.name("key_id");
  s.signer_kind = signer.str("kind");
  if (!valid_kind(s.signer_kind))
    detail::fail(kPayload, signer.ptr("kind"), "\"lab\" or \"self-signed\"",
                 detail::describe(json(s.signer_kind)));
  s.signed_at = p.str("signed_at");
  try {
    parse_utc_time(s.signed_at);
  } catch (const std::invalid_argument& e) {
    detail::fail(kPayload, p.ptr("signed_at"), "an RFC 3339 UTC time", e.what());
  }
  return s;
}

std::string short_id(const std::string& id) {
  return id.substr(0, 16);
}

/// The first difference between a claimed and a recomputed device verdict.
std::string difference(const results::DeviceVerdict& claim, const results::DeviceVerdict& real) {
  const auto verdict_word = [](bool v) { return v ? "VALID" : "INVALID"; };
  std::string out = claim.device + ": ";
  if (claim.valid != real.valid)
    out += std::string("the certificate claims ") + verdict_word(claim.valid) +
           ", the results show " + verdict_word(real.valid);
  for (const auto& r : real.rules) {
    const auto it = std::find_if(claim.rules.begin(), claim.rules.end(),
                                 [&](const auto& c) { return c.rule_id == r.rule_id; });
    if (it == claim.rules.end()) return out + "; rule " + r.rule_id + " is missing from the claim";
    if (*it != r) {
      return out + (claim.valid != real.valid ? "; " : "") + "rule " + r.rule_id + ": claimed " +
             (it->passed ? "pass" : "fail") + " (" + it->figure + "), recomputed " +
             (r.passed ? "pass" : "fail") + " (" + r.figure +
             (r.passed ? "" : ", needs " + r.threshold) + ")";
    }
  }
  if (claim.rules.size() != real.rules.size())
    return out + "the claim lists rules the profile does not have";
  if (claim.tier != real.tier)
    return out + "claimed tier \"" + claim.tier + "\", recomputed \"" + real.tier + "\"";
  if (claim.figures != real.figures) return out + "claimed figures differ from the recomputed ones";
  return out;
}

Check check_verdict(const Statement& s, const Profile& profile) {
  const results::Verdict real = evaluate(s.results, profile, &s.certifier);
  if (real == s.verdict) {
    std::string devices;
    for (const auto& d : real.devices) devices += (devices.empty() ? "" : ", ") + d.device;
    return {"verdict", Outcome::Pass,
            "recomputed from the raw samples under " + profile.name + " " + profile.version +
                ": identical for " + std::to_string(real.devices.size()) + " device(s)" +
                (devices.empty() ? "" : " (" + devices + ")")};
  }
  if (real.profile != s.verdict.profile)
    return {"verdict", Outcome::Fail,
            "the verdict names profile " + s.verdict.profile.name + " " +
                s.verdict.profile.version + ", the certificate's profile is " + profile.name + " " +
                profile.version};
  for (const auto& r : real.devices) {
    const auto it = std::find_if(s.verdict.devices.begin(), s.verdict.devices.end(),
                                 [&](const auto& c) { return c.device == r.device; });
    if (it == s.verdict.devices.end())
      return {"verdict", Outcome::Fail,
              "device " + r.device + " has no verdict in the certificate"};
    if (*it != r)
      return {"verdict", Outcome::Fail,
              "claimed verdict differs from the data: " + difference(*it, r)};
  }
  return {"verdict", Outcome::Fail, "the certificate has verdicts for devices not in its results"};
}

}  // namespace

VerifyReport verify_certificate(const dsse::Envelope& env, const VerifyRequest& req) {
  VerifyReport rep;
  auto add = [&rep](std::string name, Outcome o, std::string msg) {
    rep.checks.push_back({std::move(name), o, std::move(msg)});
    return o == Outcome::Pass;
  };

  // 1. Payload type: part of what is signed, and the only type we parse.
  if (env.payload_type != dsse::kInTotoPayloadType) {
    add("payload-type", Outcome::Fail,
        "payloadType " + detail::describe(json(env.payload_type)).substr(7) + " is not " +
            std::string(dsse::kInTotoPayloadType));
    return rep;
  }
  add("payload-type", Outcome::Pass, std::string(dsse::kInTotoPayloadType));

  // 2. Signatures: one must verify under a trusted Ed25519 key; a signature
  // claiming a trusted key that does not verify rejects the envelope.
  const std::string message = dsse::pae(env.payload_type, env.payload);
  const TrustedKeyEntry* signer = nullptr;
  std::string problem;  // rejects the envelope outright
  std::string unknown;  // only matters when no signature verifies
  for (std::size_t i = 0; i < env.signatures.size() && problem.empty(); ++i) {
    const auto& sig = env.signatures[i];
    const std::string which = "signature " + std::to_string(i);
    if (sig.sig.size() != 64) {
      problem = which + " is " + std::to_string(sig.sig.size()) +
                " bytes; an Ed25519 signature is exactly 64";
      break;
    }
    std::vector<const TrustedKeyEntry*> candidates;
    if (sig.keyid) {
      if (const auto* e = req.keys->find(*sig.keyid)) candidates.push_back(e);
    } else {
      for (const auto& e : req.keys->keys)
        if (e.key->is_ed25519()) candidates.push_back(&e);
    }
    if (candidates.empty()) {
      if (unknown.empty())
        unknown = which + ": no trusted key has id " + (sig.keyid ? *sig.keyid : "(none given)") +
                  " (trusted keys: " + req.keys->dir + "/trust.json)";
      continue;
    }
    if (sig.keyid && !candidates[0]->key->is_ed25519()) {
      const auto* e = candidates[0];
      problem = which + ": trusted key " + short_id(e->key_id) + " (" + e->file + ") is " +
                e->key->algorithm() + ", not Ed25519; chipcert certificates are Ed25519 only";
      break;
    }
    const auto it = std::find_if(candidates.begin(), candidates.end(),
                                 [&](const auto* e) { return e->key->verify(message, sig.sig); });
    if (it == candidates.end()) {
      problem = which + " does not verify over the PAE of this payload with " +
                (sig.keyid ? "key " + short_id(*sig.keyid) : std::string("any trusted key")) +
                ": the payload, its type or the signature was altered, or another key signed it";
    } else if (!signer) {
      signer = *it;
    }
  }
  if (problem.empty() && !signer)
    problem = unknown.empty() ? "no signature by a trusted key" : unknown;
  if (!problem.empty()) {
    add("signature", Outcome::Fail, problem);
    return rep;
  }
  add("signature", Outcome::Pass,
      "Ed25519 by trusted key " + short_id(signer->key_id) +
          (signer->label.empty() ? "" : " (" + signer->label + ")") + " over the PAE");

  // 3. From here on only the verified bytes are read.
  Statement s;
  try {
    s = parse_statement(env.payload);
  } catch (const results::ParseError& e) {
    add("statement", Outcome::Fail, e.what());
    return rep;
  }
  add("statement", Outcome::Pass, "in-toto Statement v1, predicate " + std::string(kPredicateType));
  rep.verdict = s.verdict;
  rep.signer_kind = s.signer_kind;
  rep.signer_key_id = s.signer_key_id;
  rep.signed_at = s.signed_at;
  rep.results = s.results;

  // 4. The predicate names the key that really signed.
  if (s.signer_key_id != signer->key_id)
    add("signer", Outcome::Fail,
        "predicate names signer key " + short_id(s.signer_key_id) + ", but key " +
            short_id(signer->key_id) + " signed");
  else
    add("signer", Outcome::Pass, "key " + short_id(s.signer_key_id) + ", " + s.signer_kind);

  // 5. The key was valid when the certificate says it signed.
  if (const std::string why = key_validity_problem(*signer, s.signed_at); !why.empty())
    add("key-validity", Outcome::Fail, why);
  else
    add("key-validity", Outcome::Pass, "key valid at signed_at " + s.signed_at);

  // 6. The results file, when given, is the one signed (and the one embedded).
  const std::string results_digest = s.subjects[0]["digest"]["sha256"].get<std::string>();
  if (!req.results_bytes) {
    add("results-subject", Outcome::Skip, "no --results file given");
  } else if (const std::string got = sha256_hex(*req.results_bytes); got != results_digest) {
    add("results-subject", Outcome::Fail,
        req.results_source + " has sha256 " + got + ", the certificate's subject " +
            s.subjects[0]["name"].get<std::string>() + " has " + results_digest +
            ": the file was changed after signing, or is another file");
  } else {
    bool same = false;
    try {
      same = results::parse_document(*req.results_bytes, req.results_source) == s.results;
    } catch (const results::ParseError&) {
      same = false;
    }
    if (same)
      add("results-subject", Outcome::Pass,
          req.results_source + " sha256 " + got.substr(0, 16) + " matches");
    else
      add("results-subject", Outcome::Fail,
          req.results_source +
              " matches the subject digest but not the results embedded in the certificate");
  }

  // 7. One subject per device, digest of its canonical identity.
  json expected = device_subjects(s.results);
  json claimed = json::array();
  for (std::size_t i = 1; i < s.subjects.size(); ++i) claimed.push_back(s.subjects[i]);
  if (expected != claimed)
    add("device-subjects", Outcome::Fail,
        "the device subjects do not match the devices of the embedded results (expected " +
            std::to_string(expected.size()) + ", found " + std::to_string(claimed.size()) +
            " or a different identity digest)");
  else
    add("device-subjects", Outcome::Pass,
        std::to_string(expected.size()) + " device identity digest(s) match");

  // 8. The profile: the embedded text is what its digest says, and a profile we trust.
  std::optional<Profile> profile;
  if (const std::string got = sha256_hex(s.profile_text); got != s.profile_sha256) {
    add("profile", Outcome::Fail,
        "embedded profile text has sha256 " + got + ", the certificate says " + s.profile_sha256);
  } else {
    try {
      Profile p = parse_profile(s.profile_text, std::string(kPayload) + " /predicate/profile/text");
      if (p.name != s.profile_name || p.version != s.profile_version) {
        add("profile", Outcome::Fail,
            "embedded profile is " + p.name + " " + p.version + ", the certificate says " +
                s.profile_name + " " + s.profile_version);
      } else {
        bool known = find_builtin_profile(p.name, p.version, p.sha256).has_value();
        for (const auto& extra : req.profiles) known = known || extra.sha256 == p.sha256;
        if (known) {
          add("profile", Outcome::Pass,
              p.name + " " + p.version + " sha256 " + p.sha256.substr(0, 16));
          profile = std::move(p);
        } else {
          add("profile", Outcome::Fail,
              "profile " + p.name + " " + p.version + " (sha256 " + p.sha256.substr(0, 16) +
                  ") is not one this chipcert ships; give the file with --profile-file to accept "
                  "it");
        }
      }
    } catch (const results::ParseError& e) {
      add("profile", Outcome::Fail, std::string("embedded profile is invalid: ") + e.what());
    }
  }

  // 9. The claimed verdict is exactly what the data shows under that profile.
  if (!profile) {
    add("verdict", Outcome::Skip, "not recomputed: no trusted profile");
  } else {
    rep.profile = profile;
    try {
      const Check c = check_verdict(s, *profile);
      rep.checks.push_back(c);
    } catch (const std::exception& e) {
      add("verdict", Outcome::Fail, std::string("cannot recompute the verdict: ") + e.what());
    }
  }
  return rep;
}

}  // namespace chipcert::trust
