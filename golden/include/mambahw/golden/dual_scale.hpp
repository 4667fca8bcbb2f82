// Dual-scale activation codes: a signed code plus a 1-bit flag that selects
// one of two scales. With 4-bit codes this is the W4A5-SE conv-output format
// (the SSM input); with 8-bit codes it is the research notes' "scale
// enhancement" variant. One implementation serves both, parameterised by the
// code width.
//
// Quantizer (the flag rule):
//   v1 = scaled_value(x, scale1)              under the NumericsPolicy
//   NaN                        -> code 0, flag 0
//   round(v1) in [qmin, qmax]  -> code round(v1), flag 0   (inlier)
//   otherwise                  -> code sat(round(scaled_value(x, scale12))), flag 1 (outlier)
// The threshold is therefore implicit: an element is an outlier exactly when
// its inlier code would saturate, i.e. |x| >= (qmax + 1/2) * scale1 (boundary
// per the rounding mode). The outlier side always saturates; the policy's
// Overflow is ignored here.
// Dequant (the SSM-side MUX): value = fp32(float(code) * (flag ? scale12 : scale1)).
// scale12 = fp32(scale1 * scale2) is one precomputed FP32 constant.
// Packing of a (code_bits + 1)-bit word: bit code_bits is the flag, bits
// [code_bits-1:0] the two's-complement code.
#pragma once

#include <cstdint>

#include "mambahw/golden/numerics.hpp"

namespace mambahw {

// Bits of one packed dual-scale word: the code and its flag.
constexpr int dual_word_bits(int code_bits) { return code_bits + 1; }

struct DualScaleFormat {
  CodeRange range = CodeRange::symmetric_bits(4);
  float scale1 = 1.0f;    // inlier step
  float scale2 = 1.0f;    // outlier multiplier K
  float scale12 = 1.0f;   // fp32(scale1 * scale2), the outlier step
  float inv_scale1 = 1.0f;
  float inv_scale12 = 1.0f;

  // `symmetric` gives [-(2^(b-1)-1), 2^(b-1)-1]; otherwise full two's complement.
  static DualScaleFormat make(int code_bits, bool symmetric, float scale1, float scale2);
  int code_bits() const { return range.bits; }
  int word_bits() const { return dual_word_bits(range.bits); }
};

struct DualScaleCode {
  std::int8_t code = 0;
  bool flag = false;
  friend bool operator==(const DualScaleCode&, const DualScaleCode&) = default;
};

DualScaleCode quantize_dual(float x, const DualScaleFormat& f, const NumericsPolicy& p);
float dequant_dual(DualScaleCode c, const DualScaleFormat& f, Denormals d);

std::uint16_t pack_dual(DualScaleCode c, int code_bits);

// One dual-scale quantization: the inlier code and the outlier code, each a
// quantize() (the flag then selects one: a MUX, priced by the cost model).
inline OpMix dual_quantize_ops(QuantizeOp op) { return quantize_ops(op) * 2; }
DualScaleCode unpack_dual(std::uint16_t word, int code_bits);

}  // namespace mambahw
