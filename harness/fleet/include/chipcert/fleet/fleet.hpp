#pragma once
/// Fleet runs: the parts that need no MPI, so they are unit-tested in every
/// build. Merging the per-rank results documents into one fleet document,
/// straggler detection, and the collectives' arithmetic (bus factors, crafted
/// inputs whose exact result is known, verification).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chipcert/results/model.hpp"

namespace chipcert::fleet {

/// What one rank told rank 0 (or what rank 0 knows it did not tell).
struct NodeReport {
  enum class State { Ok, Partial, Missing, Failed };
  State state = State::Missing;
  std::string reason;                         ///< empty for Ok
  std::string hostname;                       ///< empty when Missing
  std::optional<results::Document> document;  ///< the rank's own results
};

/// "ok", "partial", "missing", "failed".
const char* to_string(NodeReport::State s);

/// The collective operations and the bus factor nccl-tests uses to turn
/// algorithm bandwidth into bus bandwidth (comparable across rank counts).
enum class Collective { Allreduce, Allgather, ReduceScatter, Broadcast, Alltoall };
inline constexpr Collective kCollectives[] = {Collective::Allreduce, Collective::Allgather,
                                              Collective::ReduceScatter, Collective::Broadcast,
                                              Collective::Alltoall};
/// "allreduce", "allgather", "reduce_scatter", "broadcast", "alltoall".
const char* to_string(Collective c);
/// allreduce 2(n-1)/n; reduce_scatter, allgather, alltoall (n-1)/n; broadcast 1.
double bus_factor(Collective c, int ranks);

/// Element counts of one operation at `bytes` per rank buffer (doubles):
/// `send` elements each rank contributes, `recv` elements each rank gets.
/// `bytes` is rounded down to whole doubles per rank block; at least one.
struct CollectiveShape {
  uint64_t send = 0;
  uint64_t recv = 0;
};
CollectiveShape collective_shape(Collective c, uint64_t bytes, int ranks);

/// The input of `rank` (send buffer): integer-valued doubles small enough
/// (< 2^20 per element, fleets < 2^20 ranks) that every sum is exact, so the
/// expected output is known exactly on every rank.
std::vector<double> crafted_input(Collective c, const CollectiveShape& s, int rank, int ranks);
/// The exact output rank `rank` must hold after the operation (root 0 for broadcast).
std::vector<double> expected_output(Collective c, const CollectiveShape& s, int rank, int ranks);
/// Elements of `actual` that differ from `expected_output` (size mismatch counts all).
uint64_t wrong_elements(Collective c, const CollectiveShape& s, int rank, int ranks,
                        std::span<const double> actual);

/// One measured (operation, size) across the fleet.
struct CollectiveResult {
  Collective op = Collective::Allreduce;
  uint64_t bytes = 0;
  int ranks = 0;
  int repetitions = 0;
  double latency_s = 0;  ///< median over repetitions of the slowest rank
  uint64_t wrong = 0;    ///< summed over ranks
};
nlohmann::json to_json(const CollectiveResult& r);

/// Message sizes 8, 16, ... up to and including `max_bytes` (doubling).
std::vector<uint64_t> message_sizes(uint64_t max_bytes);

/// A node whose case is outside the fleet's median by more than the margin.
struct Straggler {
  int rank = 0;
  std::string hostname;
  std::string case_key;  ///< "<workload>/<label>/<dtype>@<local device id>"
  std::string metric;    ///< "median_s"
  double value = 0;
  double fleet_median = 0;
  double relative_deviation = 0;  ///< value / fleet_median - 1
};

/// Per case (same workload, shape, dtype and local device id on every node)
/// and metric (the median time of a passed case), every node whose figure
/// deviates from the fleet median by more than `margin` (relative). Cases
/// measured on fewer than two nodes are not compared.
std::vector<Straggler> find_stragglers(std::span<const NodeReport> nodes, double margin);

/// Settings recorded in the fleet section.
struct FleetSettings {
  std::string placement = "node";  ///< "node" or "device"
  double straggler_margin = 0.2;
};

/// One results document for the whole fleet: rank 0's run id, suite, seed,
/// host and provenance; every reported rank's devices and cases with ids
/// prefixed "r<rank>/" (so they are unique), `fleet_rank` on each device;
/// the "fleet" section with one node per rank, totals, collectives and
/// stragglers. `finished` sets finished_at; a fleet document with a node
/// that is not ok is still valid: it records what is missing.
results::Document merge_fleet(std::span<const NodeReport> nodes, const FleetSettings& settings,
                              std::span<const CollectiveResult> collectives, bool finished,
                              const std::string& finished_at);

/// The device id a rank's local device gets in the fleet document.
std::string fleet_device_id(int rank, const std::string& local_id);

}  // namespace chipcert::fleet
