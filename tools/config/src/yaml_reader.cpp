#include "mambahw/config/yaml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>

namespace mambahw {

std::string config_location(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return file;
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

YAML::Node parse_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    throw ConfigError(file.string() + ": is a directory, not a YAML file");
  try {
    return YAML::LoadFile(file.string());
  } catch (const YAML::BadFile&) {
    throw ConfigError(file.string() + ": cannot open the file");
  } catch (const YAML::ParserException& e) {
    throw ConfigError(config_location(file.string(), e.mark) + ": YAML syntax error: " + e.msg);
  }
}

}  // namespace

YamlMap::YamlMap(YAML::Node node, std::string file, std::string path)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)),
      files_(std::make_shared<std::vector<std::string>>(1, file_)) {
  if (!node_.IsMap()) {
    const std::string what = path_.empty() ? "the file" : path_;
    throw ConfigError(config_location(file_, node_.Mark()) + ": " + what +
                      " must be a mapping of keys to values");
  }
  std::map<std::string, YAML::Mark> seen;
  for (const auto& kv : node_) {
    const std::string key = kv.first.as<std::string>();
    if (seen.count(key))
      throw ConfigError(config_location(file_, kv.first.Mark()) + ": " + field(key) +
                        ": duplicate key (first given at line " +
                        std::to_string(seen[key].line + 1) + ")");
    seen.emplace(key, kv.first.Mark());
  }
}

YamlMap YamlMap::load_file(const std::filesystem::path& file) {
  YAML::Node n = parse_file(file);
  if (!n || n.IsNull()) throw ConfigError(file.string() + ": the file is empty");
  return YamlMap(n, file.string(), "");
}

bool YamlMap::has(const std::string& key) const { return static_cast<bool>(node_[key]); }

YAML::Node YamlMap::raw(const std::string& key) {
  read_.insert(key);
  const YAML::Node& cn = node_;
  YAML::Node n = cn[key];
  return n;
}

void YamlMap::fail(const std::string& key, const std::string& message) const {
  const YAML::Node& cn = node_;
  const YAML::Node n = cn[key];
  fail_at(n ? n : node_, field(key), message);
}

void YamlMap::fail_at(const YAML::Node& at, const std::string& f, const std::string& message) const {
  throw ConfigError(config_location(file_, at.Mark()) + ": " + f + ": " + message);
}

YamlMap YamlMap::load_include(const YAML::Node& at, const std::string& key,
                              const std::string& rel) const {
  const std::filesystem::path p = std::filesystem::path(file_).parent_path() / rel;
  if (!std::filesystem::exists(p)) fail_at(at, field(key), "included file '" + p.string() + "' does not exist");
  if (std::filesystem::is_directory(p))
    fail_at(at, field(key), "included file '" + p.string() + "' is a directory");
  YAML::Node n = parse_file(p);
  if (!n || n.IsNull()) throw ConfigError(p.string() + ": the file is empty");
  YamlMap m(n, p.string(), field(key));
  files_->push_back(p.string());
  m.files_ = files_;
  return m;
}

YamlMap YamlMap::section(const std::string& key) {
  auto s = maybe_section(key);
  if (!s) fail(key, "is required but missing");
  return *s;
}

std::optional<YamlMap> YamlMap::maybe_section(const std::string& key) {
  YAML::Node n = raw(key);
  if (!n) return std::nullopt;
  if (n.IsScalar()) return load_include(n, key, n.as<std::string>());
  if (!n.IsMap()) fail_at(n, field(key), "must be a mapping or the name of a YAML file");
  return YamlMap(n, file_, field(key));
}

std::vector<YamlMap> YamlMap::section_list(const std::string& key) {
  YAML::Node n = raw(key);
  std::vector<YamlMap> out;
  if (!n) return out;
  if (!n.IsSequence()) fail_at(n, field(key), "must be a list");
  for (std::size_t i = 0; i < n.size(); ++i) {
    const std::string f = key + "[" + std::to_string(i) + "]";
    if (n[i].IsScalar()) out.push_back(load_include(n[i], f, n[i].as<std::string>()));
    else if (n[i].IsMap()) out.emplace_back(n[i], file_, field(f));
    else fail_at(n[i], field(f), "must be a mapping or the name of a YAML file");
  }
  return out;
}

