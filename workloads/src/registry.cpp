#include <array>

#include "builtin.hpp"

namespace chipcert::workloads {

std::span<const Workload* const> all_workloads() {
  // An explicit table: adding a workload is adding its folder and one line here.
  static const std::array<const Workload*, 7> table{
      &gemm_workload(),
      &stream_workload(CC_OP_STREAM_COPY),
      &stream_workload(CC_OP_STREAM_MUL),
      &stream_workload(CC_OP_STREAM_ADD),
      &stream_workload(CC_OP_STREAM_TRIAD),
      &stream_workload(CC_OP_STREAM_DOT),
      &launch_latency_workload(),
  };
  return table;
}

const Workload* find_workload(std::string_view name) {
  for (const Workload* w : all_workloads())
    if (w->name() == name) return w;
  return nullptr;
}

}  // namespace chipcert::workloads
