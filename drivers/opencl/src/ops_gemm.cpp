// GEMM: descriptor checks, tile choice (autotuned per device and dtype, the
// choice cached on disk), program build and argument binding.
#include "ops_gemm.hpp"

#include "kernel_sources.hpp"
#include "ops.hpp"
#include "ops_common.hpp"
#include "tuning_cache.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace chipcert::opencl {
namespace {

// Bytes spanned by `batch` row-major rows x cols matrices with leading
// dimension ld, `stride` elements apart.
uint64_t matrix_bytes(int64_t rows, int64_t cols, int64_t ld, int64_t batch, int64_t stride,
                      size_t esize, const char* name) {
  if (rows == 0 || cols == 0) return 0;
  uint64_t elems = 0, start = 0, bytes = 0;
  if (__builtin_mul_overflow(static_cast<uint64_t>(rows - 1), static_cast<uint64_t>(ld), &elems) ||
      __builtin_add_overflow(elems, static_cast<uint64_t>(cols), &elems) ||
      __builtin_mul_overflow(static_cast<uint64_t>(batch - 1), static_cast<uint64_t>(stride),
                             &start) ||
      __builtin_add_overflow(elems, start, &elems) || __builtin_mul_overflow(elems, esize, &bytes))
    throw Error(CC_ERR_INVALID_ARGUMENT,
                std::string("gemm: matrix ") + name + " spans more than 2^64 bytes");
  return bytes;
}

bool fits(const DeviceRecord& rec, const GemmTiles& t, size_t acc_size) {
  const uint64_t local =
      static_cast<uint64_t>(t.tm + t.tn) * static_cast<uint64_t>(t.tk) * acc_size;
  return static_cast<size_t>(t.wgx() * t.wgy()) <= rec.max_work_group && local <= rec.local_mem;
}

Allowed gemm_dtypes() {
  return Allowed{.f64 = true, .f16 = true, .bf16 = true, .i8 = true};
}

// ---- autotuner ------------------------------------------------------------------

constexpr int64_t kTuneSize = 1024;  // representative: every candidate gets many work-groups

// The fp16 bit pattern of a small integer (exact in binary16).
uint16_t half_of_small_int(int v) {
  if (v == 0) return 0;
  const uint16_t sign = v < 0 ? 0x8000 : 0;
  unsigned a = static_cast<unsigned>(std::abs(v)), e = 0;
  while ((a >> e) > 1) ++e;
  const unsigned mant = (a - (1u << e)) << (10 - e);
  return static_cast<uint16_t>(sign | ((e + 15) << 10) | mant);
}

// Small integers in the input storage type: every product and sum of the
// trial GEMM is exact in every accumulation type, so all candidates must
// produce bit-identical C (a candidate that does not is never chosen).
std::vector<uint8_t> small_ints(uint32_t dtype, size_t n, int period, int offset) {
  std::vector<uint8_t> out;
  auto put = [&](const void* p, size_t size) {
    const auto* b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + size);
  };
  for (size_t i = 0; i < n; ++i) {
    const int v = static_cast<int>(i % static_cast<size_t>(period)) - offset;
    const float f = static_cast<float>(v);
    const double d = v;
    uint32_t bits = 0;
    std::memcpy(&bits, &f, 4);
    switch (dtype) {
      case CC_DTYPE_F64:
        put(&d, 8);
        break;
      case CC_DTYPE_BF16: {
        const auto h = static_cast<uint16_t>(bits >> 16);
        put(&h, 2);
        break;
      }
      case CC_DTYPE_F16: {
        const uint16_t h = half_of_small_int(v);
        put(&h, 2);
        break;
      }
      case CC_DTYPE_I8: {
        const auto c = static_cast<int8_t>(v);
        put(&c, 1);
        break;
      }
      default:
        put(&f, 4);
        break;
    }
  }
  return out;
}

// Frees the trial buffers on every path out of the tuner.
struct TrialBuffers {
  Device& dev;
  Buffer* b[3] = {nullptr, nullptr, nullptr};
  ~TrialBuffers() {
    for (Buffer* p : b)
      if (p != nullptr) free_buffer(dev, p);
  }
};

