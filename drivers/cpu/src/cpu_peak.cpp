// CC_OP_PEAK: peak arithmetic throughput with hand-written intrinsics chains.
//
// Every element runs its own dependent recurrence (see cc_peak_params), so a
// vector register holds 16 (fp32) or 8 (fp64) independent chains, and each
// thread keeps kChains registers in flight at once: Zen 5 / Sapphire Rapids
// have 2 FMA pipes with a 4-cycle latency, so 8 registers are the minimum and
// 24 leave room for the longer latency of VDPBF16PS / VPDPBUSD. The group of
// kChains registers is loaded once, iterated `iterations` times in registers,
// and stored once: the loop is pure arithmetic. The last, partial group of a
// thread uses the same code with masked loads and stores (its cost is that of a
// full group: the chains are latency-bound, not width-bound).
//
// The ISA is chosen at prepare time from cpuid (Isa), and each variant is a
// function with its own `target` attribute, so the build itself stays
// baseline x86-64.
#include <immintrin.h>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>

#include "cpu_internal.hpp"

namespace chipcert::cpu {
namespace {

#define CC_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))
#define CC_AVX512BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define CC_AVX512VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define CC_AVX2 __attribute__((target("avx2,fma")))

constexpr int kChains = 24;   // AVX-512: 24 of the 32 zmm registers accumulate
constexpr int kChains2 = 12;  // AVX2: 12 of the 16 ymm registers

/// `n` rounds of `INSN b, a, acc[c]` (AT&T operand order) on the 24 chains
/// in acc[] (memory, 64-byte aligned), with a and b in memory too. Written in
/// inline asm because GCC's allocator spilled some of 24 accumulators kept
/// in an array to the stack inside the loop (measured 0.4-0.8 of peak); here
/// each chain lives in zmm0-23, a and b in zmm24/25, and the loop is exactly
/// 24 arithmetic instructions plus dec/jnz.
#define CC_CHAIN_LOOP(INSN, accp, ap, bp, n)                                                       \
  do {                                                                                             \
    int64_t left_ = (n);                                                                           \
    if (left_ <= 0) break;                                                                         \
    __asm__ volatile(                                                                              \
        "vmovups 0(%[acc]), %%zmm0\n\t"                                                            \
        "vmovups 64(%[acc]), %%zmm1\n\t"                                                           \
        "vmovups 128(%[acc]), %%zmm2\n\t"                                                          \
        "vmovups 192(%[acc]), %%zmm3\n\t"                                                          \
        "vmovups 256(%[acc]), %%zmm4\n\t"                                                          \
        "vmovups 320(%[acc]), %%zmm5\n\t"                                                          \
        "vmovups 384(%[acc]), %%zmm6\n\t"                                                          \
        "vmovups 448(%[acc]), %%zmm7\n\t"                                                          \
        "vmovups 512(%[acc]), %%zmm8\n\t"                                                          \
        "vmovups 576(%[acc]), %%zmm9\n\t"                                                          \
        "vmovups 640(%[acc]), %%zmm10\n\t"                                                         \
        "vmovups 704(%[acc]), %%zmm11\n\t"                                                         \
        "vmovups 768(%[acc]), %%zmm12\n\t"                                                         \
        "vmovups 832(%[acc]), %%zmm13\n\t"                                                         \
        "vmovups 896(%[acc]), %%zmm14\n\t"                                                         \
        "vmovups 960(%[acc]), %%zmm15\n\t"                                                         \
        "vmovups 1024(%[acc]), %%zmm16\n\t"                                                        \
        "vmovups 1088(%[acc]), %%zmm17\n\t"                                                        \
        "vmovups 1152(%[acc]), %%zmm18\n\t"                                                        \
        "vmovups 1216(%[acc]), %%zmm19\n\t"                                                        \
        "vmovups 1280(%[acc]), %%zmm20\n\t"                                                        \
        "vmovups 1344(%[acc]), %%zmm21\n\t"                                                        \
        "vmovups 1408(%[acc]), %%zmm22\n\t"                                                        \
        "vmovups 1472(%[acc]), %%zmm23\n\t"                                                        \
        "vmovups (%[a]), %%zmm24\n\t"                                                              \
        "vmovups (%[b]), %%zmm25\n\t"                                                              \
        "1:\n\t" INSN " %%zmm25, %%zmm24, %%zmm0\n\t" INSN " %%zmm25, %%zmm24, %%zmm1\n\t" INSN    \
        " %%zmm25, %%zmm24, %%zmm2\n\t" INSN " %%zmm25, %%zmm24, %%zmm3\n\t" INSN                  \
        " %%zmm25, %%zmm24, %%zmm4\n\t" INSN " %%zmm25, %%zmm24, %%zmm5\n\t" INSN                  \
        " %%zmm25, %%zmm24, %%zmm6\n\t" INSN " %%zmm25, %%zmm24, %%zmm7\n\t" INSN                  \
        " %%zmm25, %%zmm24, %%zmm8\n\t" INSN " %%zmm25, %%zmm24, %%zmm9\n\t" INSN                  \
        " %%zmm25, %%zmm24, %%zmm10\n\t" INSN " %%zmm25, %%zmm24, %%zmm11\n\t" INSN                \
        " %%zmm25, %%zmm24, %%zmm12\n\t" INSN " %%zmm25, %%zmm24, %%zmm13\n\t" INSN                \
        " %%zmm25, %%zmm24, %%zmm14\n\t" INSN " %%zmm25, %%zmm24, %%zmm15\n\t" INSN                \
        " %%zmm25, %%zmm24, %%zmm16\n\t" INSN " %%zmm25, %%zmm24, %%zmm17\n\t" INSN                \
        " %%zmm25, %%zmm24, %%zmm18\n\t" INSN " %%zmm25, %%zmm24, %%zmm19\n\t" INSN                \
        " %%zmm25, %%zmm24, %%zmm20\n\t" INSN " %%zmm25, %%zmm24, %%zmm21\n\t" INSN                \
        " %%zmm25, %%zmm24, %%zmm22\n\t" INSN                                                      \
        " %%zmm25, %%zmm24, %%zmm23\n\t"                                                           \
        "dec %[left]\n\t"                                                                          \
        "jnz 1b\n\t"                                                                               \
        "vmovups %%zmm0, 0(%[acc])\n\t"                                                            \
        "vmovups %%zmm1, 64(%[acc])\n\t"                                                           \
        "vmovups %%zmm2, 128(%[acc])\n\t"                                                          \
        "vmovups %%zmm3, 192(%[acc])\n\t"                                                          \
        "vmovups %%zmm4, 256(%[acc])\n\t"                                                          \
        "vmovups %%zmm5, 320(%[acc])\n\t"                                                          \
        "vmovups %%zmm6, 384(%[acc])\n\t"                                                          \
        "vmovups %%zmm7, 448(%[acc])\n\t"                                                          \
        "vmovups %%zmm8, 512(%[acc])\n\t"                                                          \
        "vmovups %%zmm9, 576(%[acc])\n\t"                                                          \
        "vmovups %%zmm10, 640(%[acc])\n\t"                                                         \
        "vmovups %%zmm11, 704(%[acc])\n\t"                                                         \
        "vmovups %%zmm12, 768(%[acc])\n\t"                                                         \
        "vmovups %%zmm13, 832(%[acc])\n\t"                                                         \
        "vmovups %%zmm14, 896(%[acc])\n\t"                                                         \
        "vmovups %%zmm15, 960(%[acc])\n\t"                                                         \
        "vmovups %%zmm16, 1024(%[acc])\n\t"                                                        \
        "vmovups %%zmm17, 1088(%[acc])\n\t"                                                        \
        "vmovups %%zmm18, 1152(%[acc])\n\t"                                                        \
        "vmovups %%zmm19, 1216(%[acc])\n\t"                                                        \
        "vmovups %%zmm20, 1280(%[acc])\n\t"                                                        \
        "vmovups %%zmm21, 1344(%[acc])\n\t"                                                        \
        "vmovups %%zmm22, 1408(%[acc])\n\t"                                                        \
        "vmovups %%zmm23, 1472(%[acc])\n\t"                                                        \
        : [left] "+r"(left_)                                                                       \
        : [acc] "r"(accp), [a] "r"(ap), [b] "r"(bp)                                                \
        : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",  \
          "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", \
          "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25");                          \
  } while (0)

__mmask16 mask16(int64_t rem) {
  return rem >= 16 ? __mmask16(0xffff) : rem <= 0 ? __mmask16(0) : __mmask16((1u << rem) - 1);
}
__mmask8 mask8(int64_t rem) {
  return rem >= 8 ? __mmask8(0xff) : rem <= 0 ? __mmask8(0) : __mmask8((1u << rem) - 1);
}

// ---- AVX-512 groups: `count` (<= kChains * lanes) elements from x to y ----

CC_AVX512 void group_f32_avx512(const float* x, float* y, int64_t count, int64_t iters, float a,
                                float b) {
  __m512 acc[kChains];
  const __m512 va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b);
#pragma GCC unroll 32
  for (int c = 0; c < kChains; ++c)
    acc[c] = _mm512_maskz_loadu_ps(mask16(count - c * 16), x + c * 16);
  CC_CHAIN_LOOP("vfmadd213ps", acc, &va, &vb, iters);  // acc = acc * a + b
#pragma GCC unroll 32
  for (int c = 0; c < kChains; ++c)
    _mm512_mask_storeu_ps(y + c * 16, mask16(count - c * 16), acc[c]);
}

CC_AVX512 void group_f64_avx512(const double* x, double* y, int64_t count, int64_t iters, double a,
                                double b) {
  __m512d acc[kChains];
  const __m512d va = _mm512_set1_pd(a), vb = _mm512_set1_pd(b);
#pragma GCC unroll 32
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_maskz_loadu_pd(mask8(count - c * 8), x + c * 8);
  CC_CHAIN_LOOP("vfmadd213pd", acc, &va, &vb, iters);
#pragma GCC unroll 32
  for (int c = 0; c < kChains; ++c) _mm512_mask_storeu_pd(y + c * 8, mask8(count - c * 8), acc[c]);
}

/// VDPBF16PS: each fp32 lane adds a0*b0 + a1*b1 of its bf16 pair. With both
/// halves of the pair set to (a, b) one instruction is two iterations; an odd
/// count ends with the pair (a, 0) x (b, b).
CC_AVX512BF16 void group_bf16_avx512(const float* x, float* y, int64_t count, int64_t iters,
                                     uint16_t a, uint16_t b) {
  __m512 acc[kChains];
  const __m512bh va = (__m512bh)_mm512_set1_epi32(int((uint32_t(a) << 16) | a));
  const __m512bh vb = (__m512bh)_mm512_set1_epi32(int((uint32_t(b) << 16) | b));
#pragma GCC unroll 32
  for (int c = 0; c < kChains; ++c)
    acc[c] = _mm512_maskz_loadu_ps(mask16(count - c * 16), x + c * 16);
  CC_CHAIN_LOOP("vdpbf16ps", acc, &va, &vb, iters / 2);
  if (iters % 2) {
    const __m512bh va1 = (__m512bh)_mm512_set1_epi32(int(a));  // low half a, high half 0
#pragma GCC unroll 32
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_dpbf16_ps(acc[c], va1, vb);
  }
#pragma GCC unroll 32
  for (int c = 0; c < kChains; ++c)
    _mm512_mask_storeu_ps(y + c * 16, mask16(count - c * 16), acc[c]);
}

/// VPDPBUSD multiplies unsigned by signed bytes, 4 products per int32 lane.
/// The ABI's signed a*b is computed exactly with a bias: a*b = (a+128)*b -
/// 128*b, where a+128 fits u8. Each instruction is 4 iterations of
/// acc += (a+128)*b; the -128*b*iterations part is one constant subtracted
/// from the start value (int32 arithmetic wraps, so the result is exact modulo
/// 2^32, like the recurrence itself). Full VNNI rate: 4 iterations x 16 lanes
/// x 2 ops = 128 ops per instruction. A remainder of r < 4 iterations is one
/// more instruction whose unused byte slots hold 0.
CC_AVX512VNNI void group_i8_avx512(const int32_t* x, int32_t* y, int64_t count, int64_t iters,
                                   int8_t a, int8_t b) {
  __m512i acc[kChains];
  const uint32_t ub = uint8_t(int(a) + 128), sb = uint8_t(b);
  const __m512i vu = _mm512_set1_epi32(int(ub * 0x01010101u));
  const __m512i vs = _mm512_set1_epi32(int(sb * 0x01010101u));
  const uint32_t bias = uint32_t(uint64_t(iters) * uint64_t(int64_t(128) * b));
  const __m512i vbias = _mm512_set1_epi32(int(0u - bias));
#pragma GCC unroll 32
  for (int c = 0; c < kChains; ++c)
    acc[c] = _mm512_add_epi32(_mm512_maskz_loadu_epi32(mask16(count - c * 16), x + c * 16), vbias);
  CC_CHAIN_LOOP("vpdpbusd", acc, &vu, &vs, iters / 4);  // acc += u8(vu) . s8(vs)
  if (const int r = int(iters % 4); r > 0) {
    const __m512i vur = _mm512_set1_epi32(int(ub * ((0xffffffffu >> (32 - 8 * r)) / 0xffu)));
#pragma GCC unroll 32
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_dpbusd_epi32(acc[c], vur, vs);
  }
#pragma GCC unroll 32
  for (int c = 0; c < kChains; ++c)
    _mm512_mask_storeu_epi32(y + c * 16, mask16(count - c * 16), acc[c]);
}

// ---- AMX: 6 accumulator tiles of 16 x 16 (1536 elements) per group ----
//
// Each element's recurrence acc += a*b becomes 32 iterations per TDPBF16PS
// (a 16x16 fp32 tile += 16 rows of 32 bf16 a's x 32x16 bf16 b's: every
// element adds 32 products a*b) and 64 per TDPBSSD (int8, exact in int32).
// The iterations left over, fewer than one instruction's, run on the
// AVX-512 groups above. tmm0-5 accumulate, tmm6 holds a, tmm7 holds b.

#define CC_AMX    \
  __attribute__(( \
      target("avx512f,avx512bw,avx512vl,avx512bf16,avx512vnni,amx-tile,amx-bf16,amx-int8")))

constexpr int64_t kTileElems = 256, kAmxTiles = 6, kAmxGroup = kTileElems * kAmxTiles;

/// The 64-byte configuration LDTILECFG reads: palette 1, eight 16-row tiles
/// of 64 bytes a row.
struct alignas(64) TileConfig {
  uint8_t palette_id = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {64, 64, 64, 64, 64, 64, 64, 64};
  uint8_t rows[16] = {16, 16, 16, 16, 16, 16, 16, 16};
};
static_assert(sizeof(TileConfig) == 64);

/// One AMX group: elements [0, count) of x (at most kAmxGroup) through the
/// recurrence into y. T is float (bf16 pairs a, b in `a2`, `b2`) or int32_t
/// (int8 bytes a, b). A group short of 1536 elements (a thread's last) goes
/// through a zero-padded copy, so the tiles always load and store whole.
template <class T>
CC_AMX void group_amx(const T* x, T* y, int64_t count, int64_t iters, uint16_t a2, uint16_t b2,
                      int8_t a8, int8_t b8) {
  constexpr bool kInt8 = std::is_same_v<T, int32_t>;
  constexpr int64_t kPerInstruction = kInt8 ? 64 : 32;
  const int64_t n = std::min(count, kAmxGroup);
  alignas(64) T pad[kAmxGroup];
  const T* src = x;
  T* dst = y;
  if (n < kAmxGroup) {
    std::memcpy(pad, x, size_t(n) * sizeof(T));
    std::memset(pad + n, 0, size_t(kAmxGroup - n) * sizeof(T));
    src = dst = pad;
  }
  alignas(64) uint16_t ta[16 * 32], tb[16 * 32];
  for (auto& v : ta) v = kInt8 ? uint16_t(uint8_t(a8) * 0x0101u) : a2;
  for (auto& v : tb) v = kInt8 ? uint16_t(uint8_t(b8) * 0x0101u) : b2;
  const TileConfig cfg;
  _tile_loadconfig(&cfg);
  _tile_loadd(0, src + 0 * kTileElems, 64);
  _tile_loadd(1, src + 1 * kTileElems, 64);
  _tile_loadd(2, src + 2 * kTileElems, 64);
  _tile_loadd(3, src + 3 * kTileElems, 64);
  _tile_loadd(4, src + 4 * kTileElems, 64);
  _tile_loadd(5, src + 5 * kTileElems, 64);
  _tile_loadd(6, ta, 64);
  _tile_loadd(7, tb, 64);
  for (int64_t i = 0; i < iters / kPerInstruction; ++i) {
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
  _tile_stored(0, dst + 0 * kTileElems, 64);
  _tile_stored(1, dst + 1 * kTileElems, 64);
  _tile_stored(2, dst + 2 * kTileElems, 64);
  _tile_stored(3, dst + 3 * kTileElems, 64);
  _tile_stored(4, dst + 4 * kTileElems, 64);
  _tile_stored(5, dst + 5 * kTileElems, 64);
  _tile_release();
  if (const int64_t rest = iters % kPerInstruction; rest > 0)
    for (int64_t v = 0; v < n; v += kChains * 16) {
      if constexpr (kInt8)
        group_i8_avx512(dst + v, dst + v, n - v, rest, a8, b8);
      else
        group_bf16_avx512(dst + v, dst + v, n - v, rest, a2, b2);
    }
  if (dst == pad) std::memcpy(y, pad, size_t(n) * sizeof(T));
}

// ---- AVX2 fallbacks: whole vectors only; the caller runs the rest scalar ----

CC_AVX2 void group_f32_avx2(const float* x, float* y, int64_t iters, float a, float b) {
  __m256 acc[kChains2];
  const __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b);
#pragma GCC unroll 16
  for (int c = 0; c < kChains2; ++c) acc[c] = _mm256_loadu_ps(x + c * 8);
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int c = 0; c < kChains2; ++c) acc[c] = _mm256_fmadd_ps(acc[c], va, vb);
  }
#pragma GCC unroll 16
  for (int c = 0; c < kChains2; ++c) _mm256_storeu_ps(y + c * 8, acc[c]);
}

CC_AVX2 void group_f64_avx2(const double* x, double* y, int64_t iters, double a, double b) {
  __m256d acc[kChains2];
  const __m256d va = _mm256_set1_pd(a), vb = _mm256_set1_pd(b);
#pragma GCC unroll 16
  for (int c = 0; c < kChains2; ++c) acc[c] = _mm256_loadu_pd(x + c * 4);
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int c = 0; c < kChains2; ++c) acc[c] = _mm256_fmadd_pd(acc[c], va, vb);
  }
