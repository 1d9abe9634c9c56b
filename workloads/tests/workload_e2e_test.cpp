// Every workload end to end on the test-only reference driver: a correct
// device passes, one ulp off passes, a wrong element fails, all zeros is never
// passed, an unsupported op is reported as such; the same seed uploads
// bit-identical inputs and a different seed different ones.

#include <gtest/gtest.h>

#include <string>

#include "allocation_counter.hpp"
#include "chipcert/workloads/workload.hpp"
#include "reference_driver.hpp"

namespace cw = chipcert::workloads;
namespace ct = chipcert::workloads::testing;
using nlohmann::json;

namespace {

struct Case {
  std::string workload;
  cc_dtype dtype;
  json params;
  bool has_output = true;  // false: nothing for a fault to corrupt
  bool exact = false;      // bound 0: one ulp off must fail
};

std::vector<Case> cases() {
  const json conv{{"n", 2}, {"c", 4}, {"h", 7}, {"w", 6}, {"k", 6}, {"r", 3}, {"s", 2}};
  json conv_all = conv;
  conv_all.update(
      json{{"layout", "nhwc"}, {"stride_h", 2}, {"pad", 1}, {"dilation_w", 2}, {"groups", 2}});
  json conv_grouped_nchw = conv_all;
  conv_grouped_nchw["layout"] = "nchw";
  std::vector<Case> out{
      {"peak", CC_DTYPE_F64, {{"n", 64}, {"iterations", 300}}},
      {"peak", CC_DTYPE_F32, {{"n", 64}, {"iterations", 3000}}},
      {"peak", CC_DTYPE_F16, {{"n", 64}, {"iterations", 300}}},
      {"peak", CC_DTYPE_BF16, {{"n", 64}, {"iterations", 300}}},
      {"peak", CC_DTYPE_I8, {{"n", 64}, {"iterations", 300}}, true, true},
      {"stream_copy", CC_DTYPE_F32, {{"n", 1000}}, true, true},
      {"stream_mul", CC_DTYPE_F32, {{"n", 1000}}},
      {"stream_add", CC_DTYPE_BF16, {{"n", 1000}}},
      {"stream_triad", CC_DTYPE_F64, {{"n", 1000}}},
      {"stream_dot", CC_DTYPE_F32, {{"n", 1000}}},
      {"transfer_h2d", CC_DTYPE_I8, {{"bytes", 1001}}, false},
      {"transfer_d2h", CC_DTYPE_I8, {{"bytes", 1001}}, false},
      {"launch_latency", CC_DTYPE_F32, json::object(), false},
      {"gemm", CC_DTYPE_F32, {{"m", 9}, {"n", 7}, {"k", 13}}},
      {"gemm", CC_DTYPE_F64, {{"m", 9}, {"n", 7}, {"k", 13}, {"trans_a", true}, {"trans_b", true}}},
      {"gemm", CC_DTYPE_BF16, {{"m", 9}, {"n", 7}, {"k", 13}, {"alpha", 0.5}, {"beta", -1.5}}},
      {"gemm", CC_DTYPE_F16, {{"m", 5}, {"n", 7}, {"k", 13}, {"batch", 3}, {"ldc", 9}}},
      {"gemm", CC_DTYPE_TF32, {{"m", 5}, {"n", 7}, {"k", 13}, {"batch", 3}, {"stride_b", 0}}},
      {"gemm", CC_DTYPE_I8, {{"m", 9}, {"n", 7}, {"k", 13}, {"trans_b", true}}, true, true},
      {"conv2d", CC_DTYPE_F32, conv},
      {"conv2d", CC_DTYPE_BF16, conv_all},
      {"conv2d", CC_DTYPE_F64, conv_grouped_nchw},
      {"conv2d", CC_DTYPE_I8, conv_all, true, true},
      {"attention", CC_DTYPE_F32, {{"batch", 2}, {"heads", 2}, {"seq_q", 9}, {"head_dim", 8}}},
      {"attention",
       CC_DTYPE_F16,
       {{"batch", 1},
        {"heads", 3},
        {"seq_q", 5},
        {"seq_kv", 11},
        {"head_dim", 16},
        {"causal", true}}},
      {"attention",
       CC_DTYPE_BF16,
       {{"heads", 2}, {"seq_q", 1}, {"seq_kv", 17}, {"head_dim", 8}, {"causal", true}}},
      {"layernorm", CC_DTYPE_F32, {{"rows", 7}, {"cols", 33}}},
      {"layernorm", CC_DTYPE_BF16, {{"rows", 7}, {"cols", 33}, {"eps", 1e-3}}},
      {"softmax", CC_DTYPE_F32, {{"rows", 7}, {"cols", 33}, {"scale", 0.5}}},
      {"softmax", CC_DTYPE_F16, {{"rows", 12}, {"cols", 9}, {"causal", true}, {"seq_q", 4}}},
      {"gelu", CC_DTYPE_F32, {{"n", 500}}},
      {"gelu", CC_DTYPE_BF16, {{"n", 500}}},
      {"add", CC_DTYPE_F16, {{"n", 500}}},
      {"mul", CC_DTYPE_F64, {{"n", 500}}},
      {"gelu_backward", CC_DTYPE_F32, {{"n", 500}}},
      {"layernorm_backward", CC_DTYPE_F32, {{"rows", 7}, {"cols", 33}}},
      {"layernorm_backward", CC_DTYPE_F64, {{"rows", 7}, {"cols", 33}}},
      {"softmax_backward", CC_DTYPE_F32, {{"rows", 7}, {"cols", 33}, {"scale", 0.125}}},
      {"softmax_xent", CC_DTYPE_F32, {{"rows", 7}, {"cols", 33}}},
      {"softmax_xent", CC_DTYPE_F64, {{"rows", 7}, {"cols", 33}}},
      {"adamw", CC_DTYPE_F32, {{"n", 500}}},
      {"adamw", CC_DTYPE_F64, {{"n", 500}, {"step", 1}, {"weight_decay", 0.1}}},
      {"mlp_train",
       CC_DTYPE_F32,
       {{"batch", 8},
        {"in", 12},
        {"hidden", 16},
        {"classes", 5},
        {"batches", 2},
        {"max_steps", 5}}},
      {"transformer_train",
       CC_DTYPE_F32,
       {{"seq", 6},
        {"hidden", 8},
        {"heads", 2},
        {"ffn", 12},
        {"classes", 3},
        {"sequences", 2},
        {"max_steps", 3}}},
      {"bert_block",
       CC_DTYPE_F32,
       {{"batch", 2}, {"seq", 5}, {"hidden", 12}, {"heads", 3}, {"ffn", 20}}},
      {"bert_block",
       CC_DTYPE_F32,
       {{"scenario", "single_stream"}, {"seq", 3}, {"hidden", 8}, {"heads", 2}}},
      {"gpt_decode",
       CC_DTYPE_F32,
       {{"batch", 3}, {"context", 6}, {"hidden", 12}, {"heads", 3}, {"ffn", 20}}},
      {"gpt_decode",
       CC_DTYPE_F32,
       {{"scenario", "single_stream"}, {"context", 0}, {"hidden", 8}, {"heads", 1}}},
  };
  return out;
}

std::string name_of(const Case& c) {
  return c.workload + "/" + cw::find_workload(c.workload)->label(c.params) + "/" +
         std::to_string(c.dtype);
}

std::unique_ptr<cw::Instance> instance(const Case& c) {
  return cw::find_workload(c.workload)->instantiate(cw::CaseSpec{c.workload, c.dtype, c.params});
}

cw::VerifyResult run_on(ct::Fault fault, const Case& c, uint64_t seed = 7) {
  cw::Device dev(ct::reference_driver(), static_cast<uint32_t>(fault));
  auto inst = instance(c);
  inst->setup(dev, seed);
  auto r = inst->verify();
  // The timing path must work too, and leave a correct kernel correct.
  inst->enqueue();
  dev.synchronize();
  if (dev.has_device_timer()) (void)inst->device_time(2);
  auto again = inst->verify();
  EXPECT_EQ(again.passed, r.passed) << name_of(c) << ": verify differs after timing";
  return r;
}

}  // namespace