GemmChoice tune(Device& dev, const Types& types, const std::vector<GemmTiles>& candidates) {
  const DeviceRecord& rec = *dev.rec;
  const std::string key = gemm_tuning_key(rec, types.dtype);
  const char* off = std::getenv("CHIPCERT_OPENCL_AUTOTUNE");
  if (off != nullptr && std::strcmp(off, "0") == 0)
    return {candidates.front(), "default (CHIPCERT_OPENCL_AUTOTUNE=0)"};
  if (candidates.size() == 1) return {candidates.front(), "default (the only candidate)"};

  const std::string path = tuning_cache_path();
  std::string problem;
  if (!path.empty()) {
    TuningEntries entries;
    if (load_tuning_cache(path, entries, problem)) {
      if (const auto it = entries.find(key); it != entries.end()) {
        auto field = [&](const char* name) {
          const auto f = it->second.find(name);
          return f == it->second.end() ? 0 : static_cast<int>(f->second);
        };
        const GemmTiles t{field("tm"), field("tn"), field("tk"),
                          field("rm"), field("nv"), field("vw")};
        // Only a configuration this build would also try: a stale or edited
        // entry is retuned, never trusted.
        if (std::find(candidates.begin(), candidates.end(), t) != candidates.end())
          return {t, "autotuned, cached in " + path};
      }
    }
  }

  const int64_t n = kTuneSize;
  cc_op_desc desc{};
  desc.struct_size = sizeof desc;
  desc.kind = CC_OP_GEMM;
  desc.dtype = types.dtype;
  desc.acc_dtype = types.acc;
  cc_gemm_params& g = desc.u.gemm;
  g.m = g.n = g.k = g.lda = g.ldb = g.ldc = n;
  g.alpha = 1.0;
  g.batch = 1;
  const size_t elems = static_cast<size_t>(n * n);
  const std::vector<uint8_t> a = small_ints(types.dtype, elems, 7, 3);
  const std::vector<uint8_t> b = small_ints(types.dtype, elems, 5, 2);
  TrialBuffers bufs{dev};
  bufs.b[0] = alloc_buffer(dev, a.size());
  bufs.b[1] = alloc_buffer(dev, b.size());
  bufs.b[2] = alloc_buffer(dev, elems * types.acc_size);
  write_buffer(dev, bufs.b[0], 0, a.data(), a.size());
  write_buffer(dev, bufs.b[1], 0, b.data(), b.size());

  // Every candidate is compiled and checked first; then timed round-robin,
  // best of three rounds, so a load spike on a shared host hits all
  // candidates alike instead of deciding the winner.
  std::vector<uint8_t> first_c, c(elems * types.acc_size);
  std::vector<Op> trials;
  std::vector<GemmTiles> kept;
  std::string rejected;
  for (const GemmTiles& t : candidates) {
    Op trial;
    prepare_gemm_with(dev, desc, t, "trial", trial);
    enqueue_op(dev, trial, bufs.b, 3, nullptr, nullptr);  // warm-up and result
    read_buffer(dev, bufs.b[2], 0, c.data(), c.size());
    if (first_c.empty()) {
      first_c = c;
    } else if (c != first_c) {
      rejected += " " + describe(t) + " (different result)";
      continue;
    }
    trials.push_back(std::move(trial));
    kept.push_back(t);
  }
  std::vector<double> best_of(kept.size(), 0.0);
  for (int round = 0; round < 3; ++round)
    for (size_t i = 0; i < trials.size(); ++i) {
      const double s = timed_enqueue(dev, trials[i], bufs.b, 3, 1);
      if (best_of[i] == 0 || (s > 0 && s < best_of[i])) best_of[i] = s;
    }
  size_t win = 0;
  for (size_t i = 1; i < kept.size(); ++i)
    if (best_of[i] < best_of[win]) win = i;
  const GemmTiles best = kept[win];
  const double best_s = best_of[win] > 0 ? best_of[win] : 1e-9;
  // The reference check of the winner's result (a few elements, exact).
  for (int sample = 0; sample < 16; ++sample) {
    const int64_t i = (sample * 977) % n, j = (sample * 1231 + 17) % n;
    int64_t want = 0;
    for (int64_t p = 0; p < n; ++p) want += ((i * n + p) % 7 - 3) * ((p * n + j) % 5 - 2);
    double got = 0;
    const size_t at = static_cast<size_t>(i * n + j) * types.acc_size;
    if (types.acc == CC_DTYPE_F64) {
      std::memcpy(&got, &first_c[at], 8);
    } else if (types.acc == CC_DTYPE_I32) {
      int32_t v = 0;
      std::memcpy(&v, &first_c[at], 4);
      got = v;
    } else {
      float v = 0;
      std::memcpy(&v, &first_c[at], 4);
      got = v;
    }
    if (got != static_cast<double>(want))
      throw Error(CC_ERR_INTERNAL, "gemm autotuner: " + describe(kept.front()) + " computed C[" +
                                       std::to_string(i) + "][" + std::to_string(j) + "] = " +
                                       std::to_string(got) + ", want " + std::to_string(want));
  }
  const double gflops = 2.0 * static_cast<double>(n * n * n) / best_s * 1e-9;
  std::string origin = "autotuned (" + std::to_string(candidates.size()) + " candidates at " +
                       std::to_string(n) + "^3, best " + std::to_string(std::lround(gflops)) +
                       " GFLOP/s)";
  if (!rejected.empty()) origin += "; rejected:" + rejected;
  std::map<std::string, double> fields = {{"tm", best.tm},   {"tn", best.tn}, {"tk", best.tk},
                                          {"rm", best.rm},   {"nv", best.nv}, {"vw", best.vw},
                                          {"gflops", gflops}};
  if (path.empty())
    origin += ", not cached (no cache path)";
  else if (!store_tuning_entry(path, key, fields, problem))
    origin += ", not cached (" + problem + ")";  // never fails the run
  else
    origin += ", cached in " + path;
  return {best, origin};
}

}  // namespace

