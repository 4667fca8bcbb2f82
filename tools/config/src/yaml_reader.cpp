#include "mambahw/config/yaml_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <sstream>

#include <yaml-cpp/eventhandler.h>

#include <fmt/core.h>

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

// The first byte that is not valid UTF-8, or a control character YAML does
// not allow (C0 other than tab, LF, CR; DEL), as "line:col: what"; "" if none.
std::string text_problem(const std::string& t) {
  std::size_t line = 1, col = 1;
  auto at = [&](const std::string& what) { return std::to_string(line) + ":" + std::to_string(col) + ": " + what; };
  for (std::size_t i = 0; i < t.size();) {
    const auto c = static_cast<unsigned char>(t[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)
        return at(fmt::format("control character 0x{:02x} (YAML allows only printable characters)", c));
      if (c == '\n') ++line, col = 0;
      ++i, ++col;
      continue;
    }
    // Multi-byte sequence: lead byte, continuation count, smallest code point.
    int n = 0;
    std::uint32_t cp = 0, min = 0;
    if (c >= 0xC2 && c <= 0xDF) n = 1, cp = c & 0x1Fu, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) n = 2, cp = c & 0x0Fu, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) n = 3, cp = c & 0x07u, min = 0x10000;
    bool ok = n > 0;
    for (int k = 1; ok && k <= n; ++k) {
      if (i + static_cast<std::size_t>(k) >= t.size()) { ok = false; break; }
      const auto cc = static_cast<unsigned char>(t[i + static_cast<std::size_t>(k)]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (!ok) return at(fmt::format("byte 0x{:02x} is not valid UTF-8 (config files are UTF-8 text)", c));
    i += static_cast<std::size_t>(n) + 1;
    ++col;
  }
  return {};
}

// A tab in the indentation of a line with content: YAML indents with spaces only.
std::string tab_problem(const std::string& t) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < t.size(); ++line) {
    const std::size_t end = std::min(t.find('\n', i), t.size());
    std::size_t j = i;
    while (j < end && (t[j] == ' ' || t[j] == '\t')) ++j;
    const bool content = j < end && t[j] != '\r' && t[j] != '#';
    if (content)
      if (const std::size_t tab = t.find('\t', i); tab < j)
        return std::to_string(line) + ":" + std::to_string(tab - i + 1) +
               ": a tab in the indentation (YAML indents with spaces only)";
    i = end + 1;
  }
  return {};
}

std::string read_config_text(const std::filesystem::path& file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(file, ec);
  if (ec) throw ConfigError(file.string() + ": cannot open the file (" + ec.message() + ")");
  if (fs::is_directory(st)) throw ConfigError(file.string() + ": is a directory, not a YAML file");
  if (!fs::is_regular_file(st))
    throw ConfigError(file.string() + ": is not a regular file (a device, FIFO or socket?)");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(file.string() + ": cannot open the file (" + std::strerror(errno) + ")");
  // Read in blocks up to one byte past the limit: never more than the limit
  // in memory, and a small file costs only its size.
  std::string text;
  char block[1 << 16];
  while (text.size() <= kMaxConfigFileBytes && in.read(block, sizeof block).gcount() > 0)
    text.append(block, static_cast<std::size_t>(in.gcount()));
  if (in.bad()) throw ConfigError(file.string() + ": cannot read the file (" + std::strerror(errno) + ")");
  if (text.size() > kMaxConfigFileBytes)
    throw ConfigError(fmt::format("{}: is larger than {} bytes ({} MiB), the limit for a config file", file.string(),
                                  kMaxConfigFileBytes, kMaxConfigFileBytes >> 20));
  if (std::string why = text_problem(text); !why.empty()) throw ConfigError(file.string() + ":" + why);
  if (std::string why = tab_problem(text); !why.empty()) throw ConfigError(file.string() + ":" + why);
  return text;
}

