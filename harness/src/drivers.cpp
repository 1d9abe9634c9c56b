#include "chipcert/harness/drivers.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <set>

namespace chipcert::harness {

namespace fs = std::filesystem;

std::vector<std::string> split_search_path(const std::string& value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= value.size()) {
    const size_t end = std::min(value.find(':', start), value.size());
    if (end > start) out.push_back(value.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string validate_driver_table(const cc_driver_v1* t, uint32_t requested_abi) {
  if (t == nullptr)
    return "chipcert_driver_entry(" + std::to_string(requested_abi) +
           ") returned NULL: the driver implements no ABI version chipcert understands";
  if (t->abi_version != CC_DRIVER_ABI_VERSION)
    return "driver implements ABI version " + std::to_string(t->abi_version) +
           ", chipcert supports version " + std::to_string(CC_DRIVER_ABI_VERSION);
  if (t->struct_size < sizeof(cc_driver_v1))
    return "driver table is " + std::to_string(t->struct_size) + " bytes, an ABI v1 table needs " +
           std::to_string(sizeof(cc_driver_v1));
  if (t->name == nullptr || *t->name == '\0') return "driver table has no name";
  const size_t len = strnlen(t->name, 64);
  if (len >= 64) return "driver name is longer than 63 characters";
  for (size_t i = 0; i < len; ++i) {
    const char c = t->name[i];
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
      return std::string("driver name \"") + std::string(t->name, len) +
             "\" is not [a-z0-9_]+ (it becomes part of device ids)";
  }
  std::string missing;
  auto need = [&](const void* fn, const char* what) {
    if (fn == nullptr) missing += (missing.empty() ? "" : ", ") + std::string(what);
  };
  need(reinterpret_cast<const void*>(t->enumerate), "enumerate");
  need(reinterpret_cast<const void*>(t->device_info), "device_info");
  need(reinterpret_cast<const void*>(t->open), "open");
  need(reinterpret_cast<const void*>(t->close), "close");
  need(reinterpret_cast<const void*>(t->alloc), "alloc");
  need(reinterpret_cast<const void*>(t->free), "free");
  need(reinterpret_cast<const void*>(t->write), "write");
  need(reinterpret_cast<const void*>(t->read), "read");
  need(reinterpret_cast<const void*>(t->prepare), "prepare");
  need(reinterpret_cast<const void*>(t->release), "release");
  need(reinterpret_cast<const void*>(t->launch), "launch");
  need(reinterpret_cast<const void*>(t->synchronize), "synchronize");
  need(reinterpret_cast<const void*>(t->last_error), "last_error");
  if (!missing.empty()) return "driver table lacks required functions: " + missing;
  return {};
}

namespace {

constexpr const char* kExpected = "expected a driver plugin .so file or a directory of them";

bool is_required(const DriverOptions& o, const std::string& path) {
  return std::find(o.required_paths.begin(), o.required_paths.end(), path) !=
         o.required_paths.end();
}

/// A plugin that cannot be used: an error for a required path, else a problem.
void reject(const DriverOptions& o, std::vector<results::DriverProblem>& problems,
            const std::string& path, std::string reason) {
  if (is_required(o, path)) throw DriverPathError(path, std::move(reason));
  problems.push_back({path, std::move(reason)});
}

std::vector<std::string> expand_plugin_paths(const DriverOptions& o,
                                             std::vector<results::DriverProblem>& problems) {
  std::vector<std::string> files;
  for (const auto& p : o.plugin_paths) {
    std::error_code ec;
    const auto st = fs::status(p, ec);
    if (st.type() == fs::file_type::not_found) {
      // Unrequired missing entries keep the historical short reason.
      if (is_required(o, p)) throw DriverPathError(p, std::string("does not exist; ") + kExpected);
      problems.push_back({p, "driver path does not exist"});
    } else if (ec) {
      reject(o, problems, p, "cannot be read: " + ec.message());
    } else if (fs::is_directory(st)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(p, ec))
        if (e.path().extension() == ".so" && !fs::is_directory(e.path()))
          found.push_back(e.path().string());
      if (ec) {
        reject(o, problems, p, "cannot list driver directory: " + ec.message());
      } else if (found.empty()) {
        // Not fatal even when named: an empty plugin folder is a normal state.
        problems.push_back({p, "driver directory contains no *.so plugin"});
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(st)) {
      files.push_back(p);
    } else {
      reject(o, problems, p,
             std::string("is neither a regular file nor a directory; ") + kExpected);
    }
  }
  return files;
}

void add_driver(DriverSet& set, LoadedDriver d) {
  for (const auto& existing : set.drivers) {
    if (existing.name == d.name) {
      set.problems.push_back({d.source, "driver name \"" + d.name + "\" is already provided by " +
                                            existing.source + "; this one is skipped"});
      return;
    }
  }
  set.drivers.push_back(std::move(d));
}

}  // namespace

DriverSet load_drivers(const DriverOptions& options) {
  DriverSet set;
  if (options.builtins) {
    for (const auto& b : builtin_drivers()) {
      const cc_driver_v1* t = b.entry(CC_DRIVER_ABI_VERSION);
      const std::string why = validate_driver_table(t, CC_DRIVER_ABI_VERSION);
      if (!why.empty()) {
        set.problems.push_back({std::string("builtin:") + b.name, why});
        continue;
      }
      add_driver(set, {t->name, "builtin", t, nullptr});
    }
  }
  for (const auto& file : expand_plugin_paths(options, set.problems)) {
    dlerror();
    void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* err = dlerror();
      reject(
          options, set.problems, file,
          std::string("not a loadable shared object: ") + (err ? err : "dlopen failed") +
              (is_required(options, file)
                   ? "; expected a chipcert driver plugin (an ELF shared object for this machine)"
                   : ""));
      continue;
    }
    std::shared_ptr<void> lib(handle, [](void* h) { dlclose(h); });
    void* sym = dlsym(handle, CC_DRIVER_ENTRY_SYMBOL);
    if (sym == nullptr) {
      reject(options, set.problems, file,
             std::string("no ") + CC_DRIVER_ENTRY_SYMBOL + " symbol: not a chipcert driver plugin");
      continue;
    }
    cc_driver_entry_fn entry;
    std::memcpy(&entry, &sym, sizeof(entry));
    const cc_driver_v1* t = entry(CC_DRIVER_ABI_VERSION);
    const std::string why = validate_driver_table(t, CC_DRIVER_ABI_VERSION);
    if (!why.empty()) {
      reject(options, set.problems, file, why);
      continue;
    }
    add_driver(set, {t->name, file, t, std::move(lib)});
  }
  return set;
}

}  // namespace chipcert::harness
