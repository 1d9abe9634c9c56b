// chipcert_fidelity: chipcert's own figures next to the hardware's limit and
// to simple independent references, all measured in the same process run.
// A benchmark, not a test: it prints figures and ratios and never fails on a
// number (exit 1 only when a chipcert kernel fails verification or the
// naive GEMM shape check).
//
// For the CPU device (the built-in CPU driver, through the same workloads
// and Device wrapper `chipcert run` uses):
//  - core clock under load: harness::measure_clock_under_load_mhz, the
//    figure `chipcert run` records in every results document;
//  - theoretical fp32 peak = clock x cores x FLOP/cycle/core, where
//    FLOP/cycle is harness::measure_cpu_peak_rates's, as `chipcert run`
//    records it (an FMA probe against the add chain, taken as one of the two
//    figures the FMA pipes allow; the ISA's assumption where it cannot run),
//    next to an intrinsics FMA loop (12 independent chains per thread);
//  - chipcert peak fp32, GEMM fp32 2048^3 and 4096^3, bf16 and int8 4096^3
//    (theoretical 2x and 4x fp32 with AVX512-BF16 / VNNI), as ratios to the
//    theoretical peak at the measured clock, each GEMM also to oneDNN's
//    matmul called directly on random operands just before it
//    (onednn_reference.cpp): the specialised library without chipcert;
//  - chipcert peak fp64 and GEMM fp64 1024^3 (the driver's own GEMM: oneDNN
//    has none, so it is set against the theoretical fp64 peak and the peak
//    case; not with --quick);
//  - for each f32 GEMM size, a naive GEMM for shape sanity only: the CPU
//    driver's C on the bench's own operands, 256 sampled entries checked
//    against a plain dot product (exit 1 on a mismatch);
//  - chipcert STREAM triad (fp64, 2^25 elements) as a ratio to the faster
//    of two OpenMP triads timed in the same run with the same thread count:
//    the plain loop, and (AVX-512) the loop with streaming stores.
// For each OpenCL device the OpenCL driver sees (PoCL here): peak fp32, sgemm
// 2048^3 and triad fp64 2^25 in absolute figures.
//
// Each chipcert figure is verified first (Instance::verify), then timed as
// enqueue + synchronize, best of `--reps` (default 10) after one warm-up;
// best-of is what a peak-fidelity figure asks (the machine may be shared),
// the median is printed too.
//
// usage: chipcert_fidelity [--reps N] [--quick]   (--quick: 2048^3 GEMMs only)
#include <immintrin.h>
#include <omp.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "chipcert/cpu_driver.h"
#include "chipcert/harness/clock.hpp"
#include "chipcert/workloads/device.hpp"
#include "chipcert/workloads/workload.hpp"
#include "huge_buffer.hpp"
#include "onednn_reference.hpp"
#ifdef CHIPCERT_FIDELITY_OPENCL
#include "chipcert/opencl_driver.h"
#endif

namespace cw = chipcert::workloads;
using nlohmann::json;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Isa {
  const char* name;
  double fp32_flop_per_cycle;
  bool bf16, vnni;
};

Isa detect_isa() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    return {"AVX-512F (2 FMA pipes x 16 fp32 lanes x 2)", 64,
            __builtin_cpu_supports("avx512bf16") != 0, __builtin_cpu_supports("avx512vnni") != 0};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return {"AVX2+FMA (2 FMA pipes x 8 fp32 lanes x 2)", 32, false, false};
  return {"SSE (no FMA)", 8, false, false};
}

constexpr int kChains = 12;  // independent FMA chains: covers 4-cycle latency x 2 pipes
constexpr int64_t kFmaIters = 20'000'000;  // per thread

__attribute__((target("avx512f"))) double fma_loop_avx512() {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(float(c));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int64_t i = 0; i < kFmaIters; ++i)
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
  // Stored and summed (GCC 12 warns inside _mm512_reduce_add_ps).
  alignas(64) float out[16];
  float sum = 0;
  for (int c = 0; c < kChains; ++c) {
    _mm512_store_ps(out, acc[c]);
    for (float f : out) sum += f;
  }
  return double(sum) * 0 + double(kFmaIters) * kChains * 16 * 2;  // FLOP done
}

