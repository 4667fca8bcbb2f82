#include "mambahw/sweep/spec.hpp"

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/core.h>

#include "mambahw/config/parse.hpp"
#include "mambahw/config/tech.hpp"
#include "mambahw/verif/hex_file.hpp"
#include "mambahw/version.hpp"

namespace mambahw::sweep {

namespace fs = std::filesystem;

namespace {

std::string where(const std::string& file, const YAML::Node& n) { return config_location(file, n.Mark()); }

// A path relative to the spec's folder.
fs::path beside(const std::string& spec, const std::string& rel) {
  const fs::path p(rel);
  return p.is_absolute() ? p : (fs::path(spec).parent_path() / p).lexically_normal();
}

std::vector<AxisValue> value_list(YamlMap& m, const std::string& key) {
  const YAML::Node n = m.raw(key);
  if (!n.IsSequence() || n.size() == 0) m.fail(key, "must be a non-empty list of values");
  std::vector<AxisValue> out;
  for (const YAML::Node& v : n) out.push_back({v, where(m.file(), v)});
  return out;
}

// A technology table named by a spec value: it must load.
fs::path tech_path(const std::string& spec, const AxisValue& v, const std::string& field) {
  if (!v.value.IsScalar()) throw ConfigError(v.where + ": " + field + ": must be the name of a technology table file");
  const fs::path p = beside(spec, v.value.Scalar());
  try {
    (void)load_tech(p);
  } catch (const ConfigError& e) {
    throw ConfigError(v.where + ": " + field + ": technology table does not load: " + e.what());
  }
  return p;
}

// Checks a config-field axis value against the base config alone.
void check_value(const fs::path& config, const std::string& path, const AxisValue& v) {
  ConfigOverrides o;
  o[path] = ConfigOverride{v.value, v.where};
  (void)load_config(config, o);
}

RandomAxis random_axis(YamlMap& fields, const std::string& path) {
  RandomAxis a;
  a.path = path;
  a.where = where(fields.file(), fields.node()[path]);
  YamlMap r = fields.section(path);
  if (r.has("choices")) {
    a.choices = value_list(r, "choices");
    for (const char* k : {"min", "max", "integer", "log"})
      if (r.has(k)) r.fail(k, "cannot go with choices");
  } else {
    a.min = r.required<double>("min");
    a.max = r.required<double>("max");
    a.integer = r.optional<bool>("integer", false);
    a.log = r.optional<bool>("log", false);
    if (!std::isfinite(a.min) || !std::isfinite(a.max) || a.min > a.max)
      r.fail("max", "min and max must be finite with min <= max");
    if (a.log && a.min <= 0) r.fail("min", "must be positive for a log-uniform axis");
  }
  r.finish();
  return a;
}

// Uniform doubles in [0, 1) from 53 bits of splitmix64 (Steele, Lea and
// Flood 2014): a fixed generator, so a seed gives the same points on every
// machine and standard library (std's distributions are not specified).
struct Draw {
  explicit Draw(std::uint64_t seed) : state(seed) {}
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

AxisValue draw(const RandomAxis& a, Draw& d) {
  if (!a.choices.empty()) {
    const auto i = static_cast<std::size_t>(d.unit() * static_cast<double>(a.choices.size()));
    return a.choices[std::min(i, a.choices.size() - 1)];
  }
  const double u = d.unit();
  double v = a.log ? std::exp(std::log(a.min) + u * (std::log(a.max) - std::log(a.min))) : a.min + u * (a.max - a.min);
  v = std::min(std::max(v, a.min), a.max);
  const std::string text = a.integer ? fmt::format("{}", static_cast<std::int64_t>(std::llround(v))) : fmt::format("{:.6g}", v);
  return {YAML::Node(text), a.where};
}

}  // namespace

std::string value_text(const YAML::Node& v) {
  if (v.IsScalar()) return v.Scalar();
  YAML::Emitter e;
  e << YAML::Flow << v;
  return e.c_str();
}

ConfigOverrides SweepPoint::overrides() const {
  ConfigOverrides o;
  for (const auto& [path, v] : values)
    if (path != kTechAxis) o[path] = ConfigOverride{v.value, v.where};
  return o;
}

SweepSpec load_spec(const fs::path& file) {
  YamlMap top = YamlMap::load_file(file);
  SweepSpec s;
  s.file = file.string();
  (void)top.optional<std::string>("kind", "design", one_of({"design"}));  // rtl_exhaustive: rtl_sweep.hpp
  s.name = top.optional<std::string>("name", file.stem().string());
  s.description = top.optional<std::string>("description", "");
  s.config = beside(s.file, top.required<std::string>("config"));
  try {
    (void)load_config(s.config);
  } catch (const ConfigError& e) {
    top.fail("config", std::string("the base config does not load: ") + e.what());
  }
  const std::string mode = top.optional<std::string>("mode", "full", one_of({"full", "analytic"}));
  s.mode = mode == "analytic" ? Mode::kAnalytic : Mode::kFull;
  if (top.has("tech")) {
    for (const AxisValue& v : value_list(top, "tech")) s.tech.push_back(tech_path(s.file, v, "tech"));
  } else {
    s.tech.push_back(fs::path(MAMBAHW_SOURCE_DIR) / "configs/tech/cacti-28nm.yaml");
  }
  std::set<std::string> paths;
  if (auto g = top.maybe_section("grid")) {
    for (const auto& kv : g->node()) {
      const std::string path = kv.first.Scalar();
      GridAxis a{path, value_list(*g, path)};
      for (const AxisValue& v : a.values) {
        if (path == kTechAxis) (void)tech_path(s.file, v, "grid.tech");
        else check_value(s.config, path, v);
      }
      paths.insert(path);
      s.grid.push_back(std::move(a));
    }
    g->finish();
  }
  if (auto r = top.maybe_section("random")) {
    s.samples = r->required<int>("samples", in_range(1, 1 << 20));
    s.seed = r->optional<std::uint64_t>("seed", 1);
    YamlMap f = r->section("fields");
    for (const auto& kv : f.node()) {
      const std::string path = kv.first.Scalar();
      if (paths.count(path)) f.fail(path, "is a grid axis too; an axis is either grid or random");
      if (path == kTechAxis) f.fail(path, "the technology table can be a grid axis only");
      RandomAxis a = random_axis(f, path);
      if (a.choices.empty()) {
        check_value(s.config, path, {YAML::Node(a.integer ? fmt::format("{}", std::llround(a.min)) : fmt::format("{:.6g}", a.min)), a.where});
        check_value(s.config, path, {YAML::Node(a.integer ? fmt::format("{}", std::llround(a.max)) : fmt::format("{:.6g}", a.max)), a.where});
      } else {
        for (const AxisValue& v : a.choices) check_value(s.config, path, v);
      }
      s.random.push_back(std::move(a));
    }
    f.finish();
    if (s.random.empty()) r->fail("fields", "must name at least one field");
    r->finish();
  }
  if (s.grid.empty() && s.random.empty()) top.fail("grid", "a sweep needs a grid or random section");
  top.finish();
  return s;
}

std::vector<SweepPoint> expand(const SweepSpec& spec) {
  std::vector<std::vector<std::pair<std::string, AxisValue>>> grid(1);
  for (const GridAxis& a : spec.grid) {
    std::vector<std::vector<std::pair<std::string, AxisValue>>> next;
    for (const auto& partial : grid)
      for (const AxisValue& v : a.values) {
        next.push_back(partial);
        next.back().emplace_back(a.path, v);
      }
    grid = std::move(next);
  }
  std::vector<SweepPoint> out;
  Draw d(spec.seed);
  for (const auto& g : grid) {
    const int copies = spec.random.empty() ? 1 : spec.samples;
    for (int k = 0; k < copies; ++k) {
      SweepPoint p;
      p.index = static_cast<int>(out.size());
      p.values = g;
      for (const RandomAxis& a : spec.random) p.values.emplace_back(a.path, draw(a, d));
      p.tech = spec.tech.front();
      for (const auto& [path, v] : p.values)
        if (path == kTechAxis) p.tech = beside(spec.file, v.value.Scalar());
      out.push_back(std::move(p));
    }
  }
  return out;
}

Config load_point(const SweepSpec& spec, const SweepPoint& p) { return load_config(spec.config, p.overrides()); }

namespace {
// The text of a technology table and of its `base:` chain.
void tech_text(const fs::path& file, std::string& out, int depth) {
  if (depth > kMaxIncludeDepth) return;  // load_tech refused the cycle already
  const std::string sha = verif::sha256_file(file);
  out += "tech " + sha + "\n";
  const YAML::Node n = YAML::LoadFile(file.string());
  if (n["base"] && n["base"].IsScalar()) tech_text(file.parent_path() / n["base"].Scalar(), out, depth + 1);
}
}  // namespace

std::string point_hash(const SweepSpec&, const SweepPoint& p, const Config& c, Mode mode) {
  std::string text = fmt::format("mambahw-sweep-point 1\ncommit {}\nmode {}\n", kGitCommit,
                                 mode == Mode::kAnalytic ? "analytic" : "full");
  for (const std::string& f : c.files) text += "config " + verif::sha256_file(f) + "\n";
  tech_text(p.tech, text, 0);
  for (const auto& [path, o] : p.overrides()) text += "set " + path + " = " + value_text(o.value) + "\n";
  return verif::sha256_bytes(text);
}

}  // namespace mambahw::sweep
