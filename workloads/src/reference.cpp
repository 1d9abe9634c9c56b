// GEMM reference and the thread helper the other references share.

#include "chipcert/workloads/reference.hpp"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace chipcert::workloads::reference {

void parallel_for(int64_t count, double cost, const std::function<void(int64_t)>& body) {
  // Below ~4M multiply-adds a thread costs more than it saves.
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  if (cost < 4e6 || count < 2) threads = 1;
  threads = static_cast<unsigned>(std::min<int64_t>(threads, count));
  if (threads <= 1) {
    for (int64_t i = 0; i < count; ++i) body(i);
    return;
  }
  // Dynamic scheduling: items (rows, planes) can differ in cost (causal masks).
  std::atomic<int64_t> next{0};
  auto worker = [&] {
    for (int64_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) body(i);
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
}

void gemm_f64(int64_t m, int64_t n, int64_t k, std::span<const double> a, std::span<const double> b,
              std::span<double> c) {
  std::fill(c.begin(), c.end(), 0.0);
  // i-k-j order: the inner loop streams a row of B into a row of C, which the
  // compiler vectorises; k is blocked so the B panel stays in cache.
  constexpr int64_t kBlock = 256;
  constexpr int64_t kRowsPerTask = 16;
  auto rows = [&](int64_t task) {
    const int64_t r0 = task * kRowsPerTask, r1 = std::min(m, r0 + kRowsPerTask);
    for (int64_t kb = 0; kb < k; kb += kBlock) {
      const int64_t ke = std::min(k, kb + kBlock);
      for (int64_t i = r0; i < r1; ++i) {
        double* ci = c.data() + i * n;
        for (int64_t p = kb; p < ke; ++p) {
          const double aip = a[static_cast<size_t>(i * k + p)];
          const double* bp = b.data() + p * n;
          for (int64_t j = 0; j < n; ++j) ci[j] += aip * bp[j];
        }
      }
    }
  };
  const double work = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  parallel_for((m + kRowsPerTask - 1) / kRowsPerTask, work, rows);
}

}  // namespace chipcert::workloads::reference
