#include "mambahw/model/layer_data.hpp"

#include <stdexcept>

#include "mambahw/golden/layer.hpp"
#include "mambahw/model/timing.hpp"

namespace mambahw::model {

LayerData load_layer(const QuantizedLayer& q, const LayerProgram& program, int len, const GemmArrayConfig& array,
                     const Tensor<std::int8_t>& hidden) {
  LayerData d;
  const ModelShape& m = q.shape;
  const RequantPolicy rp = requant_policy(q.scheme);
  for (const OpSpec& op : program.ops) {
    if (op.kind == OpKind::kGemm) {
      const GemmSpec& g = *op.gemm;
      const QuantWeights& w = gemm_weights(q, g.id);
      const GemmScales s = gemm_scales(q, g.id);
      GemmRegisters r;
      r.act_scale = s.act;
      if (!s.out.empty()) r.out_scale = s.out.size() == 1 ? std::vector<float>(static_cast<std::size_t>(g.n), s.out[0]) : s.out;
      r.grouped = w.group != 0;
      r.weight_group = w.group;
      r.requant = rp;
      r.in_rounding = q.scheme.numerics.rounding;
      d.gemm[g.id] = r;
      const GemmShape shape{len, g.k, g.n, weight_bits(g.weights), 1, 1};
      d.images[op.weights.at(0)] = gemm_weight_image(w, plan_gemm(shape, array), program.tensor(op.weights.at(0)).bytes(len));
    } else if (op.kind == OpKind::kConvSiluQuantize) {
      d.conv.order = q.scheme.conv_order;
      d.conv.numerics = q.conv_out.numerics;
      d.conv.scale = q.conv_out.int8_scales;
      if (q.conv_out.table)
        d.conv.index = IndexSram{q.conv_out.table->shape, index_sram_image(*q.conv_out.table), q.conv_out.table->b_scales,
                                 q.conv_out.table->c_scales};
      d.conv.dual = q.conv_out.dual;
      d.images[op.weights.at(0)] = conv_weight_image(q.conv, q.conv_out.numerics.denormals);
    } else if (op.kind == OpKind::kSelectiveScan || op.kind == OpKind::kSsdScanNorm) {
      SsmRegisters& s = d.ssm;
      s.policy = ssm_policy(q.scheme);
      s.scheme = q.scheme;
      s.dual = q.conv_out.dual;
      s.z_scale = in_proj_out_scale(q, "z");
      s.delta_scale = m.is_mamba2() ? in_proj_out_scale(q, "dt") : q.dt_proj_out_scale;
      s.bc_scale = q.x_proj_out_scale;
      d.images[op.weights.at(0)] = ssm_params_image(q);
    } else if (op.kind == OpKind::kHadamardQuantize) {
      d.hadamard = HadamardRegisters{require_hadamard_size(m.d_inner), q.hadamard_multiplier, *hadamard_policy(q.scheme)};
    }
  }
  for (const auto& [name, img] : d.images)
    if (static_cast<std::int64_t>(img.size()) != program.tensor(name).bytes(len))
      throw std::logic_error("host image of '" + name + "' has " + std::to_string(img.size()) +
                             " bytes, the program's tensor " + std::to_string(program.tensor(name).bytes(len)));
  if (static_cast<int>(hidden.dim(0)) != len) throw std::logic_error("load_layer: the layer input has the wrong length");
  d.images[program.input] = layer_input_image(program, hidden);
  return d;
}

Bytes layer_input_image(const LayerProgram& program, const Tensor<std::int8_t>& hidden) {
  const TensorSpec& in = program.tensor(program.input);
  const auto len = static_cast<std::int64_t>(hidden.dim(0));
  Bytes h(static_cast<std::size_t>(in.bytes(len)), 0);
  for (std::int64_t t = 0; t < len; ++t)
    for (std::int64_t c = 0; c < in.per_token; ++c)
      put_element(h, element_index(in, len, c, t), 8,
                  static_cast<std::uint8_t>(hidden(static_cast<std::size_t>(t), static_cast<std::size_t>(c))));
  return h;
}

}  // namespace mambahw::model
