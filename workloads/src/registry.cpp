#include <array>

#include "builtin.hpp"

namespace chipcert::workloads {

std::span<const Workload* const> all_workloads() {
  // An explicit table: adding a workload is adding its folder and one line here.
  // Order: micro, kernels, backward / training kernels, training, inference.
  static const std::array<const Workload*, 26> table{
      &peak_workload(),
      &stream_workload(CC_OP_STREAM_COPY),
      &stream_workload(CC_OP_STREAM_MUL),
      &stream_workload(CC_OP_STREAM_ADD),
      &stream_workload(CC_OP_STREAM_TRIAD),
      &stream_workload(CC_OP_STREAM_DOT),
      &transfer_workload(true),
      &transfer_workload(false),
      &launch_latency_workload(),
      &gemm_workload(),
      &conv2d_workload(),
      &attention_workload(),
      &layernorm_workload(false),
      &softmax_workload(0),
      &eltwise_workload(CC_OP_GELU),
      &eltwise_workload(CC_OP_ADD),
      &eltwise_workload(CC_OP_MUL),
      &eltwise_workload(CC_OP_GELU_BACKWARD),
      &layernorm_workload(true),
      &softmax_workload(1),
      &softmax_workload(2),
      &adamw_workload(),
      &mlp_train_workload(),
      &transformer_train_workload(),
      &transformer_block_workload(false),
      &transformer_block_workload(true),
  };
  return table;
}

const Workload* find_workload(std::string_view name) {
  for (const Workload* w : all_workloads())
    if (w->name() == name) return w;
  return nullptr;
}

}  // namespace chipcert::workloads
