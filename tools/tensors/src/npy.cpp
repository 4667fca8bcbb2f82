// NumPy .npy (format versions 1.0, 2.0, 3.0):
//   "\x93NUMPY", major, minor, header length (u16 LE for 1.0, u32 LE for 2.0/3.0),
//   a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
//   padded with spaces to a multiple of 64 bytes and ended by '\n', then the data.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>

#include "byte_source.hpp"
#include "mambahw/tensors/tensor_file.hpp"

namespace mambahw::tensors {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;
constexpr std::uint64_t kMaxHeader = 1 << 20;  // NumPy itself refuses headers above 10 000 bytes by default
constexpr std::size_t kMaxRank = 32;           // NumPy's limit

struct NpyHeader {
  DType dtype = DType::kFp32;
  bool fortran_order = false;
  std::vector<std::int64_t> shape;
};

// NumPy's descr strings for the supported types; '|' and '<' both mean
// "no byte order" / little-endian for one-byte types.
std::optional<DType> dtype_of_descr(const std::string& d) {
  if (d == "|i1" || d == "<i1" || d == "i1") return DType::kInt8;
  if (d == "<i4") return DType::kInt32;
  if (d == "<f2") return DType::kFp16;
  if (d == "<f4") return DType::kFp32;
  return std::nullopt;
}

std::string descr_of(DType d) {
  switch (d) {
    case DType::kInt8: return "|i1";
    case DType::kInt32: return "<i4";
    case DType::kFp16: return "<f2";
    case DType::kFp32: return "<f4";
    case DType::kBf16: break;
  }
  throw TensorFileError("bfloat16 has no NumPy dtype; write it to a .safetensors file or convert it to float32");
}

std::string descr_problem(const std::string& d) {
  if (!d.empty() && d[0] == '>') return "big-endian dtype '" + d + "' (only little-endian data is supported)";
  return "unsupported dtype '" + d + "' (supported: int8 '|i1', int32 '<i4', float16 '<f2', float32 '<f4')";
}

// A recursive-descent reader of the header's restricted Python literal.
class DictReader {
 public:
  DictReader(std::string_view text, const detail::ByteSource& src) : s_(text), src_(src) {}

  NpyHeader read() {
    NpyHeader h;
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        const std::string d = string_literal();
        const auto t = dtype_of_descr(d);
        if (!t) src_.fail(descr_problem(d));
        h.dtype = *t;
        have_descr = true;
      } else if (key == "fortran_order") {
        h.fortran_order = boolean();
        have_order = true;
      } else if (key == "shape") {
        h.shape = tuple();
        have_shape = true;
      } else {
        src_.fail("unexpected key '" + key + "' in the .npy header");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      skip_space();
      if (peek() != '}') bad("',' or '}'");
    }
    ++pos_;
    skip_space();
    if (pos_ != s_.size()) bad("the end of the header");
    if (!have_descr || !have_order || !have_shape)
      src_.fail("the .npy header lacks one of 'descr', 'fortran_order', 'shape'");
    return h;
  }

 private:
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  [[noreturn]] void bad(const char* wanted) {
    src_.fail("malformed .npy header: expected " + std::string(wanted) + " at byte " + std::to_string(pos_) + " of \"" +
              std::string(s_.substr(0, 120)) + "\"");
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) bad(std::string(1, c).c_str());
    ++pos_;
  }
  std::string string_literal() {
    skip_space();
    const char q = peek();
    if (q != '\'' && q != '"') bad("a quoted string");
    const std::size_t end = s_.find(q, pos_ + 1);
    if (end == std::string_view::npos || end - pos_ > 64) bad("a closing quote");
    std::string v(s_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return v;
  }
  bool boolean() {
    skip_space();
    if (s_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (s_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    bad("True or False");
  }
  std::vector<std::int64_t> tuple() {
    expect('(');
    std::vector<std::int64_t> dims;
    while (true) {
      skip_space();
      if (peek() == ')') break;
      if (!std::isdigit(static_cast<unsigned char>(peek()))) bad("a dimension (a non-negative integer)");
      std::int64_t v = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        v = v * 10 + (s_[pos_++] - '0');  // v <= 2^56 before: no overflow
        if (v > (std::int64_t{1} << 56)) src_.fail("a dimension in the .npy header is absurdly large");
      }
      dims.push_back(v);
      if (dims.size() > kMaxRank) src_.fail("more than 32 dimensions in the .npy header");
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      skip_space();
      if (peek() != ')') bad("',' or ')'");
    }
    ++pos_;
    return dims;
  }

  std::string_view s_;
  const detail::ByteSource& src_;
  std::size_t pos_ = 0;
};

std::uint64_t read_le(const std::byte* p, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  return v;
}

// Fortran (column-major) data to C order, element by element.
std::vector<std::byte> to_c_order(const std::vector<std::byte>& f, const std::vector<std::int64_t>& shape, std::size_t es) {
  std::vector<std::byte> c(f.size());
  const std::size_t rank = shape.size();
  std::vector<std::int64_t> idx(rank, 0), fstride(rank, 1);
  for (std::size_t i = 1; i < rank; ++i) fstride[i] = fstride[i - 1] * shape[i - 1];
  const std::size_t n = es ? f.size() / es : 0;
  for (std::size_t ci = 0; ci < n; ++ci) {
    std::int64_t fi = 0;
    for (std::size_t i = 0; i < rank; ++i) fi += idx[i] * fstride[i];
    std::memcpy(c.data() + ci * es, f.data() + static_cast<std::size_t>(fi) * es, es);
    for (std::size_t i = rank; i-- > 0;) {  // next C-order index: the last dimension fastest
      if (++idx[i] < shape[i]) break;
      idx[i] = 0;
    }
  }
  return c;
}

}  // namespace

