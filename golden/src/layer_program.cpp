#include "mambahw/golden/layer_program.hpp"
#include "mambahw/golden/units.hpp"

#include <stdexcept>

#include "mambahw/golden/conv.hpp"
#include "mambahw/golden/dequant.hpp"
#include "mambahw/golden/dual_scale.hpp"
#include "mambahw/golden/exp_unit.hpp"
#include "mambahw/golden/hadamard.hpp"
#include "mambahw/golden/layer.hpp"
#include "mambahw/golden/ssm.hpp"

namespace mambahw {

// ---- the facts ---------------------------------------------------------------------

WeightPrecision weight_precision(const QuantScheme& s) { return s.layer.weights; }

int weight_bits(WeightPrecision p) { return p == WeightPrecision::kInt4 ? 4 : 8; }

int ssm_input_bits(const QuantScheme& s) {
  return s.ssm_input == SsmInputFormat::kDualScale ? dual_word_bits(s.dual.code_bits) : 8;
}

std::int64_t scale_lookups_per_pass(const ModelShape& m) { return m.ssm_input_channels(); }

std::int64_t conv_weight_bytes_per_channel(int width) { return width + 1 + 2 * 4; }

std::int64_t TensorSpec::bytes(std::int64_t tokens) const {
  if (!is_activation()) return fixed;
  return (per_token * tokens * element_bits + 7) / 8;
}

// ---- work ------------------------------------------------------------------------------

Work& Work::operator+=(const Work& o) {
  mac_int8 += o.mac_int8;
  mac_int4 += o.mac_int4;
  ops += o.ops;
  exp += o.exp;
  softplus += o.softplus;
  lookups += o.lookups;
  mux_selects += o.mux_selects;
  steps += o.steps;
  return *this;
}

Work Work::scaled(std::int64_t k) const {
  Work w = *this;
  w.mac_int8 *= k;
  w.mac_int4 *= k;
  w.ops = w.ops * k;
  w.exp *= k;
  w.softplus *= k;
  w.lookups *= k;
  w.mux_selects *= k;
  w.steps *= k;
  return w;
}

Work OpSpec::work_of(Unit u, std::int64_t tokens) const {
  Work w;
  for (const UnitWork& uw : work)
    if (uw.unit == u) {
      w += uw.per_token.scaled(tokens);
      w += uw.per_pass;
    }
  return w;
}

const TensorSpec& LayerProgram::tensor(std::string_view name) const {
  for (const TensorSpec& t : tensors)
    if (t.name == name) return t;
  throw std::out_of_range("layer program has no tensor '" + std::string(name) + "'");
}

const OpSpec& LayerProgram::op(std::string_view name) const {
  for (const OpSpec& o : ops)
    if (o.name == name) return o;
  throw std::out_of_range("layer program has no op '" + std::string(name) + "'");
}

Work LayerProgram::unit_work(Unit u, std::int64_t tokens) const {
  Work w;
  for (const OpSpec& o : ops) w += o.work_of(u, tokens);
  return w;
}

std::int64_t LayerProgram::op_bytes(const OpSpec& o, std::int64_t tokens) const {
  std::int64_t b = 0;
  for (const auto* names : {&o.inputs, &o.outputs, &o.weights})
    for (const std::string& n : *names) b += tensor(n).bytes(tokens);
  return b;
}

// ---- the program -----------------------------------------------------------------------

namespace {

using Op = DatapathOp;

struct Builder {
  const ModelShape& m;
  const QuantScheme& s;
  LayerProgram p;

  void activation(std::string name, ElementFormat f, int bits, Layout l, std::int64_t per_token, std::string what) {
    p.tensors.push_back({std::move(name), f, bits, l, per_token, 0, std::move(what)});
  }
  void fixed(std::string name, ElementFormat f, int bits, std::int64_t bytes, std::string what) {
    p.tensors.push_back({std::move(name), f, bits, Layout::kRows, 0, bytes, std::move(what)});
  }

