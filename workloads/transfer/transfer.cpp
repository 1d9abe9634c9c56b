// Host <-> device transfer bandwidth: one blocking driver write() (h2d) or
// read() (d2h) of `bytes` seeded bytes per iteration. The driver chooses its
// staging (pinned or not); what is timed is what a framework's copy pays.
//
// Verification: the transferred bytes must equal the seeded source exactly.
// h2d poisons the device buffer, writes, and reads back; d2h poisons the
// host destination and reads. The dtype is not used (transfers move bytes).

#include <sstream>

#include "../src/builtin.hpp"
#include "chipcert/workloads/random.hpp"

namespace chipcert::workloads {
namespace {

std::vector<std::byte> seeded_bytes(size_t n, uint64_t seed) {
  std::vector<std::byte> out(n);
  for (size_t w = 0; w * 8 < n; ++w) {
    const uint64_t bits = random_bits(seed, 50, w);
    for (size_t b = 0; b < 8 && w * 8 + b < n; ++b)
      out[w * 8 + b] = static_cast<std::byte>((bits >> (8 * b)) & 0xff);
  }
  return out;
}

class TransferInstance final : public Instance {
 public:
  TransferInstance(bool to_device, uint64_t bytes) : to_device_(to_device), bytes_(bytes) {}

  void setup(Device& dev, uint64_t seed) override {
    dev_ = &dev;
    source_ = seeded_bytes(bytes_, seed);
    host_.assign(bytes_, std::byte{0});
    buf_ = dev.alloc(bytes_);
    // Both directions start from the seeded contents on the device (for h2d
    // this also touches the pages, so the first timed write pays no faults).
    dev.write(buf_, source_.data(), bytes_);
  }

  VerifyResult verify() override {
    const std::vector<std::byte> poison(bytes_, std::byte{0x5a});
    if (to_device_) {
      dev_->write(buf_, poison.data(), bytes_);
      dev_->write(buf_, source_.data(), bytes_);  // the measured transfer
      dev_->read(buf_, host_.data(), bytes_);
    } else {
      host_ = poison;
      dev_->read(buf_, host_.data(), bytes_);  // the measured transfer
    }
    return compare_exact_bytes(source_, host_);
  }

  void enqueue() override {
    if (to_device_)
      dev_->write(buf_, source_.data(), bytes_);
    else
      dev_->read(buf_, host_.data(), bytes_);
  }

  Work work() const override {
    return {.flop = 0, .bytes = static_cast<double>(bytes_), .items = 0};
  }

  nlohmann::json details() const override {
    return {{"implementation", to_device_ ? "driver write()" : "driver read()"}};
  }

 private:
  bool to_device_;
  uint64_t bytes_;
  Device* dev_ = nullptr;
  std::vector<std::byte> source_, host_;
  Buffer buf_;
};

class TransferWorkload final : public Workload {
 public:
  explicit TransferWorkload(bool to_device) : to_device_(to_device) {}
  std::string_view name() const override { return to_device_ ? "transfer_h2d" : "transfer_d2h"; }
  std::string_view category() const override { return "micro"; }
  std::string_view description() const override {
    return to_device_ ? "Host-to-device copy bandwidth (blocking driver write)"
                      : "Device-to-host copy bandwidth (blocking driver read)";
  }
  std::string label(const nlohmann::json& p) const override {
    return "bytes" + std::to_string(p.value("bytes", kDefaultBytes));
  }
  std::unique_ptr<Instance> instantiate(const CaseSpec& spec) const override {
    check_known_params(spec.parameters, {"bytes"}, name());
    const int64_t bytes = param_int(spec.parameters, "bytes", kDefaultBytes, 1, int64_t{1} << 36);
    return std::make_unique<TransferInstance>(to_device_, static_cast<uint64_t>(bytes));
  }

 private:
  static constexpr int64_t kDefaultBytes = int64_t{1} << 26;
  bool to_device_;
};

}  // namespace

const Workload& transfer_workload(bool to_device) {
  static const TransferWorkload h2d(true), d2h(false);
  return to_device ? h2d : d2h;
}

}  // namespace chipcert::workloads
