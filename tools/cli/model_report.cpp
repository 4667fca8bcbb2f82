// The SystemC model's part of `mambahw run`: golden + SystemC + Verilated RTL
// on one layer. Linked only into the mambahw executable, which provides the
// sc_main SystemC requires.
#include <fmt/core.h>
#include <fmt/format.h>

#include "commands.hpp"
#include "json_report.hpp"
#include "mambahw/cost/model.hpp"
#include "mambahw/model/cosim.hpp"
#include "mambahw/model/cost_bridge.hpp"
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
  for (const auto& op : t.ops) fmt::print("    {:<22} {:<13} start {:>10} cycles {:>10}\n", op.name, op.unit, op.start, op.cycles);
  fmt::print("  units (busy cycles, utilisation, stalls):\n");
  for (const auto& [name, u] : t.units) {
    std::string stalls;
    for (const auto& [cause, n] : u.stalls) stalls += fmt::format(" {} {}", cause, n);
    fmt::print("    {:<20} {:>10} {:>6.1f}%{}\n", name, u.busy, 100 * u.utilization, stalls);
  }
  fmt::print("  DRAM: {:.3f} MB read, {:.3f} MB written\n", static_cast<double>(t.dram_total.read_bytes) / 1e6,
             static_cast<double>(t.dram_total.write_bytes) / 1e6);
  std::string ev;
  for (const auto& [name, n] : t.events.counts) ev += fmt::format(" {}={}", name, n);
  fmt::print("  events:{}\n", ev);
}

nlohmann::json cosim_json(const model::CosimReport& r) {
  const model::LayerReport& t = r.timing;
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& ch : r.checks)
    checks.push_back({{"tensor", ch.tensor}, {"source", ch.source}, {"compared", ch.compared},
                      {"mismatches", ch.mismatches}, {"first_mismatch", ch.first_mismatch}});
  nlohmann::json units = nlohmann::json::object();
  for (const auto& [name, u] : t.units) units[name] = {{"busy_cycles", u.busy}, {"utilization", u.utilization}, {"stalls", u.stalls}};
  nlohmann::json ops = nlohmann::json::array();
  for (const auto& op : t.ops) ops.push_back({{"op", op.name}, {"unit", op.unit}, {"start", op.start}, {"cycles", op.cycles}});
  return {{"hardware", t.hardware}, {"clock_mhz", t.clock_mhz}, {"seq_len", t.seq_len},
          {"ssm_input_mode", static_cast<int>(r.mode)}, {"rtl_in_loop", r.rtl_in_loop}, {"rtl_note", r.rtl_note},
          {"quantizer_variant", r.quantizer_variant}, {"dequant_variant", r.dequant_variant},
          {"quantizer_rtl_cycles", r.quantizer_rtl_cycles}, {"quantizer_rtl_elements", r.quantizer_rtl_elements},
          {"dequant_rtl_cycles", r.dequant_rtl_cycles}, {"dequant_rtl_elements", r.dequant_rtl_elements},
          {"checks", checks}, {"units", units}, {"ops", ops},
          {"dram_read_bytes", t.dram_total.read_bytes}, {"dram_write_bytes", t.dram_total.write_bytes}};
}

}  // namespace

nlohmann::json cost_section(const Config& c, const model::CosimReport& r, const std::vector<std::string>& tech_files) {
  const cost::EventCounts ev = model::to_cost_events(r.timing, {c.model, c.scheme, c.hardware});
  nlohmann::json arr = nlohmann::json::array();
  fmt::print("  energy and area (event counts x technology table; docs/cost-model.md):\n");
  for (const std::string& f : tech_files) {
    const TechTable t = load_tech(resolve_config(f));
    const cost::EnergyReport e = cost::energy_report(ev, t);
    const cost::AreaReport a = cost::area_report(c.hardware, t, c.scheme.layer.weights == WeightPrecision::kInt4);
    std::string by;
    nlohmann::json cat = nlohmann::json::object();
    for (int i = 0; i < cost::kNumCategories; ++i) {
      const auto k = static_cast<cost::Category>(i);
      const double pj = e.pj[static_cast<std::size_t>(i)];
      cat[std::string(cost::to_string(k))] = pj;
      if (pj > 0) by += fmt::format(" {} {:.1f}%", cost::to_string(k), 100 * pj / e.total_pj);
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
    arr.push_back({{"tech", t.name}, {"energy_pj_per_layer", e.total_pj}, {"energy_pj_per_token", e.pj_per_token},
                   {"energy_pj_by_category", cat}, {"area_mm2", a.total_mm2}, {"area_items", area_items},
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
  const nlohmann::json cost = cost_section(c, r, tech_files);
  out.bit_exact = r.bit_exact();
  out.json = {{"bit_exact", r.bit_exact()},
              {"cycles", r.timing.cycles},
              {"latency_ns", r.timing.latency_ns},
              {"events", r.timing.events.counts},
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
