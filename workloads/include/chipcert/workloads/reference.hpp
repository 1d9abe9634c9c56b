#pragma once
/// Reference implementations used for verification. Written for obvious
/// correctness first (fp64 accumulation, plain loop order), with just enough
/// blocking and threading that checking a 2048^3 GEMM takes seconds, not minutes.

#include <cstdint>
#include <span>

namespace chipcert::workloads::reference {

/// C[m x n] = A[m x k] * B[k x n], all row-major, dense, fp64.
/// Multithreaded over rows of C with std::thread.
void gemm_f64(int64_t m, int64_t n, int64_t k, std::span<const double> a, std::span<const double> b,
              std::span<double> c);

}  // namespace chipcert::workloads::reference
