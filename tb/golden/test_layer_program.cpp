// The layer program: op order, tensors and bytes, and the work of each unit,
// against hand derivations; the units' operation counts against their
// definitions read by hand (docs/arithmetic.md §3, docs/layer.md).
#include <gtest/gtest.h>

#include "mambahw/golden/dequant.hpp"
#include "mambahw/golden/exp_unit.hpp"
#include "mambahw/golden/gemm.hpp"
#include "mambahw/golden/hadamard.hpp"
#include "mambahw/golden/layer.hpp"
#include "mambahw/golden/layer_program.hpp"
#include "mambahw/golden/ssm.hpp"
#include "mambahw/studies/layer_accuracy.hpp"
#include "mambahw/tb/test_shapes.hpp"

namespace mambahw {
namespace {

using Op = DatapathOp;

// state-spaces/mamba-130m and mamba2-130m (configs/models).
ModelShape mamba_130m() {
  ModelShape m = test::mamba1_shape(1536, 16);
  m.d_model = 768;
  m.dt_rank = 48;
  return m;
}
ModelShape mamba2_130m() {
  ModelShape m = test::mamba2_shape(1536, 24, 64, 1, 128);
  m.d_model = 768;
  return m;
}
ModelShape small_mamba1() {
  ModelShape m = test::mamba1_shape(128);
  m.d_model = 64;
  m.dt_rank = 4;
  return m;
}
ModelShape small_mamba2() {
  ModelShape m = test::mamba2_shape(128, 8, 16, 2, 16);
  m.d_model = 64;
  return m;
}

OpMix mix(std::initializer_list<std::pair<Op, std::int64_t>> l) {
  OpMix m;
  for (const auto& [op, n] : l) m(op, n);
  return m;
}

// exp_unit (exp_unit.hpp): k = round(x*log2e): 1 multiply, 1 conversion;
// 2 FMAs of the Cody-Waite reduction; 7 FMAs of the degree-7 Horner
// polynomial (8 coefficients); 2^k by an exponent add; 2 range checks.
TEST(UnitOps, ExpUnitByHand) {
  EXPECT_EQ(exp_unit_ops(), mix({{Op::kFp32Mul, 1}, {Op::kFp32Convert, 1}, {Op::kFp32Fma, 9}, {Op::kIntAdd, 1},
                                 {Op::kCompare, 2}}));
}

// log1p_unit's main path (ssm.hpp): u = 1 + v; f = m - 1; c = (v - (u - 1)) / u;
// s = f / (2 + f); z = s*s; three Horner FMAs and a multiply; logm = fma;
// kf = float(k); low = fma + add; the final fma. Comparisons: 3 specials and
// m >= sqrt(2).
TEST(UnitOps, Log1pUnitByHand) {
  EXPECT_EQ(log1p_unit_ops(), mix({{Op::kFp32Add, 6}, {Op::kFp32Div, 2}, {Op::kFp32Mul, 2}, {Op::kFp32Fma, 6},
                                   {Op::kFp32Convert, 1}, {Op::kCompare, 4}}));
  EXPECT_EQ(softplus_ops(true), exp_unit_ops() + log1p_unit_ops() + OpMix::of(Op::kCompare));
  EXPECT_EQ(softplus_ops(false), exp_unit_ops() + log1p_unit_ops());
}

TEST(UnitOps, SiluQuantizeRequantByHand) {
  EXPECT_EQ(silu_ops(QuantizeOp::kDivide), exp_unit_ops() + mix({{Op::kFp32Add, 1}, {Op::kFp32Div, 1}}));
  EXPECT_EQ(silu_ops(QuantizeOp::kMultiplyReciprocal),
            exp_unit_ops() + mix({{Op::kFp32Add, 1}, {Op::kFp32Div, 1}, {Op::kFp32Mul, 1}}));
  EXPECT_EQ(quantize_ops(QuantizeOp::kMultiplyReciprocal), mix({{Op::kFp32Mul, 1}, {Op::kFp32Convert, 1}, {Op::kCompare, 2}}));
  EXPECT_EQ(quantize_ops(QuantizeOp::kDivide), mix({{Op::kFp32Div, 1}, {Op::kFp32Convert, 1}, {Op::kCompare, 2}}));
  EXPECT_EQ(dequant_ops(), mix({{Op::kFp32Convert, 1}, {Op::kFp32Mul, 1}}));
  // Per channel: convert, 2 multiplies, round + 2 saturation compares.
  EXPECT_EQ(requant_ops(RequantOrder::kActThenWeight, 1, true),
            mix({{Op::kFp32Convert, 2}, {Op::kFp32Mul, 2}, {Op::kCompare, 2}}));
  // 6 groups of 128 (K = 768): 6 conversions and FMAs, one multiply, FP16 out.
  EXPECT_EQ(requant_ops(RequantOrder::kWeightThenAct, 6, false),
            mix({{Op::kFp32Convert, 7}, {Op::kFp32Fma, 6}, {Op::kFp32Mul, 1}}));
  // H12 x H128 on 1536: 27648 additions, 1536 multiplies and conversions.
  EXPECT_EQ(hadamard_quantize_ops(*hadamard_size(1536)),
            mix({{Op::kFp32Add, 27648}, {Op::kFp32Mul, 1536}, {Op::kFp32Convert, 1536}}));
}

std::vector<std::string> op_names(const LayerProgram& p) {
  std::vector<std::string> v;
  for (const OpSpec& o : p.ops) v.push_back(o.name);
  return v;
}

QuantScheme quamba1() {
  QuantScheme s;
  s.name = "quamba1";
  return s;
}

TEST(LayerProgram, Mamba1OpsTensorsAndBytes) {
  const ModelShape m = mamba_130m();
  const LayerProgram p = layer_program(m, quamba1());
  EXPECT_EQ(op_names(p), (std::vector<std::string>{"in_proj", "conv1d+silu+quantize", "x_proj", "dt_proj",
                                                   "selective_scan", "hadamard+quantize", "out_proj"}));
  const std::int64_t L = 512;
  EXPECT_EQ(p.tensor("hidden").bytes(L), 768 * L);
  EXPECT_EQ(p.tensor("x").bytes(L), 1536 * L);
  EXPECT_EQ(p.tensor("u_int8").bytes(L), 1536 * L);
  EXPECT_EQ(p.tensor("bc").bytes(L), 32 * L);
  EXPECT_EQ(p.tensor("dt_low").bytes(L), 48 * L);
  EXPECT_EQ(p.tensor("y").bytes(L), 1536 * 2 * L);  // FP16
  EXPECT_EQ(p.tensor("out").bytes(L), 768 * 2 * L);
  // INT8 in_proj: 3072 x 768 bytes and 3072 FP32 per-channel scales.
  EXPECT_EQ(p.tensor("w_in_proj").bytes(L), 3072 * 768 + 3072 * 4);
  // Conv: 4 taps + bias (INT8) + two FP32 constants per channel.
  EXPECT_EQ(p.tensor("w_conv").bytes(L), 1536 * 13);
  const OpSpec& in = p.op("in_proj");
  EXPECT_EQ(in.outputs, (std::vector<std::string>{"x", "z"}));
  EXPECT_EQ(in.work_of(Unit::kGemmArray, 1).mac_int8, 768 * 3072);
  EXPECT_EQ(in.work_of(Unit::kGemmArray, 1).mac_int4, 0);
  EXPECT_EQ(p.op("x_proj").inputs, (std::vector<std::string>{"u_int8"}));
  EXPECT_EQ(p.op("selective_scan").inputs, (std::vector<std::string>{"u_int8", "delta", "z", "bc"}));
  // One scale fetch per SSM-input channel per pass, whatever L is.
  EXPECT_EQ(p.op("conv1d+silu+quantize").work_of(Unit::kScaleIndexLookup, 1).lookups, 1536);
  EXPECT_EQ(p.op("conv1d+silu+quantize").work_of(Unit::kScaleIndexLookup, 2048).lookups, 1536);
  // SSM core per token: 1536 x 16 steps; exp per step and per channel (gate); softplus per channel.
  const Work ssm = p.op("selective_scan").work_of(Unit::kSsmCore, 1);
  const Work pass = p.op("selective_scan").work_of(Unit::kSsmCore, 0);
  EXPECT_EQ(ssm.steps, 1536 * 16);
  EXPECT_EQ(ssm.exp - pass.exp, 1536 * 16 + 1536);
  EXPECT_EQ(ssm.softplus, 1536);
  EXPECT_EQ(pass.exp, 1536 * 16);  // exp(A) once per (channel, state)
}

TEST(LayerProgram, W4a5SeInt4Mamba2StoresDualWordsAndInt4Weights) {
  const ModelShape m = mamba2_130m();
  QuantScheme s;
  s.name = "w4a5-se-int4";
  s.base = SchemeBase::kQuamba1;
  s.layer.weights = WeightPrecision::kInt4;
  s.layer.weight_group = 128;
  s.ssm_input = SsmInputFormat::kDualScale;
  s.dual.code_bits = 4;
  const LayerProgram p = layer_program(m, s);
  EXPECT_EQ(weight_precision(s), WeightPrecision::kInt4);
  EXPECT_EQ(ssm_input_bits(s), 5);
  EXPECT_EQ(op_names(p), (std::vector<std::string>{"in_proj", "conv1d+silu+quantize", "ssd_scan+norm",
                                                   "hadamard+quantize", "out_proj"}));
  // No INT8 copy of x on Mamba2: the SSM reads the 5-bit words, B and C stay INT8.
  EXPECT_THROW(p.tensor("u_int8"), std::out_of_range);
  EXPECT_EQ(p.tensor("u_dual").bytes(512), 1536 * 512 * 5 / 8);
  EXPECT_EQ(p.tensor("bc").bytes(512), 256 * 512);
  EXPECT_EQ(p.op("conv1d+silu+quantize").outputs, (std::vector<std::string>{"u_dual", "bc"}));
  // INT4 in_proj, 3352 x 768: 384 bytes a row, 6 groups of 128, FP32 group scales.
  EXPECT_EQ(p.tensor("w_in_proj").bytes(1), 3352 * 384 + 3352 * 6 * 4);
  EXPECT_EQ(p.op("in_proj").work_of(Unit::kGemmArray, 1).mac_int4, 768 * 3352);
  EXPECT_EQ(p.op("in_proj").work_of(Unit::kGemmArray, 1).mac_int8, 0);
  // Every element of the SSM input goes through the dual-scale MUX.
  EXPECT_EQ(p.op("ssd_scan+norm").work_of(Unit::kSsmDequant, 1).mux_selects, 1536);
}

// The golden layer executes the program: the tensors it leaves are the
// program's, with the program's byte counts.
TEST(LayerProgram, GoldenLayerLeavesEveryProgramTensor) {
  for (const ModelShape& m : {small_mamba1(), small_mamba2()}) {
    QuantScheme s;
    s.name = "w4a5-se";
    s.ssm_input = SsmInputFormat::kDualScale;
    const SyntheticWeights src(3);
    const QuantizedLayer q = quantize_layer(m, s, src.layer(m, 0), {synthetic_layer_input(m, 48, 11)});
    const LayerTrace tr = run_layer(q, synthetic_layer_input(m, 24, 12), accelerator_mode(s));
    for (const TensorSpec& t : q.program.tensors) {
      if (!t.is_activation() || t.name == q.program.input) continue;
      std::size_t elements = 0;
      if (tr.int8.count(t.name)) elements = tr.int8.at(t.name).size();
      else if (tr.words.count(t.name)) elements = tr.words.at(t.name).size();
      else if (tr.fp.count(t.name)) elements = tr.fp.at(t.name).size();
      EXPECT_EQ(static_cast<std::int64_t>(elements), t.per_token * 24) << m.name << " " << t.name;
    }
  }
}

}  // namespace
}  // namespace mambahw
