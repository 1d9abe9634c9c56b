// The contracts of chipcert/driver.h as checks. Each runs in a fresh child
// process (conformance.cpp); a check calls the driver only through its table.

#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "chipcert/driver_sdk.h"
#include "chipcert/harness/drivers.hpp"
#include "chipcert/workloads/workload.hpp"
#include "conformance.hpp"

namespace chipcert::cli::conformance {

namespace {

/// A failed call must leave a non-empty last_error; returns it.
std::string require_message(const cc_driver_v1& d, cc_device* dev, const std::string& call) {
  const char* e = d.last_error(dev);
  require(e != nullptr, call + ": last_error returned NULL (must never be NULL)");
  const std::string s = error_text(d, dev);
  require(!s.empty(), call + ": failed without a reason in last_error");
  return s;
}

void require_ok(const cc_driver_v1& d, cc_device* dev, cc_status st, const std::string& call) {
  if (st != CC_OK)
    throw Failure(call + " returned " + cc_status_string(st) + ": " + error_text(d, dev));
}

/// A call that must fail with `want` and a reason.
void require_status(const cc_driver_v1& d, cc_device* dev, cc_status st, cc_status want,
                    const std::string& call) {
  require(st != CC_OK, call + " succeeded; it must fail with " + cc_status_string(want));
  require(st == want, call + " returned " + cc_status_string(st) + ", expected " +
                          cc_status_string(want) + ": " + error_text(d, dev));
  require_message(d, dev, call);
}

uint32_t device_count(const cc_driver_v1& d) {
  uint32_t n = 0;
  require_ok(d, nullptr, d.enumerate(&n), "enumerate");
  require(n >= 1, "enumerate reported 0 devices: nothing to check");
  require(n <= 4096, "enumerate reported " + std::to_string(n) + " devices (not believable)");
  return n;
}

cc_device_info info_of(const cc_driver_v1& d, uint32_t index) {
  cc_device_info info;
  std::memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  require_ok(d, nullptr, d.device_info(index, &info), "device_info(" + std::to_string(index) + ")");
  return info;
}

/// An open device, closed on scope exit (the handle may be released early).
class Open {
 public:
  Open(const cc_driver_v1& d, uint32_t index) : d_(d) {
    require_ok(d, nullptr, d.open(index, &dev_), "open(" + std::to_string(index) + ")");
    require(dev_ != nullptr, "open returned CC_OK and a NULL device");
  }
  ~Open() {
    if (dev_ != nullptr) d_.close(dev_);
  }
  Open(const Open&) = delete;
  Open& operator=(const Open&) = delete;
  cc_device* get() const { return dev_; }
  void close() {
    d_.close(dev_);
    dev_ = nullptr;
  }