std::string describe(const GemmTiles& t) {
  return "tm=" + std::to_string(t.tm) + " tn=" + std::to_string(t.tn) +
         " tk=" + std::to_string(t.tk) + " rm=" + std::to_string(t.rm) +
         " nv=" + std::to_string(t.nv) + " vw=" + std::to_string(t.vw);
}

std::string gemm_tuning_key(const DeviceRecord& rec, uint32_t dtype) {
  return std::string(rec.info.name) + "|" + rec.driver + "|" + dtype_name(dtype);
}

std::vector<GemmTiles> gemm_candidates(const DeviceRecord& rec, uint32_t dtype) {
  const uint32_t acc = dtype == CC_DTYPE_F64  ? CC_DTYPE_F64
                       : dtype == CC_DTYPE_I8 ? CC_DTYPE_I32
                                              : CC_DTYPE_F32;
  const size_t acc_size = acc == CC_DTYPE_F64 ? 8 : 4;
  std::vector<GemmTiles> all;
  if (rec.is_cpu) {
    // CPU (PoCL and similar): a work-group runs as a loop on one core, so few
    // work-items, each with a register micro-tile of 8 rows x two vectors of
    // the preferred width, and a deep k tile so the copy-in and barriers are
    // amortised; the local tiles (100-250 KiB) live in L2. Measured on
    // PoCL/Zen 5 at 2048^3: TK 256 beat TK 64 by ~25 % for f32; f64
    // preferred 128x128x128. The tuner picks among these per device.
    const int vw = vector_width(rec, acc);
    if (acc_size == 8) {
      all = {{128, 16 * vw, 128, 8, 2, vw},
             {64, 16 * vw, 256, 8, 2, vw},
             {64, 16 * vw, 128, 8, 2, vw},
             {128, 8 * vw, 128, 8, 2, vw}};
    } else {
      all = {{64, 8 * vw, 256, 8, 2, vw},
             {128, 8 * vw, 128, 8, 2, vw},
             {64, 8 * vw, 128, 8, 2, vw},
             {64, 4 * vw, 256, 8, 2, vw}};
    }
  }
  // GPUs and unknown devices: 16x16 work-items with 4x4 micro-tiles, then
  // smaller fallbacks for devices with small work-groups or local memory.
  const GemmTiles generic[] = {{64, 64, 16, 4, 1, 4}, {64, 64, 32, 4, 1, 4}, {128, 64, 16, 8, 1, 4},
                               {32, 32, 16, 4, 1, 4}, {16, 16, 16, 4, 1, 4}, {8, 8, 8, 4, 1, 4}};
  all.insert(all.end(), std::begin(generic), std::end(generic));
  std::vector<GemmTiles> out;
  for (const GemmTiles& t : all)
    if (fits(rec, t, acc_size) && out.size() < 4) out.push_back(t);
  if (out.empty())
    throw Error(CC_ERR_UNSUPPORTED, "gemm: no tile shape fits the work-group size (" +
                                        std::to_string(rec.max_work_group) +
                                        ") and local memory (" + std::to_string(rec.local_mem) +
                                        " bytes) of " + rec.label);
  return out;
}

