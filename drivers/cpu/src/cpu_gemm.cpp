// GEMM: oneDNN matmul for f32, bf16 and int8; a blocked OpenMP loop for f64,
// which oneDNN does not offer.
//
// Row-major op(A) (m x k) and op(B) (k x n) are described to oneDNN as plain
// 2-D tensors whose strides carry both the leading dimension and the
// transpose, so no data is ever copied or transposed by the driver.
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
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

// Register block: MR x NR accumulators, 16 zmm registers with AVX-512. Cache
// blocks (Zen 5: 48 KiB L1d, 1 MiB L2), chosen by measurement among MC 64-256,
// NC 512-2048 and KC 128-256: each thread's MC x KC block of A (192 KiB)
// stays in L2 and the KC x NR sliver of B the micro-kernel walks (24 KiB) in
// L1 while every MR-row sliver of the A block passes it; the shared KC x NC
// panel of B (768 KiB) streams from L2/L3. A wider NC (fewer re-packings of
// A) measured slower at 2048^3.
constexpr int kMR = 8, kNR = 16;
constexpr int64_t kMC = 128, kNC = 512, kKC = 192;

/// C[r][j] = alpha * acc[r][j] + beta * C[r][j] for r < rows <= MR and
/// j < cols <= NR of a tile of C (row stride ldc), where acc = sum over
/// p < kc of a[p][r] * b[p][j] on packed panels (zero-padded to MR x NR);
/// beta == 0 does not read C (BLAS: NaNs there do not survive). Portable:
/// what the compiler makes of it at each ISA level.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void micro_f64(
    int64_t kc, const double* __restrict a, const double* __restrict b, double* __restrict c,
    int64_t ldc, int rows, int cols, double alpha, double beta) {
  double acc[kMR][kNR] = {};
  for (int64_t p = 0; p < kc; ++p) {
    for (int r = 0; r < kMR; ++r) {
      const double av = a[p * kMR + r];
#pragma omp simd
      for (int j = 0; j < kNR; ++j) acc[r][j] += av * b[p * kNR + j];
    }
  }
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < cols; ++j)
      c[r * ldc + j] = alpha * acc[r][j] + (beta == 0 ? 0.0 : beta * c[r * ldc + j]);
}

