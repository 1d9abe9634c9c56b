#pragma once
/// `chipcert compare`: match the cases of two results documents (a baseline
/// and a candidate) and decide, case by case and with a statistical test,
/// whether the candidate is faster, slower, the same, or too noisy to say.
/// The decision rule is written out in reports/compare/README.md.
/// Reads the results model only.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chipcert/compare/statistics.hpp"
#include "chipcert/results/model.hpp"

namespace chipcert::compare {

/// The version of the JSON this module writes ("schema_version").
inline constexpr const char* kCompareSchemaVersion = "1";

struct Options {
  double threshold = 0.05;     ///< relative change of the median that matters (0.05 = 5 %)
  double alpha = 0.05;         ///< significance level of the U test; CI level is 1 - alpha
  bool ignore_device = false;  ///< match without the device model (plugin vs baseline driver)
  size_t min_samples = 3;      ///< fewer samples on a side: "noisy", never significant
};

enum class Outcome {
  Improved,   ///< significantly faster, by more than the threshold
  Regressed,  ///< significantly slower by more than the threshold, or no longer passes
  Unchanged,  ///< within the threshold (significant or not)
  Noisy,      ///< beyond the threshold but not significant, or too few samples
  NotPassed,  ///< not passed on one side or both (and not a new failure): not timed
  BaseOnly,   ///< present in the baseline only
  NewOnly,    ///< present in the candidate only
};

/// "improved", "regressed", "unchanged", "noisy", "not_passed", "base_only", "new_only".
const char* to_string(Outcome o);

struct Side {
  std::string id;      ///< the case id in that document
  std::string status;  ///< results status name
  std::string reason;
  size_t n = 0;       ///< samples
  double median = 0;  ///< seconds per iteration (0 when no sample)
};

struct CaseComparison {
  std::string key;  ///< "<workload>/<label>/<dtype>" plus " on <vendor> <name>" unless ignored
  std::optional<Side> base, candidate;
  double change = 0;                   ///< candidate median / base median - 1 (0 when not compared)
  std::optional<MannWhitney> test;     ///< when both sides passed with samples
  std::optional<RatioInterval> ratio;  ///< Hodges-Lehmann ratio candidate / base and its CI
  Outcome outcome = Outcome::Unchanged;
  std::string why;  ///< one line: which part of the rule decided
};

struct DocumentRef {
  std::string source;  ///< file name as given
  std::string run_id;
  std::string suite;
  std::string started_at;
};

struct Comparison {
  Options options;
  DocumentRef base, candidate;
  std::vector<CaseComparison> cases;  ///< baseline order, then candidate-only cases
  std::vector<std::string> warnings;  ///< e.g. duplicate keys that were disambiguated

  /// Cases whose outcome is Regressed: the CI gate fails when any exists.
  size_t regressions() const;
  size_t count(Outcome o) const;
};

/// The matching key of a case (see CaseComparison::key); `device` may be null
/// when the document does not describe the case's device.
std::string match_key(const results::Case& c, const results::Device* device, bool ignore_device);

/// Compare two documents. Throws std::invalid_argument for options out of
/// range (threshold < 0 or not finite, alpha outside (0, 1), min_samples 0).
Comparison compare_documents(const results::Document& base, const results::Document& candidate,
                             const Options& options, const std::string& base_source = "base",
                             const std::string& candidate_source = "candidate");

/// A fixed-width table and a summary line (for terminals and CI logs).
std::string render_text(const Comparison& c);
/// A GitHub-flavoured Markdown table for a pull-request comment.
std::string render_markdown(const Comparison& c);
/// Machine-readable, with "schema_version"; numbers as JSON numbers.
nlohmann::json to_json(const Comparison& c);

}  // namespace chipcert::compare
