#include "chipcert/harness/clock.hpp"

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

namespace chipcert::harness {

std::optional<double> measure_clock_under_load_mhz(unsigned threads, int rounds) {
#if defined(__x86_64__)
  constexpr int64_t kAdds = 100'000'000;  // ~25 ms at 4 GHz
  const auto thread_cpu = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
  };
  threads = std::max(1u, threads);
  double best = 0;
  for (int round = 0; round < std::max(1, rounds); ++round) {
    std::vector<double> mhz(threads, 0.0);
    std::vector<std::thread> team;
    team.reserve(threads);
    for (unsigned t = 0; t < threads; ++t)
      team.emplace_back([&mhz, &thread_cpu, t] {
        int64_t x = 0;
        const double c0 = thread_cpu();
        for (int64_t i = 0; i < kAdds; ++i) __asm__ volatile("add $1, %0" : "+r"(x));
        const double seconds = thread_cpu() - c0;
        mhz[t] = seconds > 0 ? double(x) / seconds / 1e6 : 0.0;
      });
    for (auto& th : team) th.join();
    best = std::max(best, *std::min_element(mhz.begin(), mhz.end()));
  }
  if (best > 0) return best;
  return std::nullopt;
#else
  (void)threads, (void)rounds;
  return std::nullopt;
#endif
}

}  // namespace chipcert::harness
