// The unit family (mambahw/golden/units.hpp): variant spellings, the
// fixed-point units' accuracy against double-precision libm within the
// interpolation error bounds derived here by hand, exact cases, array forms
// against scalar forms, operation counts and table sizes, and the effect of
// a unit choice on the layer.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "mambahw/golden/exp_unit.hpp"
#include "mambahw/golden/sm90.hpp"
#include "mambahw/golden/ssm.hpp"
#include "mambahw/golden/units.hpp"

namespace mambahw {
namespace {

TEST(UnitVariants, SpellingsRoundTrip) {
  for (const char* s : {"poly", "pwl2", "pwl16", "pwl4096", "tquad2", "tquad6", "tquad12", "sm90"}) {
    const auto v = parse_unit_variant<ExpKind>(s);
    ASSERT_TRUE(v) << s;
    EXPECT_EQ(to_string(*v), s);
  }
  EXPECT_EQ(parse_unit_variant<ExpKind>("pwl16")->param, 16);
  EXPECT_EQ(parse_unit_variant<RecipKind>("ieee")->kind, RecipKind::kIeee);
  EXPECT_EQ(parse_unit_variant<Log1pKind>("tquad7")->kind, Log1pKind::kTableQuad);
}

TEST(UnitVariants, BadSpellingsSayWhy) {
  std::string why;
  EXPECT_FALSE(parse_unit_variant<ExpKind>("pwl", &why));
  EXPECT_NE(why.find("needs a number"), std::string::npos) << why;
  EXPECT_FALSE(parse_unit_variant<ExpKind>("pwl12", &why));
  EXPECT_NE(why.find("power of two"), std::string::npos) << why;
  EXPECT_FALSE(parse_unit_variant<ExpKind>("tquad13", &why));
  EXPECT_NE(why.find("[2, 12]"), std::string::npos) << why;
  EXPECT_FALSE(parse_unit_variant<ExpKind>("poly3", &why));
  EXPECT_NE(why.find("takes no number"), std::string::npos) << why;
  EXPECT_FALSE(parse_unit_variant<ExpKind>("ieee", &why));  // a reciprocal kind, not an exp kind
  EXPECT_NE(why.find("poly, pwl<n>, tquad<n>, sm90"), std::string::npos) << why;
  EXPECT_FALSE(parse_unit_variant<RecipKind>("pwl99999999", &why));
}

// Relative error bounds of the table interpolation of g on segments of width
// h: linear between the end points h^2/8 max|g''|; quadratic through the
// three Chebyshev nodes h^3/32 max|g'''| / 3!.
double interp_bound(bool quadratic, int param, double g2, double g3) {
  const double h = quadratic ? std::ldexp(1.0, -param) : 1.0 / param;
  return quadratic ? h * h * h / 32 * g3 / 6 : h * h / 8 * g2;
}

struct Sample {
  double max_rel = 0;
};
template <class F, class R>
double max_rel_error(F unit, R reference, double lo, double hi, bool log_uniform) {
  std::mt19937_64 rng(19);
  double worst = 0;
  for (int i = 0; i < 200000; ++i) {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    const auto x = static_cast<float>(log_uniform ? std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo)))
                                                  : lo + u * (hi - lo));
    const double r = reference(static_cast<double>(x));
    worst = std::max(worst, std::fabs(static_cast<double>(unit(x)) - r) / std::fabs(r));
  }
  return worst;
}

