// W4A5-SE and scale-enhanced dual-scale codes.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "mambahw/golden/dual_scale.hpp"

namespace mambahw {
namespace {

// Every 5-bit word dequantizes to code * (flag ? fp32(s1*s2) : s1), with the
// product rounded once: computed here exactly in double, then rounded to FP32.
TEST(DualScale, EveryFiveBitCodeDequantizesToTheDocumentedValue) {
  const float s1 = 0.1f, s2 = 3.7f;
  const DualScaleFormat f = DualScaleFormat::make(4, true, s1, s2);
  const auto s12 = static_cast<float>(static_cast<double>(s1) * s2);
  EXPECT_EQ(f.scale12, s12);
  for (std::uint16_t word = 0; word < 32; ++word) {
    const int low = word & 0xF;
    const int code = low >= 8 ? low - 16 : low;
    const bool flag = (word >> 4) != 0;
    const DualScaleCode c = unpack_dual(word, 4);
    EXPECT_EQ(c.code, code) << word;
    EXPECT_EQ(c.flag, flag) << word;
    const auto want = static_cast<float>(code * static_cast<double>(flag ? s12 : s1));
    EXPECT_EQ(bits_of(dequant_dual(c, f, Denormals::kPreserve)), bits_of(want)) << word;
    EXPECT_EQ(pack_dual(c, 4), word);
  }
  // -8 is never produced by the symmetric quantizer but has a defined value.
  EXPECT_EQ(dequant_dual(unpack_dual(0x18, 4), f, Denormals::kPreserve),
            static_cast<float>(-8.0 * static_cast<double>(s12)));
  EXPECT_EQ(bits_of(dequant_dual({0, true}, f, Denormals::kPreserve)), 0u);  // +0
}

// scale1 = 0.25, scale2 = 4 -> scale12 = 1 (all exact). Inlier codes up to 7.
TEST(DualScale, FlagRuleAtTheThreshold) {
  const DualScaleFormat f = DualScaleFormat::make(4, true, 0.25f, 4.0f);
  NumericsPolicy away, even, zero;
  even.rounding = Rounding::kHalfToEven;
  zero.rounding = Rounding::kTowardZero;
  EXPECT_EQ(quantize_dual(1.75f, f, away), (DualScaleCode{7, false}));   // 7.0
  EXPECT_EQ(quantize_dual(1.874f, f, away), (DualScaleCode{7, false}));  // 7.496
  EXPECT_EQ(quantize_dual(1.875f, f, away), (DualScaleCode{2, true}));   // 7.5 -> 8: outlier, 1.875 -> 2
  EXPECT_EQ(quantize_dual(1.875f, f, even), (DualScaleCode{2, true}));   // 7.5 -> 8 (even)
  EXPECT_EQ(quantize_dual(1.875f, f, zero), (DualScaleCode{7, false}));  // 7.5 -> 7
  EXPECT_EQ(quantize_dual(1.99f, f, zero), (DualScaleCode{7, false}));   // 7.96 -> 7
  EXPECT_EQ(quantize_dual(2.0f, f, zero), (DualScaleCode{2, true}));     // 8 -> outlier
  EXPECT_EQ(quantize_dual(-1.875f, f, away), (DualScaleCode{-2, true}));
  EXPECT_EQ(quantize_dual(6.5f, f, away), (DualScaleCode{7, true}));     // 6.5 -> 7
  EXPECT_EQ(quantize_dual(6.5f, f, even), (DualScaleCode{6, true}));
  EXPECT_EQ(quantize_dual(100.0f, f, away), (DualScaleCode{7, true}));   // outlier saturates
  EXPECT_EQ(quantize_dual(-100.0f, f, away), (DualScaleCode{-7, true}));
  EXPECT_EQ(quantize_dual(INFINITY, f, away), (DualScaleCode{7, true}));
  EXPECT_EQ(quantize_dual(-INFINITY, f, away), (DualScaleCode{-7, true}));
  EXPECT_EQ(quantize_dual(std::numeric_limits<float>::quiet_NaN(), f, away), (DualScaleCode{0, false}));
  EXPECT_EQ(quantize_dual(-0.0f, f, away), (DualScaleCode{0, false}));
  // Overflow::kWrap does not apply to the outlier side.
  NumericsPolicy wrap;
  wrap.overflow = Overflow::kWrap;
  EXPECT_EQ(quantize_dual(100.0f, f, wrap), (DualScaleCode{7, true}));
}

TEST(DualScale, FullTwosComplementRange) {
  const DualScaleFormat f = DualScaleFormat::make(4, false, 0.25f, 4.0f);
  EXPECT_EQ(quantize_dual(-2.0f, f, NumericsPolicy{}), (DualScaleCode{-8, false}));  // -8 fits
  EXPECT_EQ(quantize_dual(2.0f, f, NumericsPolicy{}), (DualScaleCode{2, true}));     // +8 does not
  EXPECT_EQ(quantize_dual(-100.0f, f, NumericsPolicy{}), (DualScaleCode{-8, true}));
}

// Round trips: every inlier code is reproduced from its own dequantized value,
// and every outlier code whose value lies beyond the inlier range likewise.
TEST(DualScale, RoundTripProperties) {
  for (float s1 : {0.1f, 0.0173f, 1.3f}) {
    for (float s2 : {2.0f, 3.0f, 7.5f, 15.0f}) {
      const DualScaleFormat f = DualScaleFormat::make(4, true, s1, s2);
      const NumericsPolicy p;
      for (int code = -7; code <= 7; ++code) {
        const DualScaleCode in{static_cast<std::int8_t>(code), false};
        EXPECT_EQ(quantize_dual(dequant_dual(in, f, Denormals::kPreserve), f, p), in) << s1 << " " << code;
        const DualScaleCode out{static_cast<std::int8_t>(code), true};
        const float v = dequant_dual(out, f, Denormals::kPreserve);
        if (std::fabs(v) * f.inv_scale1 >= 7.5f) {
          EXPECT_EQ(quantize_dual(v, f, p), out) << s1 << " " << s2 << " " << code;
        }
      }
    }
  }
}

// Scale enhancement: INT8 inliers, outliers on the 3x grid.
TEST(DualScale, ScaleEnhancedVariant) {
  const DualScaleFormat f = DualScaleFormat::make(8, true, 1.0f / 64, 3.0f);  // scale12 = 3/64 exact
  EXPECT_EQ(f.word_bits(), 9);
  EXPECT_EQ(quantize_dual(1.0f, f, NumericsPolicy{}), (DualScaleCode{64, false}));
  EXPECT_EQ(quantize_dual(2.0f, f, NumericsPolicy{}), (DualScaleCode{43, true}));  // 128 -> out; 42.67 -> 43
  EXPECT_EQ(dequant_dual({43, true}, f, Denormals::kPreserve), 43.0f * 3.0f / 64.0f);
  EXPECT_EQ(pack_dual({-1, true}, 8), 0x1FF);
  EXPECT_EQ(unpack_dual(0x1FF, 8), (DualScaleCode{-1, true}));
}

}  // namespace
}  // namespace mambahw
