#pragma once
/// Discovery: the host's topology through hwloc, and every device of every
/// loaded driver, placed on that topology (PCI bus id -> NUMA node).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "chipcert/harness/drivers.hpp"
#include "chipcert/results/model.hpp"

namespace chipcert::harness {

/// hwloc's view of the machine, loaded once (with I/O devices for PCI matching).
class Topology {
 public:
  Topology();  ///< throws std::runtime_error if hwloc cannot load the topology
  ~Topology();
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  results::Host host() const;
  /// NUMA node (logical index) closest to the PCI device, -1 when unknown.
  int numa_node_of_pci(const std::string& bus_id) const;
  /// The single NUMA node of the machine, or -1 when there are several.
  int only_numa_node() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A device ready to be opened: its record plus how to reach it.
struct DeviceEntry {
  results::Device info;
  const LoadedDriver* driver = nullptr;
  uint32_t index = 0;
};

struct Discovery {
  results::Host host;
  std::vector<DeviceEntry> devices;
  std::vector<results::DriverProblem> problems;
};

/// Enumerate every driver's devices. A driver whose enumerate fails, or a
/// device whose info is malformed (unterminated strings, empty name), is
/// recorded in problems and skipped.
Discovery discover(const DriverSet& drivers, const Topology& topo);

/// "cpu", "gpu", "accelerator", "other".
const char* device_kind_name(uint32_t kind);

/// Names of the dtypes set in a cc_device_info.dtypes mask.
std::vector<std::string> dtype_names(uint32_t mask);

}  // namespace chipcert::harness
