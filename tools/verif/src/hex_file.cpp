#include "mambahw/verif/hex_file.hpp"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <system_error>

namespace mambahw::verif {

namespace fs = std::filesystem;

int hex_digits(int width_bits) {
  if (width_bits < 1 || width_bits > 64)
    throw std::invalid_argument("a hex word is 1 to 64 bits wide, not " + std::to_string(width_bits));
  return (width_bits + 3) / 4;
}

namespace {
constexpr char kHex[] = "0123456789abcdef";

// simulate_disk_full_after(): bytes left before writes fail with ENOSPC.
std::optional<std::uint64_t> g_disk_left;

// Writes all n bytes or sets errno and returns false (a full disk as the
// seam simulates it: what fits is written, then ENOSPC).
bool write_all(std::FILE* f, const char* data, std::size_t n) {
  if (g_disk_left && n > *g_disk_left) {
    const std::size_t fit = static_cast<std::size_t>(*g_disk_left);
    if (fit) (void)std::fwrite(data, 1, fit, f);
    *g_disk_left = 0;
    errno = ENOSPC;
    return false;
  }
  if (g_disk_left) *g_disk_left -= n;
  errno = 0;
  if (std::fwrite(data, 1, n, f) == n) return true;
  if (errno == 0) errno = EIO;
  return false;
}

// Flushes and closes; false with errno set on any failure (ENOSPC often
// shows only here, when the buffered tail is written).
bool close_file(std::FILE* f) {
  errno = 0;
  const bool flushed = std::fflush(f) == 0;
  const int flush_errno = errno;
  const bool closed = std::fclose(f) == 0;
  if (!flushed) errno = flush_errno;
  if (!(flushed && closed) && errno == 0) errno = EIO;
  return flushed && closed;
}

[[noreturn]] void write_failed(const fs::path& p, int err) {
  throw std::runtime_error("cannot write " + p.string() + ": " + std::strerror(err));
}

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
  f_ = std::fopen(tmp_.c_str(), "wbx");  // x: never through a leftover or planted name
  if (!f_ && errno == EEXIST) {
    std::error_code ec;
    fs::remove(tmp_, ec);
    f_ = std::fopen(tmp_.c_str(), "wbx");
  }
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
  if (!write_all(f_, buf_.data(), used_)) write_failed(tmp_, errno);  // the destructor removes the temporary file
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(sha_), buf_.data(), used_);
  bytes_ += used_;
  used_ = 0;
}

FileRecord HexFileWriter::finish() {
  flush();
  std::FILE* f = f_;
  f_ = nullptr;
  if (!close_file(f)) write_failed(tmp_, errno);
  FileRecord r{name_, width_, words_, bytes_, final_sha(static_cast<EVP_MD_CTX*>(sha_))};
  sha_ = nullptr;
  std::error_code ec;
  fs::rename(tmp_, final_, ec);
  if (ec) throw std::runtime_error("cannot rename " + tmp_.string() + " to " + final_.filename().string() + ": " + ec.message());
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
  std::error_code ec;
  fs::remove(tmp, ec);  // a leftover of an interrupted export
  std::FILE* f = std::fopen(tmp.c_str(), "wbx");
  if (!f) throw std::runtime_error("cannot create " + tmp.string() + ": " + std::strerror(errno));
  const bool written = write_all(f, text.data(), text.size());
  int err = errno;
  const bool closed = close_file(f);
  if (written) err = errno;
  if (!written || !closed) {
    fs::remove(tmp, ec);  // never a half-written file under either name
    write_failed(tmp, err);
  }
  fs::rename(tmp, dir / name, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw std::runtime_error("cannot rename " + tmp.string() + " to " + name + ": " + ec.message());
  }
  return {name, 0, 0, text.size(), sha256_bytes(text)};
}

void simulate_disk_full_after(std::optional<std::uint64_t> bytes) { g_disk_left = bytes; }

HexFileReader::HexFileReader(const fs::path& p, int width_bits)
    : width_(width_bits), digits_(hex_digits(width_bits)) {
  f_ = std::fopen(p.c_str(), "rb");
  if (!f_) {
    error_ = std::string("cannot open (") + std::strerror(errno) + ")";
    return;
  }
  // A buffer of up to 1 MiB, no larger than the file needs (small memory images stay small).
  struct stat st {};
  const std::uint64_t size = ::fstat(::fileno(f_), &st) == 0 && st.st_size > 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  buf_.resize(static_cast<std::size_t>(std::clamp<std::uint64_t>(size + 1, 64, 1 << 20)));
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