__attribute__((target("avx2,fma"))) double fma_loop_avx2() {
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(float(c));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t i = 0; i < kFmaIters; ++i)
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
  alignas(32) float out[8];
  float sum = 0;
  for (int c = 0; c < kChains; ++c) {
    _mm256_store_ps(out, acc[c]);
    for (float f : out) sum += f;
  }
  return double(sum) * 0 + double(kFmaIters) * kChains * 8 * 2;
}

/// The intrinsics FMA loop on `threads` threads: fp32 GFLOP/s (best of 3).
double fma_reference_gflops(int threads, const Isa& isa) {
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    double flop = 0;
    const double t0 = now();
#pragma omp parallel num_threads(threads) reduction(+ : flop)
    flop += isa.fp32_flop_per_cycle >= 64   ? fma_loop_avx512()
            : isa.fp32_flop_per_cycle >= 32 ? fma_loop_avx2()
                                            : 0.0;
    best = std::max(best, flop / (now() - t0) / 1e9);
  }
  return best;
}

/// a[i] = b[i] + s*c[i] with AVX-512 non-temporal stores; a 64-byte aligned.
__attribute__((target("avx512f"))) void triad_stream_avx512(const double* b, const double* c,
                                                            double* a, double s, int64_t n) {
  const __m512d vs = _mm512_set1_pd(s);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm512_stream_pd(
        a + i, _mm512_add_pd(_mm512_loadu_pd(b + i), _mm512_mul_pd(vs, _mm512_loadu_pd(c + i))));
  for (; i < n; ++i) a[i] = b[i] + s * c[i];
  _mm_sfence();
}

/// An OpenMP triad a = b + s*c over n doubles: GB/s (24 bytes per element,
/// best of `reps`), arrays first-touched by the same threads. `streaming`:
/// each thread writes its slice with non-temporal stores (AVX-512), so that
/// no cache line of `a` is read before it is overwritten; plain: the loop as
/// written, whose stores cost that extra read.
double omp_triad_gbs(int threads, int64_t n, int reps, bool streaming) {
  // Laid out as the CPU driver's buffers (huge pages).
  const auto array = [n] { return chipcert::bench::huge_array<double>(size_t(n)); };
  auto a = array(), b = array(), c = array();
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t i = 0; i < n; ++i) a[i] = 0, b[i] = double(i % 7), c[i] = double(i % 5);
  const double s = 3.0;
  double best = 1e30;
  for (int r = 0; r <= reps; ++r) {
    const double t0 = now();
    if (streaming) {
#pragma omp parallel num_threads(threads)
      {
        // One slice per thread, starting on a cache line.
        const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
        const int64_t per = (n / nt + 7) / 8 * 8, lo = std::min(n, t * per);
        const int64_t hi = t + 1 == nt ? n : std::min(n, lo + per);
        triad_stream_avx512(b.get() + lo, c.get() + lo, a.get() + lo, s, hi - lo);
      }
    } else {
#pragma omp parallel for num_threads(threads) schedule(static)
      for (int64_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
    }
    if (r > 0) best = std::min(best, now() - t0);
  }
  volatile double sink = a[size_t(n / 2)];
  (void)sink;
  return 24.0 * double(n) / best / 1e9;
}

struct Figure {
  bool ok = false;
  std::string why;
  double best_s = 0, median_s = 0;
  cw::Work work;
  std::string impl;
};

/// Verify one chipcert case on `dev`, then time it best of `reps`.
Figure chipcert_figure(cw::Device& dev, const std::string& workload, cc_dtype dtype,
                       const json& params, int reps) {
  Figure f;
  try {
    auto inst = cw::find_workload(workload)->instantiate(cw::CaseSpec{workload, dtype, params});
    inst->setup(dev, 1);
    const cw::VerifyResult v = inst->verify();  // also the warm-up
    if (!v.passed) {
      f.why = "verification failed: " + v.reason;
      return f;
    }
    std::vector<double> t;
    for (int r = 0; r < reps; ++r) {
      const double t0 = now();
      inst->enqueue();
      dev.synchronize();
      t.push_back(now() - t0);
    }
    std::sort(t.begin(), t.end());
    f.best_s = t.front();
    f.median_s = t[t.size() / 2];
    f.work = inst->work();
    f.impl = inst->details().value("implementation", "");
    f.ok = true;
  } catch (const std::exception& e) {
    f.why = e.what();
  }
  return f;
}

