// Energy, area and the roofline, all read from the layer program
// (docs/cost-model.md "Energy and area of a layer").
//   energy = sum over units and counters of count x price(counter)
//          + sum over memories of reads x read_pj + writes x write_pj
// A datapath operation or MAC is priced by the technology table's entry; an
// exp or softplus evaluation by the operations of the golden unit the scheme
// selects (LayerProgram::exp_eval / softplus_eval); a scale lookup by the
// index study's energy per lookup for the scheme's index organisation; a
// dual-scale selection by its gate count; DRAM bytes at the table's pJ/bit.
// Exp/softplus, SRAM and DRAM are reported as their own categories whichever
// unit caused them.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "mambahw/cost/events.hpp"
#include "mambahw/cost/hardware_config.hpp"
#include "mambahw/cost/index_study.hpp"
#include "mambahw/cost/tech_table.hpp"
#include "mambahw/golden/layer_program.hpp"
#include "mambahw/golden/quant_scheme.hpp"

namespace mambahw::cost {

// The technology table's entry for a datapath operation.
TechOp tech_op_of(DatapathOp op);
// Energy of one evaluation of a mix, and the area of a unit that evaluates
// one per cycle (one operator per operation of the mix, fully pipelined).
double mix_energy_pj(const OpMix& m, const TechTable& t);
double mix_area_um2(const OpMix& m, const TechTable& t);

// What prices the events beyond the table's per-operation entries.
struct UnitPricing {
  ModelShape shape;
  OpMix exp_eval, softplus_eval;  // one evaluation of the scheme's exp / softplus unit
  IndexScheme index;              // the scheme's scale-index organisation
  double clock_mhz = 0;
  bool int4_weights = false;      // the GEMM array holds INT4 PEs
};
UnitPricing unit_pricing(const LayerProgram& p, const QuantScheme& s, const HardwareConfig& hw);
// The index organisation of a scheme: Quamba1 a per-tensor scale register,
// Quamba2 its head x dim group tables, looked up as the hardware says.
IndexScheme index_scheme_of(const QuantScheme& s, const HardwareConfig& hw);

struct EnergyReport {
  std::string tech;
  std::array<double, kNumCategories> pj{};  // by Category
  double total_pj = 0;
  double pj_per_token = 0;  // per token of one layer
  double pj_per_lookup = 0;  // the index study's figure used for Counter::kLookup
  std::vector<std::string> notes;
};
EnergyReport energy_report(const EventCounts& e, const TechTable& t, const UnitPricing& p);

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
// Area of the configured accelerator: the MAC array (INT8 PEs, or INT4 PEs
// when the program's GEMMs are INT4), the FP32 SSM lanes and dequant lanes,
// the exp and softplus units (from their golden operations), the conv lanes,
// the weight/activation SRAM buffers and the scale-index memory.
AreaReport area_report(const HardwareConfig& hw, const TechTable& t, const UnitPricing& p);

// Analytic roofline latency of one layer (no SystemC): each program op takes
// the larger of its compute cycles (its work over the unit's parallelism) and
// its DRAM cycles (LayerProgram::op_bytes / bytes per cycle); ops run back to
// back. A lower bound for the SystemC model's cycles, which add fills,
// prefetch misses and stalls.
struct RooflineOp {
  std::string op;
  Unit unit = Unit::kGemmArray;
  double compute_cycles = 0, memory_cycles = 0;
  double bytes = 0;
  double cycles() const { return compute_cycles > memory_cycles ? compute_cycles : memory_cycles; }
};
struct Roofline {
  std::vector<RooflineOp> ops;
  double cycles = 0, latency_ns = 0;
};
Roofline roofline(const LayerProgram& p, const HardwareConfig& hw, int seq_len);

// DRAM bytes per tensor of one layer pass as the program moves them: each
// tensor once per op that reads or writes it (the host's write of the input
// included). What `mambahw run` compares between W4A5-SE and its INT8 twin.
struct TensorTraffic {
  std::string tensor;
  std::int64_t read_bytes = 0, write_bytes = 0;
};
std::vector<TensorTraffic> program_traffic(const LayerProgram& p, std::int64_t tokens);

}  // namespace mambahw::cost
