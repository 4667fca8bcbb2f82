// The numerics contract of the accelerator: every float->int conversion and
// every FP32 operation whose rounding the hardware designer may choose is
// named here and selected by a NumericsPolicy. docs/arithmetic.md is the prose
// form of this file; keep the two in step.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "mambahw/golden/enum_names.hpp"
#include "mambahw/golden/fp32.hpp"
#include "mambahw/golden/unit_ops.hpp"
#include "mambahw/golden/unit_variants.hpp"

namespace mambahw {

// How a real value that is not an integer becomes one. The values are the
// RTL's encoding (rtl/mambahw_pkg.sv, the quantizer's Rounding parameter and
// the exported tb_params.svh); tb/rtl checks the two agree.
enum class Rounding : std::uint8_t {
  kHalfAwayFromZero = 0,  // CUDA roundf: 2.5 -> 3, -2.5 -> -3
  kHalfToEven = 1,        // rint, torch.round, PTX cvt.rni: 2.5 -> 2, 3.5 -> 4
  kTowardZero = 2,        // C cast / PTX cvt.rzi, Quamba QAct: 2.7 -> 2, -2.7 -> -2
};
template <>
struct EnumNames<Rounding> {
  static constexpr std::array<EnumName<Rounding>, 3> table{{
      {Rounding::kHalfAwayFromZero, "half_away_from_zero", "CUDA roundf: 2.5 -> 3, -2.5 -> -3"},
      {Rounding::kHalfToEven, "half_to_even", "rint, torch.round, cvt.rni: 2.5 -> 2, 3.5 -> 4"},
      {Rounding::kTowardZero, "toward_zero", "C cast, cvt.rzi: 2.7 -> 2, -2.7 -> -2"},
  }};
};

// How x is divided by a scale before rounding.
enum class QuantizeOp : std::uint8_t {
  kMultiplyReciprocal,  // fp32(x * inv), inv = fp32(1/scale) precomputed once
  kDivide,              // fp32(x / scale), one correctly rounded IEEE division
};
template <>
struct EnumNames<QuantizeOp> {
  static constexpr std::array<EnumName<QuantizeOp>, 2> table{{
      {QuantizeOp::kMultiplyReciprocal, "multiply_reciprocal", "fp32(x * fp32(1/d)), the reciprocal precomputed"},
      {QuantizeOp::kDivide, "divide", "fp32(x / d), one correctly rounded IEEE division"},
  }};
};

// What happens to an integer outside the code range.
enum class Overflow : std::uint8_t {
  kSaturate,  // clamp to [qmin, qmax]
  kWrap,      // PTX cvt.s32 (saturating to int32, NaN -> 0), keep the low bits
};
template <>
struct EnumNames<Overflow> {
  static constexpr std::array<EnumName<Overflow>, 2> table{{
      {Overflow::kSaturate, "saturate", "clamp to [qmin, qmax]"},
      {Overflow::kWrap, "wrap", "cvt.s32 (saturating to INT32), keep the low bits"},
  }};
};

// Treatment of FP32 subnormal operands and results.
enum class Denormals : std::uint8_t {
  kPreserve,     // full IEEE-754 gradual underflow
  kFlushToZero,  // subnormal inputs read as, and subnormal rounded results become, signed zero
};
template <>
struct EnumNames<Denormals> {
  static constexpr std::array<EnumName<Denormals>, 2> table{{
      {Denormals::kPreserve, "preserve", "IEEE-754 gradual underflow"},
      {Denormals::kFlushToZero, "flush_to_zero", "subnormal inputs and results become signed zero"},
  }};
};

struct NumericsPolicy {
  Rounding rounding = Rounding::kHalfAwayFromZero;
  QuantizeOp quantize_op = QuantizeOp::kMultiplyReciprocal;
  Overflow overflow = Overflow::kSaturate;
  Denormals denormals = Denormals::kPreserve;
  // SiLU's y / (1 + e): a divider, or a reciprocal unit followed by a multiply.
  QuantizeOp silu_division = QuantizeOp::kDivide;
  // The exp, log1p and reciprocal units (unit_variants.hpp): SiLU's and the
  // gate's exp, softplus's log1p, and the reciprocal behind every
  // multiply_reciprocal (SiLU's 1/(1+e), the gate's, the scale registers).
  UnitSelection units{};

