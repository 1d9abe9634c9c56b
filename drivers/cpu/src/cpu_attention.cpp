// CC_OP_ATTENTION: blocked scaled dot-product attention with an online
// softmax (the FlashAttention loop), oneDNN matmuls for the two products.
//
// Work items are (batch, head, block of kBq query rows); OpenMP threads take
// them dynamically (causal blocks differ in cost). Per item, for each block of
// kBk keys: S = Q_blk K_blk^T (oneDNN matmul), then per row mask, scale, a
// running max m and sum l, P = exp(S - m) (libmvec), O *= exp(m_old - m_new),
// and O += P V_blk (oneDNN matmul with a sum post-op). At the end O /= l. The
// score block (kBq x kBk floats) and O stay in L2; nothing seq x seq is
// materialised.
//
// oneDNN runs each matmul single-threaded inside our parallel region: the
// primitives are created while this thread's OpenMP team size is 1, so their
// work split is planned for one thread (a primitive planned for 2 threads and
// run where oneDNN sees only 1 would compute only thread 0's part). Each thread
// has its own stream, memory objects and scratchpad, so executions never share
// mutable state.
//
// Layouts: BHSD rows of a head are contiguous (row stride head_dim); BSHD rows
// are interleaved with the other heads' (row stride heads*head_dim). Only the
// matmul strides and the base offsets differ, so both layouts run the same
// loop at the same speed.
//
// bf16: Q K^T is a bf16 x bf16 -> f32 matmul; P stays f32 and V is widened to
// f32 block by block, so P V is exact f32 (only the inputs are rounded).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "cpu_internal.hpp"

