// Strict reading of YAML configuration: every error names the file, line,
// column and dotted field path; every key that is not read is rejected as
// unknown (with the closest known key suggested); duplicate keys are refused.
//
//   YamlMap map = YamlMap::load_file("configs/default.yaml");
//   int len = map.required<int>("seq_len", positive<int>());
//   map.finish();   // throws on keys nobody asked for
//
// A section may be given inline or as a string naming another YAML file,
// relative to the including file (YamlMap::section).
//
// Limits, so that no input can exhaust time or memory before it is refused
// (docs/configs.md): a file is at most kMaxConfigFileBytes, valid UTF-8, one
// YAML document, indented with spaces; its node tree, with every alias
// expanded, has at most kMaxConfigNodes nodes; includes nest at most
// kMaxIncludeDepth deep and never form a cycle.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "mambahw/config/error.hpp"
#include "mambahw/golden/enum_names.hpp"

namespace mambahw {

// file:line:col: field: message   (line and column 1-based)
std::string config_location(const std::string& file, const YAML::Mark& mark);

inline constexpr std::uint64_t kMaxConfigFileBytes = 4u << 20;  // 4 MiB (the shipped configs are < 4 KiB)
inline constexpr std::uint64_t kMaxConfigNodes = 1u << 20;       // after alias expansion
inline constexpr int kMaxIncludeDepth = 16;

template <class T>
using Check = std::function<std::string(const T&)>;  // "" if fine, else what is wrong

// A value that replaces (or adds) one field of a document, by its dotted
// field path as errors spell it ("hardware.gemm.rows", "scheme.ssm_input.scale2",
// "study[1].conv_out.percentile"): what a sweep point changes. The parser
// reads the override wherever it would read the field, so an override is
// validated exactly like the file's own value; a path that no parser reads
// is an error naming it. `where` ("spec.yaml:12:7") is where the value came
// from: errors about the value point there.
struct ConfigOverride {
  YAML::Node value;
  std::string where;
  bool used = false;
};
using ConfigOverrides = std::map<std::string, ConfigOverride>;

class YamlMap {
 public:
  // The files being read, outermost first (to refuse include cycles).
  using IncludeChain = std::vector<std::filesystem::path>;

  YamlMap(YAML::Node node, std::string file, std::string path, IncludeChain chain = {});
  static YamlMap load_file(const std::filesystem::path& file);
  // The same, with fields replaced by `overrides` (shared with every section
  // and include of the document; each one read is marked used).
  static YamlMap load_file(const std::filesystem::path& file, std::shared_ptr<ConfigOverrides> overrides);

