// Ed25519 keys through OpenSSL 3 EVP. Passphrase callbacks never prompt: a
// tool run from CI must fail, not hang on a terminal read.

#include "chipcert/trust/keys.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "chipcert/results/json.hpp"
#include "chipcert/trust/encoding.hpp"

namespace chipcert::trust {

struct Key::Impl {
  EVP_PKEY* pkey = nullptr;
  bool has_private = false;
  ~Impl() { EVP_PKEY_free(pkey); }
};

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
struct CtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, CtxFree>;

/// The oldest OpenSSL error as text, and the queue cleared.
std::string openssl_error() {
  const unsigned long e = ERR_peek_error();
  std::string out = "unknown OpenSSL error";
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out = buf;
  }
  ERR_clear_error();
  return out;
}

BioPtr mem_bio(std::string_view text) {
  BioPtr b(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!b) throw std::runtime_error("OpenSSL: BIO_new_mem_buf failed");
  return b;
}

std::string bio_text(BIO* b) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

/// What the password callback sees; `asked` records that a passphrase was needed.
struct Pass {
  const std::optional<std::string>* value;
  bool asked = false;
};

int password_cb(char* buf, int size, int /*rwflag*/, void* u) {
  auto* p = static_cast<Pass*>(u);
  p->asked = true;
  if (p->value == nullptr || !p->value->has_value()) return -1;  // never prompt
  const std::string& s = **p->value;
  if (s.size() > static_cast<std::size_t>(size)) return -1;
  std::memcpy(buf, s.data(), s.size());
  return static_cast<int>(s.size());
}

[[noreturn]] void bad_key(std::string_view source, const std::string& expected,
                          const std::string& found) {
  throw results::ParseError(std::string(source), "", "expected " + expected + ", found " + found);
}

}  // namespace

Key::Key(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Key Key::generate_ed25519() {
  auto impl = std::make_shared<Impl>();
  impl->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (impl->pkey == nullptr)
    throw std::runtime_error("OpenSSL: Ed25519 key generation failed: " + openssl_error());
  impl->has_private = true;
  return Key(std::move(impl));
}

Key Key::ed25519_from_seed(std::string_view seed) {
  if (seed.size() != 32) throw std::invalid_argument("an Ed25519 seed is 32 bytes");
  auto impl = std::make_shared<Impl>();
  impl->pkey = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size());
  if (impl->pkey == nullptr) throw std::runtime_error("OpenSSL: " + openssl_error());
  impl->has_private = true;
  return Key(std::move(impl));
}

Key Key::ed25519_from_public_bytes(std::string_view raw) {
  if (raw.size() != 32) throw std::invalid_argument("an Ed25519 public key is 32 bytes");
  auto impl = std::make_shared<Impl>();
  impl->pkey = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  if (impl->pkey == nullptr) {
    const std::string why = openssl_error();
    throw std::invalid_argument("not an Ed25519 public key: " + why);
  }
  return Key(std::move(impl));
}

Key Key::from_private_pem(std::string_view pem, const std::optional<std::string>& passphrase,
                          std::string_view source) {
  auto bio = mem_bio(pem);
  Pass pass{&passphrase};
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio.get(), nullptr, &password_cb, &pass);
  if (k == nullptr) {
    const std::string why = openssl_error();
    if (pass.asked && !passphrase) {
      bad_key(source, "an unencrypted private key (or give its passphrase with --passphrase-file)",
              "an encrypted private key");
    }
    if (pass.asked) bad_key(source, "the passphrase of this private key", "a wrong passphrase");
    bad_key(source, "a PEM private key", "something OpenSSL cannot read (" + why + ")");
  }
  auto impl = std::make_shared<Impl>();
  impl->pkey = k;
  impl->has_private = true;
  return Key(std::move(impl));
}

Key Key::from_public_pem(std::string_view pem, std::string_view source) {
  auto bio = mem_bio(pem);
  Pass pass{nullptr};
  EVP_PKEY* k = PEM_read_bio_PUBKEY(bio.get(), nullptr, &password_cb, &pass);
  if (k == nullptr) {
    const std::string why = openssl_error();
    bad_key(source, "a PEM public key (BEGIN PUBLIC KEY)",
            "something OpenSSL cannot read (" + why + ")");
  }
  auto impl = std::make_shared<Impl>();
  impl->pkey = k;
  return Key(std::move(impl));
}

Key Key::from_any_pem(std::string_view pem, const std::optional<std::string>& passphrase,
                      std::string_view source) {
  if (pem.find("-----BEGIN PUBLIC KEY-----") != std::string_view::npos) {
    return from_public_pem(pem, source);
  }
  return from_private_pem(pem, passphrase, source);
}

std::string Key::algorithm() const {
  if (is_ed25519()) return "Ed25519";
  const char* name = EVP_PKEY_get0_type_name(impl_->pkey);
  return name != nullptr ? name : "unknown";
}

bool Key::is_ed25519() const {
  return EVP_PKEY_get_id(impl_->pkey) == EVP_PKEY_ED25519;
}

bool Key::has_private() const {
  return impl_->has_private;
}

std::string Key::key_id() const {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(impl_->pkey, &der);
  if (len <= 0)
    throw std::runtime_error("OpenSSL: cannot encode the public key: " + openssl_error());
  std::string id = sha256_hex(
      std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len)));
  OPENSSL_free(der);
  return id;
}

std::string Key::public_pem() const {
  BioPtr b(BIO_new(BIO_s_mem()));
  if (!b || PEM_write_bio_PUBKEY(b.get(), impl_->pkey) != 1) {
    throw std::runtime_error("OpenSSL: cannot write the public key: " + openssl_error());
  }
  return bio_text(b.get());
}

std::string Key::private_pem(const std::optional<std::string>& passphrase) const {
  if (!impl_->has_private) throw std::logic_error("private_pem: a public key has no private part");
  BioPtr b(BIO_new(BIO_s_mem()));
  int ok = 0;
  if (b) {
    if (passphrase) {
      ok =
          PEM_write_bio_PKCS8PrivateKey(b.get(), impl_->pkey, EVP_aes_256_cbc(), passphrase->data(),
                                        static_cast<int>(passphrase->size()), nullptr, nullptr);
    } else {
      ok = PEM_write_bio_PKCS8PrivateKey(b.get(), impl_->pkey, nullptr, nullptr, 0, nullptr,
                                         nullptr);
    }
  }
  if (ok != 1)
    throw std::runtime_error("OpenSSL: cannot write the private key: " + openssl_error());
  return bio_text(b.get());
}

std::string Key::sign(std::string_view message) const {
  if (!impl_->has_private || !is_ed25519()) {
    throw std::logic_error("sign: needs an Ed25519 private key, this is " + algorithm() +
                           (impl_->has_private ? "" : " (public only)"));
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned char sig[64];
  std::size_t len = sizeof sig;
  // Ed25519 is one-shot: no digest name, EVP_DigestSign over the whole message.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, impl_->pkey) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &len, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1 ||
      len != sizeof sig) {
    throw std::runtime_error("OpenSSL: Ed25519 signing failed: " + openssl_error());
  }
  return std::string(reinterpret_cast<const char*>(sig), len);
}

bool Key::verify(std::string_view message, std::string_view signature) const {
  if (!is_ed25519() || signature.size() != 64) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, impl_->pkey) != 1) {
    throw std::runtime_error("OpenSSL: Ed25519 verify setup failed: " + openssl_error());
  }
  const int rc = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(message.data()), message.size());
  ERR_clear_error();  // a bad signature leaves an error on the queue
  return rc == 1;
}

}  // namespace chipcert::trust
