// The fleet's MPI-free parts: bus factors, crafted collective inputs whose
// exact result is known (checked against an in-process simulation of each
// collective, and shown to catch a corrupted buffer), the fleet merge and
// straggler detection.

#include <gtest/gtest.h>

#include "chipcert/fleet/fleet.hpp"
#include "chipcert/results/json.hpp"

namespace fl = chipcert::fleet;
namespace rs = chipcert::results;

namespace {

/// What each collective leaves on every rank, computed naively from every
/// rank's crafted input (what MPI must reproduce).
std::vector<std::vector<double>> simulate(fl::Collective op, const fl::CollectiveShape& s, int n) {
  std::vector<std::vector<double>> in;
  for (int r = 0; r < n; ++r) in.push_back(fl::crafted_input(op, s, r, n));
  std::vector<std::vector<double>> out(static_cast<size_t>(n), std::vector<double>(s.recv, 0));
  const size_t un = static_cast<size_t>(n);
  for (size_t r = 0; r < un; ++r)
    for (size_t i = 0; i < s.recv; ++i) {
      switch (op) {
        case fl::Collective::Allreduce:
          for (size_t k = 0; k < un; ++k) out[r][i] += in[k][i];
          break;
        case fl::Collective::ReduceScatter:
          for (size_t k = 0; k < un; ++k) out[r][i] += in[k][r * s.recv + i];
          break;
        case fl::Collective::Allgather:
          out[r][i] = in[i / s.send][i % s.send];
          break;
        case fl::Collective::Broadcast:
          out[r][i] = in[0][i];
          break;
        case fl::Collective::Alltoall: {
          const size_t block = s.recv / un;
          out[r][i] = in[i / block][r * block + i % block];
          break;
        }
      }
    }
  return out;
}

rs::Case passed_case(const std::string& workload, const std::string& device, double median) {
  rs::Case c;
  c.id = workload + "/s/fp32@" + device;
  c.device = device;
  c.workload = workload;
  c.category = "micro";
  c.dtype = "fp32";
  c.status = rs::Status::Passed;
  c.timer = "host";
  c.samples = {median, median};
  c.iterations = 1;
  c.statistics = rs::Statistics{2, median, median, median, median, 0, 0, median, median};
  return c;
}

fl::NodeReport node(const std::string& host, double median) {
  rs::Document d;
  d.run_id = "run-" + host;
  d.started_at = "2026-01-01T00:00:00Z";
  d.suite = {"smoke", "1.0"};
  d.host.hostname = host;
  rs::Device dev;
  dev.id = "cpu:0";
  dev.driver = "cpu";
  dev.kind = "cpu";
  dev.name = "a cpu";
  d.devices.push_back(dev);
  d.cases.push_back(passed_case("gemm", "cpu:0", median));
  return {fl::NodeReport::State::Ok, "", host, d};
}

}  // namespace

TEST(BusFactor, MatchesTheFormulasForTwoAndThreeRanks) {
  EXPECT_DOUBLE_EQ(fl::bus_factor(fl::Collective::Allreduce, 2), 1.0);
  EXPECT_DOUBLE_EQ(fl::bus_factor(fl::Collective::Allreduce, 3), 4.0 / 3.0);
  for (auto op :
       {fl::Collective::Allgather, fl::Collective::ReduceScatter, fl::Collective::Alltoall}) {
    EXPECT_DOUBLE_EQ(fl::bus_factor(op, 2), 0.5) << fl::to_string(op);
    EXPECT_DOUBLE_EQ(fl::bus_factor(op, 3), 2.0 / 3.0) << fl::to_string(op);
  }
  EXPECT_DOUBLE_EQ(fl::bus_factor(fl::Collective::Broadcast, 2), 1.0);
  EXPECT_DOUBLE_EQ(fl::bus_factor(fl::Collective::Broadcast, 3), 1.0);
  EXPECT_DOUBLE_EQ(fl::bus_factor(fl::Collective::Allreduce, 1), 0.0);
  EXPECT_THROW(fl::bus_factor(fl::Collective::Allreduce, 0), std::invalid_argument);
}

TEST(Collectives, MessageSizesDoubleFromEightBytes) {
  EXPECT_EQ(fl::message_sizes(64), (std::vector<uint64_t>{8, 16, 32, 64}));
  EXPECT_EQ(fl::message_sizes(100), (std::vector<uint64_t>{8, 16, 32, 64}));
  EXPECT_TRUE(fl::message_sizes(7).empty());
}

TEST(Collectives, ExpectedOutputIsWhatEveryCollectiveComputes) {
  for (int n : {1, 2, 3, 5})
    for (auto op : fl::kCollectives)
      for (uint64_t bytes : {8u, 24u, 4096u}) {
        const auto s = fl::collective_shape(op, bytes, n);
        const auto out = simulate(op, s, n);
        for (int r = 0; r < n; ++r)
          EXPECT_EQ(fl::wrong_elements(op, s, r, n, out[static_cast<size_t>(r)]), 0u)
              << fl::to_string(op) << " n=" << n << " bytes=" << bytes << " rank " << r;
      }
}

