// The SystemC model's part of `mambahw run`: golden + SystemC + Verilated RTL
// on one layer. Linked only into the mambahw executable, which provides the
// sc_main SystemC requires.
#include <fmt/core.h>
#include <fmt/format.h>

#include "commands.hpp"
#include "json_report.hpp"
#include "mambahw/cost/model.hpp"
#include "mambahw/model/cosim.hpp"
#include "mambahw/cost/index_study.hpp"
#include "mambahw/interop/sources.hpp"
#include "mambahw/studies/layer_accuracy.hpp"
#include "mambahw/config/tech.hpp"

namespace mambahw::cli {

namespace {

void print_cosim(const Config& c, const model::CosimReport& r) {
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
  fmt::print("  bit-exact vs golden: {} ({} mismatches)\n", r.bit_exact() ? "yes" : "NO", r.mismatches());
  for (const auto& ch : r.checks)
    fmt::print("    {:<20} {:>10} compared, {:>6} mismatches ({}){}\n", ch.tensor, ch.compared, ch.mismatches, ch.source,
               ch.mismatches ? "; first: " + ch.first_mismatch : std::string());
  fmt::print("  cycles {} = {:.1f} us at {} MHz\n", t.cycles, t.latency_ns / 1000, t.clock_mhz);
  for (const auto& op : t.ops)
    fmt::print("    {:<22} {:<18} start {:>10} cycles {:>10}\n", op.name, to_string(op.unit), op.start, op.cycles);
  fmt::print("  units (busy cycles, utilisation, stalls):\n");
  for (const auto& [name, u] : t.units) {
    std::string stalls;
    for (std::size_t i = 0; i < cost::kNumStalls; ++i)
      if (u.stalls[i]) stalls += fmt::format(" {} {}", to_string(static_cast<cost::Stall>(i)), u.stalls[i]);
    fmt::print("    {:<20} {:>10} {:>6.1f}%{}\n", name, u.busy, 100 * u.utilization, stalls);
  }
  fmt::print("  DRAM: {:.3f} MB read, {:.3f} MB written (incl. the host's {:.3f} MB of {}, which the units' counts "
             "leave out: in a model it is the previous layer's output)\n",
             static_cast<double>(t.dram_total.read_bytes) / 1e6, static_cast<double>(t.dram_total.write_bytes) / 1e6,
             static_cast<double>(t.dram.at(t.host_input).write_bytes) / 1e6, t.host_input);
  fmt::print("  events (per unit, as the units counted them):\n");
  for (std::size_t u = 0; u < kNumUnits; ++u) {
    std::string ev;
    for (std::size_t k = 0; k < cost::kNumCounters; ++k)
      if (const auto n = t.events.units[u].n[k]) ev += fmt::format(" {}={}", to_string(static_cast<cost::Counter>(k)), n);
    if (!ev.empty()) fmt::print("    {:<20}{}\n", to_string(static_cast<Unit>(u)), ev);
  }
}

nlohmann::json events_json(const cost::EventCounts& e) {
  nlohmann::json j = nlohmann::json::object();
  for (std::size_t u = 0; u < kNumUnits; ++u) {
    nlohmann::json c = nlohmann::json::object();
    for (std::size_t k = 0; k < cost::kNumCounters; ++k)
      if (const auto n = e.units[u].n[k]) c[std::string(to_string(static_cast<cost::Counter>(k)))] = n;
    j[std::string(to_string(static_cast<Unit>(u)))] = c;
  }
  return j;
}

nlohmann::json stalls_json(const std::array<model::Cycles, cost::kNumStalls>& s) {
  nlohmann::json j = nlohmann::json::object();
  for (std::size_t i = 0; i < cost::kNumStalls; ++i)
    if (s[i]) j[std::string(to_string(static_cast<cost::Stall>(i)))] = s[i];
  return j;
}

nlohmann::json cosim_json(const model::CosimReport& r) {
  const model::LayerReport& t = r.timing;
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& ch : r.checks)
    checks.push_back({{"tensor", ch.tensor}, {"source", ch.source}, {"compared", ch.compared},
                      {"mismatches", ch.mismatches}, {"first_mismatch", ch.first_mismatch}});
  nlohmann::json units = nlohmann::json::object();
  for (const auto& [name, u] : t.units)
    units[name] = {{"busy_cycles", u.busy}, {"utilization", u.utilization}, {"stalls", stalls_json(u.stalls)}};
  nlohmann::json ops = nlohmann::json::array();
  for (const auto& op : t.ops)
    ops.push_back({{"op", op.name}, {"unit", to_string(op.unit)}, {"start", op.start}, {"cycles", op.cycles}});
  return {{"hardware", t.hardware}, {"clock_mhz", t.clock_mhz}, {"seq_len", t.seq_len},
          {"ssm_input_mode", static_cast<int>(r.mode)}, {"rtl_in_loop", r.rtl_in_loop}, {"rtl_note", r.rtl_note},
          {"quantizer_variant", r.quantizer_variant}, {"dequant_variant", r.dequant_variant},
          {"quantizer_rtl_cycles", r.quantizer_rtl_cycles}, {"quantizer_rtl_elements", r.quantizer_rtl_elements},
          {"dequant_rtl_cycles", r.dequant_rtl_cycles}, {"dequant_rtl_elements", r.dequant_rtl_elements},
          {"checks", checks}, {"units", units}, {"ops", ops},
          {"dram_read_bytes", t.dram_total.read_bytes}, {"dram_write_bytes", t.dram_total.write_bytes}};
}

}  // namespace

