// Profile x results -> verdict. Every number comes from the raw samples.

#include "chipcert/trust/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "chipcert/results/statistics.hpp"
#include "chipcert/trust/strict.hpp"

namespace chipcert::trust {

using detail::fmt;
using results::Case;
using results::RuleVerdict;
using results::Status;

namespace {

/// At most this many case ids are listed in a rule's detail.
constexpr std::size_t kMaxListed = 5;

std::string describe(const CaseSelector& s) {
  return s.workload + "/" + (s.label ? *s.label : "*") + "/" + s.dtype;
}

std::string list(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < kMaxListed; ++i)
    out += (i ? "; " : "") + items[i];
  if (items.size() > kMaxListed)
    out += "; and " + std::to_string(items.size() - kMaxListed) + " more";
  return out;
}

/// Seconds actually measured: every sample is the mean over `iterations`.
double measured_seconds(const Case& c) {
  double sum = 0;
  for (double s : c.samples) sum += s;
  return sum * static_cast<double>(c.iterations);
}

bool broken(Status s) {
  return s == Status::Failed || s == Status::Mistrusted || s == Status::Error ||
         s == Status::TimedOut;
}

struct DeviceCases {
  std::vector<const Case*> all;
  std::vector<const Case*> scope;  ///< passed cases the run rules look at
};

DeviceCases cases_for(const results::Document& doc, const std::string& device,
                      const Profile& profile) {
  DeviceCases dc;
  std::vector<const CaseSelector*> required;
  for (const auto& r : profile.rules)
    if (r.type == RuleType::RequiredCases)
      for (const auto& s : r.cases) required.push_back(&s);
  for (const auto& c : doc.cases) {
    if (c.device != device) continue;
    dc.all.push_back(&c);
    if (c.status != Status::Passed) continue;
    const bool in_scope =
        required.empty() || std::any_of(required.begin(), required.end(),
                                        [&](const auto* s) { return matches(*s, c); });
    if (in_scope) dc.scope.push_back(&c);
  }
  return dc;
}

RuleVerdict no_scope(RuleVerdict v) {
  v.passed = false;
  v.figure = "no passed case in scope";
  v.detail = "none of the cases this rule looks at passed on this device";
  return v;
}

RuleVerdict apply(const Rule& rule, const results::Document& doc, const DeviceCases& dc,
                  const Profile& profile, const results::Provenance* certifier) {
  RuleVerdict v;
  v.rule_id = rule.id;
  v.rationale = rule.rationale;
  switch (rule.type) {
    case RuleType::Suite: {
      v.passed = doc.suite == profile.suite;
      v.figure = "suite " + doc.suite.name + " " + doc.suite.version;
      v.threshold = "suite " + profile.suite.name + " " + profile.suite.version;
      break;
    }
    case RuleType::RequiredCases: {
      std::vector<std::string> problems;
      std::size_t ok = 0;
      for (const auto& s : rule.cases) {
        std::vector<const Case*> found;
        for (const Case* c : dc.all)
          if (matches(s, *c)) found.push_back(c);
        if (found.empty()) {
          problems.push_back(describe(s) + ": missing");
          continue;
        }
        bool all_passed = true;
        for (const Case* c : found) {
          if (c->status != Status::Passed) {
            all_passed = false;
            problems.push_back(c->id + ": " + results::to_string(c->status));
          }
        }
        if (all_passed) ++ok;
      }
      v.passed = problems.empty();
      v.figure =
          std::to_string(ok) + " of " + std::to_string(rule.cases.size()) + " present and passed";
      v.threshold = std::to_string(rule.cases.size()) + " of " + std::to_string(rule.cases.size());
      v.detail = list(problems);
      break;
    }
    case RuleType::AllCasesVerified: {
      std::vector<std::string> bad;
      for (const Case* c : dc.all)
        if (broken(c->status)) bad.push_back(c->id + ": " + results::to_string(c->status));
      v.passed = bad.empty();
      v.figure = std::to_string(bad.size()) + " of " + std::to_string(dc.all.size()) +
                 " cases failed, mistrusted, errored or timed out";
      v.threshold = "0";
      v.detail = list(bad);
      break;
    }
    case RuleType::MinRepetitions: {
      v.threshold = ">= " + fmt(rule.min) + " samples";
      if (dc.scope.empty()) return no_scope(v);
      const Case* worst = nullptr;
      std::vector<std::string> short_cases;
      for (const Case* c : dc.scope) {
        if (!worst || c->samples.size() < worst->samples.size()) worst = c;
        if (static_cast<double>(c->samples.size()) < rule.min)
          short_cases.push_back(c->id + ": " + std::to_string(c->samples.size()));
      }
      v.passed = short_cases.empty();
      v.figure = "min " + std::to_string(worst->samples.size()) + " samples (" + worst->id + ")";
      v.detail = list(short_cases);
      break;
    }
    case RuleType::MaxCv: {
      v.threshold = "cv <= " + fmt(rule.max);
      if (dc.scope.empty()) return no_scope(v);
      const Case* worst = nullptr;
      double worst_cv = -1;
      std::vector<std::string> noisy;
      for (const Case* c : dc.scope) {
        const double cv = results::summarize(c->samples).cv;
        if (cv > worst_cv) {
          worst_cv = cv;
          worst = c;
        }
        if (cv > rule.max) noisy.push_back(c->id + ": cv " + fmt(cv));
      }
      v.passed = noisy.empty();
      v.figure = "max cv " + fmt(worst_cv) + " (" + worst->id + ")";
      v.detail = list(noisy);
      break;
    }
    case RuleType::MinMeasuredTime: {
      v.threshold = ">= " + fmt(rule.min) + " s per case";
      if (dc.scope.empty()) return no_scope(v);
      const Case* worst = nullptr;
      double worst_s = 0;
      std::vector<std::string> brief;
      for (const Case* c : dc.scope) {
        const double s = measured_seconds(*c);
        if (!worst || s < worst_s) {
          worst = c;
          worst_s = s;
        }
        if (s < rule.min) brief.push_back(c->id + ": " + fmt(s) + " s");
      }
      v.passed = brief.empty();
      v.figure = "min " + fmt(worst_s) + " s (" + worst->id + ")";
      v.detail = list(brief);
      break;
    }
    case RuleType::Sustained: {
      v.threshold =
          ">= " + fmt(rule.min) + " s measured, end/start throughput >= " + fmt(1 - rule.max);
      // The longest matching passed run is the one that can show sustained behaviour.
      const Case* pick = nullptr;
      for (const Case* c : dc.all)
        if (c->status == Status::Passed && matches(rule.selector, *c) &&
            (!pick || measured_seconds(*c) > measured_seconds(*pick)))
          pick = c;
      if (!pick) {
        v.passed = false;
        v.figure = "no passed " + describe(rule.selector) + " case";
        break;
      }
      const std::size_t n = pick->samples.size();
      const double covered = measured_seconds(*pick);
      if (n < 2) {
        v.passed = false;
        v.figure = std::to_string(n) + " sample(s) (" + pick->id + ")";
        v.detail = "a throughput trend needs at least 2 samples";
        break;
      }
      // First and last tenth of the samples (at least one each), in time order.
      const std::size_t k = std::max<std::size_t>(1, (n + 9) / 10);
      double first = 0, last = 0;
      for (std::size_t i = 0; i < k; ++i) {
        first += pick->samples[i];
        last += pick->samples[n - k + i];
      }
      // Throughput is 1 / time per iteration: end/start throughput = t_first / t_last.
      const double ratio = last > 0 ? first / last : (first > 0 ? HUGE_VAL : 1.0);
      const bool long_enough = covered >= rule.min;
      const bool steady = ratio >= 1 - rule.max;
      v.passed = long_enough && steady;
      v.figure = fmt(covered) + " s measured, end/start throughput " +
                 (std::isfinite(ratio) ? fmt(ratio) : std::string("inf")) + " (" + pick->id + ")";
      if (!long_enough) v.detail = "ran " + fmt(covered) + " s, less than " + fmt(rule.min) + " s";
      if (!steady)
        v.detail += std::string(v.detail.empty() ? "" : "; ") + "throughput dropped by " +
                    fmt(1 - ratio) + " from the first to the last " + std::to_string(k) +
                    " sample(s)";
      break;
    }
    case RuleType::CleanBuild: {
      auto clean = [](const results::Provenance& p) {
        return !p.dirty && !p.git_commit.empty() && p.git_commit != "unknown";
      };
      auto show = [](const results::Provenance& p) {
        return "commit " +
               (p.git_commit.empty() ? std::string("unknown") : p.git_commit.substr(0, 12)) +
               (p.dirty ? " dirty" : " clean");
      };
      v.passed = clean(doc.provenance) && (!certifier || clean(*certifier));
      v.figure = "run: " + show(doc.provenance);
      if (certifier) v.figure += "; certifier: " + show(*certifier);
      v.threshold = "clean tree at a known commit";
      if (!v.passed) v.detail = "a build from a dirty or unknown tree cannot be reproduced";
      break;
    }
  }
  return v;
}

/// The figure's value for one case, or nullopt when the case has none.
std::optional<double> figure_value(const FigureSpec& f, const Case& c) {
  if (c.status != Status::Passed || c.samples.empty()) return std::nullopt;
  const double median = results::summarize(c.samples).median;
  switch (f.rate) {
    case Rate::FlopPerS:
      if (c.flop <= 0 || median <= 0) return std::nullopt;
      return c.flop / median * f.scale;
    case Rate::BytesPerS:
      if (c.bytes <= 0 || median <= 0) return std::nullopt;
      return c.bytes / median * f.scale;
    case Rate::SecondsPerIteration:
      return median * f.scale;
  }
  return std::nullopt;
}

}  // namespace

