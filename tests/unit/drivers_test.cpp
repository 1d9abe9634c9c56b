// Driver loading: every way a plugin can be unusable gives one precise reason.

#include "chipcert/harness/drivers.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

namespace ch = chipcert::harness;

namespace {

const cc_driver_v1* valid_table() {
  static const cc_driver_v1 t = [] {
    cc_driver_v1 x;
    std::memset(&x, 0, sizeof(x));
    x.struct_size = sizeof(x);
    x.abi_version = CC_DRIVER_ABI_VERSION;
    x.name = "fake";
    // Any non-null function pointers satisfy the table check.
    x.enumerate = [](uint32_t*) { return CC_OK; };
    x.device_info = [](uint32_t, cc_device_info*) { return CC_OK; };
    x.open = [](uint32_t, cc_device**) { return CC_OK; };
    x.close = [](cc_device*) {};
    x.alloc = [](cc_device*, uint64_t, cc_buffer**) { return CC_OK; };
    x.free = [](cc_device*, cc_buffer*) {};
    x.write = [](cc_device*, cc_buffer*, uint64_t, const void*, uint64_t) { return CC_OK; };
    x.read = [](cc_device*, cc_buffer*, uint64_t, void*, uint64_t) { return CC_OK; };
    x.prepare = [](cc_device*, const cc_op_desc*, cc_kernel**) { return CC_OK; };
    x.release = [](cc_device*, cc_kernel*) {};
    x.launch = [](cc_device*, cc_kernel*, cc_buffer* const*, uint32_t) { return CC_OK; };
    x.synchronize = [](cc_device*) { return CC_OK; };
    x.last_error = [](cc_device*) { return ""; };
    return x;
  }();
  return &t;
}

}  // namespace

TEST(SearchPath, SplitsOnColonsAndDropsEmpties) {
  EXPECT_EQ(ch::split_search_path(""), std::vector<std::string>{});
  EXPECT_EQ(ch::split_search_path("a"), std::vector<std::string>{"a"});
  EXPECT_EQ(ch::split_search_path("a::b:"), (std::vector<std::string>{"a", "b"}));
}

TEST(DriverTable, ValidTablePasses) {
  EXPECT_EQ(ch::validate_driver_table(valid_table(), 1), "");
}

TEST(DriverTable, NullTable) {
  EXPECT_NE(ch::validate_driver_table(nullptr, 1).find("returned NULL"), std::string::npos);
}

TEST(DriverTable, WrongAbiVersion) {
  cc_driver_v1 t = *valid_table();
  t.abi_version = 2;
  EXPECT_EQ(ch::validate_driver_table(&t, 1),
            "driver implements ABI version 2, chipcert supports version 1");
}

TEST(DriverTable, TooSmallStruct) {
  cc_driver_v1 t = *valid_table();
  t.struct_size = 16;
  EXPECT_NE(ch::validate_driver_table(&t, 1).find("table is 16 bytes"), std::string::npos);
}

TEST(DriverTable, MissingFunctionsAreNamed) {
  cc_driver_v1 t = *valid_table();
  t.launch = nullptr;
  t.read = nullptr;
  EXPECT_EQ(ch::validate_driver_table(&t, 1),
            "driver table lacks required functions: read, launch");
}

TEST(DriverTable, BadNames) {
  cc_driver_v1 t = *valid_table();
  t.name = "";
  EXPECT_EQ(ch::validate_driver_table(&t, 1), "driver table has no name");
  t.name = "Bad-Name";
  EXPECT_NE(ch::validate_driver_table(&t, 1).find("is not [a-z0-9_]+"), std::string::npos);
}

TEST(DriverTable, OptionalFunctionsMayBeNull) {
  cc_driver_v1 t = *valid_table();
  t.timed_launch = nullptr;
  t.read_sensors = nullptr;
  EXPECT_EQ(ch::validate_driver_table(&t, 1), "");
}

struct PluginCase {
  const char* dir;
  const char* reason;
};

class PluginLoading : public ::testing::TestWithParam<PluginCase> {};

TEST_P(PluginLoading, BrokenPluginBecomesAProblemNotACrash) {
  ch::DriverOptions o;
  o.builtins = false;
  o.plugin_paths = {std::string(CHIPCERT_TEST_PLUGIN_DIR) + "/" + GetParam().dir};
  const auto set = ch::load_drivers(o);
  ASSERT_EQ(set.problems.size(), 1u);
  EXPECT_NE(set.problems[0].reason.find(GetParam().reason), std::string::npos)
      << set.problems[0].reason;
  EXPECT_NE(set.problems[0].source.find(GetParam().dir), std::string::npos);
  EXPECT_TRUE(set.drivers.empty());
}

INSTANTIATE_TEST_SUITE_P(Broken, PluginLoading,
                         ::testing::Values(PluginCase{"bad_abi", "ABI version 99"},
                                           PluginCase{"null_entry", "returned NULL"},
                                           PluginCase{"no_entry",
                                                      "no chipcert_driver_entry symbol"},
                                           PluginCase{"not_elf", "not a loadable shared object"},
                                           PluginCase{"small_struct", "an ABI v1 table needs"}),
                         [](const auto& info) { return std::string(info.param.dir); });

