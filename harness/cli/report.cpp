// `chipcert report INPUT -o OUT [-f FORMAT]`: render a results document or a
// certificate as HTML, Markdown, JUnit XML, Google-Benchmark JSON or text.
// A certificate is decoded, not verified (that is `chipcert verify`'s job),
// and the report says so.

#include <algorithm>
#include <iostream>
#include <memory>

#include "chipcert/harness/files.hpp"
#include "chipcert/reports/reporter.hpp"
#include "chipcert/results/json.hpp"
#include "chipcert/trust/dsse.hpp"
#include "cli.hpp"

namespace chipcert::cli {

namespace {

struct ReportArgs {
  std::string input;
  std::string output;
  std::string format;
};

int run_report(const ReportArgs& a) {
  reports::Format format;
  if (!a.format.empty()) {
    const auto f = reports::format_from_name(a.format);
    if (!f)
      throw UsageError("-f " + a.format + ": expected html, md, junit, gbench-json or console");
    format = *f;
  } else if (const auto f = reports::format_from_path(a.output)) {
    format = *f;
  } else {
    throw UsageError("-o " + a.output +
                     ": cannot tell the format from the extension (.html, .md, .xml, .json, .txt); "
                     "give -f html|md|junit|gbench-json|console");
  }
  const LoadedResults in = load_results_or_certificate(a.input);
  reports::ReportOptions opt;
  opt.verdict = in.verdict;
  opt.source = a.input;
  if (in.certificate)
    opt.notice =
        "Read from a certificate whose signature was NOT verified here; run chipcert verify "
        "to check it.";
  const std::string text = reports::render(format, in.document, opt);
  if (a.output == "-") {
    std::cout << text << std::flush;
    return harness::kExitOk;
  }
  harness::write_file_atomic(a.output, text);
  std::cout << "report: " << a.output << "\n";
  return harness::kExitOk;
}

}  // namespace

LoadedResults load_results_or_certificate(const std::string& path) {
  const std::string text = harness::read_text_file(
      path, std::max<size_t>(results::kMaxDocumentBytes, trust::dsse::kMaxEnvelopeBytes));
  const nlohmann::json j = results::parse_json_strict(text, path);
  LoadedResults out;
  if (!j.is_object() || !j.contains("payloadType")) {
    out.document = results::document_from_json(j, path);
    return out;
  }
  // A DSSE envelope: decode the payload (strict base64) and take the
  // predicate's results and verdict. The signature is deliberately not checked.
  const auto env = trust::dsse::parse_envelope(text, path);
  if (env.payload_type != trust::dsse::kInTotoPayloadType)
    throw results::ParseError(path, "/payloadType",
                              "expected \"" + std::string(trust::dsse::kInTotoPayloadType) +
                                  "\", found \"" + env.payload_type + "\"");
  const std::string source = path + " (decoded payload)";
  const nlohmann::json stmt = results::parse_json_strict(env.payload, source);
  if (!stmt.is_object() || !stmt.contains("predicate") || !stmt.at("predicate").is_object())
    throw results::ParseError(source, "/predicate",
                              "expected a chipcert predicate object, found none");
  const auto& pred = stmt.at("predicate");
  for (const char* k : {"results", "verdict"})
    if (!pred.contains(k))
      throw results::ParseError(source, std::string("/predicate/") + k,
                                std::string("expected the certificate's ") + k + ", found nothing");
  out.document = results::document_from_json(pred.at("results"), source + " /predicate/results");
  out.verdict = results::verdict_from_json(pred.at("verdict"), source, "/predicate/verdict");
  out.certificate = true;
  return out;
}

void add_report_command(CLI::App& app, const GlobalOptions& /*g*/, Action& action) {
  auto* cmd = app.add_subcommand(
      "report",
      "Render a results document or certificate as HTML, Markdown, JUnit or Benchmark JSON");
  auto a = std::make_shared<ReportArgs>();
  cmd->add_option("input", a->input, "Results document or certificate (.dsse.json)")->required();
  cmd->add_option("-o,--output", a->output, "Output file ('-' for standard output)")->required();
  cmd->add_option("-f,--format", a->format,
                  "html, md, junit, gbench-json or console (default: from the output's extension)");
  cmd->callback([&action, a] { action = [a] { return run_report(*a); }; });
}

}  // namespace chipcert::cli
