#include "chipcert/harness/suite.hpp"

#include <set>
#include <stdexcept>

#include "chipcert/harness/files.hpp"
#include "chipcert/results/json.hpp"
#include "chipcert/workloads/dtype.hpp"

namespace chipcert::harness {

namespace {

using results::ParseError;
using json = nlohmann::json;

/// Suites are small; a bigger file is a mistake, not a suite.
constexpr size_t kMaxSuiteBytes = 4u << 20;

std::string found(const json& v) {
  std::string s = v.dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return std::string(v.type_name()) + " " + s;
}

const json& require(const json& obj, const char* key, json::value_t type, const char* expected,
                    std::string_view source, const std::string& ptr) {
  if (!obj.contains(key))
    throw ParseError(std::string(source), ptr + "/" + key,
                     std::string("expected ") + expected + ", found nothing (required)");
  const json& v = obj.at(key);
  const bool ok = type == json::value_t::number_unsigned ? v.is_number_unsigned()
                  : type == json::value_t::number_float  ? v.is_number()
                                                         : v.type() == type;
  if (!ok)
    throw ParseError(std::string(source), ptr + "/" + key,
                     std::string("expected ") + expected + ", found " + found(v));
  return v;
}

void reject_unknown(const json& obj, std::initializer_list<const char*> known,
                    std::string_view source, const std::string& ptr) {
  for (const auto& [key, value] : obj.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    if (!ok) {
      std::string list;
      for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      throw ParseError(std::string(source), ptr + "/" + key,
                       "expected one of the keys " + list + ", found unknown key \"" + key + "\"");
    }
  }
}

std::string workload_names() {
  std::string out;
  for (const auto* w : workloads::all_workloads())
    out += (out.empty() ? "" : ", ") + std::string(w->name());
  return out;
}

}  // namespace

Suite parse_suite(std::string_view text, std::string_view source) {
  const json doc = results::parse_json_strict(text, source);
  if (!doc.is_object())
    throw ParseError(std::string(source), "", "expected an object, found " + found(doc));
  reject_unknown(
      doc, {"format", "format_version", "name", "version", "description", "defaults", "cases"},
      source, "");
  if (require(doc, "format", json::value_t::string, "the string \"chipcert-suite\"", source, "")
          .get<std::string>() != "chipcert-suite")
    throw ParseError(std::string(source), "/format",
                     "expected \"chipcert-suite\", found " + found(doc["format"]));
  const auto fv = require(doc, "format_version", json::value_t::number_unsigned, "1", source, "");
  if (fv.get<uint64_t>() != 1)
    throw ParseError(std::string(source), "/format_version",
                     "expected 1 (the only suite format this chipcert reads), found " + found(fv));
  Suite s;
  s.text = std::string(text);
  s.name = require(doc, "name", json::value_t::string, "a string", source, "").get<std::string>();
  s.version =
      require(doc, "version", json::value_t::string, "a string", source, "").get<std::string>();
  if (doc.contains("description"))
    s.description = require(doc, "description", json::value_t::string, "a string", source, "")
                        .get<std::string>();
  if (doc.contains("defaults")) {
    const json& d = require(doc, "defaults", json::value_t::object, "an object", source, "");
    reject_unknown(d, {"repetitions", "min_time_s"}, source, "/defaults");
    if (d.contains("repetitions")) {
      const auto r = require(d, "repetitions", json::value_t::number_unsigned,
                             "an integer in [1, 1000]", source, "/defaults")
                         .get<uint64_t>();
      if (r < 1 || r > 1000)
        throw ParseError(std::string(source), "/defaults/repetitions",
                         "expected an integer in [1, 1000], found " + std::to_string(r));
      s.rules.repetitions = static_cast<int>(r);
    }
    if (d.contains("min_time_s")) {
      const double t = require(d, "min_time_s", json::value_t::number_float,
                               "a number of seconds in (0, 60]", source, "/defaults")
                           .get<double>();
      if (!(t > 0 && t <= 60))
        throw ParseError(
            std::string(source), "/defaults/min_time_s",
            "expected a number of seconds in (0, 60], found " + found(d["min_time_s"]));
      s.rules.min_time_s = t;
    }
  }
  const json& cases =
      require(doc, "cases", json::value_t::array, "an array of case groups", source, "");
  if (cases.empty())
    throw ParseError(std::string(source), "/cases", "expected at least one case group, found none");
  std::set<std::string> seen;
  for (size_t g = 0; g < cases.size(); ++g) {
    const std::string gp = "/cases/" + std::to_string(g);
    const json& group = cases[g];
    if (!group.is_object())
      throw ParseError(std::string(source), gp, "expected an object, found " + found(group));
    reject_unknown(group, {"workload", "dtypes", "shapes"}, source, gp);
    const std::string wname =
        require(group, "workload", json::value_t::string, "a workload name", source, gp)
            .get<std::string>();
    const workloads::Workload* w = workloads::find_workload(wname);
    if (!w)
      throw ParseError(std::string(source), gp + "/workload",
                       "expected one of " + workload_names() + ", found \"" + wname + "\"");
    const json& dtypes =
        require(group, "dtypes", json::value_t::array, "an array of dtype names", source, gp);
    const json& shapes =
        require(group, "shapes", json::value_t::array, "an array of parameter objects", source, gp);
    if (dtypes.empty() || shapes.empty())
      throw ParseError(std::string(source), gp, "expected non-empty \"dtypes\" and \"shapes\"");
    for (size_t di = 0; di < dtypes.size(); ++di) {
      const std::string dp = gp + "/dtypes/" + std::to_string(di);
      if (!dtypes[di].is_string())
        throw ParseError(std::string(source), dp,
                         "expected a dtype name, found " + found(dtypes[di]));
      const auto dt = workloads::dtype_from_name(dtypes[di].get<std::string>());
      if (!dt)
        throw ParseError(
            std::string(source), dp,
            "expected one of " + workloads::all_dtype_names() + ", found " + found(dtypes[di]));
      for (size_t si = 0; si < shapes.size(); ++si) {
        const std::string sp = gp + "/shapes/" + std::to_string(si);
        SuiteCase c;
        c.workload = w;
        c.spec.workload = wname;
        c.spec.dtype = *dt;
        c.spec.parameters = shapes[si];
        try {
          (void)w->instantiate(c.spec);  // validates parameters; allocates nothing
        } catch (const workloads::SpecError& e) {
          throw ParseError(std::string(source), sp, e.what());
        }
        c.label = w->label(c.spec.parameters);
        const std::string key = wname + "/" + c.label + "/" + workloads::dtype_name(*dt);
        if (!seen.insert(key).second)
          throw ParseError(std::string(source), sp, "expected unique cases, found a second " + key);
        s.cases.push_back(std::move(c));
      }
    }
  }
  return s;
}

Suite builtin_suite(std::string_view name) {
  std::string names;
  for (const auto& e : builtin_suites()) {
    if (name == e.name) return parse_suite(e.text, std::string("suite ") + e.name);
    names += (names.empty() ? "" : ", ") + std::string(e.name);
  }
  throw std::invalid_argument("unknown suite \"" + std::string(name) + "\"; available: " + names);
}

Suite read_suite_file(const std::string& path) {
  return parse_suite(read_text_file(path, kMaxSuiteBytes), path);
}

}  // namespace chipcert::harness
