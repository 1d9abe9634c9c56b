// OpenCL C sources, embedded at build time from drivers/opencl/kernels/*.cl
// (see cmake/embed_cl.cmake), so the driver needs no files at run time.
#pragma once

namespace chipcert::opencl {
extern const char kGemmSource[];
extern const char kStreamSource[];
}  // namespace chipcert::opencl
