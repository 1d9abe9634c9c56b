#pragma once
// A test-only, in-memory cc_driver_v1 that executes every op kind with the
// workloads' own fp64 references (outputs rounded to their dtype). It lets a
// test run each workload end to end without a real driver, and its devices
// inject faults so the tests can prove verification rejects them:
//   device 0: correct;
//   device 1: every non-zero float output one ulp (of its dtype) off;
//   device 2: one element of the main output wrong;
//   device 3: the main output all zeros;
//   device 4: prepare() says CC_ERR_UNSUPPORTED for every op.

#include <cstdint>
#include <vector>

#include "chipcert/driver.h"

namespace chipcert::workloads::testing {

enum class Fault { None = 0, OneUlp = 1, WrongElement = 2, Zeros = 3, Unsupported = 4 };

/// The driver table (static storage, valid for the whole test).
const cc_driver_v1& reference_driver();

/// FNV-1a hash of every write() to the device so far, in order (the seed tests
/// compare what two set-ups uploaded).
const std::vector<uint64_t>& write_hashes(const cc_device* dev);

}  // namespace chipcert::workloads::testing
