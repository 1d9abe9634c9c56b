// conv2d (implicit GEMM, kernels/conv2d.cl) and attention (online softmax,
// kernels/attention.cl): descriptor checks, tile choice, argument binding.
#include "kernel_sources.hpp"
#include "ops.hpp"
#include "ops_common.hpp"

#include <algorithm>
#include <climits>

namespace chipcert::opencl {
namespace {

int pow2_at_least(int64_t v) {
  int p = 1;
  while (p < v && p < (1 << 30)) p *= 2;
  return p;
}

}  // namespace

void prepare_conv2d(Device& dev, const cc_op_desc& desc, Op& op) {
  const DeviceRecord& rec = *dev.rec;
  const Types types =
      op_types(rec, desc, Allowed{.f64 = true, .f16 = true, .bf16 = true, .i8 = true});
  const cc_conv2d_params& c = desc.u.conv2d;
  constexpr int64_t kMax = INT_MAX;
  for (const auto& [name, v] : {std::pair{"n", c.n},
                                {"c", c.c},
                                {"h", c.h},
                                {"w", c.w},
                                {"k", c.k},
                                {"r", c.r},
                                {"s", c.s},
                                {"stride_h", c.stride_h},
                                {"stride_w", c.stride_w},
                                {"dilation_h", c.dilation_h},
                                {"dilation_w", c.dilation_w},
                                {"groups", c.groups}})
    require_range("conv2d", name, v, 1, kMax);
  require_range("conv2d", "pad_h", c.pad_h, 0, kMax / 4);
  require_range("conv2d", "pad_w", c.pad_w, 0, kMax / 4);
  if (c.c % c.groups != 0 || c.k % c.groups != 0)
    throw Error(CC_ERR_INVALID_ARGUMENT,
                "conv2d: c=" + std::to_string(c.c) + " and k=" + std::to_string(c.k) +
                    " must be divisible by groups=" + std::to_string(c.groups));
  if (c.layout > CC_LAYOUT_NHWC)
    throw Error(CC_ERR_UNSUPPORTED,
                "conv2d: layout " + std::to_string(c.layout) + " is not NCHW (0) or NHWC (1)");
  const int64_t P = (c.h + 2 * c.pad_h - c.dilation_h * (c.r - 1) - 1) / c.stride_h + 1;
  const int64_t Q = (c.w + 2 * c.pad_w - c.dilation_w * (c.s - 1) - 1) / c.stride_w + 1;
  if (c.h + 2 * c.pad_h < c.dilation_h * (c.r - 1) + 1 ||
      c.w + 2 * c.pad_w < c.dilation_w * (c.s - 1) + 1)
    throw Error(CC_ERR_INVALID_ARGUMENT, "conv2d: the dilated filter (" + std::to_string(c.r) +
                                             "x" + std::to_string(c.s) +
                                             ") does not fit the padded input (" +
                                             std::to_string(c.h) + "x" + std::to_string(c.w) + ")");
  const auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
  const uint64_t x_elems = checked_mul({u(c.n), u(c.c), u(c.h), u(c.w)}, "conv2d: x");
  const uint64_t w_elems = checked_mul({u(c.k), u(c.c / c.groups), u(c.r), u(c.s)}, "conv2d: w");
  const uint64_t y_elems = checked_mul({u(c.n), u(c.k), u(P), u(Q)}, "conv2d: y");
  // The kernel indexes with 32-bit ints inside one image / filter and 64-bit across.
  if (std::max({x_elems, w_elems, y_elems}) > u(kMax) || u(c.n) * u(P) * u(Q) > u(kMax))
    throw Error(CC_ERR_UNSUPPORTED,
                "conv2d: tensors of more than 2^31 elements are not implemented");
  op.args = {{"x", x_elems * types.in_size, {{0, 16}}},
             {"w", w_elems * types.in_size, {{0, 17}}},
             {"y", y_elems * types.acc_size, {{0, 18}}, true}};

  // Tiles: rows are the group's output channels, so a group with few of
  // them (depthwise: 1) gets a short tile instead of wasting most of it.
  const int64_t kg = c.k / c.groups, kd = (c.c / c.groups) * c.r * c.s;
  const int vw = rec.is_cpu ? vector_width(rec, types.acc) : 4;
  const int nv = rec.is_cpu ? 2 : 1;
  const int tn = rec.is_cpu ? 4 * nv * vw : 16 * vw;
  const int rm_max = rec.is_cpu ? 8 : 4, wgy_max = rec.is_cpu ? 8 : 16;
  const int rm = std::min(rm_max, pow2_at_least(kg));
  const int wgy = std::clamp(pow2_at_least((kg + rm - 1) / rm), 1, wgy_max);
  const int tm = rm * wgy;
  const int tk = std::clamp(pow2_at_least(kd), vw, rec.is_cpu ? 64 : 16);
  const int wgx = tn / (nv * vw);
  const uint64_t local = u(tm + tn) * u(tk) * types.acc_size + u(tn) * 16 + u(tk) * 12;
  if (static_cast<size_t>(wgx * wgy) > rec.max_work_group || local > rec.local_mem)
    throw Error(CC_ERR_UNSUPPORTED, "conv2d: the tile (" + std::to_string(wgx * wgy) +
                                        " work-items, " + std::to_string(local) +
                                        " bytes of local memory) does not fit " + rec.label);
  const bool nhwc = c.layout == CC_LAYOUT_NHWC;
  op.info = std::string("conv2d.cl conv2d ") + (nhwc ? "nhwc " : "nchw ") +
            dtype_name(types.dtype) + "->" + dtype_name(types.acc) +
            ": implicit GEMM per group (rows = output channels, cols = N*P*Q pixels, k = C/g*R*S "
            "= " +
            std::to_string(kd) + ", im2col gathered into local memory), tm=" + std::to_string(tm) +
            " tn=" + std::to_string(tn) + " tk=" + std::to_string(tk) +
            " rm=" + std::to_string(rm) + " nv=" + std::to_string(nv) +
            " vw=" + std::to_string(vw) + ", work-group " + std::to_string(wgx) + "x" +
            std::to_string(wgy);

  const std::string options = types.options + " -DVW=" + std::to_string(vw) +
                              " -DTM=" + std::to_string(tm) + " -DTN=" + std::to_string(tn) +
                              " -DTK=" + std::to_string(tk) + " -DRM=" + std::to_string(rm) +
                              " -DNV=" + std::to_string(nv) + " -DNHWC=" + (nhwc ? "1" : "0");
  Step s;
  s.kernel =
      create_kernel(program_for(dev, "conv2d.cl", with_prelude(kConv2dSource), options), "conv2d");
  require_group_size(dev, s.kernel, static_cast<size_t>(wgx * wgy), "conv2d");
  const int64_t npix = c.n * P * Q;
  const int64_t ints[] = {
      c.c,        c.h,        c.w,     c.k,     c.r,          c.s,          P,       Q, npix,
      c.stride_h, c.stride_w, c.pad_h, c.pad_w, c.dilation_h, c.dilation_w, c.groups};
  for (cl_uint i = 0; i < 16; ++i) set_arg(s.kernel, i, static_cast<cl_int>(ints[i]));
  s.dims = 3;
  s.local[0] = static_cast<size_t>(wgx);
  s.local[1] = static_cast<size_t>(wgy);
  s.global[0] = (static_cast<size_t>(npix) + tn - 1) / tn * s.local[0];
  s.global[1] = (static_cast<size_t>(kg) + tm - 1) / tm * s.local[1];
  s.global[2] = static_cast<size_t>(c.groups);
  op.steps.push_back(std::move(s));
}

void prepare_attention(Device& dev, const cc_op_desc& desc, Op& op) {
  const DeviceRecord& rec = *dev.rec;
  const Types types =
      op_types(rec, desc, Allowed{.f64 = true, .f16 = true, .bf16 = true, .i8 = false});
  const cc_attention_params& a = desc.u.attention;
  constexpr int64_t kMax = INT_MAX;
  require_range("attention", "batch", a.batch, 1, kMax);
  require_range("attention", "heads", a.heads, 1, kMax);
  require_range("attention", "seq_q", a.seq_q, 1, kMax);
  require_range("attention", "seq_kv", a.seq_kv, 1, kMax);
  require_range("attention", "head_dim", a.head_dim, 1, kMax);
  if (a.layout > CC_ATTN_BSHD)
    throw Error(CC_ERR_UNSUPPORTED,
                "attention: layout " + std::to_string(a.layout) + " is not BHSD (0) or BSHD (1)");
  constexpr int64_t kMaxHeadDim = 256;  // q rows and outputs live in registers / private memory
  if (a.head_dim > kMaxHeadDim)
    throw Error(CC_ERR_UNSUPPORTED, "attention: head_dim=" + std::to_string(a.head_dim) +
                                        " is above the " + std::to_string(kMaxHeadDim) +
                                        " this driver implements");
  if (a.batch * a.heads > kMax)
    throw Error(CC_ERR_UNSUPPORTED, "attention: batch*heads must be below 2^31");
  const auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
  const uint64_t q_elems =
      checked_mul({u(a.batch), u(a.heads), u(a.seq_q), u(a.head_dim)}, "attention: q");
  const uint64_t kv_elems =
      checked_mul({u(a.batch), u(a.heads), u(a.seq_kv), u(a.head_dim)}, "attention: k");
  op.args = {{"q", q_elems * types.in_size, {{0, 7}}},
             {"k", kv_elems * types.in_size, {{0, 8}}},
             {"v", kv_elems * types.in_size, {{0, 9}}},
             {"o", q_elems * types.acc_size, {{0, 10}}, true}};

  const int vw = vector_width(rec, types.acc);
  const int dp = static_cast<int>(round_up(static_cast<size_t>(a.head_dim), vw));
  const int bk = 4 * vw;
  const int nvd = dp / vw;
  // Register budget ~16 accumulators: RQ rows x DP/VW output vectors.
  const int rq = rec.is_cpu ? std::clamp(16 / nvd, 1, 4) : 1;
  const int wq = static_cast<int>(std::min<size_t>(rec.is_cpu ? 8 : 64, rec.max_work_group));
  const uint64_t local = 2 * u(dp) * u(bk) * types.acc_size;
  if (local > rec.local_mem)
    throw Error(CC_ERR_UNSUPPORTED, "attention: head_dim=" + std::to_string(a.head_dim) +
                                        " needs " + std::to_string(local) +
                                        " bytes of local memory; " + rec.label + " has " +
                                        std::to_string(rec.local_mem));
  const bool bshd = a.layout == CC_ATTN_BSHD;
  op.info = std::string("attention.cl attention ") + (bshd ? "bshd " : "bhsd ") +
            dtype_name(types.dtype) + "->" + dtype_name(types.acc) + (a.causal ? " causal" : "") +
            ": online softmax, one work-group per (batch, head, " + std::to_string(rq * wq) +
            " query rows), " + std::to_string(bk) + "-key tiles of K^T and V in local memory, " +
            std::to_string(rq) + " rows per work-item, work-group " + std::to_string(wq) +
            ", vw=" + std::to_string(vw) + ", head_dim padded to " + std::to_string(dp);

  const std::string options = types.options + " -DVW=" + std::to_string(vw) +
                              " -DDP=" + std::to_string(dp) + " -DBK=" + std::to_string(bk) +
                              " -DRQ=" + std::to_string(rq) + " -DWQ=" + std::to_string(wq);
  Step s;
  s.kernel = create_kernel(
      program_for(dev, "attention.cl", with_prelude(kAttentionSource), options), "attention");
  require_group_size(dev, s.kernel, static_cast<size_t>(wq), "attention");
  set_arg(s.kernel, 0, static_cast<cl_int>(a.heads));
  set_arg(s.kernel, 1, static_cast<cl_int>(a.seq_q));
  set_arg(s.kernel, 2, static_cast<cl_int>(a.seq_kv));
  set_arg(s.kernel, 3, static_cast<cl_int>(a.head_dim));
  set_arg(s.kernel, 4, static_cast<cl_int>(a.causal ? 1 : 0));
  set_arg(s.kernel, 5, static_cast<cl_int>(bshd ? 1 : 0));
  set_acc(s.kernel, 6, a.scale, types.acc);
  s.dims = 2;
  const size_t bq = static_cast<size_t>(rq * wq);
  s.local[0] = static_cast<size_t>(wq);
  s.global[0] = (static_cast<size_t>(a.seq_q) + bq - 1) / bq * s.local[0];
  s.global[1] = static_cast<size_t>(a.batch * a.heads);
  op.steps.push_back(std::move(s));
}

}  // namespace chipcert::opencl
