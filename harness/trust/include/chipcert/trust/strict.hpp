#pragma once
/// Strict JSON object access for chipcert's data formats (profiles, trusted
/// keys, envelopes, statements, quota policies and plans): unknown fields
/// rejected, required fields named when missing, exact types. Errors are
/// results::ParseError "<source>: <pointer>: expected X, found Y". Public so
/// that modules built on chipcert::trust (harness/quota) validate their files
/// with the same helpers and messages.

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "chipcert/results/json.hpp"

namespace chipcert::trust::detail {

using nlohmann::json;

/// RFC 6901 child pointer.
std::string child(const std::string& pointer, std::string_view key);
std::string child(const std::string& pointer, std::size_t index);

/// "string \"abc\"", "integer 3", "object", ... for "found" parts.
std::string describe(const json& j);

[[noreturn]] void fail(std::string_view source, const std::string& pointer,
                       const std::string& expected, const std::string& found);

class Obj {
 public:
  /// `what` names the object in messages ("a rule"); `fields` are all the keys it may have.
  Obj(const json& j, std::string_view src, std::string ptr, std::string what,
      std::initializer_list<std::string_view> fields);

  bool has(std::string_view key) const { return j_.contains(key); }
  const json& at(std::string_view key, const char* expect) const;
  std::string ptr(std::string_view key) const { return child(ptr_, key); }
  const std::string& pointer() const { return ptr_; }
  std::string_view src() const { return src_; }

  /// The document's "format" tag and "format_version" 1, checked before any
  /// other field so that a wrong kind of file reads as such.
  void check_format(std::string_view tag) const;
  std::string str(std::string_view key) const;
  /// A string that must not be empty.
  std::string name(std::string_view key) const;
  bool boolean(std::string_view key) const;
  int64_t integer(std::string_view key, int64_t min, int64_t max) const;
  /// A finite number in [min, max].
  double number(std::string_view key, double min, double max) const;
  const json& array(std::string_view key) const;
  const json& object(std::string_view key) const;

 private:
  const json& j_;
  std::string_view src_;
  std::string ptr_;
  std::string what_;
};

/// A number shown in messages and verdicts: up to 4 significant digits.
std::string fmt(double v);

}  // namespace chipcert::trust::detail
