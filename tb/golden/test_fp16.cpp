// FP32 -> FP16 round-to-nearest-even against hand-derived boundaries and
// against the compiler's _Float16 conversion (libgcc / F16C: a second,
// independent implementation).
#include <gtest/gtest.h>

#include <vector>

#include <cmath>
#include <cstring>

#include "mambahw/golden/numerics.hpp"

namespace mambahw {
namespace {

std::uint16_t reference_fp16(float x) {
  const _Float16 h = static_cast<_Float16>(x);
  std::uint16_t b;
  std::memcpy(&b, &h, sizeof b);
  return b;
}

TEST(Fp16, HandDerivedBoundaries) {
  EXPECT_EQ(fp32_to_fp16(1.0f), 0x3C00);
  EXPECT_EQ(fp32_to_fp16(-2.0f), 0xC000);
  EXPECT_EQ(fp32_to_fp16(65504.0f), 0x7BFF);                 // largest finite half
  EXPECT_EQ(fp32_to_fp16(65519.99609375f), 0x7BFF);          // just below the tie
  EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7C00);                 // tie, 0x7BFF odd -> Inf
  EXPECT_EQ(fp32_to_fp16(-1e30f), 0xFC00);
  EXPECT_EQ(fp32_to_fp16(1.0f + 0x1p-11f), 0x3C00);          // tie -> even (1.0)
  EXPECT_EQ(fp32_to_fp16(1.0f + 3 * 0x1p-11f), 0x3C02);      // tie -> even (1+2^-9)
  EXPECT_EQ(fp32_to_fp16(1.0f + 0x1p-11f + 0x1p-20f), 0x3C01);
  EXPECT_EQ(fp32_to_fp16(0x1p-14f), 0x0400);                 // smallest normal half
  EXPECT_EQ(fp32_to_fp16(0x1p-24f), 0x0001);                 // smallest subnormal half
  EXPECT_EQ(fp32_to_fp16(0x1p-25f), 0x0000);                 // tie between 0 and 2^-24 -> 0
  EXPECT_EQ(fp32_to_fp16(0x1.000002p-25f), 0x0001);          // just above the tie
  EXPECT_EQ(fp32_to_fp16(3 * 0x1p-25f), 0x0002);             // 1.5 * 2^-24 tie -> 2 (even)
  EXPECT_EQ(fp32_to_fp16(0x1.ffcp-15f), 0x0400);             // rounds up into the normals
  EXPECT_EQ(fp32_to_fp16(-0.0f), 0x8000);
  EXPECT_EQ(fp32_to_fp16(float_of(0x0000'0001u)), 0x0000);   // FP32 subnormal -> 0
  EXPECT_EQ(fp32_to_fp16(INFINITY), 0x7C00);
  EXPECT_EQ(fp32_to_fp16(std::nanf("")), 0x7E00);
  EXPECT_EQ(fp32_to_fp16(float_of(0xFFC1'2345u)), 0x7E00);   // canonical NaN, sign dropped
}

TEST(Fp16, EveryHalfRoundTripsExactly) {
  for (std::uint32_t h = 0; h < 0x10000; ++h) {
    const auto hb = static_cast<std::uint16_t>(h);
    const float f = fp16_to_fp32(hb);
    if ((hb & 0x7C00) == 0x7C00 && (hb & 0x3FF)) {
      EXPECT_TRUE(std::isnan(f));
      continue;
    }
    ASSERT_EQ(fp32_to_fp16(f), hb) << std::hex << h;
    ASSERT_EQ(bits_of(f), bits_of(static_cast<float>(std::bit_cast<_Float16>(hb)))) << std::hex << h;
  }
}

TEST(Fp16, AgreesWithCompilerConversionOnStridedSweep) {
  for (std::uint64_t b = 0; b <= 0xFFFF'FFFFull; b += 997) {
    const float x = float_of(static_cast<std::uint32_t>(b));
    if (std::isnan(x)) continue;
    ASSERT_EQ(fp32_to_fp16(x), reference_fp16(x)) << std::hexfloat << x;
  }
}

// The array form against the scalar round trip on a strided sweep of all bit
// patterns plus every boundary class (all 2^32 in the exhaustive label).
TEST(Fp16, RoundBatchEqualsScalarRoundTrip) {
  std::vector<float> x;
  for (std::uint64_t b = 0; b < (1ull << 32); b += 997) x.push_back(float_of(static_cast<std::uint32_t>(b)));
  for (std::uint32_t b : {0x0000'0000u, 0x8000'0000u, 0x3300'0000u, 0x3300'0001u, 0x3380'0000u, 0x387F'FFFFu,
                          0x3880'0000u, 0x3F80'1000u, 0x3F80'3000u, 0x477F'EFFFu, 0x477F'F000u, 0x7F80'0000u,
                          0xFF80'0000u, 0x7F80'0001u, 0xFFC0'0000u, 0x0000'0001u, 0x8000'0001u})
    x.push_back(float_of(b));
  std::vector<float> y(x.size());
  fp16_round_batch(x.data(), y.data(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    ASSERT_EQ(bits_of(y[i]), bits_of(fp16_to_fp32(fp32_to_fp16(x[i])))) << std::hex << bits_of(x[i]);
}

}  // namespace
}  // namespace mambahw