TEST(FixedUnits, ExpWithinItsInterpolationBound) {
  // 2^f on [0, 1): g'' <= 2 ln2^2, g''' <= 2 ln2^3; relative to g >= 1. The range
  // reduction y = x log2e in fixed point adds ln2 (|x| 0.36 2^-31 + 2^-30) (the
  // 32-bit log2e, |x| < 10 here, and the truncation to 30 fraction bits), the
  // interpolation arithmetic 4 units of 2^-30, the final rounding 2^-24.
  const double ln2 = std::log(2.0);
  for (const ExpUnit u : {ExpUnit{ExpKind::kPwl, 16}, ExpUnit{ExpKind::kPwl, 256}, ExpUnit{ExpKind::kTableQuad, 4},
                          ExpUnit{ExpKind::kTableQuad, 6}, ExpUnit{ExpKind::kTableQuad, 9}}) {
    const bool q = u.kind == ExpKind::kTableQuad;
    const double bound = interp_bound(q, u.param, 2 * ln2 * ln2, 2 * ln2 * ln2 * ln2) +
                         ln2 * (10 * 0.36 * 0x1p-31 + 0x1p-30) + 4 * 0x1p-30 + 0x1p-24;
    const double err = max_rel_error([&](float x) { return exp_unit(u, x); }, [](double x) { return std::exp(x); },
                                     -10, 10, false);
    EXPECT_LE(err, bound) << to_string(u);
    EXPECT_GT(err, 0.0) << to_string(u);
  }
}

TEST(FixedUnits, Log1pWithinItsInterpolationBound) {
  // ln(1+f)/f on [0, 1): g'' <= 2/3, g''' <= 3/2 (the series 1 - f/2 + f^2/3 - ...
  // at f = 0); relative to g >= ln2, then as a share of k ln2 + ln(1 + f).
  const double ln2 = std::log(2.0);
  for (const Log1pUnit u : {Log1pUnit{Log1pKind::kPwl, 16}, Log1pUnit{Log1pKind::kPwl, 256},
                            Log1pUnit{Log1pKind::kTableQuad, 6}, Log1pUnit{Log1pKind::kTableQuad, 9}}) {
    const bool q = u.kind == Log1pKind::kTableQuad;
    const double bound = interp_bound(q, u.param, 2.0 / 3, 1.5) / ln2 + 8 * 0x1p-30 + 0x1p-24;
    const double err = max_rel_error([&](float v) { return log1p_unit(u, v); }, [](double v) { return std::log1p(v); },
                                     1e-6, 1e30, true);
    EXPECT_LE(err, bound) << to_string(u);
  }
}

TEST(FixedUnits, ReciprocalWithinItsInterpolationBound) {
  // 1/(1+f) on [0, 1): g'' <= 2, g''' <= 6, relative to g >= 1/2.
  for (const RecipUnit u : {RecipUnit{RecipKind::kPwl, 16}, RecipUnit{RecipKind::kPwl, 256},
                            RecipUnit{RecipKind::kTableQuad, 6}, RecipUnit{RecipKind::kTableQuad, 9}}) {
    const bool q = u.kind == RecipKind::kTableQuad;
    const double bound = 2 * interp_bound(q, u.param, 2, 6) + 8 * 0x1p-30 + 0x1p-24;
    const double err = max_rel_error([&](float x) { return reciprocal_unit(u, x); }, [](double x) { return 1.0 / x; },
                                     1e-30, 1e30, true);
    EXPECT_LE(err, bound) << to_string(u);
  }
}

