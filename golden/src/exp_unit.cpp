#include "mambahw/golden/exp_unit.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "exp_unit_core.hpp"
#include "simd.hpp"
#include "mambahw/golden/units.hpp"
#include "mambahw/golden/vector_clones.hpp"

namespace mambahw {

namespace {
using exp_core::kLn2Hi;
using exp_core::kLn2Lo;
using exp_core::kLog2e;
using exp_core::kPoly;
}  // namespace

namespace {
// The definition, tallying its datapath operations (unit_ops.hpp). The
// scaling by 2^k is an exponent add in hardware (a multiply by an exact power
// of two here), plus a rounding shift when the result is subnormal.
template <class Tally>
float exp_unit_impl(float x, Denormals d, Tally& tally) {
  x = ftz_if(x, d);
  tally(DatapathOp::kCompare, 2);  // the range checks (x > 89, x < -104; NaN fails both)
  if (std::isnan(x)) return float_of(kFp32CanonicalNan);
  if (x > 89.0f) return INFINITY;
  if (x < -104.0f) return 0.0f;

  tally(DatapathOp::kFp32Mul);
  tally(DatapathOp::kFp32Convert);
  const float kf = round_to_integral(x * kLog2e, Rounding::kHalfToEven);
  const int k = static_cast<int>(kf);
  tally(DatapathOp::kFp32Fma, 2);
  float r = std::fma(-kf, kLn2Hi, x);
  r = std::fma(-kf, kLn2Lo, r);

  float p = kPoly[0];
  for (int i = 1; i < 8; ++i) {
    tally(DatapathOp::kFp32Fma);
    p = std::fma(p, r, kPoly[i]);
  }
  tally(DatapathOp::kIntAdd);

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

template <class Tally>
float silu_impl(float y, const NumericsPolicy& p, Tally& tally) {
  const Denormals d = p.denormals;
  y = ftz_if(y, d);
  const float e = exp_unit_impl(-y, d, tally);
  tally(DatapathOp::kFp32Add);
  const float den = fadd(1.0f, e, d);
  tally(DatapathOp::kFp32Div);  // the divider, or the reciprocal unit
  if (p.silu_division != QuantizeOp::kDivide) tally(DatapathOp::kFp32Mul);
  const float s = p.silu_division == QuantizeOp::kDivide
                      ? fdiv(y, den, d)
                      : fmul(y, ftz_if(reciprocal(den), d), d);
  return canonicalize_nan(s);
}
}  // namespace

float exp_unit(float x, Denormals d) {
  NoTally t;
  return exp_unit_impl(x, d, t);
}

OpMix exp_unit_ops() {
  OpMix m;
  (void)exp_unit_impl(0.5f, Denormals::kPreserve, m);
  return m;
}

float silu(float y, const NumericsPolicy& p) {
  if (p.units != UnitSelection{}) {  // another exp or reciprocal unit (units.hpp)
    const Denormals d = p.denormals;
    y = ftz_if(y, d);
    const float den = fadd(1.0f, exp_unit(p.units.exp, -y, d), d);
    return canonicalize_nan(divide_as(y, den, p.silu_division, p.units.reciprocal, d));
  }
  NoTally t;
  return silu_impl(y, p, t);
}

OpMix silu_ops(const NumericsPolicy& p) {
  return exp_ops(p.units.exp) + OpMix::of(DatapathOp::kFp32Add) + divide_ops(p.silu_division, p.units.reciprocal);
}

OpMix silu_ops(QuantizeOp division) {
  OpMix m;
  NumericsPolicy p;
  p.silu_division = division;
  (void)silu_impl(0.5f, p, m);
  return m;
}

#define MAMBAHW_SIMD_KERNELS "exp_unit_lanes.inc"
#include "simd_variants.inc"

void exp_unit_batch(const float* x, float* y, std::size_t n) {
  if (kernel_isa() == KernelIsa::kSpec) {
    for (std::size_t i = 0; i < n; ++i) y[i] = exp_unit(x[i]);
    return;
  }
  MAMBAHW_SIMD_CALL(exp_batch, x, y, n);
}

namespace {
// SiLU's tail, y / (1 + e) or y * (1 / (1 + e)), with subnormals preserved:
// the same operations as silu() in the same order, so the same bits.
MAMBAHW_VECTOR_CLONES
void silu_tail(const float* y, const float* e, float* out, std::size_t n, bool divide) {
  const float nan = float_of(kFp32CanonicalNan);
  if (divide) {
    for (std::size_t i = 0; i < n; ++i) {
      const float s = y[i] / (1.0f + e[i]);
      out[i] = s != s ? nan : s;
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      const float s = y[i] * (1.0f / (1.0f + e[i]));
      out[i] = s != s ? nan : s;
    }
  }
}
}  // namespace

void silu_batch(const float* y, float* out, std::size_t n, const NumericsPolicy& p) {
  if (p.denormals == Denormals::kFlushToZero || p.units != UnitSelection{} || kernel_isa() == KernelIsa::kSpec) {
    for (std::size_t i = 0; i < n; ++i) out[i] = silu(y[i], p);
    return;
  }
  constexpr std::size_t kChunk = 256;
  float neg[kChunk], e[kChunk];
  for (std::size_t base = 0; base < n; base += kChunk) {
    const std::size_t m = std::min(kChunk, n - base);
    for (std::size_t i = 0; i < m; ++i) neg[i] = -y[base + i];
    exp_unit_batch(neg, e, m);
    silu_tail(y + base, e, out + base, m, p.silu_division == QuantizeOp::kDivide);
  }
}

}  // namespace mambahw