results::Verdict evaluate(const results::Document& doc, const Profile& profile,
                          const results::Provenance* certifier) {
  results::Verdict verdict;
  verdict.profile = {profile.name, profile.version, profile.sha256};
  for (const auto& device : doc.devices) {
    const DeviceCases dc = cases_for(doc, device.id, profile);
    results::DeviceVerdict dv;
    dv.device = device.id;
    dv.valid = true;
    for (const auto& rule : profile.rules) {
      dv.rules.push_back(apply(rule, doc, dc, profile, certifier));
      dv.valid = dv.valid && dv.rules.back().passed;
    }
    for (const auto& f : profile.figures) {
      // Several shapes may match: the best figure counts (highest rate, lowest time).
      std::optional<results::Figure> best;
      for (const Case* c : dc.all) {
        if (!matches(f.selector, *c)) continue;
        const auto value = figure_value(f, *c);
        if (!value || !std::isfinite(*value)) continue;
        const bool better = !best || (f.rate == Rate::SecondsPerIteration ? *value < best->value
                                                                          : *value > best->value);
        if (better) best = results::Figure{f.name, *value, f.unit, c->id};
      }
      if (best) dv.figures.push_back(*best);
    }
    if (dv.valid) {
      for (const auto& tier : profile.tiers) {
        const bool met = std::all_of(
            tier.requirements.begin(), tier.requirements.end(), [&](const TierRequirement& r) {
              const auto it =
                  std::find_if(dv.figures.begin(), dv.figures.end(),
                               [&](const results::Figure& fig) { return fig.name == r.figure; });
              return it != dv.figures.end() && (!r.min || it->value >= *r.min) &&
                     (!r.max || it->value <= *r.max);
            });
        if (met) dv.tier = tier.name;
      }
    }
    verdict.devices.push_back(std::move(dv));
  }
  return verdict;
}

}  // namespace chipcert::trust
