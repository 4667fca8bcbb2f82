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

struct UnitCost {
  double energy_pj = 0;  // per evaluation
  double area_um2 = 0;   // of one unit evaluating once per cycle
};

// One hardware instance per tallied operation. Operations without a table
// entry of their own take the nearest (docs/arithmetic.md §3.5): the
// fixed-point multiply the FP32 multiplier, the square root the divider, a
// conversion, shift or integer add the 32-bit adder; a table bit read costs
// a register bit's energy, a table bit stored a register bit's area.
UnitCost unit_cost(const OpMix& ops, std::int64_t table_bits, const TechTable& t);

// The exp and softplus units a scheme evaluates, as the energy and area
// reports price them.
struct NonlinearUnits {
  OpMix exp_eval, softplus_eval;                             // operations of one evaluation
  std::int64_t exp_table_bits = 0, softplus_table_bits = 0;  // coefficient bits stored per unit
};
NonlinearUnits nonlinear_units(const UnitSelection& u, bool softplus_threshold);

}  // namespace mambahw::cost
