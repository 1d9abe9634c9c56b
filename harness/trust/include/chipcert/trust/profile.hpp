#pragma once
/// Certification profiles: versioned data files (profiles/*.json) saying which
/// suite, which cases are required, the run rules, the figures derived from
/// the measurements and the performance tiers. The shipped ones are compiled
/// into the binary; any other can be read with --profile-file. See
/// profiles/README.md for the format.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chipcert/results/model.hpp"

namespace chipcert::trust {

/// Which cases a rule or figure means: workload and dtype, and the shape
/// label (the middle of the case id) when given; without a label every shape
/// of that workload and dtype matches.
struct CaseSelector {
  std::string workload;
  std::string dtype;
  std::optional<std::string> label;
  bool operator==(const CaseSelector&) const = default;
};

enum class RuleType {
  Suite,             ///< the results' suite name and version are the profile's
  RequiredCases,     ///< each selector matches a case on the device, and every match passed
  AllCasesVerified,  ///< no case on the device failed, was mistrusted, errored or timed out
  MinRepetitions,    ///< every case in scope has >= `min` samples
  MaxCv,             ///< every case in scope has a coefficient of variation <= `max`
  MinMeasuredTime,  ///< every case in scope measured >= `min` seconds (sum of samples x iterations)
  Sustained,        ///< `selector` ran >= `min` s, end throughput >= (1 - `max`) x start
  CleanBuild,       ///< built from a clean tree at a known commit (run and certifier)
};

/// "suite", "required_cases", ... as written in profile files.
const char* to_string(RuleType t);

struct Rule {
  std::string id;         ///< unique within the profile, stable across versions
  std::string rationale;  ///< one line: why the rule exists
  RuleType type = RuleType::Suite;
  std::vector<CaseSelector> cases;  ///< RequiredCases
  CaseSelector selector;            ///< Sustained
  double min = 0;  ///< MinRepetitions (count), MinMeasuredTime / Sustained (seconds)
  double max = 0;  ///< MaxCv, Sustained (largest allowed throughput drop, a fraction)
  bool operator==(const Rule&) const = default;
};

/// Which rate a figure reads from a case, recomputed from the raw samples.
enum class Rate {
  FlopPerS,             ///< flop per iteration / median seconds per iteration
  BytesPerS,            ///< bytes per iteration / median seconds per iteration
  SecondsPerIteration,  ///< the median itself (latencies: lower is better)
};

struct FigureSpec {
  std::string name;  ///< e.g. "fp32_gemm_tflops"
  CaseSelector selector;
  Rate rate = Rate::FlopPerS;
  double scale = 1;  ///< value = rate x scale (1e-12 for TFLOP/s)
  std::string unit;
  bool operator==(const FigureSpec&) const = default;
};

struct TierRequirement {
  std::string figure;
  std::optional<double> min;  ///< figure >= min
  std::optional<double> max;  ///< figure <= max
  bool operator==(const TierRequirement&) const = default;
};

struct Tier {
  std::string name;
  std::vector<TierRequirement> requirements;
  bool operator==(const Tier&) const = default;
};

struct Profile {
  std::string name;  ///< "datacenter-inference-v1"
  std::string version;
  std::string description;
  results::SuiteRef suite;
  std::vector<Rule> rules;
  std::vector<FigureSpec> figures;
  std::vector<Tier> tiers;  ///< lowest first; a device gets the last one it meets
  std::string text;         ///< the file's exact bytes
  std::string sha256;       ///< lowercase hex SHA-256 of `text`
};

/// Parse and validate a profile (strict JSON: format "chipcert-profile",
/// format_version 1, unique rule ids, figure and tier names, tiers naming
/// defined figures). Throws results::ParseError naming `source` and the JSON
/// pointer.
Profile parse_profile(std::string_view text, std::string_view source);

/// A profile file shipped in the binary.
struct EmbeddedProfile {
  const char* name;  ///< file stem, equal to the profile's "name"
  std::string_view text;
};
std::span<const EmbeddedProfile> builtin_profiles();

/// A built-in profile by name; throws std::invalid_argument listing the names.
Profile builtin_profile(std::string_view name);

/// The built-in profile with this name, version and digest, if there is one.
std::optional<Profile> find_builtin_profile(std::string_view name, std::string_view version,
                                            std::string_view sha256);

/// Whether a case (workload, dtype, id) matches a selector. The label is the
/// middle part of the id "<workload>/<label>/<dtype>@<device>".
bool matches(const CaseSelector& s, const results::Case& c);

/// The shape label of a case, from its id ("" when the id has another form).
std::string case_label(const results::Case& c);

}  // namespace chipcert::trust
