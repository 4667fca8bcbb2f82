// Rounding, saturation, wrap, specials: expected values are hand-derived
// (ties and the H100-verified wrap values of quamba-arithmetic.md §8).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "mambahw/golden/numerics.hpp"

namespace mambahw {
namespace {

constexpr Rounding kAway = Rounding::kHalfAwayFromZero;
constexpr Rounding kEven = Rounding::kHalfToEven;
constexpr Rounding kZero = Rounding::kTowardZero;

NumericsPolicy policy(Rounding r, Overflow o = Overflow::kSaturate,
                      Denormals d = Denormals::kPreserve) {
  NumericsPolicy p;
  p.rounding = r;
  p.overflow = o;
  p.denormals = d;
  return p;
}

// Code of x with scale 1 (inv 1): the value itself is rounded.
std::int32_t code(float x, Rounding r, Overflow o = Overflow::kSaturate) {
  return quantize(x, 1.0f, 1.0f, policy(r, o));
}

TEST(Rounding, TiesUnderEachMode) {
  struct Case { float x; int away, even, zero; };
  const Case cases[] = {
      {2.5f, 3, 2, 2},   {-2.5f, -3, -2, -2}, {3.5f, 4, 4, 3},   {0.5f, 1, 0, 0},
      {-0.5f, -1, 0, 0}, {1.5f, 2, 2, 1},     {-1.5f, -2, -2, -1}, {126.5f, 127, 126, 126},
      {-127.5f, -128, -128, -127},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(code(c.x, kAway), c.away) << c.x;
    EXPECT_EQ(code(c.x, kEven), c.even) << c.x;
    EXPECT_EQ(code(c.x, kZero), c.zero) << c.x;
  }
}

TEST(Rounding, NonTiesRoundToNearestExceptTowardZero) {
  // The float nearest 2.5 from below/above is not a tie.
  const float below = std::nextafter(2.5f, 0.0f), above = std::nextafter(2.5f, 3.0f);
  EXPECT_EQ(code(below, kAway), 2);
  EXPECT_EQ(code(below, kEven), 2);
  EXPECT_EQ(code(above, kEven), 3);
  EXPECT_EQ(code(above, kZero), 2);
  EXPECT_EQ(code(-2.7f, kZero), -2);
  EXPECT_EQ(code(-2.7f, kAway), -3);
}

TEST(Rounding, SignOfZeroFollowsInput) {
  EXPECT_EQ(bits_of(round_to_integral(-0.3f, kAway)), 0x8000'0000u);
  EXPECT_EQ(bits_of(round_to_integral(-0.5f, kEven)), 0x8000'0000u);
  EXPECT_EQ(bits_of(round_to_integral(-0.7f, kZero)), 0x8000'0000u);
  EXPECT_EQ(bits_of(round_to_integral(0.3f, kAway)), 0x0000'0000u);
  EXPECT_EQ(bits_of(round_to_integral(-0.0f, kEven)), 0x8000'0000u);
  EXPECT_EQ(bits_of(round_to_integral(-0.5f, kAway)), bits_of(-1.0f));
}

TEST(Rounding, LargeValuesAreAlreadyIntegral) {
  EXPECT_EQ(round_to_integral(8388608.5f, kAway), 8388608.5f);  // not representable: is 8388608
  EXPECT_EQ(round_to_integral(16777216.0f, kEven), 16777216.0f);
  EXPECT_EQ(round_to_integral(8388607.5f, kEven), 8388608.0f);  // tie, 8388607 odd -> up
  EXPECT_EQ(round_to_integral(8388606.5f, kEven), 8388606.0f);  // tie, even stays
  EXPECT_EQ(round_to_integral(8388607.5f, kAway), 8388608.0f);
}

TEST(Saturation, EdgesUnderEachMode) {
  for (Rounding r : {kAway, kEven, kZero}) {
    EXPECT_EQ(code(127.0f, r), 127);
    EXPECT_EQ(code(128.0f, r), 127);
    EXPECT_EQ(code(-128.0f, r), -128);
    EXPECT_EQ(code(-129.0f, r), -128);
    EXPECT_EQ(code(1e30f, r), 127);
    EXPECT_EQ(code(-1e30f, r), -128);
  }
  // 127.5 saturates only where it rounds up; -128.5 likewise.
  EXPECT_EQ(code(127.5f, kAway), 127);  // 128 -> clamp
  EXPECT_EQ(code(127.5f, kEven), 127);  // 128 (even) -> clamp
  EXPECT_EQ(code(127.5f, kZero), 127);
  EXPECT_EQ(code(-127.5f, kZero), -127);
  EXPECT_EQ(code(-128.5f, kEven), -128);
}

TEST(Specials, NanInfZero) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float snan = float_of(0xFF80'0001u);  // signalling NaN, negative sign
  for (Rounding r : {kAway, kEven, kZero}) {
    EXPECT_EQ(code(nan, r), 0);
    EXPECT_EQ(code(snan, r), 0);
    EXPECT_EQ(code(INFINITY, r), 127);
    EXPECT_EQ(code(-INFINITY, r), -128);
    EXPECT_EQ(code(0.0f, r), 0);
    EXPECT_EQ(code(-0.0f, r), 0);
  }
  // A scale register of 0 (an uncovered Quamba2 channel): inv = +Inf.
  EXPECT_EQ(quantize(0.25f, 0.0f, reciprocal(0.0f), NumericsPolicy{}), 127);
  EXPECT_EQ(quantize(-0.25f, 0.0f, reciprocal(0.0f), NumericsPolicy{}), -128);
  EXPECT_EQ(quantize(0.0f, 0.0f, reciprocal(0.0f), NumericsPolicy{}), 0);  // 0*Inf = NaN -> 0
}

TEST(Denormals, PreserveVersusFlush) {
  const float denorm = float_of(0x0040'0000u);  // 2^-127
  const float inv = 0x1p126f;                    // product 0.5 exactly, or 0 when flushed
  NumericsPolicy keep = policy(kAway), flush = policy(kAway, Overflow::kSaturate, Denormals::kFlushToZero);
  EXPECT_EQ(quantize(denorm, 1.0f, inv, keep), 1);   // 0.5 -> 1 (half away)
  EXPECT_EQ(quantize(denorm, 1.0f, inv, flush), 0);  // input read as +0
  EXPECT_EQ(quantize(-denorm, 1.0f, inv, keep), -1);
  // A subnormal product is flushed to a signed zero.
  EXPECT_EQ(bits_of(fmul(-0x1p-100f, 0x1p-30f, Denormals::kFlushToZero)), 0x8000'0000u);
  EXPECT_EQ(bits_of(fmul(-0x1p-100f, 0x1p-30f, Denormals::kPreserve)), bits_of(-0x1p-130f));
  // Rounded result exactly at the smallest normal is kept.
  EXPECT_EQ(fmul(0x1p-63f, 0x1p-63f, Denormals::kFlushToZero), 0x1p-126f);
}

TEST(Wrap, MatchesPtxConvertAndByteStore) {
  // H100-verified (quamba-arithmetic.md §8): 127.5 -> -128, 200 -> -56, -129 -> 127.
  EXPECT_EQ(code(127.5f, kAway, Overflow::kWrap), -128);
  EXPECT_EQ(code(200.0f, kAway, Overflow::kWrap), -56);
  EXPECT_EQ(code(-129.0f, kAway, Overflow::kWrap), 127);
  EXPECT_EQ(code(256.0f, kAway, Overflow::kWrap), 0);
  // cvt.s32 saturates to INT32_MAX (low byte 0xFF) / INT32_MIN (low byte 0x00); NaN -> 0.
  EXPECT_EQ(code(INFINITY, kAway, Overflow::kWrap), -1);
  EXPECT_EQ(code(-INFINITY, kAway, Overflow::kWrap), 0);
  EXPECT_EQ(code(1e30f, kAway, Overflow::kWrap), -1);
  EXPECT_EQ(code(std::numeric_limits<float>::quiet_NaN(), kAway, Overflow::kWrap), 0);
  // 4-bit wrap keeps the low nibble: 9 -> -7, -9 -> 7.
  EXPECT_EQ(quantize(9.0f, 1.0f, 1.0f, policy(kAway, Overflow::kWrap), CodeRange::signed_bits(4)), -7);
  EXPECT_EQ(quantize(-9.0f, 1.0f, 1.0f, policy(kAway, Overflow::kWrap), CodeRange::signed_bits(4)), 7);
}

TEST(CodeRange, SymmetricAndFull) {
  EXPECT_EQ(CodeRange::symmetric_bits(4).qmin, -7);
  EXPECT_EQ(CodeRange::symmetric_bits(4).qmax, 7);
  EXPECT_EQ(CodeRange::signed_bits(4).qmin, -8);
  EXPECT_EQ(quantize(-100.0f, 1.0f, 1.0f, policy(kAway), CodeRange::symmetric_bits(4)), -7);
  EXPECT_EQ(quantize(-100.0f, 1.0f, 1.0f, policy(kAway), CodeRange::signed_bits(4)), -8);
}

// Second implementation: the C library's rounding functions (round is
// half-away by definition; nearbyint in the default FE_TONEAREST mode is
// half-even; trunc is toward zero), over a strided sweep of all bit patterns.
TEST(Rounding, AgreesWithLibmOnStridedSweep) {
  std::int64_t checked = 0;
  for (std::uint64_t b = 0; b <= 0xFFFF'FFFFull; b += 4093) {
    const float x = float_of(static_cast<std::uint32_t>(b));
    if (std::isnan(x)) continue;
    ASSERT_EQ(bits_of(round_to_integral(x, kAway)), bits_of(std::round(x))) << std::hexfloat << x;
    ASSERT_EQ(bits_of(round_to_integral(x, kEven)), bits_of(std::nearbyint(x))) << std::hexfloat << x;
    ASSERT_EQ(bits_of(round_to_integral(x, kZero)), bits_of(std::trunc(x))) << std::hexfloat << x;
    ++checked;
  }
  EXPECT_GT(checked, 1'000'000);
}

TEST(Rounding, AgreesWithLibmOnEveryHalfInteger) {
  for (int k = -20000; k <= 20000; ++k) {
    const float x = static_cast<float>(k) + 0.5f;
    EXPECT_EQ(round_to_integral(x, kAway), std::round(x));
    EXPECT_EQ(round_to_integral(x, kEven), std::nearbyint(x));
  }
}

TEST(Names, RoundTrip) {
  for (Rounding r : {kAway, kEven, kZero}) EXPECT_EQ(parse_enum<Rounding>(to_string(r)), r);
  EXPECT_EQ(parse_enum<Rounding>("half_up"), std::nullopt);
  EXPECT_EQ(to_string(QuantizeOp::kMultiplyReciprocal), "multiply_reciprocal");
  EXPECT_EQ(parse_enum<Denormals>("flush_to_zero"), Denormals::kFlushToZero);
}

}  // namespace
}  // namespace mambahw