// Counts nodes with aliases expanded, refusing more than kMaxConfigNodes
// (an alias bomb) or a nesting deeper than the parser's own limit (a
// self-referencing anchor). Stops at the limit, so it runs in bounded time.
void count_nodes(const YAML::Node& n, const std::string& file, std::uint64_t& count, int depth) {
  if (++count > kMaxConfigNodes)
    throw ConfigError(fmt::format("{}: the document has more than {} nodes once its aliases are expanded "
                                  "(an alias bomb?)", config_location(file, n.Mark()), kMaxConfigNodes));
  if (depth > 1000)
    throw ConfigError(config_location(file, n.Mark()) +
                      ": the document nests more than 1000 levels deep (an anchor that refers to itself?)");
  if (n.IsSequence()) {
    for (const YAML::Node& c : n) count_nodes(c, file, count, depth + 1);
  } else if (n.IsMap()) {
    for (const auto& kv : n) {
      count_nodes(kv.first, file, count, depth + 1);
      count_nodes(kv.second, file, count, depth + 1);
    }
  }
}

// One YAML document from a file, within the limits above.
// Where each document of a text starts, at most two (a first pass over the
// parser's events, building nothing). yaml-cpp 0.7 never advances past a
// stray ',' after a top-level flow collection ("[],"): LoadAll then returns
// empty documents until memory runs out, so documents are never loaded in a
// loop; a second start is an error instead.
class DocumentStarts final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& m) override { starts.push_back(m); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

YAML::Node parse_file(const std::filesystem::path& file) {
  const std::string text = read_config_text(file);
  YAML::Node doc;
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentStarts starts;
    for (int i = 0; i < 2 && parser.HandleNextDocument(starts); ++i) {}
    if (starts.starts.size() > 1) {
      const YAML::Mark& m = starts.starts[1];
      const bool marker = text.compare(static_cast<std::size_t>(std::max(m.pos, 0)), 3, "---") == 0;
      throw ConfigError(config_location(file.string(), m) +
                        (marker ? ": a second YAML document ('---'); a config file holds exactly one"
                                : fmt::format(": unexpected '{}' after the end of the YAML document",
                                              static_cast<std::size_t>(m.pos) < text.size() ? text.substr(static_cast<std::size_t>(m.pos), 1) : "")));
    }
    doc = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(config_location(file.string(), e.mark) + ": YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw ConfigError(config_location(file.string(), e.mark) + ": YAML error: " + e.msg);
  }
  if (!doc || doc.IsNull()) throw ConfigError(file.string() + ": the file is empty");
  std::uint64_t count = 0;
  count_nodes(doc, file.string(), count, 0);
  return doc;
}

// The canonical form of a path (symlinks resolved where they exist), to
// recognise the same file reached by two names.
std::filesystem::path canonical_or_same(const std::filesystem::path& p) {
  std::error_code ec;
  std::filesystem::path c = std::filesystem::weakly_canonical(p, ec);
  return ec ? p.lexically_normal() : c;
}

}  // namespace

YamlMap::YamlMap(YAML::Node node, std::string file, std::string path, IncludeChain chain)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)), chain_(std::move(chain)),
      files_(std::make_shared<std::vector<std::string>>(1, file_)) {
  if (!node_.IsMap()) {
    const std::string what = path_.empty() ? "the file" : path_;
    throw ConfigError(config_location(file_, node_.Mark()) + ": " + what +
                      " must be a mapping of keys to values");
  }
  std::map<std::string, YAML::Mark> seen;
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar())
      throw ConfigError(config_location(file_, kv.first.Mark()) + ": " + (path_.empty() ? "" : path_ + ": ") +
                        "a key must be a plain name, not a list, mapping or null");
    const std::string key = kv.first.Scalar();
    if (seen.count(key))
      throw ConfigError(config_location(file_, kv.first.Mark()) + ": " + field(key) +
                        ": duplicate key (first given at line " +
                        std::to_string(seen[key].line + 1) + ")");
    seen.emplace(key, kv.first.Mark());
  }
}

