// Every workload's parameter validation (each bad key is named) and labels.

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "chipcert/workloads/workload.hpp"

namespace cw = chipcert::workloads;
using nlohmann::json;

namespace {

std::unique_ptr<cw::Instance> make(const std::string& workload, cc_dtype dtype, const json& p) {
  const cw::Workload* w = cw::find_workload(workload);
  if (!w) throw std::runtime_error("no workload " + workload);
  return w->instantiate(cw::CaseSpec{workload, dtype, p});
}

/// instantiate must throw SpecError whose message contains every fragment.
void expect_rejected(const std::string& workload, cc_dtype dtype, const json& p,
                     std::initializer_list<std::string> fragments) {
  try {
    make(workload, dtype, p);
    ADD_FAILURE() << workload << " accepted " << p.dump();
  } catch (const cw::SpecError& e) {
    for (const auto& f : fragments)
      EXPECT_NE(std::string(e.what()).find(f), std::string::npos)
          << workload << ": \"" << e.what() << "\" lacks \"" << f << "\"";
  }
}

std::string label(const std::string& workload, const json& p) {
  return cw::find_workload(workload)->label(p);
}

}  // namespace

TEST(WorkloadSpec, EveryPlannedWorkloadIsRegisteredOnce) {
  std::set<std::string> names;
  for (const auto* w : cw::all_workloads()) {
    EXPECT_TRUE(names.insert(std::string(w->name())).second) << w->name();
    EXPECT_FALSE(w->description().empty());
    const std::string cat(w->category());
    EXPECT_TRUE(cat == "micro" || cat == "kernel" || cat == "inference" || cat == "training")
        << w->name();
  }
  for (const char* n : {"peak",
                        "stream_copy",
                        "stream_mul",
                        "stream_add",
                        "stream_triad",
                        "stream_dot",
                        "transfer_h2d",
                        "transfer_d2h",
                        "launch_latency",
                        "gemm",
                        "conv2d",
                        "attention",
                        "layernorm",
                        "softmax",
                        "gelu",
                        "add",
                        "mul",
                        "gelu_backward",
                        "layernorm_backward",
                        "softmax_backward",
                        "softmax_xent",
                        "adamw",
                        "mlp_train",
                        "transformer_train",
                        "bert_block",
                        "gpt_decode"})
    EXPECT_TRUE(names.count(n)) << n;
}

TEST(WorkloadSpec, UnknownParameterIsNamedWithTheKnownOnes) {
  for (const auto* w : cw::all_workloads())
    expect_rejected(std::string(w->name()), CC_DTYPE_F32, json{{"bogus", 1}},
                    {"\"bogus\"", std::string(w->name())});
}

TEST(WorkloadSpec, Gemm) {
  EXPECT_NO_THROW(make("gemm", CC_DTYPE_BF16, {{"m", 4}, {"n", 5}, {"k", 6}, {"batch", 3}}));
  expect_rejected("gemm", CC_DTYPE_F32, {{"n", 5}, {"k", 6}}, {"\"m\"", "required"});
  expect_rejected("gemm", CC_DTYPE_F32, {{"m", 0}, {"n", 5}, {"k", 6}}, {"\"m\"", "[1,"});
  expect_rejected("gemm", CC_DTYPE_F32, {{"m", 4}, {"n", 5}, {"k", 6}, {"lda", 5}}, {"\"lda\""});
  expect_rejected("gemm", CC_DTYPE_F32,
                  {{"m", 4}, {"n", 5}, {"k", 6}, {"batch", 2}, {"stride_c", 19}}, {"\"stride_c\""});
  expect_rejected("gemm", CC_DTYPE_I8, {{"m", 4}, {"n", 5}, {"k", 6}, {"beta", 1.0}},
                  {"int8", "beta"});
  expect_rejected("gemm", CC_DTYPE_I32, {{"m", 4}, {"n", 5}, {"k", 6}}, {"int32", "int8"});
  expect_rejected("gemm", CC_DTYPE_F32, {{"m", 4}, {"n", 5}, {"k", 6}, {"trans_a", 1}},
                  {"\"trans_a\"", "true or false"});
  EXPECT_EQ(label("gemm", {{"m", 4}, {"n", 5}, {"k", 6}}), "m4_n5_k6");
  EXPECT_EQ(
      label("gemm", {{"m", 4}, {"n", 5}, {"k", 6}, {"batch", 8}, {"trans_b", true}, {"beta", 0.5}}),
      "b8_m4_n5_k6_tb_beta0.5");
  EXPECT_NE(label("gemm", {{"m", 4}, {"n", 5}, {"k", 6}, {"lda", 9}}), "m4_n5_k6");
}

