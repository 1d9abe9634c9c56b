#include "chipcert/harness/host_memory.hpp"

#include <cstdio>
#include <cstring>

namespace chipcert::harness {

bool reset_peak_rss() {
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (!f) return false;
  const bool written = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && written;  // the kernel acts on the flush
}

std::optional<uint64_t> peak_rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return std::nullopt;
  std::optional<uint64_t> kib;
  char line[256];
  while (!kib && std::fgets(line, sizeof line, f)) {
    unsigned long long v = 0;
    if (std::strncmp(line, "VmHWM:", 6) == 0 && std::sscanf(line + 6, "%llu", &v) == 1) kib = v;
  }
  std::fclose(f);
  if (!kib) return std::nullopt;
  return *kib * 1024;
}

}  // namespace chipcert::harness
