// `chipcert certify RESULTS --profile NAME --key KEY`: evaluate a profile on a
// results document and write a signed certificate (DSSE + in-toto). An
// INVALID certificate is still written -- it is a true statement -- and the
// exit code says whether every device is VALID.

#include <filesystem>
#include <iostream>
#include <memory>

#include "chipcert/harness/files.hpp"
#include "chipcert/harness/provenance.hpp"
#include "chipcert/results/json.hpp"
#include "chipcert/trust/certificate.hpp"
#include "chipcert/trust/dsse.hpp"
#include "chipcert/trust/keys.hpp"
#include "chipcert/trust/profile.hpp"
#include "cli.hpp"
#include "trust_common.hpp"

namespace chipcert::cli {

namespace fs = std::filesystem;

namespace {

struct CertifyArgs {
  std::string results;
  std::string profile;
  std::string profile_file;
  std::string key;
  std::string passphrase_file;
  std::string output;
  bool self_signed = false;
  bool allow_stand_in = false;
};

trust::Profile load_profile(const std::string& name, const std::string& file) {
  if (!file.empty()) return trust::parse_profile(harness::read_text_file(file, 4 << 20), file);
  try {
    return trust::builtin_profile(name);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--profile: ") + e.what());
  }
}

/// "run.json" -> "run.dsse.json" beside it.
std::string default_output(const std::string& results) {
  fs::path p(results);
  std::string stem = p.filename().string();
  if (stem.ends_with(".json")) stem.resize(stem.size() - 5);
  return (p.parent_path() / (stem + ".dsse.json")).string();
}

int certify(const GlobalOptions& g, const CertifyArgs& a) {
  if (a.profile.empty() == a.profile_file.empty())
    throw UsageError("give exactly one of --profile NAME and --profile-file FILE");
  const trust::Profile profile = load_profile(a.profile, a.profile_file);
  const std::string bytes = harness::read_text_file(a.results, results::kMaxDocumentBytes);
  const results::Document doc = results::parse_document(bytes, a.results);
  for (std::size_t i = 0; i < doc.devices.size(); ++i) {
    const std::string why = trust::stand_in_reason(doc.devices[i]);
    if (!why.empty() && !a.allow_stand_in)
      throw results::ParseError(
          a.results, "/devices/" + std::to_string(i) + "/driver",
          "expected a device of a real driver, found stand-in " + doc.devices[i].id + ": " + why +
              " (certify stand-ins only for demos and tests, with --allow-stand-in)");
  }
  const trust::Key key = trust::Key::from_private_pem(harness::read_text_file(a.key, 64 << 10),
                                                      read_passphrase(a.passphrase_file), a.key);
  if (!key.is_ed25519())
    throw results::ParseError(a.key, "",
                              "expected an Ed25519 private key, found " + key.algorithm());

  trust::CertifyRequest req;
  req.results_name = fs::path(a.results).filename().string();
  req.results_bytes = bytes;
  req.results = &doc;
  req.profile = &profile;
  req.certifier = harness::collect_provenance(g.command_line);
  req.signer_kind = a.self_signed ? "self-signed" : "lab";
  req.signed_at = harness::utc_now_rfc3339();
  const trust::Certificate cert = trust::certify(req, key);

  const std::string out = a.output.empty() ? default_output(a.results) : a.output;
  harness::write_file_atomic(out, trust::dsse::serialize_envelope(cert.envelope));

  bool all_valid = !cert.verdict.devices.empty();
  std::cout << "profile " << profile.name << " " << profile.version << " (sha256 "
            << profile.sha256.substr(0, 16) << "), signer " << key.key_id().substr(0, 16) << " ("
            << req.signer_kind << ")\n";
  for (const auto& d : cert.verdict.devices) {
    all_valid = all_valid && d.valid;
    std::cout << "\n"
              << d.device << ": " << (d.valid ? "VALID" : "INVALID")
              << (d.tier.empty() ? "" : ", tier " + d.tier) << "\n";
    if (const std::string why = trust::stand_in_reason(doc, d.device); !why.empty())
      std::cout << "  STAND-IN, not silicon: " << why << "\n";
    for (const auto& r : d.rules) {
      std::cout << "  " << (r.passed ? "PASS " : "FAIL ") << r.rule_id << ": " << r.figure
                << " (needs " << r.threshold << ")" << (r.detail.empty() ? "" : " -- " + r.detail)
                << "\n";
    }
    for (const auto& f : d.figures)
      std::cout << "  figure " << f.name << " = " << f.value << " " << f.unit << " (" << f.source
                << ")\n";
  }
  if (cert.verdict.devices.empty()) std::cout << "no devices in " << a.results << "\n";
  std::cout << "\ncertificate: " << out << "\n";
  return all_valid ? harness::kExitOk : harness::kExitVerdict;
}

}  // namespace

void add_certify_command(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto* cmd = app.add_subcommand(
      "certify", "Evaluate a certification profile on a results file and sign the verdict");
  auto a = std::make_shared<CertifyArgs>();
  cmd->add_option("RESULTS", a->results, "Results document (chipcert run -o ...)")->required();
  cmd->add_option("--profile", a->profile, "Built-in profile name (e.g. smoke-v1)");
  cmd->add_option("--profile-file", a->profile_file, "Profile file instead of a built-in one");
  cmd->add_option("--key", a->key, "Ed25519 private key PEM (chipcert key generate)")->required();
  cmd->add_option("--passphrase-file", a->passphrase_file, "Passphrase of an encrypted key");
  cmd->add_option("-o,--output", a->output,
                  "Certificate path (default: RESULTS stem + .dsse.json)");
  cmd->add_flag("--allow-stand-in", a->allow_stand_in,
                "Certify devices of a simulating driver (example, fault) for demos and tests; "
                "the certificate still names the driver");
  cmd->add_flag("--self-signed", a->self_signed,
                "Mark the signer as self-signed (a local key, not a lab's)");
  cmd->callback([&g, &action, a] { action = [&g, a] { return certify(g, *a); }; });
}

}  // namespace chipcert::cli
