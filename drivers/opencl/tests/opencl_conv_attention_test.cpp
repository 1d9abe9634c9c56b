// conv2d and attention of the OpenCL driver, through the ABI, against
// straightforward double-precision loops: both layouts, stride, padding,
// dilation, groups, causal masks with seq_q < seq_kv, edge shapes.
#include "opencl_test_support.hpp"

#include <algorithm>
#include <cmath>

// Descriptors are written with designated initializers: omitted fields are
// zero by the language, which is what the ABI wants.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace {

using namespace chipcert::opencl::testing;

// ---- conv2d -------------------------------------------------------------------

struct ConvCase {
  int64_t n, c, h, w, k, r, s, stride, pad, dil, groups;
};

void PrintTo(const ConvCase& c, std::ostream* os) {
  *os << "n" << c.n << " c" << c.c << " " << c.h << "x" << c.w << " k" << c.k << " " << c.r << "x"
      << c.s << " stride " << c.stride << " pad " << c.pad << " dil " << c.dil << " groups "
      << c.groups;
}

class OpenclConv : public OpenclDriver,
                   public ::testing::WithParamInterface<std::tuple<ConvCase, cc_layout>> {
 protected:
  // Inputs in canonical N,C,H,W / K,C/g,R,S order; converted to the layout
  // for the device, outputs converted back.
  void check(cc_dtype dtype, const ConvCase& cc, cc_layout layout) {
    const cc_dtype acc = acc_of(dtype);
    cc_conv2d_params p{};
    p.n = cc.n, p.c = cc.c, p.h = cc.h, p.w = cc.w, p.k = cc.k, p.r = cc.r, p.s = cc.s;
    p.stride_h = p.stride_w = cc.stride;
    p.pad_h = cc.pad, p.pad_w = cc.pad > 0 ? cc.pad - 1 : 0;  // unequal paddings
    p.dilation_h = p.dilation_w = cc.dil;
    p.groups = cc.groups;
    p.layout = layout;
    const int64_t P = (p.h + 2 * p.pad_h - p.dilation_h * (p.r - 1) - 1) / p.stride_h + 1;
    const int64_t Q = (p.w + 2 * p.pad_w - p.dilation_w * (p.s - 1) - 1) / p.stride_w + 1;
    const int64_t cg = p.c / p.groups, kg = p.k / p.groups;
    const bool integer = dtype == CC_DTYPE_I8;
    const auto x = quantize(dtype, pattern(static_cast<size_t>(p.n * p.c * p.h * p.w), 91,
                                           integer ? -9 : -1, integer ? 9 : 1));
    const auto w = quantize(dtype, pattern(static_cast<size_t>(p.k * cg * p.r * p.s), 92,
                                           integer ? -9 : -1, integer ? 9 : 1));
    const bool nhwc = layout == CC_LAYOUT_NHWC;
    std::vector<double> xd(x.size()), wd(w.size());
    for (int64_t n = 0; n < p.n; ++n)
      for (int64_t c = 0; c < p.c; ++c)
        for (int64_t i = 0; i < p.h * p.w; ++i)
          xd[nhwc ? (n * p.h * p.w + i) * p.c + c : (n * p.c + c) * p.h * p.w + i] =
              x[(n * p.c + c) * p.h * p.w + i];
    for (int64_t k = 0; k < p.k; ++k)
      for (int64_t c = 0; c < cg; ++c)
        for (int64_t i = 0; i < p.r * p.s; ++i)
          wd[nhwc ? (k * p.r * p.s + i) * cg + c : (k * cg + c) * p.r * p.s + i] =
              w[(k * cg + c) * p.r * p.s + i];
    auto op = make_desc(CC_OP_CONV2D, dtype, acc);
    op.u.conv2d = p;
    const size_t ysize = static_cast<size_t>(p.n * p.k * P * Q);
    cc_buffer* y = upload(acc, std::vector<double>(ysize, -3));
    ASSERT_TRUE(run(op, {upload(dtype, xd), upload(dtype, wd), y}));
    const std::vector<double> got = download(acc, y, ysize);
    std::vector<double> want(ysize, 0), mag(ysize, 0), gotc(ysize);
    for (int64_t n = 0; n < p.n; ++n)
      for (int64_t k = 0; k < p.k; ++k)
        for (int64_t oh = 0; oh < P; ++oh)
          for (int64_t ow = 0; ow < Q; ++ow) {
            const size_t at = static_cast<size_t>(((n * p.k + k) * P + oh) * Q + ow);
            gotc[at] = got[nhwc ? static_cast<size_t>(((n * P + oh) * Q + ow) * p.k + k) : at];
            const int64_t g = k / kg;
            for (int64_t c = 0; c < cg; ++c)
              for (int64_t r = 0; r < p.r; ++r)
                for (int64_t s = 0; s < p.s; ++s) {
                  const int64_t ih = oh * p.stride_h - p.pad_h + r * p.dilation_h;
                  const int64_t iw = ow * p.stride_w - p.pad_w + s * p.dilation_w;
                  if (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w) continue;
                  const double t = x[((n * p.c + g * cg + c) * p.h + ih) * p.w + iw] *
                                   w[((k * cg + c) * p.r + r) * p.s + s];
                  want[at] += t, mag[at] += std::abs(t);
                }
          }
    const double eps = acc == CC_DTYPE_F64 ? 0x1p-52 : acc == CC_DTYPE_F32 ? 0x1p-23 : 0;
    const double terms = static_cast<double>(cg * p.r * p.s + 2);
    EXPECT_EQ(count_mismatches(
                  gotc, want, [&](size_t i) { return terms * eps * mag[i]; }, "y"),
              0);
  }
};

