#include "chipcert/compare/compare.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

namespace chipcert::compare {

namespace {

const results::Device* find_device(const results::Document& d, const std::string& id) {
  for (const auto& dev : d.devices)
    if (dev.id == id) return &dev;
  return nullptr;
}

Side side_of(const results::Case& c) {
  Side s;
  s.id = c.id;
  s.status = results::to_string(c.status);
  s.reason = c.reason;
  s.n = c.samples.size();
  s.median = c.samples.empty() ? 0.0 : median(c.samples);
  return s;
}

/// Keys of a document's cases in order; repeated keys (two devices of the
/// same model) get " #2", " #3", ... in order of appearance.
std::vector<std::string> keys_of(const results::Document& d, bool ignore_device,
                                 const std::string& source, std::vector<std::string>& warnings) {
  std::vector<std::string> keys;
  std::map<std::string, int> seen;
  for (const auto& c : d.cases) {
    std::string k = match_key(c, find_device(d, c.device), ignore_device);
    const int n = ++seen[k];
    if (n > 1) {
      if (n == 2)
        warnings.push_back(source + ": several cases share the key '" + k +
                           "' (same model on several devices" +
                           (ignore_device ? ", or --ignore-device" : "") +
                           "); matched in order of appearance as '#2', '#3', ...");
      k += " #" + std::to_string(n);
    }
    keys.push_back(std::move(k));
  }
  return keys;
}

std::string percent(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%+.1f%%", 100 * x);
  return buf;
}

void classify(CaseComparison& r, const results::Case& b, const results::Case& c, const Options& o) {
  const bool bp = b.status == results::Status::Passed && !b.samples.empty();
  const bool cp = c.status == results::Status::Passed && !c.samples.empty();
  if (bp && !cp) {
    r.outcome = Outcome::Regressed;
    r.why = "passed in the baseline, " + r.candidate->status + " in the candidate" +
            (c.reason.empty() ? "" : ": " + c.reason);
    return;
  }
  if (!bp || !cp) {
    r.outcome = Outcome::NotPassed;
    r.why = std::string("not compared: ") + (bp ? "" : "baseline " + r.base->status) +
            (!bp && !cp ? ", " : "") + (cp ? "" : "candidate " + r.candidate->status);
    return;
  }
  r.change = r.base->median > 0 ? r.candidate->median / r.base->median - 1.0 : 0.0;
  r.test = mann_whitney_u(b.samples, c.samples);
  r.ratio = ratio_interval(b.samples, c.samples, 1.0 - o.alpha);
  if (b.samples.size() < o.min_samples || c.samples.size() < o.min_samples) {
    r.outcome = Outcome::Noisy;
    r.why = "too few samples (" + std::to_string(b.samples.size()) + " vs " +
            std::to_string(c.samples.size()) + ", need " + std::to_string(o.min_samples) +
            " per side)";
    return;
  }
  const bool significant = r.test->p < o.alpha;
  const bool beyond = std::fabs(r.change) > o.threshold;
  char p[32];
  std::snprintf(p, sizeof(p), "%.4g", r.test->p);
  if (significant && beyond) {
    r.outcome = r.change > 0 ? Outcome::Regressed : Outcome::Improved;
    r.why = std::string(r.change > 0 ? "slower" : "faster") + " by " + percent(r.change) +
            ", beyond the threshold, p = " + p + " < alpha";
  } else if (beyond) {
    r.outcome = Outcome::Noisy;
    r.why =
        "change " + percent(r.change) + " beyond the threshold but not significant (p = " + p + ")";
  } else {
    r.outcome = Outcome::Unchanged;
    r.why = "change " + percent(r.change) + " within the threshold (p = " + p + ")";
  }
}

/// What differs between the two runs' host CPUs and may move every CPU
/// figure with it: a CI gate comparing a tuned kernel with its baseline must
/// not read a clock change, or another machine, as the kernel's doing.
void host_warnings(const results::Host& base, const results::Host& candidate,
                   std::vector<std::string>& warnings) {
  // hwloc pads some model names with spaces.
  const auto model = [](std::string m) { return m.erase(m.find_last_not_of(' ') + 1); };
  if (model(base.cpu_model) != model(candidate.cpu_model) || base.cores != candidate.cores)
    warnings.push_back(
        "the runs are on different host CPUs (baseline: " + model(base.cpu_model) + ", " +
        std::to_string(base.cores) + " cores; candidate: " + model(candidate.cpu_model) + ", " +
        std::to_string(candidate.cores) + " cores): a change in a CPU figure may be the machine's");
  if (!base.clock_under_load_mhz || !candidate.clock_under_load_mhz) return;
  // A clock its own imul cross-check or the CPU's stated bounds refute says
  // nothing about the machine; say that instead of comparing it.
  bool refuted = false;
  using Side = std::pair<const results::Host*, const char*>;
  for (const auto& [h, side] : {Side{&base, "baseline"}, Side{&candidate, "candidate"}})
    if (!h->clock_cross_check_readings_mhz.empty())
      if (const std::string why = results::clock_untrusted_reason(*h); !why.empty()) {
        warnings.push_back(
            std::string("the ") + side +
            "'s clock reading is not trusted, so the clocks are not compared: " + why);
        refuted = true;
      }
  if (refuted) return;
  const double b = *base.clock_under_load_mhz, c = *candidate.clock_under_load_mhz;
  if (b > 0 && std::abs(c / b - 1) > 0.03) {
    char text[256];
    std::snprintf(text, sizeof text,
                  "the host CPU's clock under load differs by %+.1f %% (baseline %.2f GHz, "
                  "candidate %.2f GHz): CPU figures move with it, so a change of that size on "
                  "a CPU device may be the clock's, not the code's",
                  100 * (c / b - 1), b / 1000, c / 1000);
    warnings.push_back(text);
  }
}

}  // namespace

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::Improved:
      return "improved";
    case Outcome::Regressed:
      return "regressed";
    case Outcome::Unchanged:
      return "unchanged";
    case Outcome::Noisy:
      return "noisy";
    case Outcome::NotPassed:
      return "not_passed";
    case Outcome::BaseOnly:
      return "base_only";
    case Outcome::NewOnly:
      return "new_only";
  }
  return "?";
}

