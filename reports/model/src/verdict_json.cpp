// Verdict <-> JSON, as strict as the results document: a certificate's
// verdict is compared field by field with a recomputed one, so parsing must
// never guess (no defaults, no unknown fields, no type coercion).

#include <cmath>
#include <initializer_list>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

#include "chipcert/results/json.hpp"
#include "chipcert/results/verdict.hpp"
#include "json_internal.hpp"

namespace chipcert::results {

using nlohmann::json;

namespace {

using detail::child;
using detail::describe;
using detail::fail;

/// An object whose keys are exactly `fields` (all required).
void check_fields(const json& j, std::string_view src, const std::string& ptr, const char* what,
                  std::initializer_list<std::string_view> fields) {
  if (!j.is_object()) fail(src, ptr, std::string(what) + " (an object)", describe(j));
  std::string names;
  for (auto f : fields) names += (names.empty() ? "" : ", ") + std::string(f);
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (auto f : fields) known = known || f == key;
    if (!known) {
      fail(src, child(ptr, key), "one of the fields of " + std::string(what) + " (" + names + ")",
           "unknown field " + detail::quote_short(key));
    }
  }
  for (auto f : fields) {
    if (!j.contains(f)) fail(src, child(ptr, f), "a value (required field)", "nothing");
  }
}

std::string str(const json& o, std::string_view key, std::string_view src, const std::string& ptr) {
  const json& v = o.at(std::string(key));
  if (!v.is_string()) fail(src, child(ptr, key), "a string", describe(v));
  return v.get<std::string>();
}

bool boolean(const json& o, std::string_view key, std::string_view src, const std::string& ptr) {
  const json& v = o.at(std::string(key));
  if (!v.is_boolean()) fail(src, child(ptr, key), "a boolean", describe(v));
  return v.get<bool>();
}

const json& array(const json& o, std::string_view key, std::string_view src,
                  const std::string& ptr) {
  const json& v = o.at(std::string(key));
  if (!v.is_array()) fail(src, child(ptr, key), "an array", describe(v));
  return v;
}

void check_utf8(const std::string& s, const std::string& ptr) {
  if (!detail::valid_utf8(s)) {
    throw std::invalid_argument("verdict: cannot write " + ptr + ": string is not valid UTF-8");
  }
}

}  // namespace

json to_json(const Verdict& v) {
  check_utf8(v.profile.name, "/profile/name");
  check_utf8(v.profile.version, "/profile/version");
  check_utf8(v.profile.sha256, "/profile/sha256");
  json devices = json::array();
  for (std::size_t d = 0; d < v.devices.size(); ++d) {
    const DeviceVerdict& dv = v.devices[d];
    const std::string dp = child("/devices", d);
    check_utf8(dv.device, dp + "/device");
    check_utf8(dv.tier, dp + "/tier");
    json rules = json::array();
    for (std::size_t r = 0; r < dv.rules.size(); ++r) {
      const RuleVerdict& rv = dv.rules[r];
      const std::string rp = child(dp + "/rules", r);
      for (const auto* s : {&rv.rule_id, &rv.rationale, &rv.figure, &rv.threshold, &rv.detail})
        check_utf8(*s, rp);
      rules.push_back({{"rule_id", rv.rule_id},
                       {"rationale", rv.rationale},
                       {"passed", rv.passed},
                       {"figure", rv.figure},
                       {"threshold", rv.threshold},
                       {"detail", rv.detail}});
    }
    json figures = json::array();
    for (std::size_t f = 0; f < dv.figures.size(); ++f) {
      const Figure& fig = dv.figures[f];
      const std::string fp = child(dp + "/figures", f);
      if (!std::isfinite(fig.value)) {
        throw std::invalid_argument("verdict: cannot write " + fp + "/value: not a finite number");
      }
      for (const auto* s : {&fig.name, &fig.unit, &fig.source}) check_utf8(*s, fp);
      figures.push_back(
          {{"name", fig.name}, {"value", fig.value}, {"unit", fig.unit}, {"source", fig.source}});
    }
    devices.push_back({{"device", dv.device},
                       {"valid", dv.valid},
                       {"tier", dv.tier},
                       {"rules", std::move(rules)},
                       {"figures", std::move(figures)}});
  }
  return {
      {"profile",
       {{"name", v.profile.name}, {"version", v.profile.version}, {"sha256", v.profile.sha256}}},
      {"devices", std::move(devices)}};
}

Verdict verdict_from_json(const json& j, std::string_view src, const std::string& ptr) {
  check_fields(j, src, ptr, "a verdict", {"profile", "devices"});
  Verdict v;
  const std::string pp = child(ptr, "profile");
  const json& p = j.at("profile");
  check_fields(p, src, pp, "a profile reference", {"name", "version", "sha256"});
  v.profile = {str(p, "name", src, pp), str(p, "version", src, pp), str(p, "sha256", src, pp)};

  const json& devices = array(j, "devices", src, ptr);
  std::set<std::string> seen;
  for (std::size_t d = 0; d < devices.size(); ++d) {
    const std::string dp = child(child(ptr, "devices"), d);
    const json& dj = devices[d];
    check_fields(dj, src, dp, "a device verdict", {"device", "valid", "tier", "rules", "figures"});
    DeviceVerdict dv;
    dv.device = str(dj, "device", src, dp);
    if (dv.device.empty()) fail(src, child(dp, "device"), "a non-empty device id", "empty string");
    if (!seen.insert(dv.device).second) {
      fail(src, child(dp, "device"), "each device once",
           "duplicate " + detail::quote_short(dv.device));
    }
    dv.valid = boolean(dj, "valid", src, dp);
    dv.tier = str(dj, "tier", src, dp);
    const json& rules = array(dj, "rules", src, dp);
    for (std::size_t r = 0; r < rules.size(); ++r) {
      const std::string rp = child(child(dp, "rules"), r);
      const json& rj = rules[r];
      check_fields(rj, src, rp, "a rule verdict",
                   {"rule_id", "rationale", "passed", "figure", "threshold", "detail"});
      dv.rules.push_back({str(rj, "rule_id", src, rp), str(rj, "rationale", src, rp),
                          boolean(rj, "passed", src, rp), str(rj, "figure", src, rp),
                          str(rj, "threshold", src, rp), str(rj, "detail", src, rp)});
    }
    const json& figures = array(dj, "figures", src, dp);
    for (std::size_t f = 0; f < figures.size(); ++f) {
      const std::string fp = child(child(dp, "figures"), f);
      const json& fj = figures[f];
      check_fields(fj, src, fp, "a figure", {"name", "value", "unit", "source"});
      const json& value = fj.at("value");
      if (!value.is_number() || !std::isfinite(value.get<double>())) {
        fail(src, child(fp, "value"), "a finite number", describe(value));
      }
      dv.figures.push_back({str(fj, "name", src, fp), value.get<double>(), str(fj, "unit", src, fp),
                            str(fj, "source", src, fp)});
    }
    v.devices.push_back(std::move(dv));
  }
  return v;
}

}  // namespace chipcert::results