#pragma GCC unroll 16
  for (int c = 0; c < kChains2; ++c) _mm256_storeu_pd(y + c * 4, acc[c]);
}

/// Scalar recurrences: the reference semantics, used for tails and old CPUs.
/// The empty asm keeps the compiler from collapsing the loop into a product.
template <class T>
void chain_scalar(const T* x, T* y, int64_t count, int64_t iters, T a, T b) {
  for (int64_t e = 0; e < count; ++e) {
    T acc = x[e];
    for (int64_t i = 0; i < iters; ++i) {
      acc = std::fma(acc, a, b);
      __asm__("" : "+x"(acc));
    }
    y[e] = acc;
  }
}

void chain_i8_scalar(const int32_t* x, int32_t* y, int64_t count, int64_t iters, int32_t ab) {
  for (int64_t e = 0; e < count; ++e) {
    uint32_t acc = uint32_t(x[e]);
    for (int64_t i = 0; i < iters; ++i) {
      acc += uint32_t(ab);
      __asm__("" : "+r"(acc));
    }
    y[e] = int32_t(acc);
  }
}

float bf16_to_f32(uint16_t h) {
  const uint32_t u = uint32_t(h) << 16;
  float f = 0;
  std::memcpy(&f, &u, 4);
  return f;
}

/// Round to nearest even bf16 (NaN kept quiet).
uint16_t f32_to_bf16(float f) {
  uint32_t u = 0;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);
  return uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

