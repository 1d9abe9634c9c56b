#pragma once
// Helpers shared by the key, certify and verify commands.

#include <optional>
#include <string>

#include "chipcert/harness/files.hpp"
#include "cli.hpp"

namespace chipcert::cli {

/// The passphrase in `path` (its first line, without the line end), or
/// nullopt when `path` is empty. An empty passphrase is a usage error.
inline std::optional<std::string> read_passphrase(const std::string& path) {
  if (path.empty()) return std::nullopt;
  std::string text = harness::read_text_file(path, 4096);
  if (const auto nl = text.find('\n'); nl != std::string::npos) text.erase(nl);
  if (!text.empty() && text.back() == '\r') text.pop_back();
  if (text.empty()) throw UsageError("--passphrase-file: " + path + " holds an empty passphrase");
  return text;
}

}  // namespace chipcert::cli