TEST(WorkloadSpec, Conv2d) {
  const json base{{"n", 1}, {"c", 4}, {"h", 8}, {"w", 8}, {"k", 6}, {"r", 3}, {"s", 3}};
  EXPECT_NO_THROW(make("conv2d", CC_DTYPE_I8, base));
  auto with = [&](const char* key, json v) {
    json p = base;
    p[key] = v;
    return p;
  };
  expect_rejected("conv2d", CC_DTYPE_F32, with("groups", 4), {"\"groups\"", "divide"});
  expect_rejected("conv2d", CC_DTYPE_F32, with("layout", "chwn"), {"\"layout\"", "nhwc"});
  expect_rejected("conv2d", CC_DTYPE_F32, with("r", 11), {"\"r\""});
  expect_rejected("conv2d", CC_DTYPE_F32, with("stride", 0), {"\"stride\""});
  json both = with("pad", 1);
  both["pad_h"] = 2;
  expect_rejected("conv2d", CC_DTYPE_F32, both, {"\"pad\"", "\"pad_h\""});
  expect_rejected("conv2d", CC_DTYPE_I32, base, {"int32"});
  EXPECT_EQ(label("conv2d", base), "n1_c4_h8_w8_k6_r3_s3");
  json full = with("layout", "nhwc");
  full["stride_w"] = 2;
  full["pad"] = 1;
  full["dilation"] = 2;
  full["groups"] = 2;
  EXPECT_EQ(label("conv2d", full), "n1_c4_h8_w8_k6_r3_s3_str1x2_pad1_dil2_g2_nhwc");
}

TEST(WorkloadSpec, Attention) {
  EXPECT_NO_THROW(make("attention", CC_DTYPE_F16, {{"seq_q", 8}, {"head_dim", 4}}));
  expect_rejected("attention", CC_DTYPE_F32, {{"head_dim", 4}}, {"\"seq_q\""});
  expect_rejected("attention", CC_DTYPE_F32,
                  {{"seq_q", 8}, {"seq_kv", 4}, {"head_dim", 4}, {"causal", true}},
                  {"\"seq_q\"", "causal"});
  expect_rejected("attention", CC_DTYPE_F32, {{"seq_q", 8}, {"head_dim", 4}, {"scale", 0}},
                  {"\"scale\""});
  expect_rejected("attention", CC_DTYPE_I8, {{"seq_q", 8}, {"head_dim", 4}}, {"int8"});
  EXPECT_EQ(label("attention",
                  {{"batch", 2}, {"heads", 4}, {"seq_q", 8}, {"head_dim", 64}, {"causal", true}}),
            "b2_h4_s8_d64_causal");
  EXPECT_EQ(label("attention", {{"seq_q", 1}, {"seq_kv", 9}, {"head_dim", 64}}),
            "b1_h1_sq1_skv9_d64");
}

TEST(WorkloadSpec, RowWise) {
  for (const char* w :
       {"layernorm", "softmax", "layernorm_backward", "softmax_backward", "softmax_xent"}) {
    EXPECT_NO_THROW(make(w, CC_DTYPE_F32, {{"rows", 4}, {"cols", 8}})) << w;
    expect_rejected(w, CC_DTYPE_F32, {{"cols", 8}}, {"\"rows\""});
    expect_rejected(w, CC_DTYPE_F32, {{"rows", 4}, {"cols", 0}}, {"\"cols\""});
  }
  expect_rejected("layernorm", CC_DTYPE_F32, {{"rows", 4}, {"cols", 8}, {"eps", -1.0}},
                  {"\"eps\""});
  expect_rejected("softmax", CC_DTYPE_F32, {{"rows", 4}, {"cols", 8}, {"causal", true}},
                  {"\"seq_q\""});
  expect_rejected("softmax", CC_DTYPE_F32,
                  {{"rows", 6}, {"cols", 8}, {"causal", true}, {"seq_q", 4}},
                  {"\"seq_q\"", "\"rows\""});
  expect_rejected("softmax", CC_DTYPE_F32,
                  {{"rows", 4}, {"cols", 8}, {"causal", true}, {"seq_q", 16}}, {"\"seq_q\""});
  expect_rejected("softmax", CC_DTYPE_F32, {{"rows", 4}, {"cols", 8}, {"seq_q", 4}},
                  {"\"seq_q\"", "causal"});
  // Training kernels keep everything in the accumulator type: fp32 / fp64 only.
  for (const char* w : {"layernorm_backward", "softmax_backward", "softmax_xent"})
    expect_rejected(w, CC_DTYPE_F16, {{"rows", 4}, {"cols", 8}}, {"fp16"});
  EXPECT_NO_THROW(
      make("softmax", CC_DTYPE_BF16, {{"rows", 4}, {"cols", 8}, {"causal", true}, {"seq_q", 4}}));
  EXPECT_EQ(label("softmax", {{"rows", 4}, {"cols", 8}, {"causal", true}, {"seq_q", 4}}),
            "r4_c8_causal_seq_q4");
}

