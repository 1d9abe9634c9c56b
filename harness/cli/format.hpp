#pragma once
// Small text helpers for the console output of the CLI.

#include <cstdint>
#include <string>
#include <vector>

namespace chipcert::cli {

/// "4.8 GiB", "512 MiB", "0 B".
std::string human_bytes(uint64_t bytes);

/// A left-aligned text table; the first row is the header.
std::string text_table(const std::vector<std::vector<std::string>>& rows);

/// True when stdout is a terminal (progress redraws in place there).
bool stdout_is_terminal();

}  // namespace chipcert::cli
