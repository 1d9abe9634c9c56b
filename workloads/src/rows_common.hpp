#pragma once
// Parameters shared by the row-wise workloads (layernorm, softmax and their
// backward passes, cross-entropy): `rows` x `cols` plus per-op extras.

#include <sstream>
#include <string>

#include "chipcert/workloads/workload.hpp"

namespace chipcert::workloads {

/// rows and cols (both required, >= 1).
inline cc_rows_params parse_rows(const nlohmann::json& p) {
  cc_rows_params r{};
  r.rows = param_int(p, "rows", std::nullopt, 1, int64_t{1} << 32);
  r.cols = param_int(p, "cols", std::nullopt, 1, int64_t{1} << 28);
  return r;
}

/// "r<rows>_c<cols>" plus every other parameter as _<key><value>, in key order.
inline std::string rows_label(const nlohmann::json& p) {
  std::ostringstream s;
  s << "r" << p.value("rows", 0) << "_c" << p.value("cols", 0);
  for (const auto& [key, value] : p.items()) {
    if (key == "rows" || key == "cols") continue;
    s << "_" << key;
    if (value.is_boolean())
      s << (value.get<bool>() ? "" : "0");
    else
      s << value.dump();
  }
  return s.str();
}

}  // namespace chipcert::workloads