namespace detail {

StoredTensor read_npy_from(const ByteSource& src) {
  const std::uint64_t size = src.size();
  if (size < 10) src.fail("not a .npy file (" + std::to_string(size) + " bytes; truncated?)");
  std::byte pre[12]{};
  src.read(0, std::span(pre, std::min<std::uint64_t>(size, 12)));
  if (std::memcmp(pre, kMagic, kMagicLen) != 0) src.fail("not a .npy file (bad magic)");
  const int major = static_cast<int>(pre[6]), minor = static_cast<int>(pre[7]);
  if (major < 1 || major > 3 || minor != 0)
    src.fail("unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
  const int len_bytes = major == 1 ? 2 : 4;
  if (size < static_cast<std::uint64_t>(8 + len_bytes)) src.fail("truncated .npy preamble");
  const std::uint64_t header_len = read_le(pre + 8, len_bytes);
  const std::uint64_t data_offset = 8 + static_cast<std::uint64_t>(len_bytes) + header_len;
  if (header_len > kMaxHeader) src.fail("the .npy header claims " + std::to_string(header_len) + " bytes (at most 1 MiB)");
  if (data_offset > size)
    src.fail("truncated: the .npy header claims " + std::to_string(header_len) + " bytes, the file has " +
             std::to_string(size) + " in all");
  std::string text(static_cast<std::size_t>(header_len), '\0');
  src.read(8 + static_cast<std::uint64_t>(len_bytes), std::as_writable_bytes(std::span(text)));
  if (text.empty() || text.back() != '\n') src.fail("malformed .npy header (not ended by a newline)");
  text.pop_back();
  const NpyHeader h = DictReader(text, src).read();
  const std::size_t es = dtype_size(h.dtype);
  const auto bytes = checked_count(h.shape, es);
  if (!bytes) src.fail("the .npy shape overflows");
  const std::uint64_t have = size - data_offset;
  StoredTensor t{h.dtype, h.shape, {}};
  if (static_cast<std::uint64_t>(*bytes) != have)
    src.fail("the header (" + std::string(to_string(h.dtype)) + " " + t.shape_text() + ") needs " +
             std::to_string(*bytes) + " data bytes, the file has " + std::to_string(have) +
             (static_cast<std::uint64_t>(*bytes) > have ? " (truncated)" : " (trailing bytes)"));
  t.bytes.resize(static_cast<std::size_t>(*bytes));
  src.read(data_offset, t.bytes);
  if (h.fortran_order && t.shape.size() > 1) t.bytes = to_c_order(t.bytes, t.shape, es);
  return t;
}

}  // namespace detail

StoredTensor parse_npy(std::span<const std::byte> image, const std::string& name) {
  return detail::read_npy_from(detail::MemorySource(image, name));
}

StoredTensor read_npy(const std::filesystem::path& file) { return detail::read_npy_from(detail::FileSource(file)); }

std::vector<std::byte> npy_image(const StoredTensor& t) {
  if (t.bytes.size() != static_cast<std::size_t>(t.count()) * dtype_size(t.dtype))
    throw TensorFileError("npy: tensor of shape " + t.shape_text() + " holds " + std::to_string(t.bytes.size()) + " bytes");
  // NumPy's own spelling: () for a scalar, (3,) for one dimension, (3, 4) for more.
  std::string shape = "(";
  for (std::size_t i = 0; i < t.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(t.shape[i]);
  shape += t.shape.size() == 1 ? ",)" : ")";
  std::string header = "{'descr': '" + descr_of(t.dtype) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so that the data starts on a 64-byte boundary (NumPy's ARRAY_ALIGN).
  std::size_t prefix = 10;
  if (header.size() + 1 + prefix > 65535) prefix = 12;  // version 2.0: 4-byte header length
  const std::size_t total = (prefix + header.size() + 1 + 63) / 64 * 64;
  header.append(total - prefix - header.size() - 1, ' ');
  header += '\n';
  std::vector<std::byte> out(total + t.bytes.size());
  std::memcpy(out.data(), kMagic, kMagicLen);
  out[6] = std::byte{static_cast<unsigned char>(prefix == 10 ? 1 : 2)};
  out[7] = std::byte{0};
  const std::uint64_t hl = header.size();
  for (std::size_t i = 0; i < prefix - 8; ++i) out[8 + i] = std::byte{static_cast<unsigned char>((hl >> (8 * i)) & 0xFF)};
  std::memcpy(out.data() + prefix, header.data(), header.size());
  if (!t.bytes.empty()) std::memcpy(out.data() + total, t.bytes.data(), t.bytes.size());
  return out;
}

void write_npy(const std::filesystem::path& file, const StoredTensor& t) { write_file_atomically(file, npy_image(t)); }

}  // namespace mambahw::tensors
