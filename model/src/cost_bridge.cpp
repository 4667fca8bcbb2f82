#include "mambahw/model/cost_bridge.hpp"

#include "mambahw/golden/layer.hpp"

namespace mambahw::model {

// The model keeps one flat count per name; the FP32 operations of the conv
// unit (per element: FMA, add, divide, SiLU's exp), of the quantizer (one or,
// with dual-scale words, three multiplies) and of the SSM core share names and
// are split here by their known per-element counts.
cost::EventCounts to_cost_events(const LayerReport& r, const System& c) {
  using cost::Unit;
  const Events& ev = r.events;
  cost::EventCounts e;
  e.tokens = r.seq_len;
  e.nonlinear = cost::nonlinear_units(c.scheme.numerics.units, ssm_policy(c.scheme).softplus_threshold);
  auto g = [&](const char* name) { return ev.get(name); };
  // GEMM array
  cost::OpCounts& gemm = e.at(Unit::kGemm);
  gemm.mac_int8 = g("mac_int8");
  gemm.mac_int4 = g("mac_int4");
  gemm.fp32_mul = g("requant");
  gemm.register_bits = 32 * g("accumulator_rw");
  const HardwareConfig& hw = c.hardware;
  e.add_sram({"weight_buffer", Unit::kGemm, cost::MemImpl::kSram, hw.buffers.weight_kib * 1024.0, 64,
              static_cast<double>(g("weight_buffer_read_bytes")) / 8.0, 0});
  e.add_sram({"activation_buffer", Unit::kGemm, cost::MemImpl::kSram, hw.buffers.activation_kib * 1024.0, 64,
              static_cast<double>(g("activation_buffer_read_bytes")) / 8.0, 0});
  // conv unit: per element one FMA, one add, one divide and one exp (SiLU)
  const std::int64_t conv_elements = g("conv_mac_int8") / std::max(1, c.model.d_conv);
  cost::OpCounts& conv = e.at(Unit::kConv);
  conv.mac_int8 = g("conv_mac_int8");
  conv.fp32_fma = conv_elements;
  conv.fp32_add = conv_elements;
  conv.fp32_div = conv_elements;
  conv.exp = conv_elements;
  // conv-output quantizer
  cost::OpCounts& quant = e.at(Unit::kQuantizer);
  quant.fp32_mul = g("quantizer_int8_elements") + 2 * g("quantizer_dual_elements");
  // SSM dequant stage
  e.at(Unit::kDequant).fp32_mul = g("dequant");
  // SSM core: the rest
  cost::OpCounts& ssm = e.at(Unit::kSsmCore);
  ssm.fp32_mul = g("fp32_mul") - quant.fp32_mul;
  ssm.fp32_fma = g("fp32_fma") - conv.fp32_fma;
  ssm.fp32_add = g("fp32_add") - conv.fp32_add;
  ssm.fp32_div = g("fp32_div") - conv.fp32_div;
  ssm.exp = g("exp") - conv.exp;
  ssm.softplus = g("softplus");
  // online Hadamard unit
  cost::OpCounts& had = e.at(Unit::kHadamard);
  had.fp32_add = g("hadamard_add");
  had.fp32_mul = g("hadamard_elements");
  ssm.dram_read_bytes = g("dram_read_bytes");
  ssm.dram_write_bytes = g("dram_write_bytes");
  return e;
}

}  // namespace mambahw::model
