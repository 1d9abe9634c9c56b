#pragma once
/// The certification verdict: what a profile concluded about each device of a
/// results document, rule by rule (like an MLPerf summary: VALID/INVALID with
/// the figure and the bound). Produced by `chipcert certify`, carried inside
/// the signed certificate, recomputed by `chipcert verify`, rendered by the
/// reports. Lives beside the results model so reports can read it without
/// depending on the harness.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace chipcert::results {

/// One rule of a profile applied to one device.
struct RuleVerdict {
  std::string rule_id;    ///< e.g. "required-cases-passed", stable across profile versions
  std::string rationale;  ///< the profile's one-line why
  bool passed = false;
  std::string figure;     ///< what was measured, human readable ("cv 0.031")
  std::string threshold;  ///< the bound ("<= 0.05")
  std::string detail;     ///< why it failed, or which cases it looked at
  bool operator==(const RuleVerdict&) const = default;
};

/// A named performance figure the profile derives from the results (used for
/// tiers and for procurement quotas), e.g. "fp32_gemm_tflops".
struct Figure {
  std::string name;
  double value = 0;
  std::string unit;    ///< "TFLOP/s", "GB/s", "samples/s", ...
  std::string source;  ///< case id the figure came from
  bool operator==(const Figure&) const = default;
};

struct DeviceVerdict {
  std::string device;  ///< device id in the results document
  bool valid = false;  ///< every rule passed
  std::string tier;    ///< highest tier reached, "" when none
  std::vector<RuleVerdict> rules;
  std::vector<Figure> figures;
  bool operator==(const DeviceVerdict&) const = default;
};

struct ProfileRef {
  std::string name;     ///< "datacenter-inference-v1"
  std::string version;  ///< "1.0"
  std::string sha256;   ///< digest of the profile file's bytes
  bool operator==(const ProfileRef&) const = default;
};

/// What `certify` concluded about a whole results document.
struct Verdict {
  ProfileRef profile;
  std::vector<DeviceVerdict> devices;
  bool operator==(const Verdict&) const = default;
};

/// JSON form of a verdict (field names as in the structs; every field always
/// present). Throws std::invalid_argument naming the JSON pointer when a
/// figure's value is NaN or infinite or a string is not valid UTF-8.
nlohmann::json to_json(const Verdict& v);

/// Parse a verdict strictly, like the results model: every field required,
/// exact types, unknown fields rejected, device ids unique. `source` names the
/// file and `pointer` where the verdict sits in it ("" for the root), so errors
/// read "<source>: <pointer>/devices/0/valid: expected a boolean, found ...".
/// Throws ParseError (results/json.hpp).
Verdict verdict_from_json(const nlohmann::json& j, std::string_view source,
                          const std::string& pointer = "");

}  // namespace chipcert::results
