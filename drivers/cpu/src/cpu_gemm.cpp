// GEMM: oneDNN matmul for f32, bf16 and int8; OpenBLAS's DGEMM for f64,
// which oneDNN does not offer.
//
// Row-major op(A) (m x k) and op(B) (k x n) are described to oneDNN as plain
// 2-D tensors whose strides carry both the leading dimension and the
// transpose, so no data is ever copied or transposed by the driver.
#include <cblas.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "cpu_internal.hpp"

namespace chipcert::cpu {
namespace {

using dnnl::memory;

/// Elements spanned by a row-major rows x cols matrix with leading dim ld.
uint64_t span_elems(int64_t rows, int64_t cols, int64_t ld) {
  if (rows == 0 || cols == 0) return 0;
  uint64_t body = checked_bytes(uint64_t(rows - 1), uint64_t(ld));
  if (__builtin_add_overflow(body, uint64_t(cols), &body))
    throw Error(CC_ERR_INVALID_ARGUMENT, "GEMM shape too large");
  return body;
}

void check_ld(const char* name, int64_t ld, int64_t cols) {
  if (ld < std::max<int64_t>(1, cols))
    throw Error(CC_ERR_INVALID_ARGUMENT, std::string("GEMM ") + name + " = " + std::to_string(ld) +
                                             " is smaller than the " + std::to_string(cols) +
                                             " columns of the stored matrix");
}

/// Shape checks and buffer sizes shared by every GEMM implementation. Also
/// handles the shapes where no product is needed (BLAS semantics: with
/// alpha == 0 or k == 0, C = beta * C and A, B are not read; beta == 0 means
/// C is not read either, so NaNs in it do not survive).
class GemmBase : public Kernel {
 protected:
  GemmBase(const cc_gemm_params& g, uint64_t in_size, uint64_t out_size) : g_(g) {
    if (g.m < 0 || g.n < 0 || g.k < 0 || g.batch < 0)
      throw Error(CC_ERR_INVALID_ARGUMENT, "GEMM m, n, k and batch must be >= 0");
    if (g.trans_a > 1 || g.trans_b > 1)
      throw Error(CC_ERR_INVALID_ARGUMENT, "GEMM trans_a and trans_b must be 0 or 1");
    if (g_.batch == 0) g_.batch = 1;  // descriptors written before batching
    // Stored shapes: A is m x k (k x m when transposed), B is k x n (n x k).
    const int64_t a_rows = g.trans_a ? g.k : g.m, a_cols = g.trans_a ? g.m : g.k;
    const int64_t b_rows = g.trans_b ? g.n : g.k, b_cols = g.trans_b ? g.k : g.n;
    check_ld("lda", g.lda, a_cols);
    check_ld("ldb", g.ldb, b_cols);
    check_ld("ldc", g.ldc, g.n);
    span_a_ = span_elems(a_rows, a_cols, g.lda);
    span_b_ = span_elems(b_rows, b_cols, g.ldb);
    span_c_ = span_elems(g.m, g.n, g.ldc);
    if (g_.batch > 1) {
      if (g.stride_a < 0 || g.stride_b < 0)
        throw Error(CC_ERR_INVALID_ARGUMENT, "GEMM stride_a and stride_b must be >= 0");
      // Inputs may be shared (stride 0) but outputs must not overlap.
      if (g.stride_c < 0 || uint64_t(g.stride_c) < span_c_)
        throw Error(CC_ERR_INVALID_ARGUMENT, "GEMM stride_c = " + std::to_string(g.stride_c) +
                                                 " makes the C matrices overlap (each spans " +
                                                 std::to_string(span_c_) + " elements)");
    }
    args_ = {{"A", checked_bytes(batched_span(span_a_, g.stride_a), in_size)},
             {"B", checked_bytes(batched_span(span_b_, g.stride_b), in_size)},
             {"C", checked_bytes(batched_span(span_c_, g.stride_c), out_size)}};
  }

  /// True when C = beta * C is the whole job.
  bool no_product() const { return g_.m == 0 || g_.n == 0 || g_.k == 0 || g_.alpha == 0; }

  template <class T>
  void scale_c(T* c) const {
    for (int64_t b = 0; b < g_.batch; ++b)
      for (int64_t i = 0; i < g_.m; ++i)
        for (int64_t j = 0; j < g_.n; ++j) {
          T& v = c[b * g_.stride_c + i * g_.ldc + j];
          v = g_.beta == 0 ? T(0) : static_cast<T>(g_.beta * double(v));
        }
  }

  cc_gemm_params g_;                               // batch >= 1
  uint64_t span_a_ = 0, span_b_ = 0, span_c_ = 0;  // elements of one matrix

