#include "mambahw/verif/manifest.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>

#include <fmt/core.h>

#include "mambahw/golden/fp32.hpp"

namespace mambahw::verif {

using nlohmann::json;

namespace {
const char* type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number with a fraction or exponent";
    default: return "a binary value";
  }
}
}  // namespace

void Field::fail(const std::string& what) const {
  throw ManifestError("manifest.json: " + (path_.empty() ? std::string("the document") : path_) + ": " + what);
}

std::string Field::got() const {
  // error_handler replace: a manifest with invalid UTF-8 is still reported, not a type_error.316.
  std::string s = j_->dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s + " (" + type_name(*j_) + ")";
}

void Field::require_object() const {
  if (!j_->is_object()) fail(std::string("must be an object, got ") + type_name(*j_));
}

Field Field::at(const std::string& key) const {
  require_object();
  const auto it = j_->find(key);
  const std::string p = path_.empty() ? key : path_ + "." + key;
  if (it == j_->end()) throw ManifestError("manifest.json: " + p + ": missing");
  return Field(*it, p);
}

bool Field::has(const std::string& key) const { return j_->is_object() && j_->contains(key); }

std::optional<Field> Field::maybe(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return at(key);
}

std::size_t Field::size(std::size_t max) const {
  if (!j_->is_array()) fail(std::string("must be an array, got ") + type_name(*j_));
  if (j_->size() > max) fail(fmt::format("has {} elements, more than {}", j_->size(), max));
  return j_->size();
}

Field Field::at(std::size_t i) const {
  if (i >= size()) fail(fmt::format("has no element {}", i));
  return Field((*j_)[i], fmt::format("{}[{}]", path_, i));
}

std::int64_t Field::integer(std::int64_t lo, std::int64_t hi) const {
  // Integers only: a float (even 2.0 or 1e300) is refused before any conversion.
  std::optional<std::int64_t> v;
  if (j_->is_number_unsigned()) {
    if (const std::uint64_t u = j_->get<std::uint64_t>(); u <= static_cast<std::uint64_t>(INT64_MAX))
      v = static_cast<std::int64_t>(u);
  } else if (j_->is_number_integer()) {
    v = j_->get<std::int64_t>();
  }
  if (!v || *v < lo || *v > hi) fail(fmt::format("must be an integer in [{}, {}], got {}", lo, hi, got()));
  return *v;
}

std::uint64_t Field::count(std::uint64_t hi) const {
  if (j_->is_number_unsigned() && j_->get<std::uint64_t>() <= hi) return j_->get<std::uint64_t>();
  if (j_->is_number_integer() && j_->get<std::int64_t>() >= 0 && static_cast<std::uint64_t>(j_->get<std::int64_t>()) <= hi)
    return static_cast<std::uint64_t>(j_->get<std::int64_t>());
  fail(fmt::format("must be an integer in [0, {}], got {}", hi, got()));
}

bool Field::boolean() const {
  if (!j_->is_boolean()) fail("must be true or false, got " + got());
  return j_->get<bool>();
}

std::string Field::string(std::size_t max_bytes) const {
  if (!j_->is_string()) fail("must be a string, got " + got());
  const std::string& s = j_->get_ref<const std::string&>();
  if (s.size() > max_bytes) fail(fmt::format("is a string of {} bytes, more than {}", s.size(), max_bytes));
  return s;
}

float Field::hex_float() const {
  const std::string s = string(64);
  bool ok = s.size() == 10 && s[0] == '0' && s[1] == 'x';
  std::uint32_t bits = 0;
  for (std::size_t i = 2; ok && i < s.size(); ++i) {
    const char c = s[i];
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) ok = false;
    bits = (bits << 4) | static_cast<std::uint32_t>(d < 0 ? 0 : d);
  }
  if (!ok) fail("must be an FP32 register as \"0x\" and 8 lowercase hex digits, got " + got());
  return float_of(bits);
}

std::string plain_file_name_problem(const std::string& name) {
  if (name.empty()) return "an empty file name";
  if (name.size() > 255) return fmt::format("a file name of {} bytes (at most 255)", name.size());
  for (const char c : name) {
    if (c == '/') return "a path, not a plain file name (files must be inside the vector directory)";
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return "a name with control characters";
  }
  if (name[0] == '.') return "a name starting with '.'";
  return {};
}

std::string plain_file_problem(const std::filesystem::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return errno == ENOENT ? "missing" : std::string("cannot be read (") + std::strerror(errno) + ")";
  if (S_ISREG(st.st_mode)) {
    if (::access(p.c_str(), R_OK) != 0) return std::string("cannot be read (") + std::strerror(errno) + ")";
    return {};
  }
  const char* what = S_ISDIR(st.st_mode)    ? "a directory"
                     : S_ISLNK(st.st_mode)  ? "a symbolic link"
                     : S_ISFIFO(st.st_mode) ? "a FIFO"
                     : S_ISSOCK(st.st_mode) ? "a socket"
                                            : "a device";
  return std::string("is ") + what + ", not a plain file (refused: a vector directory holds only plain files)";
}

json read_json_file(const std::filesystem::path& p, std::uint64_t max_bytes) {
  const std::string name = p.filename().string();
  if (const std::string why = plain_file_problem(p); !why.empty()) throw ManifestError(name + ": " + why);
  const int fd = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) throw ManifestError(name + ": cannot open (" + std::strerror(errno) + ")");
  std::string text;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      throw ManifestError(name + ": cannot read (" + std::strerror(e) + ")");
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > max_bytes) {
      ::close(fd);
      throw ManifestError(fmt::format("{}: larger than {} bytes (not a manifest?)", name, max_bytes));
    }
  }
  ::close(fd);
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    // parse_error, or out_of_range for a number no double holds (1e400):
    // the parser's text without its "[json.exception.parse_error.101] " prefix.
    std::string why = e.what();
    if (const auto k = why.find("] "); k != std::string::npos) why = why.substr(k + 2);
    const auto* pe = dynamic_cast<const json::parse_error*>(&e);
    throw ManifestError(fmt::format("{}: not valid JSON ({}){}", name, why,
                                    pe && pe->byte >= text.size() ? "; the file ends early (truncated?)" : ""));
  }
}

}  // namespace mambahw::verif