TEST(WorkloadEndToEnd, CoversEveryWorkload) {
  std::set<std::string> covered;
  for (const auto& c : cases()) covered.insert(c.workload);
  for (const auto* w : cw::all_workloads())
    EXPECT_TRUE(covered.count(std::string(w->name()))) << w->name();
}

TEST(WorkloadEndToEnd, CorrectDevicePasses) {
  for (const auto& c : cases()) {
    const auto r = run_on(ct::Fault::None, c);
    EXPECT_TRUE(r.passed) << name_of(c) << ": " << r.reason << " [" << r.tolerance << "]";
    EXPECT_FALSE(r.mistrusted) << name_of(c);
    EXPECT_GT(r.checked, 0u) << name_of(c);
    EXPECT_FALSE(r.tolerance.empty()) << name_of(c);
  }
}

TEST(WorkloadEndToEnd, OneUlpOffPassesUnlessExact) {
  for (const auto& c : cases()) {
    const auto r = run_on(ct::Fault::OneUlp, c);
    if (c.exact && c.dtype != CC_DTYPE_I8)
      EXPECT_FALSE(r.passed) << name_of(c) << " is exact: one ulp off must fail";
    else
      EXPECT_TRUE(r.passed) << name_of(c) << ": " << r.reason << " [" << r.tolerance << "]";
  }
}

