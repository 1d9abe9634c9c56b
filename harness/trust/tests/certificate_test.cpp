// Certify -> verify round trip, and every way a certificate must be rejected,
// each by its own test with its own message (issue 4's acceptance list).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "chipcert/results/json.hpp"
#include "chipcert/trust/certificate.hpp"
#include "chipcert/trust/encoding.hpp"
#include "test_support.hpp"

namespace chipcert::trust {
namespace {

using nlohmann::json;
using Outcome = Check::Outcome;
using ::testing::HasSubstr;

class Certificates : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_.dir = "keys";
    keys_.keys.push_back(testing::trusted(lab_, "lab"));
    results_bytes_ = results::dump_document(doc_);
  }

  /// certify() of the current document with `key`, signed at `at`.
  dsse::Envelope certify_with(const Key& key, const std::string& at = "2026-03-01T12:00:00Z") {
    req_.results_name = "results.json";
    req_.results_bytes = results_bytes_;
    req_.results = &doc_;
    req_.profile = &profile_;
    req_.certifier = testing::clean_certifier();
    req_.signer_kind = "lab";
    req_.signed_at = at;
    return certify(req_, key).envelope;
  }

  VerifyReport verify(const dsse::Envelope& e, bool with_results = false) {
    VerifyRequest r;
    r.keys = &keys_;
    r.profiles.push_back(profile_);
    if (with_results) {
      r.results_bytes = results_bytes_;
      r.results_source = "results.json";
    }
    // The envelope always goes through its text form, as from a file.
    return verify_certificate(dsse::parse_envelope(dsse::serialize_envelope(e), "cert"), r);
  }

  /// The failed check, which must be the only one, with its message.
  static std::string failure(const VerifyReport& rep, const std::string& name) {
    EXPECT_FALSE(rep.accepted());
    std::string msg;
    int fails = 0;
    for (const auto& c : rep.checks) {
      if (c.outcome != Outcome::Fail) continue;
      ++fails;
      if (c.name == name) msg = c.message;
    }
    EXPECT_EQ(fails, 1);
    EXPECT_FALSE(msg.empty()) << "no failed check " << name;
    return msg;
  }

  /// Re-sign a modified statement with `key` (a trusted signer lying).
  dsse::Envelope resign(const json& statement, const Key& key) {
    return dsse::sign_envelope(dsse::kInTotoPayloadType, statement.dump(), key);
  }

  Key lab_ = testing::seeded_key(1);
  Key other_ = testing::seeded_key(2);
  TrustedKeys keys_;
  results::Document doc_ = testing::smoke_document();
  Profile profile_ = testing::test_profile();
  std::string results_bytes_;
  CertifyRequest req_;
};

TEST_F(Certificates, RoundTripAccepted) {
  const auto rep = verify(certify_with(lab_), true);
  for (const auto& c : rep.checks)
    EXPECT_NE(c.outcome, Outcome::Fail) << c.name << ": " << c.message;
  EXPECT_TRUE(rep.accepted());
  ASSERT_TRUE(rep.verdict.has_value());
  EXPECT_TRUE(rep.verdict->devices.at(0).valid);
  EXPECT_EQ(rep.verdict->devices.at(0).tier, "works");
  EXPECT_EQ(rep.signer_kind, "lab");
  std::vector<std::string> names;
  for (const auto& c : rep.checks) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"payload-type", "signature", "statement", "signer",
                                             "key-validity", "results-subject", "device-subjects",
                                             "profile", "verdict"}));
}

TEST_F(Certificates, StatementShape) {
  const dsse::Envelope e = certify_with(lab_);
  EXPECT_EQ(e.payload_type, "application/vnd.in-toto+json");
  const json s = json::parse(e.payload);
  EXPECT_EQ(s["_type"], "https://in-toto.io/Statement/v1");
  EXPECT_EQ(s["predicateType"], "https://chipcert.dev/certificate/v1");
  EXPECT_EQ(s["subject"][0]["name"], "results.json");
  EXPECT_EQ(s["subject"][0]["digest"]["sha256"], sha256_hex(results_bytes_));
  EXPECT_EQ(s["subject"][1]["name"], "device:cpu:0");
  EXPECT_EQ(s["subject"][1]["digest"]["sha256"], sha256_hex(device_identity(doc_.devices[0])));
  EXPECT_EQ(s["predicate"]["profile"]["text"], profile_.text);
  EXPECT_EQ(s["predicate"]["signer"]["key_id"], lab_.key_id());
  EXPECT_EQ(s["predicate"]["signed_at"], "2026-03-01T12:00:00Z");
  EXPECT_EQ(json::parse(device_identity(doc_.devices[0])).dump(), device_identity(doc_.devices[0]));
}