TEST(Collectives, VerificationCatchesACorruptedBuffer) {
  for (auto op : fl::kCollectives) {
    const auto s = fl::collective_shape(op, 1024, 3);
    auto out = simulate(op, s, 3);
    out[1][s.recv / 2] += 1;  // one element off by one: exact comparison must see it
    EXPECT_EQ(fl::wrong_elements(op, s, 1, 3, out[1]), 1u) << fl::to_string(op);
    out[2].pop_back();  // a short buffer is all wrong
    EXPECT_EQ(fl::wrong_elements(op, s, 2, 3, out[2]), s.recv) << fl::to_string(op);
  }
}

TEST(Collectives, ResultJsonCarriesTheBusFactor) {
  fl::CollectiveResult r{fl::Collective::Allreduce, 1024, 3, 5, 0.001, 0};
  const auto j = fl::to_json(r);
  EXPECT_EQ(j.at("op"), "allreduce");
  EXPECT_DOUBLE_EQ(j.at("bus_factor").get<double>(), 4.0 / 3.0);
  EXPECT_DOUBLE_EQ(j.at("algbw_bytes_per_s").get<double>(), 1024 / 0.001);
  EXPECT_DOUBLE_EQ(j.at("busbw_bytes_per_s").get<double>(), 1024 / 0.001 * 4.0 / 3.0);
  EXPECT_TRUE(j.at("verified").get<bool>());
  r.wrong = 2;
  EXPECT_FALSE(fl::to_json(r).at("verified").get<bool>());
}

TEST(Merge, MissingRankIsRecordedAndOthersKept) {
  std::vector<fl::NodeReport> nodes{node("a", 1.0), fl::NodeReport{}, node("c", 1.1)};
  nodes[1].reason = "no results received";
  const rs::Document doc = fl::merge_fleet(nodes, {}, {}, false, "");
  // It must survive the strict writer and reader (unique ids, known devices).
  const rs::Document back =
      rs::document_from_json(nlohmann::json::parse(rs::dump_document(doc)), "merged");
  EXPECT_EQ(back, doc);
  ASSERT_EQ(doc.devices.size(), 2u);
  EXPECT_EQ(doc.devices[0].id, "r0/cpu:0");
  EXPECT_EQ(doc.devices[1].id, "r2/cpu:0");
  EXPECT_EQ(doc.devices[1].fleet_rank, 2);
  ASSERT_EQ(doc.cases.size(), 2u);
  EXPECT_EQ(doc.cases[1].id, "gemm/s/fp32@r2/cpu:0");
  EXPECT_EQ(doc.finished_at, "");
  const auto& f = *doc.fleet;
  EXPECT_EQ(f.at("nodes")[1].at("status"), "missing");
  EXPECT_EQ(f.at("nodes")[1].at("reason"), "no results received");
  EXPECT_EQ(f.at("nodes")[2].at("status"), "ok");
  EXPECT_EQ(f.at("totals").at("nodes_missing"), 1);
  EXPECT_EQ(f.at("totals").at("cases_passed"), 2);
}

TEST(Merge, NoDocumentAtAllIsAnError) {
  std::vector<fl::NodeReport> nodes(2);
  EXPECT_THROW(fl::merge_fleet(nodes, {}, {}, true, "t"), std::invalid_argument);
}

TEST(Stragglers, OnlyTheNodeOutsideTheMarginIsFlagged) {
  std::vector<fl::NodeReport> nodes{node("a", 1.0), node("b", 1.1), node("c", 2.0)};
  const auto s = fl::find_stragglers(nodes, 0.2);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].rank, 2);
  EXPECT_EQ(s[0].hostname, "c");
  EXPECT_EQ(s[0].case_key, "gemm/s/fp32@cpu:0");
  EXPECT_DOUBLE_EQ(s[0].fleet_median, 1.1);
  EXPECT_NEAR(s[0].relative_deviation, 2.0 / 1.1 - 1, 1e-12);
  EXPECT_TRUE(fl::find_stragglers(nodes, 1.0).empty());  // a wider margin tolerates it
  // A failed case is never a figure.
  nodes[2].document->cases[0].status = rs::Status::Failed;
  EXPECT_TRUE(fl::find_stragglers(nodes, 0.2).empty());
  // One node alone has nothing to be compared with.
  EXPECT_TRUE(fl::find_stragglers(std::span(nodes).first(1), 0.0).empty());
}

TEST(Stragglers, AppearInTheMergedFleetSection) {
  std::vector<fl::NodeReport> nodes{node("a", 1.0), node("b", 1.0), node("c", 3.0)};
  const rs::Document doc = fl::merge_fleet(nodes, {"node", 0.5}, {}, true, "t");
  const auto& st = doc.fleet->at("stragglers");
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].at("rank"), 2);
  EXPECT_EQ(doc.fleet->at("straggler_margin"), 0.5);
  EXPECT_EQ(doc.fleet->at("totals").at("stragglers"), 1);
}
