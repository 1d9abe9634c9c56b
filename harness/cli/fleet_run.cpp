// `chipcert run --fleet`: one rank of a fleet under mpirun or srun. Every
// rank runs its local devices with the ordinary runner into its own results
// document; then (optionally) all ranks measure collectives together; then
// each rank sends its document to rank 0, which merges them into one fleet
// document. Rank 0 rewrites that document atomically after each of its own
// cases and after each report, with the ranks not heard from listed as
// missing: when a rank dies, Open MPI tears the whole job down (SIGTERM,
// then SIGKILL moments later), so whatever is on disk at that moment must
// already be a valid document that names the missing rank and keeps the rest.

#include <sched.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <optional>

#include "chipcert/fleet/fleet.hpp"
#include "chipcert/fleet/session.hpp"
#include "chipcert/harness/files.hpp"
#include "chipcert/harness/provenance.hpp"
#include "chipcert/results/json.hpp"
#include "run.hpp"

namespace chipcert::cli {

namespace {

using fleet::NodeReport;

/// TEST HOOK (read only here, documented in README.md): with
/// CHIPCERT_FLEET_TEST_DIE_RANK=r, rank r kills itself with SIGKILL instead
/// of reporting, once rank 0 holds every other rank's report, so tests can
/// check what a fleet document says about a rank that died mid-run.
int test_die_rank() {
  const char* v = std::getenv("CHIPCERT_FLEET_TEST_DIE_RANK");
  if (!v || !*v) return -1;
  char* end = nullptr;
  const long r = std::strtol(v, &end, 10);
  if (*end != '\0' || r < 1)
    throw UsageError(std::string("CHIPCERT_FLEET_TEST_DIE_RANK=\"") + v +
                     "\": expected a rank number >= 1");
  return static_cast<int>(r);
}

std::string rank_path(const std::string& path, int rank) {
  return path.empty() ? path : path + ".rank" + std::to_string(rank);
}

const char* kNotHeard =
    "no results received from this rank (still running, or it died or the job was killed before "
    "it reported)";

bool all_good(const results::Document& doc) {
  for (const auto& n : doc.fleet->at("nodes"))
    if (n.at("status") != "ok") return false;
  for (const auto& c : doc.cases)
    if (c.status != results::Status::Passed && c.status != results::Status::Unsupported &&
        c.status != results::Status::Skipped)
      return false;
  for (const auto& c : doc.fleet->at("collectives"))
    if (!c.at("verified").get<bool>()) return false;
  return true;
}

}  // namespace

int run_fleet(const GlobalOptions& g, const RunArgs& a) {
  // Before MPI_Init: Open MPI's own threads must inherit the blocked mask,
  // so a SIGTERM from mpirun reaches the watcher and not a default handler.
  SignalWatcher watcher;
  // The CPU driver pins the calling thread when it runs in-process
  // (--isolation none); every rank on a node would then do its collectives
  // from the same core, each operation waiting a scheduler tick (measured:
  // 8 ms instead of 1 us for an 8-byte allreduce). Restored before them.
  cpu_set_t affinity;
  CPU_ZERO(&affinity);
  const bool have_affinity = sched_getaffinity(0, sizeof(affinity), &affinity) == 0;
  const int die_rank = test_die_rank();
  std::unique_ptr<fleet::Session> session;
  try {
    session = fleet::start_session();
  } catch (const fleet::Unavailable& e) {
    throw UsageError(e.what());
  }
  const int rank = session->rank();
  const int ranks = session->size();
  const harness::StopFlag& stop = watcher.stop();
  const fleet::FleetSettings settings{a.fleet_placement, a.straggler_margin};

  // Each rank's own documents sit beside the fleet document (on its node).
  RunArgs local = a;
  local.output = rank_path(a.output, rank);
  if (!local.output.empty()) local.output += ".json";
  local.journal = rank_path(a.journal, rank);
  local.gbench_json = rank_path(a.gbench_json, rank);

  std::vector<NodeReport> nodes(static_cast<size_t>(ranks));
  for (auto& n : nodes) n.reason = kNotHeard;
  std::vector<fleet::CollectiveResult> collectives;
  std::string fleet_path = a.output;
  // Merges what is known and rewrites the fleet document. Before the end,
  // nothing is written (nullopt) while no rank has a document yet; at the
  // end merge_fleet throws for a fleet where none has.
  auto write_fleet = [&](bool finished) -> std::optional<results::Document> {
    bool any = false;
    for (const auto& n : nodes) any = any || n.document.has_value();
    if (!any && !finished) return std::nullopt;
    results::Document doc =
        fleet::merge_fleet(nodes, settings, collectives, finished, harness::utc_now_rfc3339());
    if (fleet_path.empty()) fleet_path = default_output(doc, "fleet-");
    harness::write_file_atomic(fleet_path, results::dump_document(doc));
    return doc;
  };

  LocalRunHooks hooks;
  results::Document mine;
  std::string failure;
  hooks.final_doc = &mine;
  hooks.failure = &failure;
  if (settings.placement == "device")
    hooks.narrow = [lr = static_cast<size_t>(session->local_rank())](auto selected) {
      decltype(selected) one;
      if (lr < selected.size()) one.push_back(selected[lr]);
      return one;
    };
  if (rank == 0)
    hooks.on_progress = [&](const results::Document& d) {
      nodes[0] = {NodeReport::State::Partial,
                  "running: " + std::to_string(d.cases.size()) + " cases measured so far",
                  session->hostname(), d};
      write_fleet(false);
    };
  int local_rc = harness::kExitOk;
  try {
    local_rc = run_local(g, local, watcher, hooks);
  } catch (const UsageError& e) {
    // Reported as this node's failure: the other ranks still expect us.
    failure = e.what();
    local_rc = harness::kExitUsage;
  } catch (const std::exception& e) {
    failure = e.what();
    local_rc = harness::kExitEnvironment;
  }

  NodeReport me;
  me.hostname = session->hostname();
  if (!mine.run_id.empty()) {
    me.document = mine;
    me.state = stop.load() ? NodeReport::State::Partial : NodeReport::State::Ok;
    if (stop.load())
      me.reason =
          "stopped early (SIGINT/SIGTERM) after " + std::to_string(mine.cases.size()) + " cases";
  } else {
    me.state = NodeReport::State::Failed;
    me.reason = failure.empty() ? "the local run failed with exit code " + std::to_string(local_rc)
                                : failure;
  }
  if (rank == 0) {
    nodes[0] = me;
    write_fleet(false);
  }
  if (stop.load()) return harness::kExitInterrupted;

  if (a.collectives) {
    if (have_affinity) (void)sched_setaffinity(0, sizeof(affinity), &affinity);
    if (!session->barrier(stop)) return harness::kExitInterrupted;
    collectives = session->run_collectives(a.collective_max_bytes, a.collective_repetitions);
  }

  if (rank != 0) {
    if (rank == die_rank) {
      session->wait_go(stop);
      raise(SIGKILL);  // the test hook: die mid-run without reporting
    }
    session->send_report(me);
    session->finalize();
    // Exit 0 once reported: mpirun aborts the whole job when any rank exits
    // non-zero, which would kill rank 0 before it writes the fleet
    // document. This rank's outcome travels in its report; rank 0's exit
    // code speaks for the fleet.
    return harness::kExitOk;
  }

  write_fleet(false);
  std::vector<bool> heard(static_cast<size_t>(ranks), false);
  heard[0] = true;
  for (int pending = ranks - 1; pending > 0; --pending) {
    if (pending == 1 && die_rank > 0 && die_rank < ranks && !heard[static_cast<size_t>(die_rank)])
      session->send_go(die_rank);
    auto r = session->next_report(stop);
    if (!r) {
      for (int k = 0; k < ranks; ++k)
        if (!heard[static_cast<size_t>(k)])
          nodes[static_cast<size_t>(k)].reason =
              "no results: the job was terminated before this rank reported (it died or was "
              "killed)";
      write_fleet(false);
      std::cerr << "chipcert: fleet run terminated; partial fleet results: " << fleet_path << "\n";
      return harness::kExitInterrupted;
    }
    heard[static_cast<size_t>(r->rank)] = true;
    nodes[static_cast<size_t>(r->rank)] = std::move(r->node);
    write_fleet(false);
  }
  session->finalize();
  const results::Document doc = *write_fleet(true);

  const auto& f = *doc.fleet;
  std::cout << "fleet: " << ranks << " ranks, " << doc.devices.size() << " devices, "
            << doc.cases.size() << " cases\n";
  for (const auto& n : f.at("nodes")) {
    std::cout << "  rank " << n.at("rank") << " " << n.at("hostname").get<std::string>() << ": "
              << n.at("status").get<std::string>();
    if (!n.at("reason").get<std::string>().empty())
      std::cout << " (" << n.at("reason").get<std::string>() << ")";
    std::cout << "\n";
  }
  for (const auto& s : f.at("stragglers"))
    std::cout << "  straggler: rank " << s.at("rank") << " " << s.at("case").get<std::string>()
              << " " << s.at("value").get<double>() << " s vs fleet median "
              << s.at("fleet_median").get<double>() << " s\n";
  std::cout << "fleet results: " << fleet_path << "\n";
  return all_good(doc) ? harness::kExitOk : harness::kExitVerdict;
}

}  // namespace chipcert::cli