TEST(PluginLoading, ExamplePluginLoadsAndBuiltinsArePresent) {
  ch::DriverOptions o;
  o.plugin_paths = {CHIPCERT_PLUGIN_DIR};
  const auto set = ch::load_drivers(o);
  EXPECT_TRUE(set.problems.empty()) << set.problems[0].reason;
  bool example = false, cpu = false;
  for (const auto& d : set.drivers) {
    example = example || d.name == "example";
    cpu = cpu || (d.name == "cpu" && d.source == "builtin");
  }
  EXPECT_TRUE(example);
  EXPECT_TRUE(cpu);
}

TEST(PluginLoading, SamePluginTwiceIsReportedOnce) {
  ch::DriverOptions o;
  o.builtins = false;
  o.plugin_paths = {CHIPCERT_PLUGIN_DIR, CHIPCERT_PLUGIN_DIR};
  const auto set = ch::load_drivers(o);
  ASSERT_EQ(set.drivers.size(), 1u);
  ASSERT_EQ(set.problems.size(), 1u);
  EXPECT_NE(set.problems[0].reason.find("already provided"), std::string::npos);
}

TEST(PluginLoading, MissingPathIsAProblem) {
  ch::DriverOptions o;
  o.builtins = false;
  o.plugin_paths = {"/no/such/dir"};
  const auto set = ch::load_drivers(o);
  ASSERT_EQ(set.problems.size(), 1u);
  EXPECT_EQ(set.problems[0].reason, "driver path does not exist");
}

// Paths named on the command line (required_paths) must be usable: running
// without the driver the user asked for would silently measure other devices.
TEST(RequiredPluginPath, MissingPathThrowsNamingIt) {
  ch::DriverOptions o;
  o.builtins = false;
  o.plugin_paths = o.required_paths = {"/no/such/plugin.so"};
  try {
    ch::load_drivers(o);
    FAIL() << "no DriverPathError";
  } catch (const ch::DriverPathError& e) {
    EXPECT_EQ(e.path(), "/no/such/plugin.so");
    EXPECT_NE(e.reason().find("does not exist"), std::string::npos) << e.reason();
    EXPECT_NE(e.reason().find("expected a driver plugin .so file or a directory"),
              std::string::npos)
        << e.reason();
  }
}

TEST(RequiredPluginPath, NeitherFileNorDirectoryThrows) {
  ch::DriverOptions o;
  o.builtins = false;
  o.plugin_paths = o.required_paths = {"/dev/null"};
  try {
    ch::load_drivers(o);
    FAIL() << "no DriverPathError";
  } catch (const ch::DriverPathError& e) {
    EXPECT_EQ(e.path(), "/dev/null");
    EXPECT_NE(e.reason().find("neither a regular file nor a directory"), std::string::npos)
        << e.reason();
  }
}

struct RequiredFileCase {
  const char* file;  ///< under CHIPCERT_TEST_PLUGIN_DIR
  const char* reason;
};

class RequiredPluginFile : public ::testing::TestWithParam<RequiredFileCase> {};

TEST_P(RequiredPluginFile, UnusableNamedFileThrowsWithItsReason) {
  const std::string file = std::string(CHIPCERT_TEST_PLUGIN_DIR) + "/" + GetParam().file;
  ch::DriverOptions o;
  o.builtins = false;
  o.plugin_paths = o.required_paths = {file};
  try {
    ch::load_drivers(o);
    FAIL() << "no DriverPathError";
  } catch (const ch::DriverPathError& e) {
    EXPECT_EQ(e.path(), file);
    EXPECT_NE(e.reason().find(GetParam().reason), std::string::npos) << e.reason();
  }
}

INSTANTIATE_TEST_SUITE_P(Named, RequiredPluginFile,
                         ::testing::Values(RequiredFileCase{"not_elf/chipcert_not_elf.so",
                                                            "not a loadable shared object"},
                                           RequiredFileCase{"no_entry/chipcert_no_entry.so",
                                                            "no chipcert_driver_entry symbol"},
                                           RequiredFileCase{"bad_abi/chipcert_bad_abi.so",
                                                            "ABI version 99"}),
                         [](const auto& info) {
                           const std::string f = info.param.file;
                           return f.substr(0, f.find('/'));
                         });

TEST(RequiredPluginPath, BrokenPluginInsideANamedDirectoryIsOnlyAProblem) {
  const std::string dir = std::string(CHIPCERT_TEST_PLUGIN_DIR) + "/not_elf";
  ch::DriverOptions o;
  o.builtins = false;
  o.plugin_paths = o.required_paths = {dir, CHIPCERT_PLUGIN_DIR};
  const auto set = ch::load_drivers(o);
  ASSERT_EQ(set.problems.size(), 1u);
  EXPECT_NE(set.problems[0].reason.find("not a loadable shared object"), std::string::npos);
  ASSERT_EQ(set.drivers.size(), 1u);
  EXPECT_EQ(set.drivers[0].name, "example");
}

TEST(RequiredPluginPath, EmptyDirectoryIsAProblemNotAnError) {
  const std::string dir = ::testing::TempDir() + "/chipcert-empty-plugins";
  std::filesystem::create_directories(dir);
  ch::DriverOptions o;
  o.builtins = false;
  o.plugin_paths = o.required_paths = {dir};
  const auto set = ch::load_drivers(o);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(set.problems.size(), 1u);
  EXPECT_EQ(set.problems[0].source, dir);
  EXPECT_EQ(set.problems[0].reason, "driver directory contains no *.so plugin");
  EXPECT_TRUE(set.drivers.empty());
}
