// `chipcert verify CERT --trusted-keys DIR`: check a certificate offline --
// signature by a trusted key, then, from the verified bytes only, the
// statement, key validity, subjects, profile and the recomputed verdict.
// Exit 0 accepted, 1 rejected, 3 unreadable or malformed input files.

#include <iostream>
#include <memory>

#include "chipcert/harness/files.hpp"
#include "chipcert/results/json.hpp"
#include "chipcert/results/verdict.hpp"
#include "chipcert/trust/certificate.hpp"
#include "chipcert/trust/dsse.hpp"
#include "chipcert/trust/trusted_keys.hpp"
#include "cli.hpp"

namespace chipcert::cli {

namespace {

struct VerifyArgs {
  std::string certificate;
  std::string trusted_keys;
  std::string results;
  std::vector<std::string> profile_files;
  bool as_json = false;
  bool require_valid = false;
};

const char* outcome_word(trust::Check::Outcome o) {
  switch (o) {
    case trust::Check::Outcome::Pass:
      return "PASS";
    case trust::Check::Outcome::Fail:
      return "FAIL";
    case trust::Check::Outcome::Skip:
      return "SKIP";
  }
  return "?";
}

/// Why the certified device `id` is a stand-in, from the signed results; "" if real.
std::string stand_in(const trust::VerifyReport& rep, const std::string& id) {
  return rep.results ? trust::stand_in_reason(*rep.results, id) : "";
}

int verify(const VerifyArgs& a) {
  const trust::dsse::Envelope env = trust::dsse::parse_envelope(
      harness::read_text_file(a.certificate, trust::dsse::kMaxEnvelopeBytes), a.certificate);
  const trust::TrustedKeys keys = trust::load_trusted_keys(a.trusted_keys);
  trust::VerifyRequest req;
  req.keys = &keys;
  if (!a.results.empty()) {
    req.results_bytes = harness::read_text_file(a.results, results::kMaxDocumentBytes);
    req.results_source = a.results;
  }
  for (const auto& f : a.profile_files)
    req.profiles.push_back(trust::parse_profile(harness::read_text_file(f, 4 << 20), f));

  const trust::VerifyReport rep = trust::verify_certificate(env, req);
  const bool accepted = rep.accepted();
  bool all_valid = rep.verdict.has_value() && !rep.verdict->devices.empty();
  if (rep.verdict)
    for (const auto& d : rep.verdict->devices) all_valid = all_valid && d.valid;

  if (a.as_json) {
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& c : rep.checks) {
      std::string word = outcome_word(c.outcome);
      for (char& ch : word) ch = static_cast<char>(ch - 'A' + 'a');
      checks.push_back({{"check", c.name}, {"outcome", word}, {"message", c.message}});
    }
    nlohmann::json stand_ins = nlohmann::json::object();
    if (accepted && rep.verdict)
      for (const auto& d : rep.verdict->devices)
        if (const std::string why = stand_in(rep, d.device); !why.empty())
          stand_ins[d.device] = why;
    nlohmann::json j = {{"certificate", a.certificate},
                        {"stand_ins", std::move(stand_ins)},
                        {"accepted", accepted},
                        {"checks", std::move(checks)},
                        {"verdict", accepted && rep.verdict ? results::to_json(*rep.verdict)
                                                            : nlohmann::json(nullptr)}};
    if (accepted)
      j["signer"] = {
          {"key_id", rep.signer_key_id}, {"kind", rep.signer_kind}, {"signed_at", rep.signed_at}};
    std::cout << j.dump(2) << "\n";
  } else {
    for (const auto& c : rep.checks)
      std::cout << outcome_word(c.outcome) << " " << c.name << ": " << c.message << "\n";
    if (accepted && rep.verdict) {
      std::cout << "\nsigned " << rep.signed_at << " by " << rep.signer_key_id.substr(0, 16) << " ("
                << rep.signer_kind << ") under " << rep.verdict->profile.name << " "
                << rep.verdict->profile.version << ":\n";
      for (const auto& d : rep.verdict->devices) {
        std::cout << "  " << d.device << ": " << (d.valid ? "VALID" : "INVALID")
                  << (d.tier.empty() ? "" : ", tier " + d.tier) << "\n";
        const std::string why = stand_in(rep, d.device);
        if (!why.empty()) std::cout << "    STAND-IN, not silicon: " << why << "\n";
      }
    }
    std::cout << "\ncertificate " << a.certificate << ": " << (accepted ? "ACCEPTED" : "REJECTED")
              << (accepted && a.require_valid && !all_valid ? " (but not every device is VALID)"
                                                            : "")
              << "\n";
  }
  if (!accepted) return harness::kExitVerdict;
  return a.require_valid && !all_valid ? harness::kExitVerdict : harness::kExitOk;
}

}  // namespace

void add_verify_command(CLI::App& app, const GlobalOptions& /*g*/, Action& action) {
  auto* cmd = app.add_subcommand("verify", "Verify a certificate offline against trusted keys");
  auto a = std::make_shared<VerifyArgs>();
  cmd->add_option("CERTIFICATE", a->certificate, "DSSE certificate (chipcert certify)")->required();
  cmd->add_option("--trusted-keys", a->trusted_keys, "Directory with trust.json and *.pub")
      ->required();
  cmd->add_option("--results", a->results, "Check that this results file is the one certified");
  cmd->add_option("--profile-file", a->profile_files,
                  "Accept this profile besides the built-in ones (repeatable)");
  cmd->add_flag("--json", a->as_json, "Machine-readable report");
  cmd->add_flag("--require-valid", a->require_valid,
                "Exit 1 also when the certificate is authentic but a device is INVALID");
  cmd->callback([&action, a] { action = [a] { return verify(*a); }; });
}

}  // namespace chipcert::cli
