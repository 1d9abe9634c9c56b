#pragma once
// The workloads compiled into chipcert; registry.cpp lists them in order.
// Each lives in workloads/<name>/ and returns an immutable singleton.

#include "chipcert/workloads/workload.hpp"

namespace chipcert::workloads {
const Workload& gemm_workload();
const Workload& stream_workload(cc_op_kind op);
const Workload& launch_latency_workload();
}  // namespace chipcert::workloads
