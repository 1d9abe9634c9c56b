// The journal: what survives a killed run, and what resume reads back.

#include "chipcert/harness/journal.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "chipcert/harness/files.hpp"
#include "chipcert/results/json.hpp"

namespace ch = chipcert::harness;
namespace cr = chipcert::results;
namespace fs = std::filesystem;

namespace {

ch::JournalHeader header() {
  ch::JournalHeader h;
  h.document.run_id = "abc";
  h.document.started_at = "2026-11-28T00:00:00Z";
  h.document.suite = {"smoke", "1.0"};
  h.document.seed = 9;
  cr::Device d;
  d.id = "cpu:0";
  d.driver = "cpu";
  d.kind = "cpu";
  d.name = "test cpu";
  h.document.devices.push_back(d);
  h.suite_text = R"({"name": "smoke"})";
  h.suite_source = "suite smoke";
  h.settings = {{"isolation", "case"}};
  return h;
}

cr::Case row(const std::string& id) {
  cr::Case c;
  c.id = id;
  c.device = "cpu:0";
  c.workload = "gemm";
  c.category = "kernel";
  c.dtype = "fp32";
  c.status = cr::Status::Passed;
  c.timer = "host";
  c.samples = {0.5, 0.25};
  c.iterations = 3;
  return c;
}

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("chipcert-journal-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    path_ = (dir_ / "run.journal").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string path_;
};

}  // namespace

TEST_F(JournalTest, RoundTripsHeaderAndCases) {
  {
    auto j = ch::Journal::create(path_, header());
    j.append(row("a@cpu:0"));
    j.append(row("b@cpu:0"));
  }
  const auto c = ch::Journal::read(path_);
  EXPECT_EQ(c.header.document.run_id, "abc");
  EXPECT_EQ(c.header.document.seed, 9u);
  EXPECT_EQ(c.header.suite_text, R"({"name": "smoke"})");
  EXPECT_EQ(c.header.settings.at("isolation"), "case");
  ASSERT_EQ(c.cases.size(), 2u);
  EXPECT_EQ(c.cases[1].id, "b@cpu:0");
  EXPECT_EQ(c.cases[1].samples, (std::vector<double>{0.5, 0.25}));
  EXPECT_FALSE(c.torn_tail);
}

TEST_F(JournalTest, TornLastLineIsDroppedAndCutOffBeforeAppending) {
  {
    auto j = ch::Journal::create(path_, header());
    j.append(row("a@cpu:0"));
  }
  {
    std::ofstream f(path_, std::ios::app);
    f << R"({"type": "case", "case": {"id": "half)";  // killed mid-write
  }
  auto c = ch::Journal::read(path_);
  EXPECT_TRUE(c.torn_tail);
  ASSERT_EQ(c.cases.size(), 1u);
  {
    auto j = ch::Journal::append_to(path_);
    j.append(row("b@cpu:0"));
  }
  // The fragment is gone, so a second interruption and resume still reads
  // the journal: both finished cases, nothing torn, nothing malformed.
  auto again = ch::Journal::read(path_);
  EXPECT_FALSE(again.torn_tail);
  ASSERT_EQ(again.cases.size(), 2u);
  EXPECT_EQ(again.cases[0].id, "a@cpu:0");
  EXPECT_EQ(again.cases[1].id, "b@cpu:0");
  std::ifstream in(path_);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("half"), std::string::npos);
}

TEST_F(JournalTest, RejectsNonJournalsAndEmptyFiles) {
  ch::write_file_atomic(path_, "");
  EXPECT_THROW(ch::Journal::read(path_), cr::ParseError);
  ch::write_file_atomic(path_, "{\"type\": \"other\"}\n");
  EXPECT_THROW(ch::Journal::read(path_), cr::ParseError);
  EXPECT_THROW(ch::Journal::read((dir_ / "missing").string()), ch::ReadError);
}
