// The exp unit and SiLU against a double-precision reference (libm's double
// exp is accurate to well under one FP32 ulp, so it serves as the reference).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernel_isa_guard.hpp"
#include "mambahw/golden/exp_unit.hpp"
#include "mambahw/studies/synthetic.hpp"

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

// Every fast-path variant the host runs (baseline, AVX2, AVX-512), forced in
// turn, against the scalar unit: the main path, the out-of-range fallback
// (NaNs with payloads, infinities, the range limits and their neighbours,
// the exp_unit branches past them: overflow, k > 127, subnormal results,
// underflow), subnormal inputs, and every length 0..40 at every offset 0..3
// (full and partial lane blocks, unaligned starts).
TEST(ExpUnitBatch, EveryVariantBitIdenticalToScalar) {
  std::vector<float> special = {-87.0f, 88.0f, std::nextafter(-87.0f, -100.0f), std::nextafter(88.0f, 100.0f),
                                std::nextafter(-87.0f, 0.0f), std::nextafter(88.0f, 0.0f), 88.5f, 89.0f,
                                std::nextafter(89.0f, 100.0f), -100.0f, -103.9f, -104.0f,
                                std::nextafter(-104.0f, -200.0f), -0.0f, 0.0f, INFINITY, -INFINITY,
                                float_of(0x7FC00000u), float_of(0xFFC00001u), float_of(0x7F800001u),
                                float_of(0xFFBFFFFFu), 0x1p-149f, -0x1p-149f, 0x1.fffffcp-127f, -0x1p-126f,
                                1e30f, -1e30f, 0.5f, -20.0f};
  Rng rng(5);
  for (int i = 0; i < 200; ++i) special.push_back(float_of(static_cast<std::uint32_t>(rng.below(1ull << 32))));
  for (int i = 0; i < 200; ++i) special.push_back(static_cast<float>(rng.uniform() * 190.0 - 100.0));
  for (KernelIsa isa : tb::vector_isas()) {
    tb::KernelIsaScope scope(isa);
    std::vector<float> y(special.size());
    exp_unit_batch(special.data(), y.data(), special.size());
    for (std::size_t i = 0; i < special.size(); ++i)
      ASSERT_EQ(bits_of(y[i]), bits_of(exp_unit(special[i]))) << to_string(isa) << " x bits " << std::hex
                                                              << bits_of(special[i]);
    for (std::size_t off = 0; off < 4; ++off)
      for (std::size_t n = 0; n <= 40; ++n) {
        std::vector<float> out(n + 1, 7.0f);  // the element past the end must stay untouched
        exp_unit_batch(special.data() + off, out.data(), n);
        for (std::size_t i = 0; i < n; ++i)
          ASSERT_EQ(bits_of(out[i]), bits_of(exp_unit(special[off + i]))) << to_string(isa) << " n " << n;
        ASSERT_EQ(out[n], 7.0f) << to_string(isa) << " wrote past n = " << n;
      }
  }
}

TEST(KernelIsa, SelectionIsValidatedAndRestored) {
  EXPECT_TRUE(kernel_isa_supported(KernelIsa::kSpec));
  EXPECT_TRUE(kernel_isa_supported(KernelIsa::kBaseline));
  EXPECT_EQ(kernel_isa(), best_kernel_isa());
  EXPECT_NE(best_kernel_isa(), KernelIsa::kSpec);
  {
    tb::KernelIsaScope scope(KernelIsa::kSpec);
    EXPECT_EQ(kernel_isa(), KernelIsa::kSpec);
  }
  EXPECT_EQ(kernel_isa(), best_kernel_isa());
  for (KernelIsa isa : {KernelIsa::kAvx2, KernelIsa::kAvx512})
    if (!kernel_isa_supported(isa)) {
      EXPECT_THROW(set_kernel_isa(isa), std::invalid_argument);
      EXPECT_EQ(kernel_isa(), best_kernel_isa());
    }
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