  // A GEMM: its weights tensor (packed codes, then FP32 scales per channel or
  // per group), one INT8/FP16 output per listed segment.
  void gemm(const std::string& name, GemmId id, std::int64_t k, std::int64_t n, std::vector<std::string> in,
            std::vector<std::string> out, std::vector<Segment> columns, ElementFormat in_fmt,
            ElementFormat out_fmt) {
    const WeightPrecision wp = weight_precision(s);
    const int group = s.layer.weight_group;
    const std::int64_t groups = group ? (k + group - 1) / group : 1;
    const std::int64_t row_bytes = wp == WeightPrecision::kInt8 ? k : (k + 1) / 2;
    fixed("w_" + name, wp == WeightPrecision::kInt8 ? ElementFormat::kInt8 : ElementFormat::kInt4, weight_bits(wp),
          n * row_bytes + n * groups * 4, name + " weights (packed rows) and FP32 scales");
    OpSpec o;
    o.name = name;
    o.kind = OpKind::kGemm;
    o.unit = Unit::kGemmArray;
    o.inputs = std::move(in);
    o.outputs = std::move(out);
    o.output_columns = std::move(columns);
    o.weights = {"w_" + name};
    o.gemm = GemmSpec{id, k, n, wp, group, in_fmt, out_fmt};
    Work w;
    (wp == WeightPrecision::kInt4 ? w.mac_int4 : w.mac_int8) = k * n;
    w.ops = requant_ops(s.layer.gemm_requant, static_cast<int>(groups), out_fmt == ElementFormat::kInt8) * n;
    if (in_fmt != ElementFormat::kInt8) w.ops += quantize_ops(QuantizeOp::kMultiplyReciprocal) * k;  // on the way in
    o.work.push_back({Unit::kGemmArray, w, {}});
    p.ops.push_back(std::move(o));
  }

  // The conv unit, the scale-index lookup and the conv-output quantizer.
  void conv(const std::string& input, std::vector<std::string> outputs, std::vector<Segment> columns,
            std::int64_t int8_channels, std::int64_t dual_channels) {
    const std::int64_t cc = m.conv_channels();
    fixed("w_conv", ElementFormat::kInt8, 8, cc * conv_weight_bytes_per_channel(m.d_conv),
          "conv taps and bias (INT8), scale_in and bias_f (FP32) per channel");
    OpSpec o;
    o.name = "conv1d+silu+quantize";
    o.kind = OpKind::kConvSiluQuantize;
    o.unit = Unit::kConvUnit;
    o.inputs = {input};
    o.outputs = std::move(outputs);
    o.output_columns = std::move(columns);
    o.weights = {"w_conv"};
    Work conv;
    conv.mac_int8 = cc * m.d_conv;
    conv.ops = (conv_output_ops(s.conv_order, m.d_conv) + silu_ops(s.numerics) - exp_ops(s.numerics.units.exp)) * cc;
    conv.exp = cc;  // SiLU's exp
    Work quant;
    quant.ops = quantize_ops(s.numerics.quantize_op) * int8_channels +
                dual_quantize_ops(s.numerics.quantize_op) * dual_channels;
    quant.mux_selects = dual_channels;  // the flag picks the inlier or the outlier code
    Work lookup;
    lookup.lookups = scale_lookups_per_pass(m);
    o.work = {{Unit::kConvUnit, conv, {}}, {Unit::kConvOutQuantizer, quant, {}}, {Unit::kScaleIndexLookup, {}, lookup}};
    p.ops.push_back(std::move(o));
  }

