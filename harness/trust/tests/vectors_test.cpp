// Published test vectors: the DSSE spec's PAE example and vectors, and every
// Ed25519 vector of Project Wycheproof (see data/README.md for sources).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "chipcert/results/json.hpp"
#include "chipcert/trust/dsse.hpp"
#include "chipcert/trust/encoding.hpp"
#include "chipcert/trust/keys.hpp"
#include "chipcert/trust/trusted_keys.hpp"
#include "test_support.hpp"

namespace chipcert::trust {
namespace {

using nlohmann::json;

json load(const std::string& name) {
  const std::string path = testing::data_path(name);
  return results::parse_json_strict(read_file_limited(path, 1 << 20), path);
}

TEST(DssePae, SpecExample) {
  EXPECT_EQ(dsse::pae("http://example.com/HelloWorld", "hello world"),
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  EXPECT_EQ(dsse::pae("", ""), "DSSEv1 0  0 ");
}

TEST(DssePae, LengthsAreBytesNotCharacters) {
  EXPECT_EQ(dsse::pae("t\xc3\xa4", "\xe2\x82\xac"), "DSSEv1 3 t\xc3\xa4 3 \xe2\x82\xac");
}

TEST(DsseVectors, EveryVectorGivesItsExpectedResult) {
  const json doc = load("dsse_vectors.json");
  std::vector<dsse::TrustedKey> all;
  for (const auto& [name, k] : doc.at("keys").items()) {
    const Key key = Key::ed25519_from_seed(hex_decode(k.at("seed").get<std::string>()));
    ASSERT_EQ(hex_encode(hex_decode(k.at("public").get<std::string>())),
              k.at("public").get<std::string>());
    all.push_back({name, key});
  }
  int checked = 0;
  for (const auto& v : doc.at("vectors")) {
    SCOPED_TRACE(v.at("id").get<std::string>());
    const dsse::Envelope env = dsse::parse_envelope(v.at("envelope").dump(), "vector");
    std::vector<dsse::TrustedKey> trusted;
    for (const auto& name : v.at("trustedKeys"))
      for (const auto& k : all)
        if (k.name == name) trusted.push_back(k);
    const auto accepted = dsse::verifying_keys(env, trusted);
    const std::set<std::string> types = v.at("supportedPayloadTypes").get<std::set<std::string>>();
    const bool ok =
        accepted.size() >= v.at("threshold").get<std::size_t>() && types.contains(env.payload_type);
    EXPECT_EQ(ok, v.at("expect") == "accept");
    if (v.at("expect") == "accept") {
      // The PAE the vector states is exactly ours.
      EXPECT_EQ(hex_encode(dsse::pae(env.payload_type, env.payload)),
                v.at("pae").get<std::string>());
    }
    ++checked;
  }
  EXPECT_EQ(checked, 9);
}

TEST(Wycheproof, EveryEd25519VectorGivesItsExpectedResult) {
  const json doc = load("wycheproof_ed25519_test.json");
  int valid = 0, invalid = 0;
  for (const auto& g : doc.at("testGroups")) {
    const Key key =
        Key::ed25519_from_public_bytes(hex_decode(g.at("publicKey").at("pk").get<std::string>()));
    for (const auto& t : g.at("tests")) {
      const std::string msg = hex_decode(t.at("msg").get<std::string>());
      const std::string sig = hex_decode(t.at("sig").get<std::string>());
      const bool expect = t.at("result") == "valid";
      EXPECT_EQ(key.verify(msg, sig), expect)
          << "tcId " << t.at("tcId") << " " << t.at("flags").dump();
      (expect ? valid : invalid)++;
    }
  }
  EXPECT_EQ(valid + invalid, doc.at("numberOfTests").get<int>());
  EXPECT_EQ(valid + invalid, 151);
  EXPECT_GT(invalid, 50);
}

}  // namespace
}  // namespace chipcert::trust
