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

// 16 independent chains (12 on ymm): more than latency x pipes on any
// x86-64 core (4 x 2 for FMA on Zen 4/5 and Sapphire Rapids; VDPBF16PS and
// VPDPBUSD have latencies of 5-6). 2^20 trips: 16 M instructions, ~5 ms at
// one per cycle. In inline asm, as the CPU driver's peak kernels are: from
// intrinsics GCC 12 made a VPDPBUSD loop with a register move beside every
// instruction and a spill to the stack each trip, which read 0.90 of the
// unit's rate on Zen 4. Every chain is `INSN src2, src1, acc` in AT&T order
// with src1 and src2 loaded from `a` and `b` (64 bytes each); the
// accumulators start at 0: acc = acc * 0.9999999 + 1e-7 and its kin stay
// normal, and integer chains wrap.
constexpr int64_t kTrips = int64_t{1} << 20;

#define CC_TARGET(features) __attribute__((target(features)))

#define CC_ZMM16(INSN)                                                             \
  INSN " %%zmm17, %%zmm16, %%zmm0\n\t" INSN " %%zmm17, %%zmm16, %%zmm1\n\t" INSN   \
       " %%zmm17, %%zmm16, %%zmm2\n\t" INSN " %%zmm17, %%zmm16, %%zmm3\n\t" INSN   \
       " %%zmm17, %%zmm16, %%zmm4\n\t" INSN " %%zmm17, %%zmm16, %%zmm5\n\t" INSN   \
       " %%zmm17, %%zmm16, %%zmm6\n\t" INSN " %%zmm17, %%zmm16, %%zmm7\n\t" INSN   \
       " %%zmm17, %%zmm16, %%zmm8\n\t" INSN " %%zmm17, %%zmm16, %%zmm9\n\t" INSN   \
       " %%zmm17, %%zmm16, %%zmm10\n\t" INSN " %%zmm17, %%zmm16, %%zmm11\n\t" INSN \
       " %%zmm17, %%zmm16, %%zmm12\n\t" INSN " %%zmm17, %%zmm16, %%zmm13\n\t" INSN \
       " %%zmm17, %%zmm16, %%zmm14\n\t" INSN " %%zmm17, %%zmm16, %%zmm15\n\t"