/// The naive GEMM reference, for shape sanity only (never timed): the CPU
/// driver runs the f32 GEMM m x n x k the figures claim, on the bench's own
/// random operands and with the same descriptor the gemm workload builds
/// (row-major, constant A and B); `samples` entries of C are then recomputed
/// by a plain dot product. A driver that did less work than the shape says
/// (a smaller k, a skipped block) fails here. Returns "" or the mismatch.
std::string gemm_shape_check(cw::Device& dev, int64_t m, int64_t n, int64_t k, int samples) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> a(size_t(m * k)), b(size_t(k * n)), c(size_t(m * n), std::nanf(""));
  for (float& v : a) v = u(rng);
  for (float& v : b) v = u(rng);
  cw::Buffer ab = dev.alloc(a.size() * 4), bb = dev.alloc(b.size() * 4),
             cb = dev.alloc(c.size() * 4);
  dev.write(ab, a.data(), a.size() * 4);
  dev.write(bb, b.data(), b.size() * 4);
  dev.write(cb, c.data(), c.size() * 4);
  cc_op_desc op = cw::make_op(CC_OP_GEMM, CC_DTYPE_F32, CC_DTYPE_F32);
  op.constant_args = 0x3;
  op.u.gemm = cc_gemm_params{.m = m,
                             .n = n,
                             .k = k,
                             .lda = k,
                             .ldb = n,
                             .ldc = n,
                             .trans_a = 0,
                             .trans_b = 0,
                             .alpha = 1,
                             .beta = 0,
                             .batch = 1,
                             .stride_a = 0,
                             .stride_b = 0,
                             .stride_c = 0};
  cw::Kernel kernel = dev.prepare(op);
  cc_buffer* args[] = {ab.handle(), bb.handle(), cb.handle()};
  dev.launch(kernel, args);
  dev.synchronize();
  dev.read(cb, c.data(), c.size() * 4);
  std::uniform_int_distribution<int64_t> row(0, m - 1), col(0, n - 1);
  for (int s = 0; s < samples; ++s) {
    const int64_t i = row(rng), j = col(rng);
    double want = 0, mag = 0;
    for (int64_t p = 0; p < k; ++p) {
      const double term = double(a[size_t(i * k + p)]) * double(b[size_t(p * n + j)]);
      want += term;
      mag += std::abs(term);
    }
    const double got = c[size_t(i * n + j)];
    // f32 accumulation: k roundings of at most half an ulp of the magnitude.
    const double bound = double(k) * 0x1p-24 * mag + 1e-30;
    if (!(std::abs(got - want) <= bound))
      return "C[" + std::to_string(i) + "][" + std::to_string(j) + "] = " + std::to_string(got) +
             ", a naive loop gives " + std::to_string(want) + " (bound " + std::to_string(bound) +
             ")";
  }
  return "";
}

