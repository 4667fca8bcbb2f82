// The SystemC model's part of `mambahw run`: golden + SystemC + Verilated RTL
// on one layer. Linked only into the mambahw executable, which provides the
// sc_main SystemC requires.
#include <algorithm>
#include <optional>

#include <fmt/core.h>
#include <fmt/format.h>

#include "commands.hpp"
#include "json_report.hpp"
#include "schedules.hpp"
#include "mambahw/cost/gemm_mapping.hpp"
#include "mambahw/cost/model.hpp"
#include "mambahw/cost/unit_cost.hpp"
#include "mambahw/model/cosim.hpp"
#include "mambahw/model/totals.hpp"
#include "mambahw/cost/index_study.hpp"
#include "mambahw/golden/threads.hpp"
#include "mambahw/interop/sources.hpp"
#include "mambahw/studies/layer_accuracy.hpp"
#include "mambahw/config/tech.hpp"
#include "mambahw/report/report.hpp"

namespace mambahw::cli {

namespace {

using report::Cell;
using report::Column;
using report::Node;

report::Table checks_table(const std::vector<model::TensorCheck>& v) {
  report::Table checks;
  checks.columns = {Column{"tensor", "tensor", "{}", -11},          Column{"op", "op", "{}", -21},
                    Column{"unit", "unit", "{}", -18},              Column{"source", "producer", "{}", -22},
                    Column{"compared", "compared", "{}", 9},        Column{"mismatches", "mismatches", "{}", 10},
                    Column{"reference", "against", "{}", -25}, Column{"first_mismatch", "first mismatch", "{}", -1}};
  for (const auto& ch : v)
    checks.add({ch.tensor, ch.op, ch.unit, ch.source, ch.compared, ch.mismatches, ch.reference, ch.first_mismatch});
  return checks;
}

// Each GEMM's mapping (the mapper's choice) and its efficiency, beside the fixed mapping's traffic.
report::Table gemm_table(const std::vector<model::GemmRun>& runs) {
  report::Table t;
  t.columns = {Column{"op", "op", "{}", -10},          Column{"m", "M", "{}", 5},
               Column{"k", "K", "{}", 5},              Column{"n", "N", "{}", 6},
               Column{"order", "loop order", "{}", -13}, Column{"m_tile", "m tile", "{}", 6},
               Column{"n_block", "n block", "{}", 7},  Column{"dram_mb", "DRAM MB", "{:.3f}", 8},
               Column{"min_mb", "min MB", "{:.3f}", 7}, Column{"fixed_mb", "fixed MB", "{:.3f}", 8},
               Column{"compute_cycles", "compute", "{}", 9}, Column{"cycles", "cycles", "{}", 9},
               Column{"efficiency", "array eff", "{:.3f}", 9}};
  for (const model::GemmRun& g : runs) {
    const cost::GemmMapping& mp = g.mapping;
    t.add({g.op, g.shape.m, g.shape.k, g.shape.n, std::string(to_string(mp.order)), mp.m_tile, mp.n_block,
           static_cast<double>(mp.dram_bytes()) / 1e6, static_cast<double>(mp.min_dram_bytes) / 1e6,
           static_cast<double>(g.fixed.dram_bytes()) / 1e6, mp.compute_cycles, g.cycles, mp.efficiency});
  }
  return t;
}

// The decode steps: per-token latency and rate, the state's home, the steps'
// traffic, one step's ops and every step's checks against golden's continuation.
Node decode_report(const model::CosimReport& r) {
  const model::DecodeReport& d = *r.timing.decode;
  Node n = Node::object();
  const double per_token_ns = d.latency_ns / d.steps;
  for (const auto& [k, v] : std::vector<std::pair<const char*, Cell>>{
           {"steps", std::int64_t{d.steps}}, {"cycles", d.cycles}, {"latency_ns", d.latency_ns},
           {"cycles_per_token", static_cast<double>(d.cycles) / d.steps}, {"latency_ns_per_token", per_token_ns},
           {"tokens_per_s", 1e9 * r.timing.batch / per_token_ns}, {"state_bytes", d.state_bytes},
           {"state_buffer_bytes", d.state_buffer_bytes}, {"state_layers", std::int64_t{d.state_layers}},
           {"state_spilled", d.state_spilled},
           {"dram_read_bytes", d.dram_total.read_bytes}, {"dram_write_bytes", d.dram_total.write_bytes}})
    n.add(k, v);
  n.add("checks", checks_table(r.decode_checks));
  report::Table ops;
  ops.columns = {Column{"op", "op", "{}", -22}, Column{"unit", "unit", "{}", -18}, Column{"start", "start", "{}", 10},
                 Column{"cycles", "cycles", "{}", 10}};
  for (const auto& op : d.ops) ops.add({op.name, std::string(to_string(op.unit)), op.start, op.cycles});
  n.add("ops", std::move(ops));
  report::Table traffic;
  traffic.columns = {Column{"tensor", "tensor", "{}", -14}, Column{"read_bytes", "read/token", "{:.0f}", 12},
                     Column{"write_bytes", "written/token", "{:.0f}", 14}};
  for (const auto& [name, t] : d.dram)
    traffic.add({name, static_cast<double>(t.read_bytes) / d.steps, static_cast<double>(t.write_bytes) / d.steps});
  n.add("dram", std::move(traffic));
  return n;
}

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
           {"dequant_rtl_elements", r.dequant_rtl_elements}, {"lookup_rtl_in_loop", r.lookup_rtl_in_loop},
           {"lookup_variant", r.lookup_variant}, {"lookup_note", r.lookup_note},
           {"lookup_rtl_cycles", r.lookup_rtl_cycles}, {"lookup_rtl_elements", r.lookup_rtl_elements}, {"cycles", t.cycles}, {"latency_ns", t.latency_ns},
           {"dram_read_bytes", t.dram_total.read_bytes}, {"dram_write_bytes", t.dram_total.write_bytes},
           {"host_input", t.host_input},
           {"host_input_bytes", t.dram.at(t.host_input).write_bytes}})
    n.add(k, v);
  n.add("checks", checks_table(r.checks));
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
  n.add("gemms", gemm_table(t.gemms));
  if (t.decode) n.add("decode", decode_report(r));
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
  fmt::print("\nSystemC accelerator model ({} hardware, {} MHz): {} of {}, {} {} of {} tokens, SSM input mode {} {}\n",
             t.hardware, t.clock_mhz,
             t.layers == 1 ? std::string("layer 0")
                           : fmt::format("layers 0..{} chained (each its own weights; the residual add and RMSNorm "
                                         "between them on the host)",
                                         t.layers - 1),
             c.model.name, t.batch, t.batch == 1 ? "sequence" : "sequences sharing the weights", t.seq_len,
             static_cast<int>(r.mode), to_string(r.mode));
  if (r.rtl_in_loop)
    fmt::print("  RTL in the loop: conv_out_quantizer ({}) {} elements in {} cycles; ssm_dequant ({}) {} elements in {} "
               "cycles\n",
               r.quantizer_variant, r.quantizer_rtl_elements, r.quantizer_rtl_cycles, r.dequant_variant,
               r.dequant_rtl_elements, r.dequant_rtl_cycles);
  else
    fmt::print("  RTL not in the loop: {} (analytic RTL latencies used)\n", r.rtl_note);
  if (r.lookup_rtl_in_loop)
    fmt::print("  RTL in the loop: scale_index_lookup ({}) {} lookups over the index SRAM's words in {} cycles\n",
               r.lookup_variant, r.lookup_rtl_elements, r.lookup_rtl_cycles);
  else if (!r.lookup_note.empty())
    fmt::print("  scale_index_lookup RTL not in the loop: {} (its C++ model reads the index SRAM)\n", r.lookup_note);
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
  fmt::print("  GEMM mappings (the mapper's loop order and tiles under buffers.weight_kib / activation_kib; DRAM MB of "
             "weight codes + input + outputs, min = each once, fixed = the n-outer all-token mapping; array eff = MACs / "
             "(compute cycles x array MACs)):\n");
  fmt::print("{}", report::to_text(n.at("gemms").table(), 4));
  fmt::print("  units (busy cycles, utilisation, stall cycles by cause):\n");
  fmt::print("{}", report::to_text(n.at("units").table(), 4));
  fmt::print("  DRAM: {:.3f} MB read, {:.3f} MB written (incl. the host's {:.3f} MB of {}, which the units' counts "
             "leave out: in a model it is the previous layer's output)\n",
             static_cast<double>(t.dram_total.read_bytes) / 1e6, static_cast<double>(t.dram_total.write_bytes) / 1e6,
             static_cast<double>(t.dram.at(t.host_input).write_bytes) / 1e6, t.host_input);
  if (t.decode) {
    const model::DecodeReport& d = *t.decode;
    const Node& dn = n.at("decode");
    fmt::print("  decode: {} steps after the {}-token prompt, one token each from the carried conv and SSM states: "
               "{:.0f} cycles = {:.3f} us per step, {:.1f} tokens/s ({} simulated)\n",
               d.steps, t.seq_len, std::get<double>(dn.at("cycles_per_token").cell()),
               std::get<double>(dn.at("latency_ns_per_token").cell()) / 1000,
               std::get<double>(dn.at("tokens_per_s").cell()),
               t.layers == 1 ? std::string("one layer") : fmt::format("{} layers", t.layers));
    fmt::print("    SSM state {:.1f} KiB per layer, {} layers: {} (state buffer {:.1f} KiB); DRAM per token {:.3f} MB read, "
               "{:.3f} MB written\n",
               static_cast<double>(d.state_bytes) / 1024, d.state_layers,
               d.state_spilled ? "spilled to DRAM between steps" : "kept in the state buffer",
               static_cast<double>(d.state_buffer_bytes) / 1024,
               static_cast<double>(d.dram_total.read_bytes) / d.steps / 1e6,
               static_cast<double>(d.dram_total.write_bytes) / d.steps / 1e6);
    std::int64_t dm = 0;
    for (const auto& ch : r.decode_checks) dm += ch.mismatches;
    fmt::print("    decode vs golden's continuation (run_continuation, the state carried by golden): {} ({} tensors x {} "
               "steps, {} mismatches)\n",
               dm ? "MISMATCH" : "bit-exact", r.decode_checks.size(), d.steps, dm);
    fmt::print("{}", report::to_text(dn.at("checks").table(), 6));
    fmt::print("    one step's ops (cycles from the step's start):\n");
    fmt::print("{}", report::to_text(dn.at("ops").table(), 6));
  }
  fmt::print("  events (per unit, as the units counted them):\n");
  for (const auto& [unit, counters] : std::get<report::Object>(events.value)) {
    std::string line;
    for (const auto& [k, v] : std::get<report::Object>(counters.value))
      line += fmt::format(" {}={}", k, report::cell_text(v.cell(), "{}"));
    if (!line.empty()) fmt::print("    {:<20}{}\n", unit, line);
  }
}


