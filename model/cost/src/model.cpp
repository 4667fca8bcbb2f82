#include "mambahw/cost/model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace mambahw::cost {

TechOp tech_op_of(DatapathOp op) {
  switch (op) {
    case DatapathOp::kFp32Add: return TechOp::kFp32Add;
    case DatapathOp::kFp32Mul: return TechOp::kFp32Mul;
    case DatapathOp::kFp32Fma: return TechOp::kFp32Fma;
    case DatapathOp::kFp32Div: return TechOp::kFp32Div;
    case DatapathOp::kFp32Convert: return TechOp::kFp32Convert;
    case DatapathOp::kIntAdd: return TechOp::kAddInt32;
    case DatapathOp::kCompare: return TechOp::kCompare;
    case DatapathOp::kFp32Sqrt: return TechOp::kFp32Sqrt;
  }
  return TechOp::kFp32Add;
}

namespace {
// Σ over the mix's operations of count × the table entry's `field`.
double mix_sum(const OpMix& m, const TechTable& t, double OpCost::*field) {
  double sum = 0;
  for (std::size_t i = 0; i < kNumDatapathOps; ++i) {
    const auto op = static_cast<DatapathOp>(i);
    sum += static_cast<double>(m[op]) * (t.op(tech_op_of(op)).*field);
  }
  return sum;
}
}  // namespace

double mix_energy_pj(const OpMix& m, const TechTable& t) { return mix_sum(m, t, &OpCost::energy_pj); }

double mix_area_um2(const OpMix& m, const TechTable& t) { return mix_sum(m, t, &OpCost::area_um2); }

IndexScheme index_scheme_of(const QuantScheme& s, const HardwareConfig& hw) {
  if (s.base == SchemeBase::kQuamba1) return {"quamba1", IndexKind::kPerTensor, 0, 1, 1, false, 0.0};
  const int hg = s.scale_table ? s.scale_table->shape.head_groups : s.head_groups;
  const int dg = s.scale_table ? s.scale_table->shape.dim_groups : s.dim_groups;
  const bool par = hw.scale_index.impl == LookupImpl::kParallel;
  return {par ? "quamba2-par" : "quamba2-seq", IndexKind::kGrouped, 0, hg, dg, par, 1.0};
}

UnitPricing unit_pricing(const LayerProgram& p, const QuantScheme& s, const HardwareConfig& hw) {
  UnitPricing u;
  u.shape = p.shape;
  u.exp_eval = p.exp_eval;
  u.softplus_eval = p.softplus_eval;
  u.index = index_scheme_of(s, hw);
  u.clock_mhz = hw.clock_mhz;
  for (const OpSpec& op : p.ops)
    if (op.gemm && op.gemm->weights == WeightPrecision::kInt4) u.int4_weights = true;
  return u;
}

namespace {

// Energy of one unit's counters, split into its own category, exp/softplus
// and DRAM.
struct UnitEnergy {
  double own = 0, exp_softplus = 0, dram = 0;
};

UnitEnergy unit_energy(Unit u, const UnitCounters& c, const TechTable& t, const UnitPricing& p, double lookup_pj) {
  UnitEnergy e;
  auto n = [&](Counter k) { return static_cast<double>(c[k]); };
  e.own += n(Counter::kMacInt8) * t.op(TechOp::kMacInt8).energy_pj;
  e.own += n(Counter::kMacInt4) * t.op(TechOp::kMacInt4).energy_pj;
  for (std::size_t i = 0; i < kNumDatapathOps; ++i) {
    const auto op = static_cast<DatapathOp>(i);
    e.own += n(counter_of(op)) * t.op(tech_op_of(op)).energy_pj;
  }
  e.own += n(Counter::kLookup) * lookup_pj;
  const int gates = u == Unit::kSsmDequant ? kDualScaleMuxGates : kDualScalePackGates;
  e.own += n(Counter::kMuxSelect) * gates * t.op(TechOp::kGate).energy_pj;
  e.own += n(Counter::kRegisterBits) * t.reg.energy_pj_per_bit;
  e.exp_softplus = n(Counter::kExp) * mix_energy_pj(p.exp_eval, t) + n(Counter::kSoftplus) * mix_energy_pj(p.softplus_eval, t);
  e.dram = (n(Counter::kDramReadBytes) + n(Counter::kDramWriteBytes)) * 8.0 * t.dram.energy_pj_per_bit;
  return e;
}

}  // namespace

