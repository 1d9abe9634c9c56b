// Pure functions from an op descriptor to what the CUDA driver will run:
// dtype checks, the byte size every buffer argument needs, and the cuBLASLt
// problem a row-major GEMM becomes. No CUDA call is made here (cublasLt.h is
// included for its enums only), so all of it is unit-tested without a GPU.
#pragma once

#include <chipcert/driver.h>
#include <cublasLt.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels.hpp"

namespace chipcert::cuda {

/// "gemm", "stream_triad", ... ("op kind N" for unknown kinds).
std::string op_name(uint32_t kind);
/// "fp32", "bf16", ... (the spelling chipcert uses everywhere).
std::string dtype_name(uint32_t dtype);
/// Bytes per element of a storage dtype (tf32 is stored as fp32); 0 if unknown.
uint32_t dtype_bytes(uint32_t dtype);

/// One buffer argument of an op: its name for messages and the bytes the
/// descriptor's shape needs (launch rejects smaller buffers).
struct ArgSpec {
  std::string name;
  uint64_t bytes = 0;
};

/// A validated op: the normalised descriptor (GEMM batch 0 becomes 1), the
/// precision our own kernels run it in, and its buffer arguments in ABI order.
struct OpPlan {
  cc_op_desc op{};
  Prec prec = Prec::f32;  ///< element types of our kernels (unused by GEMM)
  std::vector<ArgSpec> args;
  bool empty = false;  ///< the shape has no work: launch only checks arguments
};

/// Validates `op` (kinds, dtype pairs, shapes, scalars) and computes the
/// buffer sizes. Throws Error: CC_ERR_UNSUPPORTED for a dtype pair or size
/// this driver does not run (the message says which are supported),
/// CC_ERR_INVALID_ARGUMENT for a descriptor that is wrong for any driver.
OpPlan plan_op(const cc_op_desc& op);

/// Which of this build's device code a GPU of compute capability
/// major*10+minor runs: "sm_80 SASS" (8.x), "sm_90 SASS" (9.x) or
/// "compute_90 PTX, JIT-compiled" (newer); "none" below 8.0.
std::string machine_code_for(int cc);

/// alpha, beta of PEAK rounded to the op's dtype the way chipcert's inputs are
/// (double -> float -> fp16/bf16, round to nearest even); unchanged otherwise.
double round_to_dtype(double value, uint32_t dtype);

// ---- GEMM on cuBLASLt ---------------------------------------------------------

/// A matrix as cuBLASLt sees it: column-major rows x cols, leading dimension
/// ld, batch members `stride` elements apart.
struct LtMatrix {
  uint64_t rows = 0, cols = 0;
  int64_t ld = 0;
  int64_t stride = 0;
};

/// An int8 operand copied into scratch before the matmul, when cuBLASLt's
/// integer kernels need a layout the caller did not give (see plan_gemm).
/// Destination: `rows` rows of ld_out bytes, row j holding op(M)'s k values
/// of output index j contiguously and zeros from k to ld_out. Source element
/// (j, p) is at j*row_stride + p*col_stride; batch members stride_in apart
/// in the source and rows*ld_out apart in the destination.
struct Staging {
  int arg = 0;  ///< 0: the ABI's A buffer, 1: B
  int64_t rows = 0, k = 0, ld_out = 0;
  int64_t row_stride = 0, col_stride = 0, stride_in = 0;
  uint64_t bytes = 0;  ///< scratch size for the whole batch
};

/// The column-major problem D = alpha*op(X)*op(Y) + beta*C, D aliasing C,
/// that computes the ABI's row-major C = alpha*op(A)*op(B) + beta*C.
/// Row-major C (m x n) is column-major C^T (n x m) = op(B)^T op(A)^T, so
/// cuBLASLt's first operand X is our B buffer and its second Y our A
/// buffer, each with our own transpose flag, and the sizes become
/// (m', n', k) = (n, m, k).
struct GemmPlan {
  cudaDataType_t in_type = CUDA_R_32F, out_type = CUDA_R_32F, scale_type = CUDA_R_32F;
  cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  cublasOperation_t op_x = CUBLAS_OP_N, op_y = CUBLAS_OP_N;
  int x_arg = 1, y_arg = 0;  ///< ABI buffer index feeding X and Y (staged if listed)
  LtMatrix x, y, c;          ///< stored layouts (before op)
  uint64_t m = 0, n = 0, k = 0;
  int32_t batch = 1;
  double alpha = 1, beta = 0;
  bool empty = false;       ///< m or n is 0: nothing to do
  bool scale_only = false;  ///< k == 0 or alpha == 0: C = beta*C, no matmul (BLAS)
  std::vector<Staging> staging;
};

/// The cuBLASLt problem for a GEMM op already validated by plan_op. With
/// `stage_int8`, int8 operands are laid out in the "TN" form cuBLASLt's
/// integer tensor-core kernels require (X transposed, Y not, both with k
/// contiguous, leading dimension a multiple of 16) via Staging entries.
GemmPlan plan_gemm(const cc_op_desc& op, bool stage_int8);

}  // namespace chipcert::cuda
