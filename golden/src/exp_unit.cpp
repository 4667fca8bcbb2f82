#include "mambahw/exp_unit.hpp"

#include <cmath>

namespace mambahw {

namespace {
constexpr float kLog2e = 0x1.715476p+0f;
constexpr float kLn2Hi = 0x1.62e400p-1f;   // 15 significant bits
constexpr float kLn2Lo = 0x1.7f7d1cp-20f;  // ln2 - kLn2Hi, rounded to FP32
// Taylor coefficients 1/n!, n = 7..0, each correctly rounded to FP32
// (hex values in docs/arithmetic.md).
constexpr float kPoly[] = {float(1.0 / 5040), float(1.0 / 720), float(1.0 / 120), float(1.0 / 24),
                           float(1.0 / 6),    0.5f,              1.0f,              1.0f};
}  // namespace

float exp_unit(float x, Denormals d) {
  x = ftz_if(x, d);
  if (std::isnan(x)) return float_of(kFp32CanonicalNan);
  if (x > 89.0f) return INFINITY;
  if (x < -104.0f) return 0.0f;

  const float kf = round_to_integral(x * kLog2e, Rounding::kHalfToEven);
  const int k = static_cast<int>(kf);
  float r = std::fma(-kf, kLn2Hi, x);
  r = std::fma(-kf, kLn2Lo, r);

  float p = kPoly[0];
  for (int i = 1; i < 8; ++i) p = std::fma(p, r, kPoly[i]);

  float result;
  if (k > 127) {
    result = (p * 2.0f) * exp2_normal(k - 1);  // p*2 exact; may overflow to Inf
  } else if (k >= -126) {
    result = p * exp2_normal(k);  // exact scaling, or one rounding to a subnormal
  } else {
    result = (p * exp2_normal(k + 64)) * exp2_normal(-64);  // first exact, second rounds once
  }
  return ftz_if(result, d);
}

float silu(float y, const NumericsPolicy& p) {
  const Denormals d = p.denormals;
  y = ftz_if(y, d);
  const float e = exp_unit(-y, d);
  const float den = fadd(1.0f, e, d);
  const float s = p.silu_division == QuantizeOp::kDivide
                      ? fdiv(y, den, d)
                      : fmul(y, ftz_if(reciprocal(den), d), d);
  return canonicalize_nan(s);
}

}  // namespace mambahw
