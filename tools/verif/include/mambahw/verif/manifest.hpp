// Reading a vector manifest (manifest.json) without trusting it: every value
// is taken through a Field, which knows its path in the document
// ("files[2].width_bits") and checks type and range before converting, so a
// crafted or damaged manifest gives a ManifestError naming the field, what it
// must be and what it holds, and never a raw nlohmann exception, a
// float->int conversion out of range or a shift by a bad width.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "mambahw/golden/enum_names.hpp"

namespace mambahw::verif {

class ManifestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Field {
 public:
  Field(const nlohmann::json& j, std::string path) : j_(&j), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  const nlohmann::json& json() const { return *j_; }

  // A required member of an object / an element of an array.
  Field at(const std::string& key) const;
  Field at(std::size_t i) const;
  bool has(const std::string& key) const;
  std::optional<Field> maybe(const std::string& key) const;
  // The array's size (it must be an array of at most `max` elements).
  std::size_t size(std::size_t max = std::size_t{1} << 24) const;
  void require_object() const;

  std::int64_t integer(std::int64_t lo, std::int64_t hi) const;
  std::uint64_t count(std::uint64_t hi = std::uint64_t{1} << 53) const;  // an integer in [0, hi]
  int small_int(int lo, int hi) const { return static_cast<int>(integer(lo, hi)); }
  bool boolean() const;
  std::string string(std::size_t max_bytes = 4096) const;
  // An FP32 register written as "0x" and 8 hex digits.
  float hex_float() const;
  template <class E>
  E enumerated() const {
    const std::string s = string();
    if (const auto v = parse_enum<E>(s)) return *v;
    fail("'" + s + "' is not one of " + names_of<E>());
  }

  [[noreturn]] void fail(const std::string& what) const;

 private:
  template <class E>
  static std::string names_of() {
    std::string out;
    for (const std::string& n : enum_names<E>()) out += (out.empty() ? "" : ", ") + n;
    return out;
  }
  std::string got() const;  // the value, shortened, for messages
  const nlohmann::json* j_;
  std::string path_;
};

// "" if `name` may be a file of a vector directory: a plain name (no '/',
// not "." or "..", no leading '.', no control characters, at most 255 bytes),
// else why not. Manifests may name only plain files inside their directory.
std::string plain_file_name_problem(const std::string& name);

// Why `p` is not a plain file one may read ("missing", "a directory, not a
// plain file", "a symbolic link, not a plain file", "a FIFO ...", the OS
// error), or "" if it is one. Symbolic links are not followed.
std::string plain_file_problem(const std::filesystem::path& p);

// The JSON document in a file of at most `max_bytes`, or a ManifestError
// saying why not ("not valid JSON at line 3, column 7: ...", never the
// parser's raw exception text).
nlohmann::json read_json_file(const std::filesystem::path& p, std::uint64_t max_bytes = std::uint64_t{64} << 20);

}  // namespace mambahw::verif
