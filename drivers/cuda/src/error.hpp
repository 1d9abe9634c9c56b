// The CUDA driver's one exception type. Everything below the ABI boundary
// throws it; driver.cpp turns it into a cc_status and last_error.
#pragma once

#include <chipcert/driver.h>

#include <stdexcept>
#include <string>

namespace chipcert::cuda {

/// A failure with the status the ABI reports and a message naming the call,
/// the argument or the requirement that failed.
class Error : public std::runtime_error {
 public:
  Error(cc_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  cc_status status() const noexcept { return status_; }

 private:
  cc_status status_;
};

}  // namespace chipcert::cuda
