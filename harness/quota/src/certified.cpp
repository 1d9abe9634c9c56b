#include "chipcert/quota/certified.hpp"

#include <algorithm>
#include <map>

#include "chipcert/results/json.hpp"
#include "chipcert/trust/certificate.hpp"
#include "chipcert/trust/dsse.hpp"
#include "chipcert/trust/encoding.hpp"

namespace chipcert::quota {

Allocation CertifiedItem::allocation() const {
  return {category, line->quantity, capacity_per_unit, line->unit_price, line->unit_power_w};
}

namespace {

/// The verifier's answer for one certificate file (several lines may name it).
struct Verified {
  std::string check;  ///< "" when accepted; else the failed step
  std::string reason;
  trust::VerifyReport report;
};

Verified verify_file(const std::string& path, const VerifyContext& ctx) {
  Verified v;
  std::string text;
  try {
    text = trust::read_file_limited(path, trust::dsse::kMaxEnvelopeBytes);
  } catch (const std::exception& e) {
    return {"read", e.what(), {}};
  }
  trust::dsse::Envelope env;
  try {
    env = trust::dsse::parse_envelope(text, path);
  } catch (const std::exception& e) {
    return {"envelope", e.what(), {}};
  }
  trust::VerifyRequest req;
  req.keys = ctx.keys;
  req.profiles = ctx.profiles;
  v.report = trust::verify_certificate(env, req);
  if (!v.report.accepted()) {
    for (const auto& c : v.report.checks)
      if (c.outcome == trust::Check::Outcome::Fail) {
        v.check = c.name;
        v.reason = c.message;
        break;
      }
    if (v.check.empty()) {
      v.check = "verify";
      v.reason = "the certificate was not accepted";
    }
  } else if (!v.report.verdict || !v.report.results || !v.report.profile) {
    v.check = "verify";
    v.reason = "the verifier accepted the certificate without a recomputed verdict";
  }
  return v;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

/// Index of `tier` among the profile's tiers (lowest first), or -1.
long tier_rank(const trust::Profile& p, const std::string& tier) {
  for (std::size_t i = 0; i < p.tiers.size(); ++i)
    if (p.tiers[i].name == tier) return static_cast<long>(i);
  return -1;
}

/// Hold one verified certificate to the policy for one line. Returns the
/// failed check name and reason, or {"", ""} and fills `out`.
std::pair<std::string, std::string> admit(const LineItem& line, const trust::VerifyReport& rep,
                                          const Policy& policy, const VerifyContext& ctx,
                                          CertifiedItem& out) {
  const results::Verdict& verdict = *rep.verdict;
  const results::Document& doc = *rep.results;
  const trust::Profile& profile = *rep.profile;

  // Which device of the certificate the line buys.
  const results::DeviceVerdict* dv = nullptr;
  std::vector<std::string> ids;
  for (const auto& d : verdict.devices) ids.push_back(d.device);
  if (line.device) {
    for (const auto& d : verdict.devices)
      if (d.device == *line.device) dv = &d;
    if (!dv)
      return {"device",
              "the certificate has no device " + *line.device + " (it has " + join(ids) + ")"};
  } else if (verdict.devices.size() == 1) {
    dv = &verdict.devices.front();
  } else {
    return {"device", "the certificate covers " + std::to_string(ids.size()) + " devices (" +
                          join(ids) + "); name one with \"device\""};
  }
  const auto dev = std::find_if(doc.devices.begin(), doc.devices.end(),
                                [&](const results::Device& d) { return d.id == dv->device; });
  if (dev == doc.devices.end())
    return {"device", "device " + dv->device + " is not in the certificate's results"};
  if (const std::string why = trust::stand_in_reason(*dev); !why.empty() && !ctx.allow_stand_in)
    return {"stand-in", "device " + dv->device + " is a stand-in, not silicon: " + why +
                            " (quotas count real devices; --allow-stand-in for demos and tests)"};

  // The profile and the verdict.
  const Certification& need = policy.certification;
  if (verdict.profile.name != need.profile)
    return {"profile", "certified under " + verdict.profile.name + " " + verdict.profile.version +
                           ", the policy requires " + need.profile};
  if (need.profile_version && verdict.profile.version != *need.profile_version)
    return {"profile", "certified under " + verdict.profile.name + " " + verdict.profile.version +
                           ", the policy requires version " + *need.profile_version};
  if (!dv->valid) {
    std::vector<std::string> failed;
    for (const auto& r : dv->rules)
      if (!r.passed) failed.push_back(r.rule_id);
    return {"valid", "device " + dv->device + " is INVALID under " + verdict.profile.name +
                         " (failed: " + join(failed) + ")"};
  }
  if (need.min_tier) {
    const long want = tier_rank(profile, *need.min_tier);
    if (want < 0) {
      std::vector<std::string> names;
      for (const auto& t : profile.tiers) names.push_back(t.name);
      return {"tier", "profile " + profile.name + " has no tier " + *need.min_tier +
                          " (tiers: " + join(names) + ")"};
    }
    const long got = dv->tier.empty() ? -1 : tier_rank(profile, dv->tier);
    if (got < want)
      return {"tier", "device " + dv->device + " reached tier " +
                          (dv->tier.empty() ? std::string("(none)") : dv->tier) +
                          ", the policy requires at least " + *need.min_tier};
  }
  if (need.max_age_days) {
    const int64_t signed_at = trust::parse_utc_time(rep.signed_at);
    const int64_t limit = signed_at + *need.max_age_days * 86400;
    if (ctx.now > limit)
      return {"age", "signed " + rep.signed_at + ", expired " + trust::format_utc_time(limit) +
                         " (the policy accepts certificates up to " +
                         std::to_string(*need.max_age_days) + " days old)"};
  }

  // The line's claims against the signed device identity.
  if (dev->vendor != line.vendor)
    return {"vendor", "the line claims vendor \"" + line.vendor + "\", the certificate's device " +
                          dev->id + " is \"" + dev->vendor + "\""};
  if (dev->name != line.model)
    return {"model", "the line claims model \"" + line.model + "\", the certificate's device " +
                         dev->id + " is \"" + dev->name + "\""};

  const auto fig =
      std::find_if(dv->figures.begin(), dv->figures.end(),
                   [&](const results::Figure& f) { return f.name == policy.capacity_figure; });
  if (fig == dv->figures.end())
    return {"figure", "the verdict of " + dv->device + " has no figure " + policy.capacity_figure +
                          " (the policy's capacity figure)"};
  if (!(fig->value >= 0)) return {"figure", "figure " + fig->name + " is negative"};

  out.device = dv->device;
  out.vendor = dev->vendor;
  out.model = dev->name;
  out.category = policy.category_of(dev->vendor);
  out.tier = dv->tier;
  out.capacity_per_unit = fig->value;
  out.capacity_unit = fig->unit;
  out.signer_key_id = rep.signer_key_id;
  out.signed_at = rep.signed_at;
  return {"", ""};
}

}  // namespace

Certified certify_items(std::span<const LineItem> items, const Policy& policy,
                        const VerifyContext& ctx) {
  Certified out;
  std::map<std::string, Verified> cache;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const LineItem& line = items[i];
    auto it = cache.find(line.certificate_path);
    if (it == cache.end())
      it = cache.emplace(line.certificate_path, verify_file(line.certificate_path, ctx)).first;
    const Verified& v = it->second;
    auto reject = [&](std::string check, std::string reason) {
      out.rejected.push_back({i, line.id, line.certificate, std::move(check), std::move(reason)});
    };
    if (!v.check.empty()) {
      reject(v.check, v.reason);
      continue;
    }
    CertifiedItem item;
    item.index = i;
    item.line = &line;
    auto [check, reason] = admit(line, v.report, policy, ctx, item);
    if (!check.empty())
      reject(std::move(check), std::move(reason));
    else
      out.accepted.push_back(std::move(item));
  }
  return out;
}

}  // namespace chipcert::quota
