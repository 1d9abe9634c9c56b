// `chipcert devices`: what this machine has, as a table or JSON.

#include <iostream>

#include "chipcert/harness/discovery.hpp"
#include "chipcert/results/json.hpp"
#include "cli.hpp"
#include "format.hpp"

namespace chipcert::cli {

namespace {

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

int run_devices(const GlobalOptions& g, bool as_json) {
  const harness::DriverSet drivers = harness::load_drivers(driver_options(g));
  const harness::Topology topo;
  harness::Discovery d = harness::discover(drivers, topo);
  auto problems = drivers.problems;
  problems.insert(problems.end(), d.problems.begin(), d.problems.end());

  if (as_json) {
    nlohmann::json j;
    j["schema_version"] = results::kSchemaVersion;
    j["host"] = results::to_json(d.host);
    j["devices"] = nlohmann::json::array();
    for (const auto& e : d.devices) j["devices"].push_back(results::to_json(e.info));
    j["driver_problems"] = nlohmann::json::array();
    for (const auto& p : problems)
      j["driver_problems"].push_back({{"source", p.source}, {"reason", p.reason}});
    std::cout << j.dump(2) << "\n";
    return d.devices.empty() ? harness::kExitEnvironment : harness::kExitOk;
  }

  const auto& h = d.host;
  std::cout << "Host: " << h.cpu_model << " (" << h.packages << " package(s), " << h.cores
            << " cores, " << h.pus << " threads, " << h.numa_nodes << " NUMA node(s), "
            << human_bytes(h.memory_bytes) << ")\n      " << h.os << ", " << h.kernel << " "
            << h.arch << "\n";
  std::cout << "Caches:";
  for (const auto& c : h.caches)
    std::cout << " L" << c.level
              << (c.type == "instruction" ? "i"
                  : c.type == "data"      ? "d"
                                          : "")
              << " " << human_bytes(c.size_bytes) << " x" << c.count << ";";
  std::cout << "\n\n";
  std::vector<std::vector<std::string>> rows{{"ID", "KIND", "VENDOR", "NAME", "MEMORY", "UNITS",
                                              "MHZ", "DTYPES", "NUMA", "PCI", "DRIVER"}};
  for (const auto& e : d.devices) {
    const auto& i = e.info;
    rows.push_back({i.id, i.kind, i.vendor, i.name, human_bytes(i.memory_bytes),
                    std::to_string(i.compute_units),
                    i.clock_mhz ? std::to_string(i.clock_mhz) : "-", join(i.dtypes, ","),
                    i.numa_node >= 0 ? std::to_string(i.numa_node) : "-",
                    i.pci_bus_id.empty() ? "-" : i.pci_bus_id,
                    i.driver + " " + i.driver_version + " (" + i.runtime_version + ")"});
  }
  if (d.devices.empty())
    std::cout << "No devices found.\n";
  else
    std::cout << text_table(rows);
  if (!problems.empty()) {
    std::cout << "\nDrivers not used:\n";
    for (const auto& p : problems) std::cout << "  " << p.source << ": " << p.reason << "\n";
  }
  return d.devices.empty() ? harness::kExitEnvironment : harness::kExitOk;
}

}  // namespace

void add_devices_command(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto* cmd = app.add_subcommand("devices", "List the host and every accelerator the drivers find");
  auto as_json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *as_json, "Machine-readable output");
  cmd->callback(
      [&g, &action, as_json] { action = [&g, as_json] { return run_devices(g, *as_json); }; });
}

}  // namespace chipcert::cli
