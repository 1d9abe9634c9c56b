#include "test_documents.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace chipcert::results::testing {

Document full_document() {
  Document d;
  d.run_id = "2024-05-01T12-00-00Z-7f3a";
  d.started_at = "2024-05-01T12:00:00Z";
  d.finished_at = "2024-05-01T12:34:56Z";
  d.suite = {"quick", "1.2"};
  d.seed = 18446744073709551615ull;  // largest uint64: must survive the round trip
  d.resumed = true;

  Host& h = d.host;
  h.cpu_vendor = "GenuineIntel";
  h.cpu_model = "Intel(R) Xeon(R) Platinum 8480+";
  h.packages = 2;
  h.cores = 112;
  h.pus = 224;
  h.numa_nodes = 2;
  h.memory_bytes = 1099511627776ull;
  h.caches = {{1, "data", 49152, 112}, {2, "unified", 2097152, 112}, {3, "unified", 110100480, 2}};
  h.os = "Debian GNU/Linux 12 (bookworm)";
  h.kernel = "Linux 6.1.0-18-amd64";
  h.arch = "x86_64";
  h.hostname = "node-01";
  h.clock_under_load_mhz = 3412.5;
  h.clock_under_load_readings_mhz = {3398.25, 3412.5};
  h.clock_cross_check_readings_mhz = {3401.0, 3409.75};
  h.clock_bounds_mhz = ClockBounds{400, 3990, "up to the CPUID 0x16 maximum 3800 MHz + 5 %"};
  h.peak_ops_per_cycle_per_core = {{"fp32", 64}, {"fp64", 32}, {"bf16", 1024}, {"int8", 2048}};
  h.execution_units = {{"avx512-fma-fp64", "fp64", 32, 31.7, "2 pipe(s) x 16 ops"},
                       {"avx512-fma-fp32", "fp32", 64, 63.8, "2 pipe(s) x 32 ops"},
                       {"avx512-bf16", "bf16", 128, 126.9, "2 pipe(s) x 64 ops"},
                       {"avx512-vnni-int8", "int8", 256, 254.0, "2 pipe(s) x 128 ops"},
                       {"amx-bf16", "bf16", 1024, 1003.5, "as documented"},
                       {"amx-int8", "int8", 2048, 2011.0, "as documented"}};
  h.peak_basis =
      "fp32 64 from avx512-fma-fp32; fp64 32 from avx512-fma-fp64; bf16 1024 from amx-bf16; "
      "int8 2048 from amx-int8";

  Device gpu;
  gpu.id = "opencl:0";
  gpu.driver = "opencl";
  gpu.driver_version = "0.1.0";
  gpu.driver_source = "/usr/lib/chipcert/drivers/libchipcert_opencl.so";
  gpu.kind = "gpu";
  gpu.vendor = "NVIDIA Corporation";
  gpu.name = "NVIDIA H100 80GB HBM3";
  gpu.runtime_version = "OpenCL 3.0 CUDA 12.4.131";
  gpu.uuid = "GPU-5e5c6c3a-1b2d-4c1e-9f00-0123456789ab";
  gpu.serial = "1652823046502";
  gpu.pci_bus_id = "0000:17:00.0";
  gpu.numa_node = 0;
  gpu.memory_bytes = 85899345920ull;
  gpu.compute_units = 132;
  gpu.clock_mhz = 1980;
  gpu.dtypes = {"fp64", "fp32", "fp16", "bf16", "int8"};
  gpu.fleet_rank = 0;

  Device cpu = gpu;
  cpu.id = "cpu:0";
  cpu.driver = "cpu";
  cpu.driver_source = "builtin";
  cpu.kind = "cpu";
  cpu.vendor = "GenuineIntel";
  cpu.name = "Intel(R) Xeon(R) Platinum 8480+ \"Sapphire Rapids\" / µarch ~ test";
  cpu.runtime_version = "oneDNN v3.4";
  cpu.uuid = "";
  cpu.serial = "";
  cpu.pci_bus_id = "";
  cpu.numa_node = 1;
  cpu.compute_units = 4294967295u;  // largest uint32
  cpu.dtypes = {"fp32"};
  d.devices = {gpu, cpu};

  Case gemm;
  gemm.id = "gemm/4096x4096x4096/fp32@opencl:0";
  gemm.device = "opencl:0";
  gemm.workload = "gemm";
  gemm.category = "kernel";
  gemm.parameters = {{"m", 4096},
                     {"n", 4096},
                     {"k", 4096},
                     {"alpha", 1.5},
                     {"layout", "row_major"},
                     {"transpose", {{"a", false}, {"b", true}}},
                     {"shape/set", {1, -2, 3.25}}};
  gemm.dtype = "fp32";
  gemm.status = Status::Passed;
  gemm.reason = "";
  gemm.timer = "device";
  gemm.samples = {0.0021, 0.00215, 1e-7, 0.1, 2.0};
  gemm.iterations = 100;
  gemm.statistics = Statistics{5, 1e-7, 0.00215, 0.02085002, 2.0, 0.87, 1.7, 1.2, 1.92};
  gemm.rates.flop_per_s = 6.4e13;
  gemm.rates.bytes_per_s = 9.6e10;
  gemm.rates.items_per_s = 476.19047619047620;
  gemm.flop = 137438953472.0;
  gemm.bytes = 201326592.0;
  Verification v;
  v.passed = true;
  v.method = "elementwise";
  v.tolerance = "|a-e| <= 1e-4 * max(1, |e|)";
  v.checked = 16777216;
  v.mismatches = 2;
  v.max_abs_error = 3.0517578125e-05;
  v.max_rel_error = 1.1920928955078125e-07;
  v.zero_fraction = 0.001;
  v.first_mismatches = {{17, 1.0, 1.0001}, {4096, -2.5, -2.4999}};
  gemm.verification = v;
  gemm.details = {{"isa", "avx512"}, {"tile", {128, 256}}};
  gemm.sensors = SensorSummary{.readings = 5,
                               .power_w = SensorRange{212.5, 231.0, 240.25},
                               .temperature_c = SensorRange{-4.5, 41.0, 44.0},
                               .clock_mhz = std::nullopt};
  gemm.host_peak_rss_bytes = 1610612736;

  Case stream;
  stream.id = "stream/triad/fp64@cpu:0";
  stream.device = "cpu:0";
  stream.workload = "stream";
  stream.category = "micro";
  stream.parameters = {{"op", "triad"}, {"elements", 33554432}};
  stream.dtype = "fp64";
  stream.status = Status::TimedOut;
  stream.reason = "exceeded 60 s watchdog\nafter 3 repetitions";
  stream.timer = "host";
  stream.samples = {};
  stream.iterations = 7;
  stream.flop = 67108864.0;
  stream.bytes = 805306368.0;
  stream.details = {{"note", "tab\there, unicode: 日本語, emoji: \xF0\x9F\x9A\x80"}};
  d.cases = {gemm, stream};

  d.driver_problems = {{"/opt/vendor/libchipcert_npu.so", "missing symbol chipcert_driver_entry"},
                       {"builtin:opencl", "no OpenCL platform"}};

  Provenance& p = d.provenance;
  p.chipcert_version = "0.1.0";
  p.git_commit = "0123456789abcdef0123456789abcdef01234567";
  p.dirty = true;
  p.compiler = "GNU 12.2.0";
  p.build_type = "Release";
  p.cxx_flags = "-O3 -march=native";
  p.binary_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  p.command_line = {"chipcert", "run", "--suite", "quick", "--out", "results.json"};

  // A one-node fleet section: every field the fleet writes, once.
  d.fleet = nlohmann::json{{"ranks", 1u},
                           {"placement", "node"},
                           {"nodes",
                            {{{"rank", 0u},
                              {"hostname", "node-01"},
                              {"status", "ok"},
                              {"reason", ""},
                              {"run_id", d.run_id},
                              {"devices", {"opencl:0", "cpu:0"}},
                              {"cases", 2u}}}},
                           {"totals", {{"nodes", 1u}, {"nodes_ok", 1u}, {"cases", 2u}}},
                           {"collectives",
                            {{{"op", "allreduce"},
                              {"bytes", 8u},
                              {"ranks", 1u},
                              {"repetitions", 10u},
                              {"latency_s", 0.5},
                              {"algbw_bytes_per_s", 16.0},
                              {"busbw_bytes_per_s", 0.0},
                              {"bus_factor", 0.0},
                              {"verified", true},
                              {"wrong_elements", 0u}}}},
                           {"stragglers",
                            {{{"rank", 0u},
                              {"hostname", "node-01"},
                              {"case", "gemm/m512_n512_k512/fp32@cpu:0"},
                              {"metric", "median_s"},
                              {"value", 2.0},
                              {"fleet_median", 1.0},
                              {"relative_deviation", 1.0}}}},
                           {"straggler_margin", 0.2}};
  return d;
}

Document minimal_document() {
  return Document{};
}

std::string example_path(const std::string& name) {
  return std::string(CHIPCERT_RESULTS_SCHEMA_DIR) + "/examples/" + name;
}

std::string read_example(const std::string& name) {
  std::ifstream in(example_path(name), std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + example_path(name));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace chipcert::results::testing
