// Built instead of session_mpi.cpp when MPI is not: `run --fleet` then says
// which build option it needs (a usage error, exit 2).

#include "chipcert/fleet/session.hpp"

namespace chipcert::fleet {

std::unique_ptr<Session> start_session() {
  throw Unavailable(
      "--fleet needs MPI, and this chipcert was built without it: install Open MPI "
      "(ci/setup: libopenmpi-dev openmpi-bin) and configure with -DCHIPCERT_ENABLE_MPI=ON");
}

}  // namespace chipcert::fleet
