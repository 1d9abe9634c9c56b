#include "chipcert/workloads/reference.hpp"

#include <algorithm>
#include <thread>
#include <vector>

namespace chipcert::workloads::reference {

void gemm_f64(int64_t m, int64_t n, int64_t k, std::span<const double> a, std::span<const double> b,
              std::span<double> c) {
  std::fill(c.begin(), c.end(), 0.0);
  // i-k-j order: the inner loop streams a row of B into a row of C, which the
  // compiler vectorises; k is blocked so the B panel stays in cache.
  constexpr int64_t kBlock = 256;
  auto rows = [&](int64_t r0, int64_t r1) {
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
  const int64_t work = m * n * k;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  if (work < (int64_t{1} << 22) || m < 2) threads = 1;
  threads = static_cast<unsigned>(std::min<int64_t>(threads, m));
  if (threads == 1) {
    rows(0, m);
    return;
  }
  std::vector<std::thread> pool;
  const int64_t chunk = (m + threads - 1) / threads;
  for (unsigned t = 0; t < threads; ++t) {
    const int64_t r0 = t * chunk, r1 = std::min(m, r0 + chunk);
    if (r0 < r1) pool.emplace_back(rows, r0, r1);
  }
  for (auto& th : pool) th.join();
}

}  // namespace chipcert::workloads::reference
