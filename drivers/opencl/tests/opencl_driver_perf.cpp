// Prints the figures quoted in drivers/opencl/README.md, measured through the
// ABI with timed_launch. Usage: opencl_driver_perf [device [n [sgemm|dgemm|stream]]]:
// sgemm / dgemm 2048^3 in GFLOP/s and STREAM at 2^25 doubles in GB/s.
#include <chipcert/opencl_driver.h>

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <string>
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
  op.u.gemm = {n, n, n, n, n, n, 0, 0, 1.0, 0.0};
  cc_kernel* k = nullptr;
  if (!ok(d->prepare(dev, &op, &k), dev, "prepare gemm")) return;
  std::vector<cc_buffer*> args(3);
  std::vector<char> init(static_cast<size_t>(n * n) * esize, 0);
  for (auto& b : args) {
    if (!ok(d->alloc(dev, init.size(), &b), dev, "alloc")) return;
    d->write(dev, b, 0, init.data(), init.size());
  }
  const double s = best_seconds(dev, k, args, 3, 2);
  std::printf("%sgemm %lld^3: %.1f GFLOP/s (%.1f ms)\n", esize == 4 ? "s" : "d",
              static_cast<long long>(n), 2.0 * n * n * n / s * 1e-9, s * 1e3);
  for (auto* b : args) d->free(dev, b);
  d->release(dev, k);
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
    op.u.stream = {n, 0.4};
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
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t count = 0;
  if (!ok(d->enumerate(&count), nullptr, "enumerate") || count == 0) return 1;
  const uint32_t index = argc > 1 ? static_cast<uint32_t>(std::atoi(argv[1])) : 0;
  cc_device_info info{};
  info.struct_size = sizeof info;
  d->device_info(index, &info);
  std::printf("device %u: %s [%s]\n", index, info.name, info.driver_version);
  cc_device* dev = nullptr;
  if (!ok(d->open(index, &dev), nullptr, "open")) return 1;
  const int64_t n = argc > 2 ? std::atoll(argv[2]) : 2048;
  const std::string only = argc > 3 ? argv[3] : "";  // "sgemm", "dgemm" or "stream"
  if (only.empty() || only == "sgemm") gemm(dev, CC_DTYPE_F32, 4, n);
  if ((only.empty() || only == "dgemm") && (info.dtypes & CC_DTYPE_BIT(CC_DTYPE_F64)))
    gemm(dev, CC_DTYPE_F64, 8, n);
  if (only.empty() || only == "stream") stream(dev, int64_t{1} << 25);
  d->close(dev);
  return 0;
}
