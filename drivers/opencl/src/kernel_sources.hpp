// OpenCL C sources, embedded at build time from drivers/opencl/kernels/*.cl
// (see cmake/embed_cl.cmake), so the driver needs no files at run time.
// kCommonSource is the prelude compiled in front of every file except
// stream.cl (which predates it and stands alone).
#pragma once

namespace chipcert::opencl {
extern const char kCommonSource[];
extern const char kGemmSource[];
extern const char kStreamSource[];
extern const char kPeakSource[];
extern const char kEltwiseSource[];
extern const char kRowsSource[];
extern const char kConv2dSource[];
extern const char kAttentionSource[];
}  // namespace chipcert::opencl