namespace chipcert::cpu {
namespace {

using dnnl::memory;
using dt = memory::data_type;

constexpr int64_t kBq = 64;   // query rows per work item
constexpr int64_t kBk = 256;  // keys per score block

/// One matmul shape with its primitive; memory objects live per thread.
struct Mm {
  dnnl::matmul prim;
  memory::desc src, wei, dst, scratch;
};

struct ThreadCtx {
  dnnl::stream stream;
  std::vector<float> s, o, v32;   // scores / P, O accumulator, widened V (bf16)
  std::vector<float> m, l, corr;  // running max, sum, rescale per row
  memory src[2][2][2], wei[2][2][2], dst[2][2][2], scratch[2][2][2];  // [which][qi][ki]
};

class AttentionKernel final : public Kernel {
 public:
  AttentionKernel(Device& dev, const cc_op_desc& op, bool bf16)
      : a_(op.u.attention), bf16_(bf16), threads_(dev.threads()), isa_(cpu_isa()) {
    for (auto [name, v] : {std::pair{"batch", a_.batch},
                           {"heads", a_.heads},
                           {"seq_q", a_.seq_q},
                           {"seq_kv", a_.seq_kv},
                           {"head_dim", a_.head_dim}})
      if (v < 1)
        throw Error(CC_ERR_INVALID_ARGUMENT,
                    std::string("ATTENTION ") + name + " must be >= 1, got " + std::to_string(v));
    if (a_.layout > CC_ATTN_BSHD)
      throw Error(CC_ERR_INVALID_ARGUMENT,
                  "ATTENTION layout " + std::to_string(a_.layout) + " is not BHSD (0) or BSHD (1)");
    const uint64_t isz = bf16 ? 2 : 4, bh = checked_bytes(uint64_t(a_.batch), uint64_t(a_.heads));
    const uint64_t qn = checked_bytes(bh, uint64_t(a_.seq_q), uint64_t(a_.head_dim));
    const uint64_t kn = checked_bytes(bh, uint64_t(a_.seq_kv), uint64_t(a_.head_dim));
    args_ = {{"q", checked_bytes(qn, isz)},
             {"k", checked_bytes(kn, isz)},
             {"v", checked_bytes(kn, isz)},
             {"o", checked_bytes(qn, 4)}};
    const int64_t d = a_.head_dim;
    ld_ = a_.layout == CC_ATTN_BSHD ? a_.heads * d : d;
    const int64_t qs[2] = {std::min(kBq, a_.seq_q), a_.seq_q % kBq};
    const int64_t ks[2] = {std::min(kBk, a_.seq_kv), a_.seq_kv % kBk};
    const dt in = bf16 ? dt::bf16 : dt::f32;
    // Plan every primitive for one thread (see the file comment); restore after.
    struct TeamOfOne {
      int saved;
      explicit TeamOfOne(int s) : saved(s) { omp_set_num_threads(1); }
      ~TeamOfOne() { omp_set_num_threads(saved); }
    } one(threads_);
    // Two attribute objects: copies of a oneDNN handle share one object.
    dnnl::primitive_attr attr, attr_sum;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    attr_sum.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::post_ops sum;
    sum.append_sum(1.0f);
    attr_sum.set_post_ops(sum);
    for (int qi = 0; qi < 2; ++qi)
      for (int ki = 0; ki < 2; ++ki) {
        const int64_t mq = qs[qi], nk = ks[ki];
        if (mq == 0 || nk == 0) continue;
        // S (mq x nk, ld kBk) = Q (mq x d) * K^T (d x nk, K stored nk x d).
        Mm& s = mm_[0][qi][ki];
        s.src = memory::desc({mq, d}, in, {ld_, 1});
        s.wei = memory::desc({d, nk}, in, {1, ld_});
        s.dst = memory::desc({mq, nk}, dt::f32, {kBk, 1});
        const dnnl::matmul::primitive_desc spd(dnnl::matmul::desc(s.src, s.wei, s.dst), attr,
                                               dev.engine());
        s.prim = dnnl::matmul(spd);
        s.scratch = spd.scratchpad_desc();
        // O (mq x d) += P (mq x nk, ld kBk) * V (nk x d).
        Mm& p = mm_[1][qi][ki];
        p.src = memory::desc({mq, nk}, dt::f32, {kBk, 1});
        // bf16 V is widened into a dense block first (see item()).
        p.wei = memory::desc({nk, d}, dt::f32, {bf16 ? d : ld_, 1});
        p.dst = memory::desc({mq, d}, dt::f32, {d, 1});
        const dnnl::matmul::primitive_desc ppd(dnnl::matmul::desc(p.src, p.wei, p.dst), attr_sum,
                                               dev.engine());
        p.prim = dnnl::matmul(ppd);
        p.scratch = ppd.scratchpad_desc();
        if (qi == 0 && ki == 0)
          info_ = "chipcert blocked attention (online softmax, " + std::to_string(kBq) + "x" +
                  std::to_string(kBk) + " blocks, libmvec exp) over " + dnnl_version_string() +
                  " matmul, 1 thread each: QK^T " + spd.impl_info_str() + ", PV " +
                  ppd.impl_info_str();
      }
    ctx_.resize(size_t(threads_));
    for (ThreadCtx& c : ctx_) {
      c.stream = dnnl::stream(dev.engine());
      c.s.resize(size_t(kBq * kBk));
      c.o.resize(size_t(kBq * d));
      if (bf16) c.v32.resize(size_t(kBk * d));
      c.m.resize(size_t(kBq));
      c.l.resize(size_t(kBq));
      c.corr.resize(size_t(kBq));
      for (int w = 0; w < 2; ++w)
        for (int qi = 0; qi < 2; ++qi)
          for (int ki = 0; ki < 2; ++ki) {
            const Mm& mm = mm_[w][qi][ki];
            if (!mm.prim) continue;
            c.src[w][qi][ki] = memory(mm.src, dev.engine(), DNNL_MEMORY_NONE);
            c.wei[w][qi][ki] = memory(mm.wei, dev.engine(), DNNL_MEMORY_NONE);
            c.dst[w][qi][ki] = memory(mm.dst, dev.engine(), DNNL_MEMORY_NONE);
            c.scratch[w][qi][ki] = memory(mm.scratch, dev.engine());
          }
    }
  }

