// The exp unit and SiLU against a double-precision reference (libm's double
// exp is accurate to well under one FP32 ulp, so it serves as the reference).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "mambahw/golden/exp_unit.hpp"

namespace mambahw {
namespace {

double ulp_error(float got, double ref) {
  int e;
  std::frexp(ref, &e);
  const double ulp = std::ldexp(1.0, std::max(e - 24, -149));
  return std::fabs(static_cast<double>(got) - ref) / ulp;
}

TEST(ExpUnit, HandValues) {
  EXPECT_EQ(bits_of(exp_unit(0.0f)), bits_of(1.0f));
  EXPECT_EQ(bits_of(exp_unit(-0.0f)), bits_of(1.0f));
  EXPECT_EQ(bits_of(exp_unit(1.0f)), 0x402D'F854u);   // e = 2.71828182..., RN to FP32
  EXPECT_EQ(bits_of(exp_unit(-1.0f)), 0x3EBC'5AB2u);  // 1/e = 0.36787944...
  EXPECT_LT(ulp_error(exp_unit(10.0f), std::exp(10.0)), 1.0);
}

TEST(ExpUnit, Specials) {
  EXPECT_EQ(bits_of(exp_unit(std::numeric_limits<float>::quiet_NaN())), kFp32CanonicalNan);
  EXPECT_EQ(bits_of(exp_unit(float_of(0xFFC0'1234u))), kFp32CanonicalNan);
  EXPECT_EQ(exp_unit(INFINITY), INFINITY);
  EXPECT_EQ(bits_of(exp_unit(-INFINITY)), 0u);
  EXPECT_EQ(exp_unit(89.0f), INFINITY);         // ln(FLT_MAX) = 88.72
  EXPECT_LT(ulp_error(exp_unit(88.7f), std::exp(static_cast<double>(88.7f))), 1.0);  // near FLT_MAX
  EXPECT_EQ(bits_of(exp_unit(-104.0f)), 0u);    // below half the smallest subnormal
  // Subnormal results: exp(-100) = 3.72e-44 is 26.6 * 2^-149, correctly rounded here.
  EXPECT_EQ(exp_unit(-100.0f), static_cast<float>(std::exp(-100.0)));
  EXPECT_EQ(bits_of(exp_unit(-100.0f, Denormals::kFlushToZero)), 0u);
}

TEST(ExpUnit, FaithfulOnStridedSweep) {
  double max_ulp = 0.0;
  std::int64_t n = 0;
  for (std::uint64_t b = 0; b <= 0xFFFF'FFFFull; b += 1021) {
    const float x = float_of(static_cast<std::uint32_t>(b));
    if (!(x > -104.0f && x < 88.7f)) continue;
    max_ulp = std::max(max_ulp, ulp_error(exp_unit(x), std::exp(static_cast<double>(x))));
    ++n;
  }
  EXPECT_GT(n, 2'000'000);
  EXPECT_LT(max_ulp, 1.0);  // exhaustive run (label exhaustive): 0.939 ulp
}

TEST(ExpUnit, DenseNearZeroAndReductionBoundaries) {
  // Inputs around k*ln2/2 where the reduction switches k.
  for (int k = -140; k <= 120; ++k) {
    const float c = static_cast<float>((k + 0.5) * 0.6931471805599453);
    std::uint32_t b = bits_of(c);
    for (int d = -64; d <= 64; ++d) {
      const float x = float_of(b + static_cast<std::uint32_t>(d));
      if (!(x > -104.0f && x < 88.7f)) continue;
      ASSERT_LT(ulp_error(exp_unit(x), std::exp(static_cast<double>(x))), 1.0) << std::hexfloat << x;
    }
  }
}

TEST(Silu, HandValuesAndSpecials) {
  const NumericsPolicy p;
  EXPECT_EQ(bits_of(silu(0.0f, p)), 0u);
  EXPECT_EQ(bits_of(silu(-0.0f, p)), 0x8000'0000u);     // -0 / 2
  EXPECT_EQ(silu(INFINITY, p), INFINITY);               // e = 0
  EXPECT_EQ(bits_of(silu(-INFINITY, p)), kFp32CanonicalNan);  // -Inf / Inf
  EXPECT_EQ(bits_of(silu(-100.0f, p)), 0x8000'0000u);   // -100 / (1 + Inf)
  EXPECT_EQ(bits_of(silu(std::nanf(""), p)), kFp32CanonicalNan);
  EXPECT_EQ(silu(100.0f, p), 100.0f);                   // 1 + 3.7e-44 rounds to 1
  NumericsPolicy ftz = p;
  ftz.denormals = Denormals::kFlushToZero;
  EXPECT_EQ(bits_of(silu(float_of(0x8000'0005u), ftz)), 0x8000'0000u);
}

TEST(Silu, WithinThreeUlpOfDoubleReference) {
  for (QuantizeOp div : {QuantizeOp::kDivide, QuantizeOp::kMultiplyReciprocal}) {
    NumericsPolicy p;
    p.silu_division = div;
    double max_ulp = 0.0;
    for (int i = -200000; i <= 200000; ++i) {
      const float y = static_cast<float>(i) * 1e-4f;  // [-20, 20]
      const double ref = y / (1.0 + std::exp(-static_cast<double>(y)));
      if (ref == 0.0) continue;
      max_ulp = std::max(max_ulp, ulp_error(silu(y, p), ref));
    }
    // exp <= 1 ulp, 1+e and the division/reciprocal+multiply each <= 0.5 ulp.
    EXPECT_LT(max_ulp, 3.0) << to_string(div);
  }
}

// The vectorised batch form must equal the scalar unit bit for bit; every
// 4099th bit pattern (all exponents, signs, NaNs, infinities, subnormals) plus
// the range limits. The exhaustive suite checks all 2^32.
TEST(ExpUnitBatch, BitIdenticalToScalarOnStridedSweep) {
  std::vector<float> x;
  for (std::uint64_t b = 0; b < (1ull << 32); b += 4099) x.push_back(float_of(static_cast<std::uint32_t>(b)));
  for (float v : {-87.0f, 88.0f, std::nextafter(-87.0f, -100.0f), std::nextafter(88.0f, 100.0f), -0.0f, 0.0f})
    x.push_back(v);
  std::vector<float> y(x.size());
  exp_unit_batch(x.data(), y.data(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    ASSERT_EQ(bits_of(y[i]), bits_of(exp_unit(x[i]))) << "x bits " << std::hex << bits_of(x[i]);
}

TEST(SiluBatch, BitIdenticalToScalarUnderEveryPolicy) {
  std::vector<float> x;
  for (std::uint64_t b = 0; b < (1ull << 32); b += 8191) x.push_back(float_of(static_cast<std::uint32_t>(b)));
  for (float v : {87.0f, -88.0f, std::nextafter(87.0f, 100.0f), std::nextafter(-88.0f, -100.0f), -0.0f, 0.0f,
                  INFINITY, -INFINITY, NAN, 0x1p-149f, -0x1p-149f})
    x.push_back(v);
  std::vector<float> y(x.size());
  for (QuantizeOp div : {QuantizeOp::kDivide, QuantizeOp::kMultiplyReciprocal})
    for (Denormals d : {Denormals::kPreserve, Denormals::kFlushToZero}) {
      NumericsPolicy p;
      p.silu_division = div;
      p.denormals = d;
      silu_batch(x.data(), y.data(), x.size(), p);
      for (std::size_t i = 0; i < x.size(); ++i)
        ASSERT_EQ(bits_of(y[i]), bits_of(silu(x[i], p))) << "x bits " << std::hex << bits_of(x[i]);
      std::vector<float> in_place = x;  // out may alias y
      silu_batch(in_place.data(), in_place.data(), in_place.size(), p);
      for (std::size_t i = 0; i < x.size(); ++i) ASSERT_EQ(bits_of(in_place[i]), bits_of(y[i]));
    }
}

}  // namespace
}  // namespace mambahw
