// `chipcert key`: Ed25519 signing keys and the trusted-keys directory.
//   key generate --out PREFIX [--passphrase-file F]   PREFIX.key (0600) + PREFIX.pub
//   key id FILE [--passphrase-file F]                 the key id of a public or private PEM
//   key trust add DIR PUBFILE [--not-before T] [--not-after T] [--label L]
//   key trust revoke DIR KEYID --since T

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "chipcert/harness/files.hpp"
#include "chipcert/harness/provenance.hpp"
#include "chipcert/results/json.hpp"
#include "chipcert/trust/encoding.hpp"
#include "chipcert/trust/keys.hpp"
#include "chipcert/trust/trusted_keys.hpp"
#include "cli.hpp"
#include "trust_common.hpp"

namespace chipcert::cli {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxKeyBytes = 64 << 10;

/// Create `path` with `mode`, failing if it exists: a key is never overwritten.
void write_new_file(const std::string& path, const std::string& content, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw harness::FileError(path + ": cannot create: " + std::strerror(errno));
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw harness::FileError(path + ": cannot write: " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  // The mode asked for, whatever the umask did.
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    throw harness::FileError(path + ": cannot finish writing: " + std::strerror(err));
  }
  ::close(fd);
}

int generate(const std::string& prefix, const std::string& passphrase_file) {
  const std::string key_path = prefix + ".key";
  const std::string pub_path = prefix + ".pub";
  for (const auto& p : {key_path, pub_path})
    if (fs::exists(p)) throw UsageError("--out: " + p + " exists; chipcert never overwrites a key");
  const std::optional<std::string> pass = read_passphrase(passphrase_file);
  const trust::Key key = trust::Key::generate_ed25519();
  const fs::path parent = fs::path(key_path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) throw harness::FileError(parent.string() + ": cannot create: " + ec.message());
  }
  write_new_file(key_path, key.private_pem(pass), 0600);
  write_new_file(pub_path, key.public_pem(), 0644);
  std::cout << "private key: " << key_path
            << (pass ? " (encrypted, AES-256-CBC)" : " (not encrypted)")
            << ", mode 0600\npublic key:  " << pub_path << "\nkey id:      " << key.key_id()
            << "\n";
  return harness::kExitOk;
}

int key_id(const std::string& file, const std::string& passphrase_file) {
  const trust::Key key = trust::Key::from_any_pem(harness::read_text_file(file, kMaxKeyBytes),
                                                  read_passphrase(passphrase_file), file);
  std::cout << key.key_id() << "\n";
  return harness::kExitOk;
}

std::string check_time(const std::string& flag, const std::string& t) {
  try {
    trust::parse_utc_time(t);
  } catch (const std::invalid_argument& e) {
    throw UsageError(flag + ": " + e.what());
  }
  return t;
}

trust::TrustedKeys read_or_new(const std::string& dir) {
  const std::string list = dir + "/" + std::string(trust::kTrustFile);
  if (!fs::exists(list)) return trust::TrustedKeys{dir, {}};
  trust::TrustedKeys t = trust::parse_trusted_keys(harness::read_text_file(list, 4 << 20), list);
  t.dir = dir;
  return t;
}

struct TrustAddArgs {
  std::string dir, pub, not_before, not_after, label;
};

int trust_add(const TrustAddArgs& a) {
  const trust::Key key =
      trust::Key::from_public_pem(harness::read_text_file(a.pub, kMaxKeyBytes), a.pub);
  if (!key.is_ed25519())
    throw results::ParseError(a.pub, "",
                              "expected an Ed25519 public key, found " + key.algorithm());
  trust::TrustedKeys t = read_or_new(a.dir);
  const std::string id = key.key_id();
  if (t.find(id)) throw UsageError("key " + id + " is already in " + a.dir + "/trust.json");
  trust::TrustedKeyEntry e;
  e.key_id = id;
  e.file = id + ".pub";
  e.label = a.label;
  e.not_before =
      a.not_before.empty() ? harness::utc_now_rfc3339() : check_time("--not-before", a.not_before);
  if (!a.not_after.empty()) e.not_after = check_time("--not-after", a.not_after);
  if (e.not_after && trust::parse_utc_time(*e.not_after) <= trust::parse_utc_time(e.not_before))
    throw UsageError("--not-after must be later than --not-before (" + e.not_before + ")");
  t.keys.push_back(e);
  // The key file first: a trust.json entry never points at a missing file.
  harness::write_file_atomic(a.dir + "/" + e.file, key.public_pem());
  harness::write_file_atomic(a.dir + "/" + std::string(trust::kTrustFile),
                             trust::serialize_trusted_keys(t));
  std::cout << "trusted " << id << " from " << e.not_before
            << (e.not_after ? " until " + *e.not_after : std::string()) << " in " << a.dir << "\n";
  return harness::kExitOk;
}

