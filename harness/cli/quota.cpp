// `chipcert quota check PLAN --policy P --trusted-keys DIR`: does a
// procurement plan meet a quota policy, counting only devices whose
// certificates verify? `chipcert quota plan --policy P --offers O
// --trusted-keys DIR`: the plan of certified offers with the most certified
// capacity that meets the policy (GLPK integer program).
// Exit 0 compliant / optimum found, 1 non-compliant / infeasible, 2 usage,
// 3 unreadable or invalid policy, plan, offers, trusted keys or profile file,
// 4 cannot write the plan, 5 internal.

#include <chrono>
#include <iostream>
#include <memory>

#include "chipcert/harness/files.hpp"
#include "chipcert/quota/plan.hpp"
#include "chipcert/quota/policy.hpp"
#include "chipcert/quota/report.hpp"
#include "chipcert/trust/encoding.hpp"
#include "chipcert/trust/trusted_keys.hpp"
#include "cli.hpp"

namespace chipcert::cli {

namespace {

struct QuotaArgs {
  std::string input;  ///< plan (check) or offers (plan)
  std::string policy;
  std::string trusted_keys;
  std::vector<std::string> profile_files;
  std::string format = "text";
  std::string at;      ///< check time for max_age_days (RFC 3339 UTC), default now
  std::string output;  ///< plan: write the optimum as a plan file
  bool allow_stand_in = false;
};

/// Everything both commands read, validated before any certificate is.
struct Inputs {
  quota::Policy policy;
  trust::TrustedKeys keys;
  quota::VerifyContext ctx;
};

void load(const QuotaArgs& a, Inputs& in) {
  if (a.format != "text" && a.format != "json" && a.format != "html")
    throw UsageError("--format: expected text, json or html, found " + a.format);
  in.policy =
      quota::parse_policy(harness::read_text_file(a.policy, quota::kMaxInputBytes), a.policy);
  in.keys = trust::load_trusted_keys(a.trusted_keys);
  in.ctx.keys = &in.keys;
  in.ctx.allow_stand_in = a.allow_stand_in;
  for (const auto& f : a.profile_files)
    in.ctx.profiles.push_back(trust::parse_profile(harness::read_text_file(f, 4 << 20), f));
  if (a.at.empty()) {
    in.ctx.now = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  } else {
    try {
      in.ctx.now = trust::parse_utc_time(a.at);
    } catch (const std::invalid_argument& e) {
      throw UsageError("--at: " + std::string(e.what()));
    }
  }
}

int check(const QuotaArgs& a) {
  Inputs in;
  load(a, in);
  const quota::Plan plan =
      quota::parse_plan(harness::read_text_file(a.input, quota::kMaxInputBytes), a.input);
  const quota::CheckReport r = quota::check_plan(in.policy, plan, a.input, in.ctx);
  if (a.format == "json")
    std::cout << quota::to_json(r).dump(2) << "\n";
  else if (a.format == "html")
    std::cout << quota::render_html(quota::to_json(r));
  else
    std::cout << quota::render_text(r);
  return r.compliant() ? harness::kExitOk : harness::kExitVerdict;
}

int plan(const QuotaArgs& a) {
  Inputs in;
  load(a, in);
  const quota::Offers offers =
      quota::parse_offers(harness::read_text_file(a.input, quota::kMaxInputBytes), a.input);
  const quota::PlanReport r = quota::plan_optimal(in.policy, offers, a.input, in.ctx);
  if (!a.output.empty() && r.optimum.feasible)
    harness::write_file_atomic(a.output, quota::serialize_plan(quota::to_plan(r, a.output)));
  if (a.format == "json")
    std::cout << quota::to_json(r).dump(2) << "\n";
  else if (a.format == "html")
    std::cout << quota::render_html(quota::to_json(r));
  else
    std::cout << quota::render_text(r)
              << (!a.output.empty() && r.optimum.feasible ? "\nplan: " + a.output + "\n" : "");
  return r.optimum.feasible ? harness::kExitOk : harness::kExitVerdict;
}

void common_options(CLI::App* cmd, QuotaArgs& a) {
  cmd->add_option("--policy", a.policy, "Quota policy (format chipcert-quota-policy)")->required();
  cmd->add_option("--trusted-keys", a.trusted_keys, "Directory with trust.json and *.pub")
      ->required();
  cmd->add_option("--profile-file", a.profile_files,
                  "Accept certificates under this profile besides the built-in ones (repeatable)");
  cmd->add_option("--format", a.format,
                  "Output: text (default), json or html (one self-contained page)");
  cmd->add_option("--at", a.at, "Judge certificate age at this time (RFC 3339 UTC) instead of now");
  cmd->add_flag(
      "--allow-stand-in", a.allow_stand_in,
      "Accept certificates of simulated devices (example, fault drivers): demos and tests");
}

}  // namespace

void add_quota_command(CLI::App& app, const GlobalOptions& /*g*/, Action& action) {
  auto* q = app.add_subcommand("quota", "Procurement quotas: check a plan, find the optimal plan");
  q->require_subcommand(1);

  auto* chk = q->add_subcommand(
      "check", "Check a procurement plan against a quota policy with verified certificates");
  auto ca = std::make_shared<QuotaArgs>();
  chk->add_option("PLAN", ca->input, "Plan (format chipcert-procurement-plan)")->required();
  common_options(chk, *ca);
  chk->callback([&action, ca] { action = [ca] { return check(*ca); }; });

  auto* pl = q->add_subcommand(
      "plan", "Choose quantities of certified offers maximising certified capacity under a policy");
  auto pa = std::make_shared<QuotaArgs>();
  pl->add_option("--offers", pa->input, "Offers (format chipcert-procurement-offers)")->required();
  common_options(pl, *pa);
  pl->add_option("-o,--output", pa->output, "Also write the optimum as a plan file");
  pl->callback([&action, pa] { action = [pa] { return plan(*pa); }; });
}

}  // namespace chipcert::cli
