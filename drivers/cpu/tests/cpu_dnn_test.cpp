// CONV2D, ATTENTION, GEMM with a packed constant B, the unsupported
// combinations and per-op buffer-size validation of the CPU driver.
#include <algorithm>
#include <cmath>
#include <tuple>

#include "cpu_test_support.hpp"

namespace cpu_test {
namespace {

// ---- CONV2D -------------------------------------------------------------------

struct Conv {
  int64_t n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw, g;
};

int64_t out_dim(int64_t in, int64_t pad, int64_t dil, int64_t ker, int64_t stride) {
  return (in + 2 * pad - dil * (ker - 1) - 1) / stride + 1;
}

/// Inputs are small integers, exact in every dtype, so f32/bf16 sums are
/// exact too and the comparison can be tight.
template <class In, class Out>
void conv_case(CpuOps& t, cc_dtype in, cc_dtype acc, const Conv& v, uint32_t layout,
               bool constant) {
  const int64_t p = out_dim(v.h, v.ph, v.dh, v.r, v.sh), q = out_dim(v.w, v.pw, v.dw, v.s, v.sw);
  const int64_t cg = v.c / v.g, kg = v.k / v.g;
  const bool nhwc = layout == CC_LAYOUT_NHWC;
  std::vector<double> x(size_t(v.n * v.c * v.h * v.w)), w(size_t(v.k * cg * v.r * v.s));
  for (size_t i = 0; i < x.size(); ++i) x[i] = double(int(i * 37 % 9) - 4);
  for (size_t i = 0; i < w.size(); ++i) w[i] = double(int(i * 13 % 7) - 3);
  const auto xi = [&](int64_t n, int64_t c, int64_t h, int64_t ww) {
    return nhwc ? ((n * v.h + h) * v.w + ww) * v.c + c : ((n * v.c + c) * v.h + h) * v.w + ww;
  };
  const auto wi = [&](int64_t k, int64_t c, int64_t r, int64_t s) {
    return nhwc ? ((k * v.r + r) * v.s + s) * cg + c : ((k * cg + c) * v.r + r) * v.s + s;
  };
  const auto yi = [&](int64_t n, int64_t k, int64_t pp, int64_t qq) {
    return nhwc ? ((n * p + pp) * q + qq) * v.k + k : ((n * v.k + k) * p + pp) * q + qq;
  };
  const auto convert = [](const std::vector<double>& d) {
    std::vector<In> o(d.size());
    for (size_t i = 0; i < d.size(); ++i) {
      if constexpr (sizeof(In) == 2)
        o[i] = to_bf16(float(d[i]));
      else
        o[i] = In(d[i]);
    }
    return o;
  };
  std::vector<double> want(size_t(v.n * v.k * p * q), 0.0);
  for (int64_t n = 0; n < v.n; ++n)
    for (int64_t k = 0; k < v.k; ++k)
      for (int64_t pp = 0; pp < p; ++pp)
        for (int64_t qq = 0; qq < q; ++qq) {
          double sum = 0;
          const int64_t g = k / kg;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t r = 0; r < v.r; ++r)
              for (int64_t s = 0; s < v.s; ++s) {
                const int64_t h = pp * v.sh - v.ph + r * v.dh, ww = qq * v.sw - v.pw + s * v.dw;
                if (h < 0 || h >= v.h || ww < 0 || ww >= v.w) continue;
                sum += x[size_t(xi(n, g * cg + c, h, ww))] * w[size_t(wi(k, c, r, s))];
              }
          want[size_t(yi(n, k, pp, qq))] = sum;
        }
  cc_op_desc op = CpuOps::desc(CC_OP_CONV2D, in, acc);
  op.u.conv2d = {v.n,  v.c,  v.h,  v.w,  v.k,  v.r, v.s,    v.sh,
                 v.sw, v.ph, v.pw, v.dh, v.dw, v.g, layout, 0};
  op.constant_args = constant ? 2u : 0u;
  cc_buffer *bx = t.upload(convert(x)), *bw = t.upload(convert(w)),
            *by = t.zeros(want.size() * sizeof(Out));
  ASSERT_EQ(t.run(op, {bx, bw, by}, 2), CC_OK) << t.error();
  EXPECT_NE(t.last_info_.find("oneDNN"), std::string::npos) << t.last_info_;
  // Never oneDNN's scalar reference convolution (int8 NCHW has only that).
  EXPECT_EQ(t.last_info_.find("convolution ref"), std::string::npos) << t.last_info_;
  const std::string label = "conv c" + std::to_string(v.c) + " k" + std::to_string(v.k) + " g" +
                            std::to_string(v.g) + (nhwc ? " nhwc" : " nchw");
  EXPECT_TRUE(close_all(t.download<Out>(by, want.size()), want, 0, 0)) << label;
  if (!constant) {
    // Not constant: new weights in the same buffer must be used on the next launch.
    for (double& e : w) e = -e;
    for (double& e : want) e = e == 0 ? 0 : -e;
    const auto w2 = convert(w);
    ASSERT_EQ(drv().write(t.dev_, bw, 0, w2.data(), w2.size() * sizeof(In)), CC_OK);
    ASSERT_EQ(t.run(op, {bx, bw, by}), CC_OK) << t.error();
    EXPECT_TRUE(close_all(t.download<Out>(by, want.size()), want, 0, 0)) << label << " rewritten";
  }
}

constexpr Conv kConvs[] = {
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1},    // 1x1 everything
    {2, 3, 7, 6, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1},    // odd channels, pad 1
    {1, 8, 9, 9, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1},   // stride 2
    {1, 4, 10, 11, 6, 3, 2, 1, 2, 2, 0, 2, 3, 1},  // dilation, asymmetric filter
    {2, 6, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2},    // groups
    {1, 8, 6, 6, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8},    // depthwise
    {1, 17, 4, 4, 33, 1, 1, 1, 1, 0, 0, 1, 1, 1},  // 1x1, channels off the vector width
};

