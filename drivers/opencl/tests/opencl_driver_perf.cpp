// Prints the figures quoted in drivers/opencl/README.md, measured through the
// ABI with timed_launch. Usage:
//   opencl_driver_perf [device [n [peak|sgemm|dgemm|stream|conv|attention]]]
// fp32 peak, sgemm / dgemm n^3 in GFLOP/s, STREAM at 2^25 doubles in GB/s
// next to a plain host triad (std::thread) measured in the same run, conv2d
// on a ResNet-50 layer and attention at seq 512, head_dim 64. Every figure
// comes with a check of (a sample of) the result.
#include <chipcert/opencl_driver.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

const cc_driver_v1* d = chipcert_opencl_driver_entry(CC_DRIVER_ABI_VERSION);

bool ok(cc_status s, cc_device* dev, const char* what) {
  if (s == CC_OK) return true;
  std::fprintf(stderr, "%s failed (%d): %s\n", what, static_cast<int>(s), d->last_error(dev));
  return false;
}

// Process CPU seconds (all threads). On a shared machine the device (PoCL's
// worker threads) may get less than every core; cpu/wall shows how much.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// Best of `reps` timed_launch calls of `inner` launches each, after one warm-up.
// Also prints the cores' share the process got while timing.
double best_seconds(cc_device* dev, cc_kernel* k, std::vector<cc_buffer*>& args, int reps,
                    uint32_t inner) {
  double best = 1e30, t = 0, wall = 0;
  if (!ok(d->launch(dev, k, args.data(), static_cast<uint32_t>(args.size())), dev, "launch") ||
      !ok(d->synchronize(dev), dev, "synchronize"))
    return -1;
  const double cpu0 = cpu_seconds();
  for (int r = 0; r < reps; ++r) {
    if (!ok(d->timed_launch(dev, k, args.data(), static_cast<uint32_t>(args.size()), inner, &t),
            dev, "timed_launch"))
      return -1;
    if (t / inner < best) best = t / inner;
    wall += t;
  }
  std::printf("  [process used %.2f cores while timing]\n", (cpu_seconds() - cpu0) / wall);
  return best;
}

void gemm(cc_device* dev, uint32_t dtype, size_t esize, int64_t n) {
  cc_op_desc op{};
  op.struct_size = sizeof op;
  op.kind = CC_OP_GEMM;
  op.dtype = op.acc_dtype = dtype;
  op.u.gemm.m = op.u.gemm.n = op.u.gemm.k = n;
  op.u.gemm.lda = op.u.gemm.ldb = op.u.gemm.ldc = n;
  op.u.gemm.alpha = 1.0;
  cc_kernel* k = nullptr;
  if (!ok(d->prepare(dev, &op, &k), dev, "prepare gemm")) return;
  std::vector<cc_buffer*> args(3);
  // Small integers: every product and sum is exact in f32 and f64, so sampled
  // elements of C can be checked exactly (no figure without a passing check).
  const size_t elems = static_cast<size_t>(n * n);
  std::vector<double> a(elems), b(elems);
  for (size_t i = 0; i < elems; ++i) a[i] = static_cast<double>(i % 7) - 3, b[i] = (i % 5) - 2.0;
  auto as_bytes = [&](const std::vector<double>& v) {
    std::vector<char> out(v.size() * esize);
    for (size_t i = 0; i < v.size(); ++i) {
      if (esize == 4) {
        const float f = static_cast<float>(v[i]);
        std::memcpy(&out[i * 4], &f, 4);
      } else {
        std::memcpy(&out[i * 8], &v[i], 8);
      }
    }
    return out;
  };
  const std::vector<char> init[3] = {as_bytes(a), as_bytes(b), as_bytes(a)};
  for (size_t i = 0; i < 3; ++i) {
    if (!ok(d->alloc(dev, init[i].size(), &args[i]), dev, "alloc")) return;
    d->write(dev, args[i], 0, init[i].data(), init[i].size());
  }
  const auto t0 = std::chrono::steady_clock::now();
  const double s = best_seconds(dev, k, args, 3, 2);
  const double host = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<char> c(elems * esize);
  d->read(dev, args[2], 0, c.data(), c.size());
  int bad = 0;
  for (int64_t t = 0; t < 64; ++t) {
    const int64_t i = (t * 977) % n, j = (t * 1231 + 17) % n;
    double want = 0, got = 0;
    for (int64_t p = 0; p < n; ++p) want += a[i * n + p] * b[p * n + j];
    if (esize == 4) {
      float f;
      std::memcpy(&f, &c[(i * n + j) * 4], 4);
      got = f;
    } else {
      std::memcpy(&got, &c[(i * n + j) * 8], 8);
    }
    bad += got != want;
  }
  std::printf("%sgemm %lld^3: %.1f GFLOP/s (%.1f ms; 8 launches took %.0f ms on the host) %s\n",
              esize == 4 ? "s" : "d", static_cast<long long>(n), 2.0 * n * n * n / s * 1e-9,
              s * 1e3, host * 1e3, bad == 0 ? "verified" : "WRONG RESULTS");
  std::printf("  %s\n", d->kernel_info(dev, k));
  for (auto* b : args) d->free(dev, b);
  d->release(dev, k);
}