 private:
  /// Elements from the first matrix's start to the last one's end.
  uint64_t batched_span(uint64_t one, int64_t stride) const {
    if (one == 0 || g_.batch == 1) return one;
    uint64_t total = checked_bytes(uint64_t(g_.batch - 1), uint64_t(stride));
    if (__builtin_add_overflow(total, one, &total))
      throw Error(CC_ERR_INVALID_ARGUMENT, "GEMM batch too large");
    return total;
  }
};

/// f32, bf16 -> f32 and s8 x s8 -> s32 through one oneDNN matmul primitive,
/// created once here; launches only swap the data pointers in. When the
/// harness marks B constant (weights) and there is one B matrix, B is given
/// to oneDNN as format `any` and packed into its blocked layout on the first
/// launch only (measured: see README).
class DnnlGemm final : public GemmBase {
 public:
  DnnlGemm(Device& dev, const cc_gemm_params& g, memory::data_type in, memory::data_type out,
           bool pack_b)
      : GemmBase(g, memory::data_type_size(in), memory::data_type_size(out)),
        stream_(dev.stream()),
        out_(out) {
    if (no_product()) {
      info_ = "chipcert C = beta*C loop (no product needed)";
      return;
    }
    // Batched: a leading batch dimension whose stride is stride_a/b/c. An
    // input with stride 0 is one matrix that oneDNN broadcasts (batch dim 1).
    const int64_t bt = g_.batch;
    const auto md = [bt](int64_t rows, int64_t cols, memory::dims strides2, int64_t stride,
                         int64_t span, memory::data_type type) {
      if (bt == 1) return memory::desc({rows, cols}, type, strides2);
      const bool shared = stride == 0;
      return memory::desc({shared ? 1 : bt, rows, cols}, type,
                          {shared ? span : stride, strides2[0], strides2[1]});
    };
    const memory::desc a_md =
        md(g.m, g.k, g.trans_a ? memory::dims{1, g.lda} : memory::dims{g.lda, 1}, g.stride_a,
           int64_t(span_a_), in);
    const memory::desc b_md =
        md(g.k, g.n, g.trans_b ? memory::dims{1, g.ldb} : memory::dims{g.ldb, 1}, g.stride_b,
           int64_t(span_b_), in);
    const memory::desc c_md = md(g.m, g.n, {g.ldc, 1}, g.stride_c, int64_t(span_c_), out);
    dnnl::primitive_attr attr;
    // A user scratchpad is allocated once here instead of on every launch.
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (g.alpha != 1) attr.set_output_scales(0, {static_cast<float>(g.alpha)});
    if (g.beta != 0) {
      dnnl::post_ops ops;
      ops.append_sum(static_cast<float>(g.beta));  // dst = alpha * A*B + beta * dst
      attr.set_post_ops(ops);
    }
    // One B for every product: batch 1, or a batch sharing B (stride 0).
    pack_b = pack_b && (bt == 1 || g.stride_b == 0);
    const memory::desc b_any = bt == 1 ? memory::desc({g.k, g.n}, in, memory::format_tag::any)
                                       : memory::desc({1, g.k, g.n}, in, memory::format_tag::any);
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, pack_b ? b_any : b_md, c_md),
                                          attr, dev.engine());
    prim_ = dnnl::matmul(pd);
    a_ = memory(a_md, dev.engine(), DNNL_MEMORY_NONE);
    b_ = memory(b_md, dev.engine(), DNNL_MEMORY_NONE);
    c_ = memory(c_md, dev.engine(), DNNL_MEMORY_NONE);
    scratch_ = dev.memory_for(pd.scratchpad_desc(), scratch_storage_);
    info_ = dnnl_version_string() + " matmul " + pd.impl_info_str();
    if (pack_b && pd.weights_desc() != b_md) {
      b_packed_ = dev.memory_for(pd.weights_desc(), b_packed_storage_);
      const dnnl::reorder::primitive_desc rpd(dev.engine(), b_md, dev.engine(), pd.weights_desc());
      pack_ = dnnl::reorder(rpd);
      info_ += std::string("; constant B packed once by ") + rpd.impl_info_str();
    } else {
      info_ += "; B read in place (plain layout)";
    }
  }

  void run(void* const* data) override {
    if (no_product()) {
      if (out_ == memory::data_type::s32)
        scale_c(static_cast<int32_t*>(data[2]));
      else
        scale_c(static_cast<float*>(data[2]));
      return;
    }
    a_.set_data_handle(data[0]);
    b_.set_data_handle(data[1]);
    c_.set_data_handle(data[2]);
    if (pack_ && packed_from_ != data[1]) {  // first launch (B is constant after that)
      pack_.execute(stream_, b_, b_packed_);
      packed_from_ = data[1];
    }
    prim_.execute(stream_, {{DNNL_ARG_SRC, a_},
                            {DNNL_ARG_WEIGHTS, pack_ ? b_packed_ : b_},
                            {DNNL_ARG_DST, c_},
                            {DNNL_ARG_SCRATCHPAD, scratch_}});
    stream_.wait();
  }

 private:
  dnnl::stream& stream_;
  memory::data_type out_;
  dnnl::matmul prim_;
  dnnl::reorder pack_;  // empty unless B is packed
  const void* packed_from_ = nullptr;
  std::unique_ptr<Buffer> scratch_storage_, b_packed_storage_;  // outlive the memory objects
  memory a_, b_, c_, scratch_, b_packed_;
};

