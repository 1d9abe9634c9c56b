// prepare / launch / timed_launch / release of the CUDA driver. GEMM goes to
// cuBLASLt (gemm_lt.cpp), every other op to our own kernels (ops.cpp).
#pragma once

#include <memory>

#include "device.hpp"

namespace chipcert::cuda {

/// Validates the descriptor, plans the op and keeps the kernel in dev.kernels.
Kernel* prepare_op(Device& dev, const cc_op_desc& op);
void release_op(Device& dev, const Kernel* kernel);

/// Checks nargs and every buffer against the plan, then enqueues one run.
void launch_op(Device& dev, const Kernel* kernel, cc_buffer* const* args, uint32_t nargs);

/// `repeat` launches between two CUDA events; seconds between them.
double timed_launch_op(Device& dev, const Kernel* kernel, cc_buffer* const* args, uint32_t nargs,
                       uint32_t repeat);

/// The cuBLASLt GEMM for a planned CC_OP_GEMM (creates dev.lt on first use).
std::unique_ptr<Kernel> prepare_gemm(Device& dev, const OpPlan& plan);

/// Bytes of cuBLASLt workspace per device (NVIDIA recommends 32 MiB on Hopper).
constexpr uint64_t kLtWorkspaceBytes = uint64_t{32} << 20;

}  // namespace chipcert::cuda