// a = b + s*c over n doubles with one std::thread per hardware thread, each on
// its own contiguous part (first-touched by that thread), best of 5: the
// host's own triad, the yardstick for the device's.
double host_triad(int64_t n) {
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<double> a(static_cast<size_t>(n)), b, c;
  b.resize(a.size()), c.resize(a.size());
  auto parallel = [&](auto body) {
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back([&, t] { body(n * t / threads, n * (t + 1) / threads); });
    for (auto& th : pool) th.join();
  };
  parallel([&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) a[i] = 0, b[i] = 1, c[i] = 2;
  });
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    parallel([&](int64_t lo, int64_t hi) {
      double* __restrict pa = a.data();
      const double* __restrict pb = b.data();
      const double* __restrict pc = c.data();
      for (int64_t i = lo; i < hi; ++i) pa[i] = pb[i] + 0.4 * pc[i];
    });
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  if (a[static_cast<size_t>(n / 2)] != 1.8) std::printf("host triad: WRONG RESULT\n");
  return 3.0 * 8.0 * static_cast<double>(n) / best * 1e-9;
}

void stream(cc_device* dev, int64_t n) {
  const struct {
    uint32_t kind;
    const char* name;
    int arrays;
  } ops[] = {{CC_OP_STREAM_COPY, "copy", 2},
             {CC_OP_STREAM_MUL, "mul", 2},
             {CC_OP_STREAM_ADD, "add", 3},
             {CC_OP_STREAM_TRIAD, "triad", 3},
             {CC_OP_STREAM_DOT, "dot", 2}};
  std::vector<double> init(static_cast<size_t>(n), 1.0);
  std::vector<cc_buffer*> bufs(3);
  for (auto& b : bufs) {
    if (!ok(d->alloc(dev, n * 8, &b), dev, "alloc")) return;
    d->write(dev, b, 0, init.data(), n * 8);
  }
  cc_buffer* s = nullptr;
  d->alloc(dev, 8, &s);
  for (const auto& o : ops) {
    cc_op_desc op{};
    op.struct_size = sizeof op;
    op.kind = o.kind;
    op.dtype = op.acc_dtype = CC_DTYPE_F64;
    op.u.stream.n = n;
    op.u.stream.scalar = 0.4;
    cc_kernel* k = nullptr;
    if (!ok(d->prepare(dev, &op, &k), dev, "prepare stream")) continue;
    std::vector<cc_buffer*> args(bufs.begin(), bufs.begin() + (o.arrays == 3 ? 3 : 2));
    if (o.kind == CC_OP_STREAM_DOT) args.push_back(s);
    const double t = best_seconds(dev, k, args, 5, 4);
    const int moved = o.kind == CC_OP_STREAM_DOT ? 2 : o.arrays;
    std::printf("%-5s 2^25 doubles: %.1f GB/s (%.2f ms)\n", o.name, moved * 8.0 * n / t * 1e-9,
                t * 1e3);
    d->release(dev, k);
  }
  for (auto* b : bufs) d->free(dev, b);
  d->free(dev, s);
  const double host = host_triad(n);
  std::printf("host triad (plain loop, %u std::threads): %.1f GB/s\n",
              std::thread::hardware_concurrency(), host);
}

cc_buffer* upload_floats(cc_device* dev, const std::vector<float>& v) {
  cc_buffer* b = nullptr;
  if (!ok(d->alloc(dev, v.size() * 4, &b), dev, "alloc")) return nullptr;
  d->write(dev, b, 0, v.data(), v.size() * 4);
  return b;
}

std::vector<float> download_floats(cc_device* dev, cc_buffer* b, size_t n) {
  std::vector<float> v(n);
  d->read(dev, b, 0, v.data(), n * 4);
  return v;
}

std::vector<float> seeded(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  uint32_t x = seed * 2654435761u + 1u;
  for (auto& e : v)
    x ^= x << 13, x ^= x >> 17, x ^= x << 5, e = static_cast<float>(x / 4294967296.0 - 0.5);
  return v;
}

