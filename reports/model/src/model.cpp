#include "chipcert/results/model.hpp"

#include <array>
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

}  // namespace chipcert::results