void print_rate(const char* what, const Figure& f, double limit, const char* limit_name,
                bool bytes = false, double ref = 0, const char* ref_name = "") {
  if (!f.ok) {
    std::printf("  %-30s %s\n", what, f.why.c_str());
    return;
  }
  const double amount = bytes ? f.work.bytes : f.work.flop;
  const double rate = amount / f.best_s / 1e9, median = amount / f.median_s / 1e9;
  std::printf("  %-30s %9.1f %s (median %.1f)", what, rate, bytes ? "GB/s  " : "GFLOP/s", median);
  if (limit > 0) std::printf("  = %.3f x %s (%.1f)", rate / limit, limit_name, limit);
  if (ref > 0) std::printf(", %.3f x %s", rate / ref, ref_name);
  std::printf("\n");
  if (!f.impl.empty()) std::printf("  %-30s   [%s]\n", "", f.impl.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 10;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      std::fprintf(stderr, "usage: %s [--reps N] [--quick]\n", argv[0]);
      return 2;
    }
  }
  int exit_code = 0;
  const cc_driver_v1* cpu = chipcert_cpu_driver_entry(1);
  uint32_t cpu_devices = 0;
  if (cpu && cpu->enumerate(&cpu_devices) != CC_OK) cpu_devices = 0;
  if (!cpu || cpu_devices == 0) {
    std::fprintf(stderr, "the CPU driver offers no device\n");
    return 4;
  }
  {
    cw::Device dev(*cpu, 0);
    cc_device_info info{};
    info.struct_size = sizeof info;
    cpu->device_info(0, &info);
    const unsigned cores = std::max(1u, info.compute_units);
    const Isa isa = detect_isa();
    const double ghz = chipcert::harness::measure_clock_under_load_mhz(cores, 5).value_or(0) / 1000;
    // The per-cycle figures `chipcert run` records (host.peak_ops_per_cycle_per_core),
    // so the bench's theoretical peaks are the reports' own; the ISA's
    // assumption only where the probe cannot run.
    const auto rates = chipcert::harness::measure_cpu_peak_rates(cores);
    const auto per_cycle = [&](const char* dtype, double fallback) {
      if (!rates) return fallback;
      const auto it = rates->ops_per_cycle.find(dtype);
      return it == rates->ops_per_cycle.end() ? 0.0 : it->second;
    };
    const double fp32_per_cycle = per_cycle("fp32", isa.fp32_flop_per_cycle);
    const double peak32 = ghz * cores * fp32_per_cycle;
    const double peak_bf16 = ghz * cores * per_cycle("bf16", isa.bf16 ? 2 * fp32_per_cycle : 0);
    const double peak_int8 = ghz * cores * per_cycle("int8", isa.vnni ? 4 * fp32_per_cycle : 0);
    const double peak64 = ghz * cores * per_cycle("fp64", fp32_per_cycle / 2);
    const double fma = fma_reference_gflops(int(cores), isa);
    std::printf("CPU device: %s, %u cores\n", info.name, cores);
    std::printf("  clock under load               %9.3f GHz (dependent adds, all cores at once)\n",
                ghz);
    std::printf(
        "  theoretical fp32 peak          %9.1f GFLOP/s = %.3f GHz x %u x %.0f FLOP/cycle (%s)\n",
        peak32, ghz, cores, fp32_per_cycle,
        rates ? rates->basis.c_str() : (std::string("assumed from the ISA: ") + isa.name).c_str());
    std::printf(
        "  intrinsics FMA loop (reference)%9.1f GFLOP/s = %.3f x theoretical%s\n", fma,
        fma / peak32,
        fma > 1.03 * peak32 ? "  (above the assumed peak: the FLOP/cycle assumption is low)" : "");
    auto figure = [&](const char* what, const char* workload, cc_dtype dt, const json& p,
                      double limit, const char* limit_name, bool bytes = false, double ref = 0,
                      const char* ref_name = "") {
      const Figure f = chipcert_figure(dev, workload, dt, p, reps);
      if (!f.ok && f.why.rfind("verification failed", 0) == 0) exit_code = 1;
      print_rate(what, f, limit, limit_name, bytes, ref, ref_name);
      return f;
    };
    // A GEMM figure after oneDNN's own, called directly on the same shape.
    auto gemm = [&](const char* what, cc_dtype dt, const char* onednn_dt, int64_t size,
                    double limit, const char* limit_name) {
      const chipcert::bench::DirectGemm ref =
          chipcert::bench::onednn_gemm(onednn_dt, size, size, size, reps);
      std::printf("  %-30s %9.1f GFLOP/s  [%s]\n", "oneDNN matmul, direct (ref.)", ref.gflops,
                  ref.impl.c_str());
      figure(what, "gemm", dt, {{"m", size}, {"n", size}, {"k", size}}, limit, limit_name, false,
             ref.gflops, "oneDNN direct");
      if (dt != CC_DTYPE_F32) return;
      std::string mismatch;
      try {
        mismatch = gemm_shape_check(dev, size, size, size, 256);
      } catch (const std::exception& e) {
        mismatch = e.what();
      }
      if (!mismatch.empty()) exit_code = 1;
      std::printf("  %-30s %s\n", "naive GEMM shape check (ref.)",
                  mismatch.empty() ? "256 sampled entries of C match a plain dot product"
                                   : ("MISMATCH: " + mismatch).c_str());
    };
    figure("chipcert peak fp32", "peak", CC_DTYPE_F32, {{"n", 1 << 20}, {"iterations", 4096}},
           peak32, "theoretical");
    gemm("chipcert gemm fp32 2048^3", CC_DTYPE_F32, "f32", 2048, peak32, "theoretical");
    if (!quick) {
      gemm("chipcert gemm fp32 4096^3", CC_DTYPE_F32, "f32", 4096, peak32, "theoretical");
      gemm("chipcert gemm bf16 4096^3", CC_DTYPE_BF16, "bf16", 4096, peak_bf16, "theoretical bf16");
      gemm("chipcert gemm int8 4096^3", CC_DTYPE_I8, "s8", 4096, peak_int8, "theoretical int8");
      // chipcert's own f64 GEMM (oneDNN has none, so no library reference):
      // against the theoretical fp64 peak and the driver's fp64 peak case.
      const Figure p64 = figure("chipcert peak fp64", "peak", CC_DTYPE_F64,
                                {{"n", 1 << 20}, {"iterations", 2048}}, peak64, "theoretical fp64");
      figure("chipcert gemm fp64 1024^3", "gemm", CC_DTYPE_F64,
             {{"m", 1024}, {"n", 1024}, {"k", 1024}}, peak64, "theoretical fp64", false,
             p64.ok ? p64.work.flop / p64.best_s / 1e9 : 0, "chipcert peak fp64");
    }
    constexpr int64_t kTriad = int64_t{1} << 25;
    const double omp = omp_triad_gbs(int(cores), kTriad, reps, false);
    std::printf("  OpenMP triad fp64 2^25 (ref.) %9.1f GB/s   (%u threads, best of %d)\n", omp,
                cores, reps);
    // The stronger reference, where the ISA has it: the same loop with
    // streaming stores, as chipcert writes arrays this large.
    const bool avx512 = __builtin_cpu_supports("avx512f") != 0;
    const double omp_nt = avx512 ? omp_triad_gbs(int(cores), kTriad, reps, true) : 0;
    if (avx512)
      std::printf("  OpenMP triad fp64 2^25, streaming stores (ref.) %9.1f GB/s\n", omp_nt);
    const bool nt_ref = omp_nt > omp;
    figure("chipcert stream_triad fp64 2^25", "stream_triad", CC_DTYPE_F64, {{"n", kTriad}},
           std::max(omp, omp_nt), nt_ref ? "OpenMP triad, streaming stores" : "OpenMP triad", true);
    // The ratios above rest on one clock reading taken at the start; on a
    // shared host that moment can be unrepresentative, so read it again.
    const double ghz_end =
        chipcert::harness::measure_clock_under_load_mhz(cores, 5).value_or(0) / 1000;
    std::printf("  clock under load, at the end   %9.3f GHz (%+.1f %% from the start)%s\n", ghz_end,
                ghz > 0 ? 100 * (ghz_end / ghz - 1) : 0.0,
                ghz > 0 && std::abs(ghz_end / ghz - 1) > 0.03
                    ? "  (moved more than 3 %: the host was busy; re-run before trusting "
                      "the ratios)"
                    : "");
    // `chipcert run` records the higher of its readings (a busy host only
    // lowers one), so the ratios above are too high by this much when the
    // end read higher.
    if (ghz > 0 && ghz_end > ghz)
      std::printf(
          "  against the higher (end) reading, every \"x theoretical\" above is x %.3f of what "
          "it says\n",
          ghz / ghz_end);
  }