// ---- the schedules side by side (docs/architecture.md, "Schedules") -----------------

ScheduleSummary summarize(const Config& c, const LayerProgram& program, const model::CosimReport& r,
                          const std::vector<TechTable>& techs) {
  const model::LayerReport& t = r.timing;
  ScheduleSummary s;
  s.schedule = std::string(to_string(t.schedule));
  s.ran = true;
  s.mismatches = r.mismatches();
  s.cycles = t.cycles;
  s.layer0_cycles = t.layer_cycles.empty() ? t.cycles : t.layer_cycles.front();
  s.layers = t.layers;
  s.batch = t.batch;
  s.seq_len = t.seq_len;
  s.producer_wait = t.producer_wait;
  s.latency_ns = t.latency_ns;
  s.dram_read = t.dram_total.read_bytes;
  s.dram_write = t.dram_total.write_bytes;
  s.host_input_bytes = t.dram.at(t.host_input).write_bytes;
  s.on_chip = t.on_chip;
  std::size_t g = 0;
  for (const model::OpReport& o : t.ops) {
    ScheduleSummary::Op op{o.name, std::string(to_string(o.unit)), o.start, o.cycles, o.busy, o.stalls, -1};
    if (o.unit == Unit::kGemmArray && g < t.gemms.size()) op.gemm_dram_bytes = t.gemms[g++].mapping.dram_bytes();
    s.ops.push_back(op);
  }
  if (!techs.empty()) {
    const TechTable& tech = techs.front();
    s.energy_pj = std::get<double>(cost_report(c, program, t.events, t.latency_ns, tech).at("energy_pj_per_layer").cell());
    if (t.decode)
      s.decode_pj_per_token = std::get<double>(
          cost_report(c, program, t.decode->events, t.decode->latency_ns, tech).at("energy_pj_per_token").cell());
  }
  if (t.decode) {
    s.steps = t.decode->steps;
    s.decode_cycles = t.decode->cycles;
    s.decode_latency_ns = t.decode->latency_ns;
    s.decode_dram_read = t.decode->dram_total.read_bytes;
    s.decode_dram_write = t.decode->dram_total.write_bytes;
  }
  return s;
}

