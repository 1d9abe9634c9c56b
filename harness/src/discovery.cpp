#include "chipcert/harness/discovery.hpp"

#include <hwloc.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>
#include <tuple>

#include "chipcert/workloads/device.hpp"
#include "chipcert/workloads/dtype.hpp"

namespace chipcert::harness {

struct Topology::Impl {
  hwloc_topology_t topo = nullptr;
};

Topology::Topology() : impl_(std::make_unique<Impl>()) {
  if (hwloc_topology_init(&impl_->topo) != 0)
    throw std::runtime_error("hwloc_topology_init failed");
  // PCI devices are needed to place accelerators on NUMA nodes.
  hwloc_topology_set_io_types_filter(impl_->topo, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
  if (hwloc_topology_load(impl_->topo) != 0) {
    hwloc_topology_destroy(impl_->topo);
    impl_->topo = nullptr;
    throw std::runtime_error("hwloc_topology_load failed: cannot read the machine topology");
  }
}

Topology::~Topology() {
  if (impl_ && impl_->topo) hwloc_topology_destroy(impl_->topo);
}

namespace {

std::string info_of(hwloc_obj_t obj, const char* key) {
  while (obj) {
    if (const char* v = hwloc_obj_get_info_by_name(obj, key)) return v;
    obj = obj->parent;
  }
  return {};
}

std::string os_pretty_name() {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string v = line.substr(12);
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return "unknown";
}

const char* cache_type(hwloc_obj_cache_type_t t) {
  switch (t) {
    case HWLOC_OBJ_CACHE_DATA:
      return "data";
    case HWLOC_OBJ_CACHE_INSTRUCTION:
      return "instruction";
    default:
      return "unified";
  }
}

/// A fixed char array that the driver must have NUL-terminated.
template <size_t N>
bool terminated(const char (&s)[N]) {
  return std::memchr(s, '\0', N) != nullptr;
}

}  // namespace

results::Host Topology::host() const {
  hwloc_topology_t t = impl_->topo;
  results::Host h;
  hwloc_obj_t pkg = hwloc_get_obj_by_type(t, HWLOC_OBJ_PACKAGE, 0);
  hwloc_obj_t pu0 = hwloc_get_obj_by_type(t, HWLOC_OBJ_PU, 0);
  h.cpu_model = info_of(pkg ? pkg : pu0, "CPUModel");
  h.cpu_vendor = info_of(pkg ? pkg : pu0, "CPUVendor");
  h.packages = std::max(1, hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PACKAGE));
  h.cores = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE);
  h.pus = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU);
  h.numa_nodes = std::max(1, hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE));
  // The OS total, not hwloc's NUMA sum: some VMs report less in node meminfo than they have.
  h.memory_bytes =
      static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  std::map<std::tuple<int, std::string, uint64_t>, int> caches;
  for (hwloc_obj_type_t type : {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L3CACHE,
                                HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L1ICACHE, HWLOC_OBJ_L2ICACHE}) {
    const int n = hwloc_get_nbobjs_by_type(t, type);
    for (int i = 0; i < n; ++i) {
      hwloc_obj_t c = hwloc_get_obj_by_type(t, type, static_cast<unsigned>(i));
      ++caches[{static_cast<int>(c->attr->cache.depth), cache_type(c->attr->cache.type),
                c->attr->cache.size}];
    }
  }
  for (const auto& [key, count] : caches)
    h.caches.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), count});
  h.os = os_pretty_name();
  struct utsname u {};
  if (uname(&u) == 0) {
    h.kernel = std::string(u.sysname) + " " + u.release;
    h.arch = u.machine;
  }
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0) h.hostname = host;
  return h;
}

int Topology::numa_node_of_pci(const std::string& bus_id) const {
  if (bus_id.empty()) return -1;
  hwloc_obj_t pci = hwloc_get_pcidev_by_busidstring(impl_->topo, bus_id.c_str());
  if (!pci) return -1;
  hwloc_obj_t anc = hwloc_get_non_io_ancestor_obj(impl_->topo, pci);
  if (!anc || !anc->nodeset) return -1;
  if (hwloc_bitmap_weight(anc->nodeset) != 1) return only_numa_node();
  return hwloc_bitmap_first(anc->nodeset);
}

