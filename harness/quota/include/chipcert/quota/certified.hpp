#pragma once
/// From plan lines / offers to certified devices: every certificate is read
/// and verified with chipcert::trust's verifier (signature by a trusted key,
/// key validity and revocation, subjects, profile, recomputed verdict), then
/// held to the policy's certification: device VALID, profile (and version),
/// minimum tier, maximum age, the claimed vendor and model, and a capacity
/// figure. A line that fails any of these is rejected with the check that
/// failed; it never counts toward a share.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "chipcert/quota/compliance.hpp"
#include "chipcert/quota/plan.hpp"
#include "chipcert/quota/policy.hpp"
#include "chipcert/trust/profile.hpp"
#include "chipcert/trust/trusted_keys.hpp"

namespace chipcert::quota {

struct VerifyContext {
  const trust::TrustedKeys* keys = nullptr;
  std::vector<trust::Profile> profiles;  ///< accepted besides the built-in ones (--profile-file)
  int64_t now = 0;                       ///< seconds since the epoch, for max_age_days
  bool allow_stand_in = false;  ///< accept simulated devices (trust::stand_in_reason), for demos
};

/// A line whose certificate passed every check.
struct CertifiedItem {
  std::size_t index = 0;  ///< position in the plan / offers file
  const LineItem* line = nullptr;
  std::string device;  ///< device id inside the certificate
  std::string vendor;  ///< from the verified device identity
  std::string model;
  std::size_t category = 0;  ///< index into Policy::categories
  std::string tier;
  double capacity_per_unit = 0;
  std::string capacity_unit;
  std::string signer_key_id;
  std::string signed_at;

  Allocation allocation() const;  ///< with the line's quantity
};

/// A line that does not count, and why.
struct RejectedItem {
  std::size_t index = 0;
  std::string id;
  std::string certificate;
  std::string check;   ///< "read", "envelope", a verify check ("signature", "key-validity", ...),
                       ///< "device", "valid", "profile", "tier", "age", "vendor", "model", "figure"
  std::string reason;  ///< the verifier's or the policy's message
};

struct Certified {
  std::vector<CertifiedItem> accepted;  ///< in file order
  std::vector<RejectedItem> rejected;   ///< in file order
};

/// Verify the certificate of every item (each file read once, at most
/// trust::dsse::kMaxEnvelopeBytes) and hold it to the policy. Never throws
/// for a bad certificate: that is a RejectedItem. `items` must outlive the
/// result (CertifiedItem::line points into it).
Certified certify_items(std::span<const LineItem> items, const Policy& policy,
                        const VerifyContext& ctx);

}  // namespace chipcert::quota
