// Negative tests: every rejection names the JSON pointer and the expectation.

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "chipcert/results/json.hpp"
#include "test_documents.hpp"

namespace chipcert::results {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json full_json() {
  return to_json(testing::full_document());
}

struct Caught {
  std::string what;
  std::string pointer;
};

Caught parse_error(const std::string& text) {
  try {
    parse_document(text, "t.json");
  } catch (const ParseError& e) {
    EXPECT_EQ(e.source(), "t.json");
    return {e.what(), e.pointer()};
  }
  ADD_FAILURE() << "accepted:\n" << text.substr(0, 400);
  return {};
}

Caught parse_error_json(const json& j) {
  return parse_error(j.dump(2));
}

/// Full document with `value` at `pointer` (null json = remove it).
json with(const std::string& pointer, const json& value) {
  json j = full_json();
  j[json::json_pointer(pointer)] = value;
  return j;
}

json without(const std::string& pointer) {
  json j = full_json();
  const json::json_pointer p(pointer);
  j[p.parent_pointer()].erase(p.back());
  return j;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("chipcert_results_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

TEST(ParseErrors, MessageFormat) {
  const Caught e = parse_error_json(with("/seed", "7"));
  EXPECT_EQ(e.pointer, "/seed");
  EXPECT_EQ(e.what,
            "t.json: /seed: expected an integer in [0, 18446744073709551615], found string \"7\"");
}

TEST(ParseErrors, MissingField) {
  Caught e = parse_error_json(without("/cases/1/status"));
  EXPECT_EQ(e.pointer, "/cases/1/status");
  EXPECT_THAT(
      e.what,
      HasSubstr(
          "t.json: /cases/1/status: expected a status string (required field), found nothing"));

  e = parse_error_json(without("/host/caches/2/size_bytes"));
  EXPECT_THAT(e.what, HasSubstr("/host/caches/2/size_bytes: expected an integer (required field)"));

  e = parse_error_json(without("/provenance"));
  EXPECT_THAT(e.what,
              HasSubstr("t.json: /provenance: expected an object (required field), found nothing"));
}

TEST(ParseErrors, WrongType) {
  Caught e = parse_error_json(with("/devices/0/numa_node", 1.5));
  EXPECT_THAT(
      e.what,
      HasSubstr("/devices/0/numa_node: expected an integer in [-1, 2147483647], found number 1.5"));
  e = parse_error_json(with("/devices/0/numa_node", -2));
  EXPECT_THAT(e.what, HasSubstr("found integer -2"));
  e = parse_error_json(with("/resumed", "yes"));
  EXPECT_THAT(e.what, HasSubstr("/resumed: expected a boolean, found string \"yes\""));
  e = parse_error_json(with("/cases/0/parameters", json::array({1, 2})));
  EXPECT_THAT(e.what, HasSubstr("/cases/0/parameters: expected an object, found array of 2"));
  e = parse_error_json(with("/devices/1/compute_units", 4294967296ull));
  EXPECT_THAT(e.what,
              HasSubstr("/devices/1/compute_units: expected an integer in [0, 4294967295]"));
  e = parse_error_json(with("/host", nullptr));
  EXPECT_THAT(e.what, HasSubstr("/host: expected a host (an object), found null"));
  e = parse_error_json(json::array());
  EXPECT_EQ(e.what, "t.json: (root): expected a results document (an object), found empty array");
}

TEST(ParseErrors, ClockUnderLoad) {
  // A reading must be a clock: a positive number of MHz.
  Caught e = parse_error_json(with("/host/clock_under_load_readings_mhz/1", 0));
  EXPECT_EQ(e.pointer, "/host/clock_under_load_readings_mhz/1");
  EXPECT_THAT(e.what, HasSubstr("expected a clock in MHz above 0, found integer 0"));
  e = parse_error_json(with("/host/clock_under_load_readings_mhz/0", "3.4 GHz"));
  EXPECT_THAT(e.what, HasSubstr("/host/clock_under_load_readings_mhz/0: expected a non-negative"));
  e = parse_error_json(with("/host/clock_under_load_readings_mhz", 3412.5));
  EXPECT_THAT(e.what,
              HasSubstr("/host/clock_under_load_readings_mhz: expected an array, found number"));
  e = parse_error_json(with("/host/clock_under_load_mhz", -1));
  EXPECT_EQ(e.pointer, "/host/clock_under_load_mhz");
  // The recorded clock is the highest reading, never a lower one that would
  // make every figure look closer to the theoretical peak.
  e = parse_error_json(with("/host/clock_under_load_mhz", 3398.25));
  EXPECT_EQ(e.pointer, "/host/clock_under_load_mhz");
  EXPECT_THAT(e.what,
              HasSubstr("expected the highest of clock_under_load_readings_mhz (3412.5), found "
                        "3398.25"));
  e = parse_error_json(without("/host/clock_under_load_mhz"));
  EXPECT_THAT(e.what, HasSubstr("(3412.5), found nothing"));
  // Documents written before the readings were recorded still read.
  json old = without("/host/clock_under_load_readings_mhz");
  old["host"].erase("clock_cross_check_readings_mhz");
  EXPECT_NO_THROW(parse_document(old.dump(), "t.json"));
}

TEST(ParseErrors, PeakOpsPerCycle) {
  Caught e = parse_error_json(with("/host/peak_ops_per_cycle_per_core/fp8", 512));
  EXPECT_EQ(e.pointer, "/host/peak_ops_per_cycle_per_core/fp8");
  EXPECT_THAT(e.what, HasSubstr("expected a dtype: fp64, fp32, tf32, fp16, bf16 or int8, found "
                                "\"fp8\""));
  e = parse_error_json(with("/host/peak_ops_per_cycle_per_core/fp32", 0));
  EXPECT_THAT(e.what, HasSubstr("/host/peak_ops_per_cycle_per_core/fp32: expected ops per cycle "
                                "above 0, found integer 0"));
  e = parse_error_json(with("/host/peak_ops_per_cycle_per_core/int8", "256"));
  EXPECT_THAT(e.what, HasSubstr("/host/peak_ops_per_cycle_per_core/int8: expected a non-negative"));
  e = parse_error_json(with("/host/peak_ops_per_cycle_per_core", json::array({64})));
  EXPECT_THAT(e.what, HasSubstr("/host/peak_ops_per_cycle_per_core: expected an object"));
  // The figures never travel without how they were obtained, nor the reverse.
  e = parse_error_json(without("/host/peak_basis"));
  EXPECT_THAT(e.what, HasSubstr("/host/peak_basis: expected a string (required field)"));
  e = parse_error_json(without("/host/peak_ops_per_cycle_per_core"));
  EXPECT_THAT(e.what, HasSubstr("/host/peak_ops_per_cycle_per_core: expected an object beside "
                                "peak_basis, found nothing"));
  json old = without("/host/peak_ops_per_cycle_per_core");
  old["host"].erase("peak_basis");
  old["host"].erase("execution_units");
  EXPECT_NO_THROW(parse_document(old.dump(), "t.json"));
}

TEST(ParseErrors, ClockCrossCheck) {
  // A document cannot claim a trusted clock its readings refute.
  json d = with("/host/clock_cross_check_readings_mhz/1", 1137.5);
  Caught e = parse_error_json(d);
  EXPECT_EQ(e.pointer, "/host/clock_untrusted");
  EXPECT_THAT(e.what, HasSubstr("expected the reason the readings give: reading 1: the add chain "
                                "read 3412 MHz and the imul chain 1138 MHz"));
  EXPECT_THAT(e.what, HasSubstr("found nothing"));
  d["host"]["clock_untrusted"] = "edited";
  EXPECT_NO_THROW(parse_document(d.dump(), "t.json"));
  // Nor a doubt the readings do not give.
  e = parse_error_json(with("/host/clock_untrusted", "because"));
  EXPECT_THAT(e.what, HasSubstr("/host/clock_untrusted: expected nothing: the readings and "
                                "bounds give no reason to doubt the clock, found \"because\""));
  // A reading above what the CPU states (the 10.7 GHz an `add $1` chain
  // read on a 2.1 GHz Xeon) with a cross-check that agrees is still refused.
  d = with("/host/clock_bounds_mhz/max_mhz", 3000);
  e = parse_error_json(d);
  EXPECT_THAT(e.what, HasSubstr("reading 0: 3398 MHz is outside the 400-3000 MHz the CPU states"));
  e = parse_error_json(with("/host/clock_bounds_mhz/max_mhz", 300));
  EXPECT_THAT(e.what, HasSubstr("/host/clock_bounds_mhz/max_mhz: expected a bound above min_mhz "
                                "(400.0), found 300.0"));
  e = parse_error_json(without("/host/clock_bounds_mhz/basis"));
  EXPECT_THAT(e.what, HasSubstr("/host/clock_bounds_mhz/basis: expected a string"));
  e = parse_error_json(with("/host/clock_cross_check_readings_mhz/0", -5));
  EXPECT_THAT(e.what, HasSubstr("/host/clock_cross_check_readings_mhz/0: expected a"));
  // One cross-check per reading.
  e = parse_error_json(with("/host/clock_cross_check_readings_mhz", json::array({3401.0})));
  EXPECT_THAT(e.what, HasSubstr("2 clock reading(s) but 1 imul cross-check reading(s)"));
}

TEST(ParseErrors, ExecutionUnits) {
  // The per-dtype peak is the fastest unit's figure, never another.
  Caught e = parse_error_json(with("/host/peak_ops_per_cycle_per_core/bf16", 128));
  EXPECT_EQ(e.pointer, "/host/peak_ops_per_cycle_per_core/bf16");
  EXPECT_THAT(e.what, HasSubstr("expected the fastest bf16 execution unit's figure (amx-bf16, "
                                "1024.0), found 128.0"));
  e = parse_error_json(with("/host/peak_ops_per_cycle_per_core/fp16", 2048));
  EXPECT_THAT(e.what, HasSubstr("/host/execution_units: expected a fp16 unit behind "
                                "/host/peak_ops_per_cycle_per_core/fp16, found none"));
  e = parse_error_json(with("/host/execution_units/0/dtype", "fp8"));
  EXPECT_EQ(e.pointer, "/host/execution_units/0/dtype");
  EXPECT_THAT(e.what, HasSubstr("expected a dtype: fp64, fp32, fp16, bf16 or int8"));
  e = parse_error_json(with("/host/execution_units/1/ops_per_cycle", 0));
  EXPECT_THAT(e.what,
              HasSubstr("/host/execution_units/1/ops_per_cycle: expected ops per cycle above 0"));
  e = parse_error_json(with("/host/execution_units/2/name", ""));
  EXPECT_THAT(e.what, HasSubstr("/host/execution_units/2/name: expected a unit name"));
  e = parse_error_json(without("/host/execution_units/3/measured_ops_per_cycle"));
  EXPECT_THAT(e.what, HasSubstr("measured_ops_per_cycle: expected a number (required field)"));
  e = parse_error_json(with("/host/execution_units/0/pipes", 2));
  EXPECT_THAT(e.what, HasSubstr("unknown field \"pipes\""));
}

TEST(ParseErrors, UnknownField) {
  Caught e = parse_error_json(with("/cases/0/verification/colour", "blue"));
  EXPECT_EQ(e.pointer, "/cases/0/verification/colour");
  EXPECT_THAT(e.what, HasSubstr("expected one of the fields of a verification (passed, method,"));
  EXPECT_THAT(e.what, HasSubstr("found unknown field \"colour\""));
  e = parse_error_json(with("/extra", 1));
  EXPECT_THAT(e.what,
              HasSubstr("t.json: /extra: expected one of the fields of a results document"));
}

TEST(ParseErrors, DuplicateKeyTopLevel) {
  std::string text = full_json().dump(2);
  text.insert(1, "\"seed\": 1,");
  const Caught e = parse_error(text);
  EXPECT_EQ(e.pointer, "");
  EXPECT_EQ(e.what,
            "t.json: (root): expected each key once per object, found duplicate key \"seed\"");
}

TEST(ParseErrors, DuplicateKeyInCaseParameters) {
  std::string text = full_json().dump(2);
  const auto at = text.find("\"parameters\": {");
  ASSERT_NE(at, std::string::npos);
  text.insert(at + 15, "\"m\": 1,");
  const Caught e = parse_error(text);
  EXPECT_EQ(e.pointer, "/cases/0/parameters");
  EXPECT_THAT(
      e.what,
      HasSubstr(
          "/cases/0/parameters: expected each key once per object, found duplicate key \"m\""));
}

TEST(ParseErrors, DuplicateKeyInArrayElement) {
  const Caught e = parse_error(R"({"a": [1, {"x": 1, "x": 2}]})");
  EXPECT_EQ(e.pointer, "/a/1");
}

TEST(ParseErrors, BadStatus) {
  const Caught e = parse_error_json(with("/cases/0/status", "PASSED"));
  EXPECT_EQ(e.pointer, "/cases/0/status");
  EXPECT_THAT(e.what,
              HasSubstr("expected one of \"passed\", \"failed\", \"mistrusted\", \"unsupported\", "
                        "\"skipped\", \"error\", \"timed_out\", found string \"PASSED\""));
}

TEST(ParseErrors, BadEnums) {
  Caught e = parse_error_json(with("/devices/0/kind", "npu"));
  EXPECT_THAT(e.what, HasSubstr("/devices/0/kind: expected one of \"cpu\", \"gpu\", "
                                "\"accelerator\", \"other\", found string \"npu\""));
  e = parse_error_json(with("/cases/0/timer", "wall"));
  EXPECT_THAT(e.what, HasSubstr("/cases/0/timer: expected one of \"device\", \"host\", \"\""));
}

TEST(ParseErrors, BadSchemaVersion) {
  Caught e = parse_error_json(with("/schema_version", "2"));
  EXPECT_EQ(e.what,
            "t.json: /schema_version: expected schema_version \"1\" (this reader supports version "
            "1 only), found string \"2\"");
  // Checked before unknown fields: a v2 document says "version", not "unknown field".
  json v2 = with("/schema_version", "2");
  v2["new_v2_field"] = true;
  EXPECT_THAT(parse_error_json(v2).what, HasSubstr("supports version 1 only"));
  e = parse_error_json(with("/schema_version", 1));
  EXPECT_THAT(e.what, HasSubstr("found integer 1"));
  e = parse_error_json(without("/schema_version"));
  EXPECT_THAT(e.what, HasSubstr("/schema_version: expected schema_version \"1\""));
}

TEST(ParseErrors, NegativeOrNonNumericSample) {
  Caught e = parse_error_json(with("/cases/0/samples/3", -0.5));
  EXPECT_EQ(e.pointer, "/cases/0/samples/3");
  EXPECT_THAT(e.what, HasSubstr("expected a non-negative finite number, found number -0.5"));
  e = parse_error_json(with("/cases/0/samples/0", nullptr));
  EXPECT_THAT(e.what,
              HasSubstr("/cases/0/samples/0: expected a non-negative finite number, found null"));
  e = parse_error_json(with("/cases/0/verification/zero_fraction", 1.5));
  EXPECT_THAT(e.what,
              HasSubstr("/cases/0/verification/zero_fraction: expected a fraction in [0, 1]"));
}

TEST(ParseErrors, BadSensorReadings) {
  Caught e = parse_error_json(with("/cases/0/sensors/readings", 0));
  EXPECT_EQ(e.pointer, "/cases/0/sensors/readings");
  EXPECT_THAT(e.what, HasSubstr("expected at least 1 reading"));
  e = parse_error_json(with("/cases/0/sensors/power_w/min", -1.0));
  EXPECT_EQ(e.pointer, "/cases/0/sensors/power_w/min");
  EXPECT_THAT(e.what, HasSubstr("expected a non-negative finite number, found number -1"));
  e = parse_error_json(with("/cases/0/sensors/temperature_c/median", 50.0));
  EXPECT_EQ(e.pointer, "/cases/0/sensors/temperature_c");
  EXPECT_THAT(e.what, HasSubstr("expected min <= median <= max"));
  e = parse_error_json(with("/cases/0/sensors/fan_rpm", 900));
  EXPECT_THAT(e.what, HasSubstr("/cases/0/sensors"));
  EXPECT_THAT(e.what, HasSubstr("fan_rpm"));
  e = parse_error_json(without("/cases/0/sensors/readings"));
  EXPECT_THAT(e.what, HasSubstr("/cases/0/sensors/readings"));
  // Every sensor is optional: a driver reports what it can.
  json j = without("/cases/0/sensors/power_w");
  j["cases"][0]["sensors"].erase("temperature_c");
  EXPECT_EQ(parse_document(j.dump(), "t.json").cases[0].sensors->readings, 5u);
}

TEST(ParseErrors, BadHostPeakRss) {
  for (const json& bad : {json(-1), json(1.5), json("1 GiB"), json(nullptr)}) {
    const Caught e = parse_error_json(with("/cases/0/host_peak_rss_bytes", bad));
    EXPECT_EQ(e.pointer, "/cases/0/host_peak_rss_bytes") << bad;
    EXPECT_THAT(e.what, HasSubstr("integer")) << bad;
  }
  // Optional: a case without it reads back without it.
  EXPECT_FALSE(parse_document(without("/cases/0/host_peak_rss_bytes").dump(), "t.json")
                   .cases[0]
                   .host_peak_rss_bytes.has_value());
}

TEST(ParseErrors, NumberOverflowInText) {
  std::string text = full_json().dump(2);
  const auto at = text.find("\"flop\": ");
  text.replace(at, 8, "\"flop\": 1e400, \"x\": ");
  const Caught e = parse_error(text);
  EXPECT_THAT(e.what, HasSubstr("/cases/0"));
  EXPECT_THAT(e.what, HasSubstr("expected valid JSON, found"));
}

TEST(ParseErrors, CaseReferencesUnknownDevice) {
  const Caught e = parse_error_json(with("/cases/1/device", "cuda:3"));
  EXPECT_EQ(e.pointer, "/cases/1/device");
  EXPECT_THAT(
      e.what,
      HasSubstr(
          "expected the id of a device in /devices (\"cpu:0\", \"opencl:0\"), found \"cuda:3\""));
}

TEST(ParseErrors, DuplicateIds) {
  Caught e = parse_error_json(with("/cases/1/id", full_json()["cases"][0]["id"]));
  EXPECT_EQ(e.pointer, "/cases/1/id");
  EXPECT_THAT(e.what, HasSubstr("expected a case id unique in the document, found "
                                "\"gemm/4096x4096x4096/fp32@opencl:0\", already used by /cases/0"));
  e = parse_error_json(with("/devices/1/id", "opencl:0"));
  EXPECT_THAT(e.what, HasSubstr("/devices/1/id: expected a device id unique in the document"));
  e = parse_error_json(with("/devices/1/id", ""));
  EXPECT_THAT(e.what,
              HasSubstr("/devices/1/id: expected a non-empty device id, found empty string"));
}

TEST(ParseErrors, NotJsonAtAll) {
  Caught e = parse_error("this is not JSON");
  EXPECT_EQ(e.pointer, "");
  EXPECT_THAT(
      e.what,
      HasSubstr("t.json: (root): expected valid JSON, found parse error at line 1, column 2"));
  // Truncated text: the pointer says how far parsing got.
  const std::string text = full_json().dump(2);
  e = parse_error(text.substr(0, text.find("\"samples\"") + 20));
  EXPECT_EQ(e.pointer, "/cases/0/samples");
  EXPECT_THAT(e.what, HasSubstr("expected valid JSON, found parse error at line"));
  e = parse_error(R"({"a": 1} trailing)");
  EXPECT_THAT(e.what, HasSubstr("expected end of input"));
}

TEST(ParseErrors, EmptyInput) {
  EXPECT_EQ(parse_error("").what, "t.json: (root): expected a JSON document, found empty input");
  EXPECT_EQ(parse_error(" \n\t").what,
            "t.json: (root): expected a JSON document, found empty input");
}

TEST(ParseErrors, TooDeep) {
  const std::string text = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_THAT(parse_error(text).what, HasSubstr("expected nesting at most 256 deep"));
}

TEST(ParseErrors, LongValuesAreShortened) {
  const Caught e = parse_error_json(with("/seed", std::string(5000, 'x')));
  EXPECT_LT(e.what.size(), 200u);
  EXPECT_THAT(e.what, HasSubstr("xxx...\""));
}

TEST(ReadDocument, EmptyFile) {
  const std::string path = temp_path("empty.json");
  std::ofstream(path).close();
  try {
    read_document(path);
    ADD_FAILURE() << "empty file accepted";
  } catch (const ParseError& e) {
    EXPECT_EQ(std::string(e.what()),
              path + ": (root): expected a JSON document, found empty input");
  }
  std::remove(path.c_str());
}

TEST(ReadDocument, FileTooLarge) {
  // Sparse: 256 MiB + 1 byte of apparent size, no disk used, never read.
  const std::string path = temp_path("large.json");
  const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(kMaxDocumentBytes + 1)), 0);
  ::close(fd);
  try {
    read_document(path);
    ADD_FAILURE() << "large file accepted";
  } catch (const ParseError& e) {
    EXPECT_EQ(std::string(e.what()), path +
                                         ": (root): expected a file of at most 268435456 bytes "
                                         "(256 MiB), found 268435457 bytes");
  }
  std::remove(path.c_str());
}

TEST(ReadDocument, ExplicitLimit) {
  const std::string path = temp_path("limit.json");
  std::ofstream(path) << dump_document(testing::minimal_document());
  EXPECT_NO_THROW(read_document(path, 100000));
  try {
    read_document(path, 10);
    ADD_FAILURE() << "limit ignored";
  } catch (const ParseError& e) {
    EXPECT_THAT(e.what(), HasSubstr("expected a file of at most 10 bytes, found"));
  }
  std::remove(path.c_str());
}

TEST(ReadDocument, IoErrorsNameTheCause) {
  const std::string path = temp_path("does-not-exist.json");
  try {
    read_document(path);
    ADD_FAILURE();
  } catch (const ParseError& e) {
    EXPECT_EQ(std::string(e.what()),
              path + ": (root): expected a readable results file, found No such file or directory");
  }
  try {
    read_document(std::filesystem::temp_directory_path().string());
    ADD_FAILURE();
  } catch (const ParseError& e) {
    EXPECT_THAT(e.what(), HasSubstr("expected a results file, found a directory"));
  }
}

// ---------------------------------------------------------------------------
// Writing: never emit what JSON cannot carry or what a reader would refuse.

std::string write_error(const Document& d) {
  try {
    dump_document(d);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  ADD_FAILURE() << "written";
  return "";
}

TEST(WriteErrors, NaNInModel) {
  Document d = testing::full_document();
  d.cases[0].samples[1] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(write_error(d),
            "results: cannot write /cases/0/samples/1: NaN cannot be represented in JSON");
  EXPECT_THROW(to_json(d.cases[0]), std::invalid_argument);
}

TEST(WriteErrors, InfinityAnywhere) {
  Document d = testing::full_document();
  d.cases[0].rates.flop_per_s = std::numeric_limits<double>::infinity();
  EXPECT_THAT(write_error(d), HasSubstr("/cases/0/rates/flop_per_s: infinity"));
  d = testing::full_document();
  d.cases[1].parameters["scale/x"] = -std::numeric_limits<double>::infinity();
  EXPECT_THAT(write_error(d), HasSubstr("/cases/1/parameters/scale~1x: infinity"));
  d = testing::full_document();
  d.cases[0].verification->first_mismatches[1].actual = std::nan("");
  EXPECT_THAT(write_error(d), HasSubstr("/cases/0/verification/first_mismatches/1/actual: NaN"));
}

TEST(WriteErrors, InvalidUtf8) {
  Document d = testing::full_document();
  d.devices[0].name = "bad \xC3";
  EXPECT_EQ(write_error(d), "results: cannot write /devices/0/name: string is not valid UTF-8");
}

TEST(WriteErrors, WhatTheReaderWouldRefuse) {
  Document d = testing::full_document();
  d.cases[1].device = "cuda:0";
  EXPECT_THAT(write_error(d),
              HasSubstr("results being written: /cases/1/device: expected the id of a device"));
  d = testing::full_document();
  d.cases[0].samples[0] = -1;
  EXPECT_THAT(write_error(d),
              HasSubstr("/cases/0/samples/0: expected a non-negative finite number"));
  d = testing::full_document();
  d.devices[0].kind = "";
  EXPECT_THAT(write_error(d), HasSubstr("/devices/0/kind"));
}

}  // namespace
}  // namespace chipcert::results

namespace chipcert::results {
namespace {

TEST(ParseJsonStrict, AnyJsonTextWithoutModelChecks) {
  const nlohmann::json j =
      parse_json_strict(R"({"format": "suite", "cases": [{"a": 1}]})", "s.json");
  EXPECT_EQ(j["cases"][0]["a"], 1);
  try {
    parse_json_strict(R"({"cases": [{"a": 1, "a": 2}]})", "s.json");
    ADD_FAILURE() << "duplicate accepted";
  } catch (const ParseError& e) {
    EXPECT_EQ(std::string(e.what()),
              "s.json: /cases/0: expected each key once per object, found duplicate key \"a\"");
  }
  EXPECT_THROW(parse_json_strict("", "s.json"), ParseError);
  EXPECT_THROW(parse_json_strict("[1] [2]", "s.json"), ParseError);
}

}  // namespace
}  // namespace chipcert::results
