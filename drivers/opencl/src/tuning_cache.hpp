// The GEMM autotuner's cache file: which tile configuration won for a
// (device name, driver version, dtype). A small JSON document:
//   {"format": "chipcert-opencl-tuning/1",
//    "entries": {"<key>": {"tm": 64, "tn": 128, ..., "gflops": 101.5}, ...}}
// The cache is an optimisation only: a missing, unreadable or malformed file
// is treated as empty, and a failed write never fails a run.
#pragma once

#include <map>
#include <string>

namespace chipcert::opencl {

/// key -> (field -> number)
using TuningEntries = std::map<std::string, std::map<std::string, double>>;

/// Where the cache lives: $CHIPCERT_OPENCL_TUNING_CACHE if set (an empty
/// value disables the cache: ""), else $XDG_CACHE_HOME/chipcert/opencl-tuning.json,
/// else $HOME/.cache/chipcert/opencl-tuning.json, else "".
std::string tuning_cache_path();

/// Reads the entries of `path`. Returns false (entries empty, `problem` set)
/// when the file is missing, unreadable, too large or not in the format above.
bool load_tuning_cache(const std::string& path, TuningEntries& entries, std::string& problem);

/// Parses a cache document (exposed for tests). Same contract as load.
bool parse_tuning_cache(const std::string& text, TuningEntries& entries, std::string& problem);

/// The document for `entries`, as store writes it.
std::string format_tuning_cache(const TuningEntries& entries);

/// Re-reads `path`, sets entry `key` and writes the file atomically (temp
/// file + rename), creating its directory. Returns false with `problem` set
/// on any failure; never throws for I/O.
bool store_tuning_entry(const std::string& path, const std::string& key,
                        const std::map<std::string, double>& fields, std::string& problem);

}  // namespace chipcert::opencl
