#include "chipcert/harness/selector.hpp"

#include <set>
#include <stdexcept>

namespace chipcert::harness {

std::vector<const DeviceEntry*> select_devices(const std::vector<DeviceEntry>& devices,
                                               const std::vector<std::string>& selectors) {
  std::vector<bool> chosen(devices.size(), selectors.empty());
  for (const auto& sel : selectors) {
    bool matched = false;
    for (size_t i = 0; i < devices.size(); ++i) {
      const auto& d = devices[i].info;
      if (sel == "all" || sel == d.id || sel == d.driver || sel == d.kind) {
        chosen[i] = true;
        matched = true;
      }
    }
    if (!matched) {
      std::string ids, drivers, kinds;
      std::set<std::string> seen_drivers, seen_kinds;
      for (const auto& e : devices) {
        ids += (ids.empty() ? "" : ", ") + e.info.id;
        if (seen_drivers.insert(e.info.driver).second)
          drivers += (drivers.empty() ? "" : ", ") + e.info.driver;
        if (seen_kinds.insert(e.info.kind).second)
          kinds += (kinds.empty() ? "" : ", ") + e.info.kind;
      }
      throw std::invalid_argument(
          "--device \"" + sel + "\" matches no device; valid: all" +
          (ids.empty() ? std::string(" (no devices were found)")
                       : ", device ids " + ids + ", drivers " + drivers + ", kinds " + kinds));
    }
  }
  std::vector<const DeviceEntry*> out;
  for (size_t i = 0; i < devices.size(); ++i)
    if (chosen[i]) out.push_back(&devices[i]);
  return out;
}

}  // namespace chipcert::harness