namespace {

// Checks the descriptor and fills op.args; returns the op's types.
Types validate_gemm(const DeviceRecord& rec, const cc_op_desc& desc, Op& op) {
  const Types types = op_types(rec, desc, gemm_dtypes());
  const cc_gemm_params& g = desc.u.gemm;
  if (g.m < 0 || g.n < 0 || g.k < 0 || g.m > INT_MAX || g.n > INT_MAX || g.k > INT_MAX)
    throw Error(CC_ERR_INVALID_ARGUMENT,
                "gemm: m, n, k must be in [0, 2^31), got m=" + std::to_string(g.m) +
                    " n=" + std::to_string(g.n) + " k=" + std::to_string(g.k));
  if (g.trans_a > 1 || g.trans_b > 1)
    throw Error(CC_ERR_INVALID_ARGUMENT, "gemm: trans_a and trans_b must be 0 or 1");
  if (types.acc == CC_DTYPE_I32 &&
      (g.alpha != std::nearbyint(g.alpha) || g.beta != std::nearbyint(g.beta) ||
       std::fabs(g.alpha) > INT_MAX || std::fabs(g.beta) > INT_MAX))
    throw Error(CC_ERR_UNSUPPORTED,
                "gemm: i8 with i32 accumulation needs integral alpha and beta"
                " (got alpha=" +
                    std::to_string(g.alpha) + " beta=" + std::to_string(g.beta) + ")");
  const int64_t a_cols = g.trans_a ? g.m : g.k, b_cols = g.trans_b ? g.k : g.n;
  const auto check_ld = [](const char* name, int64_t ld, int64_t cols) {
    if (ld < std::max<int64_t>(1, cols))
      throw Error(CC_ERR_INVALID_ARGUMENT, std::string("gemm: ") + name + "=" + std::to_string(ld) +
                                               " is less than the " + std::to_string(cols) +
                                               " columns it spans");
  };
  check_ld("lda", g.lda, a_cols);
  check_ld("ldb", g.ldb, b_cols);
  check_ld("ldc", g.ldc, g.n);
  const int64_t batch = g.batch == 0 ? 1 : g.batch;  // 0: written before batching existed
  if (batch < 0 || batch > INT_MAX || g.stride_a < 0 || g.stride_b < 0 || g.stride_c < 0)
    throw Error(CC_ERR_INVALID_ARGUMENT,
                "gemm: batch must be in [0, 2^31) and strides >= 0, got batch=" +
                    std::to_string(g.batch) + " strides " + std::to_string(g.stride_a) + "," +
                    std::to_string(g.stride_b) + "," + std::to_string(g.stride_c));
  // A and B may be shared across the batch (stride 0); C entries must not overlap.
  const uint64_t c_span = matrix_bytes(g.m, g.n, g.ldc, 1, 0, 1, "C");  // in elements
  if (batch > 1 && static_cast<uint64_t>(g.stride_c) < c_span)
    throw Error(CC_ERR_INVALID_ARGUMENT, "gemm: stride_c=" + std::to_string(g.stride_c) +
                                             " makes the batch's C matrices overlap (each spans " +
                                             std::to_string(c_span) + " elements)");
  const size_t in = types.in_size, acc = types.acc_size;
  op.args = {{"A",
              matrix_bytes(g.trans_a ? g.k : g.m, a_cols, g.lda, batch, g.stride_a, in, "A"),
              {{0, 8}}},
             {"B",
              matrix_bytes(g.trans_b ? g.n : g.k, b_cols, g.ldb, batch, g.stride_b, in, "B"),
              {{0, 9}}},
             {"C", matrix_bytes(g.m, g.n, g.ldc, batch, g.stride_c, acc, "C"), {{0, 10}}, true}};
  return types;
}

}  // namespace

