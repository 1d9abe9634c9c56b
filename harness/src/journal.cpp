#include "chipcert/harness/journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "chipcert/harness/files.hpp"
#include "chipcert/results/json.hpp"

namespace chipcert::harness {

namespace {
using json = nlohmann::json;
constexpr size_t kMaxJournalBytes = size_t{1} << 30;
constexpr const char* kJournalType = "chipcert-journal";
}  // namespace

Journal Journal::create(const std::string& path, const JournalHeader& header) {
  const std::filesystem::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_APPEND, 0644);
  if (fd < 0) throw FileError("cannot create journal " + path + ": " + std::strerror(errno));
  Journal j(path, fd);
  results::Document doc = header.document;
  doc.cases.clear();
  j.write_line(json{{"type", kJournalType},
                    {"format_version", 1},
                    {"document", results::to_json(doc)},
                    {"suite_text", header.suite_text},
                    {"suite_source", header.suite_source},
                    {"settings", header.settings}}
                   .dump());
  return j;
}

Journal Journal::append_to(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) throw FileError("cannot open journal " + path + ": " + std::strerror(errno));
  Journal j(path, fd);
  // A torn last line (killed mid-write) is an unfinished case that read()
  // drops. Cut it off rather than end it with a newline: a complete but
  // malformed line in the middle would make the next --resume of this
  // journal (after a second interruption) fail to read it.
  const std::string text = read_text_file(path, kMaxJournalBytes);
  const size_t last_nl = text.rfind('\n');
  if (!text.empty() && text.back() != '\n' && last_nl != std::string::npos) {
    if (::ftruncate(fd, static_cast<off_t>(last_nl + 1)) != 0 || ::fsync(fd) != 0)
      throw FileError("cannot drop the torn last line of journal " + path + ": " +
                      std::strerror(errno));
  }
  return j;
}

Journal::Journal(Journal&& o) noexcept : path_(std::move(o.path_)), fd_(std::exchange(o.fd_, -1)) {}

Journal& Journal::operator=(Journal&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(o.path_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

void Journal::write_line(const std::string& line) {
  const std::string data = line + "\n";
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw FileError("cannot write journal " + path_ + ": " + std::strerror(errno) +
                      " (the journal keeps every case written before this one)");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd_) != 0)
    throw FileError("cannot flush journal " + path_ + ": " + std::strerror(errno));
}

void Journal::append(const results::Case& c) {
  write_line(json{{"type", "case"}, {"case", results::to_json(c)}}.dump());
}

JournalContents Journal::read(const std::string& path) {
  const std::string text = read_text_file(path, kMaxJournalBytes);
  JournalContents out;
  size_t pos = 0;
  size_t line_no = 0;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) {
      out.torn_tail = true;  // killed mid-write: that case was not finished
      break;
    }
    const std::string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.empty()) continue;
    const std::string where = path + ":" + std::to_string(line_no);
    const json j = results::parse_json_strict(line, where);
    if (line_no == 1) {
      if (!j.is_object() || j.value("type", "") != kJournalType)
        throw results::ParseError(where, "/type",
                                  "expected \"chipcert-journal\" on the first line");
      if (j.value("format_version", 0) != 1)
        throw results::ParseError(where, "/format_version", "expected 1");
      json doc = j.at("document");
      doc["cases"] = json::array();
      out.header.document = results::document_from_json(doc, where);
      out.header.suite_text = j.at("suite_text").get<std::string>();
      out.header.suite_source = j.value("suite_source", "journal");
      out.header.settings = j.at("settings");
      continue;
    }
    if (!j.is_object() || j.value("type", "") != "case" || !j.contains("case"))
      throw results::ParseError(where, "", "expected a {\"type\": \"case\"} record");
    out.cases.push_back(results::case_from_json(j.at("case"), where, "/case"));
  }
  if (line_no == 0)
    throw results::ParseError(path, "", "expected a journal header, found an empty file");
  return out;
}

}  // namespace chipcert::harness