  void ssm(const std::string& name, OpKind kind, std::vector<std::string> in, const SsmWork& sw, const Work& extra) {
    OpSpec o;
    o.name = name;
    o.kind = kind;
    o.unit = Unit::kSsmCore;
    o.inputs = std::move(in);
    o.outputs = {"y"};
    o.output_columns = {{"y", 0, m.d_inner}};
    o.weights = {"ssm_params"};
    Work dq;
    dq.ops = dequant_ops() * m.d_inner;
    if (s.ssm_input == SsmInputFormat::kDualScale) dq.mux_selects = m.d_inner;
    Work core;
    core.ops = sw.ops_per_token;
    core.exp = sw.exp_per_token;
    core += extra;
    core.softplus = sw.softplus_per_token;
    core.steps = sw.steps_per_token;
    Work pass;
    pass.ops = sw.ops_per_pass;
    pass.exp = sw.exp_per_pass;
    o.work = {{Unit::kSsmDequant, dq, {}}, {Unit::kSsmCore, core, pass}};
    p.ops.push_back(std::move(o));
  }

  // The online Hadamard (when on) and out_proj.
  void out_proj(const std::string& y) {
    const std::int64_t D = m.d_inner;
    if (s.layer.out_proj_hadamard) {
      activation("y_h", ElementFormat::kInt8, 8, Layout::kTokenMajor, D, "out_proj input after the Hadamard");
      OpSpec h;
      h.name = "hadamard+quantize";
      h.kind = OpKind::kHadamardQuantize;
      h.unit = Unit::kHadamardUnit;
      h.inputs = {y};
      h.outputs = {"y_h"};
      h.output_columns = {{"y_h", 0, m.d_inner}};
      Work w;
      w.ops = hadamard_quantize_ops(require_hadamard_size(m.d_inner));
      h.work = {{Unit::kHadamardUnit, w, {}}};
      p.ops.push_back(std::move(h));
      gemm("out_proj", GemmId::kOutProj, D, m.d_model, {"y_h"}, {"out"}, {{"out", 0, m.d_model}},
           ElementFormat::kInt8, ElementFormat::kFp16);
    } else {
      gemm("out_proj", GemmId::kOutProj, D, m.d_model, {y}, {"out"}, {{"out", 0, m.d_model}}, ElementFormat::kFp16,
           ElementFormat::kFp16);
    }
    activation("out", ElementFormat::kFp16, 16, Layout::kTokenMajor, m.d_model, "layer output");
  }

  void ssm_input_tensors() {
    const std::int64_t D = m.d_inner;
    if (s.ssm_input == SsmInputFormat::kDualScale)
      activation("u_dual", ElementFormat::kDualScale, ssm_input_bits(s), Layout::kChannelMajor, D,
                 "SSM input as packed dual-scale words");
  }

  void mamba1() {
    const std::int64_t D = m.d_inner, N = m.d_state;
    const bool dual = s.ssm_input == SsmInputFormat::kDualScale;
    activation("hidden", ElementFormat::kInt8, 8, Layout::kTokenMajor, m.d_model, "layer input");
    activation("x", ElementFormat::kInt8, 8, Layout::kChannelMajor, D, "in_proj x: the conv input");
    activation("z", ElementFormat::kInt8, 8, Layout::kChannelMajor, D, "in_proj z: the gate");
    gemm("in_proj", GemmId::kInProj, m.d_model, m.in_proj_out(), {"hidden"}, {"x", "z"}, m.in_proj_segments(),
         ElementFormat::kInt8, ElementFormat::kInt8);
    // x_proj reads the INT8 codes in every scheme; W4A5-SE adds the dual words for the SSM.
    activation("u_int8", ElementFormat::kInt8, 8, Layout::kChannelMajor, D, "conv-output INT8 codes");
    ssm_input_tensors();
    const Segment xs = segment(m.conv_segments(), "x");
    conv("x", dual ? std::vector<std::string>{"u_int8", "u_dual"} : std::vector<std::string>{"u_int8"},
         dual ? std::vector<Segment>{xs, xs} : std::vector<Segment>{xs}, D, dual ? D : 0);
    activation("dt_low", ElementFormat::kInt8, 8, Layout::kTokenMajor, m.dt_rank, "x_proj dt: dt_proj's input");
    activation("bc", ElementFormat::kInt8, 8, Layout::kChannelMajor, 2 * N, "x_proj B and C");
    const auto xp = m.x_proj_segments();
    gemm("x_proj", GemmId::kXProj, D, m.x_proj_out(), {"u_int8"}, {"dt_low", "bc"},
         {segment(xp, "dt"), {"bc", segment(xp, "B").begin, segment(xp, "C").end}}, ElementFormat::kInt8,
         ElementFormat::kInt8);
    activation("delta", ElementFormat::kInt8, 8, Layout::kChannelMajor, D, "dt_proj output");
    gemm("dt_proj", GemmId::kDtProj, m.dt_rank, D, {"dt_low"}, {"delta"}, {{"delta", 0, m.d_inner}}, ElementFormat::kInt8,
         ElementFormat::kInt8);
    fixed("ssm_params", ElementFormat::kInt8, 8, D * N + 2 * D + 3 * 4, "A_log, D, delta_bias codes and 3 FP32 scales");
    activation("y", ElementFormat::kFp16, 16, Layout::kChannelMajor, D, "SSM output");
    ssm("selective_scan", OpKind::kSelectiveScan, {dual ? "u_dual" : "u_int8", "delta", "z", "bc"},
        mamba1_ssm_work(m.d_inner, m.d_state, ssm_policy(s)), Work{});
    out_proj("y");
  }

