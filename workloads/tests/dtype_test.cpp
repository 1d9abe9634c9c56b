#include "chipcert/workloads/dtype.hpp"

#include <cmath>

#include <gtest/gtest.h>

namespace cw = chipcert::workloads;

TEST(Dtype, NamesRoundTrip) {
  for (int d = 0; d < CC_DTYPE_COUNT_; ++d) {
    const auto dt = static_cast<cc_dtype>(d);
    auto back = cw::dtype_from_name(cw::dtype_name(dt));
    ASSERT_TRUE(back.has_value()) << cw::dtype_name(dt);
    EXPECT_EQ(*back, dt);
    EXPECT_GT(cw::dtype_size(dt), 0u);
  }
  EXPECT_FALSE(cw::dtype_from_name("float").has_value());
  EXPECT_FALSE(cw::dtype_from_name("").has_value());
}

TEST(Dtype, Bf16RoundsToNearestEven) {
  EXPECT_EQ(cw::fp32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(cw::bf16_to_fp32(0x3f80), 1.0f);
  // 1 + 2^-8 is exactly halfway between bf16 1.0 and 1 + 2^-7: ties to even (1.0).
  EXPECT_EQ(cw::fp32_to_bf16(1.0f + 0x1p-8f), 0x3f80);
  // 1 + 3*2^-8 is halfway between 1+2^-7 (odd) and 1+2^-6 (even): rounds up.
  EXPECT_EQ(cw::bf16_to_fp32(cw::fp32_to_bf16(1.0f + 3 * 0x1p-8f)), 1.0f + 0x1p-6f);
  EXPECT_TRUE(std::isnan(cw::bf16_to_fp32(cw::fp32_to_bf16(NAN))));
}

TEST(Dtype, Fp16ExactValuesRoundTrip) {
  for (float f : {0.0f, 1.0f, -2.5f, 65504.0f, 0x1p-14f, 0x1p-24f, 0.333251953125f}) {
    EXPECT_EQ(cw::fp16_to_fp32(cw::fp32_to_fp16(f)), f) << f;
  }
  EXPECT_EQ(cw::fp32_to_fp16(1.0f), 0x3c00);
  EXPECT_TRUE(std::isinf(cw::fp16_to_fp32(cw::fp32_to_fp16(1e6f))));
  // Every fp16 bit pattern that is finite survives decode -> encode.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7c00u) == 0x7c00u) continue;
    const float f = cw::fp16_to_fp32(static_cast<uint16_t>(h));
    ASSERT_EQ(cw::fp32_to_fp16(f), h) << std::hex << h;
  }
}
