// Round trips and golden files: the model writes exactly the committed
// examples, and reading them back gives the same model.
//
// To regenerate the examples after an intended model change:
//   CHIPCERT_UPDATE_GOLDEN=1 ./results_model_test --gtest_filter='Golden*'

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>

#include <gtest/gtest.h>

#include "chipcert/results/json.hpp"
#include "test_documents.hpp"

namespace chipcert::results {
namespace {

using testing::full_document;
using testing::minimal_document;

void check_golden(const Document& doc, const std::string& name) {
  const std::string text = dump_document(doc);
  if (std::getenv("CHIPCERT_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(testing::example_path(name), std::ios::binary) << text;
  }
  EXPECT_EQ(text, testing::read_example(name))
      << "the model no longer writes " << name
      << "; if intended, regenerate with CHIPCERT_UPDATE_GOLDEN=1 and update the schema";
}

TEST(Status, NamesRoundTrip) {
  for (Status s : {Status::Passed, Status::Failed, Status::Mistrusted, Status::Unsupported,
                   Status::Skipped, Status::Error, Status::TimedOut}) {
    EXPECT_EQ(status_from_string(to_string(s)), s) << to_string(s);
  }
  EXPECT_STREQ(to_string(Status::TimedOut), "timed_out");
  EXPECT_EQ(status_from_string("Passed"), std::nullopt);
  EXPECT_EQ(status_from_string(""), std::nullopt);
}

TEST(RoundTrip, FullDocumentIsByteStable) {
  const Document doc = full_document();
  const std::string first = dump_document(doc);
  const Document back = parse_document(first, "full");
  EXPECT_EQ(back, doc);
  EXPECT_EQ(dump_document(back), first);
}

TEST(RoundTrip, FullDocumentKeepsEdgeValues) {
  const Document back = parse_document(dump_document(full_document()), "full");
  EXPECT_EQ(back.seed, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(back.devices[1].compute_units, std::numeric_limits<uint32_t>::max());
  EXPECT_EQ(back.cases[0].samples[2], 1e-7);
  EXPECT_EQ(back.cases[0].status, Status::Passed);
  EXPECT_EQ(back.cases[1].status, Status::TimedOut);
  EXPECT_FALSE(back.cases[1].statistics.has_value());
  EXPECT_FALSE(back.cases[1].verification.has_value());
  EXPECT_FALSE(back.cases[1].rates.flop_per_s.has_value());
  // parameters keep their JSON types: 4096 stays an integer, 1.5 a float.
  EXPECT_TRUE(back.cases[0].parameters["m"].is_number_unsigned());
  EXPECT_TRUE(back.cases[0].parameters["alpha"].is_number_float());
}

TEST(RoundTrip, OptionalFieldsAreOmitted) {
  const nlohmann::json j = to_json(full_document());
  const auto& timed_out = j["cases"][1];
  EXPECT_FALSE(timed_out.contains("statistics"));
  EXPECT_FALSE(timed_out.contains("verification"));
  EXPECT_EQ(timed_out["rates"], nlohmann::json::object());
  Case c = full_document().cases[0];
  c.rates.bytes_per_s.reset();
  EXPECT_EQ(to_json(c)["rates"].size(), 2u);
  EXPECT_FALSE(to_json(c)["rates"].contains("bytes_per_s"));
}

TEST(RoundTrip, MinimalDocument) {
  const std::string text = dump_document(minimal_document());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(parse_document(text, "minimal"), minimal_document());
  EXPECT_EQ(dump_document(parse_document(text, "minimal")), text);
}

TEST(RoundTrip, PartsSerialiseLikeTheWhole) {
  const Document doc = full_document();
  const nlohmann::json whole = to_json(doc);
  EXPECT_EQ(to_json(doc.host), whole["host"]);
  EXPECT_EQ(to_json(doc.devices[0]), whole["devices"][0]);
  EXPECT_EQ(to_json(doc.cases[0]), whole["cases"][0]);
  EXPECT_EQ(case_from_json(whole["cases"][0], "x", "/cases/0"), doc.cases[0]);
}

TEST(Dump, TwoSpaceIndentAndTrailingNewline) {
  const std::string text = dump_document(minimal_document());
  EXPECT_EQ(text.substr(0, 14), "{\n  \"cases\": [");
  EXPECT_EQ(text.substr(text.size() - 2), "}\n");
}

TEST(Golden, FullExampleIsWhatTheModelWrites) {
  check_golden(full_document(), "full.json");
}
TEST(Golden, MinimalExampleIsWhatTheModelWrites) {
  check_golden(minimal_document(), "minimal.json");
}

TEST(Golden, ExamplesReadBack) {
  EXPECT_EQ(read_document(testing::example_path("full.json")), full_document());
  EXPECT_EQ(read_document(testing::example_path("minimal.json")), minimal_document());
}

}  // namespace
}  // namespace chipcert::results
