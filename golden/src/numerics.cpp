#include "mambahw/golden/numerics.hpp"
#include "mambahw/golden/units.hpp"

#include <array>

namespace mambahw {

float reciprocal(float scale) { return 1.0f / scale; }

float inv_scale_register(float scale, const NumericsPolicy& p) {
  return p.units.reciprocal == RecipUnit{RecipKind::kIeee, 0} ? reciprocal(scale)
                                                             : reciprocal_unit(p.units.reciprocal, scale, p.denormals);
}

// ---- FP16 -------------------------------------------------------------------

std::uint16_t fp32_to_fp16(float x) {
  const std::uint32_t b = bits_of(x);
  const auto sign = static_cast<std::uint16_t>((b >> 16) & 0x8000u);
  const std::uint32_t a = b & ~kFp32SignMask;
  if (a > kFp32ExpMask) return 0x7E00u;                    // NaN
  if (a >= 0x477F'F000u) return sign | 0x7C00u;             // >= 65520 rounds to Inf
  if (a >= 0x3880'0000u) {                                  // normal half: |x| >= 2^-14
    const std::uint32_t exp = (a >> 23) - 127u + 15u;
    const std::uint32_t mant = a & kFp32FracMask;
    std::uint32_t h = (exp << 10) | (mant >> 13);
    const std::uint32_t rem = mant & 0x1FFFu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // carry may bump the exponent
    return static_cast<std::uint16_t>(sign | h);
  }
  if (a <= 0x3300'0000u) return sign;                       // |x| <= 2^-25 rounds to zero
  // Subnormal half: value = m * 2^-24. |x| = m24 * 2^(e-23), so m = m24 >> -(e+1).
  const int e = static_cast<int>(a >> 23) - 127;            // in [-25, -15]
  const std::uint32_t m24 = (a & kFp32FracMask) | 0x80'0000u;
  const int shift = -(e + 1);                               // in [14, 24]
  std::uint32_t h = m24 >> shift;
  const std::uint32_t rem = m24 & ((1u << shift) - 1u);
  const std::uint32_t half = 1u << (shift - 1);
  if (rem > half || (rem == half && (h & 1u))) ++h;         // 1024 becomes the smallest normal
  return static_cast<std::uint16_t>(sign | h);
}

float fp16_to_fp32(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1Fu;
  const std::uint32_t mant = h & 0x3FFu;
  if (exp == 0x1Fu) return float_of(sign | kFp32ExpMask | (mant << 13));
  if (exp != 0) return float_of(sign | ((exp - 15u + 127u) << 23) | (mant << 13));
  // zero or subnormal: mant * 2^-24, exact in FP32
  const float mag = static_cast<float>(mant) * 5.9604644775390625e-8f;
  return float_of(sign | bits_of(mag));
}

OpMix quantize_ops(QuantizeOp op) {
  OpMix m = OpMix::of(op == QuantizeOp::kDivide ? DatapathOp::kFp32Div : DatapathOp::kFp32Mul);
  m(DatapathOp::kFp32Convert);
  m(DatapathOp::kCompare, 2);
  return m;
}

}  // namespace mambahw