/// kTrips trips of 16 zmm chains of INSN; needs an AVX-512 target.
#define CC_ZMM_CHAINS(INSN, a, b)                                                                  \
  do {                                                                                             \
    int64_t left_ = kTrips;                                                                        \
    __asm__ volatile(                                                                            \
        "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"                                                      \
        "vmovdqa64 %%zmm0, %%zmm1\n\tvmovdqa64 %%zmm0, %%zmm2\n\tvmovdqa64 %%zmm0, %%zmm3\n\t"   \
        "vmovdqa64 %%zmm0, %%zmm4\n\tvmovdqa64 %%zmm0, %%zmm5\n\tvmovdqa64 %%zmm0, %%zmm6\n\t"   \
        "vmovdqa64 %%zmm0, %%zmm7\n\tvmovdqa64 %%zmm0, %%zmm8\n\tvmovdqa64 %%zmm0, %%zmm9\n\t"   \
        "vmovdqa64 %%zmm0, %%zmm10\n\tvmovdqa64 %%zmm0, %%zmm11\n\tvmovdqa64 %%zmm0, %%zmm12\n\t" \
        "vmovdqa64 %%zmm0, %%zmm13\n\tvmovdqa64 %%zmm0, %%zmm14\n\tvmovdqa64 %%zmm0, %%zmm15\n\t" \
        "vmovdqu64 (%[pa]), %%zmm16\n\t"                                                         \
        "vmovdqu64 (%[pb]), %%zmm17\n\t"                                                         \
        "1:\n\t" CC_ZMM16(INSN) "dec %[left]\n\t"                                                \
        "jnz 1b"                                                                                 \
        : [left] "+r"(left_)                                                                     \
        : [pa] "r"(a), [pb] "r"(b)                                                               \
        : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", \
          "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17"); \
  } while (0)

/// kTrips trips of 12 ymm chains of INSN (ymm0-11; src1 ymm12, src2 ymm13).
#define CC_YMM_CHAINS(INSN, a, b)                                                                 \
  do {                                                                                            \
    int64_t left_ = kTrips;                                                                       \
    __asm__ volatile(                                                                             \
        "vpxor %%ymm0, %%ymm0, %%ymm0\n\t"                                                        \
        "vmovdqa %%ymm0, %%ymm1\n\tvmovdqa %%ymm0, %%ymm2\n\tvmovdqa %%ymm0, %%ymm3\n\t"          \
        "vmovdqa %%ymm0, %%ymm4\n\tvmovdqa %%ymm0, %%ymm5\n\tvmovdqa %%ymm0, %%ymm6\n\t"          \
        "vmovdqa %%ymm0, %%ymm7\n\tvmovdqa %%ymm0, %%ymm8\n\tvmovdqa %%ymm0, %%ymm9\n\t"          \
        "vmovdqa %%ymm0, %%ymm10\n\tvmovdqa %%ymm0, %%ymm11\n\t"                                  \
        "vmovdqu (%[pa]), %%ymm12\n\t"                                                            \
        "vmovdqu (%[pb]), %%ymm13\n\t"                                                            \
        "1:\n\t" INSN " %%ymm13, %%ymm12, %%ymm0\n\t" INSN " %%ymm13, %%ymm12, %%ymm1\n\t" INSN   \
        " %%ymm13, %%ymm12, %%ymm2\n\t" INSN " %%ymm13, %%ymm12, %%ymm3\n\t" INSN                 \
        " %%ymm13, %%ymm12, %%ymm4\n\t" INSN " %%ymm13, %%ymm12, %%ymm5\n\t" INSN                 \
        " %%ymm13, %%ymm12, %%ymm6\n\t" INSN " %%ymm13, %%ymm12, %%ymm7\n\t" INSN                 \
        " %%ymm13, %%ymm12, %%ymm8\n\t" INSN " %%ymm13, %%ymm12, %%ymm9\n\t" INSN                 \
        " %%ymm13, %%ymm12, %%ymm10\n\t" INSN                                                     \
        " %%ymm13, %%ymm12, %%ymm11\n\t"                                                          \
        "dec %[left]\n\t"                                                                         \
        "jnz 1b"                                                                                  \
        : [left] "+r"(left_)                                                                      \
        : [pa] "r"(a), [pb] "r"(b)                                                                \
        : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", \
          "xmm9", "xmm10", "xmm11", "xmm12", "xmm13");                                            \
  } while (0)

/// 64 bytes of one 32-bit pattern: a chain's two sources.
struct alignas(64) Lanes {
  uint32_t v[16];
  constexpr explicit Lanes(uint32_t bits) : v{} {
    for (auto& x : v) x = bits;
  }
};
/// Per-dtype source pairs (m, c for FMAs; a, b for dot products).
constexpr Lanes kF32M(0x3f7ffffe), kF32C(0x33d6bf95);  // 0.9999999f, 1e-7f
struct alignas(64) Lanes64 {
  double v[8];
  constexpr explicit Lanes64(double x) : v{} {
    for (auto& y : v) y = x;
  }
};
constexpr Lanes64 kF64Mul(0.9999999), kF64Add(1e-7);
constexpr Lanes kF16M(0x3c003c00), kF16C(0x04000400);    // fp16 1.0 and 2^-14
constexpr Lanes kBf16A(0x3f803f80), kBf16B(0x33803380);  // bf16 1.0 and 2^-24
constexpr Lanes kU8(0x01010101), kS8(0x02020202);        // bytes 1 and 2

CC_TARGET("avx512f") double fma_fp32_512() {
  CC_ZMM_CHAINS("vfmadd213ps", kF32M.v, kF32C.v);
  return double(kTrips) * 16 * 16 * 2;
}
CC_TARGET("avx512f") double fma_fp64_512() {
  CC_ZMM_CHAINS("vfmadd213pd", kF64Mul.v, kF64Add.v);
  return double(kTrips) * 16 * 8 * 2;
}
/// VDPBF16PS: 16 fp32 lanes, each adding two bf16 products: 64 FLOP.
CC_TARGET("avx512f,avx512bf16") double dpbf16_512() {
  CC_ZMM_CHAINS("vdpbf16ps", kBf16A.v, kBf16B.v);
  return double(kTrips) * 16 * 64;
}
/// VFMADD213PH: 32 fp16 lanes, 64 FLOP.
CC_TARGET("avx512f,avx512fp16") double fma_fp16_512() {
  CC_ZMM_CHAINS("vfmadd213ph", kF16M.v, kF16C.v);
  return double(kTrips) * 16 * 64;
}
/// VPDPBUSD: 16 int32 lanes, each adding four u8 x s8 products: 128 ops.
CC_TARGET("avx512f,avx512vnni") double dpbusd_512() {
  CC_ZMM_CHAINS("vpdpbusd", kU8.v, kS8.v);
  return double(kTrips) * 16 * 128;
}
CC_TARGET("avx2,fma") double fma_fp32_256() {
  CC_YMM_CHAINS("vfmadd213ps", kF32M.v, kF32C.v);
  return double(kTrips) * 12 * 8 * 2;
}
CC_TARGET("avx2,fma") double fma_fp64_256() {
  CC_YMM_CHAINS("vfmadd213pd", kF64Mul.v, kF64Add.v);
  return double(kTrips) * 12 * 4 * 2;
}
/// AVX-VNNI VPDPBUSD on ymm ({vex}: the EVEX form needs AVX512-VNNI): 64 ops.
CC_TARGET("avx2,avxvnni") double dpbusd_256() {
  CC_YMM_CHAINS("%{vex%} vpdpbusd", kU8.v, kS8.v);
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

std::vector<CpuUnitProbe> unit_probes() {
  std::vector<CpuUnitProbe> p;
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx512) {
    p.push_back({"avx512-fma-fp64", "fp64", "AVX-512 VFMADD213PD zmm", fma_fp64_512, 16, 2, 0});
    p.push_back({"avx512-fma-fp32", "fp32", "AVX-512 VFMADD213PS zmm", fma_fp32_512, 32, 2, 0});
  } else if (avx2) {
    p.push_back({"avx2-fma-fp64", "fp64", "AVX2 VFMADD213PD ymm", fma_fp64_256, 8, 2, 0});
    p.push_back({"avx2-fma-fp32", "fp32", "AVX2 VFMADD213PS ymm", fma_fp32_256, 16, 2, 0});
  } else {
    return p;
  }
  if (avx512 && __builtin_cpu_supports("avx512fp16"))
    p.push_back({"avx512-fp16", "fp16", "AVX512-FP16 VFMADD213PH zmm", fma_fp16_512, 64, 2, 0});
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
std::vector<CpuUnitProbe> unit_probes() {
  return {};
}
#endif

}  // namespace chipcert::harness::detail