TEST(WorkloadEndToEnd, OneWrongElementFails) {
  for (const auto& c : cases()) {
    if (!c.has_output) continue;
    const auto r = run_on(ct::Fault::WrongElement, c);
    EXPECT_FALSE(r.passed) << name_of(c);
    EXPECT_GE(r.mismatches, 1u) << name_of(c);
    EXPECT_FALSE(r.first_mismatches.empty()) << name_of(c);
    EXPECT_FALSE(r.reason.empty()) << name_of(c);
  }
}

TEST(WorkloadEndToEnd, AllZerosIsNeverPassed) {
  int mistrusted = 0;
  for (const auto& c : cases()) {
    if (!c.has_output) continue;
    const auto r = run_on(ct::Fault::Zeros, c);
    EXPECT_FALSE(r.passed) << name_of(c);
    mistrusted += r.mistrusted;
  }
  EXPECT_GT(mistrusted, 20);  // most outputs are not zero-heavy, so zeros are Mistrusted
}

TEST(WorkloadEndToEnd, UnsupportedOpIsReportedAsUnsupported) {
  for (const auto& c : cases()) {
    if (c.workload.rfind("transfer_", 0) == 0) continue;  // transfers prepare no kernel
    cw::Device dev(ct::reference_driver(), static_cast<uint32_t>(ct::Fault::Unsupported));
    auto inst = instance(c);
    try {
      inst->setup(dev, 1);
      ADD_FAILURE() << name_of(c) << ": setup succeeded on a device that supports nothing";
    } catch (const cw::DriverError& e) {
      EXPECT_EQ(e.status(), CC_ERR_UNSUPPORTED) << name_of(c);
      EXPECT_NE(std::string(e.what()).find("supports nothing"), std::string::npos) << e.what();
    }
  }
}

TEST(WorkloadEndToEnd, DetailsNameTheImplementation) {
  for (const auto& c : cases()) {
    cw::Device dev(ct::reference_driver(), 0);
    auto inst = instance(c);
    inst->setup(dev, 1);
    const json d = inst->details();
    ASSERT_TRUE(d.contains("implementation")) << name_of(c);
    EXPECT_FALSE(d["implementation"].get<std::string>().empty()) << name_of(c);
  }
}