TEST_P(OpenclConv, F32MatchesReference) {
  check(CC_DTYPE_F32, std::get<0>(GetParam()), std::get<1>(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, OpenclConv,
    ::testing::Combine(
        ::testing::Values(ConvCase{1, 3, 7, 9, 4, 3, 3, 1, 1, 1, 1},     // tiny, padded
                          ConvCase{2, 4, 8, 6, 6, 3, 2, 2, 1, 1, 2},     // stride 2, groups 2
                          ConvCase{1, 2, 9, 9, 3, 3, 3, 1, 2, 2, 1},     // dilation 2
                          ConvCase{1, 8, 6, 6, 8, 3, 3, 1, 1, 1, 8},     // depthwise
                          ConvCase{2, 16, 5, 5, 20, 1, 1, 2, 0, 1, 1},   // 1x1, stride 2
                          ConvCase{1, 70, 5, 5, 70, 3, 3, 1, 1, 1, 1},   // k > one tile, deep C*R*S
                          ConvCase{1, 3, 20, 21, 5, 3, 3, 1, 1, 1, 1}),  // pixels > one tile
        ::testing::Values(CC_LAYOUT_NCHW, CC_LAYOUT_NHWC)));

TEST_F(OpenclDriver, Conv2dOtherDtypesMatchReference) {
  // One shape per dtype keeps the number of kernel compiles down.
  struct Runner : OpenclConv {
    void TestBody() override {}
    using OpenclConv::check;
    using OpenclDriver::SetUp;
    using OpenclDriver::TearDown;
  };
  const ConvCase c{2, 4, 6, 7, 6, 3, 3, 1, 1, 1, 2};
  for (cc_dtype t : {CC_DTYPE_BF16, CC_DTYPE_I8, CC_DTYPE_F64}) {
    if (!has(t)) continue;
    Runner r;
    r.SetUp();
    r.check(t, c, t == CC_DTYPE_F64 ? CC_LAYOUT_NCHW : CC_LAYOUT_NHWC);
    r.TearDown();
  }
}

TEST_F(OpenclDriver, InvalidConvDescriptorsAreRejected) {
  cc_kernel* k = nullptr;
  auto op = make_desc(CC_OP_CONV2D, CC_DTYPE_F32, CC_DTYPE_F32);
  op.u.conv2d = {.n = 1,
                 .c = 6,
                 .h = 5,
                 .w = 5,
                 .k = 4,
                 .r = 3,
                 .s = 3,
                 .stride_h = 1,
                 .stride_w = 1,
                 .pad_h = 0,
                 .pad_w = 0,
                 .dilation_h = 1,
                 .dilation_w = 1,
                 .groups = 4,
                 .layout = CC_LAYOUT_NCHW};
  EXPECT_EQ(d_->prepare(dev_, &op, &k), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("groups"), std::string::npos) << error();
  op.u.conv2d.groups = 2, op.u.conv2d.r = 7;
  EXPECT_EQ(d_->prepare(dev_, &op, &k), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("does not fit"), std::string::npos) << error();
  op.u.conv2d.r = 3, op.u.conv2d.stride_h = 0;
  EXPECT_EQ(d_->prepare(dev_, &op, &k), CC_ERR_INVALID_ARGUMENT);
  op.u.conv2d.stride_h = 1, op.u.conv2d.layout = 7;
  EXPECT_EQ(d_->prepare(dev_, &op, &k), CC_ERR_UNSUPPORTED);
  op.u.conv2d.layout = CC_LAYOUT_NHWC;
  k = prepare(op);  // valid now; y (argument 2) one element short
  ASSERT_NE(k, nullptr);
  cc_buffer* args[] = {upload(CC_DTYPE_F32, std::vector<double>(150, 1)),
                       upload(CC_DTYPE_F32, std::vector<double>(4 * 3 * 9, 1)),
                       upload(CC_DTYPE_F32, std::vector<double>(4 * 9 - 1, 1))};
  EXPECT_EQ(d_->launch(dev_, k, args, 3), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("argument 2 (y)"), std::string::npos) << error();
}

// ---- attention ----------------------------------------------------------------

struct AttnCase {
  int64_t batch, heads, sq, skv, d;
  bool causal;
  cc_attention_layout layout;
};

void PrintTo(const AttnCase& c, std::ostream* os) {
  *os << "b" << c.batch << " h" << c.heads << " sq" << c.sq << " skv" << c.skv << " d" << c.d
      << (c.causal ? " causal" : "") << (c.layout == CC_ATTN_BSHD ? " BSHD" : " BHSD");
}

class OpenclAttention : public OpenclDriver, public ::testing::WithParamInterface<AttnCase> {
 protected:
  void check(cc_dtype dtype, const AttnCase& c) {
    const cc_dtype acc = acc_of(dtype);
    const size_t nq = static_cast<size_t>(c.batch * c.heads * c.sq * c.d);
    const size_t nkv = static_cast<size_t>(c.batch * c.heads * c.skv * c.d);
    const auto q = quantize(dtype, pattern(nq, 101, -2, 2));
    const auto k = quantize(dtype, pattern(nkv, 102, -2, 2));
    const auto v = quantize(dtype, pattern(nkv, 103));
    const bool bshd = c.layout == CC_ATTN_BSHD;
    auto at = [&](int64_t b, int64_t h, int64_t seq, int64_t i) {
      return static_cast<size_t>(bshd ? ((b * seq + i) * c.heads + h) * c.d
                                      : ((b * c.heads + h) * seq + i) * c.d);
    };
    auto op = make_desc(CC_OP_ATTENTION, dtype, acc);
    const double scale = 1.0 / std::sqrt(static_cast<double>(c.d));
    op.u.attention = {.batch = c.batch,
                      .heads = c.heads,
                      .seq_q = c.sq,
                      .seq_kv = c.skv,
                      .head_dim = c.d,
                      .causal = c.causal ? 1u : 0u,
                      .layout = static_cast<uint32_t>(c.layout),
                      .scale = scale};
    cc_buffer* o = upload(acc, std::vector<double>(nq, 9));
    ASSERT_TRUE(run(op, {upload(dtype, q), upload(dtype, k), upload(dtype, v), o}));
    const std::vector<double> got = download(acc, o, nq);
    std::vector<double> want(nq, 0);
    for (int64_t b = 0; b < c.batch; ++b)
      for (int64_t h = 0; h < c.heads; ++h)
        for (int64_t i = 0; i < c.sq; ++i) {
          std::vector<double> s(static_cast<size_t>(c.skv), -INFINITY);
          double mx = -INFINITY, sum = 0;
          for (int64_t j = 0; j < c.skv; ++j) {
            if (c.causal && j > i + c.skv - c.sq) continue;
            double dot = 0;
            for (int64_t d = 0; d < c.d; ++d)
              dot += q[at(b, h, c.sq, i) + d] * k[at(b, h, c.skv, j) + d];
            s[j] = scale * dot, mx = std::max(mx, s[j]);
          }
          for (auto& e : s) sum += e = std::isinf(e) ? 0 : std::exp(e - mx);
          for (int64_t j = 0; j < c.skv && sum > 0; ++j)
            for (int64_t d = 0; d < c.d; ++d)
              want[at(b, h, c.sq, i) + d] += s[j] / sum * v[at(b, h, c.skv, j) + d];
        }
    const double tol = acc == CC_DTYPE_F64 ? 1e-12 : 2e-5;
    EXPECT_EQ(count_mismatches(
                  got, want, [&](size_t) { return tol; }, "o"),
              0);
  }
};

TEST_P(OpenclAttention, F32MatchesReference) {
  check(CC_DTYPE_F32, GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, OpenclAttention,
    ::testing::Values(AttnCase{1, 2, 37, 37, 16, false, CC_ATTN_BHSD},
                      AttnCase{1, 2, 37, 37, 16, true, CC_ATTN_BHSD},
                      AttnCase{2, 3, 5, 70, 40, true, CC_ATTN_BSHD},  // seq_q < seq_kv, odd d
                      AttnCase{2, 3, 5, 70, 40, false, CC_ATTN_BHSD},
                      AttnCase{1, 2, 1, 100, 64, true, CC_ATTN_BSHD},   // decode step
                      AttnCase{1, 2, 70, 70, 64, false, CC_ATTN_BSHD},  // several q and kv tiles
                      AttnCase{1, 1, 6, 3, 16, true, CC_ATTN_BHSD}));   // rows that see no key: 0

TEST_F(OpenclDriver, AttentionBf16AndF64MatchReference) {
  struct Runner : OpenclAttention {
    void TestBody() override {}
    using OpenclAttention::check;
    using OpenclDriver::SetUp;
    using OpenclDriver::TearDown;
  };
  for (cc_dtype t : {CC_DTYPE_BF16, CC_DTYPE_F64}) {
    if (!has(t)) continue;
    Runner r;
    r.SetUp();
    r.check(t, AttnCase{1, 2, 33, 50, 16, true, t == CC_DTYPE_F64 ? CC_ATTN_BSHD : CC_ATTN_BHSD});
    r.TearDown();
  }
}

TEST_F(OpenclDriver, UnsupportedAttentionShapesSayWhy) {
  cc_kernel* k = nullptr;
  auto op = make_desc(CC_OP_ATTENTION, CC_DTYPE_F32, CC_DTYPE_F32);
  op.u.attention = {.batch = 1,
                    .heads = 1,
                    .seq_q = 4,
                    .seq_kv = 4,
                    .head_dim = 300,
                    .causal = 0,
                    .layout = CC_ATTN_BHSD,
                    .scale = 1};
  EXPECT_EQ(d_->prepare(dev_, &op, &k), CC_ERR_UNSUPPORTED);
  EXPECT_NE(error().find("head_dim"), std::string::npos) << error();
  op.u.attention.head_dim = 8, op.u.attention.layout = 2;
  EXPECT_EQ(d_->prepare(dev_, &op, &k), CC_ERR_UNSUPPORTED);
  EXPECT_NE(error().find("layout"), std::string::npos) << error();
  op.u.attention.layout = CC_ATTN_BHSD, op.u.attention.seq_kv = 0;
  EXPECT_EQ(d_->prepare(dev_, &op, &k), CC_ERR_INVALID_ARGUMENT);
  op.u.attention.seq_kv = 4;
  k = prepare(op);
  ASSERT_NE(k, nullptr);
  cc_buffer* full = upload(CC_DTYPE_F32, std::vector<double>(32, 1));
  cc_buffer* args[] = {full, upload(CC_DTYPE_F32, std::vector<double>(31, 1)), full,
                       upload(CC_DTYPE_F32, std::vector<double>(32, 1))};
  EXPECT_EQ(d_->launch(dev_, k, args, 4), CC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error().find("argument 1 (k)"), std::string::npos) << error();
}

}  // namespace
