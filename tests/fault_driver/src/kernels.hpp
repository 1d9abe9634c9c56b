#pragma once
/// The fault driver's honest half: op validation and plain reference loops
/// for the ops the suites use (noop, GEMM, STREAM; fp32 and fp64), plus
/// element access to the output so faults can be applied after a correct run.

#include <chipcert/driver.h>

#include <cstdint>
#include <vector>

#include "config.hpp"

namespace chipcert::fault {

/// A prepared op: the validated descriptor and what launch must receive.
struct Plan {
  cc_op_desc op{};                  ///< private copy; GEMM batch normalised to >= 1
  std::vector<uint64_t> arg_bytes;  ///< minimum size of each argument, in ABI order
  int output = -1;                  ///< index of the output argument, -1 for none (noop)
  uint64_t outputs = 0;             ///< logical output elements
};

/// Validate `op` and size its arguments. Throws FaultError with
/// CC_ERR_UNSUPPORTED (op kind or dtype not implemented) or
/// CC_ERR_INVALID_ARGUMENT (bad shape), naming the field.
Plan plan_op(const cc_op_desc& op);

/// Run the op on host memory: data[i] is argument i, already size-checked.
void run(const Plan& plan, void* const* data);

/// Logical output element `i` (row-major over batch, rows, columns for GEMM)
/// as stored in the output buffer `out`, widened to double.
double get_output(const Plan& plan, const void* out, uint64_t i);
/// Store `v` (rounded to the output dtype) as logical output element `i`.
void set_output(const Plan& plan, void* out, uint64_t i, double v);
/// Move logical output element `i` one ulp away from zero in its own dtype
/// (an exact zero stays zero).
void nudge_output(const Plan& plan, void* out, uint64_t i);
/// The element a single-element fault hits by default: the middle of a
/// STREAM array; for GEMM the middle column of row 0 of the middle matrix of
/// the batch (row 0 because verifiers that sample rows always check it).
uint64_t default_output_index(const Plan& plan);

}  // namespace chipcert::fault