TEST(FixedUnits, ExactCases) {
  for (const int p : {2, 16, 4096}) {
    const ExpUnit e{ExpKind::kPwl, p};
    const RecipUnit r{RecipKind::kPwl, p};
    EXPECT_EQ(exp_unit(e, 0.0f), 1.0f);  // 2^0: table point 0 exactly
    for (int k = -126; k <= 126; ++k) EXPECT_EQ(reciprocal_unit(r, std::ldexp(-1.0f, k)), std::ldexp(-1.0f, -k));
  }
  const ExpUnit t{ExpKind::kTableQuad, 6};
  EXPECT_EQ(exp_unit(t, INFINITY), INFINITY);
  EXPECT_EQ(exp_unit(t, -INFINITY), 0.0f);
  EXPECT_EQ(exp_unit(t, 100.0f), INFINITY);
  EXPECT_EQ(bits_of(exp_unit(t, NAN)), kFp32CanonicalNan);
  // gradual underflow under preserve, flushed under flush_to_zero
  EXPECT_GT(exp_unit(t, -95.0f), 0.0f);
  EXPECT_LT(exp_unit(t, -95.0f), 0x1p-126f);
  EXPECT_EQ(exp_unit(t, -95.0f, Denormals::kFlushToZero), 0.0f);
  const Log1pUnit l{Log1pKind::kTableQuad, 6};
  EXPECT_EQ(log1p_unit(l, -1.0f), -INFINITY);
  EXPECT_EQ(bits_of(log1p_unit(l, -1.5f)), kFp32CanonicalNan);
  EXPECT_EQ(log1p_unit(l, 0x1p-30f), 0x1p-30f);
  EXPECT_EQ(log1p_unit(l, INFINITY), INFINITY);
  const RecipUnit r{RecipKind::kTableQuad, 6};
  EXPECT_EQ(bits_of(reciprocal_unit(r, -0.0f)), 0xFF80'0000u);
  EXPECT_EQ(bits_of(reciprocal_unit(r, INFINITY)), 0u);
  EXPECT_EQ(reciprocal_unit(r, 0x1p-140f), INFINITY);  // a subnormal is normalised: 2^140 overflows
}

// Every variant's array form against its scalar form, both denormal policies,
// on a strided sweep of all bit patterns (all 2^32 in the exhaustive label).
TEST(UnitFamily, BatchEqualsScalarStrided) {
  std::vector<float> x;
  for (std::uint64_t b = 0; b < (1ull << 32); b += 40009) x.push_back(float_of(static_cast<std::uint32_t>(b)));
  std::vector<float> y(x.size());
  for (Denormals d : {Denormals::kPreserve, Denormals::kFlushToZero}) {
    for (const ExpUnit u : {ExpUnit{ExpKind::kPoly, 0}, ExpUnit{ExpKind::kPwl, 16}, ExpUnit{ExpKind::kTableQuad, 6},
                            ExpUnit{ExpKind::kSm90, 0}}) {
      exp_unit_batch(u, x.data(), y.data(), x.size(), d);
      std::size_t bad = 0;
      for (std::size_t i = 0; i < x.size(); ++i) bad += bits_of(y[i]) != bits_of(exp_unit(u, x[i], d));
      EXPECT_EQ(bad, 0u) << to_string(u) << " " << to_string(d);
    }
    for (const Log1pUnit u : {Log1pUnit{Log1pKind::kPoly, 0}, Log1pUnit{Log1pKind::kPwl, 16},
                              Log1pUnit{Log1pKind::kTableQuad, 6}, Log1pUnit{Log1pKind::kSm90, 0}}) {
      log1p_unit_batch(u, x.data(), y.data(), x.size(), d);
      std::size_t bad = 0;
      for (std::size_t i = 0; i < x.size(); ++i) bad += bits_of(y[i]) != bits_of(log1p_unit(u, x[i], d));
      EXPECT_EQ(bad, 0u) << to_string(u) << " " << to_string(d);
    }
    for (const RecipUnit u : {RecipUnit{RecipKind::kIeee, 0}, RecipUnit{RecipKind::kPwl, 16},
                              RecipUnit{RecipKind::kTableQuad, 6}, RecipUnit{RecipKind::kSm90, 0}}) {
      reciprocal_unit_batch(u, x.data(), y.data(), x.size(), d);
      std::size_t bad = 0;
      for (std::size_t i = 0; i < x.size(); ++i) bad += bits_of(y[i]) != bits_of(reciprocal_unit(u, x[i], d));
      EXPECT_EQ(bad, 0u) << to_string(u) << " " << to_string(d);
    }
  }
}

// softplus_batch against softplus, element by element: every exp and log1p
// variant pair the schemes use, with and without the threshold, both
// denormal policies, on the strided sweep plus the threshold's edges (20,
// its neighbours, NaNs of both signs, infinities).
TEST(UnitFamily, SoftplusBatchEqualsScalar) {
  std::vector<float> x;
  for (std::uint64_t b = 0; b < (1ull << 32); b += 40009) x.push_back(float_of(static_cast<std::uint32_t>(b)));
  for (float v : {20.0f, std::nextafter(20.0f, 0.0f), std::nextafter(20.0f, 99.0f), 21.0f, -20.0f, 88.0f, 89.0f,
                  INFINITY, -INFINITY, float_of(0x7FC0'0001u), float_of(0xFFC0'0000u), 0.0f, -0.0f, 0x1p-140f})
    x.push_back(v);
  std::vector<float> y(x.size());
  const UnitSelection def, sm90{ExpUnit{ExpKind::kSm90, 0}, Log1pUnit{Log1pKind::kSm90, 0}, RecipUnit{RecipKind::kSm90, 0}},
      tables{ExpUnit{ExpKind::kPwl, 16}, Log1pUnit{Log1pKind::kTableQuad, 6}, RecipUnit{}};
  for (const UnitSelection& u : {def, sm90, tables})
    for (Denormals d : {Denormals::kPreserve, Denormals::kFlushToZero})
      for (bool threshold : {true, false}) {
        softplus_batch(x.data(), y.data(), x.size(), threshold, d, u);
        std::size_t bad = 0;
        for (std::size_t i = 0; i < x.size(); ++i) bad += bits_of(y[i]) != bits_of(softplus(x[i], threshold, d, u));
        EXPECT_EQ(bad, 0u) << to_string(u.exp) << " " << to_string(d) << " threshold " << threshold;
      }
  // The threshold's pass-through by hand: 21 stays 21 (not log1p(exp(21))), a NaN becomes the canonical NaN.
  const float in[2] = {21.0f, float_of(0xFFC0'0001u)};
  float out[2];
  softplus_batch(in, out, 2, true, Denormals::kPreserve, def);
  EXPECT_EQ(out[0], 21.0f);
  EXPECT_EQ(bits_of(out[1]), kFp32CanonicalNan);
}

TEST(UnitFamily, DefaultsAreTheExistingUnits) {
  std::vector<float> x;
  for (std::uint64_t b = 0; b < (1ull << 32); b += 99991) x.push_back(float_of(static_cast<std::uint32_t>(b)));
  const UnitSelection def;
  for (float v : x) {
    ASSERT_EQ(bits_of(exp_unit(def.exp, v)), bits_of(exp_unit(v)));
    ASSERT_EQ(bits_of(log1p_unit(def.log1p, v)), bits_of(log1p_unit(v)));
    ASSERT_EQ(bits_of(reciprocal_unit(def.reciprocal, v)), bits_of(reciprocal(v)));
    ASSERT_EQ(bits_of(softplus(v, true, Denormals::kPreserve, def)), bits_of(softplus(v, true)));
  }
  EXPECT_EQ(exp_ops(def.exp), exp_unit_ops());
  EXPECT_EQ(log1p_ops(def.log1p), log1p_unit_ops());
  EXPECT_EQ(softplus_ops(true, def), softplus_ops(true));
  NumericsPolicy p;
  EXPECT_EQ(silu_ops(p), silu_ops(p.silu_division));
  p.silu_division = QuantizeOp::kMultiplyReciprocal;
  EXPECT_EQ(silu_ops(p), silu_ops(p.silu_division));
}

// SiLU with the sm90 units is Quamba's conv SiLU: y * rcp(1 + ex2(y * -log2e)),
// every operation .ftz (quamba-arithmetic.md §1), composed here from the
// single instructions.
TEST(UnitFamily, Sm90SiluIsTheKernelsSequence) {
  NumericsPolicy p;
  p.denormals = Denormals::kFlushToZero;
  p.silu_division = QuantizeOp::kMultiplyReciprocal;
  p.units = {ExpUnit{ExpKind::kSm90, 0}, Log1pUnit{Log1pKind::kSm90, 0}, RecipUnit{RecipKind::kSm90, 0}};
  std::mt19937 rng(7);
  for (int i = 0; i < 100000; ++i) {
    const float y = std::uniform_real_distribution<float>(-30, 30)(rng);
    const float e = sm90_ex2(sm90_mul(y, -0x1.715476p+0f));
    const float want = sm90_mul(y, sm90_rcp(sm90_add(e, 1.0f)));
    ASSERT_EQ(bits_of(silu(y, p)), bits_of(want)) << y;
  }
  std::vector<float> ys(1000), out(1000);
  for (auto& v : ys) v = std::uniform_real_distribution<float>(-30, 30)(rng);
  silu_batch(ys.data(), out.data(), ys.size(), p);
  for (std::size_t i = 0; i < ys.size(); ++i) EXPECT_EQ(bits_of(out[i]), bits_of(silu(ys[i], p)));
}

TEST(UnitFamily, OperationCountsComeFromTheDefinitions) {
  // pwl: two table points, a difference and an add, one multiplier; tquad: three
  // coefficients, a squarer and two multipliers, two adds; plus each function's
  // own range checks, range reduction (exp: one integer multiply by log2e and an
  // alignment shift) and final rounding.
  const OpMix pwl = exp_ops(ExpUnit{ExpKind::kPwl, 16}), tq = exp_ops(ExpUnit{ExpKind::kTableQuad, 6});
  EXPECT_EQ(pwl[DatapathOp::kIntMul], 2);  // x log2e, and the interpolation
  EXPECT_EQ(tq[DatapathOp::kIntMul], 4);   // x log2e, squarer, two coefficient products
  EXPECT_EQ(pwl[DatapathOp::kFp32Mul], 0);
  EXPECT_EQ(pwl[DatapathOp::kShift], 1);   // the product aligned to the fixed-point grid
  EXPECT_EQ(pwl[DatapathOp::kFp32Fma], 0);
  EXPECT_EQ(pwl[DatapathOp::kIntAdd], 3);   // difference, add, exponent add
  EXPECT_EQ(pwl[DatapathOp::kFp32Convert], 1);
  // 17 table points of 32 bits (2^30 .. 2^31, unsigned)
  EXPECT_EQ(table_bits(ExpUnit{ExpKind::kPwl, 16}), 17 * 32);
  EXPECT_EQ(pwl[DatapathOp::kTableBit], 2 * 32);
  EXPECT_GT(table_bits(ExpUnit{ExpKind::kTableQuad, 6}), 64 * 32);
  // The datapath widths: pwl16 indexes by the top 4 of the 30 fraction bits and
  // interpolates over the other 26; its points 2^(k/16) 2^30 lie in [2^30, 2^31]
  // (32 bits unsigned). tquad6's c0 = 2^f at a segment's start, in [2^30, 2^31): 31 bits.
  const TableShape ps = table_shape(ExpUnit{ExpKind::kPwl, 16}), qs = table_shape(ExpUnit{ExpKind::kTableQuad, 6});
  EXPECT_EQ(ps.entries, 17);
  EXPECT_EQ(ps.index_bits, 4);
  EXPECT_EQ(ps.frac_bits, 30);
  EXPECT_EQ(ps.offset_bits, 26);
  EXPECT_EQ(ps.c0_bits, 32);
  EXPECT_EQ(ps.c1_bits + ps.c2_bits, 0);
  EXPECT_EQ(qs.entries, 64);
  EXPECT_EQ(qs.offset_bits, 24);
  EXPECT_EQ(qs.c0_bits, 31);
  EXPECT_EQ(qs.bits(), table_bits(ExpUnit{ExpKind::kTableQuad, 6}));
  EXPECT_EQ(table_shape(RecipUnit{RecipKind::kTableQuad, 6}).frac_bits, 23);  // the significand's fraction
  EXPECT_EQ(table_bits(ExpUnit{ExpKind::kPoly, 0}), 0);
  EXPECT_EQ(reciprocal_ops(RecipUnit{RecipKind::kIeee, 0}), OpMix::of(DatapathOp::kFp32Div));
  // libdevice log1pf: add.rz, 11 FMAs (one to form m - 1, eight Horner, two at the end), 2 multiplies
  const OpMix l = log1p_ops(Log1pUnit{Log1pKind::kSm90, 0});
  EXPECT_EQ(l[DatapathOp::kFp32Fma], 11);
  EXPECT_EQ(l[DatapathOp::kFp32Mul], 2);
  EXPECT_EQ(l[DatapathOp::kFp32Add], 2);
  EXPECT_EQ(divide_ops(QuantizeOp::kMultiplyReciprocal, RecipUnit{RecipKind::kPwl, 16}),
            reciprocal_ops(RecipUnit{RecipKind::kPwl, 16}) + OpMix::of(DatapathOp::kFp32Mul));
}

}  // namespace
}  // namespace mambahw
