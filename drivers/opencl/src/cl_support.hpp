// Internal helpers of the OpenCL driver: RAII handles, the error type that
// travels to the ABI boundary, and typed clGet*Info wrappers. Never included
// outside drivers/opencl/.
#pragma once

#include <CL/cl.h>
#include <CL/cl_ext.h>

#include <chipcert/driver.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace chipcert::opencl {

/// A failure with the cc_status it maps to. Thrown inside the driver and
/// caught at the ABI boundary (driver.cpp), which stores what() in last_error.
class Error : public std::runtime_error {
 public:
  Error(cc_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  cc_status status() const noexcept { return status_; }

 private:
  cc_status status_;
};

/// Symbolic name of an OpenCL error code ("CL_OUT_OF_RESOURCES"), or the number.
std::string cl_error_name(cl_int code);

/// Maps an OpenCL error code to the cc_status a caller can act on.
cc_status status_of(cl_int code) noexcept;

/// Throws Error(status_of(code), "<what>: <name>") unless code is CL_SUCCESS.
void check(cl_int code, const char* what);

/// Owning, move-only wrapper of an OpenCL object released with `Release`.
template <typename H, cl_int (*Release)(H)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(H h) noexcept : h_(h) {}
  Handle(Handle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) reset(std::exchange(o.h_, nullptr));
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  H get() const noexcept { return h_; }
  explicit operator bool() const noexcept { return h_ != nullptr; }
  void reset(H h = nullptr) noexcept {
    if (h_ != nullptr) Release(h_);  // release errors are not actionable
    h_ = h;
  }

 private:
  H h_ = nullptr;
};

using Context = Handle<cl_context, clReleaseContext>;
using Queue = Handle<cl_command_queue, clReleaseCommandQueue>;
using Mem = Handle<cl_mem, clReleaseMemObject>;
using Program = Handle<cl_program, clReleaseProgram>;
using Kernel = Handle<cl_kernel, clReleaseKernel>;
using Event = Handle<cl_event, clReleaseEvent>;

/// clGetDeviceInfo / clGetPlatformInfo for a string; trailing NULs and spaces stripped.
std::string device_string(cl_device_id d, cl_device_info param);
std::string platform_string(cl_platform_id p, cl_platform_info param);

/// clGetDeviceInfo for a fixed-size value.
template <typename V>
V device_value(cl_device_id d, cl_device_info param) {
  V v{};
  check(clGetDeviceInfo(d, param, sizeof v, &v, nullptr), "clGetDeviceInfo");
  return v;
}

/// True if the space-separated extension list contains `name` as a whole token.
bool has_extension(const std::string& extensions, const std::string& name);

}  // namespace chipcert::opencl
