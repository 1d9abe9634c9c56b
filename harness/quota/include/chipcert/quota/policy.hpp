#pragma once
/// Procurement quota policies: versioned data files
/// (`"format": "chipcert-quota-policy"`, `"format_version": 1`) saying which
/// certification a purchased device needs, how vendors fall into categories,
/// and the minimum / maximum share of each category -- counted in units or in
/// certified capacity -- plus optional caps on the total, the budget and the
/// power. harness/quota/README.md documents the format.
///
/// Shares are stored exactly, in basis points (1/100 of a percent: 40 % is
/// 4000), so unit shares are compared with integer arithmetic only.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chipcert::quota {

/// Policy, plan and offers files larger than this are refused before parsing.
inline constexpr std::size_t kMaxInputBytes = std::size_t{4} << 20;

/// Most lines in a plan / offers in an offers file, and most categories or
/// rules in a policy: a purchase of 64 Ki distinct certified models is not a
/// real plan, and the limit keeps the integer program small.
inline constexpr std::size_t kMaxItems = 4096;

/// Largest quantity of one line and largest total: 10^9 units keeps every
/// product of a count and a share in basis points inside int64.
inline constexpr int64_t kMaxUnits = 1'000'000'000;

/// 100 % in basis points.
inline constexpr int64_t kFullShare = 10'000;

enum class Basis {
  Units,     ///< share of the number of units bought
  Capacity,  ///< share of the certified capacity: the policy's figure x quantity
};
const char* to_string(Basis b);

/// Vendors as reported in the certificates' device identity ("vendor"),
/// matched exactly; or the explicit "any other vendor" category.
struct Category {
  std::string id;
  std::string description;
  std::vector<std::string> vendors;
  bool any_other = false;
};

/// One quota: the share of `category` must be >= min and/or <= max.
struct ShareRule {
  std::string id;  ///< unique in the policy; reports name it
  std::string rationale;
  std::string category;  ///< a Category::id
  Basis basis = Basis::Units;
  std::optional<int64_t> min_bp;  ///< basis points, 0..10000
  std::optional<int64_t> max_bp;
};

/// What a device's certificate must show for a line to count.
struct Certification {
  std::string profile;                         ///< profile name, e.g. "datacenter-training-v1"
  std::optional<std::string> profile_version;  ///< when given, exactly this version
  std::optional<std::string> min_tier;         ///< a tier of that profile; higher ones count too
  std::optional<int64_t> max_age_days;         ///< signed at most this many days before the check
};

struct Policy {
  std::string name;
  std::string version;
  std::string description;
  Certification certification;
  /// The verdict figure that measures one unit's capacity ("fp32_gemm_gflops").
  std::string capacity_figure;
  std::optional<int64_t> total_units;  ///< the plan buys exactly this many units
  std::optional<double> max_budget;    ///< sum of unit price x quantity, at most
  std::optional<double> max_power_w;   ///< sum of unit power x quantity, at most
  std::vector<Category> categories;    ///< exactly one has any_other
  std::vector<ShareRule> rules;

  /// Index of the category a vendor falls in: the one listing it, else the
  /// any-other category.
  std::size_t category_of(std::string_view vendor) const;
  /// Index of a category by id; throws std::out_of_range.
  std::size_t category_index(std::string_view id) const;
};

/// Parse and validate a policy strictly (unknown fields, duplicate keys,
/// wrong types, unknown categories, duplicate ids or vendors, min > max,
/// percentages with more than two decimals are errors). Throws
/// results::ParseError naming `source`, the JSON pointer and what was expected.
Policy parse_policy(std::string_view text, std::string_view source);

/// "40 %", "12.5 %" -- a share in basis points as written in files.
std::string format_percent(int64_t bp);

}  // namespace chipcert::quota