TEST(WorkloadSpec, ElementwiseAdamwPeakTransfers) {
  for (const char* w : {"gelu", "add", "mul", "gelu_backward"}) {
    EXPECT_NO_THROW(make(w, CC_DTYPE_F32, {{"n", 10}})) << w;
    expect_rejected(w, CC_DTYPE_F32, json::object(), {"\"n\"", "required"});
    expect_rejected(w, CC_DTYPE_I8, {{"n", 10}}, {"int8"});
    EXPECT_EQ(label(w, {{"n", 10}}), "n10");
  }
  expect_rejected("gelu_backward", CC_DTYPE_BF16, {{"n", 10}}, {"bf16"});
  expect_rejected("adamw", CC_DTYPE_F32, {{"n", 10}, {"beta2", 1.0}}, {"\"beta2\""});
  expect_rejected("adamw", CC_DTYPE_F32, {{"n", 10}, {"step", 0}}, {"\"step\""});
  expect_rejected("adamw", CC_DTYPE_F16, {{"n", 10}}, {"fp16"});
  EXPECT_NO_THROW(make("peak", CC_DTYPE_I8, {{"n", 10}, {"iterations", 100}}));
  expect_rejected("peak", CC_DTYPE_F32, {{"iterations", 0}}, {"\"iterations\""});
  expect_rejected("peak", CC_DTYPE_I32, json::object(), {"int32"});
  EXPECT_EQ(label("peak", {{"n", 10}, {"iterations", 100}}), "n10_it100");
  expect_rejected("transfer_h2d", CC_DTYPE_F32, {{"bytes", 0}}, {"\"bytes\""});
  EXPECT_EQ(label("transfer_d2h", {{"bytes", 4096}}), "bytes4096");
}

TEST(WorkloadSpec, WorkIsCountedAsDocumented) {
  auto work = [](const std::string& w, cc_dtype d, const json& p) { return make(w, d, p)->work(); };
  EXPECT_EQ(work("gemm", CC_DTYPE_F32, {{"m", 2}, {"n", 3}, {"k", 4}, {"batch", 5}}).flop,
            2.0 * 2 * 3 * 4 * 5);
  // conv2d: 2*N*K*P*Q*(C/groups)*R*S; 8x8 input, 3x3 filter, pad 1: P = Q = 8.
  EXPECT_EQ(work("conv2d", CC_DTYPE_F32,
                 {{"n", 2},
                  {"c", 4},
                  {"h", 8},
                  {"w", 8},
                  {"k", 6},
                  {"r", 3},
                  {"s", 3},
                  {"pad", 1},
                  {"groups", 2}})
                .flop,
            2.0 * 2 * 6 * 8 * 8 * 2 * 3 * 3);
  // attention: 4*B*H*D per visible pair; causal 4x4 has 10 visible pairs.
  EXPECT_EQ(work("attention", CC_DTYPE_F32, {{"seq_q", 4}, {"head_dim", 8}, {"heads", 2}}).flop,
            4.0 * 2 * 8 * 16);
  EXPECT_EQ(work("attention", CC_DTYPE_F32,
                 {{"seq_q", 4}, {"head_dim", 8}, {"heads", 2}, {"causal", true}})
                .flop,
            4.0 * 2 * 8 * 10);
  EXPECT_EQ(work("peak", CC_DTYPE_F32, {{"n", 10}, {"iterations", 100}}).flop, 2000.0);
  EXPECT_EQ(work("transfer_h2d", CC_DTYPE_F32, {{"bytes", 4096}}).bytes, 4096.0);
  EXPECT_EQ(work("add", CC_DTYPE_F16, {{"n", 10}}).bytes, 10.0 * (2 * 2 + 4));
  EXPECT_EQ(work("adamw", CC_DTYPE_F32, {{"n", 10}}).bytes, 7.0 * 10 * 4);
}

