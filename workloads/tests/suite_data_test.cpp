// The data files: the DeepBench shape tables (source cited, shapes derived
// from the verbatim tuples correctly), and the quick / full suites (every
// case valid, quick covers every workload, full holds every table entry).

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "chipcert/workloads/dtype.hpp"
#include "chipcert/workloads/workload.hpp"

namespace cw = chipcert::workloads;
using nlohmann::json;

namespace {

json load(const std::string& relative) {
  const std::string path = std::string(CHIPCERT_WORKLOADS_DIR) + "/" + relative;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return json::parse(s.str());
}

/// DeepBench GEMM (m, n, k, a_t, b_t), column-major, as a row-major problem.
json gemm_from_deepbench(const json& t) {
  json s{{"m", t[1]}, {"n", t[0]}, {"k", t[2]}};
  if (t[4].get<bool>()) s["trans_a"] = true;
  if (t[3].get<bool>()) s["trans_b"] = true;
  return s;
}

/// DeepBench conv (w, h, c, n, k, s, r, pad_w, pad_h, wstride, hstride).
json conv_from_deepbench(const json& t) {
  json s{{"n", t[3]}, {"c", t[2]}, {"h", t[1]}, {"w", t[0]}, {"k", t[4]}, {"r", t[6]}, {"s", t[5]}};
  const int64_t pw = t[7], ph = t[8], sw = t[9], sh = t[10];
  if (pw == ph) {
    if (pw != 0) s["pad"] = pw;
  } else {
    s["pad_h"] = ph, s["pad_w"] = pw;
  }
  if (sw == sh) {
    if (sw != 1) s["stride"] = sw;
  } else {
    s["stride_h"] = sh, s["stride_w"] = sw;
  }
  return s;
}

/// (workload, dtype, label) of every case of a suite; fails on invalid ones.
std::set<std::string> expand(const json& suite) {
  std::set<std::string> keys;
  for (const auto& g : suite.at("cases")) {
    const std::string name = g.at("workload");
    const cw::Workload* w = cw::find_workload(name);
    EXPECT_NE(w, nullptr) << name;
    if (!w) continue;
    for (const auto& d : g.at("dtypes"))
      for (const auto& shape : g.at("shapes")) {
        const cc_dtype dt = *cw::dtype_from_name(d.get<std::string>());
        EXPECT_NO_THROW(w->instantiate(cw::CaseSpec{name, dt, shape}))
            << name << " " << shape.dump();
        EXPECT_TRUE(keys.insert(name + "/" + w->label(shape) + "/" + d.get<std::string>()).second)
            << "duplicate " << name << " " << shape.dump();
      }
  }
  return keys;
}

}  // namespace

TEST(SuiteData, DeepBenchTablesCiteTheirSourceAndMapEveryTuple) {
  struct Table {
    const char* file;
    const char* workload;
    const char* header;
    json (*map)(const json&);
    std::vector<size_t> sizes;  // training, inference_server, inference_device
  };
  for (const Table& t : {Table{"gemm/deepbench.json",
                               "gemm",
                               "code/kernels/gemm_problems.h",
                               gemm_from_deepbench,
                               {160, 75, 13}},
                         Table{"conv2d/deepbench.json",
                               "conv2d",
                               "code/kernels/conv_problems.h",
                               conv_from_deepbench,
                               {94, 107, 16}}}) {
    const json doc = load(t.file);
    EXPECT_EQ(doc.at("source").at("repository"), "baidu-research/DeepBench");
    EXPECT_EQ(doc.at("source").at("path"), t.header);
    EXPECT_EQ(doc.at("source").at("commit").get<std::string>().size(), 40u);
    const cw::Workload* w = cw::find_workload(t.workload);
    size_t i = 0;
    for (const char* set : {"training", "inference_server", "inference_device"}) {
      const json& s = doc.at("sets").at(set);
      ASSERT_EQ(s.at("original").size(), t.sizes[i]) << t.file << " " << set;
      ASSERT_EQ(s.at("shapes").size(), s.at("original").size()) << t.file << " " << set;
      for (size_t k = 0; k < s.at("shapes").size(); ++k) {
        EXPECT_EQ(s.at("shapes")[k], t.map(s.at("original")[k]))
            << t.file << " " << set << " " << k;
        EXPECT_NO_THROW(w->instantiate(cw::CaseSpec{t.workload, CC_DTYPE_F32, s.at("shapes")[k]}));
      }
      ++i;
    }
  }
}

TEST(SuiteData, QuickIsValidAndCoversEveryWorkload) {
  const json quick = load("suites/quick.json");
  EXPECT_EQ(quick.at("name"), "quick");
  const auto keys = expand(quick);
  std::set<std::string> workloads;
  for (const auto& k : keys) workloads.insert(k.substr(0, k.find('/')));
  for (const auto* w : cw::all_workloads())
    EXPECT_TRUE(workloads.count(std::string(w->name()))) << "quick lacks " << w->name();
  // The description states the case count; keep it true.
  EXPECT_NE(quick.at("description").get<std::string>().find(std::to_string(keys.size()) + " cases"),
            std::string::npos)
      << keys.size();
}

TEST(SuiteData, FullHoldsEveryDeepBenchShape) {
  const json full = load("suites/full.json");
  const auto keys = expand(full);
  EXPECT_NE(full.at("description").get<std::string>().find(std::to_string(keys.size()) + " cases"),
            std::string::npos);
  const cw::Workload* gemm = cw::find_workload("gemm");
  const cw::Workload* conv = cw::find_workload("conv2d");
  const json g = load("gemm/deepbench.json"), c = load("conv2d/deepbench.json");
  for (const char* set : {"training", "inference_server", "inference_device"}) {
    for (const auto& s : g.at("sets").at(set).at("shapes"))
      EXPECT_TRUE(keys.count("gemm/" + gemm->label(s) + "/fp32")) << set << " " << s.dump();
    for (const auto& s : c.at("sets").at(set).at("shapes"))
      EXPECT_TRUE(keys.count("conv2d/" + conv->label(s) + "/fp32")) << set << " " << s.dump();
  }
  // Every dtype's 8192^3 GEMM and the long attention sequences are there.
  for (const char* d : {"fp64", "fp32", "tf32", "fp16", "bf16", "int8"})
    EXPECT_TRUE(keys.count(std::string("gemm/m8192_n8192_k8192/") + d)) << d;
  EXPECT_TRUE(keys.count("attention/b2_h16_s8192_d128_causal/bf16"));
  EXPECT_TRUE(keys.count("stream_triad/n134217728/fp32"));
}
