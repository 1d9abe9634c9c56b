// Pure parts of the CUDA driver, tested without a GPU: op validation and
// buffer sizes, the row-major -> cuBLASLt mapping of GEMM (run against a
// host reference), PEAK's rounding, and the identity formatting helpers.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "chipcert/workloads/dtype.hpp"
#include "error.hpp"
#include "inventory.hpp"
#include "plan.hpp"

namespace chipcert::cuda {
namespace {

cc_op_desc make_op(uint32_t kind, uint32_t dtype, uint32_t acc) {
  cc_op_desc op{};
  op.struct_size = sizeof op;
  op.kind = kind;
  op.dtype = dtype;
  op.acc_dtype = acc;
  return op;
}

cc_op_desc gemm_op(uint32_t dtype, uint32_t acc, int64_t m, int64_t n, int64_t k, bool ta,
                   bool tb) {
  cc_op_desc op = make_op(CC_OP_GEMM, dtype, acc);
  cc_gemm_params& g = op.u.gemm;
  g.m = m;
  g.n = n;
  g.k = k;
  g.trans_a = ta;
  g.trans_b = tb;
  g.lda = ta ? m : k;
  g.ldb = tb ? k : n;
  g.ldc = n;
  g.alpha = 1;
  g.beta = 0;
  g.batch = 1;
  return op;
}

cc_status status_of(const cc_op_desc& op) {
  try {
    plan_op(op);
    return CC_OK;
  } catch (const Error& e) {
    return e.status();
  }
}

std::string message_of(const cc_op_desc& op) {
  try {
    plan_op(op);
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

// ---- GEMM: the mapping onto cuBLASLt, checked numerically -------------------------

/// The ABI's row-major GEMM in double: the reference.
std::vector<double> row_major_reference(const cc_gemm_params& g, const std::vector<double>& A,
                                        const std::vector<double>& B, std::vector<double> C) {
  for (int64_t b = 0; b < g.batch; ++b)
    for (int64_t i = 0; i < g.m; ++i)
      for (int64_t j = 0; j < g.n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < g.k; ++p) {
          const double a =
              g.trans_a ? A[b * g.stride_a + p * g.lda + i] : A[b * g.stride_a + i * g.lda + p];
          const double bb =
              g.trans_b ? B[b * g.stride_b + j * g.ldb + p] : B[b * g.stride_b + p * g.ldb + j];
          s += a * bb;
        }
        double& c = C[b * g.stride_c + i * g.ldc + j];
        c = g.alpha * s + (g.beta == 0 ? 0.0 : g.beta * c);
      }
  return C;
}

/// What the driver makes cuBLASLt compute: the staging copies, then a
/// column-major D = alpha*op(X)*op(Y) + beta*C exactly as the plan's layouts,
/// transposes and batch strides describe it.
std::vector<double> simulate_plan(const GemmPlan& p, const std::vector<double>& A,
                                  const std::vector<double>& B, std::vector<double> C) {
  std::vector<double> staged[2];
  const std::vector<double>* src[2] = {&A, &B};
  for (const Staging& s : p.staging) {
    const std::vector<double>& in = *src[s.arg];
    std::vector<double>& out = staged[s.arg];
    out.assign(s.bytes, -777.0);  // int8: bytes == elements; garbage must not leak in
    for (int64_t b = 0; b < p.batch; ++b)
      for (int64_t j = 0; j < s.rows; ++j)
        for (int64_t q = 0; q < s.ld_out; ++q)
          out[b * s.rows * s.ld_out + j * s.ld_out + q] =
              q < s.k ? in[b * s.stride_in + j * s.row_stride + q * s.col_stride] : 0.0;
    src[s.arg] = &out;
  }
  const std::vector<double>& X = *src[p.x_arg];
  const std::vector<double>& Y = *src[p.y_arg];
  EXPECT_EQ(p.op_x == CUBLAS_OP_N ? p.x.rows : p.x.cols, p.m);
  EXPECT_EQ(p.op_x == CUBLAS_OP_N ? p.x.cols : p.x.rows, p.k);
  EXPECT_EQ(p.op_y == CUBLAS_OP_N ? p.y.rows : p.y.cols, p.k);
  EXPECT_EQ(p.op_y == CUBLAS_OP_N ? p.y.cols : p.y.rows, p.n);
  EXPECT_EQ(p.c.rows, p.m);
  EXPECT_EQ(p.c.cols, p.n);
  for (int64_t b = 0; b < p.batch; ++b)
    for (uint64_t i = 0; i < p.m; ++i)
      for (uint64_t j = 0; j < p.n; ++j) {
        double s = 0;
        for (uint64_t q = 0; q < p.k; ++q) {
          const double x = p.op_x == CUBLAS_OP_N ? X[b * p.x.stride + i + q * p.x.ld]
                                                 : X[b * p.x.stride + q + i * p.x.ld];
          const double y = p.op_y == CUBLAS_OP_N ? Y[b * p.y.stride + q + j * p.y.ld]
                                                 : Y[b * p.y.stride + j + q * p.y.ld];
          s += x * y;
        }
        double& c = C[b * p.c.stride + i + j * p.c.ld];
        c = p.alpha * s + (p.beta == 0 ? 0.0 : p.beta * c);
      }
  return C;
}

/// Small integers, so every sum is exact in double whatever the order.
std::vector<double> ints(size_t n, int seed) {
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<double>(int((i * 7 + seed * 13) % 11) - 5);
  return v;
}

struct MappingCase {
  int64_t m, n, k, pad, batch;
  bool shared_a;  // stride_a = 0: one A for the whole batch
};

class GemmMapping : public ::testing::TestWithParam<std::tuple<int, int, int, MappingCase>> {};

TEST_P(GemmMapping, MatchesRowMajorReference) {
  const auto [dtype, ta, tb, mc] = GetParam();
  const uint32_t acc = dtype == CC_DTYPE_I8    ? CC_DTYPE_I32
                       : dtype == CC_DTYPE_F64 ? CC_DTYPE_F64
                                               : CC_DTYPE_F32;
  cc_op_desc op = gemm_op(dtype, acc, mc.m, mc.n, mc.k, ta, tb);
  cc_gemm_params& g = op.u.gemm;
  g.lda += mc.pad;
  g.ldb += mc.pad;
  g.ldc += mc.pad;
  g.alpha = 2;
  g.beta = -1;
  g.batch = mc.batch;
  const int64_t a_rows = ta ? g.k : g.m, b_rows = tb ? g.n : g.k;
  g.stride_a = mc.shared_a ? 0 : a_rows * g.lda + 3;
  g.stride_b = b_rows * g.ldb + 1;
  g.stride_c = g.m * g.ldc + 2;
  const OpPlan plan = plan_op(op);
  const std::vector<double> A = ints(plan.args[0].bytes / dtype_bytes(dtype), 1);
  const std::vector<double> B = ints(plan.args[1].bytes / dtype_bytes(dtype), 2);
  const std::vector<double> C = ints(plan.args[2].bytes / dtype_bytes(acc), 3);
  const std::vector<double> want = row_major_reference(plan.op.u.gemm, A, B, C);
  for (const bool stage : {false, true}) {
    SCOPED_TRACE(stage ? "int8 staging" : "direct");
    const GemmPlan p = plan_gemm(plan.op, stage);
    EXPECT_EQ(simulate_plan(p, A, B, C), want);
    if (stage && dtype == CC_DTYPE_I8) {  // what cuBLASLt's int8 kernels require
      EXPECT_EQ(p.op_x, CUBLAS_OP_T);
      EXPECT_EQ(p.op_y, CUBLAS_OP_N);
      EXPECT_EQ(p.k % 4, 0u);
      EXPECT_EQ(p.x.ld % 16, 0);
      EXPECT_EQ(p.y.ld % 16, 0);
    } else {
      EXPECT_TRUE(p.staging.empty());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllDtypesAndTransposes, GemmMapping,
                         ::testing::Combine(::testing::Values(CC_DTYPE_F64, CC_DTYPE_F32,
                                                              CC_DTYPE_TF32, CC_DTYPE_F16,
                                                              CC_DTYPE_BF16, CC_DTYPE_I8),
                                            ::testing::Values(0, 1), ::testing::Values(0, 1),
                                            ::testing::Values(MappingCase{3, 5, 7, 0, 1, false},
                                                              MappingCase{4, 6, 16, 2, 1, false},
                                                              MappingCase{5, 3, 6, 1, 3, false},
                                                              MappingCase{2, 4, 8, 0, 2, true})));

TEST(GemmPlan, TypesPerDtype) {
  struct Row {
    uint32_t dtype, acc;
    cudaDataType_t in, out, scale;
    cublasComputeType_t compute;
  };
  const Row rows[] = {
      {CC_DTYPE_F64, CC_DTYPE_F64, CUDA_R_64F, CUDA_R_64F, CUDA_R_64F, CUBLAS_COMPUTE_64F},
      {CC_DTYPE_F32, CC_DTYPE_F32, CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F},
      {CC_DTYPE_TF32, CC_DTYPE_F32, CUDA_R_32F, CUDA_R_32F, CUDA_R_32F,
       CUBLAS_COMPUTE_32F_FAST_TF32},
      {CC_DTYPE_F16, CC_DTYPE_F32, CUDA_R_16F, CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F},
      {CC_DTYPE_BF16, CC_DTYPE_F32, CUDA_R_16BF, CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F},
      {CC_DTYPE_I8, CC_DTYPE_I32, CUDA_R_8I, CUDA_R_32I, CUDA_R_32I, CUBLAS_COMPUTE_32I},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(dtype_name(r.dtype));
    const GemmPlan p = plan_gemm(plan_op(gemm_op(r.dtype, r.acc, 8, 8, 8, false, false)).op, false);
    EXPECT_EQ(p.in_type, r.in);
    EXPECT_EQ(p.out_type, r.out);
    EXPECT_EQ(p.scale_type, r.scale);
    EXPECT_EQ(p.compute, r.compute);
  }
}

TEST(GemmPlan, OperandsSwapForColumnMajor) {
  cc_op_desc op = gemm_op(CC_DTYPE_F32, CC_DTYPE_F32, 3, 5, 7, false, true);
  op.u.gemm.ldc = 9;
  const GemmPlan p = plan_gemm(plan_op(op).op, false);
  EXPECT_EQ(p.m, 5u);  // n
  EXPECT_EQ(p.n, 3u);  // m
  EXPECT_EQ(p.k, 7u);
  EXPECT_EQ(p.x_arg, 1);  // B first
  EXPECT_EQ(p.y_arg, 0);
  EXPECT_EQ(p.op_x, CUBLAS_OP_T);  // trans_b
  EXPECT_EQ(p.op_y, CUBLAS_OP_N);  // trans_a
  EXPECT_EQ(p.c.ld, 9);
  EXPECT_EQ(p.batch, 1);
  EXPECT_EQ(p.c.stride, 0);  // unbatched: strides are ignored
}

TEST(GemmPlan, BatchZeroMeansOneAndCornerCases) {
  cc_op_desc op = gemm_op(CC_DTYPE_F32, CC_DTYPE_F32, 4, 4, 0, false, false);
  op.u.gemm.batch = 0;
  op.u.gemm.lda = 1;
  const OpPlan plan = plan_op(op);
  EXPECT_EQ(plan.op.u.gemm.batch, 1);
  EXPECT_TRUE(plan_gemm(plan.op, false).scale_only);  // k == 0: C = beta*C
  op = gemm_op(CC_DTYPE_F32, CC_DTYPE_F32, 4, 4, 4, false, false);
  op.u.gemm.alpha = 0;
  EXPECT_TRUE(plan_gemm(plan_op(op).op, false).scale_only);
  op = gemm_op(CC_DTYPE_F32, CC_DTYPE_F32, 0, 4, 4, false, false);
  EXPECT_TRUE(plan_op(op).empty);
  EXPECT_TRUE(plan_gemm(plan_op(op).op, false).empty);
}

TEST(GemmPlan, Int8StagingPadsK) {
  const GemmPlan p =
      plan_gemm(plan_op(gemm_op(CC_DTYPE_I8, CC_DTYPE_I32, 4, 8, 7, false, false)).op, true);
  ASSERT_EQ(p.staging.size(), 2u);  // k % 4 != 0: both operands padded
  EXPECT_EQ(p.k, 8u);
  for (const Staging& s : p.staging) {
    EXPECT_EQ(s.k, 7);
    EXPECT_EQ(s.ld_out, 16);
    EXPECT_EQ(s.bytes, static_cast<uint64_t>(s.rows * 16));
  }
  // Already "TN" with aligned leading dimensions: nothing to copy.
  cc_op_desc op = gemm_op(CC_DTYPE_I8, CC_DTYPE_I32, 32, 32, 64, false, true);
  EXPECT_TRUE(plan_gemm(plan_op(op).op, true).staging.empty());
}

TEST(GemmPlan, ArgumentSizes) {
  cc_op_desc op = gemm_op(CC_DTYPE_BF16, CC_DTYPE_F32, 3, 5, 7, true, false);
  op.u.gemm.lda = 4;  // A stored k x m = 7 x 3, ld 4
  op.u.gemm.ldb = 6;  // B stored 7 x 5, ld 6
  op.u.gemm.ldc = 8;
  op.u.gemm.batch = 2;
  op.u.gemm.stride_a = 100;
  op.u.gemm.stride_b = 0;
  op.u.gemm.stride_c = 24;
  const OpPlan p = plan_op(op);
  ASSERT_EQ(p.args.size(), 3u);
  EXPECT_EQ(p.args[0].bytes, (100 + 6 * 4 + 3) * 2u);
  EXPECT_EQ(p.args[1].bytes, (6 * 6 + 5) * 2u);
  EXPECT_EQ(p.args[2].bytes, (24 + 2 * 8 + 5) * 4u);
}

TEST(GemmPlan, RejectsBadDescriptors) {
  cc_op_desc op = gemm_op(CC_DTYPE_F32, CC_DTYPE_F32, 4, 4, 4, false, false);
  op.u.gemm.lda = 3;
  EXPECT_EQ(status_of(op), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(message_of(op).find("lda=3"), std::string::npos);
  op = gemm_op(CC_DTYPE_F32, CC_DTYPE_F32, 4, 4, 4, false, false);
  op.u.gemm.batch = 2;
  op.u.gemm.stride_c = 15;  // C spans 16 elements
  EXPECT_EQ(status_of(op), CC_ERR_INVALID_ARGUMENT);
  op = gemm_op(CC_DTYPE_F32, CC_DTYPE_F32, -1, 4, 4, false, false);
  EXPECT_EQ(status_of(op), CC_ERR_INVALID_ARGUMENT);
  op = gemm_op(CC_DTYPE_F32, CC_DTYPE_F32, 4, 4, 4, false, false);
  op.u.gemm.trans_a = 2;
  EXPECT_EQ(status_of(op), CC_ERR_INVALID_ARGUMENT);
  op.u.gemm.trans_a = 0;
  op.u.gemm.alpha = NAN;
  EXPECT_EQ(status_of(op), CC_ERR_INVALID_ARGUMENT);
  // Unsupported pairs name what is supported.
  op = gemm_op(CC_DTYPE_F16, CC_DTYPE_F16, 4, 4, 4, false, false);
  EXPECT_EQ(status_of(op), CC_ERR_UNSUPPORTED);
  EXPECT_NE(message_of(op).find("fp16/fp32"), std::string::npos);
  op = gemm_op(CC_DTYPE_I8, CC_DTYPE_F32, 4, 4, 4, false, false);
  EXPECT_EQ(status_of(op), CC_ERR_UNSUPPORTED);
  op = gemm_op(CC_DTYPE_I8, CC_DTYPE_I32, 4, 4, 4, false, false);
  op.u.gemm.alpha = 0.5;
  EXPECT_EQ(status_of(op), CC_ERR_UNSUPPORTED);
  op = gemm_op(CC_DTYPE_I32, CC_DTYPE_I32, 4, 4, 4, false, false);
  EXPECT_EQ(status_of(op), CC_ERR_UNSUPPORTED);
}

// ---- every other op: buffer sizes and validation ------------------------------------

TEST(OpPlan, StreamSizesAndDtypes) {
  for (uint32_t kind = CC_OP_STREAM_COPY; kind <= CC_OP_STREAM_DOT; ++kind) {
    cc_op_desc op = make_op(kind, CC_DTYPE_F64, CC_DTYPE_F64);
    op.u.stream.n = 1000;
    const OpPlan p = plan_op(op);
    const size_t want = kind == CC_OP_STREAM_COPY || kind == CC_OP_STREAM_MUL ? 2 : 3;
    ASSERT_EQ(p.args.size(), want) << op_name(kind);
    EXPECT_EQ(p.args[0].bytes, 8000u);
    EXPECT_EQ(p.args.back().bytes, kind == CC_OP_STREAM_DOT ? 8u : 8000u);
    op.dtype = op.acc_dtype = CC_DTYPE_F16;
    EXPECT_EQ(status_of(op), CC_ERR_UNSUPPORTED);
    op.dtype = op.acc_dtype = CC_DTYPE_F32;
    op.u.stream.n = -1;
    EXPECT_EQ(status_of(op), CC_ERR_INVALID_ARGUMENT);
  }
  cc_op_desc triad = make_op(CC_OP_STREAM_TRIAD, CC_DTYPE_F32, CC_DTYPE_F32);
  triad.u.stream.n = 0;
  EXPECT_TRUE(plan_op(triad).empty);
  EXPECT_EQ(plan_op(triad).args[2].name, "a");  // ABI order: b, c, a
  cc_op_desc dot = make_op(CC_OP_STREAM_DOT, CC_DTYPE_F32, CC_DTYPE_F32);
  EXPECT_FALSE(plan_op(dot).empty);  // dot of nothing still writes s = 0
}

TEST(OpPlan, PeakDtypes) {
  const std::pair<uint32_t, uint32_t> ok[] = {
      {CC_DTYPE_F64, CC_DTYPE_F64}, {CC_DTYPE_F32, CC_DTYPE_F32},  {CC_DTYPE_TF32, CC_DTYPE_F32},
      {CC_DTYPE_F16, CC_DTYPE_F32}, {CC_DTYPE_BF16, CC_DTYPE_F32}, {CC_DTYPE_I8, CC_DTYPE_I32}};
  for (const auto& [d, a] : ok) {
    cc_op_desc op = make_op(CC_OP_PEAK, d, a);
    op.u.peak = {.n = 10, .iterations = 5, .alpha = 1, .beta = 1};
    const OpPlan p = plan_op(op);
    EXPECT_EQ(p.args[0].bytes, 10 * dtype_bytes(a)) << dtype_name(d);
  }
  cc_op_desc op = make_op(CC_OP_PEAK, CC_DTYPE_F16, CC_DTYPE_F16);
  EXPECT_EQ(status_of(op), CC_ERR_UNSUPPORTED);
  op = make_op(CC_OP_PEAK, CC_DTYPE_I8, CC_DTYPE_I32);
  op.u.peak = {.n = 10, .iterations = 5, .alpha = 200, .beta = 1};
  EXPECT_EQ(status_of(op), CC_ERR_INVALID_ARGUMENT);
  op.u.peak.alpha = 1;
  op.u.peak.iterations = -1;
  EXPECT_EQ(status_of(op), CC_ERR_INVALID_ARGUMENT);
}

TEST(OpPlan, Conv2dSizesBothLayouts) {
  for (const uint32_t layout : {CC_LAYOUT_NCHW, CC_LAYOUT_NHWC}) {
    cc_op_desc op = make_op(CC_OP_CONV2D, CC_DTYPE_BF16, CC_DTYPE_F32);
    op.u.conv2d = {.n = 2,
                   .c = 8,
                   .h = 10,
                   .w = 12,
                   .k = 6,
                   .r = 3,
                   .s = 3,
                   .stride_h = 2,
                   .stride_w = 1,
                   .pad_h = 1,
                   .pad_w = 0,
                   .dilation_h = 1,
                   .dilation_w = 2,
                   .groups = 2,
                   .layout = layout,
                   .reserved0 = 0};
    const OpPlan p = plan_op(op);
    EXPECT_EQ(p.prec, Prec::bf16);
    EXPECT_EQ(p.args[0].bytes, 2u * 8 * 10 * 12 * 2);
    EXPECT_EQ(p.args[1].bytes, 6u * 4 * 3 * 3 * 2);
    // p = (10 + 2 - 2 - 1)/2 + 1 = 5; q = (12 - 4 - 1)/1 + 1 = 8
    EXPECT_EQ(p.args[2].bytes, 2u * 6 * 5 * 8 * 4);
    op.u.conv2d.groups = 3;  // does not divide c = 8
    EXPECT_EQ(status_of(op), CC_ERR_INVALID_ARGUMENT);
  }
  cc_op_desc i8 = make_op(CC_OP_CONV2D, CC_DTYPE_I8, CC_DTYPE_I32);
  i8.u.conv2d = {.n = 1,
                 .c = 4,
                 .h = 5,
                 .w = 5,
                 .k = 2,
                 .r = 3,
                 .s = 3,
                 .stride_h = 1,
                 .stride_w = 1,
                 .pad_h = 1,
                 .pad_w = 1,
                 .dilation_h = 1,
                 .dilation_w = 1,
                 .groups = 1,
                 .layout = CC_LAYOUT_NHWC,
                 .reserved0 = 0};
  const OpPlan pi = plan_op(i8);
  EXPECT_EQ(pi.prec, Prec::i8);
  EXPECT_EQ(pi.args[0].bytes, 100u);         // int8 x
  EXPECT_EQ(pi.args[2].bytes, 2u * 25 * 4);  // int32 y
  i8.acc_dtype = CC_DTYPE_F32;
  EXPECT_EQ(status_of(i8), CC_ERR_UNSUPPORTED);
  cc_op_desc op = make_op(CC_OP_CONV2D, CC_DTYPE_TF32, CC_DTYPE_F32);
  op.u.conv2d = {.n = 1,
                 .c = 1,
                 .h = 2,
                 .w = 2,
                 .k = 1,
                 .r = 3,
                 .s = 3,
                 .stride_h = 1,
                 .stride_w = 1,
                 .pad_h = 0,
                 .pad_w = 0,
                 .dilation_h = 1,
                 .dilation_w = 1,
                 .groups = 1,
                 .layout = CC_LAYOUT_NCHW,
                 .reserved0 = 0};
  EXPECT_EQ(status_of(op), CC_ERR_INVALID_ARGUMENT);  // filter larger than the input
  op.u.conv2d.layout = 7;
  EXPECT_EQ(status_of(op), CC_ERR_INVALID_ARGUMENT);
}

TEST(OpPlan, AttentionSizesAndLimits) {
  cc_op_desc op = make_op(CC_OP_ATTENTION, CC_DTYPE_F16, CC_DTYPE_F32);
  op.u.attention = {.batch = 2,
                    .heads = 3,
                    .seq_q = 5,
                    .seq_kv = 9,
                    .head_dim = 64,
                    .causal = 1,
                    .layout = CC_ATTN_BHSD,
                    .scale = 0.125};
  const OpPlan p = plan_op(op);
  EXPECT_EQ(p.args[0].bytes, 2u * 3 * 5 * 64 * 2);
  EXPECT_EQ(p.args[1].bytes, 2u * 3 * 9 * 64 * 2);
  EXPECT_EQ(p.args[3].bytes, 2u * 3 * 5 * 64 * 4);
  op.u.attention.layout = CC_ATTN_BSHD;  // same sizes, rows interleaved by head
  EXPECT_EQ(plan_op(op).args[0].bytes, 2u * 3 * 5 * 64 * 2);
  op.u.attention.layout = 2;
  EXPECT_EQ(status_of(op), CC_ERR_INVALID_ARGUMENT);
  op.u.attention.layout = CC_ATTN_BHSD;
  op.u.attention.head_dim = 257;
  EXPECT_EQ(status_of(op), CC_ERR_UNSUPPORTED);
  op.u.attention.head_dim = -1;
  EXPECT_EQ(status_of(op), CC_ERR_INVALID_ARGUMENT);
  op = make_op(CC_OP_ATTENTION, CC_DTYPE_TF32, CC_DTYPE_F32);
  EXPECT_EQ(status_of(op), CC_ERR_UNSUPPORTED);  // tf32 is for GEMM, conv2d, peak
}

TEST(OpPlan, RowOpsSizes) {
  cc_op_desc op = make_op(CC_OP_LAYERNORM, CC_DTYPE_BF16, CC_DTYPE_F32);
  op.u.rows = {
      .rows = 4, .cols = 10, .eps = 1e-5, .scale = 1, .causal = 0, .reserved0 = 0, .seq_q = 0};
  OpPlan p = plan_op(op);
  ASSERT_EQ(p.args.size(), 6u);
  EXPECT_EQ(p.args[0].bytes, 80u);   // x bf16
  EXPECT_EQ(p.args[1].bytes, 20u);   // gamma
  EXPECT_EQ(p.args[3].bytes, 160u);  // y fp32
  EXPECT_EQ(p.args[4].bytes, 16u);   // mean fp32
  op.kind = CC_OP_LAYERNORM_BACKWARD;
  p = plan_op(op);
  ASSERT_EQ(p.args.size(), 8u);
  EXPECT_EQ(p.args[0].bytes, 160u);  // x in acc_dtype
  EXPECT_EQ(p.args[7].bytes, 40u);   // dbeta
  op.kind = CC_OP_SOFTMAX;
  op.u.rows.causal = 1;
  EXPECT_EQ(status_of(op), CC_ERR_INVALID_ARGUMENT);  // causal needs seq_q >= 1
  op.u.rows.seq_q = 2;
  EXPECT_EQ(plan_op(op).args[1].bytes, 160u);
  op.kind = CC_OP_SOFTMAX_XENT;
  p = plan_op(op);
  EXPECT_EQ(p.args[1].bytes, 16u);  // int32 labels
  EXPECT_EQ(p.args[2].bytes, 4u);   // one loss
  op.u.rows.rows = 0;
  EXPECT_EQ(status_of(op), CC_ERR_INVALID_ARGUMENT);  // mean of no rows
  op = make_op(CC_OP_LAYERNORM, CC_DTYPE_F32, CC_DTYPE_F64);
  EXPECT_EQ(status_of(op), CC_ERR_UNSUPPORTED);
}

TEST(OpPlan, EltwiseAndAdamW) {
  cc_op_desc op = make_op(CC_OP_ADD, CC_DTYPE_F16, CC_DTYPE_F32);
  op.u.eltwise.n = 7;
  OpPlan p = plan_op(op);
  EXPECT_EQ(p.args[0].bytes, 14u);
  EXPECT_EQ(p.args[2].bytes, 28u);
  op.kind = CC_OP_GELU_BACKWARD;  // every argument in acc_dtype
  p = plan_op(op);
  EXPECT_EQ(p.args[0].bytes, 28u);
  op.kind = CC_OP_GELU;
  EXPECT_EQ(plan_op(op).args.size(), 2u);
  op = make_op(CC_OP_ADAMW, CC_DTYPE_F64, CC_DTYPE_F64);
  op.u.adamw = {.n = 3,
                .step = 1,
                .lr = 1e-3,
                .beta1 = 0.9,
                .beta2 = 0.999,
                .eps = 1e-8,
                .weight_decay = 0.01};
  p = plan_op(op);
  ASSERT_EQ(p.args.size(), 4u);
  EXPECT_EQ(p.args[3].bytes, 24u);
  op.u.adamw.step = 0;
  EXPECT_EQ(status_of(op), CC_ERR_INVALID_ARGUMENT);
  op.u.adamw.step = 1;
  op.u.adamw.beta2 = 1.0;
  EXPECT_EQ(status_of(op), CC_ERR_INVALID_ARGUMENT);
}

TEST(OpPlan, UnknownKindAndOverflow) {
  cc_op_desc op = make_op(CC_OP_KIND_COUNT_, CC_DTYPE_F32, CC_DTYPE_F32);
  EXPECT_EQ(status_of(op), CC_ERR_UNSUPPORTED);
  op = make_op(CC_OP_ADD, CC_DTYPE_F32, CC_DTYPE_F32);
  op.u.eltwise.n = INT64_MAX;  // n * 4 bytes overflows
  EXPECT_EQ(status_of(op), CC_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(plan_op(make_op(CC_OP_NOOP, CC_DTYPE_F32, CC_DTYPE_F32)).args.empty());
}

// ---- PEAK rounding agrees with chipcert's own conversions -----------------------

TEST(RoundToDtype, MatchesWorkloadConversions) {
  using namespace chipcert::workloads;
  const double samples[] = {1.0,      1.00390625, 1.01171875, 1 + 0x1p-11, 1 + 3 * 0x1p-11,
                            -3.14159, 65504.0,    65520.0,    1e-8,        6.1e-5,
                            0.1,      1e30,       -2.5e-7,    0.0,         123.456};
  for (const double x : samples) {
    const float f = static_cast<float>(x);
    EXPECT_EQ(round_to_dtype(x, CC_DTYPE_BF16), double(bf16_to_fp32(fp32_to_bf16(f)))) << x;
    EXPECT_EQ(round_to_dtype(x, CC_DTYPE_F16), double(fp16_to_fp32(fp32_to_fp16(f)))) << x;
    EXPECT_EQ(round_to_dtype(x, CC_DTYPE_F32), x);
  }
}

// ---- identity helpers ---------------------------------------------------------------

TEST(Identity, PciBusIdIsNormalisedToHwlocForm) {
  EXPECT_EQ(normalize_pci_bus_id("00000000:3B:00.0"), "0000:3b:00.0");
  EXPECT_EQ(normalize_pci_bus_id("0000:3b:00.0"), "0000:3b:00.0");
  EXPECT_EQ(normalize_pci_bus_id("0001:C1:1F.7"), "0001:c1:1f.7");
  EXPECT_EQ(normalize_pci_bus_id(""), "");
  EXPECT_EQ(normalize_pci_bus_id("3b:00.0"), "");
  EXPECT_EQ(normalize_pci_bus_id("0000:3b:00.0x"), "");
  EXPECT_EQ(normalize_pci_bus_id("0000:3b:20.0"), "");  // device is 5 bits
}

TEST(Identity, UuidFormat) {
  std::array<unsigned char, 16> u{};
  for (int i = 0; i < 16; ++i) u[i] = static_cast<unsigned char>(i * 17);
  EXPECT_EQ(format_uuid(u), "00112233-4455-6677-8899-aabbccddeeff");
}

TEST(Identity, DriverVersionKeepsWhatFits) {
  EXPECT_EQ(compose_driver_version("580.65.06", "96.00.89.00.01", 1, 700, "13.0", 63),
            "driver 580.65.06, VBIOS 96.00.89.00.01, ECC on, limit 700 W");
  EXPECT_EQ(compose_driver_version("580.65.06", "", 0, 0, "13.0", 63),
            "driver 580.65.06, ECC off, CUDA 13.0");
  EXPECT_EQ(compose_driver_version("", "", -1, 0, "12.4", 63), "CUDA 12.4");
  EXPECT_EQ(compose_driver_version("", "", -1, 0, "", 63), "");
  const std::string s =
      compose_driver_version(std::string(70, '9'), "96.00.89.00.01", 1, 700, "13.0", 63);
  EXPECT_EQ(s, "VBIOS 96.00.89.00.01, ECC on, limit 700 W, CUDA 13.0");  // too long: skipped
  EXPECT_EQ(cuda_version_string(12040), "12.4");
  EXPECT_EQ(cuda_version_string(13000), "13.0");
  EXPECT_EQ(cuda_version_string(0), "");
}

TEST(Identity, MachineCodeByComputeCapability) {
  EXPECT_EQ(machine_code_for(70), "none");
  EXPECT_EQ(machine_code_for(80), "sm_80 SASS");
  EXPECT_EQ(machine_code_for(89), "sm_80 SASS");  // L40, RTX 4090: binary compatible
  EXPECT_EQ(machine_code_for(90), "sm_90 SASS");
  EXPECT_EQ(machine_code_for(100), "compute_90 PTX, JIT-compiled");
}

TEST(Identity, DtypesByComputeCapability) {
  const uint32_t ampere = dtypes_for_compute_capability(80);
  EXPECT_TRUE(ampere & CC_DTYPE_BIT(CC_DTYPE_BF16));
  EXPECT_TRUE(ampere & CC_DTYPE_BIT(CC_DTYPE_TF32));
  EXPECT_TRUE(ampere & CC_DTYPE_BIT(CC_DTYPE_F64));
  EXPECT_TRUE(ampere & CC_DTYPE_BIT(CC_DTYPE_I8));
  const uint32_t volta = dtypes_for_compute_capability(70);
  EXPECT_TRUE(volta & CC_DTYPE_BIT(CC_DTYPE_F16));
  EXPECT_FALSE(volta & CC_DTYPE_BIT(CC_DTYPE_BF16));
  EXPECT_FALSE(dtypes_for_compute_capability(52) & CC_DTYPE_BIT(CC_DTYPE_F16));
}

}  // namespace
}  // namespace chipcert::cuda
