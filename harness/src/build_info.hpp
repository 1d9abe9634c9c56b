#pragma once
// What the binary was built from; filled at build time by cmake/BuildInfo.cmake.

namespace chipcert::harness {

struct BuildInfo {
  const char* version;
  const char* git_commit;
  bool dirty;
  const char* compiler;
  const char* build_type;
  const char* cxx_flags;
};

const BuildInfo& build_info();

}  // namespace chipcert::harness