TEST_F(Certificates, InvalidCertificateIsStillAuthentic) {
  doc_.provenance.dirty = true;
  results_bytes_ = results::dump_document(doc_);
  const auto rep = verify(certify_with(lab_), true);
  EXPECT_TRUE(rep.accepted());
  EXPECT_FALSE(rep.verdict->devices.at(0).valid);
}

TEST_F(Certificates, PayloadByteChangedRejected) {
  dsse::Envelope e = certify_with(lab_);
  e.payload[e.payload.size() / 2] ^= 0x01;
  EXPECT_THAT(failure(verify(e), "signature"),
              HasSubstr("signature 0 does not verify over the PAE of this payload"));
}

class SignatureBitFlip : public Certificates, public ::testing::WithParamInterface<int> {};

TEST_P(SignatureBitFlip, Rejected) {
  dsse::Envelope e = certify_with(lab_);
  e.signatures[0].sig[static_cast<std::size_t>(GetParam())] ^= 0x01;
  EXPECT_THAT(failure(verify(e), "signature"), HasSubstr("signature 0 does not verify"));
}
INSTANTIATE_TEST_SUITE_P(Bytes0_31_32_63, SignatureBitFlip, ::testing::Values(0, 31, 32, 63));

TEST_F(Certificates, Signature63BytesRejected) {
  dsse::Envelope e = certify_with(lab_);
  e.signatures[0].sig.pop_back();
  EXPECT_THAT(failure(verify(e), "signature"),
              HasSubstr("signature 0 is 63 bytes; an Ed25519 signature is exactly 64"));
}

TEST_F(Certificates, Signature65BytesRejected) {
  dsse::Envelope e = certify_with(lab_);
  e.signatures[0].sig += '\0';
  EXPECT_THAT(failure(verify(e), "signature"),
              HasSubstr("signature 0 is 65 bytes; an Ed25519 signature is exactly 64"));
}

TEST_F(Certificates, WrongKeyRejected) {
  // Signed by another key but claiming the trusted lab key's id.
  dsse::Envelope e = certify_with(other_);
  e.signatures[0].keyid = lab_.key_id();
  EXPECT_THAT(failure(verify(e), "signature"),
              HasSubstr("does not verify over the PAE of this payload with key " +
                        lab_.key_id().substr(0, 16)));
}

TEST_F(Certificates, EcdsaKeyWhereEd25519ExpectedRejected) {
  const Key ec = Key::from_public_pem(testing::ec_public_pem(), "ec.pub");
  TrustedKeyEntry entry = testing::trusted(ec, "ecdsa");
  entry.file = "ec.pub";
  keys_.keys.push_back(entry);
  dsse::Envelope e = certify_with(lab_);
  e.signatures[0].keyid = ec.key_id();
  EXPECT_THAT(
      failure(verify(e), "signature"),
      HasSubstr("trusted key " + ec.key_id().substr(0, 16) + " (ec.pub) is EC, not Ed25519"));
}

TEST_F(Certificates, PayloadTypeChangedRejected) {
  dsse::Envelope e = certify_with(lab_);
  e.payload_type = "application/json";
  EXPECT_THAT(failure(verify(e), "payload-type"),
              HasSubstr("payloadType \"application/json\" is not application/vnd.in-toto+json"));
}

TEST_F(Certificates, PayloadTypeChangedAndResignedStillRejected) {
  const dsse::Envelope good = certify_with(lab_);
  const dsse::Envelope e = dsse::sign_envelope("application/vnd.chipcert+json", good.payload, lab_);
  EXPECT_THAT(failure(verify(e), "payload-type"), HasSubstr("is not application/vnd.in-toto+json"));
}

TEST_F(Certificates, MalformedBase64Rejected) {
  std::string text = dsse::serialize_envelope(certify_with(lab_));
  const auto pos = text.find("\"sig\": \"") + 8;
  text[pos + 3] = '*';
  try {
    dsse::parse_envelope(text, "cert.dsse.json");
    FAIL() << "malformed base64 accepted";
  } catch (const results::ParseError& err) {
    EXPECT_THAT(
        std::string(err.what()),
        HasSubstr("cert.dsse.json: /signatures/0/sig: expected standard or URL-safe base64, found "
                  "malformed base64: character '*' at offset 3"));
  }
}