EnergyReport energy_report(const EventCounts& e, const TechTable& t, const UnitPricing& p) {
  EnergyReport r;
  r.tech = t.name;
  const IndexStudyRow idx = index_study(p.shape, p.index, t, p.clock_mhz, 1);
  r.pj_per_lookup = idx.energy_pj_per_lookup;
  auto at = [&](Category c) -> double& { return r.pj[static_cast<std::size_t>(c)]; };
  for (std::size_t u = 0; u < kNumUnits; ++u) {
    const auto unit = static_cast<Unit>(u);
    const UnitEnergy ue = unit_energy(unit, e.units[u], t, p, r.pj_per_lookup);
    at(category_of(unit)) += ue.own;
    at(Category::kExpSoftplus) += ue.exp_softplus;
    at(Category::kDram) += ue.dram;
  }
  for (const SramTraffic& s : e.sram) {
    const MemoryCost m = memory_cost(t, s.impl, s.capacity_bytes, s.width_bits);
    at(s.unit == Unit::kScaleIndexLookup ? Category::kScaleIndexLookup : Category::kSram) +=
        s.reads * m.read_pj + s.writes * m.write_pj;
    for (const auto& n : m.notes) r.notes.push_back(s.memory + ": " + n);
  }
  for (double v : r.pj) r.total_pj += v;
  if (e.tokens > 0) r.pj_per_token = r.total_pj / static_cast<double>(e.tokens);
  return r;
}

AreaReport area_report(const HardwareConfig& hw, const TechTable& t, const UnitPricing& p) {
  AreaReport r;
  r.tech = t.name;
  auto add = [&](const std::string& unit, double um2, const std::string& how) {
    r.items.push_back({unit, um2 * 1e-6, how});
  };
  const int pes = hw.gemm.rows * hw.gemm.cols;
  if (p.int4_weights) {
    const OpCost& mac = t.op(TechOp::kMacInt4);
    add("gemm_array", pes * hw.gemm.int4_macs_per_pe * mac.area_um2,
        fmt::format("{} PEs x {} INT4 MACs x {} um2", pes, hw.gemm.int4_macs_per_pe, mac.area_um2));
  } else {
    const OpCost& mac = t.op(TechOp::kMacInt8);
    add("gemm_array", pes * mac.area_um2, fmt::format("{} PEs x {} um2 (INT8 MAC)", pes, mac.area_um2));
  }
  const double fma = t.op(TechOp::kFp32Fma).area_um2, mul = t.op(TechOp::kFp32Mul).area_um2;
  add("conv_unit", hw.conv.lanes * (p.shape.d_conv * t.op(TechOp::kMacInt8).area_um2 + fma),
      fmt::format("{} lanes x ({} INT8 MACs + 1 FP32 FMA)", hw.conv.lanes, p.shape.d_conv));
  add("ssm_core", hw.ssm.lanes * fma, fmt::format("{} lanes x FP32 FMA {} um2", hw.ssm.lanes, fma));
  add("hadamard_unit", hw.hadamard.adders * (t.op(TechOp::kFp32Add).area_um2 + mul),
      fmt::format("{} lanes x (FP32 add + FP32 multiply)", hw.hadamard.adders));
  add("ssm_dequant", hw.ssm.dequant_lanes * mul, fmt::format("{} lanes x FP32 multiply {} um2", hw.ssm.dequant_lanes, mul));
  const double exp_um2 = mix_area_um2(p.exp_eval, t), sp_um2 = mix_area_um2(p.softplus_eval, t);
  add("exp_units", hw.ssm.exp_units * exp_um2,
      fmt::format("{} x {:.0f} um2 (the exp unit's operations, one operator each)", hw.ssm.exp_units, exp_um2));
  add("softplus_units", hw.ssm.softplus_units * sp_um2,
      fmt::format("{} x {:.0f} um2 (the softplus unit's operations)", hw.ssm.softplus_units, sp_um2));
  const MemoryCost wb = sram_cost(t, hw.buffers.weight_kib * 1024.0, 64);
  const MemoryCost ab = sram_cost(t, hw.buffers.activation_kib * 1024.0, 64);
  r.items.push_back({"weight_buffer", wb.area_mm2, fmt::format("{} KiB SRAM, {} bank(s)", hw.buffers.weight_kib, wb.banks)});
  r.items.push_back({"activation_buffer", ab.area_mm2, fmt::format("{} KiB SRAM, {} bank(s)", hw.buffers.activation_kib, ab.banks)});
  const IndexStudyRow idx = index_study(p.shape, p.index, t, p.clock_mhz, 1);
  r.items.push_back({"scale_index_memory", idx.area_mm2,
                     fmt::format("{}: {:.0f} bits x {} layers in {}", p.index.name, idx.bits_per_layer_minimal,
                                 p.shape.n_layer, idx.area_impl)});
  for (const AreaItem& i : r.items) r.total_mm2 += i.mm2;
  return r;
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
