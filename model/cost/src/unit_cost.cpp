#include "mambahw/cost/unit_cost.hpp"

#include "mambahw/golden/units.hpp"

namespace mambahw::cost {

TechOp tech_op_of(DatapathOp op) {
  switch (op) {
    case DatapathOp::kFp32Add: return TechOp::kFp32Add;
    case DatapathOp::kFp32Mul:
    case DatapathOp::kIntMul: return TechOp::kFp32Mul;
    case DatapathOp::kFp32Fma: return TechOp::kFp32Fma;
    case DatapathOp::kFp32Div: return TechOp::kFp32Div;
    case DatapathOp::kFp32Convert: return TechOp::kFp32Convert;
    case DatapathOp::kFp32Sqrt: return TechOp::kFp32Sqrt;
    case DatapathOp::kCompare: return TechOp::kCompare;
    case DatapathOp::kIntAdd:
    case DatapathOp::kShift:
    case DatapathOp::kTableBit: break;
  }
  return TechOp::kAddInt32;
}

double op_energy_pj(DatapathOp op, const TechTable& t) {
  return op == DatapathOp::kTableBit ? t.reg.energy_pj_per_bit : t.op(tech_op_of(op)).energy_pj;
}

UnitCost unit_cost(const OpMix& ops, std::int64_t table_bits, const TechTable& t) {
  UnitCost c;
  for (std::size_t i = 0; i < kNumDatapathOps; ++i) {
    const auto op = static_cast<DatapathOp>(i);
    const auto n = static_cast<double>(ops[op]);
    c.energy_pj += n * op_energy_pj(op, t);
    if (op != DatapathOp::kTableBit) c.area_um2 += n * t.op(tech_op_of(op)).area_um2;
  }
  c.area_um2 += static_cast<double>(table_bits) * t.reg.area_um2_per_bit;
  return c;
}

NonlinearUnits nonlinear_units(const UnitSelection& u, bool softplus_threshold) {
  return {exp_ops(u.exp), softplus_ops(softplus_threshold, u), table_bits(u.exp),
          table_bits(u.exp) + table_bits(u.log1p)};
}

}  // namespace mambahw::cost