TEST_F(CpuOps, Conv2dMatchesDoubleLoop) {
  for (const Conv& v : kConvs)
    for (uint32_t layout : {CC_LAYOUT_NCHW, CC_LAYOUT_NHWC}) {
      conv_case<float, float>(*this, CC_DTYPE_F32, CC_DTYPE_F32, v, layout, true);
      conv_case<uint16_t, float>(*this, CC_DTYPE_BF16, CC_DTYPE_F32, v, layout, false);
      conv_case<int8_t, int32_t>(*this, CC_DTYPE_I8, CC_DTYPE_I32, v, layout, layout == 1);
    }
}

TEST_F(CpuOps, Conv2dRejectsBadShapes) {
  cc_op_desc op = desc(CC_OP_CONV2D, CC_DTYPE_F32, CC_DTYPE_F32);
  op.u.conv2d = {1, 6, 5, 5, 4, 3, 3, 1, 1, 0, 0, 1, 1, 4, CC_LAYOUT_NCHW, 0};
  cc_kernel* k = nullptr;
  EXPECT_EQ(drv().prepare(dev_, &op, &k), CC_ERR_INVALID_ARGUMENT);  // 6 % 4 != 0
  EXPECT_NE(error().find("groups"), std::string::npos) << error();
  op.u.conv2d.groups = 1, op.u.conv2d.r = 7;  // larger than the input
  EXPECT_EQ(drv().prepare(dev_, &op, &k), CC_ERR_INVALID_ARGUMENT);
  op.u.conv2d.r = 3, op.u.conv2d.layout = 7;
  EXPECT_EQ(drv().prepare(dev_, &op, &k), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("layout"), std::string::npos) << error();
}

// ---- ATTENTION ------------------------------------------------------------------

struct Attn {
  int64_t b, h, sq, skv, d;
  bool causal;
  bool bshd = false;
};

