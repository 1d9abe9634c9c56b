#pragma once
/// Host-side tensors in a device's storage format, with the exact values the
/// device sees (after rounding to the dtype) kept in fp64 for the reference.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "chipcert/driver.h"

namespace chipcert::workloads {

struct HostTensor {
  cc_dtype dtype = CC_DTYPE_F32;
  std::vector<std::byte> bytes;  ///< storage format, uploaded as is
  std::vector<double> values;    ///< the same elements as exact fp64 values
  size_t size() const { return values.size(); }
};

/// Seeded uniform inputs: floats in [-1, 1) rounded to the dtype, int8 in
/// [-127, 127], int32 in [-2^20, 2^20].
HostTensor random_tensor(cc_dtype dtype, size_t n, uint64_t seed, uint64_t stream);

/// Encode fp64 values into the dtype's storage (rounding to nearest even).
HostTensor encode(cc_dtype dtype, std::span<const double> values);

/// Decode device storage into fp64 values.
std::vector<double> decode(cc_dtype dtype, std::span<const std::byte> bytes);

}  // namespace chipcert::workloads
