#include "mambahw/cost/model.hpp"

#include "mambahw/cost/unit_buffers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "mambahw/cost/synthesis.hpp"
#include "mambahw/golden/layer.hpp"

namespace mambahw::cost {

IndexScheme index_scheme_of(const QuantScheme& s, const HardwareConfig& hw) {
  if (s.base == SchemeBase::kQuamba1) return {"quamba1", IndexKind::kPerTensor, 0, 1, 1, false, 0.0};
  const int hg = s.scale_table ? s.scale_table->shape.head_groups : s.head_groups;
  const int dg = s.scale_table ? s.scale_table->shape.dim_groups : s.dim_groups;
  const bool par = hw.scale_index.impl == LookupImpl::kParallel;
  return {par ? "quamba2-par" : "quamba2-seq", IndexKind::kGrouped, 0, hg, dg, par, 1.0};
}

OpMix lane_ops(const Work& per_token, std::int64_t items_per_token) {
  OpMix m;
  if (items_per_token <= 0) return m;
  for (std::size_t i = 0; i < kNumDatapathOps; ++i) {
    const auto op = static_cast<DatapathOp>(i);
    if (op == DatapathOp::kTableBit) continue;  // a table is storage, priced with its unit
    const std::int64_t n = per_token.ops[op];
    if (n > 0) m(op, (n + items_per_token - 1) / items_per_token);
  }
  return m;
}

namespace {
// A unit's work per token, summed over the program's ops (per-pass
// constants left out: they do not set a lane's operators).
Work per_token_work(const LayerProgram& p, Unit u) {
  Work w;
  for (const OpSpec& op : p.ops)
    for (const UnitWork& uw : op.work)
      if (uw.unit == u) w += uw.per_token;
  return w;
}
}  // namespace

UnitPricing unit_pricing(const LayerProgram& p, const QuantScheme& s, const HardwareConfig& hw, std::int64_t tokens,
                         int batch) {
  UnitPricing u;
  u.shape = p.shape;
  u.hw = hw;
  u.nonlinear = nonlinear_units(s.numerics.units, ssm_policy(s).softplus_threshold);
  u.index = index_scheme_of(s, hw);
  u.clock_mhz = hw.clock_mhz;
  u.tokens = tokens;
  for (const OpSpec& op : p.ops)
    if (op.gemm && op.gemm->weights == WeightPrecision::kInt4) u.int4_weights = true;
  const Work conv = per_token_work(p, Unit::kConvUnit);
  const std::int64_t conv_items = p.shape.d_conv > 0 ? conv.mac_int8 / p.shape.d_conv : 0;
  u.conv_lane = lane_ops(conv, conv_items);
  u.conv_lane_macs = conv_items > 0 ? (conv.mac_int8 + conv_items - 1) / conv_items : 0;
  const Work ssm = per_token_work(p, Unit::kSsmCore);
  u.ssm_lane = lane_ops(ssm, ssm.steps);
  u.dequant_lane = lane_ops(per_token_work(p, Unit::kSsmDequant), p.shape.ssm_input_channels());
  u.quantizer_lane = lane_ops(per_token_work(p, Unit::kConvOutQuantizer), conv_items);
  u.buffers = unit_buffers(p, hw, tokens, batch);
  if (const UnitBuffer* acc = find_buffer(u.buffers, UnitBufferId::kAccumulator)) {
    u.accumulator_bytes = acc->capacity();
    u.accumulator_what = acc->tiles.at(0).formula;
  }
  return u;
}

MemoryCost smaller_memory(const TechTable& t, double capacity_bytes, int width_bits) {
  const MemoryCost s = sram_cost(t, capacity_bytes, width_bits);
  const MemoryCost f = flop_cost(t, capacity_bytes, width_bits);
  return f.area_mm2 < s.area_mm2 ? f : s;
}

MemoryCost accumulator_memory(const HardwareConfig& hw, std::int64_t tokens, const TechTable& t) {
  return smaller_memory(t, static_cast<double>(accumulator_bytes(tokens, hw.gemm.cols, 1)), hw.gemm.cols * kPsumBits);
}

MemoryCost accumulator_memory(const UnitPricing& p, const TechTable& t) {
  if (p.accumulator_bytes <= 0) return accumulator_memory(p.hw, p.tokens, t);
  return smaller_memory(t, static_cast<double>(p.accumulator_bytes), p.hw.gemm.cols * kPsumBits);
}

namespace {

constexpr int kHadamardStageBits = 32;  // one FP32 butterfly output

// Energy of one unit's counters, split into its own category, exp/softplus
// and DRAM.
struct UnitEnergy {
  double own = 0, exp_softplus = 0, dram = 0;
};

UnitEnergy unit_energy(Unit u, const UnitCounters& c, const TechTable& t, const UnitPricing& p, double lookup_pj,
                       double accumulator_pj_per_bit) {
  UnitEnergy e;
  auto n = [&](Counter k) { return static_cast<double>(c[k]); };
  e.own += n(Counter::kMacInt8) * t.op(TechOp::kMacInt8).energy_pj;
  e.own += n(Counter::kMacInt4) * t.op(TechOp::kMacInt4).energy_pj;
  for (std::size_t i = 0; i < kNumDatapathOps; ++i) {
    const auto op = static_cast<DatapathOp>(i);
    e.own += n(counter_of(op)) * op_energy_pj(op, t);
  }
  e.own += n(Counter::kLookup) * lookup_pj;
  const int gates = u == Unit::kSsmDequant ? kDualScaleMuxGates : kDualScalePackGates;
  e.own += n(Counter::kMuxSelect) * gates * t.op(TechOp::kGate).energy_pj;
  // The GEMM array's accumulator bits are accesses of its accumulator memory.
  e.own += n(Counter::kRegisterBits) * (u == Unit::kGemmArray ? accumulator_pj_per_bit : t.reg.energy_pj_per_bit);
  e.own += (n(Counter::kArrayWeightBits) + n(Counter::kArrayOperandBits) + n(Counter::kArrayPsumBits)) *
           t.reg.energy_pj_per_bit;
  // The Hadamard butterflies' intermediates: each FP32 add's result is
  // registered once between butterfly stages (kHadamardStageBits per add).
  if (u == Unit::kHadamardUnit) e.own += n(Counter::kFp32Add) * kHadamardStageBits * t.reg.energy_pj_per_bit;
  e.exp_softplus = n(Counter::kExp) * unit_cost(p.nonlinear.exp_eval, 0, t).energy_pj +
                   n(Counter::kSoftplus) * unit_cost(p.nonlinear.softplus_eval, 0, t).energy_pj;
  e.dram = (n(Counter::kDramReadBytes) + n(Counter::kDramWriteBytes)) * 8.0 * t.dram.energy_pj_per_bit;
  return e;
}

}  // namespace

EnergyReport energy_report(const EventCounts& e, double time_ns, const TechTable& t, const UnitPricing& p) {
  EnergyReport r;
  r.tech = t.name;
  r.time_ns = time_ns;
  const IndexStudyRow idx = index_study(p.shape, p.index, t, p.clock_mhz, 1);
  r.pj_per_lookup = idx.energy_pj_per_lookup;
  const MemoryCost acc = accumulator_memory(p, t);
  // Each accumulator bit counted is read once and written once (gemm_array).
  const double acc_pj_per_bit = (acc.read_pj + acc.write_pj) / (2.0 * acc.width_bits);
  for (const auto& n : acc.notes) r.notes.push_back("accumulator: " + n);
  auto at = [&](Category c) -> double& { return r.pj[static_cast<std::size_t>(c)]; };
  for (std::size_t u = 0; u < kNumUnits; ++u) {
    const auto unit = static_cast<Unit>(u);
    const UnitEnergy ue = unit_energy(unit, e.units[u], t, p, r.pj_per_lookup, acc_pj_per_bit);
    at(category_of(unit)) += ue.own;
    at(Category::kExpSoftplus) += ue.exp_softplus;
    at(Category::kDram) += ue.dram;
  }
  // A memory of the die estimate is priced as the die holds it: the units
  // count bytes (8-bit accesses), repriced in accesses of its width.
  const std::vector<StateMemory> held = state_memories(t, p);
  std::vector<SramTraffic> traffic;
  for (SramTraffic s : e.sram) {
    const auto it = std::find_if(held.begin(), held.end(), [&](const StateMemory& h) { return h.unit == s.memory; });
    if (it != held.end()) {
      const double w = it->cost.width_bits;
      s.reads *= s.width_bits / w;
      s.writes *= s.width_bits / w;
      s.impl = it->cost.impl;
      s.capacity_bytes = it->cost.capacity_bytes;
      s.width_bits = it->cost.width_bits;
    } else if (s.capacity_bytes <= 0) {  // counted by a unit, but the pricing has no such memory (built by hand)
      r.notes.push_back(s.memory + ": accesses counted, but the pricing's buffer layout has no such memory (not priced)");
      continue;
    }
    traffic.push_back(s);
  }
  for (const SramTraffic& s : state_memory_traffic(e, t, p)) traffic.push_back(s);
  for (const SramTraffic& s : traffic) {
    const MemoryCost m = memory_cost(t, s.impl, s.capacity_bytes, s.width_bits);
    const double pj = s.reads * m.read_pj + s.writes * m.write_pj;
    at(s.unit == Unit::kScaleIndexLookup ? Category::kScaleIndexLookup : Category::kSram) += pj;
    if (pj > 0) r.memory_pj.emplace_back(s.memory, pj);
    for (const auto& n : m.notes)
      if (std::find(r.notes.begin(), r.notes.end(), s.memory + ": " + n) == r.notes.end())
        r.notes.push_back(s.memory + ": " + n);
  }
  // Leakage: every item of the die estimate, over the simulated time
  // (mW x ns = pJ).
  for (const AreaItem& i : area_report(t, p).items)
    if (i.leakage_mw > 0) {
      r.leakage_pj.emplace_back(i.unit, i.leakage_mw * time_ns);
      at(Category::kLeakage) += i.leakage_mw * time_ns;
    }
  for (double v : r.pj) r.total_pj += v;
  if (e.tokens > 0) r.pj_per_token = r.total_pj / static_cast<double>(e.tokens);
  return r;
}

std::vector<StateMemory> state_memories(const TechTable& t, const UnitPricing& p) {
  const HardwareConfig& hw = p.hw;
  const ModelShape& m = p.shape;
  std::vector<StateMemory> v;
  auto mem = [&](std::string unit, double bytes, int width, std::string what) {
    if (bytes > 0) v.push_back({std::move(unit), smaller_memory(t, bytes, width), std::move(what)});
  };
  // The state buffer: buffers.state_kib, or (0) one layer's states.
  mem("ssm_state", hw.buffers.state_kib ? hw.buffers.state_kib * 1024.0 : static_cast<double>(m.d_inner) * m.d_state * 4.0,
      32 * std::max(hw.ssm.lanes, 1),
      hw.buffers.state_kib ? fmt::format("buffers.state_kib {} KiB of FP32 states", hw.buffers.state_kib)
                           : fmt::format("{} x {} FP32 states", m.d_inner, m.d_state));
  // The rest at the units' buffer layout (unit_buffers.hpp), over p.tokens tokens.
  const int bc_groups = m.is_mamba2() ? m.ngroups : 1;
  // B and C of the whole sequence as the SSM core holds them (INT8), read
  // ssm.lanes values at a time.
  mem("ssm_bc_buffer", static_cast<double>(bc_buffer_bytes(m, p.tokens)), 8 * std::max(hw.ssm.lanes, 1),
      fmt::format("B and C of {} group(s) x {} states x {} tokens, INT8 (the whole sequence)", bc_groups, m.d_state,
                  std::max<std::int64_t>(p.tokens, 1)));
  if (m.d_conv > 1 && m.d_inner > 0)
    mem("conv_line_buffer", static_cast<double>(conv_line_buffer_bytes(m)), 8 * std::max(hw.conv.lanes, 1),
        fmt::format("{} channels x {} previous INT8 inputs", m.conv_channels(), m.d_conv - 1));
  const std::int64_t had_tokens = hadamard_buffer_tokens(hw, p.tokens);
  mem("hadamard_tile", static_cast<double>(had_tokens) * m.d_inner * 2, 64,
      fmt::format("{} tokens (two tiles of {}) x {} FP16 values", had_tokens, hw.hadamard.tokens_per_tile, m.d_inner));
  // The units' other held tiles, at their buffers' capacities less what is priced above.
  auto tiles_of = [](const UnitBuffer& b, const char* without) {
    std::string s;
    for (const BufferTile& bt : b.tiles)
      if (bt.tile != without) s += fmt::format("{}{} ({})", s.empty() ? "" : " + ", bt.tile, bt.formula);
    return s;
  };
  auto configured = [](const UnitBuffer& b, const char* less) {
    return b.configured ? fmt::format("{} {} KiB{}: ", b.field, b.configured / 1024, less) : std::string{};
  };
  if (const UnitBuffer* b = find_buffer(p.buffers, UnitBufferId::kConv))
    mem(kConvInputTilesMemory, static_cast<double>(b->capacity() - conv_line_buffer_bytes(m)), 8 * std::max(hw.conv.lanes, 1),
        configured(*b, " less the line buffer") + tiles_of(*b, "line buffer"));
  if (const UnitBuffer* b = find_buffer(p.buffers, UnitBufferId::kSsmTiles))
    mem(kSsmTileMemory, static_cast<double>(b->capacity() - bc_buffer_bytes(m, p.tokens)), 8 * std::max(hw.ssm.lanes, 1),
        configured(*b, " less B and C") + tiles_of(*b, "B and C"));
  if (const UnitBuffer* b = find_buffer(p.buffers, UnitBufferId::kNorm))
    mem(kNormMemory, static_cast<double>(b->capacity()), 32 * std::max(hw.ssm.lanes, 1), configured(*b, "") + tiles_of(*b, ""));
  return v;
}

std::vector<SramTraffic> state_memory_traffic(const EventCounts& e, const TechTable& t, const UnitPricing& p) {
  const ModelShape& m = p.shape;
  // Bits read and written per memory.
  auto bits = [&](const std::string& unit) -> std::pair<double, double> {
    if (unit == "ssm_state") {
      const auto steps = static_cast<double>(e.at(Unit::kSsmCore)[Counter::kSsmStep]);
      return {steps * 32, steps * 32};
    }
    if (unit == "conv_line_buffer" && e.tokens > 0 && m.d_conv > 1) {
      const double channel_passes =
          static_cast<double>(e.at(Unit::kConvUnit)[Counter::kMacInt8]) / m.d_conv / static_cast<double>(e.tokens);
      const auto tiles = static_cast<double>((e.tokens + p.hw.conv.token_tile - 1) / std::max(p.hw.conv.token_tile, 1));
      const double b = channel_passes * tiles * (m.d_conv - 1) * 8;
      return {b, b};
    }
    if (unit == "ssm_bc_buffer") {
      const auto steps = static_cast<double>(e.at(Unit::kSsmCore)[Counter::kSsmStep]);
      // steps / d_inner = (token, state) pairs the core processed: each token's
      // B_n and C_n of every group written once.
      const int groups = m.is_mamba2() ? m.ngroups : 1;
      const double token_states = m.d_inner > 0 ? steps / m.d_inner : 0;
      return {steps * 2 * 8, token_states * 2 * groups * 8};  // INT8 values
    }
    if (unit == "hadamard_tile") {
      const auto elements = static_cast<double>(e.at(Unit::kHadamardUnit)[Counter::kFp32Convert]);
      return {elements * 16, elements * 16};
    }
    return {0, 0};
  };
  std::vector<SramTraffic> v;
  for (const StateMemory& s : state_memories(t, p)) {
    const auto [r, w] = bits(s.unit);
    if (r <= 0 && w <= 0) continue;
    const Unit owner = s.unit == "conv_line_buffer" ? Unit::kConvUnit
                       : s.unit == "hadamard_tile" ? Unit::kHadamardUnit
                                                   : Unit::kSsmCore;
    const double width = s.cost.width_bits;
    v.push_back({s.unit, owner, s.cost.impl, s.cost.capacity_bytes, s.cost.width_bits, r / width, w / width});
  }
  return v;
}

namespace {

// Builds the die estimate item by item.
struct DieBuilder {
  const TechTable& t;
  AreaReport r;

