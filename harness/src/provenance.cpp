#include "chipcert/harness/provenance.hpp"

#include <openssl/rand.h>

#include <ctime>
#include <stdexcept>

#include "build_info.hpp"
#include "chipcert/harness/files.hpp"

namespace chipcert::harness {

const char* chipcert_version() {
  return build_info().version;
}

results::Provenance collect_provenance(const std::vector<std::string>& command_line) {
  const BuildInfo& b = build_info();
  results::Provenance p;
  p.chipcert_version = b.version;
  p.git_commit = b.git_commit;
  p.dirty = b.dirty;
  p.compiler = b.compiler;
  p.build_type = b.build_type;
  p.cxx_flags = b.cxx_flags;
  try {
    p.binary_sha256 = sha256_file("/proc/self/exe");
  } catch (const FileError&) {
    p.binary_sha256 = "";  // not on Linux /proc: left empty, never invented
  }
  p.command_line = command_line;
  return p;
}

std::string utc_now_rfc3339() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string new_run_id() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) throw std::runtime_error("RAND_bytes failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char c : bytes) {
    id += kHex[c >> 4];
    id += kHex[c & 15];
  }
  return id;
}

}  // namespace chipcert::harness
