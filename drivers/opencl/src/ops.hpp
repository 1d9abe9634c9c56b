// Op preparation and launch for the OpenCL driver: dispatch to the op
// families (ops_*.cpp), argument checks, enqueue and timing.
#pragma once

#include "device.hpp"

namespace chipcert::opencl {

/// Validates the descriptor, builds (or reuses) the programs and returns an
/// op owned by `dev`. Throws UNSUPPORTED for ops/dtypes the device lacks.
Op* prepare_op(Device& dev, const cc_op_desc& desc);

/// Releases an op of `dev`; unknown pointers are ignored.
void release_op(Device& dev, Op* op);

/// The live op `op` of `dev`, or nullptr.
const Op* find_op(const Device& dev, const Op* op);

/// Checks nargs and every buffer's size and aliasing, then enqueues the op
/// once. When `first`/`last` are non-null they receive the events of the
/// op's first and last enqueue (for profiling).
void launch_op(Device& dev, Op* op, Buffer* const* args, uint32_t nargs, Event* first = nullptr,
               Event* last = nullptr);

/// launch_op for an op that `dev` does not own (the autotuner's trial ops).
void enqueue_op(Device& dev, Op& op, Buffer* const* args, uint32_t nargs, Event* first,
                Event* last);

/// Enqueues `repeat` launches back to back and returns the device time from
/// the start of the first to the end of the last (profiling events).
double timed_launch_op(Device& dev, Op* op, Buffer* const* args, uint32_t nargs, uint32_t repeat);

/// Same for an op `dev` does not own.
double timed_enqueue(Device& dev, Op& op, Buffer* const* args, uint32_t nargs, uint32_t repeat);

// Op families: each validates its descriptor and fills op.args, op.steps and
// op.info (ops_gemm.cpp, ops_stream.cpp, ops_eltwise.cpp, ops_rows.cpp,
// ops_conv.cpp, ops_attention.cpp).
void prepare_gemm(Device& dev, const cc_op_desc& desc, Op& op);
void prepare_stream(Device& dev, const cc_op_desc& desc, Op& op);
void prepare_peak(Device& dev, const cc_op_desc& desc, Op& op);
void prepare_eltwise(Device& dev, const cc_op_desc& desc, Op& op);
void prepare_rows(Device& dev, const cc_op_desc& desc, Op& op);
void prepare_conv2d(Device& dev, const cc_op_desc& desc, Op& op);
void prepare_attention(Device& dev, const cc_op_desc& desc, Op& op);

}  // namespace chipcert::opencl
