#include "cpu_probes.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace chipcert::harness::detail {

#if defined(__x86_64__)
namespace {

// 16 independent chains: more than latency x pipes on any x86-64 core
// (4 x 2 for FMA on Zen 4/5 and Sapphire Rapids; VDPBF16PS and VPDPBUSD
// have latencies of 5-6). 2^20 trips: 16 M instructions, ~5 ms at one per
// cycle. Each window stores one lane to a volatile so nothing is dropped.
constexpr int64_t kTrips = int64_t{1} << 20;

#define CC_TARGET(features) __attribute__((target(features)))

CC_TARGET("avx512f") double fma_fp32_512() {
  __m512 acc[16];
  for (auto& a : acc) a = _mm512_set1_ps(1.0f);
  const __m512 m = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
  for (int64_t i = 0; i < kTrips; ++i) {
#pragma GCC unroll 16
    for (auto& a : acc) a = _mm512_fmadd_ps(a, m, c);
  }
  __m512 sum = acc[0];
  for (int j = 1; j < 16; ++j) sum = _mm512_add_ps(sum, acc[j]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  volatile float sink = lanes[0];
  (void)sink;
  return double(kTrips) * 16 * 16 * 2;
}

CC_TARGET("avx512f") double fma_fp64_512() {
  __m512d acc[16];
  for (auto& a : acc) a = _mm512_set1_pd(1.0);
  const __m512d m = _mm512_set1_pd(0.9999999), c = _mm512_set1_pd(1e-7);
  for (int64_t i = 0; i < kTrips; ++i) {
#pragma GCC unroll 16
    for (auto& a : acc) a = _mm512_fmadd_pd(a, m, c);
  }
  __m512d sum = acc[0];
  for (int j = 1; j < 16; ++j) sum = _mm512_add_pd(sum, acc[j]);
  alignas(64) double lanes[8];
  _mm512_store_pd(lanes, sum);
  volatile double sink = lanes[0];
  (void)sink;
  return double(kTrips) * 16 * 8 * 2;
}

// 12 chains: AVX2 has 16 ymm registers.
CC_TARGET("avx2,fma") double fma_fp32_256() {
  __m256 acc[12];
  for (auto& a : acc) a = _mm256_set1_ps(1.0f);
  const __m256 m = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
  for (int64_t i = 0; i < kTrips; ++i) {
#pragma GCC unroll 12
    for (auto& a : acc) a = _mm256_fmadd_ps(a, m, c);
  }
  __m256 sum = acc[0];
  for (int j = 1; j < 12; ++j) sum = _mm256_add_ps(sum, acc[j]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  volatile float sink = lanes[0];
  (void)sink;
  return double(kTrips) * 12 * 8 * 2;
}

CC_TARGET("avx2,fma") double fma_fp64_256() {
  __m256d acc[12];
  for (auto& a : acc) a = _mm256_set1_pd(1.0);
  const __m256d m = _mm256_set1_pd(0.9999999), c = _mm256_set1_pd(1e-7);
  for (int64_t i = 0; i < kTrips; ++i) {
#pragma GCC unroll 12
    for (auto& a : acc) a = _mm256_fmadd_pd(a, m, c);
  }
  __m256d sum = acc[0];
  for (int j = 1; j < 12; ++j) sum = _mm256_add_pd(sum, acc[j]);
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, sum);
  volatile double sink = lanes[0];
  (void)sink;
  return double(kTrips) * 12 * 4 * 2;
}

/// VDPBF16PS: 16 fp32 lanes, each adding two bf16 products: 64 FLOP.
CC_TARGET("avx512f,avx512bf16") double dpbf16_512() {
  __m512 acc[16];
  for (auto& a : acc) a = _mm512_set1_ps(1.0f);
  // bf16 pairs (1.0, 1.0) and (2^-24, 2^-24): products far below acc's ulp.
  const __m512bh a = (__m512bh)_mm512_set1_epi32(0x3f803f80);
  const __m512bh b = (__m512bh)_mm512_set1_epi32(0x33803380);
  for (int64_t i = 0; i < kTrips; ++i) {
#pragma GCC unroll 16
    for (auto& x : acc) x = _mm512_dpbf16_ps(x, a, b);
  }
  __m512 sum = acc[0];
  for (int j = 1; j < 16; ++j) sum = _mm512_add_ps(sum, acc[j]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  volatile float sink = lanes[0];
  (void)sink;
  return double(kTrips) * 16 * 64;
}

/// VFMADDPH: 32 fp16 lanes, 64 FLOP.
CC_TARGET("avx512f,avx512fp16") double fma_fp16_512() {
  __m512h acc[16];
  for (auto& a : acc) a = _mm512_set1_ph(_Float16(1.0f));
  // acc * 1 + 2^-14: below half an ulp of 1, so acc stays 1, never subnormal.
  const __m512h m = _mm512_set1_ph(_Float16(1.0f)), c = _mm512_set1_ph(_Float16(6.103515625e-05f));
  for (int64_t i = 0; i < kTrips; ++i) {
#pragma GCC unroll 16
    for (auto& a : acc) a = _mm512_fmadd_ph(a, m, c);
  }
  __m512h sum = acc[0];
  for (int j = 1; j < 16; ++j) sum = _mm512_add_ph(sum, acc[j]);
  alignas(64) uint16_t lanes[32];
  _mm512_store_si512(lanes, _mm512_castph_si512(sum));
  volatile uint16_t sink = lanes[0];
  (void)sink;
  return double(kTrips) * 16 * 64;
}

/// VPDPBUSD: 16 int32 lanes, each adding four u8 x s8 products: 128 ops.
CC_TARGET("avx512f,avx512vnni") double dpbusd_512() {
  __m512i acc[16];
  for (auto& a : acc) a = _mm512_setzero_si512();
  const __m512i u = _mm512_set1_epi32(0x01010101), s = _mm512_set1_epi32(0x02020202);
  for (int64_t i = 0; i < kTrips; ++i) {
#pragma GCC unroll 16
    for (auto& a : acc) a = _mm512_dpbusd_epi32(a, u, s);
  }
  __m512i sum = acc[0];
  for (int j = 1; j < 16; ++j) sum = _mm512_add_epi32(sum, acc[j]);
  alignas(64) int32_t lanes[16];
  _mm512_store_si512(lanes, sum);
  volatile int32_t sink = lanes[0];
  (void)sink;
  return double(kTrips) * 16 * 128;
}

/// AVX-VNNI VPDPBUSD on ymm: 64 ops.
CC_TARGET("avx2,avxvnni") double dpbusd_256() {
  __m256i acc[12];
  for (auto& a : acc) a = _mm256_setzero_si256();
  const __m256i u = _mm256_set1_epi32(0x01010101), s = _mm256_set1_epi32(0x02020202);
  for (int64_t i = 0; i < kTrips; ++i) {
#pragma GCC unroll 12
    for (auto& a : acc) a = _mm256_dpbusd_avx_epi32(a, u, s);
  }
  __m256i sum = acc[0];
  for (int j = 1; j < 12; ++j) sum = _mm256_add_epi32(sum, acc[j]);
  alignas(32) int32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), sum);
  volatile int32_t sink = lanes[0];
  (void)sink;
  return double(kTrips) * 12 * 64;
}

// ---- AMX: tiles tmm0-5 accumulate, tmm6 and tmm7 hold A and B ----

/// The 64-byte tile configuration LDTILECFG reads (palette 1).
struct alignas(64) TileConfig {
  uint8_t palette_id = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};
static_assert(sizeof(TileConfig) == 64);

TileConfig full_tiles() {
  TileConfig cfg;
  for (int t = 0; t < 8; ++t) {
    cfg.colsb[t] = 64;
    cfg.rows[t] = 16;
  }
  return cfg;
}

// 2^14 trips of 6 instructions at 16 cycles each: 1.6 M cycles, ~0.6 ms.
constexpr int64_t kAmxTrips = int64_t{1} << 14;

/// TDPBF16PS (a 16x16 fp32 tile += 16x32 bf16 x 32x16 bf16: 16384 FLOP) or
/// TDPBSSD (int32 += 16x64 s8 x 64x16 s8: 32768 ops) on six accumulator
/// tiles. unit_probes() offers it only where the CPU has all three AMX parts.
template <bool kInt8>
CC_TARGET("amx-tile,amx-bf16,amx-int8")
double amx_window() {
  const TileConfig cfg = full_tiles();
  // bf16 1.0 x 2^-24, or int8 1 x 2: nothing overflows or goes subnormal.
  alignas(64) uint16_t a[16 * 32], b[16 * 32];
  for (auto& v : a) v = kInt8 ? 0x0101 : 0x3f80;
  for (auto& v : b) v = kInt8 ? 0x0202 : 0x3380;
  alignas(64) uint32_t c[16 * 16];
  _tile_loadconfig(&cfg);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  _tile_zero(4);
  _tile_zero(5);
  _tile_loadd(6, a, 64);
  _tile_loadd(7, b, 64);
  for (int64_t i = 0; i < kAmxTrips; ++i) {
    if constexpr (kInt8) {
      _tile_dpbssd(0, 6, 7);
      _tile_dpbssd(1, 6, 7);
      _tile_dpbssd(2, 6, 7);
      _tile_dpbssd(3, 6, 7);
      _tile_dpbssd(4, 6, 7);
      _tile_dpbssd(5, 6, 7);
    } else {
      _tile_dpbf16ps(0, 6, 7);
      _tile_dpbf16ps(1, 6, 7);
      _tile_dpbf16ps(2, 6, 7);
      _tile_dpbf16ps(3, 6, 7);
      _tile_dpbf16ps(4, 6, 7);
      _tile_dpbf16ps(5, 6, 7);
    }
  }
  _tile_stored(5, c, 64);
  _tile_release();
  volatile uint32_t sink = c[0];
  (void)sink;
  return double(kAmxTrips) * 6 * (kInt8 ? 32768 : 16384);
}

}  // namespace

