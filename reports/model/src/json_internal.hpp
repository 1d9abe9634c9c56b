#pragma once
/// Helpers shared by json_read.cpp and json_write.cpp. Not installed.

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace chipcert::results::detail {

/// Deepest nesting of arrays/objects accepted on read and write. The results
/// model itself needs 4; parameters/details get the rest. Bounded so hostile
/// input cannot exhaust the stack of recursive consumers (dump, renderers).
inline constexpr std::size_t kMaxDepth = 256;

/// One RFC 6901 reference token, escaped ("~" -> "~0", "/" -> "~1").
std::string escape_token(std::string_view key);

/// `pointer` + "/" + escaped `key`.
std::string child(const std::string& pointer, std::string_view key);
std::string child(const std::string& pointer, std::size_t index);

/// A short human description of a JSON value for "found ..." parts:
/// "null", "true", "integer -3", "number 1.5", "string \"abc\"", "array of 2",
/// "object". Long strings are shortened.
std::string describe(const nlohmann::json& j);

/// `s` shortened to about `max` bytes with "..." (UTF-8 safe), then quoted.
std::string quote_short(std::string_view s, std::size_t max = 60);

/// Throw ParseError(source, pointer, "expected <expected>, found <found>").
[[noreturn]] void fail(std::string_view source, const std::string& pointer,
                       const std::string& expected, const std::string& found);

/// Whether `s` is well-formed UTF-8 (what nlohmann's dump() demands).
bool valid_utf8(std::string_view s);

}  // namespace chipcert::results::detail
