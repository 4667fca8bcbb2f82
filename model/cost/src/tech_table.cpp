#include "mambahw/cost/tech_table.hpp"

namespace mambahw {

std::string_view tech_op_key(TechOp op) {
  switch (op) {
    case TechOp::kMacInt8: return "mac_int8";
    case TechOp::kMacInt4: return "mac_int4";
    case TechOp::kAddInt32: return "add_int32";
    case TechOp::kFp32Add: return "fp32_add";
    case TechOp::kFp32Mul: return "fp32_mul";
    case TechOp::kFp32Fma: return "fp32_fma";
    case TechOp::kFp32Div: return "fp32_div";
    case TechOp::kExp: return "exp";
    case TechOp::kSoftplus: return "softplus";
    case TechOp::kCompare: return "compare";
    case TechOp::kGate: return "gate";
  }
  return "?";
}

std::string_view to_string(SramKind k) { return k == SramKind::kLinear ? "linear" : "table"; }

}  // namespace mambahw
