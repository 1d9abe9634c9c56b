#include "training.hpp"

#include <algorithm>
#include <chrono>
#include <sstream>

#include "op_instance.hpp"

namespace chipcert::workloads {

cc_op_desc dense_gemm_desc(cc_dtype dtype, int64_t m, int64_t n, int64_t k, bool trans_a,
                           bool trans_b, double beta, int64_t batch, int64_t sa, int64_t sb,
                           int64_t sc) {
  cc_op_desc op = make_op(CC_OP_GEMM, dtype, dtype);
  op.u.gemm = {.m = m,
               .n = n,
               .k = k,
               .lda = trans_a ? m : k,
               .ldb = trans_b ? k : n,
               .ldc = n,
               .trans_a = trans_a ? 1u : 0u,
               .trans_b = trans_b ? 1u : 0u,
               .alpha = 1.0,
               .beta = beta,
               .batch = batch,
               .stride_a = sa,
               .stride_b = sb,
               .stride_c = sc};
  return op;
}

TrainingParams parse_training_params(const nlohmann::json& p, std::string_view workload) {
  TrainingParams t;
  t.max_steps = param_int(p, "max_steps", 200, 1, 100000);
  t.target_loss = param_number(p, "target_loss", 0.5);
  t.lr = param_number(p, "lr", 1e-3);
  t.weight_decay = param_number(p, "weight_decay", 0.0);
  const std::string w(workload);
  if (!(t.target_loss > 0))
    throw SpecError(w + ": parameter \"target_loss\": expected a number > 0");
  if (!(t.lr > 0 && t.lr < 1))
    throw SpecError(w + ": parameter \"lr\": expected a number in (0, 1)");
  if (!(t.weight_decay >= 0 && t.weight_decay < 1))
    throw SpecError(w + ": parameter \"weight_decay\": expected a number in [0, 1)");
  return t;
}

TrainingOutcome train_to_target(Device& dev, const TrainingHooks& hooks, int repetitions,
                                int64_t max_steps, double target_loss) {
  TrainingOutcome out;
  Instance::Measurement& m = out.measurement;
  std::vector<double> steps_taken, seconds;
  nlohmann::json curve = nlohmann::json::array();
  bool same_steps = true;
  for (int r = 0; r < std::max(1, repetitions); ++r) {
    hooks.reset();
    dev.synchronize();
    int64_t s = 1;
    double loss = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (; s <= max_steps; ++s) {
      hooks.step(s);
      dev.synchronize();
      loss = hooks.read_loss();
      if (r == 0) curve.push_back(loss);
      if (!(loss >= target_loss)) break;  // NaN stops too and fails below
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const int64_t done = std::min(s, max_steps);
    out.reached = loss < target_loss;
    out.last_loss = loss;
    if (!steps_taken.empty() && static_cast<double>(done) != steps_taken.front())
      same_steps = false;
    steps_taken.push_back(static_cast<double>(done));
    seconds.push_back(elapsed);
    m.samples.push_back(elapsed / static_cast<double>(done));
    if (!out.reached) break;
  }
  std::vector<double> sorted = seconds;
  std::sort(sorted.begin(), sorted.end());
  m.iterations = static_cast<uint64_t>(steps_taken.front());
  m.details = {{"target_loss", target_loss},
               {"reached_target", out.reached},
               {"steps_to_target", steps_taken.front()},
               {"time_to_target_s", sorted[sorted.size() / 2]},
               {"final_loss", out.last_loss},
               {"runs", steps_taken.size()},
               {"same_steps_every_run", same_steps},
               {"loss_curve", std::move(curve)}};
  return out;
}

void fail_unless_converged(VerifyResult& v, const TrainingOutcome* outcome, int64_t max_steps,
                           double target_loss) {
  if (!v.passed || outcome == nullptr || outcome->reached) return;
  std::ostringstream why;
  why << "training did not converge: loss " << outcome->last_loss << " after " << max_steps
      << " steps, target " << target_loss;
  v.passed = false;
  v.reason = why.str();
}

}  // namespace chipcert::workloads