  void run(void* const* data) override {
    const int64_t bh = a_.batch * a_.heads, qblocks = (a_.seq_q + kBq - 1) / kBq;
    const int64_t items = bh * qblocks;
#pragma omp parallel num_threads(threads_)
    {
      ThreadCtx& c = ctx_[size_t(omp_get_thread_num())];
#pragma omp for schedule(dynamic, 1)
      for (int64_t it = 0; it < items; ++it) item(c, data, it / qblocks, it % qblocks);
    }
  }

 private:
  void exec(ThreadCtx& c, int w, int qi, int ki, const void* src, const void* wei, void* dst) {
    const Mm& mm = mm_[w][qi][ki];
    c.src[w][qi][ki].set_data_handle(const_cast<void*>(src));
    c.wei[w][qi][ki].set_data_handle(const_cast<void*>(wei));
    c.dst[w][qi][ki].set_data_handle(dst);
    mm.prim.execute(c.stream, {{DNNL_ARG_SRC, c.src[w][qi][ki]},
                               {DNNL_ARG_WEIGHTS, c.wei[w][qi][ki]},
                               {DNNL_ARG_DST, c.dst[w][qi][ki]},
                               {DNNL_ARG_SCRATCHPAD, c.scratch[w][qi][ki]}});
  }

  /// Query rows [qb*kBq, ...) of head `h` (batch*heads index).
  void item(ThreadCtx& c, void* const* data, int64_t h, int64_t qb) {
    const int64_t d = a_.head_dim, sq = a_.seq_q, skv = a_.seq_kv, isz = bf16_ ? 2 : 4;
    const int64_t i0 = qb * kBq, mq = std::min(kBq, sq - i0);
    const int qi = mq == kBq || sq < kBq ? 0 : 1;
    const int64_t off = skv - sq;  // row i sees keys j <= i + off when causal
    const int64_t ld = ld_;
    const auto* q = static_cast<const char*>(data[0]) + row_offset(h, i0, sq) * isz;
    const auto* k = static_cast<const char*>(data[1]) + row_offset(h, 0, skv) * isz;
    const auto* v = static_cast<const char*>(data[2]) + row_offset(h, 0, skv) * isz;
    float* o = static_cast<float*>(data[3]) + row_offset(h, i0, sq);
    const float neg_inf = -std::numeric_limits<float>::infinity();
    std::fill(c.m.begin(), c.m.end(), neg_inf);
    std::fill(c.l.begin(), c.l.end(), 0.0f);
    std::fill(c.o.begin(), c.o.begin() + mq * d, 0.0f);
    // Causal: keys beyond the block's last visible one are never needed.
    const int64_t kv_end = a_.causal ? std::clamp<int64_t>(i0 + mq - 1 + off + 1, 0, skv) : skv;
    const float scale = float(a_.scale);
    for (int64_t j0 = 0; j0 < kv_end; j0 += kBk) {
      const int64_t nk = std::min(kBk, skv - j0);
      const int ki = nk == kBk || skv < kBk ? 0 : 1;
      exec(c, 0, qi, ki, q, k + j0 * ld * isz, c.s.data());
      for (int64_t r = 0; r < mq; ++r) {
        float* s = c.s.data() + r * kBk;
        // Visible keys of this row in this block: a prefix of length vis.
        const int64_t vis = a_.causal ? std::clamp<int64_t>(i0 + r + off + 1 - j0, 0, nk) : nk;
        float mx = c.m[size_t(r)];
        for (int64_t j = 0; j < vis; ++j) mx = std::max(mx, s[j] * scale);
        if (mx == neg_inf) {  // nothing visible yet: P row is 0, O untouched
          std::fill(s, s + nk, 0.0f);
          c.corr[size_t(r)] = 1;
          continue;
        }
#pragma omp simd
        for (int64_t j = 0; j < vis; ++j) s[j] = s[j] * scale - mx;
        vexp(isa_, s, vis);
        std::fill(s + vis, s + nk, 0.0f);
        float sum = 0;
#pragma omp simd reduction(+ : sum)
        for (int64_t j = 0; j < vis; ++j) sum += s[j];
        const float corr = std::exp(c.m[size_t(r)] - mx);  // 0 on the first visible block
        c.l[size_t(r)] = c.l[size_t(r)] * corr + sum;
        c.m[size_t(r)] = mx;
        c.corr[size_t(r)] = corr;
      }
      for (int64_t r = 0; r < mq; ++r) {
        const float corr = c.corr[size_t(r)];
        if (corr == 1) continue;
        float* orow = c.o.data() + r * d;
#pragma omp simd
        for (int64_t e = 0; e < d; ++e) orow[e] *= corr;
      }
      const void* vb = v + j0 * ld * isz;
      if (bf16_) {  // widen V to f32: bf16 is the top half of an f32
        const auto* src = static_cast<const uint16_t*>(vb);
        for (int64_t j = 0; j < nk; ++j)
          for (int64_t e = 0; e < d; ++e) {
            const uint32_t u = uint32_t(src[j * ld + e]) << 16;
            std::memcpy(&c.v32[size_t(j * d + e)], &u, 4);
          }
        vb = c.v32.data();
      }
      exec(c, 1, qi, ki, c.s.data(), vb, c.o.data());
    }
    for (int64_t r = 0; r < mq; ++r) {
      const float l = c.l[size_t(r)];
      const float inv = l > 0 ? 1 / l : 0.0f;  // a row that sees no key is 0
      const float* orow = c.o.data() + r * d;
#pragma omp simd
      for (int64_t e = 0; e < d; ++e) o[r * ld + e] = orow[e] * inv;
    }
  }

