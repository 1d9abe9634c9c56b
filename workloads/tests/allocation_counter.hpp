#pragma once
// Counts heap allocations (operator new, every form) made on the calling
// thread while a CountAllocations is alive. Linking allocation_counter.cpp
// replaces the global operator new of the test binary; outside a counting
// scope it only forwards to malloc.

#include <cstddef>

namespace chipcert::workloads::testing {

/// Allocations on this thread since construction; a nested Uncounted scope
/// (e.g. around a call into the driver under test) is left out.
class CountAllocations {
 public:
  CountAllocations();
  ~CountAllocations();
  CountAllocations(const CountAllocations&) = delete;
  CountAllocations& operator=(const CountAllocations&) = delete;
  [[nodiscard]] std::size_t count() const;

 private:
  std::size_t start_;
  bool was_counting_;
};

/// Leaves the allocations made in its lifetime out of the enclosing count.
class Uncounted {
 public:
  Uncounted();
  ~Uncounted();
  Uncounted(const Uncounted&) = delete;
  Uncounted& operator=(const Uncounted&) = delete;

 private:
  bool was_counting_;
};

}  // namespace chipcert::workloads::testing
