#include "chipcert/workloads/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "chipcert/workloads/dtype.hpp"
#include "chipcert/workloads/random.hpp"
#include "chipcert/workloads/reference.hpp"

namespace chipcert::workloads {

namespace {
template <typename T>
void put(std::vector<std::byte>& out, size_t i, T v) {
  std::memcpy(out.data() + i * sizeof(T), &v, sizeof(T));
}
/// body(i) for i in [0, n), in chunks spread over threads for big tensors
/// (inputs of 2^25+ elements would otherwise take seconds to generate).
template <typename F>
void for_chunks(size_t n, F&& body) {
  constexpr size_t kChunk = size_t{1} << 16;
  reference::parallel_for(static_cast<int64_t>((n + kChunk - 1) / kChunk), static_cast<double>(n),
                          [&](int64_t c) {
                            const size_t end = std::min(n, (static_cast<size_t>(c) + 1) * kChunk);
                            for (size_t i = static_cast<size_t>(c) * kChunk; i < end; ++i) body(i);
                          });
}

template <typename T>
T get(std::span<const std::byte> in, size_t i) {
  T v;
  std::memcpy(&v, in.data() + i * sizeof(T), sizeof(T));
  return v;
}
}  // namespace

namespace {
/// Round `values` into t (dtype set, bytes and values sized). `values` may be
/// t.values itself: element i is read before it is written.
void encode_into(HostTensor& t, std::span<const double> values) {
  const cc_dtype dtype = t.dtype;
  const size_t n = values.size();
  for_chunks(n, [&](size_t i) {
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
        break;
    }
  });
}
}  // namespace

HostTensor encode(cc_dtype dtype, std::span<const double> values) {
  if (dtype_size(dtype) == 0 || dtype >= CC_DTYPE_COUNT_)
    throw std::invalid_argument("encode: unknown dtype " + std::to_string(dtype));
  HostTensor t;
  t.dtype = dtype;
  t.bytes.resize(values.size() * dtype_size(dtype));
  t.values.resize(values.size());
  encode_into(t, values);
  return t;
}

HostTensor random_tensor(cc_dtype dtype, size_t n, uint64_t seed, uint64_t stream) {
  if (dtype_size(dtype) == 0 || dtype >= CC_DTYPE_COUNT_)
    throw std::invalid_argument("random_tensor: unknown dtype " + std::to_string(dtype));
  // Generated straight into the tensor and rounded in place: big inputs are
  // dominated by first-touch page faults, so no temporary copy.
  HostTensor t;
  t.dtype = dtype;
  t.values.resize(n);
  t.bytes.resize(n * dtype_size(dtype));
  std::vector<double>& v = t.values;
  if (dtype == CC_DTYPE_I8) {
    for_chunks(n, [&](size_t i) {
      v[i] = static_cast<double>(static_cast<int64_t>(random_bits(seed, stream, i) % 255) - 127);
    });
  } else if (dtype == CC_DTYPE_I32) {
    for_chunks(n, [&](size_t i) {
      v[i] = static_cast<double>(static_cast<int64_t>(random_bits(seed, stream, i) % 2097153) -
                                 1048576);
    });
  } else {
    for_chunks(n, [&](size_t i) { v[i] = random_uniform(seed, stream, i); });
  }
  encode_into(t, t.values);
  return t;
}

std::vector<double> decode(cc_dtype dtype, std::span<const std::byte> bytes) {
  const size_t n = bytes.size() / dtype_size(dtype);
  if (dtype_size(dtype) == 0 || dtype >= CC_DTYPE_COUNT_)
    throw std::invalid_argument("decode: unknown dtype " + std::to_string(dtype));
  std::vector<double> out(n);
  for_chunks(n, [&](size_t i) {
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
        break;
    }
  });
  return out;
}

}  // namespace chipcert::workloads