int Topology::only_numa_node() const {
  return hwloc_get_nbobjs_by_type(impl_->topo, HWLOC_OBJ_NUMANODE) == 1 ? 0 : -1;
}

const char* device_kind_name(uint32_t kind) {
  switch (kind) {
    case CC_DEVICE_CPU:
      return "cpu";
    case CC_DEVICE_GPU:
      return "gpu";
    case CC_DEVICE_ACCELERATOR:
      return "accelerator";
    default:
      return "other";
  }
}

std::vector<std::string> dtype_names(uint32_t mask) {
  std::vector<std::string> out;
  for (int d = 0; d < CC_DTYPE_COUNT_; ++d)
    if (mask & CC_DTYPE_BIT(d)) out.emplace_back(workloads::dtype_name(static_cast<cc_dtype>(d)));
  return out;
}

Discovery discover(const DriverSet& drivers, const Topology& topo) {
  Discovery d;
  d.host = topo.host();
  for (const auto& drv : drivers.drivers) {
    const cc_driver_v1& t = *drv.table;
    const std::string src = drv.source == "builtin" ? "builtin:" + drv.name : drv.source;
    uint32_t count = 0;
    cc_status s = t.enumerate(&count);
    if (s != CC_OK) {
      const char* why = t.last_error(nullptr);
      d.problems.push_back({src, std::string("enumerate failed: ") + workloads::status_name(s) +
                                     (why && *why ? std::string(": ") + why : std::string())});
      continue;
    }
    if (count > 4096) {
      d.problems.push_back({src, "enumerate reported " + std::to_string(count) +
                                     " devices; more than 4096 is not believable"});
      continue;
    }
    for (uint32_t i = 0; i < count; ++i) {
      cc_device_info info;
      std::memset(&info, 0, sizeof(info));
      info.struct_size = sizeof(info);
      const std::string where = src + " device " + std::to_string(i);
      s = t.device_info(i, &info);
      if (s != CC_OK) {
        const char* why = t.last_error(nullptr);
        d.problems.push_back({where, std::string("device_info failed: ") +
                                         workloads::status_name(s) +
                                         (why && *why ? std::string(": ") + why : std::string())});
        continue;
      }
      std::string bad;
      auto check = [&bad](bool ok, const char* field) {
        if (!ok) bad += (bad.empty() ? "" : ", ") + std::string(field);
      };
      check(terminated(info.name), "name");
      check(terminated(info.vendor), "vendor");
      check(terminated(info.driver_version), "driver_version");
      check(terminated(info.uuid), "uuid");
      check(terminated(info.serial), "serial");
      check(terminated(info.pci_bus_id), "pci_bus_id");
      if (!bad.empty()) {
        d.problems.push_back({where, "device_info fields not NUL-terminated within their arrays: " +
                                         bad + "; device skipped"});
        continue;
      }
      if (info.name[0] == '\0') {
        d.problems.push_back({where, "device_info gave an empty name; device skipped"});
        continue;
      }
      DeviceEntry e;
      e.driver = &drv;
      e.index = i;
      auto& r = e.info;
      r.id = drv.name + ":" + std::to_string(i);
      r.driver = drv.name;
      r.driver_version = t.version ? t.version : "";
      r.driver_source = drv.source;
      r.kind = device_kind_name(info.kind);
      r.vendor = info.vendor;
      r.name = info.name;
      r.runtime_version = info.driver_version;
      r.uuid = info.uuid;
      r.serial = info.serial;
      r.pci_bus_id = info.pci_bus_id;
      r.numa_node = r.pci_bus_id.empty() ? (info.kind == CC_DEVICE_CPU ? topo.only_numa_node() : -1)
                                         : topo.numa_node_of_pci(r.pci_bus_id);
      r.memory_bytes = info.memory_bytes;
      r.compute_units = info.compute_units;
      r.clock_mhz = info.clock_mhz;
      r.dtypes = dtype_names(info.dtypes);
      d.devices.push_back(std::move(e));
    }
  }
  return d;
}

}  // namespace chipcert::harness
