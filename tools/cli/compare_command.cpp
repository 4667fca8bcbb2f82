// mambahw compare: the index-SRAM cost of scale-index schemes per technology
// table, and the W4A5-SE conv-output bandwidth study (docs/cost-model.md).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <fmt/format.h>

#include "commands.hpp"
#include "json_report.hpp"
#include "mambahw/config/config.hpp"
#include "mambahw/cost/index_study.hpp"
#include "mambahw/cost/model.hpp"
#include "mambahw/golden/layer_program.hpp"
#include "mambahw/config/tech.hpp"
#include "mambahw/report/report.hpp"

namespace mambahw::cli {

namespace {

struct CompareOptions {
  std::string config = "configs/mamba2-2.7b.yaml";
  std::vector<std::string> tech{"configs/tech/notes-7nm.yaml", "configs/tech/cacti-28nm.yaml",
                                "configs/tech/cacti-22nm.yaml", "configs/tech/horowitz-45nm.yaml"};
  std::vector<std::string> schemes;
  std::string json_file, csv_file;
  bool notes_shape = false;
  int seq_len = 2048;
  std::string groups;        // GxHxD: SSD groups x head groups x dim groups of the grouped schemes
  double hybrid_split = 0.5;  // share of layers with grouped tables in the hybrid scheme
  bool claims = true;
};

std::vector<std::string> scheme_names() {
  std::vector<std::string> n;
  for (const auto& s : cost::default_index_schemes()) n.push_back(s.name);
  return n;
}

// The grouped schemes' shape: --groups, else the config's Quamba2 scheme,
// else the shipped 4 x 4; checked against the model (ConfigError: exit 2).
struct GroupShape {
  int ssm_groups = 0, head_groups = 4, dim_groups = 4;  // ssm_groups 0: the model's
  std::string from = "the shipped default";
};
GroupShape group_shape(const CompareOptions& o, const Config& c, const ModelShape& m) {
  GroupShape g;
  if (c.scheme.base == SchemeBase::kQuamba2) {
    g.head_groups = c.scheme.head_groups;
    g.dim_groups = c.scheme.dim_groups;
    g.from = "the config's scheme (" + c.scheme.name + ")";
  }
  if (!o.groups.empty()) {
    int G = 0, H = 0, D = 0;
    char x1 = 0, x2 = 0, rest = 0;
    if (std::sscanf(o.groups.c_str(), "%d%c%d%c%d%c", &G, &x1, &H, &x2, &D, &rest) != 5 || x1 != 'x' || x2 != 'x' ||
        G < 1 || H < 1 || D < 1)
      throw ConfigError("--groups " + o.groups + ": must be GxHxD with positive integers (SSD groups x head groups x dim groups)");
    g = {G, H, D, "--groups"};
  }
  if (m.is_mamba2()) {
    const int G = g.ssm_groups ? g.ssm_groups : m.ngroups;
    if (m.nheads % G != 0)
      throw ConfigError(fmt::format("--groups {}: {} SSD groups do not divide the model's {} heads", o.groups, G, m.nheads));
    if (g.head_groups > m.nheads / G)
      throw ConfigError(fmt::format("group shape {}x{}x{} ({}): {} head groups exceed the {} heads per SSD group", G,
                                    g.head_groups, g.dim_groups, g.from, g.head_groups, m.nheads / G));
    if (g.dim_groups > m.headdim)
      throw ConfigError(fmt::format("group shape {}x{}x{} ({}): {} dim groups exceed headdim {}", G, g.head_groups,
                                    g.dim_groups, g.from, g.dim_groups, m.headdim));
  }
  return g;
}

// The scheme table: one row per (scheme, technology table), rendered as the
// text table per technology, the JSON "schemes" array and the CSV file.
report::Table scheme_table(const std::vector<cost::IndexStudyRow>& rows) {
  using report::Column;
  report::Table t;
  t.columns = {
      Column{"scheme", "scheme", "{}", -13},
      Column{"tech", "", "{}", 0},
      Column{"groups", "GxHxD", "{}", 7, false, false},
      Column{"ssm_groups", ""}, Column{"head_groups", ""}, Column{"dim_groups", ""},
      Column{"bits_per_layer", "bits/layer", "{:.0f}", 10},
      Column{"bits_per_layer_minimal", "min bits", "{:.0f}", 9},
      Column{"bits_all_layers", ""},
      Column{"all_kib", "all KiB", "{:.2f}", 9, false, false},
      Column{"bytes_all_layers", ""},
      Column{"range_bits_minimal", ""},
      Column{"area_mm2_gpu_layout", "mm2 (GPU)", "{:.4g}", 10},
      Column{"area_mm2", "mm2 (min)", "{:.4g}", 9},
      Column{"area_impl", "impl", "{}", -5},
      Column{"sram_area_mm2", ""}, Column{"flops_area_mm2", ""},
      Column{"energy_pj_per_lookup", "pJ/lookup", "{:.4g}", 10},
      Column{"lookups_per_pass", ""}, Column{"tokens_per_pass", ""},
      Column{"lookups_per_token", "lookups/T", "{:.4g}", 9},
      Column{"energy_pj_per_token", ""},
      Column{"nj_per_token", "nJ/token", "{:.4g}", 10, false, false},
      Column{"energy_pj_per_decode_token", ""},
      Column{"decode_nj", "decode nJ", "{:.4g}", 10, false, false},
      Column{"lookup_latency_ns", "ns", "{:.3g}", 7},
      Column{"lookup_latency_cycles", "cycles", "{}", 6},
      Column{"clock_mhz", ""},
      Column{"stream_dram_pj_per_layer", "stream pJ/L", "{:.4g}", 11},
      Column{"notes_bits_read_per_lookup", ""},
      Column{"notes", "", "{}", 0, false},
  };
  for (const auto& r : rows) {
    const bool grouped = r.scheme.rfind("quamba2", 0) == 0 || r.scheme == "hybrid";
    t.add({r.scheme, r.tech, grouped ? fmt::format("{}x{}x{}", r.ssm_groups, r.head_groups, r.dim_groups) : "-",
           std::int64_t{r.ssm_groups}, std::int64_t{r.head_groups}, std::int64_t{r.dim_groups}, r.bits_per_layer,
           r.bits_per_layer_minimal, r.bits_all_layers, r.bytes_all_layers / 1024.0, r.bytes_all_layers,
           std::int64_t{r.range_bits_minimal}, r.sram_gpu_layout.area_mm2, r.area_mm2, r.area_impl,
           r.sram.area_mm2, r.flops.area_mm2, r.energy_pj_per_lookup, r.lookups_per_pass,
           std::int64_t{r.tokens_per_pass}, r.lookups_per_token, r.energy_pj_per_token,
           r.energy_pj_per_token / 1000, r.energy_pj_per_decode_token, r.energy_pj_per_decode_token / 1000,
           r.lookup_latency_ns, std::int64_t{r.lookup_latency_cycles}, r.clock_mhz, r.stream_dram_pj_per_layer,
           r.notes_bits_read_per_lookup, report::TextList(r.notes)});
  }
  return t;
}

void print_table(const report::Table& table, const TechTable& t) {
  fmt::print("\ntechnology {}: {}\n", t.name, t.description);
  const std::size_t tech = table.column("tech");
  fmt::print("{}", report::to_text(table, 2, [&](const std::vector<report::Cell>& r) {
               return std::get<std::string>(r[tech]) == t.name;
             }));
  if (t.clock_mhz) fmt::print("  clock {} MHz ({})\n", t.clock_mhz->value, t.clock_mhz->source);
}

// The research notes' hand-made claims (research-digest.md §3), each beside
// the tool's figure for the notes' own assumptions (notes-7nm, the notes'
// shape: 8 SSD groups x 4 x 4, 64 layers) and for CACTI 28 nm, with the
// reason they differ.
nlohmann::json notes_claims(const Config& c, const CompareOptions& o) {
  ModelShape m = c.model;
  if (!m.is_mamba2()) return nlohmann::json::array();
  m.ngroups = 8;
  m.n_layer = 64;
  if (m.nheads % 8 != 0) return nlohmann::json::array();
  struct Under {
    TechTable t;
    cost::IndexStudyRow q1, q2;
    double acc_area = 0, conv_pj_per_token = 0;
  };
  std::vector<Under> under;
  for (const char* f : {"configs/tech/notes-7nm.yaml", "configs/tech/cacti-28nm.yaml"}) {
    Under u{load_tech(resolve_config(f)), {}, {}};
    const double clock = u.t.clock_mhz ? u.t.clock_mhz->value : c.hardware.clock_mhz;
    cost::IndexScheme q1{"quamba1", cost::IndexKind::kPerTensor, 0, 1, 1, false, 0.0};
    cost::IndexScheme q2{"quamba2-seq", cost::IndexKind::kGrouped, 0, 4, 4, false, 1.0};
    u.q1 = cost::index_study(m, q1, u.t, clock, o.seq_len);
    u.q2 = cost::index_study(m, q2, u.t, clock, o.seq_len);
    const LayerProgram prog = layer_program(c.model, c.scheme);
    u.acc_area = cost::area_report(u.t, cost::unit_pricing(prog, c.scheme, c.hardware, o.seq_len)).total_mm2;
    // One token of the conv in every layer (the lookups are counted for all
    // layers too): every conv channel's d_conv taps as INT8 MACs.
    u.conv_pj_per_token =
        static_cast<double>(m.conv_channels()) * m.d_conv * m.n_layer * u.t.op(TechOp::kMacInt8).energy_pj;
    under.push_back(std::move(u));
  }
  const Under& n7 = under[0];
  const Under& c28 = under[1];
  nlohmann::json out = nlohmann::json::array();
  fmt::print("\nThe research notes' claims (8 SSD groups x 4 x 4, 64 layers; {} heads, headdim {}) beside the tool's "
             "figures under {} and {}:\n", m.nheads, m.headdim, n7.t.name, c28.t.name);
  auto claim = [&](const std::string& what, const std::string& notes, double a, double b, const std::string& unit,
                   const std::string& why) {
    fmt::print("  {:<34} notes {:<22} tool: {:.4g} {} ({}), {:.4g} {} ({})\n      why: {}\n", what, notes, a, unit,
               n7.t.name, b, unit, c28.t.name, why);
    out.push_back({{"claim", what}, {"notes", notes}, {"unit", unit}, {"tool_" + n7.t.name, a}, {"tool_" + c28.t.name, b},
                   {"reason", why}});
  };
  const double kib = n7.q2.bytes_all_layers / 1024;
  claim("index SRAM area", "2.88 mm2 (72 KB)", n7.q2.sram_gpu_layout.area_mm2, c28.q2.sram_gpu_layout.area_mm2, "mm2",
        fmt::format("the same {:.0f} KiB as the notes (int32 ranges, FP32 scales); notes-7nm prices it at the notes' "
                    "0.04 mm2/KB, CACTI 28 nm at {:.3g} mm2/KiB for this macro; with minimal range widths "
                    "({} bits) the tables need {:.4g} / {:.4g} mm2",
                    kib, c28.q2.sram_gpu_layout.area_mm2 / kib, n7.q2.range_bits_minimal, n7.q2.area_mm2, c28.q2.area_mm2));
  claim("energy per lookup", "~1 nJ (672 bits x 1.5 pJ)", n7.q2.energy_pj_per_lookup / 1e3, c28.q2.energy_pj_per_lookup / 1e3, "nJ",
        fmt::format("the notes read {:.0f} bits (every range word of the group and a scale); a sequential lookup reads "
                    "at most H + D = 8 range words and one scale, one access each at the table's energy per access",
                    n7.q2.notes_bits_read_per_lookup));
  claim("area vs Quamba1", "+287x", n7.q2.area_mm2 / std::max(n7.q1.area_mm2, 1e-30), c28.q2.area_mm2 / std::max(c28.q1.area_mm2, 1e-30), "x",
        fmt::format("Quamba1 keeps one FP32 scale per layer in flops ({:.3g} / {:.3g} mm2 for 64 layers), not 256 B of "
                    "SRAM; the ratio compares the tool's minimal-width tables", n7.q1.area_mm2, c28.q1.area_mm2));
  const double lookup_share7 = n7.q2.energy_pj_per_token / n7.conv_pj_per_token,
               lookup_share28 = c28.q2.energy_pj_per_token / c28.conv_pj_per_token;
  claim("lookups vs Conv1D energy", "50% (1 nJ vs 2 nJ)", 100 * lookup_share7, 100 * lookup_share28, "% per token",
        fmt::format("the scales are static: a channel's lookup serves all L = {} tokens of a pass, so per token the "
                    "lookups of all {} layers cost {:.3g} / {:.3g} pJ against their convs' {:.4g} / {:.4g} pJ ({} channels "
                    "x {} taps each); the notes price one lookup against one 10,240-MAC conv",
                    o.seq_len, m.n_layer, n7.q2.energy_pj_per_token, c28.q2.energy_pj_per_token, n7.conv_pj_per_token,
                    c28.conv_pj_per_token, m.conv_channels(), m.d_conv));
  const double die = n7.t.die_area_mm2 ? n7.t.die_area_mm2->value : 65.0;
  claim("share of the die", "4.4% of 65 mm2", 100 * n7.q2.sram_gpu_layout.area_mm2 / die, 100 * c28.q2.sram_gpu_layout.area_mm2 / die,
        "% of 65 mm2",
        fmt::format("the notes' die is assumed; the configured accelerator ({}) is {:.3g} / {:.3g} mm2, so the "
                    "minimal-width tables are {:.3g}% / {:.3g}% of it",
                    c.hardware.name, n7.acc_area, c28.acc_area, 100 * n7.q2.area_mm2 / (n7.acc_area + n7.q2.area_mm2),
                    100 * c28.q2.area_mm2 / (c28.acc_area + c28.q2.area_mm2)));
  claim("sequential lookup latency", "7.4 ns (3.7 cycles)", n7.q2.lookup_latency_ns, c28.q2.lookup_latency_ns, "ns",
        fmt::format("4 x (compare + range read) + 4 x (compare + range read) + scale read: notes-7nm states the notes' "
                    "0.5 + 0.3 ns and 1 ns; CACTI 28 nm reads the ranges at the macro's access time ({:.3g} ns) and "
                    "compares in {:.3g} ns ({} / {} cycles at {:.0f} / {:.0f} MHz)",
                    c28.q2.sram.access_ns, c28.t.lookup.compare_ns, n7.q2.lookup_latency_cycles, c28.q2.lookup_latency_cycles,
                    n7.q2.clock_mhz, c28.q2.clock_mhz));
  return out;
}

int compare_command(const CompareOptions& o) {
  Config c = load_config(resolve_config(o.config));
  ModelShape m = c.model;
  if (!m.is_mamba2())
    fmt::print("note: {} is a Mamba1 model; grouped schemes assume one SSD group of d_inner channels\n", m.name);
  if (o.notes_shape) {
    fmt::print("note: --notes-shape: the research notes' assumed shape, 8 SSM groups x 4 x 4 per layer and 64 layers. "
               "No real model has it (mamba2-2.7b: {} group(s), {} layers in its config; mamba2-8b: 8 groups, 56 "
               "layers).\n", c.model.ngroups, c.model.n_layer);
    m.ngroups = 8;
    m.n_layer = 64;
  }
  const GroupShape g = group_shape(o, c, m);
  std::vector<cost::IndexScheme> schemes;
  for (cost::IndexScheme s : cost::default_index_schemes()) {
    if (!o.schemes.empty() && std::find(o.schemes.begin(), o.schemes.end(), s.name) == o.schemes.end()) continue;
    // quamba2-lite keeps the notes' 2 x 2; the other grouped tables take the shape.
    if (s.name == "quamba2-seq" || s.name == "quamba2-par" || s.name == "hybrid") {
      s.ssm_groups = g.ssm_groups;
      s.head_groups = g.head_groups;
      s.dim_groups = g.dim_groups;
    }
    if (s.name == "quamba2-lite") s.ssm_groups = g.ssm_groups;
    if (s.kind == cost::IndexKind::kHybrid) s.grouped_layer_fraction = o.hybrid_split;
    schemes.push_back(s);
  }
  fmt::print("Grouped tables: {}x{}x{} (SSD groups x head groups x dim groups, from {}); quamba2-lite {}x2x2; hybrid: "
             "{:.0f}% of layers grouped\n",
             g.ssm_groups ? g.ssm_groups : m.ngroups, g.head_groups, g.dim_groups, g.from,
             g.ssm_groups ? g.ssm_groups : m.ngroups, 100 * o.hybrid_split);
  if (g.ssm_groups && g.ssm_groups != m.ngroups)
    fmt::print("warning: extrapolation: {} SSD groups, but {} has {}; the tables are sized for a model that does not "
               "exist\n", g.ssm_groups, m.name, m.ngroups);
  fmt::print("Index-SRAM study: {} ({} SSD group(s), {} heads, headdim {}, {} layers, {} SSM-input channels)\n", m.name,
             m.ngroups, m.nheads, m.headdim, m.n_layer, m.ssm_input_channels());
  fmt::print("bits/layer: as the GPU stores the tables (int32 ranges, FP32 scales); min bits: minimal range widths. "
             "Area, energy and latency use the minimal widths, tables resident for all layers. Lookups: one per "
             "SSM-input channel per layer pass; lookups/T and nJ/token for a prefill of L = {} tokens, decode nJ for a "
             "one-token pass.\n", o.seq_len);
  std::vector<cost::IndexStudyRow> all;
  std::vector<TechTable> techs;
  for (const auto& tf : o.tech) techs.push_back(load_tech(resolve_config(tf)));
  for (const TechTable& t : techs)
    for (const auto& s : schemes) all.push_back(cost::index_study(m, s, t, c.hardware.clock_mhz, o.seq_len));
  const report::Table table = scheme_table(all);
  for (const TechTable& t : techs) {
    print_table(table, t);
    // Where the memory model left its data (a macro larger than any the table states): said, not hidden.
    for (const auto& r : all)
      if (r.tech == t.name)
        for (const std::string& n : r.notes)
          if (n.find("extrapolat") != std::string::npos) fmt::print("  warning: {}: {}\n", r.scheme, n);
  }
  fmt::print("\nW4A5-SE bandwidth: conv-output / SSM-input traffic per layer, L = {} tokens, one direction\n", o.seq_len);
  nlohmann::json bw = nlohmann::json::array();
  for (const TechTable& t : techs) {
    QuantScheme se = c.scheme;
    se.ssm_input = SsmInputFormat::kDualScale;
    const cost::BandwidthRow b = cost::bandwidth_study(m, se, o.seq_len, t);
    fmt::print("  {:<14} INT8 {:.3f} MB -> 5-bit {:.3f} MB per layer ({:.1f}% less); DRAM write+read saved "
               "{:.3g} uJ per layer at {} pJ/bit\n",
               t.name, b.int8_bytes_per_layer / 1e6, b.packed_bytes_per_layer / 1e6, 100 * b.saving_fraction,
               b.dram_pj_saved_per_layer / 1e6, t.dram.energy_pj_per_bit);
    bw.push_back({{"tech", t.name}, {"model", b.model}, {"seq_len", b.seq_len}, {"d_inner", b.d_inner},
                  {"int8_bytes_per_layer", b.int8_bytes_per_layer}, {"packed_bytes_per_layer", b.packed_bytes_per_layer},
                  {"int8_bytes_per_token", b.int8_bytes_per_token}, {"packed_bytes_per_token", b.packed_bytes_per_token},
                  {"saving_fraction", b.saving_fraction}, {"dram_pj_saved_per_layer", b.dram_pj_saved_per_layer}});
  }
  nlohmann::json claims = o.claims ? notes_claims(c, o) : nlohmann::json::array();
  if (!o.json_file.empty()) {
    nlohmann::json j = {{"tool", "mambahw"}, {"config", c.file}, {"model", m.name}, {"ssm_groups", m.ngroups},
                        {"n_layer", m.n_layer}, {"notes_shape", o.notes_shape}, {"schemes", nlohmann::json::array()},
                        {"bandwidth", bw}};
    j["schemes"] = report::to_json(report::Node(table));
    j["notes_claims"] = claims;
    j["group_shape"] = {{"ssm_groups", g.ssm_groups ? g.ssm_groups : m.ngroups}, {"head_groups", g.head_groups},
                        {"dim_groups", g.dim_groups}, {"from", g.from}, {"hybrid_split", o.hybrid_split}};
    j["tech_tables"] = nlohmann::json::array();
    for (const TechTable& t : techs) j["tech_tables"].push_back({{"name", t.name}, {"file", t.file}, {"description", t.description}});
    write_json_file(o.json_file, j);
    fmt::print("wrote {}\n", o.json_file);
  }
  if (!o.csv_file.empty()) {
    write_text_file(o.csv_file, report::to_csv(table));
    fmt::print("wrote {}\n", o.csv_file);
  }
  return 0;
}

}  // namespace

void add_compare_command(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<CompareOptions>();
  CompareOptions& o = *opts;
  CLI::App* cmd = app.add_subcommand("compare", "Index-SRAM cost of scale-index schemes per technology table, "
                                                "and the W4A5-SE bandwidth study");
  cmd->add_option("config", o.config, "Run configuration (YAML) naming the model")->capture_default_str();
  cmd->add_option("--tech", o.tech, "Technology table(s) (YAML)")->capture_default_str();
  cmd->add_option("--schemes", o.schemes,
                  "Subset of: quamba1, quamba2-seq, quamba2-par, quamba2-lite, lut, hybrid, w4a5-se")
      ->delimiter(',')
      ->check(CLI::IsMember(scheme_names()));
  cmd->add_option("--groups", o.groups, "Grouped tables' shape GxHxD (default: the config's Quamba2 scheme, else 4x4)");
  cmd->add_option("--hybrid-split", o.hybrid_split, "Share of layers with grouped tables in the hybrid scheme")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("!--no-claims", o.claims, "Leave out the research notes' claims beside the tool's figures");
  cmd->add_option("--json", o.json_file, "Also write the results as JSON to FILE");
  cmd->add_option("--csv", o.csv_file, "Also write the scheme table as CSV to FILE");
  cmd->add_flag("--notes-shape", o.notes_shape, "Use the research notes' assumed shape (8 groups, 64 layers)");
  cmd->add_option("--seq-len", o.seq_len, "Tokens per layer pass (prefill) for the lookup and bandwidth figures")->capture_default_str()
      ->check(CLI::Range(1, 1 << 24));
  cmd->callback([opts, &exit_code] { exit_code = guarded("compare", [opts] { return compare_command(*opts); }); });
}

}  // namespace mambahw::cli
