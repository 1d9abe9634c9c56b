// Op preparation and launch for the OpenCL driver: descriptor validation,
// kernel parameter choice per device, argument checks, enqueue and timing.
#pragma once

#include "device.hpp"

namespace chipcert::opencl {

/// Validates the descriptor, builds (or reuses) the program and returns a
/// kernel owned by `dev`. Throws UNSUPPORTED for ops/dtypes the device lacks.
cc_kernel* prepare_op(cc_device& dev, const cc_op_desc& op);

/// Releases a kernel of `dev`; unknown pointers are ignored.
void release_op(cc_device& dev, cc_kernel* kernel);

/// Checks nargs and every buffer's size, then enqueues the op once. When
/// `first`/`last` are non-null they receive the events of the op's first and
/// last enqueue (for profiling).
void launch_op(cc_device& dev, cc_kernel* kernel, cc_buffer* const* args, uint32_t nargs,
               Event* first = nullptr, Event* last = nullptr);

/// Enqueues `repeat` launches back to back and returns the device time from
/// the start of the first to the end of the last (profiling events).
double timed_launch_op(cc_device& dev, cc_kernel* kernel, cc_buffer* const* args, uint32_t nargs,
                       uint32_t repeat);

}  // namespace chipcert::opencl