size_t Comparison::count(Outcome o) const {
  size_t n = 0;
  for (const auto& c : cases) n += c.outcome == o ? 1 : 0;
  return n;
}

size_t Comparison::regressions() const {
  return count(Outcome::Regressed);
}

std::string match_key(const results::Case& c, const results::Device* device, bool ignore_device) {
  // The id without "@<device>" is "<workload>/<label>/<dtype>": the device id,
  // driver version and timestamps stay out so a driver update is comparable.
  std::string k = c.id.substr(0, c.id.rfind('@'));
  if (!ignore_device) k += " on " + (device ? device->vendor + " " + device->name : c.device);
  return k;
}

Comparison compare_documents(const results::Document& base, const results::Document& candidate,
                             const Options& o, const std::string& base_source,
                             const std::string& candidate_source) {
  if (!std::isfinite(o.threshold) || o.threshold < 0)
    throw std::invalid_argument("threshold must be a finite number >= 0");
  if (!(o.alpha > 0 && o.alpha < 1)) throw std::invalid_argument("alpha must be in (0, 1)");
  if (o.min_samples == 0) throw std::invalid_argument("min_samples must be at least 1");
  Comparison out;
  out.options = o;
  out.base = {base_source, base.run_id, base.suite.name + " " + base.suite.version,
              base.started_at};
  out.candidate = {candidate_source, candidate.run_id,
                   candidate.suite.name + " " + candidate.suite.version, candidate.started_at};
  host_warnings(base.host, candidate.host, out.warnings);
  const auto bkeys = keys_of(base, o.ignore_device, base_source, out.warnings);
  const auto ckeys = keys_of(candidate, o.ignore_device, candidate_source, out.warnings);
  std::map<std::string, size_t> cindex;
  for (size_t i = 0; i < ckeys.size(); ++i) cindex[ckeys[i]] = i;
  std::vector<bool> used(ckeys.size(), false);
  for (size_t i = 0; i < bkeys.size(); ++i) {
    CaseComparison r;
    r.key = bkeys[i];
    r.base = side_of(base.cases[i]);
    const auto it = cindex.find(bkeys[i]);
    if (it == cindex.end()) {
      r.outcome = Outcome::BaseOnly;
      r.why = "not in the candidate";
    } else {
      used[it->second] = true;
      const auto& c = candidate.cases[it->second];
      r.candidate = side_of(c);
      classify(r, base.cases[i], c, o);
    }
    out.cases.push_back(std::move(r));
  }
  for (size_t i = 0; i < ckeys.size(); ++i) {
    if (used[i]) continue;
    CaseComparison r;
    r.key = ckeys[i];
    r.candidate = side_of(candidate.cases[i]);
    r.outcome = Outcome::NewOnly;
    r.why = "not in the baseline";
    out.cases.push_back(std::move(r));
  }
  return out;
}

}  // namespace chipcert::compare
