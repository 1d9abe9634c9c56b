#pragma once
/// Deterministic, counter-based input generation. Element i of stream s under
/// seed k is a pure function of (k, s, i): the same on every device, thread
/// count and run, and different for different seeds. Never constant fills:
/// constant data flatters compressing memory systems.

#include <cstdint>
#include <span>

namespace chipcert::workloads {

/// SplitMix64 finaliser: a bijective 64-bit mix with good avalanche.
constexpr uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// 64 random bits for element `index` of `stream` under `seed`.
constexpr uint64_t random_bits(uint64_t seed, uint64_t stream, uint64_t index) {
  return mix64(mix64(seed ^ mix64(stream + 0x632be59bd9b4e019ull)) + index);
}

/// Uniform in [-1, 1), with 24 random bits so it is exact in fp32 and fp64.
inline double random_uniform(uint64_t seed, uint64_t stream, uint64_t index) {
  const uint64_t b = random_bits(seed, stream, index) >> 40;  // 24 bits
  return static_cast<double>(static_cast<int64_t>(b) - (1 << 23)) * 0x1p-23;
}

/// Fill with uniform values in [-1, 1).
void fill_uniform(std::span<float> out, uint64_t seed, uint64_t stream);
void fill_uniform(std::span<double> out, uint64_t seed, uint64_t stream);
/// Fill with integers uniform in [lo, hi].
void fill_int8(std::span<int8_t> out, uint64_t seed, uint64_t stream, int lo, int hi);

}  // namespace chipcert::workloads
