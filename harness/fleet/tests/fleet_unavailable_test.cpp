// A chipcert built without MPI must refuse --fleet with a message naming the
// build option (the CLI turns Unavailable into a usage error, exit 2).

#include <gtest/gtest.h>

#include "chipcert/fleet/session.hpp"

TEST(FleetUnavailable, NamesTheBuildOption) {
  try {
    (void)chipcert::fleet::start_session();
    FAIL() << "start_session() succeeded in the stub";
  } catch (const chipcert::fleet::Unavailable& e) {
    EXPECT_NE(std::string(e.what()).find("CHIPCERT_ENABLE_MPI=ON"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--fleet"), std::string::npos) << e.what();
  }
}
