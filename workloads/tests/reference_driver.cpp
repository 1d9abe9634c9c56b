// The test-only reference driver: see reference_driver.hpp.

#include "reference_driver.hpp"

#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "chipcert/workloads/dtype.hpp"
#include "chipcert/workloads/reference.hpp"
#include "chipcert/workloads/tensor.hpp"

struct cc_device {
  chipcert::workloads::testing::Fault fault;
  std::string error;
  std::vector<uint64_t> writes;
};
struct cc_buffer {
  std::vector<std::byte> bytes;
};
struct cc_kernel {
  cc_op_desc op;
  std::string info;
};

namespace chipcert::workloads::testing {
namespace {

namespace ref = chipcert::workloads::reference;
using Values = std::vector<double>;

constexpr uint32_t kDevices = 5;

/// The dtype of each argument of an op, and which one is the main output.
struct Signature {
  std::vector<cc_dtype> args;
  std::vector<bool> output;
  size_t main = 0;
};

Signature signature(const cc_op_desc& op) {
  const auto d = static_cast<cc_dtype>(op.dtype), a = static_cast<cc_dtype>(op.acc_dtype);
  switch (op.kind) {
    case CC_OP_NOOP:
      return {};
    case CC_OP_GEMM:
    case CC_OP_CONV2D:
    case CC_OP_ADD:
    case CC_OP_MUL:
      return {{d, d, a}, {false, false, true}, 2};
    case CC_OP_STREAM_COPY:
    case CC_OP_STREAM_MUL:
      return {{d, d}, {false, true}, 1};
    case CC_OP_STREAM_ADD:
    case CC_OP_STREAM_TRIAD:
    case CC_OP_STREAM_DOT:
      return {{d, d, d}, {false, false, true}, 2};
    case CC_OP_PEAK:
      return {{a, a}, {false, true}, 1};
    case CC_OP_ATTENTION:
      return {{d, d, d, a}, {false, false, false, true}, 3};
    case CC_OP_LAYERNORM:
      return {{d, d, d, a, a, a}, {false, false, false, true, true, true}, 3};
    case CC_OP_SOFTMAX:
    case CC_OP_GELU:
      return {{d, a}, {false, true}, 1};
    case CC_OP_GELU_BACKWARD:
    case CC_OP_SOFTMAX_BACKWARD:
      return {{a, a, a}, {false, false, true}, 2};
    case CC_OP_LAYERNORM_BACKWARD:
      return {{a, a, a, a, a, a, a, a}, {false, false, false, false, false, true, true, true}, 5};
    case CC_OP_SOFTMAX_XENT:
      return {{a, CC_DTYPE_I32, a, a}, {false, false, true, true}, 3};
    case CC_OP_ADAMW:
      return {{a, a, a, a}, {true, false, true, true}, 0};
    default:
      return {};
  }
}

void execute(const cc_op_desc& op, std::vector<Values>& v) {
  switch (op.kind) {
    case CC_OP_NOOP:
      return;
    case CC_OP_GEMM: {
      const auto& g = op.u.gemm;
      const int64_t batch = g.batch ? g.batch : 1;
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t i = 0; i < g.m; ++i)
          for (int64_t j = 0; j < g.n; ++j) {
            double sum = 0;
            for (int64_t p = 0; p < g.k; ++p) {
              const int64_t ia = b * g.stride_a + (g.trans_a ? p * g.lda + i : i * g.lda + p);
              const int64_t ib = b * g.stride_b + (g.trans_b ? j * g.ldb + p : p * g.ldb + j);
              sum += v[0][static_cast<size_t>(ia)] * v[1][static_cast<size_t>(ib)];
            }
            double& c = v[2][static_cast<size_t>(b * g.stride_c + i * g.ldc + j)];
            c = g.alpha * sum + (g.beta != 0.0 ? g.beta * c : 0.0);
          }
      return;
    }
    case CC_OP_STREAM_COPY:
      v[1] = v[0];
      return;
    case CC_OP_STREAM_MUL:
      for (size_t i = 0; i < v[0].size(); ++i) v[1][i] = op.u.stream.scalar * v[0][i];
      return;
    case CC_OP_STREAM_ADD:
      for (size_t i = 0; i < v[0].size(); ++i) v[2][i] = v[0][i] + v[1][i];
      return;
    case CC_OP_STREAM_TRIAD:
      for (size_t i = 0; i < v[0].size(); ++i) v[2][i] = v[0][i] + op.u.stream.scalar * v[1][i];
      return;
    case CC_OP_STREAM_DOT: {
      double s = 0;
      for (size_t i = 0; i < v[0].size(); ++i) s += v[0][i] * v[1][i];
      v[2][0] = s;
      return;
    }
    case CC_OP_PEAK: {
      const auto& p = op.u.peak;
      for (size_t i = 0; i < static_cast<size_t>(p.n); ++i)
        v[1][i] = ref::peak_element(static_cast<cc_dtype>(op.dtype), v[0][i], p.iterations, p.alpha,
                                    p.beta);
      return;
    }
    case CC_OP_CONV2D: {
      const auto& p = op.u.conv2d;
      const int64_t P = ref::conv2d_out_h(p), Q = ref::conv2d_out_w(p), cg = p.c / p.groups;
      const bool nhwc = p.layout == CC_LAYOUT_NHWC;
      Values x(v[0].size()), w(v[1].size()), y(v[2].size());
      for (int64_t n = 0; n < p.n; ++n)
        for (int64_t c = 0; c < p.c; ++c)
          for (int64_t h = 0; h < p.h; ++h)
            for (int64_t ww = 0; ww < p.w; ++ww)
              x[static_cast<size_t>(((n * p.c + c) * p.h + h) * p.w + ww)] =
                  v[0][static_cast<size_t>(nhwc ? ((n * p.h + h) * p.w + ww) * p.c + c
                                                : ((n * p.c + c) * p.h + h) * p.w + ww)];
      for (int64_t k = 0; k < p.k; ++k)
        for (int64_t c = 0; c < cg; ++c)
          for (int64_t r = 0; r < p.r; ++r)
            for (int64_t s = 0; s < p.s; ++s)
              w[static_cast<size_t>(((k * cg + c) * p.r + r) * p.s + s)] = v[1][static_cast<size_t>(
                  nhwc ? ((k * p.r + r) * p.s + s) * cg + c : ((k * cg + c) * p.r + r) * p.s + s)];
      ref::conv2d_f64(p, x, w, y, {}, {});
      for (int64_t n = 0; n < p.n; ++n)
        for (int64_t k = 0; k < p.k; ++k)
          for (int64_t i = 0; i < P * Q; ++i)
            v[2]
             [static_cast<size_t>(nhwc ? (n * P * Q + i) * p.k + k : (n * p.k + k) * P * Q + i)] =
                 y[static_cast<size_t>((n * p.k + k) * P * Q + i)];
      return;
    }
    case CC_OP_ATTENTION:
      ref::attention_f64(op.u.attention, v[0], v[1], v[2], v[3], {}, {}, {});
      return;
    case CC_OP_LAYERNORM:
      ref::layernorm_f64(op.u.rows, v[0], v[1], v[2], v[3], v[4], v[5]);
      return;
    case CC_OP_SOFTMAX:
      ref::softmax_f64(op.u.rows, v[0], v[1]);
      return;
    case CC_OP_GELU:
      ref::gelu_f64(v[0], v[1]);
      return;
    case CC_OP_ADD:
    case CC_OP_MUL:
      for (size_t i = 0; i < v[0].size(); ++i)
        v[2][i] = op.kind == CC_OP_ADD ? v[0][i] + v[1][i] : v[0][i] * v[1][i];
      return;
    case CC_OP_GELU_BACKWARD:
      ref::gelu_backward_f64(v[0], v[1], v[2]);
      return;
    case CC_OP_LAYERNORM_BACKWARD:
      ref::layernorm_backward_f64(op.u.rows, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
      return;
    case CC_OP_SOFTMAX_BACKWARD:
      ref::softmax_backward_f64(op.u.rows, v[0], v[1], v[2]);
      return;
    case CC_OP_SOFTMAX_XENT: {
      std::vector<int32_t> labels(v[1].begin(), v[1].end());
      ref::softmax_xent_f64(op.u.rows, v[0], labels, v[2][0], v[3]);
      return;
    }
    case CC_OP_ADAMW:
      ref::adamw_f64(op.u.adamw, v[0], v[1], v[2], v[3]);
      return;
    default:
      return;
  }
}

/// The value one ulp of `d` away from x (towards +infinity).
double next_up(cc_dtype d, double x) {
  switch (d) {
    case CC_DTYPE_F64:
      return std::nextafter(x, INFINITY);
    case CC_DTYPE_F32:
    case CC_DTYPE_TF32:
      return std::nextafter(static_cast<float>(x), INFINITY);
    case CC_DTYPE_BF16:
    case CC_DTYPE_F16: {
      // Storage is a 16-bit pattern: step the pattern (sign-magnitude).
      const HostTensor t = encode(d, std::span<const double>(&x, 1));
      uint16_t h;
      std::memcpy(&h, t.bytes.data(), 2);
      h = static_cast<uint16_t>((h & 0x8000u) ? h - 1 : h + 1);
      std::byte b[2];
      std::memcpy(b, &h, 2);
      return decode(d, b).front();
    }
    default:
      return x;
  }
}

void inject(Fault fault, const Signature& sig, std::vector<Values>& v) {
  if (fault == Fault::OneUlp) {
    for (size_t a = 0; a < v.size(); ++a)
      if (sig.output[a])
        for (double& x : v[a])
          if (x != 0.0) x = next_up(sig.args[a], x);
  } else if (fault == Fault::WrongElement) {
    Values& out = v[sig.main];
    if (!out.empty()) {
      double& x = out[out.size() / 2];
      x = x + 1.0 + 2.0 * std::fabs(x);
    }
  } else if (fault == Fault::Zeros) {
    for (double& x : v[sig.main]) x = 0.0;
  }
}

cc_status fail(cc_device* dev, cc_status s, const std::string& why) {
  if (dev) dev->error = why;
  return s;
}

cc_status rd_enumerate(uint32_t* count) {
  *count = kDevices;
  return CC_OK;
}

cc_status rd_device_info(uint32_t index, cc_device_info* info) {
  if (index >= kDevices) return CC_ERR_INVALID_ARGUMENT;
  info->kind = CC_DEVICE_OTHER;
  std::snprintf(info->name, sizeof(info->name), "reference device %u", index);
  std::snprintf(info->vendor, sizeof(info->vendor), "chipcert tests");
  info->memory_bytes = uint64_t{1} << 32;
  info->compute_units = 1;
  info->dtypes = 0x7f;
  return CC_OK;
}

cc_status rd_open(uint32_t index, cc_device** out) {
  if (index >= kDevices) return CC_ERR_INVALID_ARGUMENT;
  *out = new cc_device{static_cast<Fault>(index), "", {}};
  return CC_OK;
}

void rd_close(cc_device* dev) {
  delete dev;
}

cc_status rd_alloc(cc_device*, uint64_t bytes, cc_buffer** out) {
  *out = new cc_buffer{std::vector<std::byte>(bytes)};
  return CC_OK;
}

void rd_free(cc_device*, cc_buffer* buf) {
  delete buf;
}

cc_status rd_write(cc_device* dev, cc_buffer* buf, uint64_t offset, const void* src,
                   uint64_t bytes) {
  if (offset + bytes > buf->bytes.size())
    return fail(dev, CC_ERR_INVALID_ARGUMENT, "write out of range");
  if (bytes) std::memcpy(buf->bytes.data() + offset, src, bytes);
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint64_t i = 0; i < bytes; ++i)
    h = (h ^ static_cast<uint8_t>(static_cast<const std::byte*>(src)[i])) * 0x100000001b3ull;
  dev->writes.push_back(h);
  return CC_OK;
}

cc_status rd_read(cc_device* dev, cc_buffer* buf, uint64_t offset, void* dst, uint64_t bytes) {
  if (offset + bytes > buf->bytes.size())
    return fail(dev, CC_ERR_INVALID_ARGUMENT, "read out of range");
  if (bytes) std::memcpy(dst, buf->bytes.data() + offset, bytes);
  return CC_OK;
}

cc_status rd_prepare(cc_device* dev, const cc_op_desc* op, cc_kernel** out) {
  if (dev->fault == Fault::Unsupported)
    return fail(dev, CC_ERR_UNSUPPORTED, "this reference device supports nothing");
  if (op->kind >= CC_OP_KIND_COUNT_) return fail(dev, CC_ERR_INVALID_ARGUMENT, "unknown op kind");
  *out = new cc_kernel{*op, "reference driver op " + std::to_string(op->kind)};
  return CC_OK;
}

void rd_release(cc_device*, cc_kernel* k) {
  delete k;
}

cc_status rd_launch(cc_device* dev, cc_kernel* k, cc_buffer* const* args, uint32_t nargs) {
  const Signature sig = signature(k->op);
  if (nargs != sig.args.size())
    return fail(
        dev, CC_ERR_INVALID_ARGUMENT,
        "expected " + std::to_string(sig.args.size()) + " arguments, got " + std::to_string(nargs));
  try {
    std::vector<Values> v;
    for (uint32_t i = 0; i < nargs; ++i) v.push_back(decode(sig.args[i], args[i]->bytes));
    execute(k->op, v);
    inject(dev->fault, sig, v);
    for (uint32_t i = 0; i < nargs; ++i)
      if (sig.output[i]) {
        const HostTensor t = encode(sig.args[i], v[i]);
        std::memcpy(args[i]->bytes.data(), t.bytes.data(), t.bytes.size());
      }
  } catch (const std::exception& e) {
    return fail(dev, CC_ERR_INTERNAL, e.what());
  }
  return CC_OK;
}

cc_status rd_synchronize(cc_device*) {
  return CC_OK;
}

cc_status rd_timed_launch(cc_device* dev, cc_kernel* k, cc_buffer* const* args, uint32_t nargs,
                          uint32_t repeat, double* seconds) {
  const auto t0 = std::chrono::steady_clock::now();
  for (uint32_t i = 0; i < repeat; ++i)
    if (cc_status s = rd_launch(dev, k, args, nargs); s != CC_OK) return s;
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return CC_OK;
}

const char* rd_last_error(cc_device* dev) {
  return dev ? dev->error.c_str() : "";
}

const char* rd_kernel_info(cc_device*, cc_kernel* k) {
  return k->info.c_str();
}

}  // namespace

const std::vector<uint64_t>& write_hashes(const cc_device* dev) {
  return dev->writes;
}

const cc_driver_v1& reference_driver() {
  static const cc_driver_v1 table{
      .struct_size = sizeof(cc_driver_v1),
      .abi_version = CC_DRIVER_ABI_VERSION,
      .name = "reference",
      .version = "test",
      .description = "fp64 reference implementations with injected faults (tests only)",
      .enumerate = rd_enumerate,
      .device_info = rd_device_info,
      .open = rd_open,
      .close = rd_close,
      .alloc = rd_alloc,
      .free = rd_free,
      .write = rd_write,
      .read = rd_read,
      .prepare = rd_prepare,
      .release = rd_release,
      .launch = rd_launch,
      .synchronize = rd_synchronize,
      .timed_launch = rd_timed_launch,
      .read_sensors = nullptr,
      .last_error = rd_last_error,
      .kernel_info = rd_kernel_info,
  };
  return table;
}

}  // namespace chipcert::workloads::testing