// ---- f64 ------------------------------------------------------------------

/// f64 through OpenBLAS's DGEMM (the OpenMP build, so its threads are the
/// driver's own libgomp team). oneDNN has no f64 matmul; chipcert's own
/// blocked AVX-512 kernel, which this replaces, reached 77.9 and 87.9
/// GFLOP/s at 1024^3 and 4096^3 on a 2-core Zen 4 where OpenBLAS 0.3.21
/// reached 99.5 and 106.9 (the fp64 peak case: 113; see README).
class BlasF64Gemm final : public GemmBase {
 public:
  BlasF64Gemm(Device& dev, const cc_gemm_params& g) : GemmBase(g, sizeof(double), sizeof(double)) {
    constexpr int64_t kMax = std::numeric_limits<int>::max();  // OpenBLAS's 32-bit blasint
    for (int64_t v : {g.m, g.n, g.k, g.lda, g.ldb, g.ldc})
      if (v > kMax)
        throw Error(CC_ERR_UNSUPPORTED,
                    "f64 GEMM: OpenBLAS takes dimensions and leading "
                    "dimensions up to 2^31-1, got " +
                        std::to_string(v));
    openblas_set_num_threads(dev.threads());
    // The loaded library's own words ("OpenBLAS 0.3.21 ... DYNAMIC_ARCH ...
    // USE_OPENMP Cooperlake ..."): which kernels DYNAMIC_ARCH picked for
    // this CPU (OPENBLAS_CORETYPE can override it) is why two hosts differ.
    info_ = std::string(openblas_get_config()) + "; cblas_dgemm with kernels for " +
            openblas_get_corename() + ", " + std::to_string(dev.threads()) + " OpenMP threads";
  }

  void run(void* const* data) override {
    const auto* A = static_cast<const double*>(data[0]);
    const auto* B = static_cast<const double*>(data[1]);
    auto* C = static_cast<double*>(data[2]);
    if (no_product()) return scale_c(C);
    for (int64_t b = 0; b < g_.batch; ++b)
      cblas_dgemm(CblasRowMajor, g_.trans_a ? CblasTrans : CblasNoTrans,
                  g_.trans_b ? CblasTrans : CblasNoTrans, int(g_.m), int(g_.n), int(g_.k), g_.alpha,
                  A + b * g_.stride_a, int(g_.lda), B + b * g_.stride_b, int(g_.ldb), g_.beta,
                  C + b * g_.stride_c, int(g_.ldc));
  }
};

}  // namespace

std::unique_ptr<Kernel> make_gemm_kernel(Device& dev, const cc_op_desc& op) {
  const cc_gemm_params& g = op.u.gemm;
  using dt = memory::data_type;
  const uint32_t in = op.dtype, acc = op.acc_dtype;
  const std::string pair = std::string(dtype_name(in)) + "/" + dtype_name(acc);
  // Packing a constant B into oneDNN's layout measured +3-13 % for bf16 and
  // i8 at 4096^3 and, on a lightly loaded host, +4-14 % for f32 (see the
  // README: an earlier f32 measurement at load 11-21 said -4-8 %).
  // CHIPCERT_CPU_GEMM_PACK_B=0 turns it off for every dtype (for measuring).
  const char* pack_env = std::getenv("CHIPCERT_CPU_GEMM_PACK_B");
  const bool pack_b = (op.constant_args & 2u) != 0 &&
                      (pack_env && *pack_env ? std::strcmp(pack_env, "0") != 0 : true);
  try {
    if (in == CC_DTYPE_F32 && acc == CC_DTYPE_F32)
      return std::make_unique<DnnlGemm>(dev, g, dt::f32, dt::f32, pack_b);
    if (in == CC_DTYPE_BF16 && acc == CC_DTYPE_F32)
      return std::make_unique<DnnlGemm>(dev, g, dt::bf16, dt::f32, pack_b);
    if (in == CC_DTYPE_I8 && acc == CC_DTYPE_I32) {
      // Keep integer GEMM exact: oneDNN would apply alpha and beta in float
      // and round back to s32.
      if (g.alpha != 1 || (g.beta != 0 && g.beta != 1))
        throw Error(CC_ERR_UNSUPPORTED, "i8/i32 GEMM supports only alpha = 1 and beta = 0 or 1");
      return std::make_unique<DnnlGemm>(dev, g, dt::s8, dt::s32, pack_b);
    }
  } catch (const dnnl::error& e) {
    throw Error(e.status == dnnl_unimplemented ? CC_ERR_UNSUPPORTED : CC_ERR_DEVICE,
                "oneDNN matmul for " + pair + " GEMM: " + e.what());
  }
  if (in == CC_DTYPE_F64 && acc == CC_DTYPE_F64) return std::make_unique<BlasF64Gemm>(dev, g);
  throw Error(CC_ERR_UNSUPPORTED, "GEMM dtype/acc_dtype " + pair +
                                      " is not supported; supported: f32/f32, f64/f64, "
                                      "bf16/f32, i8/i32");
}

}  // namespace chipcert::cpu
