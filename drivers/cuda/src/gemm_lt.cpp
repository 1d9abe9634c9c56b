// GEMM on cuBLASLt: descriptors and the algorithm are chosen once in
// prepare; a launch is at most the int8 staging copies plus one
// cublasLtMatmul on the device's stream. The row-major -> column-major
// mapping and the int8 staging layout come from plan_gemm (plan.cpp).
//
// The algorithm: the heuristic's candidates are timed on scratch operands of
// the same shape and the fastest is kept, as cuBLAS's own autotuning samples
// and cuBLASLt-based benchmarks do. The heuristic's first pick alone left an
// H200 at 650 of 989 dense bf16 TFLOP/s on 8192^3 (issue 8).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "ops.hpp"

namespace chipcert::cuda {
namespace {

class LtGemm final : public Kernel {
 public:
  LtGemm(Device& dev, const OpPlan& plan) : Kernel(plan), lt_(cublaslt()) {
    try {
      setup(dev);
    } catch (...) {
      destroy();  // the destructor does not run for a constructor that throws
      throw;
    }
  }
  ~LtGemm() override { destroy(); }
  LtGemm(const LtGemm&) = delete;
  LtGemm& operator=(const LtGemm&) = delete;

  void setup(Device& dev) {
    const cc_op_desc& op = this->plan.op;
    g_ = plan_gemm(op, false);
    if (g_.empty || g_.scale_only) {  // no matmul: see run()
      info = g_.empty
                 ? "nothing to compute (m or n is 0)"
                 : "chipcert C = beta*C kernel (k or alpha is 0), " + machine_code_for(dev.rec->cc);
      return;
    }
    if (!build(dev) && op.dtype == CC_DTYPE_I8) {
      // Integer tensor-core kernels need the "TN" layout: stage the operands.
      destroy();
      g_ = plan_gemm(op, true);
      if (!build(dev))
        throw Error(CC_ERR_UNSUPPORTED,
                    "gemm: cuBLASLt has no int8 algorithm for m=" + std::to_string(op.u.gemm.m) +
                        " n=" + std::to_string(op.u.gemm.n) + " k=" + std::to_string(op.u.gemm.k) +
                        " ldc=" + std::to_string(op.u.gemm.ldc) + " on " + dev.rec->label +
                        " (its int8 kernels need n and ldc multiples of 4): " + heuristic_error_);
      for (const Staging& s : g_.staging)
        staged_[s.arg] = DeviceMemory(s.bytes, "gemm int8 staging");
    } else if (desc_ == nullptr || !found_) {
      throw Error(CC_ERR_UNSUPPORTED, "gemm: cuBLASLt has no algorithm for " +
                                          dtype_name(op.dtype) + "/" + dtype_name(op.acc_dtype) +
                                          " on " + dev.rec->label + ": " + heuristic_error_);
    }
    try {
      tune(dev);
    } catch (const Error& e) {
      // Tuning only chooses among working algorithms: a failure there leaves
      // the heuristic's first pick, and says so, rather than losing the case.
      (void)cudaGetLastError();
      algo_ = candidates_.front();
      tuning_ = "the heuristic's first pick (tuning failed: " + std::string(e.what()) + ")";
    }
    describe(dev);
  }

