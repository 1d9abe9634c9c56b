#include "chipcert/workloads/tensor.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "chipcert/workloads/dtype.hpp"
#include "chipcert/workloads/random.hpp"

namespace chipcert::workloads {

namespace {
template <typename T>
void put(std::vector<std::byte>& out, size_t i, T v) {
  std::memcpy(out.data() + i * sizeof(T), &v, sizeof(T));
}
template <typename T>
T get(std::span<const std::byte> in, size_t i) {
  T v;
  std::memcpy(&v, in.data() + i * sizeof(T), sizeof(T));
  return v;
}
}  // namespace

HostTensor encode(cc_dtype dtype, std::span<const double> values) {
  HostTensor t;
  t.dtype = dtype;
  const size_t n = values.size();
  t.bytes.resize(n * dtype_size(dtype));
  t.values.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const double v = values[i];
    switch (dtype) {
      case CC_DTYPE_F64:
        put<double>(t.bytes, i, v);
        t.values[i] = v;
        break;
      case CC_DTYPE_F32:
      case CC_DTYPE_TF32: {
        const float f = static_cast<float>(v);
        put<float>(t.bytes, i, f);
        t.values[i] = f;
        break;
      }
      case CC_DTYPE_BF16: {
        const uint16_t h = fp32_to_bf16(static_cast<float>(v));
        put<uint16_t>(t.bytes, i, h);
        t.values[i] = bf16_to_fp32(h);
        break;
      }
      case CC_DTYPE_F16: {
        const uint16_t h = fp32_to_fp16(static_cast<float>(v));
        put<uint16_t>(t.bytes, i, h);
        t.values[i] = fp16_to_fp32(h);
        break;
      }
      case CC_DTYPE_I8: {
        const auto x = static_cast<int8_t>(std::lrint(std::fmin(127.0, std::fmax(-128.0, v))));
        put<int8_t>(t.bytes, i, x);
        t.values[i] = x;
        break;
      }
      case CC_DTYPE_I32: {
        const auto x = static_cast<int32_t>(std::llrint(v));
        put<int32_t>(t.bytes, i, x);
        t.values[i] = x;
        break;
      }
      default:
        throw std::invalid_argument("encode: unknown dtype " + std::to_string(dtype));
    }
  }
  return t;
}

HostTensor random_tensor(cc_dtype dtype, size_t n, uint64_t seed, uint64_t stream) {
  std::vector<double> v(n);
  if (dtype == CC_DTYPE_I8) {
    for (size_t i = 0; i < n; ++i)
      v[i] = static_cast<double>(static_cast<int64_t>(random_bits(seed, stream, i) % 255) - 127);
  } else if (dtype == CC_DTYPE_I32) {
    for (size_t i = 0; i < n; ++i)
      v[i] = static_cast<double>(static_cast<int64_t>(random_bits(seed, stream, i) % 2097153) -
                                 1048576);
  } else {
    for (size_t i = 0; i < n; ++i) v[i] = random_uniform(seed, stream, i);
  }
  return encode(dtype, v);
}

std::vector<double> decode(cc_dtype dtype, std::span<const std::byte> bytes) {
  const size_t n = bytes.size() / dtype_size(dtype);
  std::vector<double> out(n);
  for (size_t i = 0; i < n; ++i) {
    switch (dtype) {
      case CC_DTYPE_F64:
        out[i] = get<double>(bytes, i);
        break;
      case CC_DTYPE_F32:
      case CC_DTYPE_TF32:
        out[i] = get<float>(bytes, i);
        break;
      case CC_DTYPE_BF16:
        out[i] = bf16_to_fp32(get<uint16_t>(bytes, i));
        break;
      case CC_DTYPE_F16:
        out[i] = fp16_to_fp32(get<uint16_t>(bytes, i));
        break;
      case CC_DTYPE_I8:
        out[i] = get<int8_t>(bytes, i);
        break;
      case CC_DTYPE_I32:
        out[i] = get<int32_t>(bytes, i);
        break;
      default:
        throw std::invalid_argument("decode: unknown dtype " + std::to_string(dtype));
    }
  }
  return out;
}

}  // namespace chipcert::workloads
