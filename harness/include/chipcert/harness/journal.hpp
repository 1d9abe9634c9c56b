#pragma once
/// The run journal: one JSON object per line, flushed and fsync'd per case, so
/// a killed run (SIGKILL, power loss) loses at most the case in progress.
/// Line 1 is the header (the results document without cases, the suite's
/// exact text and the run settings); every further line is one finished case.
/// A torn last line (no newline) is ignored on reading; any other malformed
/// line is an error naming the file and the line.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chipcert/results/model.hpp"

namespace chipcert::harness {

/// What a resumed run must reproduce.
struct JournalHeader {
  results::Document document;  ///< cases empty
  std::string suite_text;
  std::string suite_source;
  nlohmann::json settings = nlohmann::json::object();  ///< devices, isolation, rules, output
};

struct JournalContents {
  JournalHeader header;
  std::vector<results::Case> cases;
  bool torn_tail = false;  ///< a partial last line was dropped
};

class Journal {
 public:
  /// Create (truncate) the journal and write its header durably. Throws FileError.
  static Journal create(const std::string& path, const JournalHeader& header);
  /// Open an existing journal for appending (after read()). Throws FileError.
  static Journal append_to(const std::string& path);
  /// Read a journal. Throws ReadError / results::ParseError.
  static JournalContents read(const std::string& path);

  Journal(Journal&& o) noexcept;
  Journal& operator=(Journal&& o) noexcept;
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  ~Journal();

  /// Append one case line and fsync. Throws FileError (e.g. disk full).
  void append(const results::Case& c);
  const std::string& path() const { return path_; }

 private:
  Journal(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  void write_line(const std::string& line);
  std::string path_;
  int fd_ = -1;
};

}  // namespace chipcert::harness