  void run(Device& dev, const std::vector<const Buffer*>& bufs) override {
    const cc_gemm_params& p = plan.op.u.gemm;
    void* c = bufs[2]->mem.get();
    if (g_.empty) return;
    if (g_.scale_only) {
      const int type = g_.out_type == CUDA_R_64F ? 1 : g_.out_type == CUDA_R_32I ? 2 : 0;
      check(launch_scale_matrix(type, p.m, p.n, p.ldc, p.batch, p.stride_c, p.beta, c, dev.grid,
                                dev.stream),
            "gemm (C = beta*C) kernel launch");
      return;
    }
    const void* src[2] = {bufs[0]->mem.get(), bufs[1]->mem.get()};
    for (const Staging& s : g_.staging) {
      // A constant argument (weights) is staged on its first launch only.
      const bool constant = (plan.op.constant_args >> s.arg) & 1u;
      if (constant && staged_from_[s.arg] == bufs[s.arg]) {
        src[s.arg] = staged_[s.arg].get();
        continue;
      }
      const StageArgs a{.rows = s.rows,
                        .k = s.k,
                        .ld_out = s.ld_out,
                        .row_stride = s.row_stride,
                        .col_stride = s.col_stride,
                        .stride_in = s.stride_in,
                        .batch = g_.batch};
      check(launch_stage_i8(a, src[s.arg], staged_[s.arg].get(), dev.stream),
            "gemm int8 staging kernel launch");
      staged_from_[s.arg] = constant ? bufs[s.arg] : nullptr;
      src[s.arg] = staged_[s.arg].get();
    }
    const cublasStatus_t st = matmul(dev, algo_, src[g_.x_arg], src[g_.y_arg], c);
    if (st != CUBLAS_STATUS_SUCCESS)
      throw Error(CC_ERR_DEVICE, "cublasLtMatmul failed: " + lt_.describe(st));
  }

 private:
  cublasStatus_t matmul(Device& dev, const cublasLtMatmulAlgo_t& algo, const void* x, const void* y,
                        void* c) {
    return lt_.matmul(dev.lt, desc_, &alpha_, x, x_, y, y_, &beta_, c, c_, c, c_, &algo,
                      dev.lt_workspace.get(), dev.lt_workspace.bytes(), dev.stream);
  }

  /// Creates the descriptors of g_ and asks the heuristic for its candidate
  /// algorithms (best first). false (with heuristic_error_) when there is none.
  bool build(Device& dev) {
    const auto ok = [&](cublasStatus_t st, const char* what) {
      if (st != CUBLAS_STATUS_SUCCESS)
        throw Error(CC_ERR_DEVICE, std::string("gemm: ") + what + " failed: " + lt_.describe(st));
    };
    ok(lt_.desc_create(&desc_, g_.compute, g_.scale_type), "cublasLtMatmulDescCreate");
    ok(lt_.desc_set(desc_, CUBLASLT_MATMUL_DESC_TRANSA, &g_.op_x, sizeof g_.op_x),
       "setting TRANSA");
    ok(lt_.desc_set(desc_, CUBLASLT_MATMUL_DESC_TRANSB, &g_.op_y, sizeof g_.op_y),
       "setting TRANSB");
    const auto layout = [&](cublasLtMatrixLayout_t& l, cudaDataType_t type, const LtMatrix& m) {
      ok(lt_.layout_create(&l, type, m.rows, m.cols, m.ld), "cublasLtMatrixLayoutCreate");
      if (g_.batch > 1) {
        const int32_t count = g_.batch;
        const int64_t stride = m.stride;
        ok(lt_.layout_set(l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof count),
           "setting the batch count");
        ok(lt_.layout_set(l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof stride),
           "setting the batch stride");
      }
    };
    layout(x_, g_.in_type, g_.x);
    layout(y_, g_.in_type, g_.y);
    layout(c_, g_.out_type, g_.c);
    switch (g_.scale_type) {
      case CUDA_R_64F:
        alpha_.d = g_.alpha;
        beta_.d = g_.beta;
        break;
      case CUDA_R_32I:
        alpha_.i = static_cast<int32_t>(g_.alpha);
        beta_.i = static_cast<int32_t>(g_.beta);
        break;
      default:
        alpha_.f = static_cast<float>(g_.alpha);
        beta_.f = static_cast<float>(g_.beta);
        break;
    }
    cublasLtMatmulPreference_t pref = nullptr;
    ok(lt_.pref_create(&pref), "cublasLtMatmulPreferenceCreate");
    const uint64_t ws = dev.lt_workspace.bytes();
    cublasStatus_t st =
        lt_.pref_set(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws);
    std::array<cublasLtMatmulHeuristicResult_t, kCandidates> results{};
    int count = 0;
    if (st == CUBLAS_STATUS_SUCCESS)
      st = lt_.heuristic(dev.lt, desc_, x_, y_, c_, c_, pref, kCandidates, results.data(), &count);
    lt_.pref_destroy(pref);
    candidates_.clear();
    for (int i = 0; st == CUBLAS_STATUS_SUCCESS && i < count; ++i)
      if (results[i].state == CUBLAS_STATUS_SUCCESS && results[i].workspaceSize <= ws)
        candidates_.push_back(results[i].algo);
    found_ = !candidates_.empty();
    if (!found_) {
      heuristic_error_ =
          st != CUBLAS_STATUS_SUCCESS ? lt_.describe(st) : std::string("no algorithm returned");
      return false;
    }
    algo_ = candidates_.front();
    return true;
  }

