// JUnit XML in the Ant/Jenkins dialect (validated in the tests against the
// JUnit.xsd of windyroad/JUnit-Schema): one <testsuite> per device, one
// <testcase> per case, its time the median seconds per iteration.

#include <string>

#include "figures.hpp"
#include "renderers.hpp"
#include "text.hpp"

namespace chipcert::reports::detail {

namespace {

/// The schema wants "YYYY-MM-DDTHH:MM:SS" without a zone: cut RFC 3339 there.
std::string junit_timestamp(const std::string& rfc3339) {
  const std::string cut = rfc3339.substr(0, 19);
  static constexpr const char* kShape = "dddd-dd-ddTdd:dd:dd";
  if (cut.size() != 19) return "1970-01-01T00:00:00";
  for (size_t i = 0; i < 19; ++i) {
    const bool digit = cut[i] >= '0' && cut[i] <= '9';
    if (kShape[i] == 'd' ? !digit : cut[i] != kShape[i]) return "1970-01-01T00:00:00";
  }
  return cut;
}

std::string attr(const std::string& s) {
  return xml_escape(s);
}

}  // namespace

void write_junit(const results::Document& doc, const ReportOptions& opt, std::ostream& o) {
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n";
  int index = 0;
  for (const auto& d : doc.devices) {
    const auto cases = cases_of(doc.cases, d.id);
    int failures = 0, skipped = 0;
    double total = 0;
    for (const auto* c : cases) {
      if (is_failure(c->status)) ++failures;
      if (c->status == results::Status::Unsupported || c->status == results::Status::Skipped)
        ++skipped;
      if (c->statistics) total += c->statistics->median;
    }
    o << "  <testsuite name=\"" << attr(d.id) << "\" package=\""
      << attr("chipcert." + (doc.suite.name.empty() ? std::string("suite") : doc.suite.name))
      << "\" id=\"" << index++ << "\" timestamp=\"" << junit_timestamp(doc.started_at)
      << "\" hostname=\"" << attr(doc.host.hostname.empty() ? "localhost" : doc.host.hostname)
      << "\" tests=\"" << cases.size() << "\" failures=\"" << failures
      << "\" errors=\"0\" skipped=\"" << skipped << "\" time=\"" << fixed(total, 9)
      << "\">\n    <properties>\n";
    auto prop = [&](const std::string& k, const std::string& v) {
      o << "      <property name=\"" << attr(k) << "\" value=\"" << attr(v) << "\"/>\n";
    };
    prop("device", d.vendor + " " + d.name);
    prop("driver", d.driver + " " + d.driver_version);
    prop("runtime", d.runtime_version);
    prop("suite", doc.suite.name + " " + doc.suite.version);
    prop("run_id", doc.run_id);
    prop("chipcert", doc.provenance.chipcert_version + " " + doc.provenance.git_commit);
    if (const auto* v = verdict_for(opt, d.id)) {
      prop("verdict", std::string(v->valid ? "VALID" : "INVALID") + " under " +
                          opt.verdict->profile.name + " " + opt.verdict->profile.version);
      prop("tier", v->tier);
    }
    if (!opt.notice.empty()) prop("notice", opt.notice);
    o << "    </properties>\n";
    for (const auto* c : cases) {
      const double t = c->statistics ? c->statistics->median : 0.0;
      o << "    <testcase classname=\"" << attr(c->workload) << "\" name=\"" << attr(c->id)
        << "\" time=\"" << fixed(t, 9) << "\"";
      const std::string status = results::to_string(c->status);
      if (is_failure(c->status)) {
        std::string body = c->reason;
        if (c->verification)
          body += "\nverification: " + std::to_string(c->verification->mismatches) + " of " +
                  std::to_string(c->verification->checked) + " mismatched; tolerance " +
                  c->verification->tolerance;
        o << ">\n      <failure type=\"" << status << "\" message=\""
          << attr(status + ": " + c->reason) << "\">" << xml_escape(body)
          << "</failure>\n    </testcase>\n";
      } else if (c->status != results::Status::Passed) {
        o << ">\n      <skipped message=\"" << attr(status + ": " + c->reason)
          << "\"/>\n    </testcase>\n";
      } else {
        o << "/>\n";
      }
    }
    o << "    <system-out>" << xml_escape(std::to_string(cases.size()) + " cases on " + d.id)
      << "</system-out>\n    <system-err></system-err>\n  </testsuite>\n";
  }
  o << "</testsuites>\n";
}

}  // namespace chipcert::reports::detail
