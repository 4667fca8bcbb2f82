#include "mambahw/verif/hex_file.hpp"

#include <openssl/evp.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace mambahw::verif {

namespace fs = std::filesystem;

int hex_digits(int width_bits) { return (width_bits + 3) / 4; }

namespace {
constexpr char kHex[] = "0123456789abcdef";

std::string to_hex(const unsigned char* d, unsigned n) {
  std::string s;
  for (unsigned i = 0; i < n; ++i) {
    s += kHex[d[i] >> 4];
    s += kHex[d[i] & 15];
  }
  return s;
}

EVP_MD_CTX* new_sha() {
  EVP_MD_CTX* c = EVP_MD_CTX_new();
  if (!c || EVP_DigestInit_ex(c, EVP_sha256(), nullptr) != 1) throw std::runtime_error("SHA-256 unavailable");
  return c;
}
std::string final_sha(EVP_MD_CTX* c) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> d{};
  unsigned n = 0;
  EVP_DigestFinal_ex(c, d.data(), &n);
  EVP_MD_CTX_free(c);
  return to_hex(d.data(), n);
}
}  // namespace

HexFileWriter::HexFileWriter(const fs::path& dir, std::string name, int width_bits)
    : tmp_(dir / (name + ".tmp")),
      final_(dir / name),
      name_(std::move(name)),
      width_(width_bits),
      digits_(hex_digits(width_bits)),
      mask_(width_bits >= 64 ? ~0ull : (1ull << width_bits) - 1),
      buf_(1 << 20) {
  f_ = std::fopen(tmp_.c_str(), "wb");
  if (!f_) throw std::runtime_error("cannot create " + tmp_.string() + ": " + std::strerror(errno));
  sha_ = new_sha();
}

HexFileWriter::~HexFileWriter() {
  if (f_) std::fclose(f_);
  if (sha_ && !done_) EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(sha_));
  if (!done_) {
    std::error_code ec;
    fs::remove(tmp_, ec);
  }
}

void HexFileWriter::put(std::uint64_t word) {
  if (used_ + 17 > buf_.size()) flush();
  word &= mask_;
  char* p = buf_.data() + used_;
  for (int i = digits_ - 1; i >= 0; --i) {
    p[i] = kHex[word & 15];
    word >>= 4;
  }
  p[digits_] = '\n';
  used_ += static_cast<std::size_t>(digits_) + 1;
  ++words_;
}

void HexFileWriter::flush() {
  if (used_ == 0) return;
  if (std::fwrite(buf_.data(), 1, used_, f_) != used_)
    throw std::runtime_error("write failed: " + tmp_.string() + ": " + std::strerror(errno));
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(sha_), buf_.data(), used_);
  bytes_ += used_;
  used_ = 0;
}

FileRecord HexFileWriter::finish() {
  flush();
  if (std::fflush(f_) != 0 || std::fclose(f_) != 0) {
    f_ = nullptr;
    throw std::runtime_error("write failed: " + tmp_.string());
  }
  f_ = nullptr;
  FileRecord r{name_, width_, words_, bytes_, final_sha(static_cast<EVP_MD_CTX*>(sha_))};
  sha_ = nullptr;
  fs::rename(tmp_, final_);
  done_ = true;
  return r;
}

std::string sha256_bytes(const std::string& data) {
  EVP_MD_CTX* c = new_sha();
  EVP_DigestUpdate(c, data.data(), data.size());
  return final_sha(c);
}

std::string sha256_file(const fs::path& p) {
  std::FILE* f = std::fopen(p.c_str(), "rb");
  if (!f) return {};
  EVP_MD_CTX* c = new_sha();
  std::vector<char> buf(1 << 20);
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), f)) EVP_DigestUpdate(c, buf.data(), n);
  std::fclose(f);
  return final_sha(c);
}

FileRecord write_text_file(const fs::path& dir, const std::string& name, const std::string& text) {
  const fs::path tmp = dir / (name + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out.flush()) throw std::runtime_error("write failed: " + tmp.string());
  }
  fs::rename(tmp, dir / name);
  return {name, 0, 0, text.size(), sha256_bytes(text)};
}

HexFileReader::HexFileReader(const fs::path& p, int width_bits)
    : width_(width_bits), digits_(hex_digits(width_bits)), buf_(1 << 20) {
  f_ = std::fopen(p.c_str(), "rb");
  if (!f_) error_ = "cannot open";
}

HexFileReader::~HexFileReader() {
  if (f_) std::fclose(f_);
}

bool HexFileReader::fill() {
  if (eof_) return false;
  if (pos_ < len_) std::copy(buf_.begin() + static_cast<std::ptrdiff_t>(pos_), buf_.begin() + static_cast<std::ptrdiff_t>(len_), buf_.begin());
  len_ -= pos_;
  pos_ = 0;
  const std::size_t n = std::fread(buf_.data() + len_, 1, buf_.size() - len_, f_);
  if (n == 0) eof_ = true;
  len_ += n;
  return n > 0;
}

bool HexFileReader::next(std::uint64_t& word) {
  if (!f_ || !error_.empty()) return false;
  if (len_ - pos_ < static_cast<std::size_t>(digits_) + 1) fill();
  if (pos_ == len_) return false;  // clean end of file
  ++line_;
  std::uint64_t v = 0;
  std::size_t i = pos_;
  int n = 0;
  for (; i < len_ && buf_[i] != '\n'; ++i, ++n) {
    const char c = buf_[i];
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else {
      error_ = "line " + std::to_string(line_) + ": not a hex digit: '" + std::string(1, c) + "'";
      return false;
    }
    if (n >= digits_) break;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  if (n != digits_ || i >= len_ || buf_[i] != '\n') {
    error_ = "line " + std::to_string(line_) + ": expected " + std::to_string(digits_) +
             " hex digits and a newline" + (i >= len_ ? " (file truncated?)" : "");
    return false;
  }
  if (width_ < 64 && (v >> width_) != 0) {
    error_ = "line " + std::to_string(line_) + ": value wider than " + std::to_string(width_) + " bits";
    return false;
  }
  pos_ = i + 1;
  word = v;
  return true;
}

}  // namespace mambahw::verif
