// The renderers, pinned by goldens (data/golden-*) and by properties that
// must hold whatever the numbers: self-contained HTML, escaped text, every
// chart drawn, roofs and points where the data says, failures reported.
//
// To regenerate the goldens after an intended change:
//   CHIPCERT_UPDATE_GOLDEN=1 ./render_test --gtest_filter='Golden*'

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../src/figures.hpp"
#include "../src/text.hpp"
#include "chipcert/reports/console.hpp"
#include "chipcert/reports/reporter.hpp"
#include "chipcert/results/json.hpp"
#include "outline.hpp"

namespace chipcert::reports {
namespace {

const std::string kData = CHIPCERT_RENDER_DATA_DIR;

results::Document rich() {
  return results::read_document(kData + "/rich.json");
}
results::Document smoke() {
  return results::read_document(kData + "/smoke-real.json");
}

/// A verdict as certify would produce: cpu:0 valid, opencl:0 not.
ReportOptions certified() {
  ReportOptions o;
  results::Verdict v;
  v.profile = {"datacenter-inference-v1", "1.0", std::string(64, 'a')};
  results::DeviceVerdict cpu;
  cpu.device = "cpu:0";
  cpu.valid = true;
  cpu.tier = "silver";
  cpu.rules = {{"required-cases-passed", "every required case passes", true, "5 of 5", "all", ""}};
  cpu.figures = {{"fp32_gemm_tflops", 0.332, "TFLOP/s", "gemm/m256_n256_k256/fp32@cpu:0"}};
  results::DeviceVerdict cl;
  cl.device = "opencl:0";
  cl.valid = false;
  cl.rules = {{"required-cases-passed", "every required case passes", false, "17 of 21", "all",
               "gemm/m64_n64_k64/fp64 failed <verification>"}};
  v.devices = {cpu, cl};
  o.verdict = v;
  o.notice = "Read from a certificate whose signature was NOT verified here; run chipcert verify.";
  o.source = "cert.dsse.json";
  return o;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void check_golden(const std::string& text, const std::string& name) {
  const std::string path = kData + "/" + name;
  if (std::getenv("CHIPCERT_UPDATE_GOLDEN") != nullptr)
    std::ofstream(path, std::ios::binary) << text;
  EXPECT_EQ(text, slurp(path)) << name
                               << " changed; if intended, regenerate with CHIPCERT_UPDATE_GOLDEN=1";
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

/// The <svg ...>...</svg> elements of a page.
std::vector<std::string> svgs(const std::string& html) {
  std::vector<std::string> out;
  for (size_t p = html.find("<svg "); p != std::string::npos; p = html.find("<svg ", p + 1))
    out.push_back(html.substr(p, html.find("</svg>", p) + 6 - p));
  return out;
}

std::string svg_by_id(const std::string& html, const std::string& id) {
  for (const auto& s : svgs(html))
    if (s.find("id=\"" + id + "\"") != std::string::npos) return s;
  return "";
}

TEST(Golden, HtmlOutlines) {
  check_golden(testing::html_outline(render(Format::Html, rich(), certified())),
               "golden-rich.outline.txt");
  check_golden(testing::html_outline(render(Format::Html, smoke())), "golden-smoke.outline.txt");
}

TEST(Golden, Markdown) {
  check_golden(render(Format::Markdown, rich(), certified()), "golden-rich.md");
  check_golden(render(Format::Markdown, smoke()), "golden-smoke.md");
}

TEST(Golden, Junit) {
  check_golden(render(Format::Junit, rich(), certified()), "golden-rich.junit.xml");
  check_golden(render(Format::Junit, smoke()), "golden-smoke.junit.xml");
}

TEST(Golden, GbenchJson) {
  check_golden(render(Format::GbenchJson, rich()), "golden-rich.gbench.json");
  check_golden(render(Format::GbenchJson, smoke()), "golden-smoke.gbench.json");
}

TEST(Reporter, BatchesGiveTheSameReportAsOneShot) {
  const auto doc = rich();
  for (Format f :
       {Format::Html, Format::Markdown, Format::Junit, Format::GbenchJson, Format::Console}) {
    auto r = make_reporter(f, certified());
    r->context(doc);
    const std::span<const results::Case> all(doc.cases);
    r->runs(all.subspan(0, 4));
    r->runs(all.subspan(4, 0));
    r->runs(all.subspan(4));
    std::ostringstream out;
    r->finalize(out);
    EXPECT_EQ(out.str(), render(f, doc, certified())) << format_name(f);
  }
  EXPECT_EQ(render(Format::Console, doc), render_console(doc));
}

TEST(Reporter, ContextIgnoresHeaderCases) {
  auto r = make_reporter(Format::Markdown);
  r->context(rich());  // its cases must not be reported twice
  std::ostringstream out;
  r->finalize(out);
  EXPECT_EQ(count(out.str(), "gemm/m256_n256_k256/fp32"), 0u);
}

TEST(Formats, NamesAndExtensions) {
  for (Format f :
       {Format::Console, Format::Html, Format::Markdown, Format::Junit, Format::GbenchJson})
    EXPECT_EQ(format_from_name(format_name(f)), f);
  EXPECT_EQ(format_from_name("HTML"), std::nullopt);
  EXPECT_EQ(format_from_name(""), std::nullopt);
  EXPECT_EQ(format_from_path("out/report.html"), Format::Html);
  EXPECT_EQ(format_from_path("r.htm"), Format::Html);
  EXPECT_EQ(format_from_path("pr.md"), Format::Markdown);
  EXPECT_EQ(format_from_path("junit.xml"), Format::Junit);
  EXPECT_EQ(format_from_path("bench.json"), Format::GbenchJson);
  EXPECT_EQ(format_from_path("table.txt"), Format::Console);
  EXPECT_EQ(format_from_path("report"), std::nullopt);
  EXPECT_EQ(format_from_path("dir.html/report"), std::nullopt);
  EXPECT_EQ(format_from_path("report.pdf"), std::nullopt);
}

TEST(Text, UnitsAndEscaping) {
  using namespace detail;
  EXPECT_EQ(si(2.185e11, "FLOP/s"), "218 GFLOP/s");
  EXPECT_EQ(si(1.5e-6, "s"), "1.50 us");
  EXPECT_EQ(si(999.7, "B/s"), "1.00 KB/s");
  EXPECT_EQ(si(0, "B"), "0 B");
  EXPECT_EQ(si(12.34, "/s"), "12.3 /s");
  EXPECT_EQ(xml_escape("a<b>&\"c'\x01"), "a&lt;b&gt;&amp;&quot;c&#39;\xEF\xBF\xBD");
  EXPECT_EQ(md_cell("a|b\nc<d>"), "a\\|b c&lt;d&gt;");
  EXPECT_EQ(plain(12.5), "12.5");
  EXPECT_EQ(plain(-0.0000001), "0");
  EXPECT_EQ(slug("cpu:0"), "cpu-0");
  EXPECT_EQ(slug("::"), "x");
}

TEST(Text, HeadlineRateIsBandwidthOnlyBelowOneFlopPerByte) {
  results::Case c;
  c.category = "micro";
  c.rates.flop_per_s = 1.2e13;  // peak: 2 * n * iterations FLOP over n in and n out
  c.rates.bytes_per_s = 6e9;
  c.flop = 2.0 * 65536 * 8192;
  c.bytes = 8.0 * 65536;
  EXPECT_EQ(headline_rate(c), "12.0 TFLOP/s");
  c.flop = 2.0 * 65536;  // STREAM triad: 2 FLOP per 12 bytes
  c.bytes = 12.0 * 65536;
  EXPECT_EQ(headline_rate(c), "6.0 GB/s");
  c.category = "kernel";  // a kernel's headline is FLOP/s whatever its intensity
  EXPECT_EQ(headline_rate(c), "12.0 TFLOP/s");
  c.rates.flop_per_s.reset();  // bytes only: a transfer
  EXPECT_EQ(headline_rate(c), "6.0 GB/s");
}

TEST(Html, SelfContained) {
  const std::string html = render(Format::Html, rich(), certified());
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  // The only URL is the SVG namespace name, which is never fetched.
  std::string rest = html;
  for (size_t p; (p = rest.find("http://www.w3.org/2000/svg")) != std::string::npos;)
    rest.erase(p, 26);
  EXPECT_EQ(rest.find("http://"), std::string::npos);
  EXPECT_EQ(rest.find("https://"), std::string::npos);
}

TEST(Html, EscapesHostileText) {
  const std::string html = render(Format::Html, rich(), certified());
  EXPECT_EQ(html.find("<launch>"), std::string::npos);
  EXPECT_NE(html.find("&quot;CL_OUT_OF_RESOURCES&quot; \xEF\xBF\xBD at &lt;launch&gt;"),
            std::string::npos);
  EXPECT_NE(html.find("outside tolerance &lt;&amp;&gt;"), std::string::npos);
  EXPECT_EQ(html.find('\x01'), std::string::npos);
  EXPECT_NO_THROW(testing::html_outline(html));
}

TEST(Html, EveryChartHasASizeAndDrawnElements) {
  const std::string html = render(Format::Html, rich(), certified());
  const auto charts = svgs(html);
  // 3 devices x (roofline + bars); opencl:0 adds latency and loss, and more families.
  ASSERT_GE(charts.size(), 10u);
  // No std::regex: GCC 12 warns inside it under the sanitizers.
  auto attr = [](const std::string& svg, const std::string& name) {
    const std::string open = svg.substr(0, svg.find('>'));
    const auto p = open.find(" " + name + "=\"");
    if (p == std::string::npos) return -1.0;
    return std::stod(open.substr(p + name.size() + 3));
  };
  for (const auto& s : charts) {
    EXPECT_GT(attr(s, "width"), 0) << s.substr(0, 200);
    EXPECT_GT(attr(s, "height"), 0) << s.substr(0, 200);
    EXPECT_GT(count(s, "<rect") + count(s, "<circle") + count(s, "<polyline") + count(s, "<line"),
              0u);
    EXPECT_EQ(count(s, "<figure"), 0u);
  }
  EXPECT_EQ(count(html, "<figure class=\"chart "), charts.size());
}

TEST(Html, RooflineUsesPeakCasesAndPlotsEveryKernel) {
  const auto doc = rich();
  const std::string html = render(Format::Html, doc, certified());
  const std::string cl = svg_by_id(html, "roofline-opencl-0");
  ASSERT_FALSE(cl.empty());
  EXPECT_EQ(count(cl, "class=\"roof\""), 2u);  // fp16 and fp32 peaks
  EXPECT_NE(cl.find("fp32 peak 400 GFLOP/s"), std::string::npos);
  EXPECT_NE(cl.find("memory "), std::string::npos);
  size_t points = 0;
  for (const auto& c : doc.cases)
    if (c.device == "opencl:0" && c.status == results::Status::Passed && c.flop > 0 && c.bytes > 0)
      ++points;
  EXPECT_EQ(points, 6u);  // 3 GEMM, triad, conv2d, attention
  EXPECT_EQ(count(cl, "<circle"), points);
  // No peak case on cpu:0: the roof falls back to the best GEMM.
  const std::string cpu = svg_by_id(html, "roofline-cpu-0");
  EXPECT_NE(cpu.find("fp32 GEMM 332 GFLOP/s"), std::string::npos);
  EXPECT_EQ(count(cpu, "class=\"roof\""), 1u);
  // The FLOP/s axis ends a decade above the highest roof, not where the
  // memory line leaves the chart (hundreds of TFLOP/s at 10^3 FLOP/byte).
  EXPECT_NE(cpu.find(">1.00 TFLOP/s<"), std::string::npos) << cpu;
  EXPECT_EQ(cpu.find(">10.0 TFLOP/s<"), std::string::npos);
}

TEST(Html, LatencyAndLossOnlyWhereTheDataIs) {
  const std::string html = render(Format::Html, rich(), certified());
  EXPECT_FALSE(svg_by_id(html, "latency-opencl-0").empty());
  EXPECT_TRUE(svg_by_id(html, "latency-cpu-0").empty());
  const std::string loss = svg_by_id(html, "loss-mlp-training-b64-d512-fp32-opencl-0");
  ASSERT_FALSE(loss.empty());
  EXPECT_EQ(count(loss, "<polyline"), 1u);
  EXPECT_NE(html.find("loss from 2.3000 to 0.5800"), std::string::npos);
}

TEST(Html, HostMemoryPerCaseWhereMeasured) {
  // rich.json gives the conv2d case 187,695,104 bytes; no other case has the field.
  const std::string html = render(Format::Html, rich());
  const size_t row = html.find(">conv2d/n8_c64_h56_k64_r3/fp32</td>");
  ASSERT_NE(row, std::string::npos);
  const std::string cells = html.substr(row, html.find("</tr>", row) - row);
  EXPECT_NE(cells.find("<td class=\"num\">188 MB</td>"), std::string::npos) << cells;
  EXPECT_EQ(count(html, ">188 MB<"), 1u);
  EXPECT_NE(html.find("<th>Host memory</th>"), std::string::npos);
}

TEST(Html, VerdictAndNoticeShown) {
  const std::string html = render(Format::Html, rich(), certified());
  EXPECT_NE(html.find("class=\"notice\""), std::string::npos);
  EXPECT_NE(html.find("VALID</dd>") == std::string::npos ? html.find(">VALID under") : 0,
            std::string::npos);
  EXPECT_NE(html.find(">INVALID under datacenter-inference-v1 1.0<"), std::string::npos);
  EXPECT_NE(html.find("<dt>Tier</dt><dd>silver</dd>"), std::string::npos);
  const std::string plain_report = render(Format::Html, rich());
  EXPECT_EQ(plain_report.find("class=\"notice\""), std::string::npos);
  EXPECT_NE(plain_report.find("not certified (results only)"), std::string::npos);
}

TEST(Html, ClockUnderLoadWithItsReadings) {
  results::Document doc = smoke();
  doc.host.clock_under_load_mhz = 3590.0;
  doc.host.clock_under_load_readings_mhz = {3552.0, 3590.0};
  std::string html = render(Format::Html, doc);
  EXPECT_NE(html.find(", 3.59 GHz under load (readings 3.55, 3.59 GHz)"), std::string::npos);
  // A reading taken while a shared host stole time reads low; say so.
  doc.host.clock_under_load_readings_mhz = {1442.0, 3590.0};
  html = render(Format::Html, doc);
  EXPECT_NE(html.find("(readings 1.44, 3.59 GHz; more than 3 % apart: the host was busy at one "
                      "of them)"),
            std::string::npos);
  // One reading (a run stopped early, or an older document): the clock alone.
  doc.host.clock_under_load_readings_mhz = {3590.0};
  html = render(Format::Html, doc);
  EXPECT_NE(html.find(", 3.59 GHz under load<"), std::string::npos);
}

TEST(Html, CpuFiguresAgainstTheTheoreticalPeak) {
  results::Document doc = smoke();
  const results::Case* gemm = nullptr;
  for (const auto& c : doc.cases)
    if (c.device == "cpu:0" && c.workload == "gemm" && c.dtype == "fp32" &&
        c.status == results::Status::Passed && c.rates.flop_per_s)
      gemm = &c;
  ASSERT_NE(gemm, nullptr);
  // Without the host's peak figures, no ratio is printed.
  EXPECT_EQ(render(Format::Html, doc).find("x theoretical"), std::string::npos);
  EXPECT_EQ(render(Format::Html, doc).find("CPU theoretical peak"), std::string::npos);
  doc.host.cores = 2;
  doc.host.clock_under_load_mhz = 3500.0;
  doc.host.peak_ops_per_cycle_per_core = {{"fp32", 64}, {"fp64", 32}};
  doc.host.peak_basis = "a probe";
  // A clock without its cross-check (an older document) is not believed.
  EXPECT_EQ(render(Format::Html, doc).find("x theoretical"), std::string::npos);
  EXPECT_NE(render(Format::Html, doc)
                .find("<th>CPU theoretical peak</th><td>not computed: the "
                      "clock reading is not trusted (the clock has no "
                      "readings behind it)</td>"),
            std::string::npos);
  EXPECT_NE(render_console(doc).find("CPU clock reading not trusted, no theoretical peak "
                                     "computed: the clock has no readings behind it"),
            std::string::npos);
  // Nor one the imul chain contradicts (what an `add $1` chain read on a
  // 2.1 GHz Xeon, beside its imul chain).
  doc.host.clock_under_load_mhz = 10726.0;
  doc.host.clock_under_load_readings_mhz = {10726.0};
  doc.host.clock_cross_check_readings_mhz = {2712.0};
  EXPECT_EQ(render(Format::Html, doc).find("x theoretical"), std::string::npos);
  EXPECT_EQ(count(render(Format::Markdown, doc), " x theoretical |"), 0u);
  EXPECT_NE(render_console(doc).find("the add chain read 10726 MHz and the imul chain 2712 MHz"),
            std::string::npos);
  doc.host.clock_under_load_mhz = 3500.0;
  doc.host.clock_under_load_readings_mhz = {3500.0};
  doc.host.clock_cross_check_readings_mhz = {3490.0};
  // With the units listed, each ratio names the unit its peak is that of.
  doc.host.execution_units = {{"avx512-fma-fp32", "fp32", 64, 63.1, "2 pipes"},
                              {"avx512-fma-fp64", "fp64", 32, 31.8, "2 pipes"}};
  for (auto& c : doc.cases)
    if (c.device == "cpu:0" && c.workload == "stream_triad") c.rates.bytes_per_s = 80e9;
  EXPECT_EQ(count(render_console(doc), " x theoretical avx512-fma-fp32"), 6u)
      << render_console(doc);
  EXPECT_NE(render(Format::Html, doc)
                .find("fp32 448 GFLOP/s (avx512-fma-fp32), fp64 224 "
                      "GFLOP/s (avx512-fma-fp64) = 3.50 GHz"),
            std::string::npos);
  doc.host.execution_units.clear();
  // The fixture's triad on cpu:0 ran on a loaded host (4.2 GB/s), which puts
  // the ridge point above its GEMMs; give it what this host reaches idle.
  for (auto& c : doc.cases)
    if (c.device == "cpu:0" && c.workload == "stream_triad") c.rates.bytes_per_s = 80e9;
  const std::string html = render(Format::Html, doc);
  EXPECT_NE(html.find("<th>CPU theoretical peak</th><td>fp32 448 GFLOP/s, fp64 224 GFLOP/s = "
                      "3.50 GHz x 2 cores x 64 / 32 per cycle (a probe)</td>"),
            std::string::npos);
  const std::string ratio =
      " = " + detail::fixed(*gemm->rates.flop_per_s / (3500e6 * 2 * 64), 2) + " x theoretical";
  EXPECT_NE(html.find(detail::si(*gemm->rates.flop_per_s, "FLOP/s") + ratio), std::string::npos)
      << ratio;
  // The roofline draws that peak as a dashed roof on the same devices.
  EXPECT_EQ(count(html, "class=\"roof theoretical\""), 2u);
  EXPECT_NE(html.find("fp32 theoretical 448 GFLOP/s (dashed)"), std::string::npos);
  EXPECT_EQ(html.find("class=\"roof theoretical\"", html.find("id=\"device-example-0\"")),
            std::string::npos);
  // Only on devices that compute on the host CPU (cpu:0 and the OpenCL CPU
  // device here, 3 GEMMs each), and only for compute rates (not the triad's
  // bytes/s nor the launch latency).
  EXPECT_EQ(count(html, " x theoretical"), 6u);
  const auto accelerator = html.find("id=\"device-example-0\"");
  ASSERT_NE(accelerator, std::string::npos);
  EXPECT_EQ(html.find(" x theoretical", accelerator), std::string::npos);
  // The Markdown case tables, in their Note column.
  EXPECT_EQ(count(render(Format::Markdown, doc), " x theoretical |"), 6u);
  // The console table that ends `chipcert run` says the same in its NOTE column.
  const std::string console = render_console(doc);
  EXPECT_EQ(count(console, " x theoretical"), 6u) << console;
  EXPECT_NE(console.find(detail::fixed(*gemm->rates.flop_per_s / (3500e6 * 2 * 64), 2) +
                         " x theoretical"),
            std::string::npos)
      << console;

  // A case below the ridge point (its FLOP per byte times the device's best
  // STREAM figure under the peak) is memory-bound: no ratio, its intensity.
  const auto bandwidth = detail::device_figures(detail::cases_of(doc.cases, "cpu:0")).bandwidth;
  ASSERT_TRUE(bandwidth);
  const double ridge = 3500e6 * 2 * 64 / bandwidth->value;
  for (auto& c : doc.cases)
    if (&c == gemm) c.bytes = c.flop / (ridge / 2);
  const std::string note = "memory-bound, " + detail::fixed(ridge / 2, 2) + " FLOP/B";
  EXPECT_EQ(count(render_console(doc), " x theoretical"), 5u);
  EXPECT_NE(render_console(doc).find(note), std::string::npos) << note;
  EXPECT_EQ(count(render(Format::Html, doc), " x theoretical"), 5u);
  EXPECT_NE(render(Format::Html, doc).find(" = " + note), std::string::npos);
  // Just above the ridge it is compute-bound again.
  for (auto& c : doc.cases)
    if (&c == gemm) c.bytes = c.flop / (ridge * 1.01);
  EXPECT_EQ(count(render_console(doc), " x theoretical"), 6u);
  EXPECT_EQ(render_console(doc).find("memory-bound"), std::string::npos);
  // Above the theoretical peak only a low clock reading explains; said, not hidden.
  const char* low = "(above the peak: the clock reading is low)";
  EXPECT_EQ(render_console(doc).find(low), std::string::npos);
  doc.host.clock_under_load_mhz = 3500.0 * *gemm->rates.flop_per_s / (3500e6 * 2 * 64) / 1.05;
  doc.host.clock_under_load_readings_mhz = {*doc.host.clock_under_load_mhz};
  doc.host.clock_cross_check_readings_mhz = {*doc.host.clock_under_load_mhz};
  EXPECT_NE(render_console(doc).find("1.05 x theoretical " + std::string(low)), std::string::npos)
      << render_console(doc);
  EXPECT_NE(render(Format::Html, doc).find(std::string("1.05 x theoretical ") + low),
            std::string::npos);
}

TEST(Junit, CountsAndMessages) {
  const std::string x = render(Format::Junit, rich(), certified());
  EXPECT_NE(x.find("name=\"opencl:0\" package=\"chipcert.smoke\" id=\"1\""), std::string::npos);
  EXPECT_NE(x.find("tests=\"17\" failures=\"4\" errors=\"0\" skipped=\"2\""), std::string::npos);
  EXPECT_EQ(count(x, "<failure type="), 4u);
  EXPECT_EQ(count(x, "<skipped message="), 2u);
  EXPECT_NE(
      x.find("<failure type=\"timed_out\" message=\"timed_out: exceeded 60 s; worker killed\">"),
      std::string::npos);
  EXPECT_NE(x.find("timestamp=\"2026-11-28T09:07:34\""), std::string::npos);
  EXPECT_EQ(count(x, "<testcase "), 27u);
}

TEST(GbenchJson, RepetitionsAndAggregates) {
  const auto j = nlohmann::json::parse(render(Format::GbenchJson, rich()));
  const auto& ctx = j.at("context");
  for (const char* k : {"date", "host_name", "executable", "num_cpus", "mhz_per_cpu", "caches",
                        "library_build_type", "json_schema_version"})
    EXPECT_TRUE(ctx.contains(k)) << k;
  EXPECT_EQ(ctx.at("library_build_type"), "release");
  size_t iterations = 0, aggregates = 0, errors = 0;
  for (const auto& b : j.at("benchmarks")) {
    EXPECT_EQ(b.at("time_unit"), "ns");
    EXPECT_TRUE(b.contains("real_time") && b.contains("cpu_time") && b.contains("name"));
    if (b.at("run_type") == "aggregate") ++aggregates;
    if (b.contains("error_occurred"))
      ++errors;
    else if (b.at("run_type") == "iteration")
      ++iterations;
  }
  // 15 real cases x 5 samples; peak x2, conv2d, attention, mlp: 3 each; inference 5.
  EXPECT_EQ(iterations, 15u * 5 + 5 * 3 + 5);
  EXPECT_EQ(aggregates, 4u * 21);
  EXPECT_EQ(errors, 6u);
  const auto& first = j.at("benchmarks").at(0);
  EXPECT_EQ(first.at("name"), "gemm/m256_n256_k256/fp32@cpu:0");
  EXPECT_EQ(first.at("repetitions"), 5);
  EXPECT_DOUBLE_EQ(first.at("real_time").get<double>(), rich().cases[0].samples[0] * 1e9);
}

TEST(Markdown, FailuresWithReasonsAndEscapedCells) {
  const std::string md = render(Format::Markdown, rich(), certified());
  EXPECT_NE(md.find("### Failures"), std::string::npos);
  EXPECT_NE(md.find("- `gelu/n1048576/fp32@opencl:0` **timed_out**: exceeded 60 s; worker killed"),
            std::string::npos);
  EXPECT_EQ(count(md, "\n- `"), 4u + 1u);  // 4 failures + 1 rule not met
  EXPECT_NE(md.find("| Device | Verdict | Tier |"), std::string::npos);
  EXPECT_NE(md.find("**INVALID**"), std::string::npos);
  EXPECT_EQ(md.find("<launch>"), std::string::npos);
  EXPECT_NE(md.find("> **Warning:**"), std::string::npos);
}

TEST(Markdown, SensorsWhileTimedPerDeviceAndInTheHtmlCard) {
  results::Document doc = rich();
  std::vector<results::Case*> cpu;
  for (auto& c : doc.cases)
    if (c.device == "cpu:0") cpu.push_back(&c);
  ASSERT_GE(cpu.size(), 3u);
  cpu[0]->sensors = results::SensorSummary{.readings = 5,
                                           .power_w = results::SensorRange{210, 230, 240},
                                           .temperature_c = results::SensorRange{40, 41, 44},
                                           .clock_mhz = results::SensorRange{1980, 1980, 1980}};
  cpu[1]->sensors = results::SensorSummary{.readings = 6,
                                           .power_w = results::SensorRange{250, 260, 262},
                                           .temperature_c = std::nullopt,
                                           .clock_mhz = results::SensorRange{1755, 1800, 1980}};
  cpu[2]->sensors = results::SensorSummary{.readings = 5,
                                           .power_w = std::nullopt,
                                           .temperature_c = std::nullopt,
                                           .clock_mhz = results::SensorRange{1900, 1950, 1980}};
  // Lowest min, median of the cases' medians, highest max.
  const std::string want =
      "power 210-262 W (median 245), up to 44 \u00b0C, clock 1755-1980 MHz (median 1950)";
  const std::string md = render(Format::Markdown, doc);
  EXPECT_NE(md.find("Sensors while timed: " + want + "."), std::string::npos) << md;
  EXPECT_EQ(count(md, "Sensors while timed"), 1u);  // opencl:0 recorded none
  const std::string html = render(Format::Html, doc);
  EXPECT_NE(html.find("<dt>Sensors while timed</dt><dd>" + want + "</dd>"), std::string::npos);
}

}  // namespace
}  // namespace chipcert::reports
