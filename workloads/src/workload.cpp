#include "chipcert/workloads/workload.hpp"

#include <string>

namespace chipcert::workloads {

std::string Workload::label(const nlohmann::json& parameters) const {
  // Keys in the object's (sorted) order: the same parameters give the same id.
  std::string out;
  for (const auto& [key, value] : parameters.items()) {
    if (!out.empty()) out += '_';
    out += key;
    if (value.is_boolean())
      out += value.get<bool>() ? "1" : "0";
    else if (value.is_string())
      out += value.get<std::string>();
    else
      out += value.dump();
  }
  return out.empty() ? "default" : out;
}

namespace {
std::string describe(const nlohmann::json& v) {
  std::string s = v.dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return std::string(v.type_name()) + " " + s;
}
}  // namespace

int64_t param_int(const nlohmann::json& p, const char* key, std::optional<int64_t> fallback,
                  int64_t min, int64_t max) {
  if (!p.contains(key)) {
    if (fallback) return *fallback;
    throw SpecError(std::string("parameter \"") + key + "\" is required (an integer in [" +
                    std::to_string(min) + ", " + std::to_string(max) + "])");
  }
  const auto& v = p.at(key);
  if (!v.is_number_integer())
    throw SpecError(std::string("parameter \"") + key + "\": expected an integer, found " +
                    describe(v));
  const int64_t x = v.get<int64_t>();
  if (x < min || x > max)
    throw SpecError(std::string("parameter \"") + key + "\": expected an integer in [" +
                    std::to_string(min) + ", " + std::to_string(max) + "], found " +
                    std::to_string(x));
  return x;
}

double param_number(const nlohmann::json& p, const char* key, std::optional<double> fallback) {
  if (!p.contains(key)) {
    if (fallback) return *fallback;
    throw SpecError(std::string("parameter \"") + key + "\" is required (a number)");
  }
  const auto& v = p.at(key);
  if (!v.is_number())
    throw SpecError(std::string("parameter \"") + key + "\": expected a number, found " +
                    describe(v));
  return v.get<double>();
}

bool param_bool(const nlohmann::json& p, const char* key, bool fallback) {
  if (!p.contains(key)) return fallback;
  const auto& v = p.at(key);
  if (!v.is_boolean())
    throw SpecError(std::string("parameter \"") + key + "\": expected true or false, found " +
                    describe(v));
  return v.get<bool>();
}

void check_known_params(const nlohmann::json& p, std::initializer_list<const char*> allowed,
                        std::string_view workload) {
  if (!p.is_object())
    throw SpecError(std::string(workload) + ": parameters must be an object, found " + describe(p));
  for (const auto& [key, value] : p.items()) {
    bool known = false;
    for (const char* a : allowed) known = known || key == a;
    if (!known) {
      std::string list;
      for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      throw SpecError(std::string(workload) + ": unknown parameter \"" + key +
                      "\" (known: " + (list.empty() ? "none" : list) + ")");
    }
  }
}

}  // namespace chipcert::workloads
