#pragma once
/// Signing keys through OpenSSL 3's EVP interface. chipcert signs with
/// Ed25519 only; other key types can be loaded so that a verifier can say
/// precisely why it refuses them.
///
/// Key id: lowercase hex SHA-256 of the DER SubjectPublicKeyInfo, the same
/// as `openssl pkey -pubin -in K.pub -outform DER | openssl dgst -sha256`.
/// A Key is immutable once made and safe to share between threads.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace chipcert::trust {

/// A public key, or a key pair when made from a private key.
class Key {
 public:
  /// A fresh Ed25519 key pair from the OS's randomness.
  static Key generate_ed25519();

  /// Ed25519 key pair from a 32-byte RFC 8032 seed (test vectors, fuzzing).
  /// Throws std::invalid_argument when `seed` is not 32 bytes.
  static Key ed25519_from_seed(std::string_view seed);

  /// Ed25519 public key from its 32 raw bytes; throws std::invalid_argument.
  static Key ed25519_from_public_bytes(std::string_view raw);

  /// A private key in PEM (PKCS#8, encrypted or not). An encrypted key needs
  /// `passphrase`; without one it is refused rather than prompting.
  /// Throws results::ParseError naming `source` when the text is not such a
  /// key or the passphrase is wrong.
  static Key from_private_pem(std::string_view pem, const std::optional<std::string>& passphrase,
                              std::string_view source);

  /// A public key in PEM ("BEGIN PUBLIC KEY"), any algorithm OpenSSL knows.
  /// Throws results::ParseError naming `source`.
  static Key from_public_pem(std::string_view pem, std::string_view source);

  /// A public or (unencrypted or with `passphrase`) private key PEM.
  static Key from_any_pem(std::string_view pem, const std::optional<std::string>& passphrase,
                          std::string_view source);

  /// "Ed25519", "EC", "RSA", ... (OpenSSL's type name for others).
  std::string algorithm() const;
  bool is_ed25519() const;
  bool has_private() const;

  /// Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo.
  std::string key_id() const;

  /// "-----BEGIN PUBLIC KEY-----" PEM.
  std::string public_pem() const;

  /// PKCS#8 PEM of the private key; AES-256-CBC encrypted (PBKDF2 via
  /// OpenSSL's PKCS#5 v2 defaults) when `passphrase` is given. Throws
  /// std::logic_error for a public-only key.
  std::string private_pem(const std::optional<std::string>& passphrase) const;

  /// Ed25519 signature (64 bytes) over `message`. Throws std::logic_error for
  /// a public-only or non-Ed25519 key.
  std::string sign(std::string_view message) const;

  /// Whether `signature` is a valid Ed25519 signature of `message` under this
  /// key (RFC 8032 strict: S < L, canonical R, as OpenSSL checks). False for
  /// a non-Ed25519 key or a signature that is not 64 bytes.
  bool verify(std::string_view message, std::string_view signature) const;

 private:
  struct Impl;
  explicit Key(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace chipcert::trust