int trust_revoke(const std::string& dir, const std::string& id, const std::string& since) {
  const std::string list = dir + "/" + std::string(trust::kTrustFile);
  trust::TrustedKeys t = trust::parse_trusted_keys(harness::read_text_file(list, 4 << 20), list);
  bool found = false;
  for (auto& e : t.keys) {
    if (e.key_id != id) continue;
    e.revoked_since = check_time("--since", since);
    found = true;
  }
  if (!found) throw UsageError("KEYID: no key " + id + " in " + list);
  harness::write_file_atomic(list, trust::serialize_trusted_keys(t));
  std::cout << "revoked " << id << " since " << since << " in " << dir << "\n";
  return harness::kExitOk;
}

}  // namespace

void add_key_command(CLI::App& app, const GlobalOptions& /*g*/, Action& action) {
  auto* key = app.add_subcommand("key", "Ed25519 signing keys and trusted-keys directories");
  key->require_subcommand(1);

  auto* gen =
      key->add_subcommand("generate", "Write PREFIX.key (private, mode 0600) and PREFIX.pub");
  auto gen_out = std::make_shared<std::string>();
  auto gen_pass = std::make_shared<std::string>();
  gen->add_option("--out", *gen_out, "Path prefix of the two files")->required();
  gen->add_option("--passphrase-file", *gen_pass,
                  "Encrypt the private key with the first line of this file");
  gen->callback([&action, gen_out, gen_pass] {
    action = [gen_out, gen_pass] { return generate(*gen_out, *gen_pass); };
  });

  auto* id =
      key->add_subcommand("id", "Print the key id (SHA-256 of the public key DER) of a PEM key");
  auto id_file = std::make_shared<std::string>();
  auto id_pass = std::make_shared<std::string>();
  id->add_option("FILE", *id_file, "Public or private PEM key")->required();
  id->add_option("--passphrase-file", *id_pass, "Passphrase of an encrypted private key");
  id->callback([&action, id_file, id_pass] {
    action = [id_file, id_pass] { return key_id(*id_file, *id_pass); };
  });

  auto* tr = key->add_subcommand("trust", "Maintain a trusted-keys directory (trust.json + *.pub)");
  tr->require_subcommand(1);
  auto* add = tr->add_subcommand("add", "Trust an Ed25519 public key");
  auto add_args = std::make_shared<TrustAddArgs>();
  add->add_option("DIR", add_args->dir, "Trusted-keys directory (created if missing)")->required();
  add->add_option("PUBFILE", add_args->pub, "Public key PEM")->required();
  add->add_option("--not-before", add_args->not_before, "Trusted from (RFC 3339 UTC; default now)");
  add->add_option("--not-after", add_args->not_after, "Trusted until, exclusive (RFC 3339 UTC)");
  add->add_option("--label", add_args->label, "Who owns the key, for messages");
  add->callback([&action, add_args] { action = [add_args] { return trust_add(*add_args); }; });

  auto* rev = tr->add_subcommand("revoke", "Revoke a key for signatures made at or after a time");
  auto rev_dir = std::make_shared<std::string>();
  auto rev_id = std::make_shared<std::string>();
  auto rev_since = std::make_shared<std::string>();
  rev->add_option("DIR", *rev_dir, "Trusted-keys directory")->required();
  rev->add_option("KEYID", *rev_id, "Key id (64 hex digits)")->required();
  rev->add_option("--since", *rev_since, "Revoked since (RFC 3339 UTC)")->required();
  rev->callback([&action, rev_dir, rev_id, rev_since] {
    action = [rev_dir, rev_id, rev_since] { return trust_revoke(*rev_dir, *rev_id, *rev_since); };
  });
}

}  // namespace chipcert::cli