  void mamba2() {
    const std::int64_t D = m.d_inner, H = m.nheads, GN = m.bc_channels();
    const bool dual = s.ssm_input == SsmInputFormat::kDualScale;
    activation("hidden", ElementFormat::kInt8, 8, Layout::kTokenMajor, m.d_model, "layer input");
    activation("z", ElementFormat::kInt8, 8, Layout::kChannelMajor, D, "in_proj z: the gate");
    activation("xbc", ElementFormat::kInt8, 8, Layout::kChannelMajor, m.conv_channels(), "in_proj x, B, C: the conv input");
    activation("dt", ElementFormat::kInt8, 8, Layout::kChannelMajor, H, "in_proj dt, one per head");
    const auto ip = m.in_proj_segments();
    gemm("in_proj", GemmId::kInProj, m.d_model, m.in_proj_out(), {"hidden"}, {"z", "xbc", "dt"},
         {segment(ip, "z"), {"xbc", segment(ip, "x").begin, segment(ip, "C").end}, segment(ip, "dt")},
         ElementFormat::kInt8, ElementFormat::kInt8);
    const std::string u = dual ? "u_dual" : "u_int8";
    if (!dual) activation("u_int8", ElementFormat::kInt8, 8, Layout::kChannelMajor, D, "conv-output INT8 codes of x");
    ssm_input_tensors();
    activation("bc", ElementFormat::kInt8, 8, Layout::kChannelMajor, 2 * GN, "conv-output INT8 codes of B and C");
    const auto cs = m.conv_segments();
    conv("xbc", {u, "bc"}, {segment(cs, "x"), {"bc", segment(cs, "B").begin, segment(cs, "C").end}},
         dual ? 2 * GN : D + 2 * GN, dual ? D : 0);
    fixed("ssm_params", ElementFormat::kInt8, 8, 2 * H + 2 * H + 4 * D + 2 * 4,
          "A_log and D codes, FP16 dt_bias, FP32 norm weights, 2 FP32 scales");
    activation("y", ElementFormat::kFp16, 16, Layout::kChannelMajor, D, "SSM output after the gated RMSNorm");
    Work norm;
    norm.ops = gated_rmsnorm_ops(m, s);
    norm.exp = D;  // the gate's SiLU
    ssm("ssd_scan+norm", OpKind::kSsdScanNorm, {u, "dt", "z", "bc"},
        mamba2_ssm_work(m.nheads, m.headdim, m.ngroups, m.d_state, ssm_policy(s)), norm);
    out_proj("y");
  }
};

}  // namespace

LayerProgram layer_program(const ModelShape& m, const QuantScheme& s) {
  Builder b{m, s, {}};
  b.p.shape = m;
  if (m.is_mamba2()) b.mamba2();
  else b.mamba1();
  return std::move(b.p);
}

}  // namespace mambahw
