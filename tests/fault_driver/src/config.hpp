#pragma once
/// Fault selection for the fault-injection driver, read from CHIPCERT_FAULT*
/// environment variables (see ../README.md). Read afresh by every ABI call
/// that acts on it, so a test can change the fault between calls.

#include <chipcert/driver.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace chipcert::fault {

/// A failure that crosses the ABI as a status plus the message.
class FaultError : public std::runtime_error {
 public:
  FaultError(cc_status status, const std::string& what)
      : std::runtime_error(what), status_(status) {}
  cc_status status() const { return status_; }

 private:
  cc_status status_;
};

enum class Mode {
  none,
  wrong,
  ulp,
  zeros,
  nan,
  error,
  prepare_error,
  alloc_fail,
  open_fail,
  hang,
  segv,
  abort,
  leak,
  slow,
  absurd_info,
  unterminated_info,
  huge_count,
  enumerate_error,
  wrong_after,
  flaky_timer,
  oversize,
};

/// CC_OP_KIND_COUNT_ stands for "any op".
inline constexpr uint32_t kAnyOp = CC_OP_KIND_COUNT_;
/// Devices the driver reports unless CHIPCERT_FAULT_DEVICES says otherwise.
inline constexpr uint32_t kMaxDevices = 16;

struct Config {
  Mode mode = Mode::none;
  uint32_t op = kAnyOp;            ///< CHIPCERT_FAULT_OP as a cc_op_kind, or kAnyOp
  uint64_t after = 0;              ///< CHIPCERT_FAULT_AFTER (wrong_after defaults to 1)
  std::optional<double> arg;       ///< CHIPCERT_FAULT_ARG, finite and >= 0
  std::optional<uint32_t> device;  ///< CHIPCERT_FAULT_DEVICE: only this index faults
  uint32_t devices = 1;            ///< CHIPCERT_FAULT_DEVICES, 1..kMaxDevices

  /// True when the fault applies to device `index`.
  bool on_device(uint32_t index) const { return !device || *device == index; }
  /// True when the fault applies to ops of `kind`.
  bool on_op(uint32_t kind) const { return op == kAnyOp || op == kind; }
};

/// Parse the environment. Throws FaultError(CC_ERR_INVALID_ARGUMENT) naming
/// the variable, the value found and what was expected.
Config read_config();

/// "gemm", "stream_triad", ... for a cc_op_kind; nullptr when out of range.
const char* op_kind_name(uint32_t kind);

}  // namespace chipcert::fault