void print_schedules(const Node& sched, const Node& serial_band, const Node& pipe_band, const ScheduleSummary& other,
                     Schedule configured) {
  fmt::print("  schedules (hardware.schedule: {}; {}; docs/architecture.md, \"Schedules\"):\n", to_string(configured),
             other.ran ? fmt::format("the {} schedule from a run of the same config and inputs in a process of its own",
                                     other.schedule)
                       : std::string("one schedule per process"));
  if (!other.ran) fmt::print("    {}: {}\n", other.schedule, other.error);
  if (other.ran) fmt::print("{}", report::to_text(sched.at("ops").table(), 4));
  fmt::print("{}", report::to_text(sched.at("totals").table(), 4));
  if (!std::get<report::Object>(serial_band.value).empty()) {
    fmt::print("  accuracy band, serial: each op's cycles against its roofline bound (max of compute and DRAM at every "
               "tensor once); the causes of a gap over 5% as the model counted them, which add up to the model's "
               "cycles less the compute bound (docs/architecture.md, \"Accuracy band\"):\n");
    fmt::print("{}", report::to_text(serial_band.at("ops").table(), 4));
  }
  if (!std::get<report::Object>(pipe_band.value).empty()) {
    fmt::print("  accuracy band, pipelined: each unit's busy cycles and the end of its last op against its compute "
               "bound (its ops' compute cycles), the DRAM channel's bytes against every tensor once but those held in "
               "the fusion buffer, the layer against the larger bound; a unit's causes add up to its cycles, the "
               "layer's to its cycles (docs/architecture.md, \"Accuracy band\"):\n");
    fmt::print("{}", report::to_text(pipe_band.at("units").table(), 4));
  }
}
}  // namespace

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
  if (!n.at("dram_variants").table().rows.empty()) {
    fmt::print("    {:<14} energy per token under each cited DRAM technology (* = this table's; the rest nominal):\n", "");
    fmt::print("{}", report::to_text(n.at("dram_variants").table(), 19));
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
                  const std::vector<TechTable>& techs) {
  Node list = Node::list();
  fmt::print("  energy and area (event counts x technology table; docs/cost-model.md); the scale index under both "
             "bases, * = this scheme's:\n");
  for (const TechTable& t : techs) print_cost(list.push(cost_report(c, program, r.timing.events, r.timing.latency_ns, t)));
  return list;
}