namespace {

/// The reference driver with its allocations left out of any count: it
/// computes with vectors, and what a driver does inside launch is the
/// driver's business. What is left is the workload's and the harness's side.
const cc_driver_v1& uncounted_reference_driver() {
  static const cc_driver_v1 table = [] {
    cc_driver_v1 t = ct::reference_driver();
    t.launch = [](cc_device* d, cc_kernel* k, cc_buffer* const* a, uint32_t n) {
      ct::Uncounted u;
      return ct::reference_driver().launch(d, k, a, n);
    };
    t.synchronize = [](cc_device* d) {
      ct::Uncounted u;
      return ct::reference_driver().synchronize(d);
    };
    t.timed_launch = [](cc_device* d, cc_kernel* k, cc_buffer* const* a, uint32_t n, uint32_t r,
                        double* s) {
      ct::Uncounted u;
      return ct::reference_driver().timed_launch(d, k, a, n, r, s);
    };
    t.write = [](cc_device* d, cc_buffer* b, uint64_t o, const void* src, uint64_t n) {
      ct::Uncounted u;
      return ct::reference_driver().write(d, b, o, src, n);
    };
    t.read = [](cc_device* d, cc_buffer* b, uint64_t o, void* dst, uint64_t n) {
      ct::Uncounted u;
      return ct::reference_driver().read(d, b, o, dst, n);
    };
    return t;
  }();
  return table;
}

}  // namespace

// The runner's timed loop is enqueue() and synchronize() (or device_time()):
// a heap allocation there would be timed with the kernel (issue 10: the
// runner adds no allocation or I/O inside the timed loop).
TEST(WorkloadEndToEnd, TimedLoopAllocatesNothing) {
  for (const auto& c : cases()) {
    cw::Device dev(uncounted_reference_driver(), 0);
    auto inst = instance(c);
    inst->setup(dev, 5);
    inst->enqueue();  // a first launch may set things up once
    dev.synchronize();
    ct::CountAllocations allocations;
    for (int i = 0; i < 3; ++i) {
      inst->enqueue();
      dev.synchronize();
    }
    if (dev.has_device_timer()) (void)inst->device_time(2);
    EXPECT_EQ(allocations.count(), 0u) << name_of(c);
  }
  // The counter counts: a vector made in scope is seen.
  ct::CountAllocations allocations;
  const std::vector<int> v(3);
  EXPECT_EQ(allocations.count(), 1u);
}

TEST(WorkloadEndToEnd, SameSeedSameInputsDifferentSeedDifferent) {
  for (const auto& c : cases()) {
    if (c.workload == "launch_latency") continue;  // no inputs
    auto uploads = [&](uint64_t seed) {
      cw::Device dev(ct::reference_driver(), 0);
      auto inst = instance(c);
      inst->setup(dev, seed);
      return ct::write_hashes(dev.handle());
    };
    const auto a = uploads(11), b = uploads(11), other = uploads(12);
    ASSERT_FALSE(a.empty()) << name_of(c);
    EXPECT_EQ(a, b) << name_of(c);
    EXPECT_NE(a, other) << name_of(c);
  }
}