TEST_F(Certificates, DuplicatePayloadMemberRejected) {
  std::string text = dsse::serialize_envelope(certify_with(lab_));
  text.insert(1, "\"payload\": \"e30=\",");
  try {
    dsse::parse_envelope(text, "cert.dsse.json");
    FAIL() << "duplicate payload accepted";
  } catch (const results::ParseError& err) {
    EXPECT_THAT(std::string(err.what()), HasSubstr("duplicate key \"payload\""));
  }
}

TEST_F(Certificates, DuplicateKeyInsidePayloadRejected) {
  // A trusted signer signs a payload with a duplicate key: still rejected,
  // because two parsers could read different statements from it.
  std::string payload = certify_with(lab_).payload;
  payload.insert(1, "\"predicateType\":\"https://example.com/other\",");
  const dsse::Envelope e = dsse::sign_envelope(dsse::kInTotoPayloadType, payload, lab_);
  EXPECT_THAT(failure(verify(e), "statement"), HasSubstr("duplicate key \"predicateType\""));
}

TEST_F(Certificates, MissingFieldInEnvelopeRejected) {
  json j = json::parse(dsse::serialize_envelope(certify_with(lab_)));
  j["signatures"][0].erase("sig");
  EXPECT_THROW(dsse::parse_envelope(j.dump(), "cert"), results::ParseError);
  j = json::parse(dsse::serialize_envelope(certify_with(lab_)));
  j.erase("payloadType");
  try {
    dsse::parse_envelope(j.dump(), "cert");
    FAIL();
  } catch (const results::ParseError& err) {
    EXPECT_THAT(std::string(err.what()),
                HasSubstr("/payloadType: expected a string (required field), found nothing"));
  }
}

TEST_F(Certificates, MissingFieldInPayloadRejected) {
  json s = json::parse(certify_with(lab_).payload);
  s["predicate"].erase("signed_at");
  EXPECT_THAT(failure(verify(resign(s, lab_)), "statement"),
              HasSubstr("/predicate/signed_at: expected a string (required field), found nothing"));
}

TEST_F(Certificates, EmptySignatureListRejected) {
  json j = json::parse(dsse::serialize_envelope(certify_with(lab_)));
  j["signatures"] = json::array();
  EXPECT_THROW(dsse::parse_envelope(j.dump(), "cert"), results::ParseError);
}

TEST_F(Certificates, ResultsFileEditedAfterSigningRejected) {
  const dsse::Envelope e = certify_with(lab_);
  results_bytes_.insert(results_bytes_.size() - 2, " ");
  EXPECT_THAT(failure(verify(e, true), "results-subject"),
              HasSubstr("the file was changed after signing, or is another file"));
}

TEST_F(Certificates, VerdictEditedToValidAndResignedRejected) {
  // Failing data: a case failed verification. A trusted key signs a claim of VALID.
  testing::find_case(doc_, "gemm", "m512_n512_k512").status = results::Status::Failed;
  testing::find_case(doc_, "gemm", "m512_n512_k512").samples.clear();
  results_bytes_ = results::dump_document(doc_);
  json s = json::parse(certify_with(lab_).payload);
  json& dv = s["predicate"]["verdict"]["devices"][0];
  ASSERT_EQ(dv["valid"], false);
  dv["valid"] = true;
  dv["tier"] = "works";
  for (auto& r : dv["rules"]) r["passed"] = true;
  const auto rep = verify(resign(s, lab_), true);
  EXPECT_THAT(
      failure(rep, "verdict"),
      HasSubstr(
          "cpu:0: the certificate claims VALID, the results show INVALID; rule all-cases-verified: "
          "claimed pass"));
}

TEST_F(Certificates, FigureInflatedAndResignedRejected) {
  json s = json::parse(certify_with(lab_).payload);
  s["predicate"]["verdict"]["devices"][0]["figures"][0]["value"] = 1e9;
  EXPECT_THAT(failure(verify(resign(s, lab_)), "verdict"), HasSubstr("claimed figures differ"));
}

TEST_F(Certificates, EmbeddedResultsEditedAndResignedRejected) {
  // Faster samples in the embedded results than the verdict was computed from.
  json s = json::parse(certify_with(lab_).payload);
  s["predicate"]["results"]["cases"][2]["samples"] = {1e-9, 1e-9, 1e-9, 1e-9, 1e-9};
  EXPECT_THAT(failure(verify(resign(s, lab_)), "verdict"),
              HasSubstr("claimed verdict differs from the data"));
}

