// The nonlinear-function units as one family (docs/arithmetic.md §3): every
// exp, log1p and reciprocal variant a scheme may select (unit_variants.hpp),
// each a bit-exact definition with a scalar form, an array form (bit-identical,
// tested) and the operation counts its definition tallies (unit_ops.hpp), so
// the cost model prices exactly what the definition computes.
//
//   poly   exp_unit / log1p_unit of exp_unit.hpp / ssm.hpp (FP32 operations)
//   ieee   the correctly rounded reciprocal
//   pwl<S>, tquad<B>
//          fixed-point: the argument is split into an integer part (an
//          exponent) and a fraction f in [0, 1) of F bits; g(f) comes from a
//          table, linearly (pwl) or quadratically (tquad) interpolated in
//          integer arithmetic with 30 fraction bits; the result is rounded
//          once to FP32 (round to nearest even). g and F per function:
//            exp:   g = 2^f,          F = 30 (y = x log2e from a 24 x 32-bit integer product)
//            log1p: g = ln(1+f)/f,    F = 30 (1 + v = 2^k (1 + f), formed exactly)
//            recip: g = 1/(1+f),      F = 23 (the significand's fraction)
//   sm90   the NVIDIA Hopper fast-math units of sm90.hpp, bit for bit (always
//          flushing subnormals: the instructions are .ftz)
//
// The fixed-point variants read and write subnormals per the Denormals policy
// like every other unit; their tables are built at first use from
// deterministic double-precision evaluations (no libm), so every host builds
// the same bits.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mambahw/golden/numerics.hpp"
#include "mambahw/golden/unit_ops.hpp"
#include "mambahw/golden/unit_variants.hpp"

namespace mambahw {

// ---- exp ---------------------------------------------------------------------
float exp_unit(const ExpUnit& u, float x, Denormals d = Denormals::kPreserve);
void exp_unit_batch(const ExpUnit& u, const float* x, float* y, std::size_t n, Denormals d = Denormals::kPreserve);
OpMix exp_ops(const ExpUnit& u);

// ---- log1p -------------------------------------------------------------------
// The fixed-point variants are softplus units: their stated accuracy is for
// v >= 0 (softplus feeds them exp(x)); for -1 < v < 0 they compute
// k ln2 + ln(1+f) with k < 0 as well, losing relative accuracy as v -> 0-.
float log1p_unit(const Log1pUnit& u, float v, Denormals d = Denormals::kPreserve);
void log1p_unit_batch(const Log1pUnit& u, const float* v, float* y, std::size_t n,
                      Denormals d = Denormals::kPreserve);
OpMix log1p_ops(const Log1pUnit& u);

// ---- reciprocal ----------------------------------------------------------------
float reciprocal_unit(const RecipUnit& u, float x, Denormals d = Denormals::kPreserve);
void reciprocal_unit_batch(const RecipUnit& u, const float* x, float* y, std::size_t n,
                           Denormals d = Denormals::kPreserve);
OpMix reciprocal_ops(const RecipUnit& u);

// The fixed-point datapath of a table-based variant (docs/arithmetic.md §3.3):
// the argument's fraction has frac_bits bits, its top index_bits select a
// table entry, the remaining offset_bits = frac_bits - index_bits interpolate;
// an entry holds c0 (pwl: the point; tquad also c1, c2) in two's complement
// fields of the widths given (unsigned where no value is negative), in units
// of 2^-30. The FP32 and IEEE units have no table (entries 0); the sm90 units
// are costed as the tquad datapath named in §3.5 and report its shape.
struct TableShape {
  int entries = 0, index_bits = 0, frac_bits = 0, offset_bits = 0;
  int c0_bits = 0, c1_bits = 0, c2_bits = 0;
  std::int64_t bits() const { return static_cast<std::int64_t>(entries) * (c0_bits + c1_bits + c2_bits); }
};
TableShape table_shape(const ExpUnit& u);
TableShape table_shape(const Log1pUnit& u);
TableShape table_shape(const RecipUnit& u);
// Coefficient-table bits a variant stores: table_shape(u).bits().
std::int64_t table_bits(const ExpUnit& u);
std::int64_t table_bits(const Log1pUnit& u);
std::int64_t table_bits(const RecipUnit& u);

// ---- composites ----------------------------------------------------------------
// softplus(x) = log1p_unit(exp_unit(x)) with the selected units; with
// `threshold`, x > 20 or NaN passes through (Quamba1 prefill's setp.gtu).
float softplus(float x, bool threshold, Denormals d, const UnitSelection& u);
// y[i] = softplus(x[i], threshold, d, u) for n elements, bit for bit (the
// units' array forms, then the threshold's pass-through); y must not alias x.
void softplus_batch(const float* x, float* y, std::size_t n, bool threshold, Denormals d, const UnitSelection& u);
OpMix softplus_ops(bool threshold, const UnitSelection& u);

// y / (1 + exp(-y)) (SiLU) or num / den (the gate) with the selected division
// form: an IEEE divide, or a multiply by the reciprocal unit's 1/den.
float divide_as(float num, float den, QuantizeOp form, const RecipUnit& r, Denormals d);
OpMix divide_ops(QuantizeOp form, const RecipUnit& r);

}  // namespace mambahw