/// BHSD <-> BSHD: element (bh, i, e) of a [b, h, seq, d] tensor moves to
/// [b, seq, h, d] (to_bshd) or back.
template <class T>
std::vector<T> permute_bshd(const std::vector<T>& x, const Attn& a, int64_t seq, bool to_bshd) {
  std::vector<T> y(x.size());
  for (int64_t bh = 0; bh < a.b * a.h; ++bh)
    for (int64_t i = 0; i < seq; ++i)
      for (int64_t e = 0; e < a.d; ++e) {
        const auto bhsd = size_t((bh * seq + i) * a.d + e);
        const auto bshd = size_t(((bh / a.h * seq + i) * a.h + bh % a.h) * a.d + e);
        if (to_bshd)
          y[bshd] = x[bhsd];
        else
          y[bhsd] = x[bshd];
      }
  return y;
}

template <class In>
void attention_case(CpuOps& t, cc_dtype dt, const Attn& a) {
  const size_t qn = size_t(a.b * a.h * a.sq * a.d), kn = size_t(a.b * a.h * a.skv * a.d);
  auto q = uniform<float>(qn, -1, 1, 51), k = uniform<float>(kn, -1, 1, 52),
       v = uniform<float>(kn, -1, 1, 53);
  std::vector<In> qs(qn), ks(kn), vs(kn);
  const auto store = [](std::vector<float>& f, std::vector<In>& s) {
    for (size_t i = 0; i < f.size(); ++i) {
      if constexpr (sizeof(In) == 2) {
        s[i] = to_bf16(f[i]);
        f[i] = from_bf16(s[i]);  // the reference sees the rounded inputs
      } else {
        s[i] = f[i];
      }
    }
  };
  store(q, qs), store(k, ks), store(v, vs);
  const double scale = 1 / std::sqrt(double(a.d));
  std::vector<double> want(qn, 0.0), sc(size_t(a.skv));
  for (int64_t bh = 0; bh < a.b * a.h; ++bh)
    for (int64_t i = 0; i < a.sq; ++i) {
      const int64_t vis = a.causal ? std::clamp<int64_t>(i + a.skv - a.sq + 1, 0, a.skv) : a.skv;
      double mx = -INFINITY, sum = 0;
      for (int64_t j = 0; j < vis; ++j) {
        double dot = 0;
        for (int64_t e = 0; e < a.d; ++e)
          dot += double(q[size_t((bh * a.sq + i) * a.d + e)]) *
                 double(k[size_t((bh * a.skv + j) * a.d + e)]);
        sc[size_t(j)] = scale * dot;
        mx = std::max(mx, sc[size_t(j)]);
      }
      for (int64_t j = 0; j < vis; ++j) sum += std::exp(sc[size_t(j)] - mx);
      for (int64_t j = 0; j < vis; ++j)
        for (int64_t e = 0; e < a.d; ++e)
          want[size_t((bh * a.sq + i) * a.d + e)] +=
              std::exp(sc[size_t(j)] - mx) / sum * double(v[size_t((bh * a.skv + j) * a.d + e)]);
    }
  cc_op_desc op = CpuOps::desc(CC_OP_ATTENTION, dt, CC_DTYPE_F32);
  op.u.attention = {a.b,  a.h, a.sq, a.skv, a.d, a.causal, a.bshd ? CC_ATTN_BSHD : CC_ATTN_BHSD,
                    scale};
  if (a.bshd)
    qs = permute_bshd(qs, a, a.sq, true), ks = permute_bshd(ks, a, a.skv, true),
    vs = permute_bshd(vs, a, a.skv, true);
  cc_buffer* bo = t.zeros(qn * 4);
  ASSERT_EQ(t.run(op, {t.upload(qs), t.upload(ks), t.upload(vs), bo}), CC_OK) << t.error();
  EXPECT_NE(t.last_info_.find("matmul"), std::string::npos) << t.last_info_;
  std::vector<float> got = t.download<float>(bo, qn);
  if (a.bshd) got = permute_bshd(got, a, a.sq, false);
  EXPECT_TRUE(close_all(got, want, 2e-6, 2e-5))
      << "attention " << a.b << "x" << a.h << " sq " << a.sq << " skv " << a.skv << " d " << a.d
      << (a.causal ? " causal" : "") << (a.bshd ? " bshd" : "");
}

