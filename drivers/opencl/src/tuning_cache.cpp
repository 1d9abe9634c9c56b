#include "tuning_cache.hpp"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace chipcert::opencl {
namespace {

constexpr const char* kFormat = "chipcert-opencl-tuning/1";
constexpr size_t kMaxBytes = 1 << 20;  // a cache file is a few KiB; refuse anything huge

// A strict parser for the subset the cache uses: objects, strings, numbers.
// The driver must not depend on a JSON library (design: SDK only), and the
// file is ours, so anything else means "not our format".
class Parser {
 public:
  explicit Parser(const std::string& text) : s_(text) {}

  bool document(TuningEntries& out, std::string& problem) {
    std::string format;
    bool have_entries = false;
    if (!expect('{')) return fail(problem, "expected an object");
    if (peek() == '}') return fail(problem, "missing \"format\"");
    for (;;) {
      std::string key;
      if (!string(key) || !expect(':')) return fail(problem, "expected a key");
      if (key == "format") {
        if (!string(format)) return fail(problem, "\"format\" must be a string");
      } else if (key == "entries") {
        if (!entries(out)) return fail(problem, "malformed \"entries\"");
        have_entries = true;
      } else {
        return fail(problem, "unknown key \"" + key + "\"");
      }
      if (peek() == ',') {
        ++i_;
        continue;
      }
      if (!expect('}')) return fail(problem, "expected , or }");
      break;
    }
    skip_ws();
    if (i_ != s_.size()) return fail(problem, "trailing characters");
    if (format != kFormat) return fail(problem, "format is not \"" + std::string(kFormat) + "\"");
    if (!have_entries) return fail(problem, "missing \"entries\"");
    return true;
  }

 private:
  bool fail(std::string& problem, const std::string& why) {
    problem = why + " (at byte " + std::to_string(i_) + ")";
    return false;
  }
  void skip_ws() {
    while (i_ < s_.size() && std::strchr(" \t\r\n", s_[i_]) != nullptr) ++i_;
  }
  char peek() {
    skip_ws();
    return i_ < s_.size() ? s_[i_] : '\0';
  }
  bool expect(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  bool string(std::string& out) {
    if (!expect('"')) return false;
    out.clear();
    while (i_ < s_.size()) {
      const char c = s_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return false;
      const char e = s_[i_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {  // we only ever write \u00XX for control characters
          if (i_ + 4 > s_.size()) return false;
          const std::string hex = s_.substr(i_, 4);
          i_ += 4;
          char* end = nullptr;
          const long v = std::strtol(hex.c_str(), &end, 16);
          if (end != hex.c_str() + 4 || v > 0x7f) return false;
          out += static_cast<char>(v);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }
  bool number(double& out) {
    skip_ws();
    const size_t start = i_;
    while (i_ < s_.size() && std::strchr("+-0123456789.eE", s_[i_]) != nullptr) ++i_;
    if (i_ == start) return false;
    const std::string text = s_.substr(start, i_ - start);
    char* end = nullptr;
    out = std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size() && std::isfinite(out);
  }
  bool entries(TuningEntries& out) {
    if (!expect('{')) return false;
    if (peek() == '}') return ++i_, true;
    for (;;) {
      std::string key;
      if (!string(key) || !expect(':') || !expect('{')) return false;
      auto& fields = out[key];
      if (peek() != '}') {
        for (;;) {
          std::string name;
          double v = 0;
          if (!string(name) || !expect(':') || !number(v)) return false;
          fields[name] = v;
          if (peek() == ',') {
            ++i_;
            continue;
          }
          break;
        }
      }
      if (!expect('}')) return false;
      if (peek() == ',') {
        ++i_;
        continue;
      }
      return expect('}');
    }
  }

  const std::string& s_;
  size_t i_ = 0;
};

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string env(const char* name, bool& set) {
  const char* v = std::getenv(name);
  set = v != nullptr;
  return v != nullptr ? v : "";
}

}  // namespace

std::string tuning_cache_path() {
  bool set = false;
  const std::string explicit_path = env("CHIPCERT_OPENCL_TUNING_CACHE", set);
  if (set) return explicit_path;
  const std::string xdg = env("XDG_CACHE_HOME", set);
  if (!xdg.empty() && xdg.front() == '/') return xdg + "/chipcert/opencl-tuning.json";
  const std::string home = env("HOME", set);
  if (!home.empty()) return home + "/.cache/chipcert/opencl-tuning.json";
  return "";
}

bool parse_tuning_cache(const std::string& text, TuningEntries& entries, std::string& problem) {
  entries.clear();
  Parser p(text);
  if (!p.document(entries, problem)) {
    entries.clear();
    return false;
  }
  return true;
}

bool load_tuning_cache(const std::string& path, TuningEntries& entries, std::string& problem) {
  entries.clear();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problem = path + ": cannot be read (" + std::strerror(errno) + ")";
    return false;
  }
  std::string text(kMaxBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxBytes) {
    problem = path + ": larger than " + std::to_string(kMaxBytes) + " bytes";
    return false;
  }
  if (!parse_tuning_cache(text, entries, problem)) {
    problem = path + ": " + problem;
    return false;
  }
  return true;
}

std::string format_tuning_cache(const TuningEntries& entries) {
  std::ostringstream out;
  out << "{\"format\": " << quoted(kFormat) << ",\n \"entries\": {";
  bool first = true;
  for (const auto& [key, fields] : entries) {
    out << (first ? "\n  " : ",\n  ") << quoted(key) << ": {";
    first = false;
    bool first_field = true;
    for (const auto& [name, v] : fields) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", v);
      out << (first_field ? "" : ", ") << quoted(name) << ": " << buf;
      first_field = false;
    }
    out << "}";
  }
  out << "\n }}\n";
  return out.str();
}

bool store_tuning_entry(const std::string& path, const std::string& key,
                        const std::map<std::string, double>& fields, std::string& problem) {
  if (path.empty()) {
    problem = "no cache path";
    return false;
  }
  TuningEntries entries;
  std::string ignored;
  load_tuning_cache(path, entries, ignored);  // missing or broken: start afresh
  entries[key] = fields;
  std::error_code ec;
  const std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  if (ec) {
    problem = "cannot create " + target.parent_path().string() + ": " + ec.message();
    return false;
  }
  // Temp file in the same directory, then rename: readers never see half a file.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    const std::string text = format_tuning_cache(entries);
    out << text;
    out.flush();
    if (!out) {
      problem = "cannot write " + tmp;
      std::filesystem::remove(tmp, ec);
      return false;
    }
  }
  std::filesystem::rename(tmp, target, ec);
  if (ec) {
    problem = "cannot rename " + tmp + " to " + path + ": " + ec.message();
    std::filesystem::remove(tmp, ec);
    return false;
  }
  return true;
}

}  // namespace chipcert::opencl
