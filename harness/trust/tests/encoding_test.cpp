// Strict base64, hex, SHA-256 and UTC times.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "chipcert/trust/encoding.hpp"

namespace chipcert::trust {
namespace {

using ::testing::HasSubstr;

std::string reject(const std::string& text) {
  try {
    base64_decode_strict(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted " << text;
  return "";
}

TEST(Base64, RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 70; ++n) {
    EXPECT_EQ(base64_decode_strict(base64_encode(bytes)), bytes) << n;
    bytes += static_cast<char>(n * 37 + 11);
  }
}

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_decode_strict("Zm9vYg=="), "foob");
}

TEST(Base64, AcceptsUrlSafeAndUnpadded) {
  EXPECT_EQ(base64_decode_strict("-_-_Pj8="), std::string("\xfb\xff\xbf\x3e\x3f"));
  EXPECT_EQ(base64_decode_strict("+/+/Pj8="), std::string("\xfb\xff\xbf\x3e\x3f"));
  EXPECT_EQ(base64_decode_strict("Zm9vYg"), "foob");
  EXPECT_EQ(base64_decode_strict("Zm8"), "fo");
}

TEST(Base64, RejectsWhitespaceAndForeignCharacters) {
  EXPECT_THAT(reject("Zm9v\nYmFy"), HasSubstr("0x0a at offset 4 is not base64"));
  EXPECT_THAT(reject("Zm9v YmFy"), HasSubstr("offset 4"));
  EXPECT_THAT(reject("Zm9v!mFy"), HasSubstr("'!' at offset 4"));
  EXPECT_THAT(reject("Zm9v.mFy"), HasSubstr("not base64"));
}

TEST(Base64, RejectsMixedAlphabets) {
  EXPECT_THAT(reject("+_8="), HasSubstr("mixes the URL-safe and the standard alphabet"));
}

TEST(Base64, EnforcesPadding) {
  EXPECT_THAT(reject("Zg="), HasSubstr("multiple of 4"));
  EXPECT_THAT(reject("Zm9v="), HasSubstr("multiple of 4"));
  EXPECT_THAT(reject("Zm9vY==="), HasSubstr("more than two"));
  EXPECT_THAT(reject("Zm9=Zm9v"), HasSubstr("padding only at the end"));
  EXPECT_THAT(reject("Zm8=="), HasSubstr("multiple of 4"));
  EXPECT_THAT(reject("Zm9vY"), HasSubstr("dangling"));
  EXPECT_THAT(reject("===="), HasSubstr("more than two"));
  EXPECT_THAT(reject("Zm9vYmE=="), HasSubstr("multiple of 4"));
  EXPECT_THAT(reject("Zm8A===="), HasSubstr("more than two"));
  EXPECT_THAT(reject("Zm9vYmFy=="), HasSubstr("multiple of 4"));
  EXPECT_THAT(reject("Zm9vYmF=="), HasSubstr("multiple of 4"));
}

TEST(Base64, RejectsNonCanonicalTrailingBits) {
  // "Zh==" decodes to 'f' in lenient decoders (low bits of 'h' dropped).
  EXPECT_THAT(reject("Zh=="), HasSubstr("non-zero unused bits"));
  EXPECT_THAT(reject("Zm9="), HasSubstr("non-zero unused bits"));
  EXPECT_THAT(reject("Zh"), HasSubstr("non-zero unused bits"));
}

TEST(Hex, RoundTripAndErrors) {
  EXPECT_EQ(hex_encode(std::string("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(hex_decode("00FF10"), std::string("\x00\xff\x10", 3));
  EXPECT_THROW(hex_decode("abc"), std::invalid_argument);
  EXPECT_THROW(hex_decode("zz"), std::invalid_argument);
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(UtcTime, ParsesAndFormats) {
  EXPECT_EQ(parse_utc_time("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_utc_time("2026-03-01T10:00:00Z"), 1772359200);
  EXPECT_EQ(format_utc_time(1772359200), "2026-03-01T10:00:00Z");
  EXPECT_EQ(parse_utc_time("2024-02-29T23:59:59Z"), parse_utc_time("2024-03-01T00:00:00Z") - 1);
}

TEST(UtcTime, RejectsOtherForms) {
  for (const char* bad : {"2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
                          "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01 00:00:00Z",
                          "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00.5Z",
                          "2026-01-01T00:00:00z", "", "2026-1-01T00:00:00Z"}) {
    EXPECT_THROW(parse_utc_time(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace chipcert::trust
