#include "mambahw/golden/quant_scheme.hpp"

namespace mambahw {

LayerNumerics default_layer_numerics(SchemeBase b) {
  LayerNumerics n;
  if (b == SchemeBase::kQuamba2) {
    n.weights = WeightPrecision::kInt4;
    n.weight_group = 128;
    n.gemm_requant = RequantOrder::kWeightThenAct;
    n.softplus_threshold = false;
  }
  return n;
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
