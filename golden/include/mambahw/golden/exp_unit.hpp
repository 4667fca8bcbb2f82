// The accelerator's exp unit and the SiLU built on it.
//
// exp(x) is computed with FP32 operations only (IEEE round-to-nearest-even,
// fused where an FMA is named), so its result is the same on every compiler
// and host and does not depend on libm. The algorithm is the hardware's:
//   k = round_half_even(fp32(x * log2e))             integer exponent
//   r = fma(-k, ln2_hi, x);  r = fma(-k, ln2_lo, r)   Cody-Waite reduction, |r| <= ~0.347
//   p = Horner(1/5040, 1/720, 1/120, 1/24, 1/6, 1/2, 1, 1) in r, each step one fma
//   exp(x) = p * 2^k                                  exact unless the result is subnormal
// Specials: NaN -> canonical NaN, +Inf -> +Inf, -Inf -> +0, x > 89 -> +Inf,
// x < -104 -> +0. docs/arithmetic.md gives the constants in hex and the
// measured error against a double-precision reference.
#pragma once

#include <cstddef>

#include "mambahw/golden/numerics.hpp"
#include "mambahw/golden/unit_ops.hpp"

namespace mambahw {

float exp_unit(float x, Denormals d = Denormals::kPreserve);

// Datapath operations of one exp evaluation, tallied by the definition on its
// main path: 1 multiply, 1 round-to-integer, 9 FMAs (2 reduction + 7 Horner),
// 1 exponent add, 2 range comparisons.
OpMix exp_unit_ops();

// y[i] = exp_unit(x[i], Denormals::kPreserve) for n elements, bit for bit
// (tested exhaustively), vectorised for throughput.
void exp_unit_batch(const float* x, float* y, std::size_t n);

// SiLU(y) = y / (1 + exp(-y)) with p.units' exp unit, the division done as
// p.silu_division says (IEEE divide, or multiply by the reciprocal unit's 1/(1 + e)).
// Subnormals are flushed at every operation under Denormals::kFlushToZero.
// NaN results are canonical. SiLU(-Inf) is NaN (-Inf/Inf): the formula is not
// special-cased, and a NaN quantizes to code 0 anyway.
float silu(float y, const NumericsPolicy& p);

// One SiLU evaluation: an exp, an add, and a divide (or a reciprocal and a multiply),
// with the default units (silu_ops(division)) or the policy's (units.hpp).
OpMix silu_ops(QuantizeOp division);
OpMix silu_ops(const NumericsPolicy& p);

// out[i] = silu(y[i], p) for n elements, bit for bit (out may alias y).
// Vectorised when p.denormals preserves subnormals; the flush-to-zero policy
// takes the scalar path.
void silu_batch(const float* y, float* out, std::size_t n, const NumericsPolicy& p);

}  // namespace mambahw
