#include "mambahw/golden/numerics.hpp"
#include "mambahw/golden/units.hpp"

#include <array>
#include <cmath>
#include <limits>

namespace mambahw {

float round_to_integral(float x, Rounding mode) {
  // |x| >= 2^23 is already integral (and covers +-Inf); NaN passes through.
  if (!(std::fabs(x) < 8388608.0f)) return x;
  // Rounds the magnitude, then puts the sign back (so -0.3 gives -0, as trunc
  // does). Written without a branch on the fraction: the requantizer's random
  // fractions would mispredict one, and it cost about 40% of a GEMM's
  // requantization. Every step is exact: trunc of |x| < 2^23, the fraction
  // a - t (same exponent range), and t + 1 < 2^24.
  const float a = std::fabs(x);
  const float t = std::trunc(a);
  const float frac = a - t;
  const bool odd = (static_cast<std::int32_t>(t) & 1) != 0;  // t < 2^23 fits
  const bool tie_up = (mode == Rounding::kHalfAwayFromZero) | ((mode == Rounding::kHalfToEven) & odd);
  const bool up = (mode != Rounding::kTowardZero) & ((frac > 0.5f) | ((frac == 0.5f) & tie_up));
  return std::copysign(t + static_cast<float>(up), x);
}

float ftz_if(float x, Denormals d) {
  return d == Denormals::kFlushToZero ? flush_subnormal(x) : x;
}
float fmul(float a, float b, Denormals d) { return ftz_if(ftz_if(a, d) * ftz_if(b, d), d); }
float fadd(float a, float b, Denormals d) { return ftz_if(ftz_if(a, d) + ftz_if(b, d), d); }
float fdiv(float a, float b, Denormals d) { return ftz_if(ftz_if(a, d) / ftz_if(b, d), d); }
float ffma(float a, float b, float c, Denormals d) {
  return ftz_if(std::fma(ftz_if(a, d), ftz_if(b, d), ftz_if(c, d)), d);
}

float reciprocal(float scale) { return 1.0f / scale; }

float inv_scale_register(float scale, const NumericsPolicy& p) {
  return p.units.reciprocal == RecipUnit{RecipKind::kIeee, 0} ? reciprocal(scale)
                                                             : reciprocal_unit(p.units.reciprocal, scale, p.denormals);
}

float scaled_value(float x, float scale, float inv_scale, const NumericsPolicy& p) {
  return p.quantize_op == QuantizeOp::kMultiplyReciprocal ? fmul(x, inv_scale, p.denormals)
                                                          : fdiv(x, scale, p.denormals);
}

namespace {
// PTX cvt.rzi.s32.f32 on an integral value: saturate to int32, NaN -> 0.
std::int32_t to_int32_saturating(float integral) {
  if (std::isnan(integral)) return 0;
  if (integral >= 2147483648.0f) return std::numeric_limits<std::int32_t>::max();
  if (integral < -2147483648.0f) return std::numeric_limits<std::int32_t>::min();
  return static_cast<std::int32_t>(integral);
}

std::int32_t wrap_to_bits(std::int32_t v, int bits) {
  const std::uint32_t mask = bits >= 32 ? ~0u : (1u << bits) - 1u;
  const std::uint32_t low = static_cast<std::uint32_t>(v) & mask;
  const std::uint32_t sign = 1u << (bits - 1);
  return static_cast<std::int32_t>((low ^ sign) - sign);  // sign-extend
}
}  // namespace

std::int32_t code_of_scaled(float v, const NumericsPolicy& p, CodeRange r) {
  if (std::isnan(v)) return 0;
  const float q = round_to_integral(v, p.rounding);
  if (p.overflow == Overflow::kWrap) return wrap_to_bits(to_int32_saturating(q), r.bits);
  if (q >= static_cast<float>(r.qmax)) return r.qmax;
  if (q <= static_cast<float>(r.qmin)) return r.qmin;
  return static_cast<std::int32_t>(q);
}

bool rounds_out_of_range(float v, Rounding mode, CodeRange r) {
  const float q = round_to_integral(v, mode);
  return q > static_cast<float>(r.qmax) || q < static_cast<float>(r.qmin);
}

std::int32_t quantize(float x, float scale, float inv_scale, const NumericsPolicy& p,
                      CodeRange r) {
  return code_of_scaled(scaled_value(x, scale, inv_scale, p), p, r);
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
