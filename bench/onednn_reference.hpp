#pragma once
// oneDNN's matmul called directly, as its own users call it: the library
// chooses the weight layout (format `any`), B is packed once before timing,
// operands are random. A reference for chipcert's CPU GEMM figures, which go
// through the same library behind the driver ABI and the workload layer.
#include <cstdint>
#include <string>

namespace chipcert::bench {

struct DirectGemm {
  double gflops = 0;  ///< best of the timed launches; 0 when it could not run
  std::string impl;   ///< oneDNN's implementation string, or why it did not run
};

/// C[m][n] = A[m][k] * B[k][n] with `in` "f32", "bf16" or "s8" (f32 output,
/// s32 for s8), timed best of `reps` after one warm-up launch.
DirectGemm onednn_gemm(const std::string& in, int64_t m, int64_t n, int64_t k, int reps);

}  // namespace chipcert::bench
