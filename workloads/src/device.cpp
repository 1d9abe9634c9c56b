#include "chipcert/workloads/device.hpp"

#include <cmath>
#include <cstring>
#include <sstream>
#include <utility>

namespace chipcert::workloads {

const char* status_name(cc_status s) {
  switch (s) {
    case CC_OK:
      return "ok";
    case CC_ERR_UNSUPPORTED:
      return "unsupported";
    case CC_ERR_INVALID_ARGUMENT:
      return "invalid argument";
    case CC_ERR_OUT_OF_MEMORY:
      return "out of memory";
    case CC_ERR_DEVICE:
      return "device error";
    case CC_ERR_INTERNAL:
      return "internal driver error";
  }
  return "unknown status";
}

Buffer& Buffer::operator=(Buffer&& o) noexcept {
  if (this != &o) {
    reset();
    dev_ = std::exchange(o.dev_, nullptr);
    handle_ = std::exchange(o.handle_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
  }
  return *this;
}

void Buffer::reset() {
  if (dev_ && handle_) dev_->driver().free(dev_->handle(), handle_);
  dev_ = nullptr;
  handle_ = nullptr;
  bytes_ = 0;
}

Kernel& Kernel::operator=(Kernel&& o) noexcept {
  if (this != &o) {
    reset();
    dev_ = std::exchange(o.dev_, nullptr);
    handle_ = std::exchange(o.handle_, nullptr);
  }
  return *this;
}

void Kernel::reset() {
  if (dev_ && handle_) dev_->driver().release(dev_->handle(), handle_);
  dev_ = nullptr;
  handle_ = nullptr;
}

Device::Device(const cc_driver_v1& driver, uint32_t index) : driver_(&driver) {
  cc_status s = driver_->open(index, &dev_);
  if (s != CC_OK || dev_ == nullptr) {
    const char* why = driver_->last_error(nullptr);
    throw DriverError(s == CC_OK ? CC_ERR_INTERNAL : s,
                      std::string("open device ") + std::to_string(index) + " of driver " +
                          driver_->name + ": " + (why && *why ? why : status_name(s)));
  }
}

Device::~Device() {
  if (dev_) driver_->close(dev_);
}

void Device::check(cc_status status, const char* what) const {
  if (status == CC_OK) return;
  const char* why = driver_->last_error(dev_);
  std::string msg = std::string(what) + ": " + status_name(status);
  if (why && *why) msg += std::string(": ") + why;
  throw DriverError(status, msg);
}

Buffer Device::alloc(uint64_t bytes) {
  cc_buffer* h = nullptr;
  check(driver_->alloc(dev_, bytes, &h), "alloc");
  return Buffer(this, h, bytes);
}

void Device::write(Buffer& buf, const void* src, uint64_t bytes, uint64_t offset) {
  check(driver_->write(dev_, buf.handle(), offset, src, bytes), "write");
}

void Device::read(Buffer& buf, void* dst, uint64_t bytes, uint64_t offset) {
  check(driver_->read(dev_, buf.handle(), offset, dst, bytes), "read");
}

Kernel Device::prepare(const cc_op_desc& op) {
  cc_kernel* h = nullptr;
  check(driver_->prepare(dev_, &op, &h), "prepare");
  return Kernel(this, h);
}

void Device::launch(Kernel& k, std::span<cc_buffer* const> args) {
  check(driver_->launch(dev_, k.handle(), args.data(), static_cast<uint32_t>(args.size())),
        "launch");
}

void Device::synchronize() {
  check(driver_->synchronize(dev_), "synchronize");
}

double Device::timed_launch(Kernel& k, std::span<cc_buffer* const> args, uint32_t repeat) {
  if (!driver_->timed_launch) throw DriverError(CC_ERR_UNSUPPORTED, "driver has no device timer");
  double seconds = 0;
  check(driver_->timed_launch(dev_, k.handle(), args.data(), static_cast<uint32_t>(args.size()),
                              repeat, &seconds),
        "timed_launch");
  // A device clock that reports nothing, a negative or a non-number would
  // make the timing loop run forever or the figures absurd: that is an error.
  if (!std::isfinite(seconds) || seconds <= 0.0) {
    std::ostringstream m;
    m << "timed_launch: the driver's device timer returned " << seconds << " s for " << repeat
      << " launch(es); expected a positive, finite time";
    throw DriverError(CC_ERR_DEVICE, m.str());
  }
  return seconds;
}

std::string Device::kernel_info(const Kernel& k) const {
  if (!driver_->kernel_info || !k.handle()) return "";
  const char* s = driver_->kernel_info(dev_, k.handle());
  return s ? std::string(s) : std::string();
}

std::optional<cc_sensors> Device::sensors() {
  if (!driver_->read_sensors) return std::nullopt;
  cc_sensors s{};
  s.struct_size = sizeof(s);
  if (driver_->read_sensors(dev_, &s) != CC_OK) return std::nullopt;
  return s;
}

cc_op_desc make_op(cc_op_kind kind, cc_dtype dtype, cc_dtype acc_dtype) {
  cc_op_desc op;
  std::memset(&op, 0, sizeof(op));
  op.struct_size = sizeof(op);
  op.kind = kind;
  op.dtype = dtype;
  op.acc_dtype = acc_dtype;
  return op;
}

}  // namespace chipcert::workloads
