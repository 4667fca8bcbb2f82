// A design-space sweep (`mambahw sweep SPEC.yaml`, docs/sweep.md): a base run
// configuration, a grid over config fields named by their dotted paths (the
// paths config errors print), optional random samples, and the technology
// tables that price each point. Loaded with the same strict YAML reader as
// every config: unknown keys, a path no parser reads, a value a field refuses
// are errors naming the spec's file, line and column.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "mambahw/config/config.hpp"
#include "mambahw/config/yaml_reader.hpp"

namespace mambahw::sweep {

// The axis that is not a config field: the technology table pricing a point.
inline constexpr const char* kTechAxis = "tech";

struct AxisValue {
  YAML::Node value;   // a scalar, list or mapping, as the config field takes it
  std::string where;  // spec.yaml:line:col
};

struct GridAxis {
  std::string path;  // "hardware.gemm.rows", or kTechAxis
  std::vector<AxisValue> values;
};

// A random axis: uniform in [min, max] (log-uniform with `log`), rounded to
// an integer with `integer`; or one of `choices`.
struct RandomAxis {
  std::string path;
  std::string where;
  double min = 0, max = 0;
  bool integer = false, log = false;
  std::vector<AxisValue> choices;
};

enum class Mode : std::uint8_t { kFull, kAnalytic };

struct SweepSpec {
  std::string file;                  // the spec
  std::string name, description;
  std::filesystem::path config;      // the base run configuration
  std::vector<std::filesystem::path> tech;  // tables when `tech` is not an axis (first one prices)
  Mode mode = Mode::kFull;
  std::vector<GridAxis> grid;
  int samples = 0;                   // random points per grid point (0: none)
  std::uint64_t seed = 1;
  std::vector<RandomAxis> random;
  std::vector<std::string> columns;  // extra report columns the spec asks for first (may be empty)
};

// One design point: a value per axis, in the spec's axis order.
struct SweepPoint {
  int index = 0;
  std::vector<std::pair<std::string, AxisValue>> values;
  std::filesystem::path tech;        // the table pricing it
  ConfigOverrides overrides() const; // the config-field values (the tech axis left out)
};

// Loads and checks the spec: every axis path and value is validated against
// the base config alone (one load per value), so a misspelt path is an error
// naming it before any point runs.
SweepSpec load_spec(const std::filesystem::path& file);
// The grid's Cartesian product (the last axis varies fastest), each grid
// point followed by `samples` random ones (random axes drawn from a
// generator seeded with `seed`: the same points on every machine).
std::vector<SweepPoint> expand(const SweepSpec& spec);

// A value as one line of text: a scalar as written, else YAML flow style.
std::string value_text(const YAML::Node& v);
// The point's config, loaded (throws ConfigError naming the spec's line for a bad value).
Config load_point(const SweepSpec& spec, const SweepPoint& p);
// The hash of the point's full configuration: the contents of every config
// and technology file it reads, its overrides, the mode and the tool's
// commit. Results are cached under it.
std::string point_hash(const SweepSpec& spec, const SweepPoint& p, const Config& c, Mode mode);

}  // namespace mambahw::sweep
