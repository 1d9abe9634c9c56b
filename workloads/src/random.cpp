#include "chipcert/workloads/random.hpp"

namespace chipcert::workloads {

void fill_uniform(std::span<float> out, uint64_t seed, uint64_t stream) {
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<float>(random_uniform(seed, stream, i));
}

void fill_uniform(std::span<double> out, uint64_t seed, uint64_t stream) {
  for (size_t i = 0; i < out.size(); ++i) out[i] = random_uniform(seed, stream, i);
}

void fill_int8(std::span<int8_t> out, uint64_t seed, uint64_t stream, int lo, int hi) {
  const uint64_t range = static_cast<uint64_t>(hi - lo + 1);
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<int8_t>(lo + static_cast<int>(random_bits(seed, stream, i) % range));
}

}  // namespace chipcert::workloads