int8_t to_i8(double v) {
  // Round, then wrap like a C cast of an integer would on every compiler we use.
  const double r = std::nearbyint(v);
  if (!(r >= -128 && r <= 127))
    throw Error(CC_ERR_INVALID_ARGUMENT,
                "PEAK int8: alpha and beta must round to [-128, 127], got " + std::to_string(v));
  return int8_t(r);
}

class PeakKernel final : public Kernel {
 public:
  PeakKernel(const cc_op_desc& op, int threads, Isa isa)
      : p_(op.u.peak), dtype_(op.dtype), threads_(threads), isa_(isa) {
    if (p_.n < 0 || p_.iterations < 0)
      throw Error(CC_ERR_INVALID_ARGUMENT, "PEAK n and iterations must be >= 0");
    const uint64_t bytes = checked_bytes(uint64_t(p_.n), dtype_size(op.acc_dtype));
    args_ = {{"x", bytes}, {"y", bytes}};
    if (dtype_ == CC_DTYPE_I8) {
      a8_ = to_i8(p_.alpha);
      b8_ = to_i8(p_.beta);
    }
    bf_a_ = f32_to_bf16(float(p_.alpha));
    bf_b_ = f32_to_bf16(float(p_.beta));
    info_ = describe();
  }

  void run(void* const* data) override {
    const int64_t n = p_.n;
#pragma omp parallel num_threads(threads_)
    {
      // Contiguous shares in whole 64-byte vectors, so only the last share
      // has a partial vector.
      const Range r = thread_range(
          n, omp_get_thread_num(), omp_get_num_threads(),
          int64_t(64 / dtype_size(dtype_ == CC_DTYPE_F64 ? CC_DTYPE_F64 : CC_DTYPE_F32)));
      if (r.hi > r.lo) share(data[0], data[1], r.lo, r.hi - r.lo);
    }
  }

