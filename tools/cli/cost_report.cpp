// The energy and area of a configured accelerator as a report node: what
// `mambahw run` prints per technology table from the SystemC model's event
// counts, and what `mambahw sweep --analytic` reports from the layer
// program's (cost::program_events).
#include <algorithm>

#include "commands.hpp"
#include "mambahw/config/tech.hpp"
#include "mambahw/cost/index_study.hpp"
#include "mambahw/cost/model.hpp"
#include "mambahw/cost/unit_cost.hpp"
#include "mambahw/golden/layer_program.hpp"
#include "mambahw/report/report.hpp"

namespace mambahw::cli {

using report::Cell;
using report::Column;
using report::Node;

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

Node cost_report(const Config& c, const LayerProgram& program, const cost::EventCounts& events, double time_ns,
                 const TechTable& t) {
  const cost::UnitPricing pricing = cost::unit_pricing(program, c.scheme, c.hardware, c.run.seq_len, c.run.batch);
  const cost::EnergyReport e = cost::energy_report(events, time_ns, t, pricing);
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
  report::Table mem;
  mem.columns = {Column{"memory", "memory", "{}", -1}, Column{"pj", "pJ", "{:.4g}", 1}};
  for (const auto& [memory, pj] : e.memory_pj) mem.add({memory, pj});
  n.add("memory_pj_by_memory", std::move(mem));
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
  for (const auto& s : cost::sensitivity(events, time_ns, t, pricing))
    sens.add({s.knob, s.range, s.pj_per_token_low / 1e3, s.pj_per_token_high / 1e3, s.area_mm2_low, s.area_mm2_high, s.source});
  n.add("sensitivity", std::move(sens));
  report::Table dv;
  dv.columns = {Column{"label", "DRAM variant", "{}", -16, false, false},
                Column{"variant", ""},
                Column{"selected", ""},
                Column{"pj_per_bit", "pJ/bit", "{:.3g}", 6},
                Column{"nj_per_token", "nJ/token", "{:.1f}", 9},
                Column{"phy_mm2", "PHY mm2", "{:.3g}", 8},
                Column{"source", "source", "{}", -1}};
  for (const auto& v : cost::dram_variant_energy(events, time_ns, t, pricing))
    dv.add({v.selected ? v.variant + "*" : v.variant, v.variant, v.selected, v.pj_per_bit, v.pj_per_token / 1e3,
            v.phy_mm2, v.source});
  n.add("dram_variants", std::move(dv));
  n.add("index_bases", index_bases(c, t));
  std::vector<std::string> notes = e.notes;
  for (const std::string& note : a.notes)
    if (std::find(notes.begin(), notes.end(), note) == notes.end()) notes.push_back(note);
  n.add("notes", Cell{report::TextList(notes)});
  return n;
}

}  // namespace mambahw::cli