double add_chain_window() {
  // Register-register: a core may fold an add of an immediate at rename
  // (an `add $1` chain read 10-16 GHz on a 2.1 GHz Xeon), not this. Eight to
  // a loop trip so the loop's own instructions leave the front end idle.
  int64_t x = 0;
  const int64_t one = 1;
  for (int64_t i = 0; i < 1'250'000; ++i)
    __asm__ volatile(
        "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
        "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0"
        : "+r"(x)
        : "r"(one));
  return double(x);
}

double imul_chain_window() {
  int64_t x = 1;
  const int64_t m = int64_t(0x9e3779b97f4a7c15ull);  // odd: x never becomes 0
  constexpr int64_t kTripsImul = 416'667;            // 3.33 M imuls, 10 M cycles
  for (int64_t i = 0; i < kTripsImul; ++i)
    __asm__ volatile(
        "imul %1, %0\n\timul %1, %0\n\timul %1, %0\n\timul %1, %0\n\t"
        "imul %1, %0\n\timul %1, %0\n\timul %1, %0\n\timul %1, %0"
        : "+r"(x)
        : "r"(m));
  volatile int64_t sink = x;
  (void)sink;
  return double(kTripsImul) * 8 * 3;
}

std::string amx_unavailable_reason() {
  if (!__builtin_cpu_supports("amx-tile") || !__builtin_cpu_supports("amx-bf16") ||
      !__builtin_cpu_supports("amx-int8"))
    return "the CPU reports no AMX-TILE/AMX-BF16/AMX-INT8 in CPUID";
  // Linux hands out the 8 KiB tile state only on request (ARCH_REQ_XCOMP_PERM
  // for XFEATURE_XTILEDATA, since Linux 5.16); without it TILELOADD faults.
  constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) != 0)
    return std::string("Linux refused the AMX tile state (arch_prctl ARCH_REQ_XCOMP_PERM: ") +
           std::strerror(errno) + ")";
  return "";
}

