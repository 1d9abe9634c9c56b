#pragma once
/// C++ ownership over the C driver ABI. Workloads are written once against
/// these types; they turn every failed status into a DriverError carrying the
/// driver's own last_error text, so the runner can record it as a case row.

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

#include "chipcert/driver.h"

namespace chipcert::workloads {

/// A driver call failed. status() tells Unsupported apart from real errors.
class DriverError : public std::runtime_error {
 public:
  DriverError(cc_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  cc_status status() const { return status_; }

 private:
  cc_status status_;
};

/// "ok", "unsupported", "invalid argument", ... for messages.
const char* status_name(cc_status s);

class Device;

/// Device memory, freed on destruction. Move-only.
class Buffer {
 public:
  Buffer() = default;
  Buffer(Device* dev, cc_buffer* handle, uint64_t bytes)
      : dev_(dev), handle_(handle), bytes_(bytes) {}
  Buffer(Buffer&& o) noexcept { *this = std::move(o); }
  Buffer& operator=(Buffer&& o) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { reset(); }

  cc_buffer* handle() const { return handle_; }
  uint64_t bytes() const { return bytes_; }
  void reset();

 private:
  Device* dev_ = nullptr;
  cc_buffer* handle_ = nullptr;
  uint64_t bytes_ = 0;
};

/// A prepared op, released on destruction. Move-only.
class Kernel {
 public:
  Kernel() = default;
  Kernel(Device* dev, cc_kernel* handle) : dev_(dev), handle_(handle) {}
  Kernel(Kernel&& o) noexcept { *this = std::move(o); }
  Kernel& operator=(Kernel&& o) noexcept;
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;
  ~Kernel() { reset(); }

  cc_kernel* handle() const { return handle_; }
  void reset();

 private:
  Device* dev_ = nullptr;
  cc_kernel* handle_ = nullptr;
};

/// An open device of one driver. Not thread-safe (the ABI forbids concurrent
/// calls on one device). Buffers and kernels must not outlive it.
class Device {
 public:
  /// Opens device `index` of `driver`; throws DriverError on failure.
  Device(const cc_driver_v1& driver, uint32_t index);
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  const cc_driver_v1& driver() const { return *driver_; }
  cc_device* handle() const { return dev_; }

  Buffer alloc(uint64_t bytes);
  void write(Buffer& buf, const void* src, uint64_t bytes, uint64_t offset = 0);
  void read(Buffer& buf, void* dst, uint64_t bytes, uint64_t offset = 0);
  Kernel prepare(const cc_op_desc& op);
  void launch(Kernel& k, std::span<cc_buffer* const> args);
  void synchronize();
  /// True when the driver measures time with its own clock.
  bool has_device_timer() const { return driver_->timed_launch != nullptr; }
  /// Device-timed `repeat` back-to-back launches (seconds); needs has_device_timer().
  double timed_launch(Kernel& k, std::span<cc_buffer* const> args, uint32_t repeat);
  /// The driver's one-line description of how it implements `k` (its
  /// optional kernel_info), or "" when the driver has none.
  std::string kernel_info(const Kernel& k) const;
  /// Sensor reading, or nullopt when the driver has no sensors.
  std::optional<cc_sensors> sensors();

  /// Throws DriverError(status, "<what>: <last_error>") unless status is CC_OK.
  void check(cc_status status, const char* what) const;

 private:
  const cc_driver_v1* driver_;
  cc_device* dev_ = nullptr;
};

/// A zero-initialised descriptor with struct_size set.
cc_op_desc make_op(cc_op_kind kind, cc_dtype dtype, cc_dtype acc_dtype);

}  // namespace chipcert::workloads
