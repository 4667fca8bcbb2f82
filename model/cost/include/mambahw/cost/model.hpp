// Energy, area and the roofline, all read from the layer program
// (docs/cost-model.md "Energy and area of a layer").
//   energy = sum over units and counters of count x price(counter)
//          + sum over memories of reads x read_pj + writes x write_pj
// A datapath operation or MAC is priced by the technology table's entry; an
// exp or softplus evaluation by the operations of the golden unit the scheme
// selects (unit_cost.hpp: its tallied operations and table); a scale lookup by the
// index study's energy per lookup for the scheme's index organisation; a
// dual-scale selection by its gate count; DRAM bytes at the table's pJ/bit.
// Exp/softplus, SRAM and DRAM are reported as their own categories whichever
// unit caused them.
#pragma once

#include <array>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "mambahw/cost/dataflow.hpp"
#include "mambahw/cost/events.hpp"
#include "mambahw/cost/hardware_config.hpp"
#include "mambahw/cost/index_study.hpp"
#include "mambahw/cost/tech_table.hpp"
#include "mambahw/cost/unit_buffers.hpp"
#include "mambahw/cost/unit_cost.hpp"
#include "mambahw/golden/layer_program.hpp"
#include "mambahw/golden/quant_scheme.hpp"

namespace mambahw::cost {

// What prices the events beyond the table's per-operation entries, and
// what the hardware holds (for area and leakage).
struct UnitPricing {
  ModelShape shape;
  HardwareConfig hw;
  NonlinearUnits nonlinear;       // the scheme's exp and softplus units (operations, tables)
  IndexScheme index;              // the scheme's scale-index organisation
  double clock_mhz = 0;
  bool int4_weights = false;      // the GEMM array holds INT4 PEs
  std::int64_t tokens = 0;        // rows a GEMM fold streams: the accumulator holds tokens x cols sums
  // The accumulator buffer of unit_buffers.hpp (the mapper's token tile x
  // cols x weight groups, or buffers.accumulator_kib); 0: tokens x cols.
  std::int64_t accumulator_bytes = 0;
  std::string accumulator_what;
  // The units' buffer layout (unit_buffers.hpp) at `tokens`: the conv input
  // tiles, the SSM tile buffer and the norm buffer are priced from it. Empty
  // (a pricing built by hand): those memories are absent.
  std::vector<UnitBuffer> buffers;
  // One lane's operators (lane_ops): enough of each operation for one work
  // item per cycle, read off the program's work per token.
  OpMix conv_lane, ssm_lane, dequant_lane;
  OpMix quantizer_lane;           // the conv-output quantizer's (formula, beside its synthesis count)
  std::int64_t conv_lane_macs = 0;
};
// `tokens`: the rows of one pass (the run's seq_len), which sizes the
// accumulator memory; `batch`: the sequences the GEMMs run at once (the
// accumulator is laid out at the mapper's tile over batch x tokens, as the
// SystemC model holds it).
UnitPricing unit_pricing(const LayerProgram& p, const QuantScheme& s, const HardwareConfig& hw, std::int64_t tokens,
                         int batch = 1);
// ceil(ops per token / items per token), per operation: the operators a lane
// needs to finish one item (a conv channel-token, an SSM step, a dequant
// element) per cycle.
OpMix lane_ops(const Work& per_token, std::int64_t items_per_token);
// The GEMM array's accumulator memory: tokens x cols INT32 sums, accessed a
// row of cols sums at a time, as SRAM or flops, whichever is smaller.
MemoryCost accumulator_memory(const HardwareConfig& hw, std::int64_t tokens, const TechTable& t);
// The same at p.accumulator_bytes (the units' buffer layout) where set.
MemoryCost accumulator_memory(const UnitPricing& p, const TechTable& t);
// The smaller (in area) of an SRAM macro and flops for this storage.
MemoryCost smaller_memory(const TechTable& t, double capacity_bytes, int width_bits);
// The index organisation of a scheme: Quamba1 a per-tensor scale register,
// Quamba2 its head x dim group tables, looked up as the hardware says.
IndexScheme index_scheme_of(const QuantScheme& s, const HardwareConfig& hw);

// The state memories the configuration implies beside the GEMM buffers:
// the SSM state (d_inner x d_state FP32, a row of `ssm.lanes` states per
// access), the B/C buffer, the conv line buffer (the conv state: channels x
// (d_conv - 1) INT8 carried across token tiles) and the Hadamard tile
// (tokens_per_tile x d_inner FP16); from the units' buffer layout
// (p.buffers) the conv input tiles (the conv buffer less its line buffer),
// the SSM tile buffer (less B and C: u, delta, z tiles and the parameters)
// and Mamba2's norm buffer, each at its capacity (buffers.*_kib, or the
// working set). Each the smaller of SRAM and flops. The one definition for
// the die estimate, the leakage and the access energy.
struct StateMemory {
  std::string unit;   // ssm_state, ssm_bc_buffer, conv_line_buffer, hadamard_tile, conv_input_tiles, ssm_tile_buffer, norm_buffer
  MemoryCost cost;
  std::string what;
};
std::vector<StateMemory> state_memories(const TechTable& t, const UnitPricing& p);
// Accesses of the state memories, read off the event counts (the one place
// for these counts; docs/cost-model.md, "State memories"):
//  - ssm_state: each recurrence step (ssm_step) reads and writes its FP32 state;
//  - conv_line_buffer: each channel pass (conv MACs / d_conv / tokens) reads
//    and writes its d_conv - 1 INT8 inputs once per token tile of
//    conv.token_tile tokens;
//  - hadamard_tile: each element (the unit's fp32_convert) written once as FP16
//    when y arrives and read once by the transform.
//  - ssm_bc_buffer: each recurrence step reads its B_n and C_n (INT8, as
//    the SSM core holds the sequence's B and C), each token's B and C
//    (2 x groups x d_state INT8) are written once (the tokens:
//    ssm_step / (d_inner x d_state)).
// In accesses of each memory's width. The memories from the buffer layout
// (conv_input_tiles, ssm_tile_buffer, norm_buffer) have no analytic count:
// the units count the bytes they write into and read out of them
// (EventCounts::sram), and energy_report prices those at the memory here.
std::vector<SramTraffic> state_memory_traffic(const EventCounts& e, const TechTable& t, const UnitPricing& p);

// What an area item is: standard-cell logic (placed at the die model's
// utilisation), a memory macro or flop array, an overhead on the logic, or
// the DRAM interface.
enum class AreaKind : std::uint8_t { kLogic, kMemory, kPlacement, kPhy };

struct AreaItem {
  std::string unit;
  double mm2 = 0;
  std::string how;     // the formula with its numbers
  AreaKind kind = AreaKind::kLogic;
  std::string source;  // the table entries it uses
  double leakage_mw = 0;
};
struct AreaReport {
  std::string tech;
  std::vector<AreaItem> items;
  double total_mm2 = 0;          // the die estimate: the items' sum
  double logic_cells_mm2 = 0;    // datapath + control cells, before placement
  double memory_mm2 = 0;
  double leakage_mw = 0;
  std::optional<double> reference_die_mm2;  // the table's die_area_mm2
  std::vector<std::string> notes;           // where a memory's model extrapolated, clamped or banked
};
// The die estimate of the configured accelerator (docs/cost-model.md, "Die
// area"): every unit's operators (lane_ops, the golden exp/softplus units,
// the PEs and their registers), every memory the configuration implies
// (weight, activation and accumulator buffers, the state memories with the
// units' held tiles, scale index), control/DMA as a share of the logic,
// placement at the table's utilisation, and the DRAM PHY.
AreaReport area_report(const TechTable& t, const UnitPricing& p);

struct EnergyReport {
  std::string tech;
  std::array<double, kNumCategories> pj{};  // by Category
  double total_pj = 0;
  double pj_per_token = 0;  // per token of one layer
  double pj_per_lookup = 0;  // the index study's figure used for Counter::kLookup
  double time_ns = 0;        // the time leakage is integrated over
  std::vector<std::pair<std::string, double>> leakage_pj;  // by area item
  std::vector<std::pair<std::string, double>> memory_pj;   // access energy by on-chip memory (sram, scale index)
  std::vector<std::string> notes;
};
// time_ns: the simulated time of the counted work (leakage x time).
EnergyReport energy_report(const EventCounts& e, double time_ns, const TechTable& t, const UnitPricing& p);

// Energy per token and die area with one sourced range of the table at its
// low and its high end, the rest nominal (docs/cost-model.md, "Sensitivity").
struct SensitivityRow {
  std::string knob;    // dram_pj_per_bit, sram, logic_energy_scaling, ...
  std::string range;   // the values tried, e.g. "4..20 pJ/bit"
  std::string source;
  double pj_per_token_low = 0, pj_per_token_high = 0;
  double area_mm2_low = 0, area_mm2_high = 0;
};
std::vector<SensitivityRow> sensitivity(const EventCounts& e, double time_ns, const TechTable& t,
                                        const UnitPricing& p);

// The energy per token with the DRAM figure of each of the table's
// dram_variants in turn, the rest nominal, and the DRAM interface's area
// with that variant (die.dram_phy_mm2 x its phy_factor).
struct DramVariantRow {
  std::string variant;
  double pj_per_bit = 0;
  double pj_per_token = 0;
  bool selected = false;  // the table's own dram figure
  std::string source;
  double phy_mm2 = 0;
  std::string phy_source;
};
std::vector<DramVariantRow> dram_variant_energy(const EventCounts& e, double time_ns, const TechTable& t,
                                                const UnitPricing& p);

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