  /// Bytes of the matmul's X or Y operand: its staging scratch or the ABI buffer.
  uint64_t operand_bytes(int arg) const {
    for (const Staging& s : g_.staging)
      if (s.arg == arg) return s.bytes;
    return this->plan.args[static_cast<size_t>(arg)].bytes;
  }

  /// Times every candidate on scratch operands (a fixed, finite bit pattern:
  /// only the speed is used) and keeps the fastest in algo_. A candidate that
  /// fails to run is skipped; without scratch memory the heuristic's first
  /// pick stays, and tuning_ says so.
  void tune(Device& dev) {
    if (candidates_.size() < 2) {
      tuning_ = "the heuristic's only candidate";
      return;
    }
    // For comparing with and without tuning in one run (ci/gpu/run-gpu-check.sh).
    if (const char* off = std::getenv("CHIPCERT_CUDA_GEMM_TUNE");
        off && std::strcmp(off, "0") == 0) {
      tuning_ = "the heuristic's first pick (CHIPCERT_CUDA_GEMM_TUNE=0)";
      return;
    }
    DeviceMemory x, y, c;
    try {
      x = DeviceMemory(operand_bytes(g_.x_arg), "gemm tuning scratch");
      y = DeviceMemory(operand_bytes(g_.y_arg), "gemm tuning scratch");
      c = DeviceMemory(this->plan.args[2].bytes, "gemm tuning scratch");
    } catch (const Error& e) {
      (void)cudaGetLastError();
      tuning_ = "the heuristic's first pick, not timed (" + std::string(e.what()) + ")";
      return;
    }
    for (DeviceMemory* m : {&x, &y, &c})
      check(cudaMemsetAsync(m->get(), 0x3c, m->bytes(), dev.stream), "gemm tuning memset");
    // Seconds per run, or -1 when the algorithm does not run.
    const auto seconds = [&](const cublasLtMatmulAlgo_t& algo, int repeat) -> double {
      bool ran = true;
      const double s = event_seconds(dev, [&] {
        for (int i = 0; i < repeat && ran; ++i)
          ran = matmul(dev, algo, x.get(), y.get(), c.get()) == CUBLAS_STATUS_SUCCESS;
      });
      return ran ? s / repeat : -1;
    };
    double best = -1, first = -1;
    size_t timed = 0;
    for (size_t i = 0; i < candidates_.size(); ++i) {
      const cublasLtMatmulAlgo_t& algo = candidates_[i];
      const double once = seconds(algo, 1);  // also the warm-up
      if (once < 0) continue;
      // About 2 ms of launches per measurement, the best of three.
      const int repeat = static_cast<int>(std::clamp(2e-3 / std::max(once, 1e-7), 1.0, 200.0));
      double t = seconds(algo, repeat);
      for (int r = 0; r < 2 && t > 0; ++r) {
        const double again = seconds(algo, repeat);
        if (again > 0) t = std::min(t, again);
      }
      if (t <= 0) continue;
      ++timed;
      if (i == 0) first = t;
      if (best < 0 || t < best) {
        best = t;
        algo_ = algo;
      }
    }
    synchronize(dev);
    if (timed == 0) {
      algo_ = candidates_.front();
      tuning_ = "the heuristic's first pick: none of its " + std::to_string(candidates_.size()) +
                " candidates ran on scratch operands";
      return;
    }
    char gain[64] = "";
    if (first > 0 && best > 0)
      std::snprintf(gain, sizeof gain, ", %.1f%% faster than its first pick",
                    100.0 * (first / best - 1.0));
    tuning_ = "fastest of " + std::to_string(timed) + " timed heuristic candidates" +
              (std::memcmp(&algo_, &candidates_.front(), sizeof algo_) == 0 ? std::string()
                                                                            : std::string(gain));
  }

