// The envelope parser: strict, with pointers in every message.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "chipcert/results/json.hpp"
#include "chipcert/trust/dsse.hpp"
#include "test_support.hpp"

namespace chipcert::trust::dsse {
namespace {

using ::testing::HasSubstr;

std::string error_of(const std::string& text) {
  try {
    parse_envelope(text, "cert.json");
  } catch (const results::ParseError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << text;
  return "";
}

TEST(Envelope, SerializeParseRoundTrip) {
  const Key k = testing::seeded_key(1);
  const Envelope e = sign_envelope(kInTotoPayloadType, "{\"a\":1}", k);
  EXPECT_EQ(parse_envelope(serialize_envelope(e), "x"), e);
  EXPECT_EQ(e.signatures.at(0).keyid, k.key_id());
  EXPECT_TRUE(k.verify(pae(e.payload_type, e.payload), e.signatures.at(0).sig));
}

TEST(Envelope, KeyidIsOptional) {
  const Envelope e =
      parse_envelope(R"({"payload":"","payloadType":"t","signatures":[{"sig":""}]})", "x");
  EXPECT_FALSE(e.signatures.at(0).keyid.has_value());
}

TEST(Envelope, DuplicatePayloadMemberRejected) {
  EXPECT_THAT(
      error_of(
          R"({"payload":"e30=","payload":"e30=","payloadType":"t","signatures":[{"sig":""}]})"),
      HasSubstr("duplicate key \"payload\""));
}

TEST(Envelope, DuplicateKeyInSignatureRejected) {
  EXPECT_THAT(
      error_of(R"({"payload":"","payloadType":"t","signatures":[{"sig":"","sig":""}]})"),
      HasSubstr("/signatures/0: expected each key once per object, found duplicate key \"sig\""));
}

TEST(Envelope, MissingFieldsRejected) {
  EXPECT_THAT(
      error_of(R"({"payloadType":"t","signatures":[{"sig":""}]})"),
      HasSubstr("cert.json: /payload: expected a base64 string (required field), found nothing"));
  EXPECT_THAT(error_of(R"({"payload":"","signatures":[{"sig":""}]})"),
              HasSubstr("/payloadType: expected a string (required field)"));
  EXPECT_THAT(error_of(R"({"payload":"","payloadType":"t"})"),
              HasSubstr("/signatures: expected an array (required field)"));
  EXPECT_THAT(error_of(R"({"payload":"","payloadType":"t","signatures":[{"keyid":"k"}]})"),
              HasSubstr("/signatures/0/sig: expected a base64 string (required field)"));
}

TEST(Envelope, EmptySignatureListRejected) {
  EXPECT_THAT(error_of(R"({"payload":"","payloadType":"t","signatures":[]})"),
              HasSubstr("/signatures: expected at least one signature, found empty array"));
}

TEST(Envelope, WrongTypesRejected) {
  EXPECT_THAT(error_of(R"({"payload":5,"payloadType":"t","signatures":[{"sig":""}]})"),
              HasSubstr("/payload: expected a base64 string, found integer 5"));
  EXPECT_THAT(error_of(R"({"payload":"","payloadType":null,"signatures":[{"sig":""}]})"),
              HasSubstr("/payloadType: expected a string, found null"));
  EXPECT_THAT(error_of(R"({"payload":"","payloadType":"t","signatures":{}})"),
              HasSubstr("/signatures: expected an array"));
  EXPECT_THAT(error_of(R"({"payload":"","payloadType":"t","signatures":[{"sig":"","keyid":1}]})"),
              HasSubstr("/signatures/0/keyid: expected a string, found integer 1"));
  EXPECT_THAT(error_of(R"([])"), HasSubstr("expected a DSSE envelope (an object)"));
}

TEST(Envelope, UnknownFieldsRejected) {
  EXPECT_THAT(error_of(R"({"payload":"","payloadType":"t","signatures":[{"sig":""}],"extra":1})"),
              HasSubstr("/extra: expected one of the fields of a DSSE envelope"));
  EXPECT_THAT(error_of(R"({"payload":"","payloadType":"t","signatures":[{"sig":"","cert":""}]})"),
              HasSubstr("/signatures/0/cert: expected one of the fields of a signature"));
}

TEST(Envelope, MalformedBase64Rejected) {
  EXPECT_THAT(
      error_of(R"({"payload":"e30","payloadType":"t","signatures":[{"sig":"a b="}]})"),
      HasSubstr("/signatures/0/sig: expected standard or URL-safe base64, found malformed base64"));
  EXPECT_THAT(
      error_of(R"({"payload":"e3!=","payloadType":"t","signatures":[{"sig":""}]})"),
      HasSubstr(
          "/payload: expected standard or URL-safe base64, found malformed base64: character '!'"));
}

TEST(Envelope, NotJsonRejected) {
  EXPECT_THAT(error_of("{\"payload\": "), HasSubstr("expected valid JSON"));
  EXPECT_THAT(error_of(""), HasSubstr("empty input"));
}

}  // namespace
}  // namespace chipcert::trust::dsse
