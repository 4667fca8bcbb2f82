// mambahw compare: the index-SRAM cost of scale-index schemes per technology
// table, and the W4A5-SE conv-output bandwidth study (docs/cost-model.md).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <fmt/format.h>

#include "commands.hpp"
#include "json_report.hpp"
#include "mambahw/config/config.hpp"
#include "mambahw/cost/index_study.hpp"
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
};

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
  std::vector<cost::IndexScheme> schemes;
  for (const auto& s : cost::default_index_schemes())
    if (o.schemes.empty() || std::find(o.schemes.begin(), o.schemes.end(), s.name) != o.schemes.end())
      schemes.push_back(s);
  if (schemes.empty()) throw std::invalid_argument("no scheme matches --schemes");
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
  for (const TechTable& t : techs) print_table(table, t);
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
  if (!o.json_file.empty()) {
    nlohmann::json j = {{"tool", "mambahw"}, {"config", c.file}, {"model", m.name}, {"ssm_groups", m.ngroups},
                        {"n_layer", m.n_layer}, {"notes_shape", o.notes_shape}, {"schemes", nlohmann::json::array()},
                        {"bandwidth", bw}};
    j["schemes"] = report::to_json(report::Node(table));
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
      ->delimiter(',');
  cmd->add_option("--json", o.json_file, "Also write the results as JSON to FILE");
  cmd->add_option("--csv", o.csv_file, "Also write the scheme table as CSV to FILE");
  cmd->add_flag("--notes-shape", o.notes_shape, "Use the research notes' assumed shape (8 groups, 64 layers)");
  cmd->add_option("--seq-len", o.seq_len, "Tokens per layer pass (prefill) for the lookup and bandwidth figures")->capture_default_str()
      ->check(CLI::Range(1, 1 << 24));
  cmd->callback([opts, &exit_code] { exit_code = guarded("compare", [opts] { return compare_command(*opts); }); });
}

}  // namespace mambahw::cli