void peak(cc_device* dev) {
  const int64_t n = int64_t{1} << 20, iterations = 2048;
  cc_op_desc op{};
  op.struct_size = sizeof op;
  op.kind = CC_OP_PEAK;
  op.dtype = op.acc_dtype = CC_DTYPE_F32;
  op.u.peak.n = n, op.u.peak.iterations = iterations;
  op.u.peak.alpha = 1.0 - 0x1p-10, op.u.peak.beta = 0.75 * 0x1p-10;
  cc_kernel* k = nullptr;
  if (!ok(d->prepare(dev, &op, &k), dev, "prepare peak")) return;
  const std::vector<float> x = seeded(static_cast<size_t>(n), 3);
  std::vector<cc_buffer*> args = {upload_floats(dev, x), upload_floats(dev, x)};
  const double s = best_seconds(dev, k, args, 5, 2);
  const std::vector<float> y = download_floats(dev, args[1], static_cast<size_t>(n));
  int bad = 0;
  for (int64_t i = 0; i < n; i += 4099) {
    float a = x[static_cast<size_t>(i)];
    for (int64_t t = 0; t < iterations; ++t)
      a = std::fma(a, static_cast<float>(op.u.peak.alpha), static_cast<float>(op.u.peak.beta));
    bad += a != y[static_cast<size_t>(i)];
  }
  std::printf("fp32 peak: %.1f GFLOP/s (%s) %s\n", 2.0 * n * iterations / s * 1e-9,
              d->kernel_info(dev, k), bad == 0 ? "verified" : "WRONG RESULTS");
  for (auto* b : args) d->free(dev, b);
  d->release(dev, k);
}

// ResNet-50 conv2_x 3x3 layer: 64 -> 64 channels, 56x56, pad 1, batch n.
void conv(cc_device* dev, int64_t batch, uint32_t layout) {
  cc_op_desc op{};
  op.struct_size = sizeof op;
  op.kind = CC_OP_CONV2D;
  op.dtype = op.acc_dtype = CC_DTYPE_F32;
  cc_conv2d_params& c = op.u.conv2d;
  c.n = batch, c.c = 64, c.h = c.w = 56, c.k = 64, c.r = c.s = 3;
  c.stride_h = c.stride_w = c.dilation_h = c.dilation_w = c.groups = 1;
  c.pad_h = c.pad_w = 1;
  c.layout = layout;
  cc_kernel* k = nullptr;
  if (!ok(d->prepare(dev, &op, &k), dev, "prepare conv2d")) return;
  const std::vector<float> x = seeded(static_cast<size_t>(batch * 64 * 56 * 56), 5);
  const std::vector<float> w = seeded(64 * 64 * 9, 6);
  std::vector<cc_buffer*> args = {upload_floats(dev, x), upload_floats(dev, w),
                                  upload_floats(dev, std::vector<float>(x.size()))};
  const double s = best_seconds(dev, k, args, 5, 2);
  const std::vector<float> y = download_floats(dev, args[2], x.size());
  const bool nhwc = layout == CC_LAYOUT_NHWC;
  int bad = 0;
  for (int t = 0; t < 64; ++t) {  // sampled outputs against the definition
    const int64_t n = t % batch, kk = (t * 7) % 64, oh = (t * 13) % 56, ow = (t * 29) % 56;
    double want = 0;
    for (int64_t ci = 0; ci < 64; ++ci)
      for (int64_t r = 0; r < 3; ++r)
        for (int64_t q = 0; q < 3; ++q) {
          const int64_t ih = oh - 1 + r, iw = ow - 1 + q;
          if (ih < 0 || ih >= 56 || iw < 0 || iw >= 56) continue;
          const size_t xi =
              nhwc ? ((n * 56 + ih) * 56 + iw) * 64 + ci : ((n * 64 + ci) * 56 + ih) * 56 + iw;
          const size_t wi =
              nhwc ? ((kk * 3 + r) * 3 + q) * 64 + ci : ((kk * 64 + ci) * 3 + r) * 3 + q;
          want += static_cast<double>(x[xi]) * w[wi];
        }
    const size_t yi =
        nhwc ? ((n * 56 + oh) * 56 + ow) * 64 + kk : ((n * 64 + kk) * 56 + oh) * 56 + ow;
    bad += std::abs(y[yi] - want) > 1e-4;
  }
  const double flop = 2.0 * batch * 64 * 56 * 56 * 64 * 9;
  std::printf("conv2d resnet50 3x3 64->64 56x56 n%lld %s: %.1f GFLOP/s (%.2f ms) %s\n",
              static_cast<long long>(batch), nhwc ? "nhwc" : "nchw", flop / s * 1e-9, s * 1e3,
              bad == 0 ? "verified" : "WRONG RESULTS");
  std::printf("  %s\n", d->kernel_info(dev, k));
  for (auto* b : args) d->free(dev, b);
  d->release(dev, k);
}

