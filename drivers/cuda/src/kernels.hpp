// Host-callable launchers of the CUDA driver's own kernels (kernels_*.cu).
// Plain C++ types only, so the .cpp files that call them are compiled by the
// host compiler (and sanitised in the ASan build) while nvcc sees only the
// .cu files. Every launcher enqueues on `stream` and returns the launch
// error (cudaSuccess when the shape has no work); none synchronises.
#pragma once

#include <chipcert/driver.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace chipcert::cuda {

/// Element types of an op: inputs -> accumulation and output. f32, f16 and
/// bf16 inputs accumulate in fp32, f64 in fp64, i8 (conv2d only) in int32.
enum class Prec : int { f32 = 0, f16 = 1, bf16 = 2, f64 = 3, i8 = 4 };

/// Grid of the grid-stride kernels: sized once per device from its SM count
/// so every SM is busy whatever the array length.
struct Grid {
  unsigned blocks = 1;
  unsigned threads = 256;
};

/// Row-wise op shape (layernorm, softmax and their backward, cross-entropy).
struct RowsArgs {
  int64_t rows = 0, cols = 0;
  double eps = 0, scale = 1;
  bool causal = false;
  int64_t seq_q = 1;
};

// ---- kernels_eltwise.cu -------------------------------------------------------

cudaError_t launch_noop(cudaStream_t stream);

/// STREAM copy/mul/add/triad (cc_op_kind values 2..5) in fp32 or fp64. Buffer
/// roles follow the ABI's argument order: args[0], args[1], args[2].
cudaError_t launch_stream(uint32_t kind, bool f64, int64_t n, double scalar, const void* arg0,
                          const void* arg1, void* out, Grid grid, cudaStream_t stream);
/// STREAM dot: per-block partial sums into `partial` (grid.blocks elements),
/// then one block adds them in a fixed order into `s` (deterministic).
cudaError_t launch_stream_dot(bool f64, int64_t n, const void* a, const void* b, void* s,
                              void* partial, Grid grid, cudaStream_t stream);

/// PEAK (cc_peak_params). kind: 0 fp64 fma chain, 1 fp32 fma chain (fp32 and
/// tf32), 2 fp32 acc + a*b (fp16, bf16: a, b already rounded), 3 int32
/// acc + a*b with int8 a, b (dp4a, four iterations per instruction).
/// Chains per thread: 8 where n fills `grid` (a full wave of threads) 8
/// times over, fewer (down to 1) for a smaller n; peak_chains says which.
cudaError_t launch_peak(int kind, int64_t n, int64_t iterations, double a, double b, const void* x,
                        void* y, Grid grid, cudaStream_t stream);
int peak_chains(int64_t n, Grid grid);

/// ADD (mul == false) or MUL: y(acc) = a op b.
cudaError_t launch_binary(bool mul, Prec prec, int64_t n, const void* a, const void* b, void* y,
                          Grid grid, cudaStream_t stream);
/// GELU, erf form: y(acc) = x * Phi(x).
cudaError_t launch_gelu(Prec prec, int64_t n, const void* x, void* y, Grid grid,
                        cudaStream_t stream);
/// dx = dy * (Phi(x) + x * phi(x)), all in fp32 or fp64.
cudaError_t launch_gelu_backward(bool f64, int64_t n, const void* x, const void* dy, void* dx,
                                 Grid grid, cudaStream_t stream);

/// AdamW step with bias corrections bc1 = 1 - beta1^step, bc2 = 1 - beta2^step.
struct AdamArgs {
  int64_t n = 0;
  double lr = 0, beta1 = 0, beta2 = 0, eps = 0, weight_decay = 0, bc1 = 1, bc2 = 1;
};
cudaError_t launch_adamw(bool f64, const AdamArgs& args, void* param, const void* grad, void* m,
                         void* v, Grid grid, cudaStream_t stream);

/// C = beta * C over a strided batch of row-major rows x cols matrices
/// (GEMM with k == 0 or alpha == 0); beta == 0 writes zeros without reading.
/// type: 0 fp32, 1 fp64, 2 int32.
cudaError_t launch_scale_matrix(int type, int64_t rows, int64_t cols, int64_t ld, int64_t batch,
                                int64_t stride, double beta, void* c, Grid grid,
                                cudaStream_t stream);

/// Batched int8 staging copy for cuBLASLt (see Staging in plan.hpp):
/// out[b][j][p] = p < k ? in[b*stride_in + j*row_stride + p*col_stride] : 0
/// for j < rows, p < ld_out.
struct StageArgs {
  int64_t rows = 0, k = 0, ld_out = 0, row_stride = 0, col_stride = 0, stride_in = 0;
  int64_t batch = 1;
};
cudaError_t launch_stage_i8(const StageArgs& args, const void* in, void* out, cudaStream_t stream);

// ---- kernels_rows.cu ----------------------------------------------------------

cudaError_t launch_layernorm(Prec prec, const RowsArgs& r, const void* x, const void* gamma,
                             const void* beta, void* y, void* mean, void* rstd,
                             cudaStream_t stream);
/// Needs `scratch` of layernorm_backward_scratch_bytes() for the column sums.
cudaError_t launch_layernorm_backward(bool f64, const RowsArgs& r, const void* x, const void* gamma,
                                      const void* mean, const void* rstd, const void* dy, void* dx,
                                      void* dgamma, void* dbeta, void* scratch,
                                      cudaStream_t stream);
size_t layernorm_backward_scratch_bytes(bool f64, const RowsArgs& r);
cudaError_t launch_softmax(Prec prec, const RowsArgs& r, const void* x, void* y,
                           cudaStream_t stream);
cudaError_t launch_softmax_backward(bool f64, const RowsArgs& r, const void* y, const void* dy,
                                    void* dx, cudaStream_t stream);
/// Cross-entropy: per-row losses into `row_loss` (rows elements), then their
/// mean into `loss` in a fixed order. A label outside [0, cols) gives a NaN loss.
cudaError_t launch_softmax_xent(bool f64, const RowsArgs& r, const void* logits,
                                const int32_t* labels, void* loss, void* dlogits, void* row_loss,
                                cudaStream_t stream);

// ---- kernels_conv_attn.cu -----------------------------------------------------

/// Direct convolution, one thread per output element (NCHW or NHWC); every
/// Prec including i8 (exact int32 sums).
cudaError_t launch_conv2d(Prec prec, const cc_conv2d_params& p, const void* x, const void* w,
                          void* y, cudaStream_t stream);

/// Largest head_dim the attention kernel takes.
constexpr int64_t kMaxHeadDim = 256;
/// Warps (query rows) per block of the attention kernel.
int attention_warps(const cc_attention_params& p);
/// Dynamic shared memory of one attention block.
size_t attention_smem_bytes(Prec prec, const cc_attention_params& p);
/// Raises the kernel's dynamic shared memory limit when it needs > 48 KiB
/// (once, at prepare).
cudaError_t attention_prepare(Prec prec, const cc_attention_params& p);
/// Tiled attention with an online softmax (one warp per query row).
cudaError_t launch_attention(Prec prec, const cc_attention_params& p, const void* q, const void* k,
                             const void* v, void* o, cudaStream_t stream);

}  // namespace chipcert::cuda