namespace {

/// Train `workload` with `small` + `reachable` (must reach `target` with a
/// falling loss curve starting above `initial_above`) and with `small` + an
/// unreachable target in 3 steps (must fail verification, naming why).
void expect_trains_to_target(const std::string& workload, const json& small, json reachable,
                             double target, double initial_above) {
  auto train = [&](json params) {
    cw::Device dev(ct::reference_driver(), 0);
    auto inst = cw::find_workload(workload)->instantiate(
        cw::CaseSpec{workload, CC_DTYPE_F32, std::move(params)});
    inst->setup(dev, 3);
    EXPECT_TRUE(inst->verify().passed);
    const auto m = inst->measure(2, 0.0);
    EXPECT_TRUE(m.has_value());
    return std::pair{m.value_or(cw::Instance::Measurement{}), inst->verify()};
  };
  json ok_params = small;
  ok_params.update(reachable);
  ok_params["target_loss"] = target;
  const auto [ok, ok_after] = train(ok_params);
  EXPECT_TRUE(ok_after.passed) << workload << ": " << ok_after.reason;
  EXPECT_TRUE(ok.details.at("reached_target").get<bool>()) << workload;
  const auto& curve = ok.details.at("loss_curve");
  ASSERT_GE(curve.size(), 2u) << workload;
  EXPECT_LT(curve.back().get<double>(), target) << workload;
  EXPECT_GT(curve.front().get<double>(), initial_above) << workload;
  EXPECT_EQ(ok.samples.size(), 2u) << workload;
  EXPECT_TRUE(ok.details.at("same_steps_every_run").get<bool>()) << workload;

  json unreachable = small;
  unreachable.update(json{{"target_loss", 1e-6}, {"max_steps", 3}});
  const auto [bad, bad_after] = train(unreachable);
  EXPECT_FALSE(bad.details.at("reached_target").get<bool>()) << workload;
  EXPECT_FALSE(bad_after.passed) << workload;
  EXPECT_NE(bad_after.reason.find("did not converge"), std::string::npos) << bad_after.reason;
}

}  // namespace

TEST(WorkloadEndToEnd, MlpTrainingReachesItsTargetAndFailsWhenItCannot) {
  // ln(4) ~ 1.39 before training.
  expect_trains_to_target(
      "mlp_train", {{"batch", 32}, {"in", 32}, {"hidden", 64}, {"classes", 4}, {"batches", 2}},
      {{"max_steps", 400}, {"lr", 0.01}}, 0.05, 1.0);
}

TEST(WorkloadEndToEnd, ServerScenarioFindsTheHighestRateWithinTheBound) {
  auto serve = [](double bound_ms) {
    cw::Device dev(ct::reference_driver(), 0);
    const json p{{"scenario", "server"},
                 {"context", 4},
                 {"hidden", 8},
                 {"heads", 2},
                 {"queries", 20},
                 {"search_steps", 3},
                 {"latency_bound_ms", bound_ms}};
    auto inst =
        cw::find_workload("gpt_decode")->instantiate(cw::CaseSpec{"gpt_decode", CC_DTYPE_F32, p});
    inst->setup(dev, 5);
    EXPECT_TRUE(inst->verify().passed);
    auto m = inst->measure(3, 0.01);
    EXPECT_TRUE(m.has_value());
    EXPECT_TRUE(inst->verify().passed);
    return m.value_or(cw::Instance::Measurement{});
  };
  // A generous bound is met at the cap, 1 / service time, in one probe.
  const auto easy = serve(10000);
  ASSERT_EQ(easy.samples.size(), 20u);
  EXPECT_EQ(easy.details.at("probes").size(), 1u);
  EXPECT_TRUE(easy.details.at("probes")[0].at("met_bound").get<bool>());
  EXPECT_NEAR(easy.details.at("max_rate_qps").get<double>(),
              1.0 / easy.details.at("service_time_s").get<double>(), 1e-6);
  EXPECT_LE(easy.details.at("p50_s").get<double>(), easy.details.at("p99_s").get<double>());
  // No query can finish in a nanosecond: every probe misses, the rate is 0.
  const auto impossible = serve(1e-6);
  EXPECT_EQ(impossible.details.at("probes").size(), 3u);
  EXPECT_EQ(impossible.details.at("max_rate_qps").get<double>(), 0.0);
  EXPECT_TRUE(impossible.details.contains("note"));
  for (const auto& probe : impossible.details.at("probes"))
    EXPECT_FALSE(probe.at("met_bound").get<bool>());
  EXPECT_EQ(impossible.samples.size(), 20u);
}

TEST(WorkloadEndToEnd, TransformerTrainingReachesItsTargetAndFailsWhenItCannot) {
  expect_trains_to_target(
      "transformer_train",
      {{"seq", 16}, {"hidden", 16}, {"heads", 2}, {"classes", 4}, {"sequences", 2}},
      {{"max_steps", 300}, {"lr", 0.01}}, 0.1, 0.7);
}