  // Standard-cell logic of `um2` cell area.
  void logic(const std::string& unit, double um2, std::string how, std::string source) {
    const double mw = um2 * t.leakage.logic_nw_per_um2 * 1e-6;
    r.items.push_back({unit, um2 * 1e-6, std::move(how), AreaKind::kLogic, std::move(source), mw});
  }
  void memory(const std::string& unit, const MemoryCost& m, const std::string& what) {
    const std::string impl(to_string(m.impl));
    for (const std::string& n : m.notes)
      if (std::find(r.notes.begin(), r.notes.end(), unit + ": " + n) == r.notes.end()) r.notes.push_back(unit + ": " + n);
    r.items.push_back({unit, m.area_mm2,
                       fmt::format("{}: {:g} B x {} b {}{}", what, m.capacity_bytes, m.width_bits, impl,
                                   m.banks > 1 ? fmt::format(", {} banks", m.banks) : std::string{}),
                       AreaKind::kMemory, m.impl == MemImpl::kSram ? "sram" : "register", m.leakage_mw});
  }
};

std::string op_list(const OpMix& m) {
  std::string s;
  for (std::size_t i = 0; i < kNumDatapathOps; ++i)
    if (m.count[i] > 0)
      s += fmt::format("{}{} {}", s.empty() ? "" : " + ", m.count[i], to_string(tech_op_of(static_cast<DatapathOp>(i))));
  return s.empty() ? "nothing" : s;
}

}  // namespace

AreaReport area_report(const TechTable& t, const UnitPricing& p) {
  const HardwareConfig& hw = p.hw;
  DieBuilder d{t, {}};
  d.r.tech = t.name;
  const int pes = hw.gemm.rows * hw.gemm.cols;
  constexpr int weight_bits = 8;  // an INT8 weight, or an INT4 PE's byte of two nibbles
  if (p.int4_weights) {
    const OpCost& mac = t.op(TechOp::kMacInt4);
    d.logic("gemm_array", pes * hw.gemm.int4_macs_per_pe * mac.area_um2,
            fmt::format("{} PEs x {} INT4 MACs x {:.4g} um2", pes, hw.gemm.int4_macs_per_pe, mac.area_um2), "ops.mac_int4");
  } else {
    const OpCost& mac = t.op(TechOp::kMacInt8);
    d.logic("gemm_array", pes * mac.area_um2, fmt::format("{} PEs x {:.4g} um2 (INT8 MAC)", pes, mac.area_um2),
            "ops.mac_int8");
  }
  const std::int64_t reg_bits =
      array_register_bits(hw.gemm.rows, hw.gemm.cols, weight_bits, 8, hw.gemm.weight_double_buffer);
  d.logic("gemm_registers", static_cast<double>(reg_bits) * t.reg.area_um2_per_bit,
          fmt::format("{} register bits (per PE weight{}, activation, 32-bit sum; skew/deskew FIFOs) x {:.4g} um2",
                      reg_bits, hw.gemm.weight_double_buffer ? " x2" : "", t.reg.area_um2_per_bit),
          "register");
  const UnitCost conv = unit_cost(p.conv_lane, 0, t);
  d.logic("conv_unit", hw.conv.lanes * (static_cast<double>(p.conv_lane_macs) * t.op(TechOp::kMacInt8).area_um2 + conv.area_um2),
          fmt::format("{} lanes x ({} INT8 MACs + {})", hw.conv.lanes, p.conv_lane_macs, op_list(p.conv_lane)),
          "ops");
  d.logic("ssm_core", hw.ssm.lanes * unit_cost(p.ssm_lane, 0, t).area_um2,
          fmt::format("{} lanes x ({})", hw.ssm.lanes, op_list(p.ssm_lane)), "ops");
  // Blocks with RTL: the area from synthesis gate counts (synthesis.hpp) x
  // the table's NAND2 area; the formula's operators shown beside it.
  const double nand2_um2 = t.op(TechOp::kGate).area_um2;
  auto synthesized = [&](const std::string& unit, int lanes, int gates, const OpMix& formula) {
    d.logic(unit, lanes * gates * nand2_um2,
            fmt::format("from synthesis gate count: {} lanes x {} NAND2-eq x {:.4g} um2 (formula: {} = {:.0f} um2 per lane)",
                        lanes, gates, nand2_um2, op_list(formula), unit_cost(formula, 0, t).area_um2),
            "synthesis (cost/synthesis.hpp), ops.gate");
  };
  synthesized("conv_out_quantizer", hw.conv.lanes, kConvOutQuantizerGates.nand2_eq, p.quantizer_lane);
  synthesized("ssm_dequant", hw.ssm.dequant_lanes, kSsmDequantGates.nand2_eq, p.dequant_lane);
  if (p.index.kind == IndexKind::kGrouped) {
    const ModelShape& m = p.shape;
    const bool same_shape = m.ngroups == kLookupSynthGroups && p.index.head_groups == kLookupSynthHeadGroups &&
                            p.index.dim_groups == kLookupSynthDimGroups &&
                            m.heads_per_group() == kLookupSynthHeadsPerGroup && m.headdim == kLookupSynthHeadDim;
    const SynthesisGates& g = p.index.parallel ? kScaleIndexLookupParGates : kScaleIndexLookupSeqGates;
    if (same_shape)
      d.logic("scale_index_logic", g.logic_nand2_eq * nand2_um2,
              fmt::format("from synthesis gate count: {} logic NAND2-eq x {:.4g} um2 (its table registers are the "
                          "scale-index memory)", g.logic_nand2_eq, nand2_um2),
              "synthesis (cost/synthesis.hpp), ops.gate");
    else
      d.r.notes.push_back(fmt::format(
          "scale_index_logic: not counted; the lookup was synthesized for {} x {} x {} groups, {} heads per group x "
          "headdim {} only (the configuration has {} x {} x {}, {} x {})", kLookupSynthGroups, kLookupSynthHeadGroups,
          kLookupSynthDimGroups, kLookupSynthHeadsPerGroup, kLookupSynthHeadDim, m.ngroups, p.index.head_groups,
          p.index.dim_groups, m.heads_per_group(), m.headdim));
  }
  const double mul = t.op(TechOp::kFp32Mul).area_um2;
  d.logic("hadamard_unit", hw.hadamard.adders * (t.op(TechOp::kFp32Add).area_um2 + mul),
          fmt::format("{} lanes x (FP32 add + FP32 multiply)", hw.hadamard.adders), "ops");
  const double exp_um2 = unit_cost(p.nonlinear.exp_eval, p.nonlinear.exp_table_bits, t).area_um2;
  const double sp_um2 = unit_cost(p.nonlinear.softplus_eval, p.nonlinear.softplus_table_bits, t).area_um2;
  d.logic("exp_units", hw.ssm.exp_units * exp_um2,
          fmt::format("{} x {:.0f} um2 (the exp unit's operations, one operator each, and its table)", hw.ssm.exp_units,
                      exp_um2), "ops, register");
  d.logic("softplus_units", hw.ssm.softplus_units * sp_um2,
          fmt::format("{} x {:.0f} um2 (the softplus unit's operations and tables)", hw.ssm.softplus_units, sp_um2),
          "ops, register");
  double datapath_um2 = 0;
  for (const AreaItem& i : d.r.items) datapath_um2 += i.mm2 * 1e6;
  d.logic("control_dma", t.die.control_fraction * datapath_um2,
          fmt::format("{:g} x the datapath logic above", t.die.control_fraction), "die.control_fraction");
  const double cells_um2 = datapath_um2 * (1 + t.die.control_fraction);

  // Memories the configuration implies (none of zero size).
  auto buffer = [&](const std::string& unit, double bytes, const std::string& what) {
    if (bytes > 0) d.memory(unit, sram_cost(t, bytes, 64), what);
  };
  buffer("weight_buffer", hw.buffers.weight_kib * 1024.0, "weights");
  buffer("activation_buffer", hw.buffers.activation_kib * 1024.0, "activations");
  const MemoryCost acc = accumulator_memory(p, t);
  d.memory("accumulator", acc,
           p.accumulator_bytes > 0 ? p.accumulator_what
                                   : fmt::format("{} rows x {} INT32 sums", std::max<std::int64_t>(p.tokens, 1), hw.gemm.cols));
  for (const StateMemory& s : state_memories(t, p)) d.memory(s.unit, s.cost, s.what);
  const IndexStudyRow idx = index_study(p.shape, p.index, t, p.clock_mhz, 1);
  d.r.items.push_back({"scale_index_memory", idx.area_mm2,
                       fmt::format("{}: {:.0f} bits x {} layers in {}", p.index.name, idx.bits_per_layer_minimal,
                                   p.shape.n_layer, idx.area_impl),
                       AreaKind::kMemory, idx.area_impl == "flops" ? "register" : "sram",
                       idx.area_impl == "flops" ? idx.flops.leakage_mw : idx.sram.leakage_mw});
  const double u = t.die.utilization;
  d.r.items.push_back({"placement", cells_um2 * 1e-6 * (1 / u - 1),
                       fmt::format("logic cells {:.4g} mm2 placed at {:g} utilisation", cells_um2 * 1e-6, u),
                       AreaKind::kPlacement, "die.utilization", 0});
  const DramVariant* dv = t.dram.variant.empty() ? nullptr : t.dram_variant(t.dram.variant);
  d.r.items.push_back({"dram_phy", t.dram_phy_mm2(),
                       dv ? fmt::format("DRAM interface (PHY + controller): {:g} mm2 x {:g} ({})", t.die.dram_phy_mm2,
                                        dv->phy_factor, dv->name)
                          : std::string("DRAM interface (PHY + controller)"),
                       AreaKind::kPhy, dv ? "die.dram_phy_mm2, dram_variants.phy_factor" : "die.dram_phy_mm2", 0});
  AreaReport r = std::move(d.r);
  r.logic_cells_mm2 = cells_um2 * 1e-6;
  for (const AreaItem& i : r.items) {
    r.total_mm2 += i.mm2;
    r.leakage_mw += i.leakage_mw;
    if (i.kind == AreaKind::kMemory) r.memory_mm2 += i.mm2;
  }
  if (t.die_area_mm2) r.reference_die_mm2 = t.die_area_mm2->value;
  return r;
}

namespace {
// The table with its SRAM energies and areas multiplied by f.
TechTable scaled_sram(TechTable t, double f) {
  t.sram.area_mm2_per_kib *= f;
  t.sram.read_pj_per_bit *= f;
  t.sram.write_pj_per_bit *= f;
  for (SramPoint& q : t.sram.points) {
    q.read_pj *= f;
    if (q.write_pj) *q.write_pj *= f;
    q.area_mm2 *= f;
  }
  return t;
}
TechTable scaled_sram_leakage(TechTable t, double f) {
  if (t.sram.leakage_mw_per_kib) *t.sram.leakage_mw_per_kib *= f;
  for (SramPoint& q : t.sram.points)
    if (q.leakage_mw) *q.leakage_mw *= f;
  return t;
}
}  // namespace

std::vector<SensitivityRow> sensitivity(const EventCounts& e, double time_ns, const TechTable& t,
                                        const UnitPricing& p) {
  std::vector<SensitivityRow> rows;
  // One row: the table with `set(table, value)` at the range's low and high end.
  auto row = [&](std::string knob, const SourcedRange& r, const std::string& unit, auto set) {
    TechTable lo = t, hi = t;
    set(lo, r.low);
    set(hi, r.high);
    rows.push_back({std::move(knob), fmt::format("{:g}..{:g}{}", r.low, r.high, unit), r.source,
                    energy_report(e, time_ns, lo, p).pj_per_token, energy_report(e, time_ns, hi, p).pj_per_token,
                    area_report(lo, p).total_mm2, area_report(hi, p).total_mm2});
  };
  if (const auto r = t.dram_range())
    row("dram_pj_per_bit", *r, " pJ/bit", [](TechTable& x, double v) { x.dram.energy_pj_per_bit = v; });
  if (t.sram.range)
    row("sram_energy_area", *t.sram.range, " x", [](TechTable& x, double v) { x = scaled_sram(x, v); });
  if (t.sram.leakage_range)
    row("sram_leakage", *t.sram.leakage_range, " x", [](TechTable& x, double v) { x = scaled_sram_leakage(x, v); });
  if (t.logic_scaling) {
    const LogicScaling& s = *t.logic_scaling;
    row("logic_energy_scaling", s.energy_range, fmt::format(" x (nominal {:g})", s.energy),
        [&](TechTable& x, double v) { x.scale_logic(v / s.energy, 1, false); });
    row("logic_area_scaling", s.area_range, fmt::format(" x (nominal {:g})", s.area),
        [&](TechTable& x, double v) { x.scale_logic(1, v / s.area, false); });
  }
  if (t.leakage.range)
    row("logic_leakage", *t.leakage.range, " nW/um2", [](TechTable& x, double v) { x.leakage.logic_nw_per_um2 = v; });
  if (t.die.utilization_range)
    row("die_utilization", *t.die.utilization_range, "", [](TechTable& x, double v) { x.die.utilization = v; });
  if (t.die.control_fraction_range)
    row("die_control_fraction", *t.die.control_fraction_range, " x datapath",
        [](TechTable& x, double v) { x.die.control_fraction = v; });
  if (t.die.dram_phy_mm2_range)
    row("die_dram_phy", *t.die.dram_phy_mm2_range, " mm2", [](TechTable& x, double v) { x.die.dram_phy_mm2 = v; });
  return rows;
}

std::vector<DramVariantRow> dram_variant_energy(const EventCounts& e, double time_ns, const TechTable& t,
                                                const UnitPricing& p) {
  std::vector<DramVariantRow> rows;
  for (const DramVariant& v : t.dram_variants) {
    TechTable x = t;
    x.dram.energy_pj_per_bit = v.energy_pj_per_bit;
    rows.push_back({v.name, v.energy_pj_per_bit, energy_report(e, time_ns, x, p).pj_per_token, v.name == t.dram.variant,
                    v.source, t.die.dram_phy_mm2 * v.phy_factor, v.phy_source});
  }
  return rows;
}

namespace {

double compute_cycles(const LayerProgram& p, const OpSpec& op, const HardwareConfig& hw, std::int64_t tokens) {
  const Work w = op.work_of(op.unit, tokens);
  switch (op.kind) {
    case OpKind::kGemm: {
      const double per_cycle = static_cast<double>(hw.gemm.rows) * hw.gemm.cols;
      return static_cast<double>(w.mac_int8) / per_cycle +
             static_cast<double>(w.mac_int4) / (per_cycle * hw.gemm.int4_macs_per_pe);
    }
    case OpKind::kConvSiluQuantize:  // one (channel, token) per lane per cycle
      return static_cast<double>(w.mac_int8) / p.shape.d_conv / hw.conv.lanes;
    case OpKind::kSelectiveScan:
    case OpKind::kSsdScanNorm:
      return std::max({static_cast<double>(w.steps) / hw.ssm.lanes, static_cast<double>(w.exp) / hw.ssm.exp_units,
                       static_cast<double>(w.softplus) / hw.ssm.softplus_units});
    case OpKind::kHadamardQuantize:
      return static_cast<double>(w.ops[DatapathOp::kFp32Add]) / hw.hadamard.adders;
  }
  return 0;
}

}  // namespace

Roofline roofline(const LayerProgram& p, const HardwareConfig& hw, int seq_len) {
  Roofline r;
  const double bpc = hw.dram_bytes_per_cycle();
  for (const OpSpec& op : p.ops) {
    const auto bytes = static_cast<double>(p.op_bytes(op, seq_len));
    r.ops.push_back({op.name, op.unit, compute_cycles(p, op, hw, seq_len), bytes / bpc, bytes});
  }
  for (const RooflineOp& o : r.ops) r.cycles += o.cycles();
  r.latency_ns = r.cycles * hw.cycle_ns();
  return r;
}

std::vector<TensorTraffic> program_traffic(const LayerProgram& p, std::int64_t tokens) {
  std::map<std::string, TensorTraffic> by;
  by[p.input].write_bytes += p.tensor(p.input).bytes(tokens);  // the host's write
  for (const OpSpec& op : p.ops) {
    for (const auto* names : {&op.inputs, &op.weights})
      for (const std::string& t : *names) by[t].read_bytes += p.tensor(t).bytes(tokens);
    for (const std::string& t : op.outputs) by[t].write_bytes += p.tensor(t).bytes(tokens);
  }
  std::vector<TensorTraffic> v;
  for (const TensorSpec& t : p.tensors)
    if (auto it = by.find(t.name); it != by.end()) v.push_back({t.name, it->second.read_bytes, it->second.write_bytes});
  return v;
}

}  // namespace mambahw::cost