  friend bool operator==(const NumericsPolicy&, const NumericsPolicy&) = default;
};

// A signed two's-complement code range, e.g. INT8 [-128, 127] or INT4 [-7, 7].
struct CodeRange {
  int bits = 8;
  std::int32_t qmin = -128;
  std::int32_t qmax = 127;

  static constexpr CodeRange signed_bits(int bits) {
    return {bits, -(1 << (bits - 1)), (1 << (bits - 1)) - 1};
  }
  static constexpr CodeRange symmetric_bits(int bits) {
    return {bits, -((1 << (bits - 1)) - 1), (1 << (bits - 1)) - 1};
  }
  friend constexpr bool operator==(const CodeRange&, const CodeRange&) = default;
};
inline constexpr CodeRange kInt8Range = CodeRange::signed_bits(8);

// ---- rounding ---------------------------------------------------------------

// Rounds x to an integral float under `mode`. Exact and independent of the
// host's floating-point environment (no nearbyint/rint: those obey fesetround).
// NaN and +-Inf are returned unchanged; the sign of a zero result follows x.
inline float round_to_integral(float x, Rounding mode);

// ---- the quantizer ----------------------------------------------------------

// The value a quantizer rounds: fp32(x * inv_scale) or fp32(x / scale),
// with subnormal inputs and results flushed under Denormals::kFlushToZero.
inline float scaled_value(float x, float scale, float inv_scale, const NumericsPolicy& p);

// Integer code of an already scaled value (the second half of quantize()):
// NaN -> 0; round under p.rounding; then saturate (+-Inf -> qmax/qmin) or wrap.
inline std::int32_t code_of_scaled(float v, const NumericsPolicy& p, CodeRange r);

// Whether an already scaled value rounds, under `mode`, to an integer outside
// r: the codes a saturating quantizer clips and a wrapping one wraps (NaN: no).
inline bool rounds_out_of_range(float v, Rounding mode, CodeRange r = kInt8Range);

// The full quantizer: code_of_scaled(scaled_value(x, scale, inv_scale)).
// `inv_scale` must be reciprocal(scale) (the value the hardware's scale
// register holds); `scale` is only read by QuantizeOp::kDivide.
inline std::int32_t quantize(float x, float scale, float inv_scale, const NumericsPolicy& p,
                             CodeRange r = kInt8Range);

// out[i] = quantize(x[i], scale, inv_scale, p, r) for n elements, bit for bit
// (tested against the scalar quantizer), for codes of at most 8 bits.
// Vectorised for saturating, subnormal-preserving policies; the wrap and
// flush-to-zero policies take the scalar path.
void quantize_batch(const float* x, float scale, float inv_scale, std::int8_t* out, std::size_t n,
                    const NumericsPolicy& p, CodeRange r = kInt8Range);

// Datapath operations of one quantize(): the scale (a multiply, or a divide),
// the rounding to an integer, and the two range comparisons.
OpMix quantize_ops(QuantizeOp op);

// The correctly rounded FP32 reciprocal 1/scale, computed once per scale.
float reciprocal(float scale);

// What a quantizer's inverse-scale register holds under `p`: the reciprocal
// unit's 1/scale (p.units.reciprocal; the correctly rounded one by default).
float inv_scale_register(float scale, const NumericsPolicy& p);

// ---- FP32 arithmetic under the denormal policy ----------------------------

inline float fmul(float a, float b, Denormals d);
inline float fadd(float a, float b, Denormals d);
inline float fdiv(float a, float b, Denormals d);
inline float ffma(float a, float b, float c, Denormals d);  // one rounding
inline float ftz_if(float x, Denormals d);

// ---- FP16 -------------------------------------------------------------------

// IEEE binary16 from binary32, round to nearest even; overflow -> +-Inf,
// NaN -> 0x7E00 (canonical quiet NaN, sign dropped). Exact bit manipulation.
std::uint16_t fp32_to_fp16(float x);
float fp16_to_fp32(std::uint16_t h);  // exact

// y[i] = fp16_to_fp32(fp32_to_fp16(x[i])) for n elements, bit for bit (tested
// exhaustively): the FP16 rounding of an FP32 datapath, vectorised.
void fp16_round_batch(const float* x, float* y, std::size_t n);

// ---- definitions of the scalar datapath operations above -------------------
// In the header, so that every loop of golden and the model inlines them (a
// call per operation was a tenth of a whole-model run). Whoever includes
// this compiles it with the golden library's strict IEEE flags
// (mambahw::strict_fp: no contraction into FMA), so inlining changes no
// rounding: each operation still rounds once, where it is written.

inline float ftz_if(float x, Denormals d) { return d == Denormals::kFlushToZero ? flush_subnormal(x) : x; }
inline float fmul(float a, float b, Denormals d) { return ftz_if(ftz_if(a, d) * ftz_if(b, d), d); }
inline float fadd(float a, float b, Denormals d) { return ftz_if(ftz_if(a, d) + ftz_if(b, d), d); }
inline float fdiv(float a, float b, Denormals d) { return ftz_if(ftz_if(a, d) / ftz_if(b, d), d); }
inline float ffma(float a, float b, float c, Denormals d) {
  return ftz_if(std::fma(ftz_if(a, d), ftz_if(b, d), ftz_if(c, d)), d);
}

inline float round_to_integral(float x, Rounding mode) {
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

inline float scaled_value(float x, float scale, float inv_scale, const NumericsPolicy& p) {
  return p.quantize_op == QuantizeOp::kMultiplyReciprocal ? fmul(x, inv_scale, p.denormals)
                                                          : fdiv(x, scale, p.denormals);
}

namespace numerics_detail {
// PTX cvt.rzi.s32.f32 on an integral value: saturate to int32, NaN -> 0.
inline std::int32_t to_int32_saturating(float integral) {
  if (std::isnan(integral)) return 0;
  if (integral >= 2147483648.0f) return std::numeric_limits<std::int32_t>::max();
  if (integral < -2147483648.0f) return std::numeric_limits<std::int32_t>::min();
  return static_cast<std::int32_t>(integral);
}
inline std::int32_t wrap_to_bits(std::int32_t v, int bits) {
  const std::uint32_t mask = bits >= 32 ? ~0u : (1u << bits) - 1u;
  const std::uint32_t low = static_cast<std::uint32_t>(v) & mask;
  const std::uint32_t sign = 1u << (bits - 1);
  return static_cast<std::int32_t>((low ^ sign) - sign);  // sign-extend
}
}  // namespace numerics_detail

inline std::int32_t code_of_scaled(float v, const NumericsPolicy& p, CodeRange r) {
  if (std::isnan(v)) return 0;
  const float q = round_to_integral(v, p.rounding);
  if (p.overflow == Overflow::kWrap)
    return numerics_detail::wrap_to_bits(numerics_detail::to_int32_saturating(q), r.bits);
  if (q >= static_cast<float>(r.qmax)) return r.qmax;
  if (q <= static_cast<float>(r.qmin)) return r.qmin;
  return static_cast<std::int32_t>(q);
}

inline bool rounds_out_of_range(float v, Rounding mode, CodeRange r) {
  const float q = round_to_integral(v, mode);
  return q > static_cast<float>(r.qmax) || q < static_cast<float>(r.qmin);
}

inline std::int32_t quantize(float x, float scale, float inv_scale, const NumericsPolicy& p, CodeRange r) {
  return code_of_scaled(scaled_value(x, scale, inv_scale, p), p, r);
}

}  // namespace mambahw
