// The trusted-keys directory: parsing, validity windows, loading.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "chipcert/results/json.hpp"
#include "chipcert/trust/trusted_keys.hpp"
#include "test_support.hpp"

namespace chipcert::trust {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string keys_error_of(const std::string& text) {
  try {
    parse_trusted_keys(text, "trust.json");
  } catch (const results::ParseError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return "";
}

const std::string kId(64, 'a');

std::string list(const std::string& entry) {
  return R"({"format": "chipcert-trusted-keys", "format_version": 1, "keys": [)" + entry + "]}";
}

TEST(TrustedKeys, RoundTrip) {
  TrustedKeys t;
  TrustedKeyEntry e;
  e.key_id = kId;
  e.file = "a.pub";
  e.label = "lab A";
  e.not_before = "2026-01-01T00:00:00Z";
  e.not_after = "2027-01-01T00:00:00Z";
  e.revoked_since = "2026-06-01T00:00:00Z";
  t.keys.push_back(e);
  const TrustedKeys back = parse_trusted_keys(serialize_trusted_keys(t), "x");
  ASSERT_EQ(back.keys.size(), 1u);
  EXPECT_EQ(back.keys[0].key_id, kId);
  EXPECT_EQ(back.keys[0].revoked_since, e.revoked_since);
  EXPECT_EQ(back.keys[0].not_after, e.not_after);
  EXPECT_NE(back.find(kId), nullptr);
  EXPECT_EQ(back.find(std::string(64, 'b')), nullptr);
}

TEST(TrustedKeys, ValidityWindow) {
  TrustedKeyEntry e;
  e.key_id = kId;
  e.not_before = "2026-01-01T00:00:00Z";
  EXPECT_EQ(key_validity_problem(e, "2026-01-01T00:00:00Z"), "");
  EXPECT_THAT(key_validity_problem(e, "2025-12-31T23:59:59Z"),
              HasSubstr("is trusted only from 2026-01-01T00:00:00Z"));
  e.not_after = "2027-01-01T00:00:00Z";
  EXPECT_EQ(key_validity_problem(e, "2026-12-31T23:59:59Z"), "");
  EXPECT_THAT(key_validity_problem(e, "2027-01-01T00:00:00Z"),
              HasSubstr("expired at 2027-01-01T00:00:00Z (not_after)"));
  e.revoked_since = "2026-06-01T00:00:00Z";
  EXPECT_EQ(key_validity_problem(e, "2026-05-31T23:59:59Z"), "");  // older certificates stay valid
  EXPECT_THAT(key_validity_problem(e, "2026-06-01T00:00:00Z"),
              HasSubstr("was revoked since 2026-06-01T00:00:00Z"));
}

TEST(TrustedKeys, StrictParsing) {
  EXPECT_THAT(
      keys_error_of(list(
          R"({"key_id": "AB", "file": "a.pub", "label": "", "not_before": "2026-01-01T00:00:00Z"})")),
      HasSubstr("/keys/0/key_id: expected 64 lowercase hex digits"));
  EXPECT_THAT(keys_error_of(list(
                  R"({"key_id": ")" + kId +
                  R"(", "file": "../a.pub", "label": "", "not_before": "2026-01-01T00:00:00Z"})")),
              HasSubstr("/keys/0/file: expected a file name inside the directory"));
  EXPECT_THAT(keys_error_of(list(R"({"key_id": ")" + kId +
                                 R"(", "file": "a.pub", "label": "", "not_before": "yesterday"})")),
              HasSubstr("/keys/0/not_before: expected an RFC 3339 UTC time"));
  EXPECT_THAT(
      keys_error_of(list(
          R"({"key_id": ")" + kId +
          R"(", "file": "a.pub", "label": "", "not_before": "2026-01-01T00:00:00Z", "trust": 1})")),
      HasSubstr("/keys/0/trust: expected one of the fields of a trusted key"));
  const std::string e = R"({"key_id": ")" + kId +
                        R"(", "file": "a.pub", "label": "", "not_before": "2026-01-01T00:00:00Z"})";
  EXPECT_THAT(keys_error_of(list(e + "," + e)),
              HasSubstr("/keys/1/key_id: expected each key once"));
  EXPECT_THAT(keys_error_of(R"({"format": "x", "format_version": 1, "keys": []})"),
              HasSubstr("/format: expected \"chipcert-trusted-keys\""));
}

TEST(TrustedKeys, LoadChecksKeyIdsAgainstFiles) {
  const fs::path dir = fs::temp_directory_path() / ("chipcert-trust-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const Key k = testing::seeded_key(7);
  std::ofstream(dir / "k.pub") << k.public_pem();
  TrustedKeys t;
  TrustedKeyEntry e = testing::trusted(k, "k");
  e.file = "k.pub";
  t.keys.push_back(e);
  std::ofstream(dir / "trust.json") << serialize_trusted_keys(t);
  const TrustedKeys loaded = load_trusted_keys(dir.string());
  ASSERT_EQ(loaded.keys.size(), 1u);
  EXPECT_TRUE(loaded.keys[0].key->is_ed25519());

  t.keys[0].key_id = std::string(64, 'f');
  std::ofstream(dir / "trust.json", std::ios::trunc) << serialize_trusted_keys(t);
  try {
    load_trusted_keys(dir.string());
    ADD_FAILURE() << "mismatched key id accepted";
  } catch (const results::ParseError& err) {
    EXPECT_THAT(std::string(err.what()), HasSubstr("/keys/0/key_id: expected the key id of k.pub"));
  }
  fs::remove(dir / "k.pub");
  EXPECT_THROW(load_trusted_keys(dir.string()), results::ParseError);
  fs::remove_all(dir);
  EXPECT_THROW(load_trusted_keys(dir.string()), results::ParseError);
}

}  // namespace
}  // namespace chipcert::trust