TEST_F(Certificates, KeyRevokedBeforeSigningTimeRejected) {
  keys_.keys[0].revoked_since = "2026-02-01T00:00:00Z";
  EXPECT_THAT(failure(verify(certify_with(lab_)), "key-validity"),
              HasSubstr("was revoked since 2026-02-01T00:00:00Z; signed_at 2026-03-01T12:00:00Z is "
                        "not before that"));
}

TEST_F(Certificates, KeyRevokedAfterSigningTimeStillAccepted) {
  keys_.keys[0].revoked_since = "2026-04-01T00:00:00Z";
  EXPECT_TRUE(verify(certify_with(lab_)).accepted());
}

TEST_F(Certificates, ExpiredKeyRejected) {
  keys_.keys[0].not_after = "2026-03-01T00:00:00Z";
  EXPECT_THAT(failure(verify(certify_with(lab_)), "key-validity"),
              HasSubstr("expired at 2026-03-01T00:00:00Z (not_after)"));
}

TEST_F(Certificates, KeyNotYetTrustedRejected) {
  keys_.keys[0].not_before = "2026-06-01T00:00:00Z";
  EXPECT_THAT(failure(verify(certify_with(lab_)), "key-validity"),
              HasSubstr("is trusted only from"));
}

TEST_F(Certificates, UnknownKeyIdRejected) {
  EXPECT_THAT(failure(verify(certify_with(other_)), "signature"),
              HasSubstr("signature 0: no trusted key has id " + other_.key_id()));
}

TEST_F(Certificates, SignerFieldMustNameTheSigningKey) {
  json s = json::parse(certify_with(lab_).payload);
  s["predicate"]["signer"]["key_id"] = other_.key_id();
  EXPECT_THAT(failure(verify(resign(s, lab_)), "signer"), HasSubstr("predicate names signer key"));
}

TEST_F(Certificates, DeviceIdentityEditedRejected) {
  json s = json::parse(certify_with(lab_).payload);
  s["predicate"]["results"]["devices"][0]["uuid"] = "another-chip";
  EXPECT_THAT(failure(verify(resign(s, lab_)), "device-subjects"),
              HasSubstr("do not match the devices"));
}

TEST_F(Certificates, ProfileTextEditedRejected) {
  json s = json::parse(certify_with(lab_).payload);
  std::string text = s["predicate"]["profile"]["text"];
  text.replace(text.find("\"max\": 0.5"), 10, "\"max\": 9.5");
  s["predicate"]["profile"]["text"] = text;
  EXPECT_THAT(failure(verify(resign(s, lab_)), "profile"),
              HasSubstr("embedded profile text has sha256"));
}

TEST_F(Certificates, UnknownProfileRejectedUnlessGiven) {
  const dsse::Envelope e = certify_with(lab_);
  VerifyRequest r;
  r.keys = &keys_;
  const auto rep = verify_certificate(e, r);  // test-smoke-v1 is not built in
  bool found = false;
  for (const auto& c : rep.checks)
    if (c.name == "profile") {
      found = true;
      EXPECT_EQ(c.outcome, Outcome::Fail);
      EXPECT_THAT(c.message,
                  HasSubstr("is not one this chipcert ships; give the file with --profile-file"));
    }
  EXPECT_TRUE(found);
  EXPECT_FALSE(rep.accepted());
}

TEST_F(Certificates, BuiltinProfileKnownWithoutProfileFile) {
  profile_ = builtin_profile("smoke-v1");
  const dsse::Envelope e = certify_with(lab_);
  VerifyRequest r;
  r.keys = &keys_;
  EXPECT_TRUE(verify_certificate(e, r).accepted());
}

TEST_F(Certificates, SignatureWithoutKeyidTriesTrustedKeys) {
  dsse::Envelope e = certify_with(lab_);
  e.signatures[0].keyid.reset();
  EXPECT_TRUE(verify(e).accepted());
}

TEST_F(Certificates, SecondUnknownSignatureDoesNotHurt) {
  dsse::Envelope e = certify_with(lab_);
  e.signatures.push_back({other_.key_id(), other_.sign(dsse::pae(e.payload_type, e.payload))});
  EXPECT_TRUE(verify(e).accepted());
}

}  // namespace
}  // namespace chipcert::trust
