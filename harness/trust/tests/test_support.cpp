#include "test_support.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>

#include "chipcert/trust/trusted_keys.hpp"

namespace chipcert::trust::testing {

std::string data_path(const std::string& name) {
  return std::string(CHIPCERT_TRUST_TEST_DATA) + "/" + name;
}

namespace {

results::Case make_case(const std::string& workload, const std::string& label, double seconds,
                        double flop, double bytes) {
  results::Case c;
  c.workload = workload;
  c.dtype = "fp32";
  c.device = "cpu:0";
  c.id = workload + "/" + label + "/fp32@cpu:0";
  c.category = workload == "gemm" ? "kernel" : "micro";
  c.status = results::Status::Passed;
  c.timer = "host";
  c.samples = {seconds * 1.02, seconds, seconds * 1.01, seconds * 0.99, seconds};
  c.iterations = workload == "launch_latency" ? 100000 : 100;
  c.flop = flop;
  c.bytes = bytes;
  c.statistics = results::Statistics{};
  return c;
}

}  // namespace

results::Document smoke_document() {
  results::Document doc;
  doc.run_id = "0123456789abcdef0123456789abcdef";
  doc.started_at = "2026-03-01T10:00:00Z";
  doc.finished_at = "2026-03-01T10:01:00Z";
  doc.suite = {"smoke", "1.0"};
  doc.seed = 1;
  doc.host.cpu_model = "Test CPU";
  doc.host.os = "Debian GNU/Linux 12 (bookworm)";
  results::Device d;
  d.id = "cpu:0";
  d.driver = "cpu";
  d.driver_version = "0.1.0";
  d.driver_source = "builtin";
  d.kind = "cpu";
  d.vendor = "TestVendor";
  d.name = "Test CPU";
  d.uuid = "uuid-1";
  d.dtypes = {"fp32"};
  doc.devices.push_back(d);
  for (int n : {256, 512, 1024}) {
    const std::string s = std::to_string(n);
    doc.cases.push_back(make_case("gemm", "m" + s + "_n" + s + "_k" + s, 1e-3 * n / 256,
                                  2.0 * n * n * n, 12.0 * n * n));
  }
  doc.cases.push_back(make_case("stream_triad", "n4194304", 2e-3, 2.0 * 4194304, 12.0 * 4194304));
  doc.cases.push_back(make_case("launch_latency", "default", 5e-6, 0, 0));
  doc.provenance.chipcert_version = "0.1.0";
  doc.provenance.git_commit = "3606089aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  doc.provenance.dirty = false;
  doc.provenance.compiler = "GNU 12.2.0";
  doc.provenance.binary_sha256 = std::string(64, 'b');
  return doc;
}

results::Case& find_case(results::Document& doc, const std::string& workload,
                         const std::string& label) {
  for (auto& c : doc.cases)
    if (c.workload == workload && case_label(c) == label) return c;
  throw std::logic_error("no case " + workload + "/" + label);
}

Profile test_profile() {
  return parse_profile(read_file_limited(data_path("test-smoke-v1.json"), 1 << 20),
                       "test-smoke-v1.json");
}

results::Provenance clean_certifier() {
  results::Provenance p;
  p.chipcert_version = "0.1.0";
  p.git_commit = "3606089aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  p.dirty = false;
  p.compiler = "GNU 12.2.0";
  p.binary_sha256 = std::string(64, 'c');
  return p;
}

Key seeded_key(unsigned char fill) {
  return Key::ed25519_from_seed(std::string(32, static_cast<char>(fill)));
}

std::string ec_public_pem() {
  EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!k) throw std::runtime_error("EC keygen failed");
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(b, k);
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  std::string pem(data, static_cast<std::size_t>(n));
  BIO_free(b);
  EVP_PKEY_free(k);
  return pem;
}

TrustedKeyEntry trusted(const Key& key, const std::string& label) {
  TrustedKeyEntry e;
  e.key_id = key.key_id();
  e.file = e.key_id + ".pub";
  e.label = label;
  e.not_before = "2020-01-01T00:00:00Z";
  e.key = key;
  return e;
}

}  // namespace chipcert::trust::testing
