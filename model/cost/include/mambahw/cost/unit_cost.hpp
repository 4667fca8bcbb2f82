// Energy and area of the nonlinear-function units (exp, softplus, reciprocal)
// from their golden definitions: the datapath operations a variant's
// definition tallies (golden units.hpp, unit_ops.hpp) priced with a
// technology table, plus its coefficient table. `mambahw units` prints these
// per variant; the energy and area reports price every exp and softplus
// evaluation of a run with the scheme's units (docs/cost-model.md).
#pragma once

#include <cstdint>

#include "mambahw/cost/tech_table.hpp"
#include "mambahw/golden/unit_ops.hpp"
#include "mambahw/golden/unit_variants.hpp"

namespace mambahw::cost {

// The technology table's entry that prices a datapath operation: its own,
// or the nearest (docs/arithmetic.md §3.5): a fixed-point multiply the FP32
// multiplier, a shift the 32-bit adder. kTableBit has none: a table bit read
// costs a register bit's energy (op_energy_pj), its storage is unit area.
TechOp tech_op_of(DatapathOp op);
double op_energy_pj(DatapathOp op, const TechTable& t);

struct UnitCost {
  double energy_pj = 0;  // per evaluation
  double area_um2 = 0;   // of one unit evaluating once per cycle
};

// One hardware instance per tallied operation (tech_op_of), plus the
// coefficient table stored as register bits.
UnitCost unit_cost(const OpMix& ops, std::int64_t table_bits, const TechTable& t);

// The exp and softplus units a scheme evaluates, as the energy and area
// reports price them.
struct NonlinearUnits {
  OpMix exp_eval, softplus_eval;                             // operations of one evaluation
  std::int64_t exp_table_bits = 0, softplus_table_bits = 0;  // coefficient bits stored per unit
};
NonlinearUnits nonlinear_units(const UnitSelection& u, bool softplus_threshold);

}  // namespace mambahw::cost
