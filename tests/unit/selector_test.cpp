#include "chipcert/harness/selector.hpp"

#include <gtest/gtest.h>

namespace ch = chipcert::harness;

namespace {
std::vector<ch::DeviceEntry> devices() {
  std::vector<ch::DeviceEntry> d(3);
  d[0].info.id = "cpu:0";
  d[0].info.driver = "cpu";
  d[0].info.kind = "cpu";
  d[1].info.id = "opencl:0";
  d[1].info.driver = "opencl";
  d[1].info.kind = "cpu";
  d[2].info.id = "opencl:1";
  d[2].info.driver = "opencl";
  d[2].info.kind = "gpu";
  return d;
}
std::vector<std::string> ids(const std::vector<const ch::DeviceEntry*>& v) {
  std::vector<std::string> out;
  for (auto* e : v) out.push_back(e->info.id);
  return out;
}
}  // namespace

TEST(Selector, NoneMeansAll) {
  auto d = devices();
  EXPECT_EQ(ids(ch::select_devices(d, {})),
            (std::vector<std::string>{"cpu:0", "opencl:0", "opencl:1"}));
}

TEST(Selector, ByIdDriverKindAndAllKeepDiscoveryOrder) {
  auto d = devices();
  EXPECT_EQ(ids(ch::select_devices(d, {"opencl:1"})), std::vector<std::string>{"opencl:1"});
  EXPECT_EQ(ids(ch::select_devices(d, {"opencl"})),
            (std::vector<std::string>{"opencl:0", "opencl:1"}));
  EXPECT_EQ(ids(ch::select_devices(d, {"gpu"})), std::vector<std::string>{"opencl:1"});
  EXPECT_EQ(ids(ch::select_devices(d, {"opencl:1", "cpu:0"})),
            (std::vector<std::string>{"cpu:0", "opencl:1"}));
  EXPECT_EQ(ids(ch::select_devices(d, {"all"})).size(), 3u);
}

TEST(Selector, NoMatchNamesSelectorAndValidValues) {
  auto d = devices();
  try {
    ch::select_devices(d, {"cpu", "tpu:3"});
    FAIL();
  } catch (const std::invalid_argument& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("\"tpu:3\""), std::string::npos) << m;
    EXPECT_NE(m.find("opencl:1"), std::string::npos) << m;
    EXPECT_NE(m.find("kinds cpu, gpu"), std::string::npos) << m;
  }
}
