#include "mambahw/cost/model.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "mambahw/golden/hadamard.hpp"

namespace mambahw::cost {

namespace {

Category category_of(Unit u) { return static_cast<Category>(static_cast<int>(u)); }

// `exp_pj`, `softplus_pj`: one evaluation of the scheme's units.
double op_energy(const OpCounts& c, const TechTable& t, double exp_pj, double softplus_pj, double& exp_softplus,
                 double& dram) {
  auto e = [&](TechOp op) { return t.op(op).energy_pj; };
  exp_softplus += static_cast<double>(c.exp) * exp_pj + static_cast<double>(c.softplus) * softplus_pj;
  dram += static_cast<double>(c.dram_read_bytes + c.dram_write_bytes) * 8.0 * t.dram.energy_pj_per_bit;
  return static_cast<double>(c.mac_int8) * e(TechOp::kMacInt8) + static_cast<double>(c.mac_int4) * e(TechOp::kMacInt4) +
         static_cast<double>(c.add_int32) * e(TechOp::kAddInt32) + static_cast<double>(c.fp32_add) * e(TechOp::kFp32Add) +
         static_cast<double>(c.fp32_mul) * e(TechOp::kFp32Mul) + static_cast<double>(c.fp32_fma) * e(TechOp::kFp32Fma) +
         static_cast<double>(c.fp32_div) * e(TechOp::kFp32Div) + static_cast<double>(c.compare) * e(TechOp::kCompare) +
         static_cast<double>(c.gate) * e(TechOp::kGate) + static_cast<double>(c.register_bits) * t.reg.energy_pj_per_bit;
}

}  // namespace

EnergyReport energy_report(const EventCounts& e, const TechTable& t) {
  EnergyReport r;
  r.tech = t.name;
  double exp_softplus = 0, dram = 0;
  const double exp_pj = unit_cost(e.nonlinear.exp_eval, 0, t).energy_pj;
  const double softplus_pj = unit_cost(e.nonlinear.softplus_eval, 0, t).energy_pj;
  for (int u = 0; u < kNumUnits; ++u) {
    const Unit unit = static_cast<Unit>(u);
    r.pj[static_cast<std::size_t>(category_of(unit))] += op_energy(e.at(unit), t, exp_pj, softplus_pj, exp_softplus, dram);
  }
  r.pj[static_cast<std::size_t>(Category::kExpSoftplus)] += exp_softplus;
  r.pj[static_cast<std::size_t>(Category::kDram)] += dram;
  for (const SramTraffic& s : e.sram) {
    const MemoryCost m = memory_cost(t, s.impl, s.capacity_bytes, s.width_bits);
    const double pj = s.reads * m.read_pj + s.writes * m.write_pj;
    r.pj[static_cast<std::size_t>(s.unit == Unit::kLookup ? Category::kLookup : Category::kSram)] += pj;
    for (const auto& n : m.notes) r.notes.push_back(s.memory + ": " + n);
  }
  for (double v : r.pj) r.total_pj += v;
  if (e.tokens > 0) r.pj_per_token = r.total_pj / static_cast<double>(e.tokens);
  return r;
}

AreaReport area_report(const HardwareConfig& hw, const TechTable& t, bool int4_weights, const NonlinearUnits& nl) {
  AreaReport r;
  r.tech = t.name;
  auto add = [&](const std::string& unit, double um2, const std::string& how) {
    r.items.push_back({unit, um2 * 1e-6, how});
  };
  const int pes = hw.gemm.rows * hw.gemm.cols;
  if (int4_weights) {
    const OpCost& mac = t.op(TechOp::kMacInt4);
    add("gemm_array", pes * hw.gemm.int4_macs_per_pe * mac.area_um2,
        fmt::format("{} PEs x {} INT4 MACs x {} um2", pes, hw.gemm.int4_macs_per_pe, mac.area_um2));
  } else {
    const OpCost& mac = t.op(TechOp::kMacInt8);
    add("gemm_array", pes * mac.area_um2, fmt::format("{} PEs x {} um2 (INT8 MAC)", pes, mac.area_um2));
  }
  const double fma = t.op(TechOp::kFp32Fma).area_um2, mul = t.op(TechOp::kFp32Mul).area_um2;
  add("conv_unit", hw.conv.lanes * (4 * t.op(TechOp::kMacInt8).area_um2 + fma),
      fmt::format("{} lanes x (4 INT8 MACs + 1 FP32 FMA)", hw.conv.lanes));
  add("ssm_core", hw.ssm.lanes * fma, fmt::format("{} lanes x FP32 FMA {} um2", hw.ssm.lanes, fma));
  add("hadamard_unit", hw.hadamard.adders * (t.op(TechOp::kFp32Add).area_um2 + mul),
      fmt::format("{} lanes x (FP32 add + FP32 multiply)", hw.hadamard.adders));
  add("ssm_dequant", hw.ssm.dequant_lanes * mul, fmt::format("{} lanes x FP32 multiply {} um2", hw.ssm.dequant_lanes, mul));
  const double exp_um2 = unit_cost(nl.exp_eval, nl.exp_table_bits, t).area_um2;
  const double softplus_um2 = unit_cost(nl.softplus_eval, nl.softplus_table_bits, t).area_um2;
  add("exp_units", hw.ssm.exp_units * exp_um2,
      fmt::format("{} x {:.4g} um2 (the scheme's exp unit)", hw.ssm.exp_units, exp_um2));
  add("softplus_units", hw.ssm.softplus_units * softplus_um2,
      fmt::format("{} x {:.4g} um2 (the scheme's exp and log1p units)", hw.ssm.softplus_units, softplus_um2));
  const MemoryCost wb = sram_cost(t, hw.buffers.weight_kib * 1024.0, 64);
  const MemoryCost ab = sram_cost(t, hw.buffers.activation_kib * 1024.0, 64);
  r.items.push_back({"weight_buffer", wb.area_mm2, fmt::format("{} KiB SRAM, {} bank(s)", hw.buffers.weight_kib, wb.banks)});
  r.items.push_back({"activation_buffer", ab.area_mm2, fmt::format("{} KiB SRAM, {} bank(s)", hw.buffers.activation_kib, ab.banks)});
  for (const AreaItem& i : r.items) r.total_mm2 += i.mm2;
  return r;
}

Roofline roofline(const ModelShape& m, const HardwareConfig& hw, int seq_len, bool int4_weights, int ssm_input_bits,
                  bool out_proj_hadamard) {
  Roofline r;
  const double L = seq_len, D = m.d_inner, N = m.d_state, bpc = hw.dram_bytes_per_cycle();
  const double macs_per_cycle = static_cast<double>(hw.gemm.rows) * hw.gemm.cols * (int4_weights ? hw.gemm.int4_macs_per_pe : 1);
  const double wbytes = int4_weights ? 0.5 : 1.0;
  auto gemm = [&](const char* name, double k, double n, double out_bytes) {
    r.ops.push_back({name, "gemm_array", L * k * n / macs_per_cycle, (k * n * wbytes + L * k + L * n * out_bytes) / bpc});
  };
  const double cc = m.conv_channels();
  if (!m.is_mamba2()) {
    gemm("in_proj", m.d_model, 2 * D, 1);
    r.ops.push_back({"conv1d+silu+quantize", "conv_unit", cc * L / hw.conv.lanes,
                     (cc * L + D * L * ssm_input_bits / 8.0) / bpc});
    gemm("x_proj", D, m.x_proj_out(), 1);
    gemm("dt_proj", m.dt_rank, D, 1);
    const double steps = D * N * L;
    r.ops.push_back({"selective_scan", "ssm_core",
                     std::max(steps / hw.ssm.lanes, steps / hw.ssm.exp_units),
                     (D * L * ssm_input_bits / 8.0 + 2 * D * L + 2 * N * L + 2 * D * L) / bpc});
  } else {
    gemm("in_proj", m.d_model, m.in_proj_out(), 1);
    r.ops.push_back({"conv1d+silu+quantize", "conv_unit", cc * L / hw.conv.lanes,
                     (cc * L + D * L * ssm_input_bits / 8.0) / bpc});
    const double steps = D * N * L;
    r.ops.push_back({"ssd_scan+norm", "ssm_core", steps / hw.ssm.lanes,
                     (D * L * ssm_input_bits / 8.0 + D * L + 2 * m.bc_channels() * L + 2 * D * L) / bpc});
  }
  if (out_proj_hadamard) {
    r.ops.push_back({"hadamard+quantize", "hadamard_unit",
                     L * static_cast<double>(hadamard_adds(require_hadamard_size(m.d_inner))) / hw.hadamard.adders,
                     (2 * D * L + D * L) / bpc});
  }
  gemm("out_proj", D, m.d_model, 2);
  for (const RooflineOp& o : r.ops) r.cycles += o.cycles();
  r.latency_ns = r.cycles * hw.cycle_ns();
  return r;
}

}  // namespace mambahw::cost
