#include "mambahw/cost/unit_cost.hpp"

#include "mambahw/golden/units.hpp"

namespace mambahw::cost {

namespace {

TechOp nearest_tech_op(DatapathOp op) {
  switch (op) {
    case DatapathOp::kFp32Add: return TechOp::kFp32Add;
    case DatapathOp::kFp32Mul:
    case DatapathOp::kIntMul: return TechOp::kFp32Mul;
    case DatapathOp::kFp32Fma: return TechOp::kFp32Fma;
    case DatapathOp::kFp32Div:
    case DatapathOp::kFp32Sqrt: return TechOp::kFp32Div;
    case DatapathOp::kCompare: return TechOp::kCompare;
    case DatapathOp::kFp32Convert:
    case DatapathOp::kIntAdd:
    case DatapathOp::kShift:
    case DatapathOp::kTableBit: break;
  }
  return TechOp::kAddInt32;
}

}  // namespace

UnitCost unit_cost(const OpMix& ops, std::int64_t table_bits, const TechTable& t) {
  UnitCost c;
  for (std::size_t i = 0; i < kNumDatapathOps; ++i) {
    const auto op = static_cast<DatapathOp>(i);
    const auto n = static_cast<double>(ops[op]);
    if (op == DatapathOp::kTableBit) {
      c.energy_pj += n * t.reg.energy_pj_per_bit;
      continue;
    }
    const OpCost& oc = t.op(nearest_tech_op(op));
    c.energy_pj += n * oc.energy_pj;
    c.area_um2 += n * oc.area_um2;
  }
  c.area_um2 += static_cast<double>(table_bits) * t.reg.area_um2_per_bit;
  return c;
}

NonlinearUnits nonlinear_units(const UnitSelection& u, bool softplus_threshold) {
  return {exp_ops(u.exp), softplus_ops(softplus_threshold, u), table_bits(u.exp),
          table_bits(u.exp) + table_bits(u.log1p)};
}

}  // namespace mambahw::cost