void prepare_gemm_with(Device& dev, const cc_op_desc& desc, const GemmTiles& tiles,
                       const std::string& origin, Op& op) {
  const Types types = validate_gemm(*dev.rec, desc, op);
  const cc_gemm_params& g = desc.u.gemm;
  const int64_t batch = g.batch == 0 ? 1 : g.batch;

  // Few rows (GEMV-like shapes): a shorter tile wastes less of each work-group.
  GemmTiles t = tiles;
  if (g.m > 0 && g.m < t.tm / 2) {
    int tm = t.rm;
    while (tm < g.m) tm *= 2;
    if (g.trans_a) tm = std::max(tm, t.vw);  // the transposed A copy moves TM/VW vectors
    t.tm = std::min(t.tm, tm);
  }
  const std::string dims = std::to_string(t.wgx()) + "x" + std::to_string(t.wgy());
  op.info = "gemm.cl gemm " + dtype_name(types.dtype) + "->" + dtype_name(types.acc) +
            (g.trans_a ? " A^T" : "") + (g.trans_b ? " B^T" : "") + ": " + describe(t) +
            ", work-group " + dims + ", tiles " + origin;
  if (g.m == 0 || g.n == 0) return;  // nothing to compute

  const std::string options =
      types.options + " -DVW=" + std::to_string(t.vw) + " -DTM=" + std::to_string(t.tm) +
      " -DTN=" + std::to_string(t.tn) + " -DTK=" + std::to_string(t.tk) +
      " -DRM=" + std::to_string(t.rm) + " -DNV=" + std::to_string(t.nv) + " -DGROUP_M=8" +
      " -DTRANS_A=" + std::to_string(g.trans_a) + " -DTRANS_B=" + std::to_string(g.trans_b);
  Step s;
  s.kernel = create_kernel(program_for(dev, "gemm.cl", with_prelude(kGemmSource), options), "gemm");
  require_group_size(dev, s.kernel, static_cast<size_t>(t.wgx() * t.wgy()), "gemm");
  set_arg(s.kernel, 0, static_cast<cl_int>(g.m));
  set_arg(s.kernel, 1, static_cast<cl_int>(g.n));
  set_arg(s.kernel, 2, static_cast<cl_int>(g.k));
  set_arg(s.kernel, 3, static_cast<cl_long>(g.lda));
  set_arg(s.kernel, 4, static_cast<cl_long>(g.ldb));
  set_arg(s.kernel, 5, static_cast<cl_long>(g.ldc));
  set_acc(s.kernel, 6, g.alpha, types.acc);
  set_acc(s.kernel, 7, g.beta, types.acc);
  set_arg(s.kernel, 11, static_cast<cl_long>(g.stride_a));
  set_arg(s.kernel, 12, static_cast<cl_long>(g.stride_b));
  set_arg(s.kernel, 13, static_cast<cl_long>(g.stride_c));
  s.dims = 3;
  s.global[2] = static_cast<size_t>(batch);
  s.local[0] = static_cast<size_t>(t.wgx());
  s.local[1] = static_cast<size_t>(t.wgy());
  s.global[0] = (static_cast<size_t>(g.n) + t.tn - 1) / t.tn * s.local[0];
  s.global[1] = (static_cast<size_t>(g.m) + t.tm - 1) / t.tm * s.local[1];
  op.steps.push_back(std::move(s));
}

void prepare_gemm(Device& dev, const cc_op_desc& desc, Op& op) {
  const Types types = validate_gemm(*dev.rec, desc, op);  // reject bad descriptors before tuning
  if (desc.u.gemm.m == 0 || desc.u.gemm.n == 0) {
    op.info = "gemm: empty shape, nothing to compute";
    return;
  }
  auto it = dev.gemm_choice.find(types.dtype);
  if (it == dev.gemm_choice.end())
    it = dev.gemm_choice
             .emplace(types.dtype, tune(dev, types, gemm_candidates(*dev.rec, types.dtype)))
             .first;
  prepare_gemm_with(dev, desc, it->second.tiles, it->second.origin, op);
}

}  // namespace chipcert::opencl