 private:
  const cc_driver_v1& d_;
  cc_device* dev_ = nullptr;
};

cc_buffer* alloc_ok(const cc_driver_v1& d, cc_device* dev, uint64_t bytes) {
  cc_buffer* b = nullptr;
  require_ok(d, dev, d.alloc(dev, bytes, &b), "alloc(" + std::to_string(bytes) + ")");
  require(b != nullptr, "alloc(" + std::to_string(bytes) + ") returned CC_OK and NULL");
  return b;
}

// ---- ABI ----------------------------------------------------------------------

std::string check_abi_current(const Target& t, const Progress&) {
  const cc_driver_v1& d = table(t);
  return std::string("\"") + d.name + "\" " + (d.version ? d.version : "") + ", ABI " +
         std::to_string(d.abi_version) + ", table of " + std::to_string(d.struct_size) + " bytes";
}

std::string check_abi_older(const Target& t, const Progress&) {
  const cc_driver_v1* old = t.entry(0);
  require(old == nullptr || old->abi_version == 0,
          "entry(0) returned a table of ABI " +
              (old ? std::to_string(old->abi_version) : std::string()) +
              "; a driver must return NULL for a version older than it implements");
  return "entry(0) returned NULL";
}

std::string check_abi_newer(const Target& t, const Progress& progress) {
  for (uint32_t v : {CC_DRIVER_ABI_VERSION + 1, 0xffffffffu}) {
    progress("entry(" + std::to_string(v) + ")");
    const cc_driver_v1* newer = t.entry(v);
    const std::string why = harness::validate_driver_table(newer, v);
    require(why.empty(), "entry(" + std::to_string(v) + "): " + why +
                             " (a newer chipcert must still get the v1 table)");
  }
  return "entries for ABI 2 and 4294967295 both return the v1 table";
}

// ---- discovery ----------------------------------------------------------------

std::string check_enumerate(const Target& t, const Progress&) {
  const cc_driver_v1& d = table(t);
  const uint32_t n = device_count(d);
  for (int i = 0; i < 4; ++i)
    require(device_count(d) == n, "enumerate is not stable: " + std::to_string(n) + " then " +
                                      std::to_string(device_count(d)));
  cc_device_info info;
  std::memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  require_status(d, nullptr, d.device_info(n, &info), CC_ERR_INVALID_ARGUMENT,
                 "device_info(" + std::to_string(n) + ") (one past the last device)");
  return std::to_string(n) + " device(s), the same over 5 calls; device_info(" + std::to_string(n) +
         ") is rejected";
}

bool terminated(const char* s, size_t cap) {
  return std::memchr(s, '\0', cap) != nullptr;
}

std::string check_info(const Target& t, const Progress& progress) {
  const cc_driver_v1& d = table(t);
  const uint32_t n = std::min(device_count(d), 16u);
  for (uint32_t i = 0; i < n; ++i) {
    const std::string at = "device_info(" + std::to_string(i) + ")";
    progress(at);
    cc_device_info info;
    std::memset(&info, 0x7f, sizeof info);  // no zero-fill: the driver must terminate
    info.struct_size = sizeof info;
    require_ok(d, nullptr, d.device_info(i, &info), at);
    require(info.struct_size == sizeof info, at + " changed struct_size");
    const std::array<std::pair<const char*, std::pair<const char*, size_t>>, 6> strings{{
        {"name", {info.name, sizeof info.name}},
        {"vendor", {info.vendor, sizeof info.vendor}},
        {"driver_version", {info.driver_version, sizeof info.driver_version}},
        {"uuid", {info.uuid, sizeof info.uuid}},
        {"serial", {info.serial, sizeof info.serial}},
        {"pci_bus_id", {info.pci_bus_id, sizeof info.pci_bus_id}},
    }};
    for (const auto& [field, s] : strings)
      require(terminated(s.first, s.second),
              at + ": " + field + " is not NUL-terminated within its array");
    require(info.name[0] != '\0', at + ": name is empty");
    require(info.vendor[0] != '\0', at + ": vendor is empty");
    require(info.kind <= CC_DEVICE_OTHER,
            at + ": kind " + std::to_string(info.kind) + " is not a cc_device_kind");
    require(info.memory_bytes > 0, at + ": memory_bytes is 0");
    require(info.dtypes != 0, at + ": dtypes is empty");
    require((info.dtypes >> CC_DTYPE_COUNT_) == 0, at + ": dtypes has bits of unknown types");
    const cc_device_info again = info_of(d, i);
    require(std::strcmp(again.name, info.name) == 0 && std::strcmp(again.uuid, info.uuid) == 0 &&
                again.memory_bytes == info.memory_bytes,
            at + " is not stable across calls");
    // An older harness passes a smaller struct: nothing beyond it may be written.
    cc_device_info small;
    std::memset(&small, 0x55, sizeof small);
    small.struct_size = 8;
    require_ok(d, nullptr, d.device_info(i, &small), at + " with struct_size 8");
    require(small.struct_size == 8, at + " with struct_size 8 changed struct_size");
    const auto* bytes = reinterpret_cast<const unsigned char*>(&small);
    for (size_t b = 8; b < sizeof small; ++b)
      require(bytes[b] == 0x55, at + " with struct_size 8 wrote byte " + std::to_string(b));
  }
  return std::to_string(n) + " device(s): strings terminated, name/vendor/memory/dtypes set, " +
         "stable, a smaller struct is not overrun";
}

std::string check_open(const Target& t, const Progress& progress) {
  const cc_driver_v1& d = table(t);
  const uint32_t n = device_count(d);
  for (int i = 0; i < 5; ++i) {
    progress("open/close #" + std::to_string(i + 1));
    Open dev(d, 0);
    cc_buffer* b = alloc_ok(d, dev.get(), 64);
    d.free(dev.get(), b);
  }
  cc_device* none = nullptr;
  require_status(d, nullptr, d.open(n, &none), CC_ERR_INVALID_ARGUMENT,
                 "open(" + std::to_string(n) + ") (one past the last device)");
  return "device 0 opened and closed 5 times; open(" + std::to_string(n) + ") is rejected";
}

// ---- memory -------------------------------------------------------------------

std::string check_alloc_zero(const Target& t, const Progress&) {
  const cc_driver_v1& d = table(t);
  Open dev(d, 0);
  cc_buffer* b = alloc_ok(d, dev.get(), 0);
  d.free(dev.get(), b);
  return "alloc(0) gives a handle that can be freed";
}

std::string check_alloc_huge(const Target& t, const Progress& progress) {
  const cc_driver_v1& d = table(t);
  const cc_device_info info = info_of(d, 0);
  Open dev(d, 0);
  std::vector<uint64_t> sizes;
  if (info.memory_bytes > 0 && info.memory_bytes <= (uint64_t(1) << 62))
    sizes.push_back(info.memory_bytes * 2);
  sizes.push_back(uint64_t(1) << 63);
  for (uint64_t bytes : sizes) {
    progress("alloc(" + std::to_string(bytes) + ")");
    cc_buffer* b = nullptr;
    const cc_status st = d.alloc(dev.get(), bytes, &b);
    if (st == CC_OK) d.free(dev.get(), b);
    require_status(d, dev.get(), st, CC_ERR_OUT_OF_MEMORY,
                   "alloc(" + std::to_string(bytes) + ") beyond the device's " +
                       std::to_string(info.memory_bytes) + " bytes");
  }
  cc_buffer* b = alloc_ok(d, dev.get(), 4096);  // still usable afterwards
  d.free(dev.get(), b);
  return "allocations beyond memory_bytes fail with CC_ERR_OUT_OF_MEMORY and a reason";
}

std::string check_copy(const Target& t, const Progress& progress) {
  const cc_driver_v1& d = table(t);
  Open dev(d, 0);
  constexpr uint64_t kSize = 4099;  // odd on purpose: no alignment to lean on
  cc_buffer* b = alloc_ok(d, dev.get(), kSize);
  std::vector<unsigned char> mirror(kSize), chunk(kSize), back(kSize);
  for (uint64_t i = 0; i < kSize; ++i) mirror[i] = static_cast<unsigned char>(i * 7 + 3);
  require_ok(d, dev.get(), d.write(dev.get(), b, 0, mirror.data(), kSize), "write(0, 4099)");
  const std::array<std::pair<uint64_t, uint64_t>, 6> patches{
      {{1, 1}, {3, 5}, {7, 13}, {1000, 997}, {kSize - 1, 1}, {0, 3}}};
  unsigned char fill = 0x80;
  for (const auto& [off, len] : patches) {
    const std::string what = "write(" + std::to_string(off) + ", " + std::to_string(len) + ")";
    progress(what);
    for (uint64_t i = 0; i < len; ++i) chunk[i] = static_cast<unsigned char>(fill + i);
    ++fill;
    require_ok(d, dev.get(), d.write(dev.get(), b, off, chunk.data(), len), what);
    std::memcpy(mirror.data() + off, chunk.data(), len);
  }
  progress("read back");
  require_ok(d, dev.get(), d.read(dev.get(), b, 0, back.data(), kSize), "read(0, 4099)");
  for (uint64_t i = 0; i < kSize; ++i)
    require(back[i] == mirror[i], "byte " + std::to_string(i) + " read back as " +
                                      std::to_string(back[i]) + ", written " +
                                      std::to_string(mirror[i]));
  for (const auto& [off, len] : patches) {
    std::vector<unsigned char> part(len);
    require_ok(d, dev.get(), d.read(dev.get(), b, off, part.data(), len),
               "read(" + std::to_string(off) + ", " + std::to_string(len) + ")");
    require(std::memcmp(part.data(), mirror.data() + off, len) == 0,
            "read(" + std::to_string(off) + ", " + std::to_string(len) + ") differs");
  }
  progress("out-of-bounds copies");
  require_status(d, dev.get(), d.write(dev.get(), b, kSize, chunk.data(), 1),
                 CC_ERR_INVALID_ARGUMENT, "write(4099, 1) past the end");
  require_status(d, dev.get(), d.write(dev.get(), b, 4000, chunk.data(), 100),
                 CC_ERR_INVALID_ARGUMENT, "write(4000, 100) past the end");
  require_status(d, dev.get(), d.read(dev.get(), b, kSize - 1, back.data(), 2),
                 CC_ERR_INVALID_ARGUMENT, "read(4098, 2) past the end");
  require_status(d, dev.get(), d.write(dev.get(), b, ~uint64_t(0), chunk.data(), 2),
                 CC_ERR_INVALID_ARGUMENT, "write at offset 2^64-1 (wraps around)");
  require_ok(d, dev.get(), d.read(dev.get(), b, 0, back.data(), kSize), "read(0, 4099)");
  require(back == mirror, "a rejected write changed the buffer");
  d.free(dev.get(), b);
  return "4099-byte buffer: 6 writes at odd offsets and sizes read back exactly; "
         "out-of-bounds copies rejected with a reason and no change";
}

}  // namespace

// Op checks and the rest live in conformance_ops.cpp.
std::vector<Check> op_checks();
std::vector<Check> late_checks();

std::vector<Check> all_checks() {
  std::vector<Check> c{
      {"abi.current", "entry(CC_DRIVER_ABI_VERSION) returns a valid v1 table", check_abi_current},
      {"abi.older", "entry(0) (older than any ABI) returns NULL", check_abi_older},
      {"abi.newer", "entry(newer versions) still returns the v1 table", check_abi_newer},
      {"enumerate.stable", "enumerate gives the same count every call", check_enumerate},
      {"info.fields", "device_info fields present, NUL-terminated, stable", check_info},
      {"open.repeated", "open/close device 0 repeatedly", check_open},
      {"alloc.zero", "alloc of 0 bytes gives a valid handle", check_alloc_zero},
      {"alloc.huge", "alloc beyond device memory fails with OUT_OF_MEMORY", check_alloc_huge},
      {"copy.roundtrip", "write/read at odd sizes and offsets; bounds checked", check_copy},
  };
  for (auto& x : op_checks()) c.push_back(std::move(x));
  for (auto& x : late_checks()) c.push_back(std::move(x));
  return c;
}

}  // namespace chipcert::cli::conformance
