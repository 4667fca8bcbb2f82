#include "mambahw/config/tech.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>
#include <set>
#include <utility>

namespace mambahw {


namespace {

// Upper bounds keep every derived figure finite and every cycle count an
// int: times up to 10 us, clocks 1 kHz .. 100 GHz (like hardware.clock_mhz),
// energies, areas and capacities up to 1e15 of their unit.
constexpr double kMaxValue = 1e15;
constexpr double kMaxNs = 1e4;
std::string too_large(double v, double hi) {
  return v > hi ? fmt::format("must be at most {:g}, got {:g}", hi, v) : std::string{};
}
Check<double> non_negative(double hi = kMaxValue) {
  return [hi](const double& v) -> std::string {
    if (std::isnan(v)) return "must be a number, got NaN";
    if (!std::isfinite(v)) return "must be finite";
    return v >= 0 ? too_large(v, hi) : "must not be negative";
  };
}
Check<double> strictly_positive(double hi = kMaxValue, double lo = 0) {
  return [hi, lo](const double& v) -> std::string {
    if (std::isnan(v)) return "must be a number, got NaN";
    if (!std::isfinite(v)) return "must be finite";
    if (lo > 0 && v < lo) return fmt::format("must be at least {:g}, got {:g}", lo, v);
    return v > 0 ? too_large(v, hi) : "must be positive";
  };
}
Check<std::string> non_empty() {
  return [](const std::string& s) {
    return s.find_first_not_of(" \t") == std::string::npos ? std::string("must not be empty") : std::string{};
  };
}

std::string source_of(YamlMap& m) { return m.required<std::string>("source", non_empty()); }

// An entry that must be written as a mapping (not a file name, not a number).
std::optional<YamlMap> entry(YamlMap& parent, const std::string& key, const std::string& fields) {
  const YAML::Node& cn = parent.node();
  const YAML::Node n = cn[key];
  if (!n) {
    (void)parent.raw(key);
    return std::nullopt;
  }
  if (!n.IsMap()) parent.fail_at(n, parent.field(key), "must be a mapping with " + fields);
  return parent.maybe_section(key);
}

OpCost parse_op(YamlMap& m) {
  OpCost c;
  c.energy_pj = m.required<double>("energy_pj", non_negative());
  c.area_um2 = m.required<double>("area_um2", non_negative());
  c.source = source_of(m);
  m.finish();
  return c;
}

RegisterCost parse_register(YamlMap& m) {
  RegisterCost r;
  r.energy_pj_per_bit = m.required<double>("energy_pj_per_bit", non_negative());
  r.area_um2_per_bit = m.required<double>("area_um2_per_bit", strictly_positive());
  r.access_ns = m.required<double>("access_ns", strictly_positive(kMaxNs));
  r.source = source_of(m);
  m.finish();
  return r;
}

// range: {low, high, source}, low <= nominal <= high when a nominal is given.
std::optional<SourcedRange> parse_range(YamlMap& parent, const std::string& key, std::optional<double> nominal,
                                        const Check<double>& check) {
  auto e = entry(parent, key, "low, high and source");
  if (!e) return std::nullopt;
  SourcedRange r;
  r.low = e->required<double>("low", check);
  r.high = e->required<double>("high", check);
  r.source = source_of(*e);
  if (r.low > r.high) e->fail("low", fmt::format("must not exceed high ({:g} > {:g})", r.low, r.high));
  if (nominal && (*nominal < r.low || *nominal > r.high))
    e->fail("low", fmt::format("the range {:g}..{:g} must contain the nominal value {:g}", r.low, r.high, *nominal));
  e->finish();
  return r;
}

SramModel parse_sram(YamlMap& m) {
  SramModel s;
  s.kind = m.required_enum<SramKind>("kind");
  s.source = source_of(m);
  if (s.kind == SramKind::kLinear) {
    s.area_mm2_per_kib = m.required<double>("area_mm2_per_kib", strictly_positive());
    s.read_pj_per_bit = m.required<double>("read_pj_per_bit", non_negative());
    s.write_pj_per_bit = m.required<double>("write_pj_per_bit", non_negative());
    s.access_ns = m.required<double>("access_ns", strictly_positive(kMaxNs));
    s.leakage_mw_per_kib = m.maybe<double>("leakage_mw_per_kib", non_negative());
    if (m.has("points")) m.fail("points", "only valid for kind: table");
  } else {
    for (const char* k : {"area_mm2_per_kib", "read_pj_per_bit", "write_pj_per_bit", "access_ns", "leakage_mw_per_kib"})
      if (m.has(k)) m.fail(k, "only valid for kind: linear (a table gives these per point)");
    if (!m.has("points")) m.fail("points", "is required but missing (kind: table)");
    std::set<std::pair<double, int>> seen;
    std::vector<YamlMap> points = m.section_list("points");
    if (points.empty()) m.fail("points", "must list at least one macro");
    for (YamlMap& p : points) {
      SramPoint q;
      q.capacity_bytes = p.required<double>("capacity_bytes", strictly_positive());
      q.width_bits = p.required<int>("width_bits", in_range(1, 4096));
      q.read_pj = p.required<double>("read_pj", strictly_positive());
      q.write_pj = p.maybe<double>("write_pj", strictly_positive());
      q.area_mm2 = p.required<double>("area_mm2", strictly_positive());
      q.access_ns = p.maybe<double>("access_ns", strictly_positive(kMaxNs));
      q.leakage_mw = p.maybe<double>("leakage_mw", non_negative());
      q.source = p.optional<std::string>("source", s.source, non_empty());
      if (!seen.insert({q.capacity_bytes, q.width_bits}).second)
        p.fail("capacity_bytes", "a macro of this capacity and width is already listed");
      p.finish();
      s.points.push_back(std::move(q));
    }
  }
  s.range = parse_range(m, "range", 1.0, strictly_positive());
  s.leakage_range = parse_range(m, "leakage_range", 1.0, strictly_positive());
  m.finish();
  return s;
}

// A section of one sourced quantity and its optional range: `key`, source, range.
template <class T, class Out>
T sourced_quantity(YamlMap& m, const char* key, Out T::*value, std::string T::*source,
                   std::optional<SourcedRange> T::*range) {
  T t;
  t.*value = m.required<double>(key, non_negative());
  t.*source = source_of(m);
  t.*range = parse_range(m, "range", t.*value, non_negative());
  m.finish();
  return t;
}

LeakageCost parse_leakage(YamlMap& m) {
  return sourced_quantity(m, "logic_nw_per_um2", &LeakageCost::logic_nw_per_um2, &LeakageCost::source,
                          &LeakageCost::range);
}

LogicScaling parse_logic_scaling(YamlMap& m) {
  LogicScaling s;
  s.from_nm = m.required<int>("from_nm", in_range(1, 1000));
  s.energy = m.required<double>("energy", strictly_positive(100));
  s.area = m.required<double>("area", strictly_positive(100));
  s.source = source_of(m);
  s.energy_range = parse_range(m, "energy_range", s.energy, strictly_positive(100))
                       .value_or(SourcedRange{s.energy, s.energy, s.source});
  s.area_range = parse_range(m, "area_range", s.area, strictly_positive(100)).value_or(SourcedRange{s.area, s.area, s.source});
  m.finish();
  return s;
}

DieModel parse_die(YamlMap& m) {
  DieModel d;
  const Check<double> fraction = [](const double& v) {
    return v > 0 && v <= 1 ? std::string{} : fmt::format("must be in (0, 1], got {:g}", v);
  };
  d.utilization = m.required<double>("utilization", fraction);
  d.control_fraction = m.required<double>("control_fraction", non_negative(10));
  d.dram_phy_mm2 = m.required<double>("dram_phy_mm2", non_negative());
  d.source = source_of(m);
  d.utilization_range = parse_range(m, "utilization_range", d.utilization, fraction);
  d.control_fraction_range = parse_range(m, "control_fraction_range", d.control_fraction, non_negative(10));
  d.dram_phy_mm2_range = parse_range(m, "dram_phy_mm2_range", d.dram_phy_mm2, non_negative());
  m.finish();
  return d;
}

// dram_variants: [{name, energy_pj_per_bit, source, [phy_factor, phy_source]}, ...], names unique.
std::vector<DramVariant> parse_dram_variants(YamlMap& t) {
  std::vector<DramVariant> out;
  std::vector<YamlMap> list = t.section_list("dram_variants");
  if (list.empty()) t.fail("dram_variants", "must list at least one variant");
  for (YamlMap& v : list) {
    DramVariant d;
    d.name = v.required<std::string>("name", non_empty());
    d.energy_pj_per_bit = v.required<double>("energy_pj_per_bit", strictly_positive());
    d.source = source_of(v);
    if (const auto f = v.maybe<double>("phy_factor", strictly_positive())) {
      d.phy_factor = *f;
      d.phy_source = v.required<std::string>("phy_source", non_empty());
    } else if (v.has("phy_source")) {
      v.fail("phy_source", "only valid with phy_factor");
    }
    for (const DramVariant& o : out)
      if (o.name == d.name) v.fail("name", "a variant of this name is already listed");
    v.finish();
    out.push_back(std::move(d));
  }
  return out;
}

// dram: either {energy_pj_per_bit, source} or {variant: name} (the figure and
// citation of that dram_variants entry), optionally a range.
DramCost parse_dram(YamlMap& m, const std::vector<DramVariant>& variants) {
  DramCost d;
  if (m.has("variant")) {
    for (const char* k : {"energy_pj_per_bit", "source"})
      if (m.has(k)) m.fail(k, "is the variant's; give either variant or energy_pj_per_bit and source");
    d.variant = m.required<std::string>("variant", non_empty());
    const auto it = std::find_if(variants.begin(), variants.end(), [&](const DramVariant& v) { return v.name == d.variant; });
    if (it == variants.end()) {
      std::string known;
      for (const DramVariant& v : variants) known += (known.empty() ? "" : ", ") + v.name;
      m.fail("variant", fmt::format("'{}' is not in dram_variants ({})", d.variant,
                                    known.empty() ? "the table lists none" : "known: " + known));
    }
    d.energy_pj_per_bit = it->energy_pj_per_bit;
    d.source = fmt::format("dram_variants {}: {}", it->name, it->source);
  } else {
    d.energy_pj_per_bit = m.required<double>("energy_pj_per_bit", non_negative());
    d.source = source_of(m);
  }
  d.range = parse_range(m, "range", d.energy_pj_per_bit, non_negative());
  m.finish();
  return d;
}

LookupTiming parse_lookup(YamlMap& m) {
  LookupTiming l;
  l.compare_ns = m.required<double>("compare_ns", strictly_positive(kMaxNs));
  l.select_ns = m.required<double>("select_ns", non_negative(kMaxNs));
  l.range_read_ns = m.maybe<double>("range_read_ns", strictly_positive(kMaxNs));
  l.source = source_of(m);
  m.finish();
  return l;
}

SourcedValue parse_value(YamlMap& m, const Check<double>& check) {
  SourcedValue v;
  v.value = m.required<double>("value", check);
  v.source = source_of(m);
  m.finish();
  return v;
}

template <class T, class Parse>
void section_into(YamlMap& t, const char* key, bool required, T& out, Parse parse) {
  auto s = t.maybe_section(key);
  if (!s) {
    if (required) t.fail(key, "is required but missing");
    return;
  }
  out = parse(*s);
}

}  // namespace

TechTable parse_tech(YamlMap& t, const TechTable* base) {
  TechTable tt;
  if (base) tt = *base;
  const bool req = base == nullptr;
  tt.name = t.required<std::string>("name", non_empty());
  tt.base = base ? base->name : std::string{};
  (void)t.raw("base");  // resolved by load_tech
  tt.description = t.optional<std::string>("description", std::string{});
  tt.node_nm = t.optional<int>("node_nm", base ? base->node_nm : 0, in_range(1, 1000));
  tt.file = t.file();

  // Logic inherited from a table of another node is scaled here, before this
  // table's own entries (which are at its node) replace any of it.
  if (auto e = entry(t, "logic_scaling", "from_nm, energy, area and source")) {
    tt.logic_scaling = parse_logic_scaling(*e);
    if (!base) e->fail("from_nm", "scales the entries inherited from a base table; this table has no base:");
    tt.scale_logic(tt.logic_scaling->energy, tt.logic_scaling->area, true);
    const std::string note = fmt::format(" [scaled {} -> {} nm: energy x{:g}, area x{:g} (logic_scaling)]",
                                         tt.logic_scaling->from_nm, tt.node_nm, tt.logic_scaling->energy,
                                         tt.logic_scaling->area);
    for (OpCost& o : tt.ops) o.source += note;
    tt.reg.source += note;
  }
  if (auto ops = t.maybe_section("ops")) {
    for (const char* unit : {"exp", "softplus"})
      if (ops->has(unit))
        ops->fail(unit, "is not a table entry: the exp and softplus units are priced from the operations of the "
                        "golden unit the scheme selects (docs/cost-model.md); remove it");
    for (int i = 0; i < kNumTechOps; ++i) {
      const std::string key(to_string(static_cast<TechOp>(i)));
      if (auto e = entry(*ops, key, "energy_pj, area_um2 and source")) {
        tt.ops[static_cast<std::size_t>(i)] = parse_op(*e);
      } else if (req) {
        ops->fail(key, "is required but missing");
      }
    }
    ops->finish();
  } else if (req) {
    t.fail("ops", "is required but missing");
  }
  std::vector<std::string> replaced;
  if (t.has("ops")) replaced.push_back("ops");
  section_into(t, "register", req, tt.reg, parse_register);
  section_into(t, "sram", req, tt.sram, parse_sram);
  if (t.has("dram_variants")) tt.dram_variants = parse_dram_variants(t);
  section_into(t, "dram", req, tt.dram, [&](YamlMap& m) { return parse_dram(m, tt.dram_variants); });
  section_into(t, "lookup", req, tt.lookup, parse_lookup);
  section_into(t, "leakage", false, tt.leakage, parse_leakage);
  section_into(t, "die", false, tt.die, parse_die);
  for (const char* k : {"register", "sram", "dram", "dram_variants", "lookup", "leakage", "die", "logic_scaling"})
    if (t.has(k)) replaced.push_back(k);
  // A table's own description wins; without one, a derived table says what
  // it took from its base and what it replaced (never the base's words alone).
  if (tt.description.empty() && base) {
    std::string list;
    for (const std::string& r : replaced) list += (list.empty() ? "" : ", ") + r;
    tt.description = list.empty() ? fmt::format("as {}: {}", base->name, base->description)
                                   : fmt::format("{} replaced by {}; the rest as {}: {}", list, tt.name, base->name,
                                                 base->description);
  }
  if (auto e = entry(t, "clock_mhz", "value and source")) tt.clock_mhz = parse_value(*e, strictly_positive(1e5, 1e-3));
  if (auto e = entry(t, "die_area_mm2", "value and source")) tt.die_area_mm2 = parse_value(*e, strictly_positive());
  t.finish();
  return tt;
}

namespace {
// A table and, first, its chain of bases (each relative to the file naming
// it; cycles and depth are refused like every include).
TechTable load_tech_map(YamlMap top) {
  if (!top.has("base")) return parse_tech(top, nullptr);
  const TechTable base = load_tech_map(top.base_file("base", shipped_tech_dir()));
  return parse_tech(top, &base);
}
}  // namespace

TechTable load_tech(const std::filesystem::path& file) { return load_tech_map(YamlMap::load_file(file)); }

std::filesystem::path shipped_tech_dir() { return MAMBAHW_TECH_DIR; }

}  // namespace mambahw
