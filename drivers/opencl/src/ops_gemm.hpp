// GEMM internals exposed for the autotuner's tests: the candidate tile
// configurations and a prepare that uses given tiles instead of tuning.
#pragma once

#include "device.hpp"

#include <vector>

namespace chipcert::opencl {

/// Tile configurations the autotuner tries for `dtype` on this device, the
/// default first; only those that fit the work-group size and local memory.
std::vector<GemmTiles> gemm_candidates(const DeviceRecord& rec, uint32_t dtype);

/// prepare_gemm with fixed `tiles` (no autotuning); `origin` goes to kernel_info.
void prepare_gemm_with(Device& dev, const cc_op_desc& desc, const GemmTiles& tiles,
                       const std::string& origin, Op& op);

/// The tuning-cache key: "<device name>|<driver version>|<dtype>".
std::string gemm_tuning_key(const DeviceRecord& rec, uint32_t dtype);

/// "tm=64 tn=128 tk=256 rm=8 nv=2 vw=16"
std::string describe(const GemmTiles& t);

}  // namespace chipcert::opencl