/// The same with AVX-512 intrinsics: 16 zmm accumulators held in registers
/// for the whole of kc (two loads of B and eight broadcasts of A per 16
/// FMAs), and C updated in place, through masks on a ragged edge tile (a
/// masked-off lane is neither read nor written, nor can it fault). Alone, on
/// panels in L1, it runs at ~0.9 x the fp64 peak on the reference host (see
/// drivers/cpu/README.md).
__attribute__((target("avx512f"))) void micro_f64_avx512(int64_t kc, const double* __restrict a,
                                                         const double* __restrict b,
                                                         double* __restrict c, int64_t ldc,
                                                         int rows, int cols, double alpha,
                                                         double beta) {
  __m512d acc[kMR][2];
#pragma GCC unroll 8
  for (int r = 0; r < kMR; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_pd();
  for (int64_t p = 0; p < kc; ++p) {
    const __m512d b0 = _mm512_loadu_pd(b + p * kNR), b1 = _mm512_loadu_pd(b + p * kNR + 8);
#pragma GCC unroll 8
    for (int r = 0; r < kMR; ++r) {
      const __m512d av = _mm512_set1_pd(a[p * kMR + r]);
      acc[r][0] = _mm512_fmadd_pd(av, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_pd(av, b1, acc[r][1]);
    }
  }
  const __m512d va = _mm512_set1_pd(alpha), vb = _mm512_set1_pd(beta);
  // A whole tile without masks: the masked path below, run on every tile,
  // measured 12-22 % slower at 1024^3-2064^3.
  const bool whole = rows == kMR && cols == kNR;
  const auto lanes = [](int n) { return __mmask8(n >= 8 ? 0xff : n <= 0 ? 0 : (1u << n) - 1); };
  const __mmask8 m0 = lanes(cols), m1 = lanes(cols - 8);
#pragma GCC unroll 8
  for (int r = 0; r < kMR; ++r) {
    double* cr = c + r * ldc;
    __m512d x0 = _mm512_mul_pd(va, acc[r][0]), x1 = _mm512_mul_pd(va, acc[r][1]);
    if (whole) {
      if (beta != 0) {
        x0 = _mm512_fmadd_pd(vb, _mm512_loadu_pd(cr), x0);
        x1 = _mm512_fmadd_pd(vb, _mm512_loadu_pd(cr + 8), x1);
      }
      _mm512_storeu_pd(cr, x0);
      _mm512_storeu_pd(cr + 8, x1);
    } else if (r < rows) {
      if (beta != 0) {
        x0 = _mm512_fmadd_pd(vb, _mm512_maskz_loadu_pd(m0, cr), x0);
        x1 = _mm512_fmadd_pd(vb, _mm512_maskz_loadu_pd(m1, cr + 8), x1);
      }
      _mm512_mask_storeu_pd(cr, m0, x0);
      _mm512_mask_storeu_pd(cr + 8, m1, x1);
    }
  }
}

/// A BLIS-style loop nest. For each NC-wide column block and KC-deep slice
/// the team packs the B panel once, into shared space ([nc/NR][kc][NR]); then
/// each thread takes MC-row blocks of C, packs its A block ([mc/MR][kc][MR])
/// and runs the micro-kernel over it. So B is packed once in all, A once per
/// column block, and both are read contiguously. Packing pads with zeros to
/// whole register blocks; only the valid part is written back.
class F64Gemm final : public GemmBase {
 public:
  F64Gemm(Device& dev, const cc_gemm_params& g)
      : GemmBase(g, sizeof(double), sizeof(double)), threads_(dev.threads()) {
    const bool avx512 = cpu_isa() >= Isa::kAvx512;
    micro_ = avx512 ? micro_f64_avx512 : micro_f64;
    info_ =
        std::string("chipcert f64 gemm: packed panels, 8x16 register block, ") +
        (avx512 ? "AVX-512 intrinsics micro-kernel" : "omp simd micro-kernel (target_clones avx2)");
    // Equal column blocks instead of full ones and a remainder: a last NC
    // block of 16 columns costs a whole packing of A for little work
    // (measured: README). k keeps full KC slices: equal ones as well
    // measured no better.
    if (g.n > 0) nc_ = ceil_div(ceil_div(g.n, ceil_div(g.n, kNC)), kNR) * kNR;
    bpack_.resize(size_t(kKC * kNC));
    apack_.resize(size_t(threads_) * kApack);
  }

  void run(void* const* data) override {
    const auto* A = static_cast<const double*>(data[0]);
    const auto* B = static_cast<const double*>(data[1]);
    auto* C = static_cast<double*>(data[2]);
    if (no_product()) return scale_c(C);
    for (int64_t b = 0; b < g_.batch; ++b)
      one(A + b * g_.stride_a, B + b * g_.stride_b, C + b * g_.stride_c);
  }

 private:
  static constexpr size_t kApack = size_t(kMC * kKC);  // one A block

  static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

  /// One matrix product of the batch.
  void one(const double* A, const double* B, double* C) {
    double* bp = bpack_.data();
#pragma omp parallel num_threads(threads_)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      double* ap = apack_.data() + size_t(t) * kApack;
      // Each thread owns an equal share of the MR-row slivers of C, cut into
      // equal blocks of at most MC rows: no thread waits for a last block.
      const int64_t slivers = ceil_div(g_.m, kMR);
      const int64_t r0 = std::min(g_.m, slivers * t / nt * kMR),
                    r1 = std::min(g_.m, slivers * (t + 1) / nt * kMR);
      const int64_t mc =
          r1 > r0 ? ceil_div(ceil_div(r1 - r0, ceil_div(r1 - r0, kMC)), kMR) * kMR : kMR;
      for (int64_t j0 = 0; j0 < g_.n; j0 += nc_) {
        const int64_t nc = std::min(nc_, g_.n - j0);
        for (int64_t p0 = 0; p0 < g_.k; p0 += kKC) {
          const int64_t kc = std::min(kKC, g_.k - p0);
#pragma omp for schedule(static)
          for (int64_t jr = 0; jr < nc; jr += kNR)
            pack_b(B, p0, kc, j0 + jr, std::min<int64_t>(kNR, nc - jr), bp + jr * kc);
          // The omp for's implicit barrier: the panel is complete before
          // anyone reads it; the one below: nobody still reads it when the
          // next one is packed.
          for (int64_t i0 = r0; i0 < r1; i0 += mc)
            block(A, C, i0, std::min(mc, r1 - i0), j0, nc, p0, kc, bp, ap);
#pragma omp barrier
        }
      }
    }
  }

  void block(const double* A, double* C, int64_t i0, int64_t mc, int64_t j0, int64_t nc, int64_t p0,
             int64_t kc, const double* bp, double* ap) const {
    for (int64_t ir = 0; ir < mc; ir += kMR)
      pack_a(A, i0 + ir, std::min<int64_t>(kMR, mc - ir), p0, kc, ap + ir * kc);
    // Later KC slices add to what the first one wrote.
    const double beta = p0 > 0 ? 1.0 : g_.beta;
    // One B sliver stays in L1 while every A sliver of the block (in L2)
    // passes it.
    for (int64_t jr = 0; jr < nc; jr += kNR)
      for (int64_t ir = 0; ir < mc; ir += kMR)
        micro_(kc, ap + ir * kc, bp + jr * kc, C + (i0 + ir) * g_.ldc + j0 + jr, g_.ldc,
               int(std::min<int64_t>(kMR, mc - ir)), int(std::min<int64_t>(kNR, nc - jr)), g_.alpha,
               beta);
  }

  /// dst[p][r] = op(A)[i + r][p0 + p] for r < rows, zero-padded to kMR.
  /// The branches on layout and padding sit outside the element loops.
  void pack_a(const double* A, int64_t i, int64_t rows, int64_t p0, int64_t kc, double* dst) const {
    if (g_.trans_a) {  // stored k x m: op(A)'s column p is a row of A
      for (int64_t p = 0; p < kc; ++p) {
        const double* src = A + (p0 + p) * g_.lda + i;
        for (int r = 0; r < kMR; ++r) dst[p * kMR + r] = r < rows ? src[r] : 0.0;
      }
      return;
    }
    const double* src[kMR];
    for (int r = 0; r < kMR; ++r) src[r] = A + (i + std::min<int64_t>(r, rows - 1)) * g_.lda + p0;
    for (int64_t p = 0; p < kc; ++p)
      for (int r = 0; r < kMR; ++r) dst[p * kMR + r] = r < rows ? src[r][p] : 0.0;
  }

  /// dst[p][j] = op(B)[p0 + p][j0 + j] for j < cols, zero-padded to kNR.
  void pack_b(const double* B, int64_t p0, int64_t kc, int64_t j0, int64_t cols,
              double* dst) const {
    for (int64_t p = 0; p < kc; ++p) {
      double* d = dst + p * kNR;
      if (g_.trans_b) {  // stored n x k
        for (int64_t j = 0; j < cols; ++j) d[j] = B[(j0 + j) * g_.ldb + p0 + p];
      } else {
        std::memcpy(d, B + (p0 + p) * g_.ldb + j0, size_t(cols) * sizeof(double));
      }
      std::fill(d + cols, d + kNR, 0.0);
    }
  }

  int threads_;
  void (*micro_)(int64_t, const double*, const double*, double*, int64_t, int, int, double,
                 double) = micro_f64;
  int64_t nc_ = kNC;           // equal blocks of n (see the constructor)
  std::vector<double> bpack_;  // shared B panel, reused by every launch
  std::vector<double> apack_;  // per-thread A blocks
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
  if (in == CC_DTYPE_F64 && acc == CC_DTYPE_F64) return std::make_unique<F64Gemm>(dev, g);
  throw Error(CC_ERR_UNSUPPORTED, "GEMM dtype/acc_dtype " + pair +
                                      " is not supported; supported: f32/f32, f64/f64, "
                                      "bf16/f32, i8/i32");
}

}  // namespace chipcert::cpu