  /// kernel_info: the cuBLASLt version and the algorithm its heuristic chose.
  void describe(const Device& dev) {
    const auto config = [&](cublasLtMatmulAlgoConfigAttributes_t attr) -> std::string {
      uint32_t v = 0;
      size_t written = 0;
      if (lt_.algo_config_get == nullptr ||
          lt_.algo_config_get(&algo_, attr, &v, sizeof v, &written) != CUBLAS_STATUS_SUCCESS)
        return "?";
      return std::to_string(v);
    };
    info = "cuBLASLt " + std::to_string(lt_.get_version()) + " algo " +
           config(CUBLASLT_ALGO_CONFIG_ID) + " tile " + config(CUBLASLT_ALGO_CONFIG_TILE_ID) +
           " stages " + config(CUBLASLT_ALGO_CONFIG_STAGES_ID) + " split-k " +
           config(CUBLASLT_ALGO_CONFIG_SPLITK_NUM) + ", " + dtype_name(plan.op.dtype) + " x " +
           dtype_name(plan.op.dtype) + " -> " + dtype_name(plan.op.acc_dtype) +
           (g_.compute == CUBLAS_COMPUTE_32F_FAST_TF32 ? " (tf32 tensor cores)" : "") +
           (g_.staging.empty() ? "" : ", int8 operands staged to TN") + ", " +
           machine_code_for(dev.rec->cc) + "; " + tuning_;
  }

  void destroy() {
    if (x_ != nullptr) lt_.layout_destroy(x_);
    if (y_ != nullptr) lt_.layout_destroy(y_);
    if (c_ != nullptr) lt_.layout_destroy(c_);
    if (desc_ != nullptr) lt_.desc_destroy(desc_);
    x_ = y_ = c_ = nullptr;
    desc_ = nullptr;
  }

  union Scalar {
    float f;
    double d;
    int32_t i;
  };

  const CublasLtApi& lt_;
  GemmPlan g_;
  cublasLtMatmulDesc_t desc_ = nullptr;
  cublasLtMatrixLayout_t x_ = nullptr, y_ = nullptr, c_ = nullptr;
  /// How many of the heuristic's candidates tune() times.
  static constexpr int kCandidates = 16;
  cublasLtMatmulAlgo_t algo_{};
  std::vector<cublasLtMatmulAlgo_t> candidates_;
  std::string tuning_;
  bool found_ = false;
  std::string heuristic_error_;
  Scalar alpha_{}, beta_{};
  std::array<DeviceMemory, 2> staged_;                          ///< per ABI argument (A, B)
  std::array<const Buffer*, 2> staged_from_{nullptr, nullptr};  ///< constant arg staged from
};

}  // namespace

std::unique_ptr<Kernel> prepare_gemm(Device& dev, const OpPlan& plan) {
  const std::string why = error_of_cublaslt();
  if (!why.empty()) throw Error(CC_ERR_UNSUPPORTED, "gemm needs cuBLASLt: " + why);
  if (dev.lt == nullptr) {
    const cublasStatus_t st = cublaslt().create(&dev.lt);
    if (st != CUBLAS_STATUS_SUCCESS) {
      dev.lt = nullptr;
      throw Error(CC_ERR_DEVICE,
                  "cublasLtCreate failed on " + dev.rec->label + ": " + cublaslt().describe(st));
    }
    dev.lt_workspace = DeviceMemory(kLtWorkspaceBytes, "the cuBLASLt workspace");
  }
  return std::make_unique<LtGemm>(dev, plan);
}

}  // namespace chipcert::cuda
