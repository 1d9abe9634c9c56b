#include "op_instance.hpp"

#include <algorithm>
#include <cstring>

#include "chipcert/workloads/dtype.hpp"

namespace chipcert::workloads {

size_t OpInstance::add_input(HostTensor init, bool restore) {
  Arg a;
  a.dtype = init.dtype;
  a.bytes = init.bytes.size();
  a.init = std::move(init);
  a.restore = restore;
  args_.push_back(std::move(a));
  return args_.size() - 1;
}

size_t OpInstance::add_output(cc_dtype dtype, size_t n) {
  Arg a;
  a.dtype = dtype;
  a.bytes = n * dtype_size(dtype);
  a.output = true;
  args_.push_back(std::move(a));
  return args_.size() - 1;
}

void OpInstance::prepare(Device& dev, const cc_op_desc& op) {
  dev_ = &dev;
  handles_.clear();
  for (auto& a : args_) {
    a.buf = dev.alloc(a.bytes);
    if (!a.output && a.bytes) dev.write(a.buf, a.init.bytes.data(), a.bytes);
    handles_.push_back(a.buf.handle());
  }
  kernel_ = dev.prepare(op);
}

std::vector<std::vector<double>> OpInstance::run_once(std::initializer_list<size_t> read_back) {
  for (auto& a : args_) {
    if (a.restore && a.bytes) dev_->write(a.buf, a.init.bytes.data(), a.bytes);
    if (a.output && a.bytes) {
      // 0x7f bytes: NaN in fp16, ~3.4e38 in fp32 / bf16, 2^31-ish in int32.
      // The staging buffer is kept: big fresh allocations cost page faults.
      if (staging_.size() < a.bytes) staging_.resize(a.bytes);
      std::fill(staging_.begin(), staging_.begin() + static_cast<ptrdiff_t>(a.bytes),
                std::byte{0x7f});
      dev_->write(a.buf, staging_.data(), a.bytes);
    }
  }
  dev_->launch(kernel_, handles_);
  dev_->synchronize();
  std::vector<std::vector<double>> out;
  for (size_t i : read_back) {
    Arg& a = args_.at(i);
    if (staging_.size() < a.bytes) staging_.resize(a.bytes);
    if (a.bytes) dev_->read(a.buf, staging_.data(), a.bytes);
    out.push_back(decode(a.dtype, std::span<const std::byte>(staging_.data(), a.bytes)));
  }
  return out;
}

void OpInstance::enqueue() {
  dev_->launch(kernel_, handles_);
}

std::optional<double> OpInstance::device_time(uint32_t repeat) {
  if (!dev_->has_device_timer()) return std::nullopt;
  return dev_->timed_launch(kernel_, handles_, repeat);
}

nlohmann::json OpInstance::details() const {
  return {{"implementation", dev_ ? dev_->kernel_info(kernel_) : std::string()}};
}

std::string dtype_list(std::initializer_list<cc_dtype> allowed) {
  std::string out;
  size_t i = 0;
  for (cc_dtype d : allowed) {
    if (i > 0) out += (i + 1 == allowed.size()) ? " or " : ", ";
    out += dtype_name(d);
    ++i;
  }
  return out;
}

void require_dtype(std::string_view workload, cc_dtype dtype,
                   std::initializer_list<cc_dtype> allowed) {
  for (cc_dtype d : allowed)
    if (d == dtype) return;
  throw SpecError(std::string(workload) + ": dtype " + dtype_name(dtype) +
                  " is not supported (expected " + dtype_list(allowed) + ")");
}

}  // namespace chipcert::workloads