 private:
  std::string describe() const {
    switch (dtype_) {
      case CC_DTYPE_F32:
      case CC_DTYPE_F64:
        if (isa_ >= Isa::kAvx512)
          return std::string("unit avx512-fma-") + (dtype_ == CC_DTYPE_F64 ? "fp64" : "fp32") +
                 ": chipcert fma x24 zmm chains per thread";
        if (isa_ == Isa::kAvx2)
          return std::string("unit avx2-fma-") + (dtype_ == CC_DTYPE_F64 ? "fp64" : "fp32") +
                 ": chipcert fma x12 ymm chains per thread";
        return "chipcert scalar fma chains";
      case CC_DTYPE_BF16:
        if (isa_ == Isa::kAmx)
          return "unit amx-bf16: chipcert AMX tdpbf16ps x6 accumulator tiles per thread (32 "
                 "iterations per instruction; the rest of 32 on avx512-bf16)";
        if (isa_ == Isa::kAvx512Bf16Vnni)
          return "unit avx512-bf16: chipcert vdpbf16ps x24 zmm chains per thread (2 iterations "
                 "per instruction)";
        return "chipcert scalar fp32 fma chains (no AVX512_BF16)";
      default:
        if (isa_ == Isa::kAmx)
          return "unit amx-int8: chipcert AMX tdpbssd x6 accumulator tiles per thread (64 "
                 "iterations per instruction; the rest of 64 on avx512-vnni-int8)";
        if (isa_ == Isa::kAvx512Bf16Vnni)
          return "unit avx512-vnni-int8: chipcert vpdpbusd x24 zmm chains per thread (u8 bias "
                 "a+128, 4 iterations per instruction)";
        return "chipcert scalar int32 chains (no AVX512_VNNI)";
    }
  }

