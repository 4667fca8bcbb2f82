// $readmemh files: one word per line, ceil(width/4) lowercase hex digits,
// '\n' line ends, nothing else. Written through a temporary name and renamed
// when complete; hashed with SHA-256 while streaming (memory stays flat). A
// write error (ENOSPC, EIO, read-only) throws std::runtime_error with the
// path and strerror's reason, and the temporary file is removed.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mambahw::verif {

struct FileRecord {
  std::string name;
  int width_bits = 0;
  std::uint64_t words = 0;
  std::uint64_t bytes = 0;
  std::string sha256;  // lowercase hex
};

int hex_digits(int width_bits);

class HexFileWriter {
 public:
  HexFileWriter(const std::filesystem::path& dir, std::string name, int width_bits);
  ~HexFileWriter();  // removes the temporary file unless finish() succeeded
  HexFileWriter(const HexFileWriter&) = delete;
  HexFileWriter& operator=(const HexFileWriter&) = delete;

  void put(std::uint64_t word);
  FileRecord finish();  // flush, close, rename NAME.tmp -> NAME

 private:
  void flush();
  std::filesystem::path tmp_, final_;
  std::string name_;
  int width_, digits_;
  std::uint64_t mask_;
  std::FILE* f_ = nullptr;
  std::vector<char> buf_;
  std::size_t used_ = 0;
  std::uint64_t words_ = 0, bytes_ = 0;
  void* sha_ = nullptr;  // EVP_MD_CTX
  bool done_ = false;
};

// SHA-256 of a whole file (streamed), lowercase hex.
std::string sha256_file(const std::filesystem::path& p);
std::string sha256_bytes(const std::string& data);

// Writes `text` to dir/name through a temporary file; returns its record.
// Any failure (ENOSPC, EIO, a read-only file system) removes the temporary
// file and throws std::runtime_error naming the path and strerror's reason.
FileRecord write_text_file(const std::filesystem::path& dir, const std::string& name,
                           const std::string& text);

// Test seam (injected write failures): every writer of this library may
// write `bytes` more bytes in all, then each write fails with ENOSPC, as on
// a disk that fills up. nullopt: no limit (the default).
void simulate_disk_full_after(std::optional<std::uint64_t> bytes);

// Streams a hex file, checking every line; errors are collected, not thrown.
class HexFileReader {
 public:
  HexFileReader(const std::filesystem::path& p, int width_bits);
  ~HexFileReader();
  bool ok() const { return f_ != nullptr; }
  // Next word; false at end of file or on the first malformed line (see error()).
  bool next(std::uint64_t& word);
  const std::string& error() const { return error_; }
  std::uint64_t line() const { return line_; }

 private:
  std::FILE* f_ = nullptr;
  int width_, digits_;
  std::uint64_t line_ = 0;
  std::string error_;
  std::vector<char> buf_;
  std::size_t pos_ = 0, len_ = 0;
  bool eof_ = false;
  bool fill();
};

}  // namespace mambahw::verif
