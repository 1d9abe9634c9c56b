#pragma once
// What the training and inference workloads share: dense row-major GEMM
// descriptors and the train-to-target loop (time-to-target measurement).

#include <functional>

#include "chipcert/workloads/workload.hpp"

namespace chipcert::workloads {

/// A GEMM on dense row-major storage: op(A) m x k, op(B) k x n, C m x n
/// (lda, ldb, ldc the stored widths); batched over `batch` matrices with
/// element strides sa, sb, sc.
cc_op_desc dense_gemm_desc(cc_dtype dtype, int64_t m, int64_t n, int64_t k, bool trans_a,
                           bool trans_b, double beta = 0, int64_t batch = 1, int64_t sa = 0,
                           int64_t sb = 0, int64_t sc = 0);

/// The training run's parameters every training workload takes.
struct TrainingParams {
  int64_t max_steps = 200;
  double target_loss = 0.5, lr = 1e-3, weight_decay = 0;
};

/// Read max_steps, target_loss, lr and weight_decay (SpecError naming the key).
TrainingParams parse_training_params(const nlohmann::json& p, std::string_view workload);

/// How a training workload trains: restore the seeded state, run step s
/// (1-based, enqueued), read the loss back after the device is idle.
struct TrainingHooks {
  std::function<void()> reset;
  std::function<void(int64_t)> step;
  std::function<double()> read_loss;  ///< must not allocate: it runs in the timed loop
};

/// The outcome of train_to_target.
struct TrainingOutcome {
  Instance::Measurement measurement;
  bool reached = false;
  double last_loss = 0;
};

/// Train from the seeded state `repetitions` times (stopping early once a
/// run misses the target); each run's sample is its mean seconds per step,
/// the loss read after every step as a convergence check does. Details:
/// steps_to_target, time_to_target_s (median), final_loss, runs,
/// same_steps_every_run, loss_curve (first run).
TrainingOutcome train_to_target(Device& dev, const TrainingHooks& hooks, int repetitions,
                                int64_t max_steps, double target_loss);

/// `v` failed with "training did not converge" when it passed verification
/// but training ran and missed the target.
void fail_unless_converged(VerifyResult& v, const TrainingOutcome* outcome, int64_t max_steps,
                           double target_loss);

}  // namespace chipcert::workloads
