#pragma once
// oneDNN's matmul called directly, as its own users call it: the library
// chooses the weight layout (format `any`), B is packed once before timing,
// operands are random. A reference for chipcert's CPU GEMM figures, which go
// through the same library behind the driver ABI and the workload layer.
#include <cstdint>
#include <memory>
#include <string>

namespace chipcert::bench {

/// C[m][n] = A[m][k] * B[k][n] with `in` "f32", "bf16" or "s8" (f32 output,
/// s32 for s8), prepared once (operands, packed B, scratchpad) and launched
/// one timed call at a time, so the bench can interleave it with the chipcert
/// case it is the reference for.
class DirectGemm {
 public:
  /// Never throws for oneDNN's reasons: ok() is false and impl() says why.
  DirectGemm(const std::string& in, int64_t m, int64_t n, int64_t k);
  ~DirectGemm();
  DirectGemm(const DirectGemm&) = delete;
  DirectGemm& operator=(const DirectGemm&) = delete;

  bool ok() const { return state_ != nullptr; }
  /// oneDNN's implementation string, or why it could not run.
  const std::string& impl() const { return impl_; }
  double flop() const { return flop_; }
  /// Seconds for one launch, waited for. Only when ok().
  double time_once();

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::string impl_;
  double flop_ = 0;
};

}  // namespace chipcert::bench
