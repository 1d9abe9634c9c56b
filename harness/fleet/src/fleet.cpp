// Fleet documents, stragglers and the collectives' arithmetic: no MPI here,
// so all of it is unit-tested in builds without MPI too.

#include "chipcert/fleet/fleet.hpp"

#include "chipcert/results/json.hpp"
#include "chipcert/results/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

namespace chipcert::fleet {

using nlohmann::json;

const char* to_string(NodeReport::State s) {
  switch (s) {
    case NodeReport::State::Ok:
      return "ok";
    case NodeReport::State::Partial:
      return "partial";
    case NodeReport::State::Missing:
      return "missing";
    case NodeReport::State::Failed:
      return "failed";
  }
  return "failed";
}

const char* to_string(Collective c) {
  switch (c) {
    case Collective::Allreduce:
      return "allreduce";
    case Collective::Allgather:
      return "allgather";
    case Collective::ReduceScatter:
      return "reduce_scatter";
    case Collective::Broadcast:
      return "broadcast";
    case Collective::Alltoall:
      return "alltoall";
  }
  return "?";
}

double bus_factor(Collective c, int ranks) {
  if (ranks < 1) throw std::invalid_argument("bus_factor: ranks must be >= 1");
  const double n = ranks;
  switch (c) {
    case Collective::Allreduce:
      return 2.0 * (n - 1) / n;
    case Collective::Allgather:
    case Collective::ReduceScatter:
    case Collective::Alltoall:
      return (n - 1) / n;
    case Collective::Broadcast:
      return 1.0;
  }
  return 1.0;
}

CollectiveShape collective_shape(Collective c, uint64_t bytes, int ranks) {
  const auto n = static_cast<uint64_t>(std::max(1, ranks));
  const uint64_t elements = std::max<uint64_t>(1, bytes / sizeof(double));
  // nccl-tests' convention: the size is the whole buffer; operations that
  // split it over ranks get whole blocks of at least one element each.
  const uint64_t block = std::max<uint64_t>(1, elements / n);
  switch (c) {
    case Collective::Allreduce:
    case Collective::Broadcast:
      return {elements, elements};
    case Collective::Allgather:
      return {block, block * n};
    case Collective::ReduceScatter:
      return {block * n, block};
    case Collective::Alltoall:
      return {block * n, block * n};
  }
  return {elements, elements};
}

namespace {

// Small integer patterns: every value and every sum over < 2^20 ranks stays
// far below 2^53, so floating-point sums are exact in any order.
double pattern(uint64_t i) {
  return static_cast<double>(i % 1024);
}

}  // namespace

std::vector<double> crafted_input(Collective c, const CollectiveShape& s, int rank, int ranks) {
  std::vector<double> in(s.send);
  const double r = rank;
  const auto n = static_cast<uint64_t>(ranks);
  for (uint64_t i = 0; i < s.send; ++i) {
    switch (c) {
      case Collective::Allreduce:
      case Collective::ReduceScatter:
        in[i] = (r + 1) + pattern(i);
        break;
      case Collective::Allgather:
        in[i] = r * 4096 + pattern(i);
        break;
      case Collective::Broadcast:
        in[i] = rank == 0 ? 1 + pattern(i) : -1;
        break;
      case Collective::Alltoall: {
        const uint64_t block = s.send / n;
        const uint64_t dest = i / block;
        in[i] = r * static_cast<double>(n) + static_cast<double>(dest) +
                static_cast<double>((i % block) % 16) * static_cast<double>(n * n);
        break;
      }
    }
  }
  return in;
}

std::vector<double> expected_output(Collective c, const CollectiveShape& s, int rank, int ranks) {
  std::vector<double> out(s.recv);
  const double n = ranks;
  const auto un = static_cast<uint64_t>(ranks);
  const double rank_sum = n * (n + 1) / 2;  // sum of (r + 1) over ranks
  for (uint64_t i = 0; i < s.recv; ++i) {
    switch (c) {
      case Collective::Allreduce:
        out[i] = rank_sum + n * pattern(i);
        break;
      case Collective::ReduceScatter:
        out[i] = rank_sum + n * pattern(static_cast<uint64_t>(rank) * s.recv + i);
        break;
      case Collective::Allgather: {
        const uint64_t block = s.recv / un;
        out[i] = static_cast<double>(i / block) * 4096 + pattern(i % block);
        break;
      }
      case Collective::Broadcast:
        out[i] = 1 + pattern(i);
        break;
      case Collective::Alltoall: {
        const uint64_t block = s.recv / un;
        const uint64_t src = i / block;
        out[i] =
            static_cast<double>(src) * n + rank + static_cast<double>((i % block) % 16) * n * n;
        break;
      }
    }
  }
  return out;
}

uint64_t wrong_elements(Collective c, const CollectiveShape& s, int rank, int ranks,
                        std::span<const double> actual) {
  const auto expected = expected_output(c, s, rank, ranks);
  if (actual.size() != expected.size()) return std::max<uint64_t>(expected.size(), actual.size());
  uint64_t wrong = 0;
  for (size_t i = 0; i < expected.size(); ++i)
    if (actual[i] != expected[i]) ++wrong;  // exact: the inputs make every result exact
  return wrong;
}

json to_json(const CollectiveResult& r) {
  const double algbw = r.latency_s > 0 ? static_cast<double>(r.bytes) / r.latency_s : 0.0;
  const double factor = bus_factor(r.op, r.ranks);
  return {{"op", to_string(r.op)},
          {"bytes", r.bytes},
          {"ranks", r.ranks},
          {"repetitions", r.repetitions},
          {"latency_s", r.latency_s},
          {"algbw_bytes_per_s", algbw},
          {"busbw_bytes_per_s", algbw * factor},
          {"bus_factor", factor},
          {"verified", r.wrong == 0},
          {"wrong_elements", r.wrong}};
}

std::vector<uint64_t> message_sizes(uint64_t max_bytes) {
  std::vector<uint64_t> sizes;
  for (uint64_t b = 8; b <= max_bytes; b *= 2) sizes.push_back(b);
  return sizes;
}

std::vector<Straggler> find_stragglers(std::span<const NodeReport> nodes, double margin) {
  struct Figure {
    int rank;
    double value;
  };
  std::map<std::string, std::vector<Figure>> by_case;
  for (size_t r = 0; r < nodes.size(); ++r) {
    if (!nodes[r].document) continue;
    for (const auto& c : nodes[r].document->cases) {
      // Only verified figures count, as everywhere in chipcert.
      if (c.status != results::Status::Passed || !c.statistics || c.statistics->median <= 0)
        continue;
      by_case[c.id].push_back({static_cast<int>(r), c.statistics->median});
    }
  }
  std::vector<Straggler> out;
  for (const auto& [key, figures] : by_case) {
    if (figures.size() < 2) continue;
    std::vector<double> values;
    for (const auto& f : figures) values.push_back(f.value);
    const double med = results::quantile(values, 0.5);
    for (const auto& f : figures) {
      const double dev = f.value / med - 1;
      if (std::abs(dev) > margin)
        out.push_back({f.rank, nodes[static_cast<size_t>(f.rank)].hostname, key, "median_s",
                       f.value, med, dev});
    }
  }
  return out;
}

std::string fleet_device_id(int rank, const std::string& local_id) {
  return "r" + std::to_string(rank) + "/" + local_id;
}

results::Document merge_fleet(std::span<const NodeReport> nodes, const FleetSettings& settings,
                              std::span<const CollectiveResult> collectives, bool finished,
                              const std::string& finished_at) {
  const NodeReport* base = nullptr;
  for (const auto& n : nodes)
    if (!base && n.document) base = &n;
  if (!base) throw std::invalid_argument("merge_fleet: no rank has a results document");

  results::Document doc = *base->document;
  doc.devices.clear();
  doc.cases.clear();
  doc.driver_problems.clear();
  doc.finished_at = finished ? finished_at : "";
  json jnodes = json::array();
  std::map<std::string, uint64_t> totals{
      {"nodes", nodes.size()}, {"nodes_ok", 0}, {"nodes_partial", 0}, {"nodes_missing", 0},
      {"nodes_failed", 0},     {"devices", 0},  {"cases", 0},         {"cases_passed", 0},
      {"cases_not_passed", 0}};
  for (size_t r = 0; r < nodes.size(); ++r) {
    const NodeReport& n = nodes[r];
    const int rank = static_cast<int>(r);
    ++totals[std::string("nodes_") + to_string(n.state)];
    json node = {{"rank", r},           {"hostname", n.hostname}, {"status", to_string(n.state)},
                 {"reason", n.reason},  {"run_id", ""},           {"devices", json::array()},
                 {"cases", uint64_t{0}}};
    if (n.document) {
      const auto& d = *n.document;
      node["run_id"] = d.run_id;
      node["host"] = results::to_json(d.host);
      for (auto dev : d.devices) {
        dev.id = fleet_device_id(rank, dev.id);
        dev.fleet_rank = rank;
        node["devices"].push_back(dev.id);
        doc.devices.push_back(std::move(dev));
      }
      for (auto c : d.cases) {
        const std::string local_device = c.device;
        c.device = fleet_device_id(rank, c.device);
        // The id ends "@<device>": keep the suite part, re-point the device.
        c.id = c.id.substr(0, c.id.size() - local_device.size()) + c.device;
        ++totals[c.status == results::Status::Passed ? "cases_passed" : "cases_not_passed"];
        doc.cases.push_back(std::move(c));
      }
      node["cases"] = d.cases.size();
      for (auto p : d.driver_problems) {
        p.source = "rank " + std::to_string(rank) + ": " + p.source;
        doc.driver_problems.push_back(std::move(p));
      }
    }
    jnodes.push_back(std::move(node));
  }
  totals["devices"] = doc.devices.size();
  totals["cases"] = doc.cases.size();
  json jcoll = json::array();
  uint64_t coll_failed = 0;
  for (const auto& c : collectives) {
    jcoll.push_back(to_json(c));
    if (c.wrong) ++coll_failed;
  }
  totals["collectives"] = collectives.size();
  totals["collectives_failed"] = coll_failed;
  json jstrag = json::array();
  for (const auto& s : find_stragglers(nodes, settings.straggler_margin))
    jstrag.push_back({{"rank", s.rank},
                      {"hostname", s.hostname},
                      {"case", s.case_key},
                      {"metric", s.metric},
                      {"value", s.value},
                      {"fleet_median", s.fleet_median},
                      {"relative_deviation", s.relative_deviation}});
  totals["stragglers"] = jstrag.size();
  doc.fleet = json{{"ranks", nodes.size()},
                   {"placement", settings.placement},
                   {"nodes", std::move(jnodes)},
                   {"totals", totals},
                   {"collectives", std::move(jcoll)},
                   {"stragglers", std::move(jstrag)},
                   {"straggler_margin", settings.straggler_margin}};
  return doc;
}

}  // namespace chipcert::fleet