  const std::string& file() const { return file_; }
  // Every file read so far for this document: the top file, then each
  // include in the order it was loaded (shared by all its sections).
  const std::vector<std::string>& files() const { return *files_; }
  const std::string& path() const { return path_; }
  std::string field(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const YAML::Node& node() const { return node_; }

  bool has(const std::string& key) const;
  // The raw node of `key` (marks it read); a null node if absent.
  YAML::Node raw(const std::string& key);

  template <class T>
  T required(const std::string& key, const Check<T>& check = {});
  template <class T>
  T optional(const std::string& key, T fallback, const Check<T>& check = {});
  template <class T>
  std::optional<T> maybe(const std::string& key, const Check<T>& check = {});
  // A named enum (mambahw/golden/enum_names.hpp): the value must be one of
  // E's names; the error lists them.
  template <NamedEnum E>
  E enumerated(const std::string& key, E fallback);
  template <NamedEnum E>
  E required_enum(const std::string& key);
  // A list of scalars, or of lists (nested std::vector).
  template <class T>
  std::vector<T> list(const std::string& key, const Check<T>& check = {});

  // A nested mapping: inline, or a string naming a YAML file to load.
  YamlMap section(const std::string& key);
  std::optional<YamlMap> maybe_section(const std::string& key);
  // Entries of a list that are sections (inline maps or file names).
  std::vector<YamlMap> section_list(const std::string& key);
  // The whole file that the string `key` names, as a top-level mapping of its
  // own (a technology table's `base:`); refuses cycles like any include.
  // A name not found beside this file is looked up in `fallback_dir` (the
  // shipped tables) when one is given.
  YamlMap base_file(const std::string& key, const std::filesystem::path& fallback_dir = {});

  // Throws for every key present but never read.
  void finish() const;

  [[noreturn]] void fail(const std::string& key, const std::string& message) const;
  [[noreturn]] void fail_at(const YAML::Node& at, const std::string& field,
                            const std::string& message) const;

 private:
  // `path`: the included mapping's dotted field path (field(key) for a section).
  YamlMap load_include(const YAML::Node& at, const std::string& key, const std::string& rel,
                       const std::string& path, const std::filesystem::path& fallback_dir = {}) const;

  // The override of `f`, if any, and whether any override lies below `f`
  // (a key of it: "f.x"; with list_entries also an entry: "f[2]...").
  ConfigOverride* override_of(const std::string& f) const;
  bool overridden_below(const std::string& f, bool list_entries) const;
  // Copies the document-wide state (files read, overrides) into a section.
  YamlMap& share_into(YamlMap& m) const;
  void apply_overrides();

  YAML::Node node_;
  std::string file_;
  std::string path_;
  IncludeChain chain_;
  mutable std::set<std::string> read_;
  std::shared_ptr<std::vector<std::string>> files_;
  std::shared_ptr<ConfigOverrides> overrides_;
};

// Scalar conversion with strict typing: "1.5" is not an int, "yes" is not a
// number, ".nan"/".inf" are doubles (checks then refuse them where needed).
template <class T>
T scalar_as(const YAML::Node& n, const YamlMap& where, const std::string& field);

// Common checks.
template <class T>
Check<T> positive() {
  return [](const T& v) { return v > T{} ? std::string{} : std::string("must be positive"); };
}
template <class T>
Check<T> in_range(T lo, T hi) {
  return [lo, hi](const T& v) {
    return (v >= lo && v <= hi) ? std::string{}
                                : "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  };
}
Check<double> finite_positive_fp32();  // a positive, finite, normal FP32 scale
Check<std::string> one_of(std::vector<std::string> names);

// ---- template definitions ------------------------------------------------------

template <class T>
T YamlMap::required(const std::string& key, const Check<T>& check) {
  if (!has(key)) fail(key, "is required but missing");
  auto v = maybe<T>(key, check);
  return *v;
}

template <class T>
T YamlMap::optional(const std::string& key, T fallback, const Check<T>& check) {
  auto v = maybe<T>(key, check);
  return v ? *v : fallback;
}

template <class T>
std::optional<T> YamlMap::maybe(const std::string& key, const Check<T>& check) {
  YAML::Node n = raw(key);
  if (!n) return std::nullopt;
  T v = scalar_as<T>(n, *this, field(key));
  if (check) {
    if (std::string why = check(v); !why.empty()) fail_at(n, field(key), why);
  }
  return v;
}

template <NamedEnum E>
E YamlMap::enumerated(const std::string& key, E fallback) {
  return *parse_enum<E>(optional<std::string>(key, std::string(to_string(fallback)), one_of(enum_names<E>())));
}

template <NamedEnum E>
E YamlMap::required_enum(const std::string& key) {
  return *parse_enum<E>(required<std::string>(key, one_of(enum_names<E>())));
}

namespace detail {
template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};
}  // namespace detail

template <class T>
std::vector<T> list_of(const YAML::Node& n, const YamlMap& where, const std::string& field,
                       const Check<T>& check);

template <class T>
std::vector<T> YamlMap::list(const std::string& key, const Check<T>& check) {
  YAML::Node n = raw(key);
  if (!n) fail(key, "is required but missing");
  return list_of<T>(n, *this, field(key), check);
}

template <class T>
std::vector<T> list_of(const YAML::Node& n, const YamlMap& where, const std::string& field,
                       const Check<T>& check) {
  if (!n.IsSequence()) where.fail_at(n, field, "must be a list");
  std::vector<T> out;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const std::string f = field + "[" + std::to_string(i) + "]";
    if constexpr (detail::is_vector<T>::value) {
      out.push_back(list_of<typename T::value_type>(n[i], where, f, {}));
    } else {
      T v = scalar_as<T>(n[i], where, f);
      if (check) {
        if (std::string why = check(v); !why.empty()) where.fail_at(n[i], f, why);
      }
      out.push_back(v);
    }
  }
  return out;
}

}  // namespace mambahw