TEST_F(CpuOps, AttentionMatchesDoubleLoop) {
  for (const Attn& a : {Attn{1, 1, 1, 1, 1, false}, Attn{2, 3, 5, 7, 4, false},
                        Attn{2, 3, 5, 7, 4, true},      // seq_q < seq_kv: bottom-right mask
                        Attn{1, 2, 70, 300, 16, true},  // query and key tail blocks
                        Attn{1, 1, 130, 100, 8, true},  // seq_q > seq_kv: first rows see nothing
                        Attn{1, 2, 1, 513, 64, true},   // decode step over a KV cache
                        Attn{1, 1, 64, 256, 32, false},
                        // BSHD: rows of a head interleaved with the other heads'
                        Attn{2, 3, 5, 7, 4, true, true}, Attn{2, 2, 70, 300, 16, true, true},
                        Attn{3, 4, 1, 129, 8, false, true}}) {
    attention_case<float>(*this, CC_DTYPE_F32, a);
    attention_case<uint16_t>(*this, CC_DTYPE_BF16, a);
  }
}

// ---- GEMM with a constant B -------------------------------------------------------

TEST_F(CpuOps, GemmPacksAConstantBOnce) {
  const int64_t m = 33, n = 70, k = 45;
  const auto a = uniform<float>(size_t(m * k), -1, 1, 61),
             b = uniform<float>(size_t(k * n), -1, 1, 62);
  std::vector<double> want(size_t(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p)
        want[size_t(i * n + j)] += double(a[size_t(i * k + p)]) * double(b[size_t(p * n + j)]);
  cc_op_desc op = desc(CC_OP_GEMM, CC_DTYPE_F32, CC_DTYPE_F32);
  op.u.gemm.m = m, op.u.gemm.n = n, op.u.gemm.k = k;
  op.u.gemm.lda = k, op.u.gemm.ldb = n, op.u.gemm.ldc = n, op.u.gemm.alpha = 1;
  op.constant_args = 2;
  cc_buffer* bc = zeros(size_t(m * n) * 4);
  // A constant B is packed by default; CHIPCERT_CPU_GEMM_PACK_B=0 reads it in place.
  ASSERT_EQ(run(op, {upload(a), upload(b), bc}, 3), CC_OK) << error();
  EXPECT_TRUE(close_all(download<float>(bc, size_t(m * n)), want, 1e-5, 1e-5));
  EXPECT_NE(last_info_.find("matmul"), std::string::npos) << last_info_;
  EXPECT_NE(last_info_.find("constant B packed once"), std::string::npos) << last_info_;
  setenv("CHIPCERT_CPU_GEMM_PACK_B", "0", 1);
  const cc_status st = run(op, {upload(a), upload(b), bc}, 2);
  unsetenv("CHIPCERT_CPU_GEMM_PACK_B");
  ASSERT_EQ(st, CC_OK) << error();
  EXPECT_TRUE(close_all(download<float>(bc, size_t(m * n)), want, 1e-5, 1e-5));
  EXPECT_NE(last_info_.find("B read in place"), std::string::npos) << last_info_;
  // bf16 packs a constant B by default.
  std::vector<uint16_t> a16(a.size()), b16(b.size());
  for (size_t i = 0; i < a.size(); ++i) a16[i] = to_bf16(a[i]);
  for (size_t i = 0; i < b.size(); ++i) b16[i] = to_bf16(b[i]);
  std::fill(want.begin(), want.end(), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p)
        want[size_t(i * n + j)] +=
            double(from_bf16(a16[size_t(i * k + p)])) * double(from_bf16(b16[size_t(p * n + j)]));
  op.dtype = CC_DTYPE_BF16;
  ASSERT_EQ(run(op, {upload(a16), upload(b16), bc}, 2), CC_OK) << error();
  EXPECT_TRUE(close_all(download<float>(bc, size_t(m * n)), want, 1e-5, 1e-5));
  EXPECT_NE(last_info_.find("constant B packed once"), std::string::npos) << last_info_;
}

// ---- bf16 / f16 inputs of the forward row-wise and element-wise ops ---------------

/// binary16 bits -> value, by the definition (independent of the driver's code).
float half_value(uint16_t h) {
  const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  const float sign = (h & 0x8000) ? -1.0f : 1.0f;
  if (e == 0x1f) return m ? std::nanf("") : sign * INFINITY;
  if (e == 0) return sign * std::ldexp(float(m), -24);
  return sign * std::ldexp(float(1024 + m), e - 25);
}

TEST_F(CpuOps, TwoByteInputsComputeLikeF32OnTheWidenedValues) {
  const int64_t rows = 7, cols = 45, n = rows * cols;  // not a multiple of 16: tails too
  for (const char* isa : {static_cast<const char*>(nullptr), "avx2", "scalar"}) {
    IsaCap cap(isa);
    for (const cc_dtype dt : {CC_DTYPE_BF16, CC_DTYPE_F16}) {
      for (const cc_op_kind kind :
           {CC_OP_GELU, CC_OP_ADD, CC_OP_MUL, CC_OP_LAYERNORM, CC_OP_SOFTMAX}) {
        const int inputs = kind == CC_OP_LAYERNORM                    ? 3
                           : (kind == CC_OP_ADD || kind == CC_OP_MUL) ? 2
                                                                      : 1;
        std::vector<std::vector<uint16_t>> raw(static_cast<size_t>(inputs));
        std::vector<std::vector<float>> wide(static_cast<size_t>(inputs));
        for (int i = 0; i < inputs; ++i) {
          const size_t len = (kind == CC_OP_LAYERNORM && i > 0) ? size_t(cols) : size_t(n);
          const auto f = uniform<float>(len, -3, 3, 70 + unsigned(i));
          for (size_t e = 0; e < len; ++e) {
            uint16_t bits = 0;
            if (dt == CC_DTYPE_BF16) {
              bits = to_bf16(f[e]);
            } else {
              bits = uint16_t(0x3c00 + int(f[e] * 300));                 // spread over exponents
              if (e % 9 == 0) bits = uint16_t(e % 2 ? 0x0001 : 0x83ff);  // subnormals
            }
            raw[size_t(i)].push_back(bits);
            wide[size_t(i)].push_back(dt == CC_DTYPE_BF16 ? from_bf16(bits) : half_value(bits));
          }
        }
        if (dt == CC_DTYPE_F16 && kind != CC_OP_LAYERNORM && kind != CC_OP_SOFTMAX)
          raw[0][3] = 0x7c00, wide[0][3] = INFINITY, raw[0][5] = 0x8000, wide[0][5] = -0.0f;
        cc_op_desc op = desc(kind, dt, CC_DTYPE_F32);
        cc_op_desc op32 = desc(kind, CC_DTYPE_F32, CC_DTYPE_F32);
        if (kind == CC_OP_LAYERNORM || kind == CC_OP_SOFTMAX) {
          op.u.rows.rows = op32.u.rows.rows = rows;
          op.u.rows.cols = op32.u.rows.cols = cols;
          op.u.rows.eps = op32.u.rows.eps = 1e-5;
          op.u.rows.scale = op32.u.rows.scale = 0.7;
        } else {
          op.u.eltwise.n = op32.u.eltwise.n = n;
        }
        const int outputs = kind == CC_OP_LAYERNORM ? 3 : 1;
        std::vector<cc_buffer*> a16, a32, out16, out32;
        for (int i = 0; i < inputs; ++i)
          a16.push_back(upload(raw[size_t(i)])), a32.push_back(upload(wide[size_t(i)]));
        for (int o = 0; o < outputs; ++o) {
          const size_t bytes = (o == 0 ? size_t(n) : size_t(rows)) * 4;
          out16.push_back(zeros(bytes)), out32.push_back(zeros(bytes));
          a16.push_back(out16.back()), a32.push_back(out32.back());
        }
        const std::string what = std::string(isa ? isa : "best") + " " +
                                 (dt == CC_DTYPE_BF16 ? "bf16" : "f16") + " kind " +
                                 std::to_string(kind);
        ASSERT_EQ(run(op, a16), CC_OK) << what << ": " << error();
        EXPECT_NE(last_info_.find("widened to f32"), std::string::npos) << last_info_;
        ASSERT_EQ(run(op32, a32), CC_OK) << what << ": " << error();
        for (int o = 0; o < outputs; ++o) {
          const size_t len = o == 0 ? size_t(n) : size_t(rows);
          const auto g = download<uint32_t>(out16[size_t(o)], len),
                     w = download<uint32_t>(out32[size_t(o)], len);
          EXPECT_EQ(g, w) << what << ": output " << o << " differs from f32 on the same values";
        }
        for (auto* b : a16) drv().free(dev_, b);
        for (auto* b : a32) drv().free(dev_, b);
      }
    }
  }
}

// ---- unsupported combinations and buffer sizes --------------------------------------

TEST_F(CpuOps, UnsupportedDtypesGiveReasons) {
  const std::tuple<cc_op_kind, cc_dtype, cc_dtype> cases[] = {
      {CC_OP_PEAK, CC_DTYPE_F16, CC_DTYPE_F32},
      {CC_OP_PEAK, CC_DTYPE_TF32, CC_DTYPE_F32},
      {CC_OP_CONV2D, CC_DTYPE_F64, CC_DTYPE_F64},
      {CC_OP_CONV2D, CC_DTYPE_F16, CC_DTYPE_F32},
      {CC_OP_ATTENTION, CC_DTYPE_F64, CC_DTYPE_F64},
      {CC_OP_ATTENTION, CC_DTYPE_I8, CC_DTYPE_I32},
      {CC_OP_LAYERNORM, CC_DTYPE_BF16, CC_DTYPE_BF16},
      {CC_OP_SOFTMAX, CC_DTYPE_F32, CC_DTYPE_F64},
      {CC_OP_GELU, CC_DTYPE_I8, CC_DTYPE_I32},
      {CC_OP_ADD, CC_DTYPE_F16, CC_DTYPE_F16},
      {CC_OP_MUL, CC_DTYPE_BF16, CC_DTYPE_BF16},
      {CC_OP_GELU_BACKWARD, CC_DTYPE_F16, CC_DTYPE_F16},
      {CC_OP_LAYERNORM_BACKWARD, CC_DTYPE_I32, CC_DTYPE_I32},
      {CC_OP_SOFTMAX_BACKWARD, CC_DTYPE_F16, CC_DTYPE_F32},
      {CC_OP_SOFTMAX_XENT, CC_DTYPE_BF16, CC_DTYPE_BF16},
      {CC_OP_ADAMW, CC_DTYPE_F16, CC_DTYPE_F16}};
  for (auto [kind, in, acc] : cases) {
    cc_op_desc op = desc(kind, in, acc);
    op.u.eltwise.n = 1;
    cc_kernel* k = nullptr;
    EXPECT_EQ(drv().prepare(dev_, &op, &k), CC_ERR_UNSUPPORTED) << "kind " << kind;
    EXPECT_EQ(k, nullptr);
    const char* names[] = {"f64", "f32", "f16", "bf16", "i8", "i32", "tf32"};
    EXPECT_NE(error().find(names[in]), std::string::npos) << "kind " << kind << ": " << error();
  }
}

/// One op with its argument sizes in bytes; each argument in turn gets a
/// buffer one byte short, which launch must refuse naming that argument.
struct SizeCase {
  cc_op_desc op;
  std::vector<std::pair<const char*, size_t>> args;
};

TEST_F(CpuOps, EveryOpValidatesEveryBufferSize) {
  std::vector<SizeCase> cases;
  const auto add = [&](cc_op_desc op, std::vector<std::pair<const char*, size_t>> args) {
    cases.push_back({op, std::move(args)});
  };
  cc_op_desc op = desc(CC_OP_PEAK, CC_DTYPE_I8, CC_DTYPE_I32);
  op.u.peak = {10, 1, 1, 1};
  add(op, {{"x", 40}, {"y", 40}});
  op = desc(CC_OP_CONV2D, CC_DTYPE_BF16, CC_DTYPE_F32);
  op.u.conv2d = {2, 4, 5, 6, 6, 3, 3, 2, 1, 1, 1, 1, 1, 2, CC_LAYOUT_NHWC, 0};  // p 3, q 6
  add(op, {{"x", 2 * 4 * 5 * 6 * 2}, {"w", 6 * 2 * 9 * 2}, {"y", 2 * 6 * 3 * 6 * 4}});
  op = desc(CC_OP_ATTENTION, CC_DTYPE_BF16, CC_DTYPE_F32);
  op.u.attention = {2, 3, 4, 5, 8, 1, 0, 0.3};
  add(op, {{"q", 2 * 3 * 4 * 8 * 2},
           {"k", 2 * 3 * 5 * 8 * 2},
           {"v", 2 * 3 * 5 * 8 * 2},
           {"o", 2 * 3 * 4 * 8 * 4}});
  op = desc(CC_OP_LAYERNORM, CC_DTYPE_F64, CC_DTYPE_F64);
  op.u.rows.rows = 3, op.u.rows.cols = 5;
  add(op, {{"x", 120}, {"gamma", 40}, {"beta", 40}, {"y", 120}, {"mean", 24}, {"rstd", 24}});
  op.kind = CC_OP_LAYERNORM_BACKWARD;
  add(op, {{"x", 120},
           {"gamma", 40},
           {"mean", 24},
           {"rstd", 24},
           {"dy", 120},
           {"dx", 120},
           {"dgamma", 40},
           {"dbeta", 40}});
  op.kind = CC_OP_SOFTMAX;
  add(op, {{"x", 120}, {"y", 120}});
  op.kind = CC_OP_SOFTMAX_BACKWARD;
  add(op, {{"y", 120}, {"dy", 120}, {"dx", 120}});
  op.kind = CC_OP_SOFTMAX_XENT;
  add(op, {{"logits", 120}, {"labels", 12}, {"loss", 8}, {"dlogits", 120}});
  for (cc_op_kind kind : {CC_OP_GELU, CC_OP_ADD, CC_OP_MUL, CC_OP_GELU_BACKWARD}) {
    op = desc(kind, CC_DTYPE_F32, CC_DTYPE_F32);
    op.u.eltwise.n = 7;
    if (kind == CC_OP_GELU)
      add(op, {{"x", 28}, {"y", 28}});
    else if (kind == CC_OP_GELU_BACKWARD)
      add(op, {{"x", 28}, {"dy", 28}, {"dx", 28}});
    else
      add(op, {{"a", 28}, {"b", 28}, {"y", 28}});
  }
  op = desc(CC_OP_ADAMW, CC_DTYPE_F32, CC_DTYPE_F32);
  op.u.adamw = {9, 1, 1e-3, 0.9, 0.99, 1e-8, 0};
  add(op, {{"param", 36}, {"grad", 36}, {"m", 36}, {"v", 36}});

  for (const SizeCase& c : cases) {
    std::vector<cc_buffer*> ok;
    for (auto& [name, bytes] : c.args) ok.push_back(zeros(bytes));
    EXPECT_EQ(run(c.op, ok), CC_OK) << "kind " << c.op.kind << ": " << error();
    EXPECT_FALSE(last_info_.empty()) << "kind " << c.op.kind;
    for (size_t i = 0; i < c.args.size(); ++i) {
      std::vector<cc_buffer*> args = ok;
      args[i] = zeros(c.args[i].second - 1);
      EXPECT_EQ(run(c.op, args), CC_ERR_INVALID_ARGUMENT) << "kind " << c.op.kind << " arg " << i;
      EXPECT_NE(error().find(std::string("(") + c.args[i].first + ")"), std::string::npos)
          << "kind " << c.op.kind << ": " << error();
    }
    // One buffer too few is refused too.
    std::vector<cc_buffer*> fewer(ok.begin(), ok.end() - 1);
    EXPECT_EQ(run(c.op, fewer), CC_ERR_INVALID_ARGUMENT) << "kind " << c.op.kind;
  }
}

}  // namespace
}  // namespace cpu_test