  /// Element offset of row i of head bh (= b*heads + h), `seq` rows per head.
  int64_t row_offset(int64_t bh, int64_t i, int64_t seq) const {
    if (a_.layout == CC_ATTN_BSHD)
      return ((bh / a_.heads * seq + i) * a_.heads + bh % a_.heads) * a_.head_dim;
    return (bh * seq + i) * a_.head_dim;
  }

  cc_attention_params a_;
  int64_t ld_ = 0;  // elements between consecutive rows of one head
  bool bf16_;
  int threads_;
  Isa isa_;
  Mm mm_[2][2][2];  // [QK^T or PV][full or tail query block][full or tail key block]
  std::vector<ThreadCtx> ctx_;
};

}  // namespace

std::unique_ptr<Kernel> make_attention_kernel(Device& dev, const cc_op_desc& op) {
  const uint32_t in = op.dtype, acc = op.acc_dtype;
  const std::string pair = std::string(dtype_name(in)) + "/" + dtype_name(acc);
  const bool f32 = in == CC_DTYPE_F32 && acc == CC_DTYPE_F32;
  const bool bf16 = in == CC_DTYPE_BF16 && acc == CC_DTYPE_F32;
  if (!f32 && !bf16)
    throw Error(CC_ERR_UNSUPPORTED,
                "ATTENTION dtype/acc_dtype " + pair +
                    " is not supported; supported: f32/f32, bf16/f32 "
                    "(no f16 arithmetic on this CPU; oneDNN has no f64 matmul)");
  try {
    return std::make_unique<AttentionKernel>(dev, op, bf16);
  } catch (const dnnl::error& e) {
    throw Error(e.status == dnnl_unimplemented ? CC_ERR_UNSUPPORTED : CC_ERR_DEVICE,
                "oneDNN matmul for " + pair + " ATTENTION: " + e.what());
  }
}

}  // namespace chipcert::cpu
