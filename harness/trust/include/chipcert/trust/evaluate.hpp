#pragma once
/// Applying a profile to a results document: the verdict per device.
///
/// A pure function of its inputs, so `verify` can recompute exactly what
/// `certify` claimed. It reads only the raw samples, iteration counts,
/// per-iteration flop/bytes, statuses, suite and provenance of the results:
/// statistics and rates stored in the file are never trusted, they are
/// recomputed with results::summarize.

#include "chipcert/results/model.hpp"
#include "chipcert/results/verdict.hpp"
#include "chipcert/trust/profile.hpp"

namespace chipcert::trust {

/// The verdict for every device of `doc`, in the document's device order.
/// Each rule of the profile gives one RuleVerdict per device (in profile
/// order); the device is valid when every rule passed; its tier is the last
/// tier of the profile whose requirements all hold, and "" when the device
/// is not valid (an invalid certificate claims no tier).
///
/// `certifier`, when given, is the provenance of the binary that certifies:
/// the clean_build rule then requires it to be clean too, so a build from a
/// dirty tree can never produce a VALID certificate.
results::Verdict evaluate(const results::Document& doc, const Profile& profile,
                          const results::Provenance* certifier);

}  // namespace chipcert::trust