#ifdef CHIPCERT_FIDELITY_OPENCL
  if (const cc_driver_v1* ocl = chipcert_opencl_driver_entry(1)) {
    uint32_t count = 0;
    if (ocl->enumerate(&count) != CC_OK) count = 0;
    for (uint32_t i = 0; i < count; ++i) {
      cc_device_info info{};
      info.struct_size = sizeof info;
      ocl->device_info(i, &info);
      std::printf("OpenCL device %u: %s\n", i, info.name);
      cw::Device dev(*ocl, i);
      for (auto [what, workload, dt, p, bytes] :
           {std::tuple{"chipcert peak fp32", "peak", CC_DTYPE_F32,
                       json{{"n", 1 << 20}, {"iterations", 4096}}, false},
            {"chipcert gemm fp32 2048^3", "gemm", CC_DTYPE_F32,
             json{{"m", 2048}, {"n", 2048}, {"k", 2048}}, false},
            {"chipcert stream_triad fp64 2^25", "stream_triad", CC_DTYPE_F64,
             json{{"n", int64_t{1} << 25}}, true}}) {
        const Figure f = chipcert_figure(dev, workload, dt, p, reps);
        if (!f.ok && f.why.rfind("verification failed", 0) == 0) exit_code = 1;
        print_rate(what, f, 0, "", bytes);
      }
    }
  }
#endif
  return exit_code;
}