  /// Runs elements [lo, lo + count) of x into y.
  void share(const void* xv, void* yv, int64_t lo, int64_t count) const {
    const int64_t it = p_.iterations;
    switch (dtype_) {
      case CC_DTYPE_F32: {
        const float* x = static_cast<const float*>(xv) + lo;
        float* y = static_cast<float*>(yv) + lo;
        const float a = float(p_.alpha), b = float(p_.beta);
        if (isa_ >= Isa::kAvx512) {
          for (int64_t g = 0; g < count; g += kChains * 16)
            group_f32_avx512(x + g, y + g, count - g, it, a, b);
        } else {
          int64_t g = 0;
          if (isa_ == Isa::kAvx2)
            for (; g + kChains2 * 8 <= count; g += kChains2 * 8)
              group_f32_avx2(x + g, y + g, it, a, b);
          chain_scalar(x + g, y + g, count - g, it, a, b);
        }
        return;
      }
      case CC_DTYPE_F64: {
        const double* x = static_cast<const double*>(xv) + lo;
        double* y = static_cast<double*>(yv) + lo;
        const double a = p_.alpha, b = p_.beta;
        if (isa_ >= Isa::kAvx512) {
          for (int64_t g = 0; g < count; g += kChains * 8)
            group_f64_avx512(x + g, y + g, count - g, it, a, b);
        } else {
          int64_t g = 0;
          if (isa_ == Isa::kAvx2)
            for (; g + kChains2 * 4 <= count; g += kChains2 * 4)
              group_f64_avx2(x + g, y + g, it, a, b);
          chain_scalar(x + g, y + g, count - g, it, a, b);
        }
        return;
      }
      case CC_DTYPE_BF16: {
        const float* x = static_cast<const float*>(xv) + lo;
        float* y = static_cast<float*>(yv) + lo;
        if (isa_ == Isa::kAmx) {
          for (int64_t g = 0; g < count; g += kAmxGroup)
            group_amx(x + g, y + g, count - g, it, bf_a_, bf_b_, 0, 0);
        } else if (isa_ == Isa::kAvx512Bf16Vnni) {
          for (int64_t g = 0; g < count; g += kChains * 16)
            group_bf16_avx512(x + g, y + g, count - g, it, bf_a_, bf_b_);
        } else {
          // acc + a*b with one rounding: fma(a, b, acc) = fma(acc, 1, a*b) is
          // not the same order, so spell the recurrence directly.
          const float a = bf16_to_f32(bf_a_), b = bf16_to_f32(bf_b_);
          for (int64_t e = 0; e < count; ++e) {
            float acc = x[e];
            for (int64_t i = 0; i < it; ++i) {
              acc = std::fma(a, b, acc);
              __asm__("" : "+x"(acc));
            }
            y[e] = acc;
          }
        }
        return;
      }
      default: {  // int8 -> int32
        const int32_t* x = static_cast<const int32_t*>(xv) + lo;
        int32_t* y = static_cast<int32_t*>(yv) + lo;
        if (isa_ == Isa::kAmx) {
          for (int64_t g = 0; g < count; g += kAmxGroup)
            group_amx(x + g, y + g, count - g, it, 0, 0, a8_, b8_);
        } else if (isa_ == Isa::kAvx512Bf16Vnni) {
          for (int64_t g = 0; g < count; g += kChains * 16)
            group_i8_avx512(x + g, y + g, count - g, it, a8_, b8_);
        } else {
          chain_i8_scalar(x, y, count, it, int32_t(a8_) * int32_t(b8_));
        }
        return;
      }
    }
  }

  cc_peak_params p_;
  uint32_t dtype_;
  int threads_;
  Isa isa_;
  int8_t a8_ = 0, b8_ = 0;
  uint16_t bf_a_ = 0, bf_b_ = 0;
};

}  // namespace

std::unique_ptr<Kernel> make_peak_kernel(Device& dev, const cc_op_desc& op) {
  const uint32_t in = op.dtype, acc = op.acc_dtype;
  const bool ok =
      (in == CC_DTYPE_F32 && acc == CC_DTYPE_F32) || (in == CC_DTYPE_F64 && acc == CC_DTYPE_F64) ||
      (in == CC_DTYPE_BF16 && acc == CC_DTYPE_F32) || (in == CC_DTYPE_I8 && acc == CC_DTYPE_I32);
  if (!ok)
    throw Error(CC_ERR_UNSUPPORTED, std::string("PEAK dtype/acc_dtype ") + dtype_name(in) + "/" +
                                        dtype_name(acc) +
                                        " is not supported; supported: f32/f32, f64/f64, "
                                        "bf16/f32, i8/i32 (no f16 or tf32 arithmetic on this CPU)");
  return std::make_unique<PeakKernel>(op, dev.threads(), cpu_isa());
}

}  // namespace chipcert::cpu
