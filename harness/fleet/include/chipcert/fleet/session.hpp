#pragma once
/// The MPI side of a fleet run, behind an interface free of MPI types so the
/// command line compiles the same with and without MPI. In a build without
/// MPI (CHIPCERT_ENABLE_MPI=OFF or not found) start_session() throws
/// Unavailable, which `run --fleet` turns into a usage error.
///
/// Threading: every method is called from the thread that called
/// start_session() (MPI_THREAD_FUNNELED).

#include <atomic>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "chipcert/fleet/fleet.hpp"

namespace chipcert::fleet {

/// This chipcert was built without MPI; what() names the build option.
class Unavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A rank's report as it travels to rank 0.
struct Report {
  int rank = 0;
  NodeReport node;
};

class Session {
 public:
  virtual ~Session() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Rank among the ranks on this node (MPI_COMM_TYPE_SHARED): with one rank
  /// per device, it picks the local device.
  virtual int local_rank() const = 0;
  virtual std::string hostname() const = 0;

  /// Waits for every rank, sleeping between polls: a rank that finished its
  /// cases must not spin a core that another rank on the node is measuring.
  /// Returns false when `stop` was raised while waiting.
  virtual bool barrier(const std::atomic<bool>& stop) = 0;

  /// Every collective at every size (8 B doubling to max_bytes) with
  /// crafted inputs; each result verified on every rank. Collective over all
  /// ranks; every rank gets the same results.
  virtual std::vector<CollectiveResult> run_collectives(uint64_t max_bytes, int repetitions) = 0;

  /// Rank != 0: send this rank's report to rank 0 (blocks until it is taken).
  virtual void send_report(const NodeReport& report) = 0;
  /// Rank 0: the next report from any rank, polling with sleeps; nullopt
  /// when `stop` was raised first.
  virtual std::optional<Report> next_report(const std::atomic<bool>& stop) = 0;

  /// Test hook support: rank 0 tells `rank` to go ahead (see fleet_run.cpp).
  virtual void send_go(int rank) = 0;
  /// Waits for rank 0's go-ahead; false when `stop` was raised first.
  virtual bool wait_go(const std::atomic<bool>& stop) = 0;

  /// MPI_Finalize, after the last message. Call it on the way out of a
  /// completed run only: the destructor does not (see session_mpi.cpp).
  virtual void finalize() = 0;
};

/// MPI_Init_thread (FUNNELED) and the world communicator's rank and size.
/// Throws Unavailable in a build without MPI.
std::unique_ptr<Session> start_session();

}  // namespace chipcert::fleet