namespace {
FloatTensor token_rows(const FloatTensor& x, std::size_t t0, std::size_t t1) {
  FloatTensor y({t1 - t0, x.dim(1)});
  std::copy(x.data() + t0 * x.dim(1), x.data() + t1 * x.dim(1), y.data());
  return y;
}
}  // namespace

namespace {

// The whole model's totals (model/totals.hpp): the simulated layers' figures,
// scaled by n_layer / layers when fewer than n_layer were simulated.
Node whole_model_report(const Config& c, const LayerProgram& program, const model::CosimReport& r, const Node& cost,
                        const Node* decode_cost, const std::vector<TechTable>& techs) {
  const model::WholeModel w = model::whole_model(r.timing, model::System{c.model, c.scheme, c.hardware});
  Node n = Node::object();
  for (const auto& [k, v] : std::vector<std::pair<const char*, Cell>>{
           {"layers_simulated", std::int64_t{w.layers_simulated}}, {"n_layer", std::int64_t{w.n_layer}},
           {"scaled", w.scaled()}, {"scale", w.scale}, {"batch", std::int64_t{w.batch}},
           {"seq_len", std::int64_t{w.seq_len}}, {"prefill_cycles", w.prefill_cycles},
           {"prefill_latency_ns", w.prefill_latency_ns}, {"prefill_tokens_per_s", w.prefill_tokens_per_s},
           {"decode_steps", std::int64_t{w.decode_steps}}, {"decode_cycles_per_step", w.decode_cycles_per_step},
           {"decode_latency_ns_per_step", w.decode_latency_ns_per_step}, {"decode_tokens_per_s", w.decode_tokens_per_s}})
    n.add(k, v);
  report::Table e;
  e.columns = {Column{"tech", "tech", "{}", -22}, Column{"prefill_nj_per_token", "prefill nJ/token", "{:.4g}", 16},
               Column{"decode_nj_per_token", "decode nJ/token", "{:.4g}", 15},
               Column{"lm_head_nj_per_pass", "LM head nJ/pass", "{:.4g}", 15}};
  const report::List& pl = std::get<report::List>(cost.value);
  for (std::size_t i = 0; i < pl.size(); ++i) {
    // The LM head's pass (w.lm_head->events, over its analytic time: leakage
    // included) is priced by the same table; its energy is shared by the
    // prefill's tokens and is each decode step's once more.
    Cell head{};
    double head_pj = 0;
    if (w.lm_head) {
      const double ns = w.lm_head->cycles() * c.hardware.cycle_ns();
      head_pj = std::get<double>(cost_report(c, program, w.lm_head->events, ns, techs.at(i)).at("energy_pj_per_layer").cell());
      head = head_pj / 1e3;
    }
    const double pre = std::get<double>(pl[i].at("energy_pj_per_token").cell()) * w.scale / 1e3 +
                       head_pj / 1e3 / static_cast<double>(w.batch * w.seq_len);
    Cell dec{};
    if (decode_cost)
      dec = std::get<double>(std::get<report::List>(decode_cost->value)[i].at("energy_pj_per_token").cell()) * w.scale / 1e3 +
            head_pj / 1e3 / w.batch;
    e.add({std::get<std::string>(pl[i].at("tech").cell()), pre, dec, head});
  }
  if (w.lm_head) {
    const model::LmHead& h = *w.lm_head;
    Node head = Node::object();
    for (const auto& [k, v] : std::vector<std::pair<const char*, Cell>>{
             {"analytic", true}, {"m", h.shape.m}, {"k", h.shape.k}, {"n", h.shape.n},
             {"weight_bits", std::int64_t{h.shape.weight_bits}}, {"order", std::string(to_string(h.mapping.order))},
             {"compute_cycles", h.compute_cycles}, {"dram_bytes", h.mapping.dram_bytes()},
             {"dram_cycles", h.dram_cycles}, {"fetch_cycles", h.fetch_cycles}, {"cycles", h.cycles()},
             {"bound", std::string(h.bound())}})
      head.add(k, v);
    n.add("lm_head", std::move(head));
  }
  n.add("energy", std::move(e));
  report::Table t;
  t.columns = {Column{"tensor", "tensor", "{}", -14}, Column{"prefill_mb", "prefill MB", "{:.3f}", 11},
               Column{"decode_mb_per_step", "decode MB/step", "{:.4f}", 14}};
  for (const auto& [name, b] : w.prefill_dram_bytes) {
    const auto it = w.decode_dram_bytes_per_step.find(name);
    t.add({name, b / 1e6, it == w.decode_dram_bytes_per_step.end() ? 0.0 : it->second / 1e6});
  }
  n.add("dram", std::move(t));
  const std::string how = w.scaled() ? fmt::format("{} of {} layers simulated, figures x {:.4g} (scaled, not simulated)",
                                                   w.layers_simulated, w.n_layer, w.scale)
                                     : fmt::format("all {} layers simulated, chained", w.n_layer);
  fmt::print("  whole model ({}; batch {}):\n", how, w.batch);
  if (w.lm_head) {
    const model::LmHead& h = *w.lm_head;
    fmt::print("    LM head, analytic (not simulated; docs/architecture.md, \"Whole models and batch\"): {} x {} x {} "
               "per pass ({} token{}: the prompt's last, then each step's), {}-bit weights, mapping {}: {:.0f} "
               "compute cycles, {:.3f} MB = {:.0f} DRAM cycles, {:.0f} cycles of weight-tile fetches (latency, "
               "gemm.prefetch_depth in flight); the largest, {:.0f} cycles ({}), is in the prefill and in each decode "
               "step below, and so is its energy (\"LM head nJ/pass\" below)\n",
               h.shape.m, h.shape.k, h.shape.n, h.shape.m, h.shape.m == 1 ? "" : "s", h.shape.weight_bits,
               to_string(h.mapping.order), h.compute_cycles, static_cast<double>(h.mapping.dram_bytes()) / 1e6,
               h.dram_cycles, h.fetch_cycles, h.cycles(), h.bound());
  } else {
    fmt::print("    LM head: not timed (the model config gives no vocab)\n");
  }
  fmt::print("    prefill {} x {} tokens: {:.0f} cycles = {:.3f} ms, {:.1f} tokens/s\n", w.batch, w.seq_len,
             w.prefill_cycles, w.prefill_latency_ns / 1e6, w.prefill_tokens_per_s);
  if (w.decode_steps)
    fmt::print("    decode: {:.0f} cycles = {:.3f} us per step ({} token{} per step), {:.1f} tokens/s\n",
               w.decode_cycles_per_step, w.decode_latency_ns_per_step / 1e3, w.batch, w.batch == 1 ? "" : "s",
               w.decode_tokens_per_s);
  fmt::print("    energy per token (event counts x table, the simulated layers' share scaled{}):\n",
             w.lm_head ? "; with the LM head's pass: over the prompt's tokens, and once per decode step" : "");
  fmt::print("{}", report::to_text(n.at("energy").table(), 6));
  fmt::print("    DRAM traffic per tensor (read + written; utilisation per unit: the units table above):\n");
  fmt::print("{}", report::to_text(n.at("dram").table(), 6));
  return n;
}

// The first run.layers layers chained, over run.batch sequences (model::run_cosim_stack).
model::CosimReport run_stack(const Config& c, std::vector<QuantizedLayer>& qs) {
  const auto L = static_cast<std::size_t>(c.run.seq_len), N = static_cast<std::size_t>(c.run.decode);
  const int K = std::min(c.run.layers, c.model.n_layer);
  const interop::RunSources sources(c);
  RunSettings rs = c.run;
  rs.seq_len += c.run.decode;
  model::StackInputs in;
  for (int l = 0; l < K; ++l) {
    LayerCase lc = make_layer_case(c.model, c.scheme, sources.layer_sources(), rs, l);
    qs.push_back(std::move(lc.q));
    if (l > 0) continue;
    // Sequence b's tokens at layer 0 (synthetic: the activation stream under
    // seed + b; a tensor file: its row b of [batch, L, d_model]).
    for (int b = 0; b < c.run.batch; ++b) {
      const FloatTensor x = b == 0 ? lc.input : sources.layer_sources().activations.sequence(c.model, rs, 0, b);
      if (x.dim(0) < L + N)
        throw ConfigError(fmt::format("run.decode: the layer input has {} tokens, fewer than seq_len + decode = {}",
                                      x.dim(0), L + N));
      in.prompts.push_back(token_rows(x, 0, L));
      if (N) in.decode_inputs.push_back(token_rows(x, L, L + N));
    }
  }
  for (const QuantizedLayer& q : qs) in.layers.push_back(&q);
  model::CosimOptions opt;
  opt.state_layers = c.model.n_layer;
  return model::run_cosim_stack({c.model, c.scheme, c.hardware}, in, opt);
}

}  // namespace

