// Row-wise ops: layernorm (+backward), softmax (+backward, causal),
// softmax cross-entropy. One work-group per row with a local-memory tree for
// the row's reductions (kernels/rows.cl).
#include "kernel_sources.hpp"
#include "ops.hpp"
#include "ops_common.hpp"

#include <algorithm>

namespace chipcert::opencl {

void prepare_rows(Device& dev, const cc_op_desc& desc, Op& op) {
  const DeviceRecord& rec = *dev.rec;
  const bool forward = desc.kind == CC_OP_LAYERNORM || desc.kind == CC_OP_SOFTMAX;
  // Forward ops read dtype inputs; the backward ops and cross-entropy are all acc_dtype.
  const Types types =
      op_types(rec, desc, Allowed{.f64 = true, .f16 = forward, .bf16 = forward, .i8 = false});
  const char* what = op_name(desc.kind);
  const cc_rows_params& p = desc.u.rows;
  require_range(what, "rows", p.rows, desc.kind == CC_OP_SOFTMAX_XENT ? 1 : 0, int64_t{1} << 32);
  require_range(what, "cols", p.cols, 1, int64_t{1} << 40);
  const bool causal = desc.kind == CC_OP_SOFTMAX && p.causal != 0;
  if (causal) require_range(what, "seq_q (causal)", p.seq_q, 1, int64_t{1} << 40);
  const auto rows = static_cast<uint64_t>(p.rows), cols = static_cast<uint64_t>(p.cols);
  const uint64_t in = checked_mul({rows, cols, types.in_size}, what);
  const uint64_t mat = checked_mul({rows, cols, types.acc_size}, what);
  const uint64_t row_vec = rows * types.acc_size, col_vec = cols * types.acc_size;
  const uint64_t col_in = cols * types.in_size;
  // Buffers follow the scalar arguments: 3 for most, 5 for softmax.
  switch (desc.kind) {
    case CC_OP_LAYERNORM:
      op.args = {{"x", in, {{0, 3}}},
                 {"gamma", col_in, {{0, 4}}},
                 {"beta", col_in, {{0, 5}}},
                 {"y", mat, {{0, 6}}, true},
                 {"mean", row_vec, {{0, 7}}, true},
                 {"rstd", row_vec, {{0, 8}}, true}};
      break;
    case CC_OP_SOFTMAX:
      op.args = {{"x", in, {{0, 5}}}, {"y", mat, {{0, 6}}, true}};
      break;
    case CC_OP_SOFTMAX_BACKWARD:
      op.args = {{"y", mat, {{0, 3}}}, {"dy", mat, {{0, 4}}}, {"dx", mat, {{0, 5}}, true}};
      break;
    case CC_OP_SOFTMAX_XENT:
      op.args = {{"logits", mat, {{0, 3}}},
                 {"labels", rows * 4, {{0, 4}}},
                 {"loss", types.acc_size, {{1, 2}}, true},
                 {"dlogits", mat, {{0, 6}}, true}};
      break;
    default:  // layernorm backward: step 0 (dx per row), step 1 (column sums)
      op.args = {{"x", mat, {{0, 2}, {1, 2}}},        {"gamma", col_vec, {{0, 3}}},
                 {"mean", row_vec, {{0, 4}, {1, 3}}}, {"rstd", row_vec, {{0, 5}, {1, 4}}},
                 {"dy", mat, {{0, 6}, {1, 5}}},       {"dx", mat, {{0, 7}}, true},
                 {"dgamma", col_vec, {{1, 6}}, true}, {"dbeta", col_vec, {{1, 7}}, true}};
      break;
  }
  const int vw = vector_width(rec, types.acc);
  size_t wgs = rec.is_cpu ? 16 : 256;
  while (wgs > rec.max_work_group) wgs /= 2;
  const size_t chunk = round_up((static_cast<size_t>(p.cols) + wgs - 1) / wgs, vw);
  op.info = std::string("rows.cl ") + what + " " + dtype_name(types.dtype) + "->" +
            dtype_name(types.acc) + ": one work-group of " + std::to_string(wgs) + " per row, " +
            std::to_string(chunk) + " contiguous columns per work-item in " + std::to_string(vw) +
            "-wide vectors, tree reductions in local memory" +
            (desc.kind == CC_OP_SOFTMAX_XENT ? ", then one work-group averages the row losses"
             : desc.kind == CC_OP_LAYERNORM_BACKWARD
                 ? ", then dgamma/dbeta column sums (one work-item per vector of columns)"
                 : "");
  if (p.rows == 0) return;

  const std::string options =
      types.options + " -DVW=" + std::to_string(vw) + " -DWGS=" + std::to_string(wgs);
  const cl_program program = program_for(dev, "rows.cl", with_prelude(kRowsSource), options);
  const char* kernel = desc.kind == CC_OP_LAYERNORM_BACKWARD ? "layernorm_backward_dx" : what;
  Step s;
  s.kernel = create_kernel(program, kernel);
  require_group_size(dev, s.kernel, wgs, what);
  set_arg(s.kernel, 0, static_cast<cl_long>(p.cols));
  set_arg(s.kernel, 1, static_cast<cl_long>(chunk));
  if (desc.kind == CC_OP_LAYERNORM) set_acc(s.kernel, 2, p.eps, types.acc);
  if (desc.kind == CC_OP_SOFTMAX || desc.kind == CC_OP_SOFTMAX_BACKWARD)
    set_acc(s.kernel, 2, p.scale, types.acc);
  if (desc.kind == CC_OP_SOFTMAX) {
    set_arg(s.kernel, 3, static_cast<cl_int>(causal ? 1 : 0));
    set_arg(s.kernel, 4, static_cast<cl_long>(causal ? p.seq_q : 1));
  }
  s.local[0] = wgs;
  s.global[0] = static_cast<size_t>(p.rows) * wgs;
  if (desc.kind == CC_OP_SOFTMAX_XENT) {
    set_arg(s.kernel, 2, static_cast<cl_long>(p.rows));
    const cl_mem partial = make_scratch(dev, op, row_vec, "cross-entropy row losses");
    set_arg(s.kernel, 5, partial);
    Step fin;
    fin.kernel = create_kernel(program, "mean_of_partials");
    set_arg(fin.kernel, 0, static_cast<cl_long>(p.rows));
    set_arg(fin.kernel, 1, partial);
    fin.local[0] = fin.global[0] = wgs;
    op.steps.push_back(std::move(s));
    op.steps.push_back(std::move(fin));
    return;
  }
  op.steps.push_back(std::move(s));
  if (desc.kind == CC_OP_LAYERNORM_BACKWARD) {
    Step cs;
    cs.kernel = create_kernel(program, "layernorm_backward_dparams");
    set_arg(cs.kernel, 0, static_cast<cl_long>(p.rows));
    set_arg(cs.kernel, 1, static_cast<cl_long>(p.cols));
    const size_t items = (static_cast<size_t>(p.cols) + vw - 1) / vw;
    cs.local[0] = std::min<size_t>(16, rec.max_work_group);
    cs.global[0] = round_up(items, cs.local[0]);
    op.steps.push_back(std::move(cs));
  }
}

}  // namespace chipcert::opencl
