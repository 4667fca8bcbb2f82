// Energy and area from event counts and a technology table
// (docs/cost-model.md "Energy and area of a layer").
//   energy = sum over units and operations of count x energy(op)
//          + sum over memories of reads x read_pj + writes x write_pj
//          + DRAM bytes x 8 x pJ/bit
// Exp and softplus evaluations, SRAM and DRAM accesses are reported as their
// own categories whichever unit caused them; everything else under its unit.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "mambahw/cost/events.hpp"
#include "mambahw/cost/hardware_config.hpp"
#include "mambahw/golden/model_shape.hpp"
#include "mambahw/cost/tech_table.hpp"

namespace mambahw::cost {

struct EnergyReport {
  std::string tech;
  std::array<double, kNumCategories> pj{};  // by Category
  double total_pj = 0;
  double pj_per_token = 0;  // per token of one layer
  std::vector<std::string> notes;
};
EnergyReport energy_report(const EventCounts& e, const TechTable& t);

struct AreaItem {
  std::string unit;
  double mm2 = 0;
  std::string how;  // the formula with its numbers
};
struct AreaReport {
  std::string tech;
  std::vector<AreaItem> items;
  double total_mm2 = 0;
};
// Area of the configured accelerator: the MAC array (INT8 PEs, or INT4
// PEs when `int4_weights`), the FP32 SSM lanes and dequant lanes, the exp and
// softplus units (one instance of each tallied operation of the scheme's
// units, `nl`, and their tables), the conv lanes, and the weight/activation
// SRAM buffers.
AreaReport area_report(const HardwareConfig& hw, const TechTable& t, bool int4_weights, const NonlinearUnits& nl);

// Analytic roofline latency of one layer (no SystemC): each op takes the
// larger of its compute cycles (work / parallel units) and its DRAM cycles
// (bytes / bytes per cycle); ops run back to back. A lower bound for the
// SystemC model's cycles, which add fills, prefetch misses and stalls.
struct RooflineOp {
  std::string op, unit;
  double compute_cycles = 0, memory_cycles = 0;
  double cycles() const { return compute_cycles > memory_cycles ? compute_cycles : memory_cycles; }
};
struct Roofline {
  std::vector<RooflineOp> ops;
  double cycles = 0, latency_ns = 0;
};
// `out_proj_hadamard`: the online Hadamard unit runs between the SSM and
// out_proj (FP16 y in, INT8 codes out).
Roofline roofline(const ModelShape& m, const HardwareConfig& hw, int seq_len, bool int4_weights, int ssm_input_bits,
                  bool out_proj_hadamard);

}  // namespace mambahw::cost
