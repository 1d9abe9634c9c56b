#include "chipcert/trust/strict.hpp"

#include <cstdio>

namespace chipcert::trust::detail {

std::string child(const std::string& pointer, std::string_view key) {
  std::string out = pointer + "/";
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::string child(const std::string& pointer, std::size_t index) {
  return pointer + "/" + std::to_string(index);
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
    case json::value_t::number_float:
      return "number " + j.dump();
    case json::value_t::string: {
      std::string s = j.get<std::string>();
      if (s.size() > 60) s = s.substr(0, 60) + "...";
      return "string " + json(s).dump(-1, ' ', false, json::error_handler_t::replace);
    }
    case json::value_t::array:
      return j.empty() ? "empty array" : "array of " + std::to_string(j.size());
    case json::value_t::object:
      return j.empty() ? "empty object" : "object";
    default:
      return "binary";
  }
}

void fail(std::string_view source, const std::string& pointer, const std::string& expected,
          const std::string& found) {
  throw results::ParseError(std::string(source), pointer,
                            "expected " + expected + ", found " + found);
}

Obj::Obj(const json& j, std::string_view src, std::string ptr, std::string what,
         std::initializer_list<std::string_view> fields)
    : j_(j), src_(src), ptr_(std::move(ptr)), what_(std::move(what)) {
  if (!j.is_object()) fail(src_, ptr_, what_ + " (an object)", describe(j));
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (auto f : fields) known = known || f == key;
    if (!known) {
      std::string names;
      for (auto f : fields) names += (names.empty() ? "" : ", ") + std::string(f);
      fail(src_, child(ptr_, key), "one of the fields of " + what_ + " (" + names + ")",
           "unknown field " + describe(json(key)).substr(7));
    }
  }
}

const json& Obj::at(std::string_view key, const char* expect) const {
  auto it = j_.find(key);
  if (it == j_.end()) fail(src_, ptr(key), std::string(expect) + " (required field)", "nothing");
  return *it;
}

std::string Obj::str(std::string_view key) const {
  const json& v = at(key, "a string");
  if (!v.is_string()) fail(src_, ptr(key), "a string", describe(v));
  return v.get<std::string>();
}

void Obj::check_format(std::string_view tag) const {
  const std::string f = str("format");
  if (f != tag) fail(src_, ptr("format"), "\"" + std::string(tag) + "\"", describe(json(f)));
  integer("format_version", 1, 1);
}

std::string Obj::name(std::string_view key) const {
  std::string s = str(key);
  if (s.empty()) fail(src_, ptr(key), "a non-empty string", "empty string");
  return s;
}

bool Obj::boolean(std::string_view key) const {
  const json& v = at(key, "a boolean");
  if (!v.is_boolean()) fail(src_, ptr(key), "a boolean", describe(v));
  return v.get<bool>();
}

int64_t Obj::integer(std::string_view key, int64_t min, int64_t max) const {
  const json& v = at(key, "an integer");
  const std::string range =
      "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > static_cast<uint64_t>(max)) fail(src_, ptr(key), range, describe(v));
    const auto u = static_cast<int64_t>(v.get<uint64_t>());
    if (u < min) fail(src_, ptr(key), range, describe(v));
    return u;
  }
  if (!v.is_number_integer()) fail(src_, ptr(key), range, describe(v));
  const auto i = v.get<int64_t>();
  if (i < min || i > max) fail(src_, ptr(key), range, describe(v));
  return i;
}

double Obj::number(std::string_view key, double min, double max) const {
  const json& v = at(key, "a number");
  const std::string range = "a number in [" + fmt(min) + ", " + fmt(max) + "]";
  if (!v.is_number()) fail(src_, ptr(key), range, describe(v));
  const double d = v.get<double>();
  if (!std::isfinite(d) || d < min || d > max) fail(src_, ptr(key), range, describe(v));
  return d;
}

const json& Obj::array(std::string_view key) const {
  const json& v = at(key, "an array");
  if (!v.is_array()) fail(src_, ptr(key), "an array", describe(v));
  return v;
}

const json& Obj::object(std::string_view key) const {
  const json& v = at(key, "an object");
  if (!v.is_object()) fail(src_, ptr(key), "an object", describe(v));
  return v;
}

std::string fmt(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace chipcert::trust::detail