void attention(cc_device* dev, bool causal) {
  const int64_t B = 1, H = 8, S = 512, D = 64;
  cc_op_desc op{};
  op.struct_size = sizeof op;
  op.kind = CC_OP_ATTENTION;
  op.dtype = op.acc_dtype = CC_DTYPE_F32;
  op.u.attention = {B, H, S, S, D, causal ? 1u : 0u, CC_ATTN_BHSD, 0.125};
  cc_kernel* k = nullptr;
  if (!ok(d->prepare(dev, &op, &k), dev, "prepare attention")) return;
  const size_t n = static_cast<size_t>(B * H * S * D);
  const std::vector<float> q = seeded(n, 7), kk = seeded(n, 8), v = seeded(n, 9);
  std::vector<cc_buffer*> args = {upload_floats(dev, q), upload_floats(dev, kk),
                                  upload_floats(dev, v), upload_floats(dev, std::vector<float>(n))};
  const double s = best_seconds(dev, k, args, 5, 2);
  const std::vector<float> o = download_floats(dev, args[3], n);
  int bad = 0;
  for (int t = 0; t < 16; ++t) {  // sampled rows against the definition
    const int64_t bh = t % H, i = (t * 37) % S;
    std::vector<double> sc(static_cast<size_t>(S), 0);
    double mx = -1e300, sum = 0;
    const int64_t last = causal ? i : S - 1;
    for (int64_t j = 0; j <= last; ++j) {
      double dot = 0;
      for (int64_t e = 0; e < D; ++e)
        dot += static_cast<double>(q[(bh * S + i) * D + e]) * kk[(bh * S + j) * D + e];
      sc[j] = 0.125 * dot, mx = std::max(mx, sc[j]);
    }
    for (int64_t j = 0; j <= last; ++j) sum += sc[j] = std::exp(sc[j] - mx);
    for (int64_t e = 0; e < D; ++e) {
      double want = 0;
      for (int64_t j = 0; j <= last; ++j) want += sc[j] / sum * v[(bh * S + j) * D + e];
      bad += std::abs(o[(bh * S + i) * D + e] - want) > 1e-5;
    }
  }
  const double pairs = causal ? S * (S + 1) / 2.0 : static_cast<double>(S) * S;
  const double flop = 4.0 * B * H * pairs * D;
  std::printf("attention b%lld h%lld s%lld d%lld%s: %.1f GFLOP/s (%.2f ms) %s\n",
              static_cast<long long>(B), static_cast<long long>(H), static_cast<long long>(S),
              static_cast<long long>(D), causal ? " causal" : "", flop / s * 1e-9, s * 1e3,
              bad == 0 ? "verified" : "WRONG RESULTS");
  for (auto* b : args) d->free(dev, b);
  d->release(dev, k);
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t count = 0;
  if (!ok(d->enumerate(&count), nullptr, "enumerate")) return 1;
  if (count == 0) {
    std::fprintf(stderr, "no OpenCL device (the ICD loader reports none)\n");
    return 1;
  }
  const uint32_t index = argc > 1 ? static_cast<uint32_t>(std::atoi(argv[1])) : 0;
  cc_device_info info{};
  info.struct_size = sizeof info;
  d->device_info(index, &info);
  std::printf("device %u: %s [%s]\n", index, info.name, info.driver_version);
  cc_device* dev = nullptr;
  if (!ok(d->open(index, &dev), nullptr, "open")) return 1;
  const int64_t n = argc > 2 ? std::atoll(argv[2]) : 2048;
  const std::string only = argc > 3 ? argv[3] : "";  // one of the names in the usage line
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) == 3)
    std::printf("load average %.2f %.2f %.2f on %u hardware threads\n", load[0], load[1], load[2],
                std::thread::hardware_concurrency());
  if (only.empty() || only == "peak") peak(dev);
  if (only.empty() || only == "sgemm") gemm(dev, CC_DTYPE_F32, 4, n);
  if ((only.empty() || only == "dgemm") && (info.dtypes & CC_DTYPE_BIT(CC_DTYPE_F64)))
    gemm(dev, CC_DTYPE_F64, 8, n);
  if (only.empty() || only == "stream") stream(dev, int64_t{1} << 25);
  if (only.empty() || only == "conv") {
    for (int64_t batch : {1, 4})
      for (uint32_t layout : {CC_LAYOUT_NCHW, CC_LAYOUT_NHWC}) conv(dev, batch, layout);
  }
  if (only.empty() || only == "attention") {
    attention(dev, false);
    attention(dev, true);
  }
  d->close(dev);
  return 0;
}
