#include "chipcert/workloads/dtype.hpp"

#include <array>
#include <cmath>

namespace chipcert::workloads {
namespace {
struct DtypeInfo {
  cc_dtype dtype;
  const char* name;
  uint32_t size;
  double roundoff;
};
constexpr std::array<DtypeInfo, CC_DTYPE_COUNT_> kDtypes{{
    {CC_DTYPE_F64, "fp64", 8, 0x1p-53},
    {CC_DTYPE_F32, "fp32", 4, 0x1p-24},
    {CC_DTYPE_F16, "fp16", 2, 0x1p-11},
    {CC_DTYPE_BF16, "bf16", 2, 0x1p-8},
    {CC_DTYPE_I8, "int8", 1, 0},
    {CC_DTYPE_I32, "int32", 4, 0},
    {CC_DTYPE_TF32, "tf32", 4, 0x1p-11},
}};
}  // namespace

const char* dtype_name(cc_dtype d) {
  for (const auto& i : kDtypes)
    if (i.dtype == d) return i.name;
  return "unknown";
}

std::optional<cc_dtype> dtype_from_name(std::string_view name) {
  for (const auto& i : kDtypes)
    if (name == i.name) return i.dtype;
  return std::nullopt;
}

uint32_t dtype_size(cc_dtype d) {
  for (const auto& i : kDtypes)
    if (i.dtype == d) return i.size;
  return 0;
}

double unit_roundoff(cc_dtype d) {
  for (const auto& i : kDtypes)
    if (i.dtype == d) return i.roundoff;
  return 0;
}

cc_dtype accumulator_for(cc_dtype d) {
  switch (d) {
    case CC_DTYPE_F64:
      return CC_DTYPE_F64;
    case CC_DTYPE_I8:
    case CC_DTYPE_I32:
      return CC_DTYPE_I32;
    default:
      return CC_DTYPE_F32;
  }
}

std::string all_dtype_names() {
  std::string out;
  for (const auto& i : kDtypes) {
    if (!out.empty()) out += ", ";
    out += i.name;
  }
  return out;
}

uint16_t fp32_to_fp16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t abs = x & 0x7fffffffu;
  if (abs > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);   // NaN
  if (abs >= 0x47800000u) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow -> inf
  if (abs < 0x38800000u) {  // subnormal or zero in fp16
    // Scale into the subnormal range with one correctly rounded float add.
    float a;
    std::memcpy(&a, &abs, 4);
    const float scaled = a + 0.5f;  // 0.5 = 2^-1: puts the fp16 subnormal ulp at the float ulp
    uint32_t s;
    std::memcpy(&s, &scaled, 4);
    return static_cast<uint16_t>(sign | (s - 0x3f000000u));
  }
  uint32_t mant_odd = (abs >> 13) & 1u;
  uint32_t r = abs + 0xc8000fffu + mant_odd;  // rebias exponent (-112 << 23) and round
  return static_cast<uint16_t>(sign | (r >> 13));
}

float fp16_to_fp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  float out;
  if (exp == 0) {
    out = std::ldexp(static_cast<float>(mant), -24);
    uint32_t u;
    std::memcpy(&u, &out, 4);
    u |= sign;
    std::memcpy(&out, &u, 4);
    return out;
  }
  uint32_t u =
      sign | (exp == 31 ? (0xffu << 23) | (mant << 13) : ((exp + 112) << 23) | (mant << 13));
  std::memcpy(&out, &u, 4);
  return out;
}

}  // namespace chipcert::workloads
