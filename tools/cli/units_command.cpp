// mambahw units: every exp, log1p and reciprocal unit variant with its
// accuracy against double-precision libm over the function's domain (all of
// it with --exhaustive), the datapath operations its definition tallies, its
// energy per evaluation and area priced with a technology table, and the
// golden layer's mode-0 accuracy with the variant in the config's scheme.
#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <fmt/format.h>

#include "commands.hpp"
#include "json_report.hpp"
#include "mambahw/config/config.hpp"
#include "mambahw/config/tech.hpp"
#include "mambahw/cost/unit_cost.hpp"
#include "mambahw/golden/units.hpp"
#include "mambahw/studies/layer_accuracy.hpp"
#include "mambahw/studies/unit_accuracy.hpp"
#include "mambahw/version.hpp"

namespace mambahw::cli {

namespace {

struct UnitsOptions {
  std::string config = "configs/default.yaml";
  std::string json_file;
  bool exhaustive = false;
  std::uint64_t stride = 97;
  unsigned threads = 0;
  bool no_layer = false;
  std::optional<int> seq_len;
  std::vector<std::string> tech{"configs/tech/horowitz-45nm.yaml"};
  std::vector<std::string> exp, log1p, reciprocal;  // variants (defaults below)
};

// The variants listed when none is named.
const std::vector<std::string> kExpDefaults{"poly", "pwl16", "pwl64", "pwl256", "tquad4", "tquad6", "tquad8", "sm90"};
const std::vector<std::string> kLog1pDefaults{"poly", "pwl16", "pwl256", "tquad6", "tquad8", "sm90"};
const std::vector<std::string> kRecipDefaults{"ieee", "pwl16", "pwl256", "tquad6", "tquad8", "sm90"};

// "17 x 32" (pwl), "64 x 32+29+20" (tquad), "-" (no table).
std::string table_text(const TableShape& t) {
  if (t.entries == 0) return "-";
  if (t.c1_bits == 0) return fmt::format("{} x {}", t.entries, t.c0_bits);
  return fmt::format("{} x {}+{}+{}", t.entries, t.c0_bits, t.c1_bits, t.c2_bits);
}

std::string ops_text(const OpMix& m) {
  std::string s;
  for (const auto& e : EnumNames<DatapathOp>::table) {
    if (e.value == DatapathOp::kTableBit || m[e.value] == 0) continue;
    s += fmt::format("{}{} {}", s.empty() ? "" : ", ", m[e.value], e.name);
  }
  return s;
}

struct Row {
  UnitFunction fn;
  std::string variant;
  UnitSelection units;  // the config scheme's, with this variant for fn
  OpMix ops;
  TableShape table;
  UnitAccuracy acc;
  std::vector<cost::UnitCost> cost;  // one per tech table
  std::optional<ModeAccuracy> layer;
};

template <class Kind>
UnitVariant<Kind> parse_or_throw(const std::string& s) {
  std::string why;
  const auto v = parse_unit_variant<Kind>(s, &why);
  if (!v) throw std::invalid_argument("unit variant " + why);
  return *v;
}

int units_command(const UnitsOptions& o) {
  use_threads(static_cast<int>(o.threads));
  Config c = load_config(resolve_config(o.config));
  if (o.seq_len) c.run.seq_len = *o.seq_len;
  c.run.layers = 1;
  c.run.modes = {SsmInputMode::kInt8};
  std::vector<TechTable> techs;
  for (const std::string& f : o.tech) techs.push_back(load_tech(resolve_config(f)));
  const std::uint64_t stride = o.exhaustive ? 1 : o.stride;

  std::vector<Row> rows;
  auto add = [&](UnitFunction fn, const std::vector<std::string>& names, const std::vector<std::string>& defaults) {
    for (const std::string& v : names.empty() ? defaults : names) {
      Row r{fn, v, c.scheme.numerics.units, {}, {}, {}, {}, {}};
      switch (fn) {
        case UnitFunction::kExp:
          r.units.exp = parse_or_throw<ExpKind>(v);
          r.ops = exp_ops(r.units.exp), r.table = table_shape(r.units.exp);
          break;
        case UnitFunction::kLog1p:
          r.units.log1p = parse_or_throw<Log1pKind>(v);
          r.ops = log1p_ops(r.units.log1p), r.table = table_shape(r.units.log1p);
          break;
        case UnitFunction::kReciprocal:
          r.units.reciprocal = parse_or_throw<RecipKind>(v);
          r.ops = reciprocal_ops(r.units.reciprocal), r.table = table_shape(r.units.reciprocal);
          break;
      }
      rows.push_back(std::move(r));
    }
  };
  add(UnitFunction::kExp, o.exp, kExpDefaults);
  add(UnitFunction::kLog1p, o.log1p, kLog1pDefaults);
  add(UnitFunction::kReciprocal, o.reciprocal, kRecipDefaults);

  fmt::print("mambahw {} (git {}): exp, log1p and reciprocal unit variants (docs/arithmetic.md §3.5)\n", kVersion,
             kGitCommit);
  fmt::print("accuracy: max error in ulps of the exact value (double-precision libm) and the share correctly rounded, "
             "over {} of each domain\n",
             stride == 1 ? "every FP32 input" : fmt::format("every {}th FP32 bit pattern", stride));
  for (UnitFunction f : {UnitFunction::kExp, UnitFunction::kLog1p, UnitFunction::kReciprocal})
    fmt::print("  {:<10} {}\n", to_string(f), unit_domain(f));
  fmt::print("cost: the operations each definition tallies, priced with {} (energy per evaluation; area of a unit "
             "evaluating once per cycle, tables as flops)\n",
             techs.front().label());
  std::optional<ModeAccuracy> base;
  if (!o.no_layer) {
    base = layer_accuracy(c.model, c.scheme, SyntheticWeights(c.run.seed), c.run).front().modes.front();
    fmt::print("layer: {} under {} ({}), SSM input mode 0, {} tokens, calibration {} x {}; the variant replaces "
               "the scheme's unit of its function (scheme as is: {:.2f} dB, max|err| {:.4g})\n",
               c.model.name, c.scheme.name, c.file, c.run.seq_len, c.run.calib_batches, c.run.calib_seq_len,
               base->out_error.sqnr_db, base->out_error.max_abs_err);
  }
  fmt::print("\n{:<10} {:<8} {:>12} {:>10} {:>7} {:>17} {:>7} {:>9} {:>10}  {:>9} {:>9}  {}\n", "function", "variant",
             "inputs", "max ulp", "CR %", "table", "bits", "pJ", "um2", "layer dB", "max|err|", "operations");
  for (Row& r : rows) {
    r.acc = unit_accuracy(r.fn, r.units, stride, o.threads);
    for (const TechTable& t : techs) r.cost.push_back(cost::unit_cost(r.ops, r.table.bits(), t));
    if (!o.no_layer) {
      QuantScheme s = c.scheme;
      s.numerics.units = r.units;
      r.layer = layer_accuracy(c.model, s, SyntheticWeights(c.run.seed), c.run).front().modes.front();
    }
    fmt::print("{:<10} {:<8} {:>12} {:>10.4g} {:>7.2f} {:>17} {:>7} {:>9.3g} {:>10.4g}  {:>9} {:>9}  {}\n",
               to_string(r.fn), r.variant, r.acc.inputs, r.acc.max_ulp, 100 * r.acc.correctly_rounded,
               table_text(r.table), r.table.bits(),
               r.cost.front().energy_pj, r.cost.front().area_um2,
               r.layer ? fmt::format("{:.2f}", r.layer->out_error.sqnr_db) : "-",
               r.layer ? fmt::format("{:.4g}", r.layer->out_error.max_abs_err) : "-", ops_text(r.ops));
    std::fflush(stdout);
  }
  for (std::size_t k = 1; k < techs.size(); ++k) {
    fmt::print("\n{}: energy pJ / area um2 per unit\n", techs[k].label());
    for (const Row& r : rows)
      fmt::print("  {:<10} {:<8} {:>9.3g} {:>10.4g}\n", to_string(r.fn), r.variant, r.cost[k].energy_pj, r.cost[k].area_um2);
  }
  fmt::print("\nmax ulp: error of the worst input in units in the last place of the exact result; CR: correctly "
             "rounded.\ntable: entries x field bits (c0, or c0+c1+c2), bits stored; pJ / um2: per evaluation / per unit. sm90: MUFU.EX2 and "
             "MUFU.RCP are priced as the tquad6 and tquad7 datapaths (an estimate: NVIDIA publishes no figures).\n");

  if (!o.json_file.empty()) {
    nlohmann::json j = {{"tool", "mambahw"}, {"version", kVersion}, {"git_commit", kGitCommit}, {"config", c.file},
                        {"scheme", c.scheme.name}, {"stride", stride}, {"units", nlohmann::json::array()}};
    if (base) j["layer_scheme_sqnr_db"] = base->out_error.sqnr_db;
    for (const Row& r : rows) {
      nlohmann::json u = {{"function", to_string(r.fn)},
                          {"variant", r.variant},
                          {"domain", unit_domain(r.fn)},
                          {"inputs", r.acc.inputs},
                          {"max_ulp", std::isfinite(r.acc.max_ulp) ? nlohmann::json(r.acc.max_ulp) : nlohmann::json(nullptr)},
                          {"worst_input", r.acc.worst_input},
                          {"correctly_rounded", r.acc.correctly_rounded},
                          {"table_bits", r.table.bits()},
                          {"table", {{"entries", r.table.entries}, {"index_bits", r.table.index_bits},
                                     {"frac_bits", r.table.frac_bits}, {"offset_bits", r.table.offset_bits},
                                     {"c0_bits", r.table.c0_bits}, {"c1_bits", r.table.c1_bits},
                                     {"c2_bits", r.table.c2_bits}}},
                          {"ops", nlohmann::json::object()},
                          {"cost", nlohmann::json::array()}};
      for (const auto& e : EnumNames<DatapathOp>::table)
        if (r.ops[e.value]) u["ops"][std::string(e.name)] = r.ops[e.value];
      for (std::size_t k = 0; k < techs.size(); ++k)
        u["cost"].push_back({{"tech", techs[k].name}, {"energy_pj", r.cost[k].energy_pj}, {"area_um2", r.cost[k].area_um2}});
      if (r.layer) u["layer"] = {{"sqnr_db", r.layer->out_error.sqnr_db}, {"max_abs_err", r.layer->out_error.max_abs_err},
                                 {"mean_abs_err", r.layer->out_error.mean_abs_err}};
      j["units"].push_back(u);
    }
    write_json_file(o.json_file, j);
    fmt::print("wrote {}\n", o.json_file);
  }
  return 0;
}

}  // namespace

void add_units_command(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<UnitsOptions>();
  UnitsOptions& o = *opts;
  CLI::App* u = app.add_subcommand("units", "Accuracy, operations, energy/area and layer effect of each exp, log1p "
                                             "and reciprocal unit variant");
  u->add_option("config", o.config, "Run configuration whose model and scheme the layer column uses")->capture_default_str();
  u->add_flag("--exhaustive", o.exhaustive, "Every FP32 input of each domain (minutes), not every --stride-th");
  u->add_option("--stride", o.stride, "Evaluate every N-th bit pattern of each domain")->capture_default_str()->check(CLI::Range(1, 1 << 30));
  u->add_option("--threads", o.threads, "Worker threads of the unit sweeps and of the golden layer column (0: all "
                                        "cores); the results do not depend on them")->capture_default_str();
  u->add_option("--exp", o.exp, "exp variants (e.g. poly,pwl16,tquad6,sm90)")->delimiter(',');
  u->add_option("--log1p", o.log1p, "log1p variants")->delimiter(',');
  u->add_option("--reciprocal", o.reciprocal, "reciprocal variants (ieee, pwl<S>, tquad<B>, sm90)")->delimiter(',');
  u->add_flag("--no-layer", o.no_layer, "Skip the golden layer column");
  u->add_option("--seq-len", o.seq_len, "Override run.seq_len for the layer column")->check(CLI::Range(1, 1 << 20));
  u->add_option("--tech", o.tech, "Technology table(s) for energy and area")->capture_default_str();
  u->add_option("--json", o.json_file, "Also write the table as JSON to FILE");
  u->callback([opts, &exit_code] { exit_code = guarded("units", [&] { return units_command(*opts); }); });
}

}  // namespace mambahw::cli
