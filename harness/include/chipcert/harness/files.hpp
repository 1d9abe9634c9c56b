#pragma once
/// File I/O with the guarantees a long measurement needs: size-limited reads
/// with messages that name the file, and atomic replacement (temp file in the
/// same directory, fsync, rename, fsync of the directory) so a crash or a
/// full disk never leaves a half-written results document.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace chipcert::harness {

/// An I/O failure; what() names the file and the system's reason.
class FileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An input file that cannot be read or is too large (a bad input, not a
/// broken system: the exit code differs).
class ReadError : public FileError {
 public:
  using FileError::FileError;
};

/// Whole file as text; throws ReadError when missing, unreadable or > max_bytes.
std::string read_text_file(const std::string& path, size_t max_bytes);

/// Replace `path` atomically with `content`, creating parent directories.
void write_file_atomic(const std::string& path, std::string_view content);

/// Lowercase hex SHA-256 of a file's bytes (streamed); throws FileError.
std::string sha256_file(const std::string& path);

}  // namespace chipcert::harness
