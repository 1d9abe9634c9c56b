// ParseError and the small helpers shared by the JSON reader and writer.

#include <cmath>
#include <string>
#include <string_view>

#include "chipcert/results/json.hpp"
#include "json_internal.hpp"

namespace chipcert::results {

using nlohmann::json;

ParseError::ParseError(std::string source, std::string pointer, std::string message)
    : std::runtime_error(source + ": " + (pointer.empty() ? "(root)" : pointer) + ": " + message),
      source_(std::move(source)),
      pointer_(std::move(pointer)) {}

namespace detail {

std::string escape_token(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string child(const std::string& pointer, std::string_view key) {
  return pointer + "/" + escape_token(key);
}

std::string child(const std::string& pointer, std::size_t index) {
  return pointer + "/" + std::to_string(index);
}

std::string quote_short(std::string_view s, std::size_t max) {
  bool cut = false;
  if (s.size() > max) {
    std::size_t end = max;
    // Do not split a UTF-8 sequence: back up over continuation bytes.
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
    s = s.substr(0, end);
    cut = true;
  }
  // dump() escapes quotes and control characters; replace keeps broken UTF-8 printable.
  std::string quoted = json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
  if (cut) quoted.insert(quoted.size() - 1, "...");
  return quoted;
}

std::string describe(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return j.get<bool>() ? "true" : "false";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer " + j.dump();
    case json::value_t::number_float: {
      const double d = j.get<double>();
      if (std::isnan(d)) return "NaN";
      if (std::isinf(d)) return d > 0 ? "infinity" : "-infinity";
      return "number " + j.dump();
    }
    case json::value_t::string:
      return "string " + quote_short(j.get_ref<const std::string&>());
    case json::value_t::array:
      return j.empty() ? "empty array" : "array of " + std::to_string(j.size());
    case json::value_t::object:
      return j.empty() ? "empty object" : "object";
    default:
      return "binary";
  }
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMinForLen[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLen[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

[[noreturn]] void fail(std::string_view source, const std::string& pointer,
                       const std::string& expected, const std::string& found) {
  throw ParseError(std::string(source), pointer, "expected " + expected + ", found " + found);
}

}  // namespace detail

}  // namespace chipcert::results