TEST(WorkloadSpec, TransformerBlocksCheckScenarioShapeAndBound) {
  const json small{{"hidden", 16}, {"heads", 2}};
  auto with = [&](json extra) {
    json p = small;
    p.update(extra);
    return p;
  };
  expect_rejected("bert_block", CC_DTYPE_F32, with({{"scenario", "batchy"}}),
                  {"\"scenario\"", "single_stream", "\"batchy\""});
  expect_rejected("bert_block", CC_DTYPE_F32, with({{"scenario", 3}}), {"\"scenario\"", "3"});
  expect_rejected("bert_block", CC_DTYPE_F32, with({{"heads", 3}}), {"\"heads\"", "divisor"});
  expect_rejected("bert_block", CC_DTYPE_F32, with({{"scenario", "single_stream"}, {"batch", 4}}),
                  {"\"batch\"", "must be 1"});
  expect_rejected("gpt_decode", CC_DTYPE_F32, with({{"scenario", "server"}}),
                  {"\"latency_bound_ms\""});
  expect_rejected("gpt_decode", CC_DTYPE_F32,
                  with({{"scenario", "server"}, {"latency_bound_ms", -1}}),
                  {"\"latency_bound_ms\"", "> 0"});
  expect_rejected("bert_block", CC_DTYPE_F32, with({{"latency_bound_ms", 5}}), {"server"});
  expect_rejected("bert_block", CC_DTYPE_F32, with({{"queries", 50}}), {"\"queries\"", "offline"});
  expect_rejected("bert_block", CC_DTYPE_F32, with({{"context", 5}}), {"\"context\"", "seq"});
  expect_rejected("gpt_decode", CC_DTYPE_F32, with({{"seq", 5}}), {"\"seq\"", "context"});
  expect_rejected("bert_block", CC_DTYPE_BF16, small, {"bf16", "fp32"});
  EXPECT_EQ(label("gpt_decode", with({{"scenario", "server"}, {"latency_bound_ms", 2.5}})),
            "server_b1_ctx512_h16_heads2_ffn64_p99le2.5ms");
  EXPECT_EQ(label("bert_block", with({{"batch", 4}, {"seq", 32}})),
            "offline_b4_s32_h16_heads2_ffn64");
  // FLOP: six GEMMs (2*T*H*(4H + 2F)) and attention (4*B*H*pairs).
  const auto flop = [&](const char* w, json p) { return make(w, CC_DTYPE_F32, p)->work().flop; };
  EXPECT_EQ(flop("bert_block", with({{"batch", 2}, {"seq", 8}})),
            2.0 * 16 * 16 * (4 * 16 + 2 * 64) + 4.0 * 2 * 16 * 64);
  EXPECT_EQ(flop("gpt_decode", with({{"batch", 3}, {"context", 9}})),
            2.0 * 3 * 16 * (4 * 16 + 2 * 64) + 4.0 * 3 * 16 * 10);
  EXPECT_EQ(make("gpt_decode", CC_DTYPE_F32, with({{"batch", 3}}))->work().items, 3.0);
  // A server run's figure is its sustained rate, not work per latency.
  EXPECT_EQ(flop("bert_block", with({{"scenario", "server"}, {"latency_bound_ms", 1}})), 0.0);
}

TEST(WorkloadSpec, TransformerTrainingChecksItsShape) {
  expect_rejected("transformer_train", CC_DTYPE_F32, {{"hidden", 10}, {"heads", 4}},
                  {"\"heads\"", "divisor", "10"});
  expect_rejected("transformer_train", CC_DTYPE_F32, {{"target_loss", 0}}, {"\"target_loss\""});
  expect_rejected("transformer_train", CC_DTYPE_F32, {{"lr", 2}}, {"\"lr\"", "(0, 1)"});
  expect_rejected("transformer_train", CC_DTYPE_F32, {{"classes", 1}}, {"\"classes\""});
  expect_rejected("transformer_train", CC_DTYPE_BF16, json::object(), {"bf16", "fp32"});
  // FLOP: three times the forward GEMMs and attention (forward, dX, dW).
  const json p{{"seq", 4}, {"hidden", 8}, {"heads", 2}, {"ffn", 16}, {"classes", 3}};
  const double pairs = 10;  // causal 4 x 4
  EXPECT_EQ(make("transformer_train", CC_DTYPE_F32, p)->work().flop,
            3.0 * (2.0 * 4 * 8 * (4 * 8 + 2 * 16 + 3) + 4.0 * 8 * pairs));
  EXPECT_EQ(make("transformer_train", CC_DTYPE_F32, p)->work().items, 4.0);
}
