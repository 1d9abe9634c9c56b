#pragma once
// The workloads compiled into chipcert; registry.cpp lists them in order.
// Each lives in workloads/<folder>/ and returns an immutable singleton.

#include "chipcert/workloads/workload.hpp"

namespace chipcert::workloads {
const Workload& peak_workload();
const Workload& stream_workload(cc_op_kind op);
const Workload& transfer_workload(bool to_device);
const Workload& launch_latency_workload();
const Workload& gemm_workload();
const Workload& conv2d_workload();
const Workload& attention_workload();
const Workload& layernorm_workload(bool backward);
/// 0: softmax, 1: softmax_backward, 2: softmax_xent.
const Workload& softmax_workload(int which);
/// CC_OP_GELU, CC_OP_ADD, CC_OP_MUL or CC_OP_GELU_BACKWARD.
const Workload& eltwise_workload(cc_op_kind op);
const Workload& adamw_workload();
const Workload& mlp_train_workload();
const Workload& transformer_train_workload();
/// bert_block (false) or gpt_decode (true).
const Workload& transformer_block_workload(bool decode);
}  // namespace chipcert::workloads
