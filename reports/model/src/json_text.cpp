// Text -> model: strict text parsing (duplicate keys rejected, every value's
// pointer known) and size-limited file reading.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chipcert/results/json.hpp"
#include "json_internal.hpp"

namespace chipcert::results {

using detail::fail;
using nlohmann::json;

// ---------------------------------------------------------------------------
// Text -> DOM. nlohmann's own parser keeps the last of duplicate keys
// silently; this SAX builder rejects them and knows the pointer of every
// value, so syntax errors name where they happened too.

namespace {

class StrictBuilder final : public nlohmann::json_sax<json> {
 public:
  explicit StrictBuilder(std::string_view source) : source_(source) {}

  json& root() { return root_; }
  const std::optional<ParseError>& error() const { return error_; }

  bool null() override { return put(nullptr); }
  bool boolean(bool v) override { return put(v); }
  bool number_integer(number_integer_t v) override { return put(v); }
  bool number_unsigned(number_unsigned_t v) override { return put(v); }
  bool number_float(number_float_t v, const string_t& text) override {
    // nlohmann already rejects overflow (1e400); keep the guard local anyway.
    if (!std::isfinite(v)) return set_error(pointer(), "a finite number", "number " + text);
    return put(v);
  }
  bool string(string_t& v) override { return put(std::move(v)); }
  bool binary(binary_t&) override {
    return set_error(pointer(), "JSON text", "binary data");  // unreachable for JSON input
  }
  bool start_object(std::size_t) override { return open(json::object()); }
  bool start_array(std::size_t) override { return open(json::array()); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    json& obj = *stack_.back().value;
    if (obj.contains(k)) {
      return set_error(pointer(), "each key once per object",
                       "duplicate key " + detail::quote_short(k));
    }
    pending_token_ = detail::child(std::string(), k);
    pending_ = &obj[k];
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const json::exception& ex) override {
    // "[json.exception.parse_error.101] parse error at line 1, column 3: ..." -> drop the tag.
    std::string what = ex.what();
    if (const auto tag_end = what.find("] ");
        what.starts_with("[json.exception.") && tag_end != std::string::npos) {
      what.erase(0, tag_end + 2);
    }
    return set_error(pointer(), "valid JSON", what);
  }

 private:
  struct Frame {
    json* value;
    std::string token;  // "/key" or "/3"; "" for the root
  };

  std::string pointer() const {
    std::string p;
    for (const auto& f : stack_) p += f.token;
    return p;
  }

  /// Where the next value goes, and the pointer token naming it.
  json* slot(std::string& token) {
    if (stack_.empty()) {
      token.clear();
      return &root_;
    }
    json& top = *stack_.back().value;
    if (top.is_array()) {
      token = detail::child(std::string(), top.size());
      top.push_back(nullptr);
      return &top.back();
    }
    token = pending_token_;
    return pending_;
  }

  bool put(json v) {
    std::string token;
    *slot(token) = std::move(v);
    return true;
  }

  bool open(json v) {
    if (stack_.size() >= detail::kMaxDepth) {
      return set_error(pointer(), "nesting at most " + std::to_string(detail::kMaxDepth) + " deep",
                       "deeper nesting");
    }
    std::string token;
    json* s = slot(token);
    *s = std::move(v);
    // Containers stay put while open: a parent array only grows after this
    // child is closed, and std::map nodes never move.
    stack_.push_back({s, std::move(token)});
    return true;
  }

  bool close() {
    stack_.pop_back();
    return true;
  }

  bool set_error(const std::string& ptr, const std::string& expected, const std::string& found) {
    error_.emplace(std::string(source_), ptr, "expected " + expected + ", found " + found);
    return false;
  }

  std::string_view source_;
  json root_;
  std::vector<Frame> stack_;
  json* pending_ = nullptr;
  std::string pending_token_;
  std::optional<ParseError> error_;
};

}  // namespace

nlohmann::json parse_json_strict(std::string_view text, std::string_view source) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    fail(source, "", "a JSON document", "empty input");
  }
  StrictBuilder builder(source);
  const bool ok = json::sax_parse(text, &builder);
  if (!ok || builder.error()) {
    if (builder.error()) throw *builder.error();
    fail(source, "", "valid JSON", "a document the parser gave up on");
  }
  return std::move(builder.root());
}

Document parse_document(std::string_view text, std::string_view source) {
  return document_from_json(parse_json_strict(text, source), source);
}

namespace {

[[noreturn]] void io_fail(const std::string& path, const std::string& expected, int err) {
  fail(path, "", expected, std::string(std::strerror(err)));
}

std::string size_text(std::uintmax_t bytes) {
  std::string s = std::to_string(bytes) + " bytes";
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
    s += " (" + std::to_string(bytes >> 20) + " MiB)";
  return s;
}

/// Closes the descriptor on every path out of read_document.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Document read_document(const std::string& path) {
  return read_document(path, kMaxDocumentBytes);
}

Document read_document(const std::string& path, std::uintmax_t max_bytes) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) io_fail(path, "a readable results file", errno);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) io_fail(path, "a readable results file", errno);
  if (S_ISDIR(st.st_mode)) fail(path, "", "a results file", "a directory");
  const std::string too_large = "a file of at most " + size_text(max_bytes);
  if (S_ISREG(st.st_mode) && static_cast<std::uintmax_t>(st.st_size) > max_bytes) {
    fail(path, "", too_large, size_text(static_cast<std::uintmax_t>(st.st_size)));
  }
  // Read to EOF rather than trusting st_size: pipes and /proc files report 0,
  // and a file may grow while we read. Stop one byte past the limit.
  std::string text;
  if (S_ISREG(st.st_mode)) text.reserve(static_cast<std::size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t got = ::read(f.fd, buf, sizeof buf);
    if (got < 0) {
      if (errno == EINTR) continue;
      io_fail(path, "a readable results file", errno);
    }
    if (got == 0) break;
    text.append(buf, static_cast<std::size_t>(got));
    if (text.size() > max_bytes) fail(path, "", too_large, "more than that");
  }
  return parse_document(text, path);
}

}  // namespace chipcert::results