std::vector<UnitProbe> unit_probes() {
  std::vector<UnitProbe> p;
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx512) {
    p.push_back({"avx512-fma-fp64", "fp64", "AVX-512 VFMADD231PD zmm", fma_fp64_512, 16, 2, 0});
    p.push_back({"avx512-fma-fp32", "fp32", "AVX-512 VFMADD231PS zmm", fma_fp32_512, 32, 2, 0});
  } else if (avx2) {
    p.push_back({"avx2-fma-fp64", "fp64", "AVX2 VFMADD231PD ymm", fma_fp64_256, 8, 2, 0});
    p.push_back({"avx2-fma-fp32", "fp32", "AVX2 VFMADD231PS ymm", fma_fp32_256, 16, 2, 0});
  } else {
    return p;
  }
  if (avx512 && __builtin_cpu_supports("avx512fp16"))
    p.push_back({"avx512-fp16", "fp16", "AVX512-FP16 VFMADD231PH zmm", fma_fp16_512, 64, 2, 0});
  if (avx512 && __builtin_cpu_supports("avx512bf16"))
    p.push_back({"avx512-bf16", "bf16", "AVX512-BF16 VDPBF16PS zmm", dpbf16_512, 64, 2, 0});
  if (avx512 && __builtin_cpu_supports("avx512vnni"))
    p.push_back({"avx512-vnni-int8", "int8", "AVX512-VNNI VPDPBUSD zmm", dpbusd_512, 128, 2, 0});
  else if (__builtin_cpu_supports("avxvnni"))
    p.push_back({"avx-vnni-int8", "int8", "AVX-VNNI VPDPBUSD ymm", dpbusd_256, 64, 2, 0});
  if (amx_unavailable_reason().empty()) {
    // Intel documents one TDPBF16PS / TDPBSSD per 16 cycles per core
    // (Sapphire, Emerald and Granite Rapids): 1024 bf16 FLOP and 2048 int8
    // ops per cycle.
    p.push_back({"amx-bf16", "bf16", "AMX TDPBF16PS", amx_window<false>, 16384, 1, 1024});
    p.push_back({"amx-int8", "int8", "AMX TDPBSSD", amx_window<true>, 32768, 1, 2048});
  }
  return p;
}

#else
double add_chain_window() {
  return 0;
}
double imul_chain_window() {
  return 0;
}
std::string amx_unavailable_reason() {
  return "not an x86-64 CPU";
}
std::vector<UnitProbe> unit_probes() {
  return {};
}
#endif

}  // namespace chipcert::harness::detail
