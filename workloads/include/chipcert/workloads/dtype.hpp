#pragma once
/// Element types by name and size, and the conversions the input generators
/// and references need. One spelling per dtype across every document.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "chipcert/driver.h"

namespace chipcert::workloads {

/// "fp64", "fp32", "fp16", "bf16", "int8", "int32", "tf32".
const char* dtype_name(cc_dtype d);
/// Inverse of dtype_name; nullopt for anything else.
std::optional<cc_dtype> dtype_from_name(std::string_view name);
/// Bytes per element in memory (tf32 is stored as fp32).
uint32_t dtype_size(cc_dtype d);
/// Comma-separated list of every dtype name, for error messages.
std::string all_dtype_names();

/// Unit roundoff (half an ulp of 1.0) of the type's arithmetic; 0 for integers.
double unit_roundoff(cc_dtype d);

/// The accumulation (and float output) type that goes with input type `d`:
/// fp64 for fp64, int32 for int8 and int32, fp32 for everything else.
cc_dtype accumulator_for(cc_dtype d);

inline uint16_t fp32_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  // Round to nearest even; NaN stays NaN.
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

inline float bf16_to_fp32(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

/// IEEE binary16 conversions (round to nearest even; no hardware needed).
uint16_t fp32_to_fp16(float f);
float fp16_to_fp32(uint16_t h);

}  // namespace chipcert::workloads
