#pragma once
/// Device selection for --device. A selector is "all", a device id
/// ("opencl:0"), a driver name ("opencl") or a kind ("cpu", "gpu",
/// "accelerator"). A selector that matches nothing is an error that lists
/// what would be valid.

#include <string>
#include <vector>

#include "chipcert/harness/discovery.hpp"

namespace chipcert::harness {

/// Devices matching any selector (no selectors = all), in discovery order.
/// Throws std::invalid_argument naming the selector and the valid values.
std::vector<const DeviceEntry*> select_devices(const std::vector<DeviceEntry>& devices,
                                               const std::vector<std::string>& selectors);

}  // namespace chipcert::harness
