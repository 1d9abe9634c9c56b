#pragma once
// Memory laid out as the CPU driver lays out its buffers, so that a
// reference measured beside a chipcert figure differs from it only in the
// code under test: with 4 KiB pages the TLB misses alone cost a GEMM or a
// triad a visible share of its speed (measured: drivers/cpu/README.md).
#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

namespace chipcert::bench {

template <class T>
using HugeArray = std::unique_ptr<T[], decltype(&std::free)>;

/// `count` elements of T, 2 MiB aligned and hinted for transparent huge
/// pages; not initialised.
template <class T>
HugeArray<T> huge_array(size_t count) {
  constexpr size_t kHuge = size_t(2) << 20;
  const size_t bytes = std::max(kHuge, (count * sizeof(T) + kHuge - 1) / kHuge * kHuge);
  auto* p = static_cast<T*>(std::aligned_alloc(kHuge, bytes));
  if (!p) throw std::bad_alloc();
  madvise(p, bytes, MADV_HUGEPAGE);  // a hint only
  return HugeArray<T>(p, &std::free);
}

}  // namespace chipcert::bench
