// The GEMM array's arithmetic: INT8 activations times INT8 or INT4 weights,
// exact integer accumulation, and the output requantization unit.
// docs/layer.md §GEMM is the prose form of this file.
//
//   acc[m][n]   = sum_k x[m][k] * w[n][k]            exact, per weight group
//   per-channel: v = requant(float(acc))              one scale chain per column
//   per-group:   y = 0; for g: y = fma(s_w[n][g], float(acc_g), y)   group order
//                v = fp32(a * y)
// float(acc) is cvt.rn.f32.s32 (exact below 2^24, else round to nearest even).
// The accumulator is 32 bits wide: a sum outside INT32 saturates (as CUTLASS
// .satfinite does) and is counted; the model shapes stay far inside (K*2^14 <
// 2^31 for K <= 131071).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "mambahw/golden/numerics.hpp"
#include "mambahw/golden/tensor.hpp"

namespace mambahw {

enum class WeightPrecision : std::uint8_t { kInt8, kInt4 };
template <>
struct EnumNames<WeightPrecision> {
  static constexpr std::array<EnumName<WeightPrecision>, 2> table{{
      {WeightPrecision::kInt8, "int8", "one byte per weight"},
      {WeightPrecision::kInt4, "int4", "two signed nibbles per byte, low nibble first"},
  }};
};

// Order of the two scale multiplies of the requantization unit, for
// per-channel weights with activation scale s_x, weight scale s_w[n] and
// output scale s_out (1 for FP16/FP32 outputs):
enum class RequantOrder : std::uint8_t {
  kActThenWeight,  // CUTLASS prefill EVT: a = fp32(s_x/s_out), v = fp32(a * fp32(s_w[n] * acc))
  kWeightThenAct,  // Marlin epilogue:     b = fp32(s_w[n]/s_out), v = fp32(fp32(acc * b[n]) * s_x)
  kAlpha,          // GEMV alpha:          alpha = fp32(fp32(s_w[n]*s_x)/s_out), v = fp32(alpha * acc)
};
template <>
struct EnumNames<RequantOrder> {
  static constexpr std::array<EnumName<RequantOrder>, 3> table{{
      {RequantOrder::kActThenWeight, "act_then_weight", "CUTLASS EVT: fp32(fp32(s_x/s_out) * fp32(s_w * acc))"},
      {RequantOrder::kWeightThenAct, "weight_then_act", "Marlin: fp32(fp32(acc * fp32(s_w/s_out)) * s_x)"},
      {RequantOrder::kAlpha, "alpha", "GEMV: fp32(fp32(fp32(s_w*s_x)/s_out) * acc)"},
  }};
};

struct RequantPolicy {
  RequantOrder order = RequantOrder::kActThenWeight;
  Rounding rounding = Rounding::kHalfToEven;  // INT8 outputs: cvt.rni.sat.s8; roundf for Quamba2's GEMV
  Denormals denormals = Denormals::kPreserve;
  friend bool operator==(const RequantPolicy&, const RequantPolicy&) = default;
};

// A quantized weight matrix [out][in] as the weight memory holds it.
// INT8: one byte per weight. INT4: signed two's-complement nibbles in [-7, 7]
// (symmetric; -8 is never produced), two per byte along `in`: weight k of a
// row sits in byte k/2, low nibble for even k, high nibble for odd k; rows
// with odd `in` end in a zero high nibble.
struct QuantWeights {
  WeightPrecision precision = WeightPrecision::kInt8;
  int out = 0, in = 0;
  int group = 0;                      // 0: per output channel; else input-group size (INT4: 128)
  std::vector<std::uint8_t> packed;   // [out][row_bytes()]
  std::vector<float> scales;          // [out] or [out][groups()]

