// Ed25519 keys: generation, PEM, passphrases, key ids, sign/verify.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "chipcert/results/json.hpp"
#include "chipcert/trust/encoding.hpp"
#include "chipcert/trust/keys.hpp"
#include "test_support.hpp"

namespace chipcert::trust {
namespace {

using ::testing::HasSubstr;

std::string parse_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const results::ParseError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ParseError";
  return "";
}

TEST(Keys, GenerateSignVerify) {
  const Key k = Key::generate_ed25519();
  EXPECT_TRUE(k.is_ed25519());
  EXPECT_TRUE(k.has_private());
  EXPECT_EQ(k.algorithm(), "Ed25519");
  const std::string sig = k.sign("hello");
  EXPECT_EQ(sig.size(), 64u);
  EXPECT_TRUE(k.verify("hello", sig));
  EXPECT_FALSE(k.verify("hellO", sig));
  EXPECT_FALSE(k.verify("hello", sig.substr(0, 63)));
  EXPECT_FALSE(k.verify("hello", sig + "x"));
  EXPECT_FALSE(Key::generate_ed25519().verify("hello", sig));
}

TEST(Keys, KeyIdIsSha256OfSubjectPublicKeyInfo) {
  // RFC 8032 test 1 key: SPKI DER = 302a300506032b6570032100 || public key.
  const Key k = Key::ed25519_from_public_bytes(
      hex_decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
  EXPECT_EQ(k.key_id(),
            sha256_hex(hex_decode("302a300506032b6570032100d75a980182b10ab7d54bfed3c964073a"
                                  "0ee172f3daa62325af021a68f707511a")));
  // The seed of the same key gives the same id.
  const Key s = Key::ed25519_from_seed(
      hex_decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  EXPECT_EQ(s.key_id(), k.key_id());
  EXPECT_EQ(k.key_id().size(), 64u);
}

TEST(Keys, PemRoundTripPlainAndEncrypted) {
  const Key k = Key::generate_ed25519();
  const std::string pub = k.public_pem();
  EXPECT_THAT(pub, HasSubstr("-----BEGIN PUBLIC KEY-----"));
  EXPECT_EQ(Key::from_public_pem(pub, "k.pub").key_id(), k.key_id());
  EXPECT_FALSE(Key::from_public_pem(pub, "k.pub").has_private());

  const std::string plain = k.private_pem(std::nullopt);
  EXPECT_THAT(plain, HasSubstr("-----BEGIN PRIVATE KEY-----"));
  EXPECT_EQ(Key::from_private_pem(plain, std::nullopt, "k.key").key_id(), k.key_id());

  const std::string enc = k.private_pem(std::string("correct horse"));
  EXPECT_THAT(enc, HasSubstr("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
  const Key back = Key::from_private_pem(enc, std::string("correct horse"), "k.key");
  EXPECT_EQ(back.key_id(), k.key_id());
  EXPECT_TRUE(k.verify("m", back.sign("m")));
  EXPECT_EQ(Key::from_any_pem(pub, std::nullopt, "x").key_id(), k.key_id());
  EXPECT_EQ(Key::from_any_pem(plain, std::nullopt, "x").key_id(), k.key_id());
}

TEST(Keys, EncryptedKeyWithoutPassphraseIsRefusedNotPrompted) {
  const std::string enc = Key::generate_ed25519().private_pem(std::string("pw"));
  EXPECT_THAT(parse_error([&] { Key::from_private_pem(enc, std::nullopt, "lab.key"); }),
              HasSubstr("lab.key: (root): expected an unencrypted private key (or give its "
                        "passphrase with --passphrase-file), found an encrypted private key"));
}

TEST(Keys, WrongPassphraseNamed) {
  const std::string enc = Key::generate_ed25519().private_pem(std::string("pw"));
  EXPECT_THAT(parse_error([&] { Key::from_private_pem(enc, std::string("nope"), "lab.key"); }),
              HasSubstr("found a wrong passphrase"));
}

TEST(Keys, GarbageIsNotAKey) {
  EXPECT_THAT(parse_error([] { Key::from_public_pem("hello", "x.pub"); }),
              HasSubstr("x.pub: (root): expected a PEM public key"));
  EXPECT_THAT(parse_error([] { Key::from_private_pem("hello", std::nullopt, "x.key"); }),
              HasSubstr("expected a PEM private key"));
}

TEST(Keys, EcdsaKeyLoadsButIsNotEd25519) {
  const Key ec = Key::from_public_pem(testing::ec_public_pem(), "ec.pub");
  EXPECT_FALSE(ec.is_ed25519());
  EXPECT_EQ(ec.algorithm(), "EC");
  EXPECT_FALSE(ec.verify("m", std::string(64, 'x')));
  EXPECT_THROW(ec.sign("m"), std::logic_error);
}

TEST(Keys, PublicKeyCannotSign) {
  const Key k = Key::from_public_pem(Key::generate_ed25519().public_pem(), "k.pub");
  EXPECT_THROW(k.sign("m"), std::logic_error);
  EXPECT_THROW(k.private_pem(std::nullopt), std::logic_error);
}

}  // namespace
}  // namespace chipcert::trust
