#include "mambahw/golden/quant_scheme.hpp"

namespace mambahw {

std::string_view to_string(Arch a) { return a == Arch::kMamba1 ? "mamba1" : "mamba2"; }
std::string_view to_string(SchemeBase b) { return b == SchemeBase::kQuamba1 ? "quamba1" : "quamba2"; }
std::string_view to_string(ObserverKind k) {
  return k == ObserverKind::kMinMax ? "minmax" : "percentile";
}
std::string_view to_string(SsmInputFormat f) {
  return f == SsmInputFormat::kInt8 ? "int8" : "dual_scale";
}

std::string scheme_applicability(const QuantScheme& s, const ModelShape& m) {
  if (s.base == SchemeBase::kQuamba2 && !m.is_mamba2())
    return "scheme '" + s.name + "' (base quamba2) groups scales by SSD head; model '" + m.name +
           "' is Mamba1 and has no heads";
  if (s.scale_table && s.scale_table->shape != ScaleTableShape::of(m, s.scale_table->shape.head_groups,
                                                                   s.scale_table->shape.dim_groups))
    return "scheme '" + s.name + "' has an explicit scale table for another model shape";
  return {};
}

}  // namespace mambahw
