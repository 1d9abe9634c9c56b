#include "config.hpp"

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <utility>

namespace chipcert::fault {
namespace {

constexpr std::array<std::pair<std::string_view, Mode>, 21> kModes{{
    {"none", Mode::none},
    {"wrong", Mode::wrong},
    {"ulp", Mode::ulp},
    {"zeros", Mode::zeros},
    {"nan", Mode::nan},
    {"error", Mode::error},
    {"prepare_error", Mode::prepare_error},
    {"alloc_fail", Mode::alloc_fail},
    {"open_fail", Mode::open_fail},
    {"hang", Mode::hang},
    {"segv", Mode::segv},
    {"abort", Mode::abort},
    {"leak", Mode::leak},
    {"slow", Mode::slow},
    {"absurd_info", Mode::absurd_info},
    {"unterminated_info", Mode::unterminated_info},
    {"huge_count", Mode::huge_count},
    {"enumerate_error", Mode::enumerate_error},
    {"wrong_after", Mode::wrong_after},
    {"flaky_timer", Mode::flaky_timer},
    {"oversize", Mode::oversize},
}};

[[noreturn]] void bad(const char* var, std::string_view value, const std::string& expected) {
  throw FaultError(CC_ERR_INVALID_ARGUMENT,
                   std::string(var) + "=\"" + std::string(value) + "\": expected " + expected);
}

/// The variable's value, nullopt when unset or empty.
std::optional<std::string_view> env(const char* var) {
  const char* s = std::getenv(var);
  if (s == nullptr || *s == '\0') return std::nullopt;
  return std::string_view(s);
}

uint64_t env_uint(const char* var, uint64_t lo, uint64_t hi, uint64_t def) {
  const auto v = env(var);
  if (!v) return def;
  const std::string s(*v);
  char* end = nullptr;
  errno = 0;
  const unsigned long long x = std::strtoull(s.c_str(), &end, 10);
  if (s[0] == '-' || s[0] == '+' || *end != '\0' || errno != 0 || x < lo || x > hi)
    bad(var, s, "a decimal integer in " + std::to_string(lo) + ".." + std::to_string(hi));
  return x;
}

std::string mode_list() {
  std::string out;
  for (const auto& [name, mode] : kModes) out += (out.empty() ? "" : "|") + std::string(name);
  return out;
}

}  // namespace

const char* op_kind_name(uint32_t kind) {
  return cc_op_kind_name(kind);
}

Config read_config() {
  Config c;
  if (const auto m = env("CHIPCERT_FAULT")) {
    bool found = false;
    for (const auto& [name, mode] : kModes)
      if (name == *m) {
        c.mode = mode;
        found = true;
      }
    if (!found) bad("CHIPCERT_FAULT", *m, "one of " + mode_list());
  }
  if (const auto o = env("CHIPCERT_FAULT_OP"); o && *o != "any") {
    c.op = CC_OP_KIND_COUNT_ + 1;
    for (uint32_t k = 0; k < CC_OP_KIND_COUNT_; ++k)
      if (*o == cc_op_kind_name(k)) c.op = k;
    if (c.op > CC_OP_KIND_COUNT_) {
      std::string names = "any";
      for (uint32_t k = 0; k < CC_OP_KIND_COUNT_; ++k)
        names += std::string("|") + cc_op_kind_name(k);
      bad("CHIPCERT_FAULT_OP", *o, "an op kind name: " + names);
    }
  }
  // wrong_after exists to be right first and wrong later, so it starts at 1.
  c.after = env_uint("CHIPCERT_FAULT_AFTER", 0, UINT64_MAX, c.mode == Mode::wrong_after ? 1 : 0);
  if (const auto a = env("CHIPCERT_FAULT_ARG")) {
    const std::string s(*a);
    char* end = nullptr;
    const double x = std::strtod(s.c_str(), &end);
    if (*end != '\0' || !std::isfinite(x) || x < 0)
      bad("CHIPCERT_FAULT_ARG", s, "a finite number >= 0");
    c.arg = x;
  }
  c.devices = static_cast<uint32_t>(env_uint("CHIPCERT_FAULT_DEVICES", 1, kMaxDevices, 1));
  if (env("CHIPCERT_FAULT_DEVICE"))
    c.device = static_cast<uint32_t>(env_uint("CHIPCERT_FAULT_DEVICE", 0, c.devices - 1, 0));
  return c;
}

}  // namespace chipcert::fault