// The index memory of the run's hardware under each base scheme, counted as
// `mambahw compare` counts it (one lookup per SSM-input channel per pass).
nlohmann::json print_index_bases(const Config& c, const TechTable& t) {
  nlohmann::json arr = nlohmann::json::array();
  for (SchemeBase base : {SchemeBase::kQuamba1, SchemeBase::kQuamba2}) {
    QuantScheme s = c.scheme;
    s.base = base;
    const cost::IndexScheme is = cost::index_scheme_of(s, c.hardware);
    const cost::IndexStudyRow r = cost::index_study(c.model, is, t, c.hardware.clock_mhz, c.run.seq_len);
    const double layer_pj = r.energy_pj_per_lookup * static_cast<double>(scale_lookups_per_pass(c.model));
    fmt::print("    {:<14} scale index {:<13} {:>8.4g} mm2 ({} layers, {}), {:.4g} pJ/lookup x {} lookups = {:.4g} nJ "
               "per layer pass; {:.4g} pJ per token over all layers at L = {}\n",
               "", base == c.scheme.base ? is.name + "*" : is.name, r.area_mm2, c.model.n_layer, r.area_impl,
               r.energy_pj_per_lookup, scale_lookups_per_pass(c.model), layer_pj / 1e3, r.energy_pj_per_token,
               c.run.seq_len);
    arr.push_back({{"index", is.name}, {"base", to_string(base)}, {"selected", base == c.scheme.base},
                   {"area_mm2", r.area_mm2}, {"area_impl", r.area_impl}, {"energy_pj_per_lookup", r.energy_pj_per_lookup},
                   {"lookups_per_layer_pass", scale_lookups_per_pass(c.model)},
                   {"energy_pj_per_layer_pass", layer_pj}, {"energy_pj_per_token_all_layers", r.energy_pj_per_token},
                   {"lookup_latency_cycles", r.lookup_latency_cycles}});
  }
  return arr;
}

nlohmann::json cost_section(const Config& c, const LayerProgram& program, const model::CosimReport& r,
                            const std::vector<std::string>& tech_files) {
  const cost::EventCounts& ev = r.timing.events;
  const cost::UnitPricing pricing = cost::unit_pricing(program, c.scheme, c.hardware);
  nlohmann::json arr = nlohmann::json::array();
  fmt::print("  energy and area (event counts x technology table; docs/cost-model.md); the scale index under both "
             "bases, * = this scheme's:\n");
  for (const std::string& f : tech_files) {
    const TechTable t = load_tech(resolve_config(f));
    const cost::EnergyReport e = cost::energy_report(ev, t, pricing);
    const cost::AreaReport a = cost::area_report(c.hardware, t, pricing);
    std::string by;
    nlohmann::json cat = nlohmann::json::object();
    for (std::size_t i = 0; i < cost::kNumCategories; ++i) {
      const auto k = static_cast<cost::Category>(i);
      const double pj = e.pj[i];
      cat[std::string(to_string(k))] = pj;
      if (pj > 0) by += fmt::format(" {} {:.1f}%", to_string(k), 100 * pj / e.total_pj);
    }
    fmt::print("    {:<14} {:.4g} uJ per layer, {:.4g} nJ per token;{}\n", t.name, e.total_pj / 1e6,
               e.pj_per_token / 1e3, by);
    std::string items;
    nlohmann::json area_items = nlohmann::json::array();
    for (const auto& i : a.items) {
      items += fmt::format(" {} {:.3g}", i.unit, i.mm2);
      area_items.push_back({{"unit", i.unit}, {"mm2", i.mm2}, {"how", i.how}});
    }
    fmt::print("    {:<14} area {:.3g} mm2:{}\n", "", a.total_mm2, items);
    const nlohmann::json index = print_index_bases(c, t);
    arr.push_back({{"tech", t.name}, {"energy_pj_per_layer", e.total_pj}, {"energy_pj_per_token", e.pj_per_token},
                   {"energy_pj_by_category", cat}, {"pj_per_lookup", e.pj_per_lookup},
                   {"exp_pj_per_evaluation", cost::mix_energy_pj(pricing.exp_eval, t)},
                   {"softplus_pj_per_evaluation", cost::mix_energy_pj(pricing.softplus_eval, t)},
                   {"area_mm2", a.total_mm2}, {"area_items", area_items}, {"index_bases", index},
                   {"notes", e.notes}});
  }
  return arr;
}

ModelOutcome run_model_report(const Config& c, const std::vector<std::string>& tech_files) {
  const interop::RunSources sources(c);  // the config's weights: and activations:
  const LayerCase lc = make_layer_case(c.model, c.scheme, sources.layer_sources(), c.run, 0);
  const model::System sys{c.model, c.scheme, c.hardware};
  const model::CosimReport r = model::run_cosim(sys, lc.q, lc.input);
  print_cosim(c, r);
  ModelOutcome out;
  const nlohmann::json cost = cost_section(c, lc.q.program, r, tech_files);
  out.bit_exact = r.bit_exact();
  out.json = {{"bit_exact", r.bit_exact()},
              {"cycles", r.timing.cycles},
              {"latency_ns", r.timing.latency_ns},
              {"events", events_json(r.timing.events)},
              {"model", cosim_json(r)},
              {"cost", cost}};
  for (const auto& ch : r.checks)
    if (ch.mismatches) {
      out.failure = fmt::format("{} differs from the golden model ({} mismatches); first at {}", ch.tensor,
                                ch.mismatches, ch.first_mismatch);
      break;
    }
  return out;
}

}  // namespace mambahw::cli