YamlMap YamlMap::load_file(const std::filesystem::path& file) {
  return YamlMap(parse_file(file), file.string(), "", {canonical_or_same(file)});
}

YamlMap YamlMap::load_file(const std::filesystem::path& file, std::shared_ptr<ConfigOverrides> overrides) {
  YamlMap m = load_file(file);
  m.overrides_ = std::move(overrides);
  m.apply_overrides();
  return m;
}

// The overrides of this mapping's own keys replace (or add) them in the
// node itself, so a parser that looks at node() sees them as well as one
// that asks raw(). The document was parsed for this load alone.
void YamlMap::apply_overrides() {
  if (!overrides_) return;
  const std::string prefix = path_.empty() ? "" : path_ + ".";
  for (const auto& [path, o] : *overrides_) {
    if (path.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string key = path.substr(prefix.size());
    if (key.empty() || key.find_first_of(".[") != std::string::npos) continue;
    node_[key] = o.value;
  }
}

ConfigOverride* YamlMap::override_of(const std::string& f) const {
  if (!overrides_) return nullptr;
  const auto it = overrides_->find(f);
  return it == overrides_->end() ? nullptr : &it->second;
}

bool YamlMap::overridden_below(const std::string& f, bool list_entries) const {
  if (!overrides_) return false;
  for (const auto& [path, o] : *overrides_)
    if (path.size() > f.size() && path.compare(0, f.size(), f) == 0 &&
        (path[f.size()] == '.' || (list_entries && path[f.size()] == '[')))
      return true;
  return false;
}

YamlMap& YamlMap::share_into(YamlMap& m) const {
  m.files_ = files_;
  m.overrides_ = overrides_;
  m.apply_overrides();
  return m;
}

bool YamlMap::has(const std::string& key) const {
  return static_cast<bool>(node_[key]) || override_of(field(key)) || overridden_below(field(key), true);
}

YAML::Node YamlMap::raw(const std::string& key) {
  read_.insert(key);
  if (ConfigOverride* o = override_of(field(key))) {
    o->used = true;
    return o->value;
  }
  const YAML::Node& cn = node_;
  YAML::Node n = cn[key];
  // A section the file leaves out but an override reaches into: an empty
  // mapping, so the override is read where the section's parser reads it.
  if (!n && overridden_below(field(key), false)) return YAML::Node(YAML::NodeType::Map);
  return n;
}

void YamlMap::fail(const std::string& key, const std::string& message) const {
  const YAML::Node& cn = node_;
  const YAML::Node n = cn[key];
  fail_at(n ? n : node_, field(key), message);
}

void YamlMap::fail_at(const YAML::Node& at, const std::string& f, const std::string& message) const {
  if (const ConfigOverride* o = override_of(f)) throw ConfigError(o->where + ": " + f + ": " + message);
  throw ConfigError(config_location(file_, at.Mark()) + ": " + f + ": " + message);
}

YamlMap YamlMap::load_include(const YAML::Node& at, const std::string& key, const std::string& rel,
                              const std::string& path, const std::filesystem::path& fallback_dir) const {
  namespace fs = std::filesystem;
  for (const char c : rel)
    if (static_cast<unsigned char>(c) < 0x20)
      fail_at(at, field(key), "an included file's name may not contain control characters");
  if (rel.empty()) fail_at(at, field(key), "an included file's name may not be empty");
  fs::path p = fs::path(file_).parent_path() / rel;
  std::error_code ec;
  fs::file_status st = fs::status(p, ec);
  if (st.type() == fs::file_type::not_found && !fallback_dir.empty() && fs::path(rel).is_relative()) {
    const fs::path shipped = fallback_dir / rel;
    std::error_code ec2;
    const fs::file_status st2 = fs::status(shipped, ec2);
    if (st2.type() == fs::file_type::not_found)
      fail_at(at, field(key), "included file '" + p.string() + "' does not exist, nor does '" + shipped.string() +
                                  "' among the shipped tables");
    p = shipped, st = st2, ec = ec2;
  }
  if (st.type() == fs::file_type::not_found)
    fail_at(at, field(key), "included file '" + p.string() + "' does not exist");
  if (ec) fail_at(at, field(key), "included file '" + p.string() + "' cannot be read (" + ec.message() + ")");
  if (fs::is_directory(st)) fail_at(at, field(key), "included file '" + p.string() + "' is a directory");
  const fs::path canon = canonical_or_same(p);
  for (const fs::path& outer : chain_)
    if (outer == canon) {
      std::string cycle;
      for (const fs::path& f : chain_) cycle += f.filename().string() + " -> ";
      fail_at(at, field(key), "included file '" + p.string() + "' is already being read (include cycle: " + cycle +
                                  canon.filename().string() + ")");
    }
  if (static_cast<int>(chain_.size()) >= kMaxIncludeDepth)
    fail_at(at, field(key), "includes nest more than " + std::to_string(kMaxIncludeDepth) + " files deep");
  IncludeChain chain = chain_;
  chain.push_back(canon);
  YamlMap m(parse_file(p), p.string(), path, std::move(chain));
  files_->push_back(p.string());
  return share_into(m);
}

YamlMap YamlMap::section(const std::string& key) {
  auto s = maybe_section(key);
  if (!s) fail(key, "is required but missing");
  return *s;
}

std::optional<YamlMap> YamlMap::maybe_section(const std::string& key) {
  YAML::Node n = raw(key);
  if (!n) return std::nullopt;
  if (n.IsScalar()) return load_include(n, key, n.Scalar(), field(key));
  if (!n.IsMap()) fail_at(n, field(key), "must be a mapping or the name of a YAML file");
  YamlMap m(n, file_, field(key), chain_);
  return share_into(m);  // an include inside an inline section is one of this document's files too
}

std::vector<YamlMap> YamlMap::section_list(const std::string& key) {
  YAML::Node n = raw(key);
  std::vector<YamlMap> out;
  if (!n) return out;
  if (!n.IsSequence()) fail_at(n, field(key), "must be a list");
  for (std::size_t i = 0; i < n.size(); ++i) {
    const std::string f = key + "[" + std::to_string(i) + "]";
    if (n[i].IsScalar()) out.push_back(load_include(n[i], f, n[i].Scalar(), field(f)));
    else if (n[i].IsMap()) {
      out.emplace_back(n[i], file_, field(f), chain_);
      share_into(out.back());
    }
    else fail_at(n[i], field(f), "must be a mapping or the name of a YAML file");
  }
  return out;
}

YamlMap YamlMap::base_file(const std::string& key, const std::filesystem::path& fallback_dir) {
  const YAML::Node n = raw(key);
  if (!n) fail(key, "is required but missing");
  if (!n.IsScalar()) fail_at(n, field(key), "must be the name of a YAML file");
  return load_include(n, key, n.Scalar(), "", fallback_dir);
}

void YamlMap::finish() const {
  auto unknown = [&](const std::string& key) {
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
    return msg;
  };
  for (const auto& kv : node_) {
    const std::string key = kv.first.Scalar();  // the constructor checked every key is a scalar
    if (read_.count(key)) continue;
    const ConfigOverride* o = override_of(field(key));
    throw ConfigError((o ? o->where : config_location(file_, kv.first.Mark())) + ": " + field(key) + ": " + unknown(key));
  }
  // An override of a key of this mapping that no parser asked for.
  if (!overrides_) return;
  const std::string prefix = path_.empty() ? "" : path_ + ".";
  for (const auto& [path, o] : *overrides_) {
    if (path.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = path.substr(prefix.size());
    const std::string key = rest.substr(0, rest.find_first_of(".["));
    if (!key.empty() && !read_.count(key)) throw ConfigError(o.where + ": " + field(key) + ": " + unknown(key));
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
