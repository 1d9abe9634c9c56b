#pragma once
/// JSON (de)serialisation of the results model. Parsing is strict: every
/// required field present, every type right, no unknown fields, no duplicate
/// keys; errors are ParseError naming the JSON pointer and what was expected.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "chipcert/results/model.hpp"

namespace chipcert::results {

/// Files larger than this are refused by read_document(path) before reading.
inline constexpr std::uintmax_t kMaxDocumentBytes = std::uintmax_t{256} << 20;

/// A document that does not match the schema. what() reads
/// "<source>: <json-pointer>: expected <what>, found <what>"; the document
/// root (pointer "") is shown as "(root)". pointer() is the real RFC 6901
/// pointer ("" for the root). I/O errors use the root pointer too.
class ParseError : public std::runtime_error {
 public:
  ParseError(std::string source, std::string pointer, std::string message);
  const std::string& source() const { return source_; }
  const std::string& pointer() const { return pointer_; }

 private:
  std::string source_;
  std::string pointer_;
};

/// Build the JSON tree. Optional members that are absent are omitted.
/// Throws std::invalid_argument naming the JSON pointer when the model holds
/// something JSON cannot carry (NaN, infinity, invalid UTF-8, nesting deeper
/// than 256 in parameters/details).
nlohmann::json to_json(const Document& doc);
nlohmann::json to_json(const Case& c);
nlohmann::json to_json(const Device& d);
nlohmann::json to_json(const Host& h);

/// Parse a document from JSON already parsed. `source` names the file in errors.
Document document_from_json(const nlohmann::json& j, std::string_view source);
Case case_from_json(const nlohmann::json& j, std::string_view source, const std::string& pointer);

/// Parse any JSON text strictly: duplicate keys, non-finite numbers and
/// trailing garbage rejected; errors name `source` and the JSON pointer.
/// Every chipcert input file (suites, profiles, policies, ...) goes through it.
nlohmann::json parse_json_strict(std::string_view text, std::string_view source);

/// Parse text strictly (duplicate keys rejected) and convert. Throws ParseError.
Document parse_document(std::string_view text, std::string_view source);

/// Read a file (size-limited) and parse it. Throws ParseError (I/O errors too).
Document read_document(const std::string& path);
/// Same, with an explicit size limit in bytes (tests, tools with other needs).
Document read_document(const std::string& path, std::uintmax_t max_bytes);

/// Serialise with 2-space indentation and a trailing newline. Never writes a
/// document that read_document would reject: the tree is checked with
/// document_from_json first, and any problem (NaN, unknown device, duplicate
/// id, ...) is thrown as std::invalid_argument naming the JSON pointer.
std::string dump_document(const Document& doc);

}  // namespace chipcert::results