ModelOutcome run_model_report(const Config& c, const std::vector<std::string>& tech_files, const SharedLayer* shared,
                              const ModelRunOptions& options) {
  const bool child = !options.summary_file.empty();
  const Schedule other_schedule = c.hardware.schedule == Schedule::kSerial ? Schedule::kPipelined : Schedule::kSerial;
  // The other schedule runs beside this one, in a process of its own
  // (SystemC elaborates once per process); a run that is that process never
  // starts another.
  std::optional<OtherScheduleRun> other_run;
  if (options.other_schedule && !child) other_run.emplace(std::string(to_string(other_schedule)), options.other_args);
  const auto L = static_cast<std::size_t>(c.run.seq_len), N = static_cast<std::size_t>(c.run.decode);
  const bool stack = std::min(c.run.layers, c.model.n_layer) > 1 || c.run.batch > 1;
  // With decode steps the input stream is seq_len + decode tokens (the
  // prompt, then the steps' inputs), calibrated as one: the accuracy
  // report's layer of seq_len tokens is not that layer, so it is not shared.
  std::optional<LayerCase> own;
  std::vector<QuantizedLayer> stack_layers;
  if (!stack && (N || !shared || !shared->q || !shared->input)) {
    const interop::RunSources sources(c);  // the config's weights: and activations:
    RunSettings rs = c.run;
    rs.seq_len += c.run.decode;
    own = make_layer_case(c.model, c.scheme, sources.layer_sources(), rs, 0);
  }
  model::CosimReport r;
  if (stack) {
    r = run_stack(c, stack_layers);
  } else {
    const QuantizedLayer& q = own ? own->q : *shared->q;
    const FloatTensor& input = own ? own->input : *shared->input;
    const model::System sys{c.model, c.scheme, c.hardware};
    if (input.dim(0) < L + N)
      throw ConfigError(fmt::format("run.decode: the layer input has {} tokens, fewer than seq_len + decode = {}",
                                    input.dim(0), L + N));
    model::CosimOptions opt;
    opt.state_layers = c.model.n_layer;  // the layer is one of n_layer whose states share the state buffer in decode
    if (!own && shared->golden) opt.golden = shared->golden;
    r = N ? model::run_cosim(sys, q, token_rows(input, 0, L), token_rows(input, L, L + N), opt)
          : model::run_cosim(sys, q, input, opt);
  }
  const LayerProgram& program = stack ? stack_layers[0].program : (own ? own->q : *shared->q).program;
  // The technology tables, loaded once for every energy figure below.
  std::vector<TechTable> techs;
  for (const std::string& f : tech_files) techs.push_back(load_tech(resolve_config(f)));
  const ScheduleSummary mine = summarize(c, program, r, techs);
  if (child) {  // the other schedule's run: its summary for the run that started it, and nothing printed
    write_json_file(options.summary_file, nlohmann::json(mine));
    ModelOutcome out;
    out.bit_exact = r.bit_exact();
    return out;
  }
  const Node cosim = cosim_report(r);
  const Node events = events_report(r.timing.events);
  print_cosim(c, r, cosim, events);
  ScheduleSummary other;
  if (other_run) {
    other = other_run->finish();
  } else {
    other.schedule = std::string(to_string(other_schedule));
    other.error = "not run: " + options.no_other_reason;
  }
  const bool serial_first = c.hardware.schedule == Schedule::kSerial;
  const ScheduleSummary& ser = serial_first ? mine : other;
  const ScheduleSummary& pip = serial_first ? other : mine;
  // The bands' roofline: the program over every sequence's tokens (a GEMM
  // runs once over all of them; the conv and the scan once per sequence).
  const cost::Roofline roof = cost::roofline(program, c.hardware, static_cast<int>(L) * c.run.batch);
  // The LM head's time per decode step (analytic, the same under both schedules; model/totals.hpp).
  const double head_ns =
      c.model.vocab > 0
          ? model::lm_head(model::System{c.model, c.scheme, c.hardware}, c.run.batch).cycles() * c.hardware.cycle_ns()
          : 0.0;
  const Node sched = schedules_report(c.model.n_layer, head_ns, mine, other);
  const double bpc = c.hardware.dram_bytes_per_cycle();
  Node band = Node::object();
  const Node serial_band = ser.ran ? serial_band_report(roof, ser, bpc) : Node::object();
  const Node pipe_band = pip.ran ? pipelined_band_report(program, roof, pip, bpc) : Node::object();
  if (ser.ran) band.add("serial", serial_band);
  if (pip.ran) band.add("pipelined", pipe_band);
  print_schedules(sched, serial_band, pipe_band, other, c.hardware.schedule);
  ModelOutcome out;
  out.bit_exact = r.bit_exact();
  out.tree = Node::object();
  out.tree.add("bit_exact", Cell{r.bit_exact()});
  out.tree.add("checks_run", Cell{std::int64_t{r.checks_run()}});
  out.tree.add("cycles", Cell{r.timing.cycles});
  out.tree.add("latency_ns", Cell{r.timing.latency_ns});
  out.tree.add("events", events);
  out.tree.add("model", cosim);
  out.tree.add("schedules", sched);
  out.tree.add("accuracy_band", band);
  const Node cost = cost_section(c, program, r, techs);
  out.tree.add("cost", cost);
  std::optional<Node> decode_cost;
  if (r.timing.decode) {
    // Energy per decode token: the steps' own counters over the steps' time.
    Node list = Node::list();
    for (const TechTable& t : techs) {
      Node& e = list.push(cost_report(c, program, r.timing.decode->events, r.timing.decode->latency_ns, t));
      const double nj = std::get<double>(e.at("energy_pj_per_token").cell()) / 1e3;
      fmt::print("  decode energy ({}): {:.4g} nJ per token over the {} simulated layer{} (leakage over the steps' "
                 "time included; the whole model's below)\n",
                 std::get<std::string>(e.at("tech").cell()), nj, r.timing.layers, r.timing.layers == 1 ? "" : "s");
    }
    decode_cost = list;
    out.tree.add("decode_cost", std::move(list));
  }
  out.tree.add("whole_model", whole_model_report(c, program, r, cost, decode_cost ? &*decode_cost : nullptr, techs));
  if (other.ran && other.mismatches) {
    out.bit_exact = false;
    out.failure = fmt::format("the {} schedule's tensors differ from the golden model ({} mismatches)", other.schedule,
                              other.mismatches);
  }
  std::vector<model::TensorCheck> all = r.checks;
  all.insert(all.end(), r.decode_checks.begin(), r.decode_checks.end());
  for (const auto& ch : all)
    if (ch.mismatches) {
      out.failure = fmt::format("{} differs from the golden model ({} mismatches); first at {}", ch.tensor,
                                ch.mismatches, ch.first_mismatch);
      break;
    }
  return out;
}

}  // namespace mambahw::cli