void YamlMap::finish() const {
  for (const auto& kv : node_) {
    const std::string key = kv.first.as<std::string>();
    if (read_.count(key)) continue;
    std::string best;
    std::size_t best_d = 3;  // suggest only close matches
    for (const auto& known : read_) {
      const std::size_t d = edit_distance(key, known);
      if (d < best_d) best_d = d, best = known;
    }
    std::string msg = "unknown key";
    if (!best.empty()) msg += " (did you mean '" + best + "'?)";
    std::string known_list;
    for (const auto& k : read_) known_list += (known_list.empty() ? "" : ", ") + k;
    if (!known_list.empty()) msg += "; known keys here: " + known_list;
    throw ConfigError(config_location(file_, kv.first.Mark()) + ": " + field(key) + ": " + msg);
  }
}

// ---- scalar conversion -----------------------------------------------------------

namespace {
std::string scalar_text(const YAML::Node& n, const YamlMap& where, const std::string& f,
                        const char* type) {
  if (!n.IsScalar()) where.fail_at(n, f, std::string("must be ") + type);
  return n.Scalar();
}
}  // namespace

template <>
std::string scalar_as<std::string>(const YAML::Node& n, const YamlMap& w, const std::string& f) {
  return scalar_text(n, w, f, "a string");
}

template <>
bool scalar_as<bool>(const YAML::Node& n, const YamlMap& w, const std::string& f) {
  const std::string s = scalar_text(n, w, f, "true or false");
  if (s == "true") return true;
  if (s == "false") return false;
  w.fail_at(n, f, "must be true or false, got '" + s + "'");
}

namespace {
template <class I>
I parse_integer(const YAML::Node& n, const YamlMap& w, const std::string& f) {
  const std::string s = scalar_text(n, w, f, "an integer");
  I v{};
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (b != e && *b == '+') ++b;
  const auto [p, ec] = std::from_chars(b, e, v);
  if (ec == std::errc::result_out_of_range) w.fail_at(n, f, "integer '" + s + "' is out of range");
  if (ec != std::errc() || p != e) w.fail_at(n, f, "must be an integer, got '" + s + "'");
  return v;
}
}  // namespace

template <>
int scalar_as<int>(const YAML::Node& n, const YamlMap& w, const std::string& f) {
  return parse_integer<int>(n, w, f);
}
template <>
std::int64_t scalar_as<std::int64_t>(const YAML::Node& n, const YamlMap& w, const std::string& f) {
  return parse_integer<std::int64_t>(n, w, f);
}
template <>
std::uint64_t scalar_as<std::uint64_t>(const YAML::Node& n, const YamlMap& w, const std::string& f) {
  return parse_integer<std::uint64_t>(n, w, f);
}

template <>
double scalar_as<double>(const YAML::Node& n, const YamlMap& w, const std::string& f) {
  const std::string s = scalar_text(n, w, f, "a number");
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == ".nan" || lower == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (lower == ".inf" || lower == "+.inf" || lower == "inf") return INFINITY;
  if (lower == "-.inf" || lower == "-inf") return -INFINITY;
  double v{};
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (b != e && *b == '+') ++b;
  const auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e) w.fail_at(n, f, "must be a number, got '" + s + "'");
  return v;
}

Check<double> finite_positive_fp32() {
  return [](const double& v) -> std::string {
    if (std::isnan(v)) return "must be a number, got NaN";
    if (!std::isfinite(v)) return "must be finite";
    if (v <= 0.0) return "must be positive";
    const auto f = static_cast<float>(v);
    if (!std::isfinite(f)) return "overflows FP32";
    if (!std::isnormal(f)) return "underflows FP32 (must be at least 2^-126)";
    return {};
  };
}

Check<std::string> one_of(std::vector<std::string> names) {
  return [names](const std::string& v) -> std::string {
    if (std::find(names.begin(), names.end(), v) != names.end()) return {};
    std::string all;
    for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
    return "must be one of: " + all + " (got '" + v + "')";
  };
}

}  // namespace mambahw
