// Launch latency: an empty kernel, launched and waited for, one at a time.
// What a small inference kernel pays before doing any work. Verification is
// that the driver accepted and completed every launch (the op has no output).

#include "../src/builtin.hpp"

namespace chipcert::workloads {
namespace {

class LaunchInstance final : public Instance {
 public:
  void setup(Device& dev, uint64_t /*seed*/) override {
    dev_ = &dev;
    kernel_ = dev.prepare(make_op(CC_OP_NOOP, CC_DTYPE_F32, CC_DTYPE_F32));
  }
  VerifyResult verify() override {
    dev_->launch(kernel_, {});
    dev_->synchronize();
    VerifyResult r;
    r.passed = true;
    r.method = "completion";
    r.tolerance = "launch and synchronize return CC_OK";
    r.checked = 1;
    return r;
  }
  void enqueue() override { dev_->launch(kernel_, {}); }
  Work work() const override { return {.flop = 0, .bytes = 0, .items = 1}; }
  nlohmann::json details() const override {
    return {{"implementation", dev_ ? dev_->kernel_info(kernel_) : std::string()}};
  }

 private:
  Device* dev_ = nullptr;
  Kernel kernel_;
};

class LaunchWorkload final : public Workload {
 public:
  std::string_view name() const override { return "launch_latency"; }
  std::string_view category() const override { return "micro"; }
  std::string_view description() const override {
    return "Empty kernel launched and synchronized: host-observed launch round trip";
  }
  std::unique_ptr<Instance> instantiate(const CaseSpec& spec) const override {
    check_known_params(spec.parameters, {}, name());
    return std::make_unique<LaunchInstance>();
  }
};

}  // namespace

const Workload& launch_latency_workload() {
  static const LaunchWorkload w;
  return w;
}

}  // namespace chipcert::workloads
