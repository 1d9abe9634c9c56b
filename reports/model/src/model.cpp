#include "chipcert/results/model.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <utility>

namespace chipcert::results {
namespace {

constexpr std::array<std::pair<Status, const char*>, 7> kStatusNames{{
    {Status::Passed, "passed"},
    {Status::Failed, "failed"},
    {Status::Mistrusted, "mistrusted"},
    {Status::Unsupported, "unsupported"},
    {Status::Skipped, "skipped"},
    {Status::Error, "error"},
    {Status::TimedOut, "timed_out"},
}};

}  // namespace

const char* to_string(Status s) {
  for (const auto& [status, name] : kStatusNames) {
    if (status == s) return name;
  }
  // Only reachable through a cast of an out-of-range integer. Not a valid
  // status string, so dump_document's self-check refuses to write it.
  return "invalid";
}

std::optional<Status> status_from_string(const std::string& s) {
  for (const auto& [status, name] : kStatusNames) {
    if (s == name) return status;
  }
  return std::nullopt;
}

std::string clock_untrusted_reason(const Host& h) {
  const auto& add = h.clock_under_load_readings_mhz;
  const auto& check = h.clock_cross_check_readings_mhz;
  if (add.empty()) {
    return h.clock_under_load_mhz ? "the clock has no readings behind it" : "";
  }
  char text[400];
  if (check.size() != add.size()) {
    std::snprintf(text, sizeof text,
                  "%zu clock reading(s) but %zu imul cross-check reading(s): a reading without "
                  "its cross-check cannot be believed (an add chain can run faster than one add "
                  "per cycle on some cores)",
                  add.size(), check.size());
    return text;
  }
  for (std::size_t i = 0; i < add.size(); ++i) {
    const double off = std::abs(add[i] - check[i]) / check[i];
    if (!(off <= kClockCrossCheckTolerance)) {
      std::snprintf(text, sizeof text,
                    "reading %zu: the add chain read %.0f MHz and the imul chain %.0f MHz, %.1f "
                    "%% apart (more than %.0f %%): one of the chains does not take the cycles "
                    "it should on this core",
                    i, add[i], check[i], 100 * off, 100 * kClockCrossCheckTolerance);
      return text;
    }
  }
  if (h.clock_bounds_mhz) {
    const ClockBounds& b = *h.clock_bounds_mhz;
    for (std::size_t i = 0; i < add.size(); ++i) {
      if (add[i] > b.max_mhz || add[i] < b.min_mhz) {
        std::snprintf(text, sizeof text,
                      "reading %zu: %.0f MHz is outside the %.0f-%.0f MHz the CPU states (%s)", i,
                      add[i], b.min_mhz, b.max_mhz, b.basis.c_str());
        return text;
      }
    }
  }
  return "";
}

const ExecutionUnit* fastest_unit(const Host& h, const std::string& dtype) {
  const ExecutionUnit* best = nullptr;
  for (const auto& u : h.execution_units)
    if (u.dtype == dtype && (!best || u.ops_per_cycle > best->ops_per_cycle)) best = &u;
  return best;
}

}  // namespace chipcert::results