  int groups() const { return group ? (in + group - 1) / group : 1; }
  int row_bytes() const { return precision == WeightPrecision::kInt8 ? in : (in + 1) / 2; }
  std::int8_t at(int n, int k) const;  // the signed weight code
  float scale(int n, int g = 0) const { return scales[static_cast<std::size_t>(n * groups() + g)]; }
};

std::vector<std::uint8_t> pack_int4(std::span<const std::int8_t> codes);  // one row
std::vector<std::int8_t> unpack_int4(std::span<const std::uint8_t> bytes, int count);

// Symmetric weight quantization: scale = absmax/qmax (qmax 127 or 7) per
// output channel or per input group, codes = round_half_even(w/scale)
// (torch.round), saturated. An all-zero row or group gets scale 1.
QuantWeights quantize_weights(const FloatTensor& w, WeightPrecision p, int group);

// The FP32 weight matrix the codes represent: fp32(code * scale).
FloatTensor dequantize_weights(const QuantWeights& w);

// Exact accumulators [M][out][groups], x is [M][in] INT8. Saturated sums are
// clamped to INT32 and counted in *saturated.
std::vector<std::int32_t> gemm_accumulate(const Int8Tensor& x, const QuantWeights& w,
                                          std::int64_t* saturated = nullptr);

struct GemmScales {
  float act = 1.0f;                 // s_x, per tensor
  std::vector<float> out;           // INT8 output: per output channel, or one for all; else empty
};

// The requantization unit's two constant registers for one output channel,
// computed on the host (each ratio in double, rounded to FP32 once):
//   kActThenWeight  a = fp32(s_x/s_out), b = s_w[n]
//   kWeightThenAct  a = fp32(s_w[n]/s_out), b = s_x
//   kAlpha          a = fp32(fp32(s_w[n]*s_x)/s_out), b = 0 (unused)
struct RequantRegisters {
  float a = 1.0f, b = 1.0f;
};
RequantRegisters requant_registers(RequantOrder order, float s_x, float s_w, float s_out);

// The unit's datapath on one accumulator (cvt.rn.f32.s32, then the order's
// one or two RNE multiplies, subnormals per `d`):
//   kActThenWeight  v = fp32(a * fp32(b * float(acc)))
//   kWeightThenAct  v = fp32(fp32(float(acc) * a) * b)
//   kAlpha          v = fp32(a * float(acc))
float requant_apply(RequantOrder order, std::int32_t acc, RequantRegisters r, Denormals d);

// The INT8 output code of a requantized value v: rounding per p, saturated.
std::int8_t requant_int8(float v, const RequantPolicy& p);

// The requantization unit's per-channel value v (before the INT8/FP16 cast).
float requant_value(std::span<const std::int32_t> acc_groups, const QuantWeights& w, int n,
                    const GemmScales& s, const RequantPolicy& p);
// The same datapath from the unit's registers: the channel's weight scales
// (one, or one per group when `grouped`), the activation scale s_x and the
// output scale s_out (1 for FP16/FP32 outputs). Per group:
// y = 0; for g: y = fma(s_w[g], float(acc_g), y); v = fp32(fp32(s_x/s_out) * y).
float requant_value(std::span<const std::int32_t> acc_groups, std::span<const float> weight_scales, bool grouped,
                    float s_x, float s_out, const RequantPolicy& p);

// The same, split as the hardware splits it: the registers of one output
// column (the host's precomputed constants, double then one rounding: per
// channel requant_registers, per group a = fp32(s_x/s_out)), computed once
// per column, then the datapath per accumulator. requant_value(acc, ws,
// grouped, s_x, s_out, p) == requant_column_apply(acc, ws, grouped,
// requant_column_registers(ws, grouped, s_x, s_out, p.order), p).
RequantRegisters requant_column_registers(std::span<const float> weight_scales, bool grouped, float s_x, float s_out,
                                          RequantOrder order);
float requant_column_apply(std::span<const std::int32_t> acc_groups, std::span<const float> weight_scales,
                           bool grouped, RequantRegisters r, const RequantPolicy& p);

// Datapath operations of the requantization unit per output element: each
// group's accumulator converted to FP32, then the two scale multiplies of
// `order` (per channel) or one FMA per group and the activation-scale
// multiply (per group); an INT8 output adds its rounding and saturation, an
// FP16 one its conversion. The scale ratios are per-channel constants.
OpMix requant_ops(RequantOrder order, int weight_groups, bool int8_out);

// Full GEMMs: x [M][in] -> [M][out].
Int8Tensor gemm_int8_out(const Int8Tensor& x, const QuantWeights& w, const GemmScales& s,
                         const RequantPolicy& p, std::int64_t* saturated_codes = nullptr);
FloatTensor gemm_fp16_out(const Int8Tensor& x, const QuantWeights& w, float act_scale,
                          const RequantPolicy& p);  // FP16 values widened to FP32 (exact)
FloatTensor gemm_fp32_out(const Int8Tensor& x, const QuantWeights& w, float act_scale,
                          const RequantPolicy& p);


}  // namespace mambahw
