// The SystemC model's part of `mambahw run`: golden + SystemC + Verilated RTL
// on one layer. Linked only into the mambahw executable, which provides the
// sc_main SystemC requires.
#include <algorithm>

#include <fmt/core.h>
#include <fmt/format.h>

#include "commands.hpp"
#include "json_report.hpp"
#include "mambahw/cost/model.hpp"
#include "mambahw/cost/unit_cost.hpp"
#include "mambahw/model/cosim.hpp"
#include "mambahw/cost/index_study.hpp"
#include "mambahw/interop/sources.hpp"
#include "mambahw/studies/layer_accuracy.hpp"
#include "mambahw/config/tech.hpp"
#include "mambahw/report/report.hpp"

namespace mambahw::cli {

namespace {

using report::Cell;
using report::Column;
using report::Node;

// The co-simulation's results as one tree: what `run` prints and what its
// JSON holds under "model" and "events" are both read from it.
Node cosim_report(const model::CosimReport& r) {
  const model::LayerReport& t = r.timing;
  Node n = Node::object();
  for (const auto& [k, v] : std::vector<std::pair<const char*, Cell>>{
           {"hardware", t.hardware}, {"clock_mhz", t.clock_mhz}, {"seq_len", std::int64_t{t.seq_len}},
           {"ssm_input_mode", std::int64_t{static_cast<int>(r.mode)}}, {"rtl_in_loop", r.rtl_in_loop},
           {"rtl_note", r.rtl_note}, {"quantizer_variant", r.quantizer_variant},
           {"dequant_variant", r.dequant_variant}, {"quantizer_rtl_cycles", r.quantizer_rtl_cycles},
           {"quantizer_rtl_elements", r.quantizer_rtl_elements}, {"dequant_rtl_cycles", r.dequant_rtl_cycles},
           {"dequant_rtl_elements", r.dequant_rtl_elements}, {"cycles", t.cycles}, {"latency_ns", t.latency_ns},
           {"dram_read_bytes", t.dram_total.read_bytes}, {"dram_write_bytes", t.dram_total.write_bytes},
           {"host_input", t.host_input},
           {"host_input_bytes", t.dram.at(t.host_input).write_bytes}})
    n.add(k, v);
  report::Table checks;
  checks.columns = {Column{"tensor", "tensor", "{}", -10},          Column{"op", "op", "{}", -21},
                    Column{"unit", "unit", "{}", -18},              Column{"source", "producer", "{}", -10},
                    Column{"compared", "compared", "{}", 9},        Column{"mismatches", "mismatches", "{}", 10},
                    Column{"independent", "independent", "{}", -11}, Column{"first_mismatch", "first mismatch", "{}", -1}};
  for (const auto& ch : r.checks)
    checks.add({ch.tensor, ch.op, ch.unit, ch.source, ch.compared, ch.mismatches, ch.independent, ch.first_mismatch});
  n.add("checks", std::move(checks));
  report::Table ops;
  ops.columns = {Column{"op", "op", "{}", -22}, Column{"unit", "unit", "{}", -18}, Column{"start", "start", "{}", 10},
                 Column{"cycles", "cycles", "{}", 10}};
  for (const auto& op : t.ops) ops.add({op.name, std::string(to_string(op.unit)), op.start, op.cycles});
  n.add("ops", std::move(ops));
  report::Table units;
  units.columns = {Column{"unit", "unit", "{}", -20}, Column{"busy_cycles", "busy", "{}", 10},
                   Column{"utilization", "util", "{:.3f}", 6}};
  for (std::size_t i = 0; i < cost::kNumStalls; ++i) {
    const std::string name(to_string(static_cast<cost::Stall>(i)));
    units.columns.push_back(Column{name, name, "{}", static_cast<int>(name.size())});
  }
  for (const auto& [name, u] : t.units) {
    std::vector<Cell> row{name, u.busy, u.utilization};
    for (model::Cycles s : u.stalls) row.emplace_back(s);
    units.add(std::move(row));
  }
  n.add("units", std::move(units));
  return n;
}

// The units' counters: an object per unit of its nonzero counters.
Node events_report(const cost::EventCounts& e) {
  Node n = Node::object();
  for (std::size_t u = 0; u < kNumUnits; ++u) {
    Node& unit = n.add(std::string(to_string(static_cast<Unit>(u))), Node::object());
    for (std::size_t k = 0; k < cost::kNumCounters; ++k)
      if (const auto v = e.units[u].n[k]) unit.add(std::string(to_string(static_cast<cost::Counter>(k))), Cell{v});
  }
  return n;
}

void print_cosim(const Config& c, const model::CosimReport& r, const Node& n, const Node& events) {
  const model::LayerReport& t = r.timing;
  fmt::print("\nSystemC accelerator model ({} hardware, {} MHz): layer 0 of {}, {} tokens, SSM input mode {} {}\n",
             t.hardware, t.clock_mhz, c.model.name, t.seq_len, static_cast<int>(r.mode), to_string(r.mode));
  if (r.rtl_in_loop)
    fmt::print("  RTL in the loop: conv_out_quantizer ({}) {} elements in {} cycles; ssm_dequant ({}) {} elements in {} "
               "cycles\n",
               r.quantizer_variant, r.quantizer_rtl_elements, r.quantizer_rtl_cycles, r.dequant_variant,
               r.dequant_rtl_elements, r.dequant_rtl_cycles);
  else
    fmt::print("  RTL not in the loop: {} (analytic RTL latencies used)\n", r.rtl_note);
  // Say what was checked against what: every tensor the accelerator's units
  // computed from their memories, against the golden layer run on its own.
  fmt::print("  accelerator vs golden: {} ({} tensors checked bit for bit, each computed by the accelerator's units "
             "from the bytes in its memories{}; {} mismatches in all)\n",
             r.bit_exact() ? "bit-exact" : "MISMATCH", r.checks.size(),
             r.rtl_in_loop ? ", the conv-output codes and the SSM input by the Verilated RTL"
                           : ", the quantizer and the dequant by their C++ unit models (no RTL in the loop)",
             r.mismatches());
  fmt::print("{}", report::to_text(n.at("checks").table(), 4));
  fmt::print("  cycles {} = {:.1f} us at {} MHz\n", t.cycles, t.latency_ns / 1000, t.clock_mhz);
  fmt::print("{}", report::to_text(n.at("ops").table(), 4));
  fmt::print("  units (busy cycles, utilisation, stall cycles by cause):\n");
  fmt::print("{}", report::to_text(n.at("units").table(), 4));
  fmt::print("  DRAM: {:.3f} MB read, {:.3f} MB written (incl. the host's {:.3f} MB of {}, which the units' counts "
             "leave out: in a model it is the previous layer's output)\n",
             static_cast<double>(t.dram_total.read_bytes) / 1e6, static_cast<double>(t.dram_total.write_bytes) / 1e6,
             static_cast<double>(t.dram.at(t.host_input).write_bytes) / 1e6, t.host_input);
  fmt::print("  events (per unit, as the units counted them):\n");
  for (const auto& [unit, counters] : std::get<report::Object>(events.value)) {
    std::string line;
    for (const auto& [k, v] : std::get<report::Object>(counters.value))
      line += fmt::format(" {}={}", k, report::cell_text(v.cell(), "{}"));
    if (!line.empty()) fmt::print("    {:<20}{}\n", unit, line);
  }
}

}  // namespace

// The index memory of the run's hardware under each base scheme, counted as
// `mambahw compare` counts it (one lookup per SSM-input channel per pass).
report::Table index_bases(const Config& c, const TechTable& t) {
  report::Table tb;
  tb.columns = {Column{"label", "scale index", "{}", -13, false, false}, Column{"index", ""}, Column{"base", ""},
                Column{"selected", ""},
                Column{"area_mm2", "mm2", "{:.4g}", 10}, Column{"area_impl", "impl", "{}", -5},
                Column{"energy_pj_per_lookup", "pJ/lookup", "{:.4g}", 9},
                Column{"lookups_per_layer_pass", "lookups", "{}", 8},
                Column{"energy_pj_per_layer_pass", "pJ/layer pass", "{:.4g}", 13},
                Column{"energy_pj_per_token_all_layers", "pJ/token (all layers)", "{:.4g}", 21},
                Column{"lookup_latency_cycles", "cycles", "{}", 6}};
  for (SchemeBase base : {SchemeBase::kQuamba1, SchemeBase::kQuamba2}) {
    QuantScheme s = c.scheme;
    s.base = base;
    const cost::IndexScheme is = cost::index_scheme_of(s, c.hardware);
    const cost::IndexStudyRow r = cost::index_study(c.model, is, t, c.hardware.clock_mhz, c.run.seq_len);
    const std::int64_t lookups = scale_lookups_per_pass(c.model);
    tb.add({base == c.scheme.base ? is.name + "*" : is.name, is.name, std::string(to_string(base)), base == c.scheme.base,
            r.area_mm2, r.area_impl, r.energy_pj_per_lookup, lookups,
            r.energy_pj_per_lookup * static_cast<double>(lookups), r.energy_pj_per_token,
            std::int64_t{r.lookup_latency_cycles}});
  }
  return tb;
}

Node cost_report(const Config& c, const LayerProgram& program, const model::CosimReport& r, const TechTable& t) {
  const cost::UnitPricing pricing = cost::unit_pricing(program, c.scheme, c.hardware, c.run.seq_len);
  const double time_ns = r.timing.latency_ns;
  const cost::EnergyReport e = cost::energy_report(r.timing.events, time_ns, t, pricing);
  const cost::AreaReport a = cost::area_report(t, pricing);
  Node n = Node::object();
  n.add("tech", Cell{t.name});
  n.add("description", Cell{t.description});
  n.add("energy_pj_per_layer", Cell{e.total_pj});
  n.add("energy_pj_per_token", Cell{e.pj_per_token});
  n.add("leakage_time_ns", Cell{e.time_ns});
  Node& cat = n.add("energy_pj_by_category", Node::object());
  for (std::size_t i = 0; i < cost::kNumCategories; ++i)
    cat.add(std::string(to_string(static_cast<cost::Category>(i))), Cell{e.pj[i]});
  report::Table leak;
  leak.columns = {Column{"item", "item", "{}", -1}, Column{"pj", "pJ", "{:.4g}", 1}};
  for (const auto& [item, pj] : e.leakage_pj) leak.add({item, pj});
  n.add("leakage_pj_by_item", std::move(leak));
  n.add("pj_per_lookup", Cell{e.pj_per_lookup});
  // The scheme's exp and softplus units as priced (`mambahw units` compares the variants).
  const cost::UnitCost ec = cost::unit_cost(pricing.nonlinear.exp_eval, pricing.nonlinear.exp_table_bits, t);
  const cost::UnitCost sc = cost::unit_cost(pricing.nonlinear.softplus_eval, pricing.nonlinear.softplus_table_bits, t);
  const UnitSelection& un = c.scheme.numerics.units;
  n.add("exp_unit", Cell{std::string(to_string(un.exp))});
  n.add("log1p_unit", Cell{std::string(to_string(un.log1p))});
  n.add("exp_pj_per_evaluation", Cell{ec.energy_pj});
  n.add("exp_unit_area_um2", Cell{ec.area_um2});
  n.add("softplus_pj_per_evaluation", Cell{sc.energy_pj});
  n.add("softplus_unit_area_um2", Cell{sc.area_um2});
  n.add("area_mm2", Cell{a.total_mm2});
  n.add("logic_cells_mm2", Cell{a.logic_cells_mm2});
  n.add("memory_mm2", Cell{a.memory_mm2});
  n.add("leakage_mw", Cell{a.leakage_mw});
  n.add("reference_die_mm2", a.reference_die_mm2 ? Cell{*a.reference_die_mm2} : Cell{});
  const double ref = a.reference_die_mm2.value_or(a.total_mm2);
  report::Table items;
  items.columns = {Column{"unit", "unit", "{}", -18},
                   Column{"mm2", "mm2", "{:.4f}", 8},
                   Column{"percent", a.reference_die_mm2 ? "% of die_area_mm2" : "% of die", "{:.1f}", 8},
                   Column{"leakage_mw", "leak mW", "{:.3g}", 7},
                   Column{"source", "source", "{}", -22},
                   Column{"how", "how", "{}", -1}};
  for (const auto& i : a.items) items.add({i.unit, i.mm2, 100 * i.mm2 / ref, i.leakage_mw, i.source, i.how});
  n.add("area_items", std::move(items));
  report::Table sens;
  sens.columns = {Column{"knob", "sensitivity", "{}", -21},
                  Column{"range", "range", "{}", -26},
                  Column{"nj_per_token_low", "nJ/token low", "{:.1f}", 12},
                  Column{"nj_per_token_high", "high", "{:.1f}", 8},
                  Column{"area_mm2_low", "mm2 low", "{:.3f}", 8},
                  Column{"area_mm2_high", "high", "{:.3f}", 7},
                  Column{"source", "source", "{}", -1}};
  for (const auto& s : cost::sensitivity(r.timing.events, time_ns, t, pricing))
    sens.add({s.knob, s.range, s.pj_per_token_low / 1e3, s.pj_per_token_high / 1e3, s.area_mm2_low, s.area_mm2_high, s.source});
  n.add("sensitivity", std::move(sens));
  n.add("index_bases", index_bases(c, t));
  std::vector<std::string> notes = e.notes;
  for (const std::string& note : a.notes)
    if (std::find(notes.begin(), notes.end(), note) == notes.end()) notes.push_back(note);
  n.add("notes", Cell{report::TextList(notes)});
  return n;
}

void print_cost(const Node& n) {
  const double total = std::get<double>(n.at("energy_pj_per_layer").cell());
  std::string by;
  for (const auto& [k, v] : std::get<report::Object>(n.at("energy_pj_by_category").value))
    if (const double pj = std::get<double>(v.cell()); pj > 0) by += fmt::format(" {} {:.1f}%", k, 100 * pj / total);
  fmt::print("    {:<14} {}\n", std::get<std::string>(n.at("tech").cell()),
             std::get<std::string>(n.at("description").cell()));
  fmt::print("    {:<14} {:.4g} uJ per layer, {:.4g} nJ per token;{}\n", "", total / 1e6,
             std::get<double>(n.at("energy_pj_per_token").cell()) / 1e3, by);
  fmt::print("    {:<14} leakage {:.3g} mW over {:.1f} us = {:.4g} uJ\n", "",
             std::get<double>(n.at("leakage_mw").cell()), std::get<double>(n.at("leakage_time_ns").cell()) / 1e3,
             std::get<double>(n.at("energy_pj_by_category").at("leakage").cell()) / 1e6);
  const auto& ref = n.at("reference_die_mm2").cell();
  fmt::print("    {:<14} die area {:.3f} mm2 (logic cells {:.3f}, memories {:.3f}){}:\n", "",
             std::get<double>(n.at("area_mm2").cell()), std::get<double>(n.at("logic_cells_mm2").cell()),
             std::get<double>(n.at("memory_mm2").cell()),
             std::holds_alternative<double>(ref)
                 ? fmt::format("; fractions of the table's die_area_mm2 {:g} mm2", std::get<double>(ref))
                 : std::string{});
  fmt::print("{}", report::to_text(n.at("area_items").table(), 19));
  fmt::print("    {:<14} exp unit {}: {:.3g} pJ, {:.4g} um2; softplus (exp {} + log1p {}): {:.3g} pJ, {:.4g} um2\n", "",
             std::get<std::string>(n.at("exp_unit").cell()), std::get<double>(n.at("exp_pj_per_evaluation").cell()),
             std::get<double>(n.at("exp_unit_area_um2").cell()), std::get<std::string>(n.at("exp_unit").cell()),
             std::get<std::string>(n.at("log1p_unit").cell()),
             std::get<double>(n.at("softplus_pj_per_evaluation").cell()),
             std::get<double>(n.at("softplus_unit_area_um2").cell()));
  if (!n.at("sensitivity").table().rows.empty()) {
    fmt::print("    {:<14} energy per token and die area at the ends of each sourced range (the rest nominal):\n", "");
    fmt::print("{}", report::to_text(n.at("sensitivity").table(), 19));
  }
  fmt::print("{}", report::to_text(n.at("index_bases").table(), 19));
  // The notes, one line per memory (the JSON keeps them one by one).
  std::vector<std::pair<std::string, std::string>> by_memory;
  for (const std::string& note : std::get<report::TextList>(n.at("notes").cell())) {
    const auto colon = note.find(": ");
    const std::string memory = colon == std::string::npos ? std::string{} : note.substr(0, colon);
    const std::string text = colon == std::string::npos ? note : note.substr(colon + 2);
    auto it = std::find_if(by_memory.begin(), by_memory.end(), [&](const auto& m) { return m.first == memory; });
    if (it == by_memory.end()) by_memory.emplace_back(memory, text);
    else it->second += "; " + text;
  }
  for (const auto& [memory, text] : by_memory)
    fmt::print("    {:<14} note: {}{}{}\n", "", memory, memory.empty() ? "" : ": ", text);
}

Node cost_section(const Config& c, const LayerProgram& program, const model::CosimReport& r,
                  const std::vector<std::string>& tech_files) {
  Node list = Node::list();
  fmt::print("  energy and area (event counts x technology table; docs/cost-model.md); the scale index under both "
             "bases, * = this scheme's:\n");
  for (const std::string& f : tech_files) print_cost(list.push(cost_report(c, program, r, load_tech(resolve_config(f)))));
  return list;
}

ModelOutcome run_model_report(const Config& c, const std::vector<std::string>& tech_files) {
  const interop::RunSources sources(c);  // the config's weights: and activations:
  const LayerCase lc = make_layer_case(c.model, c.scheme, sources.layer_sources(), c.run, 0);
  const model::System sys{c.model, c.scheme, c.hardware};
  const model::CosimReport r = model::run_cosim(sys, lc.q, lc.input);
  const Node cosim = cosim_report(r);
  const Node events = events_report(r.timing.events);
  print_cosim(c, r, cosim, events);
  ModelOutcome out;
  out.bit_exact = r.bit_exact();
  out.tree = Node::object();
  out.tree.add("bit_exact", Cell{r.bit_exact()});
  out.tree.add("independent_checks", Cell{std::int64_t{r.independent_checks()}});
  out.tree.add("cycles", Cell{r.timing.cycles});
  out.tree.add("latency_ns", Cell{r.timing.latency_ns});
  out.tree.add("events", events);
  out.tree.add("model", cosim);
  out.tree.add("cost", cost_section(c, lc.q.program, r, tech_files));
  for (const auto& ch : r.checks)
    if (ch.mismatches) {
      out.failure = fmt::format("{} differs from the golden model ({} mismatches); first at {}", ch.tensor,
                                ch.mismatches, ch.first_mismatch);
      break;
    }
  return out;
}

}  // namespace mambahw::cli
