// Divide vs multiply-by-reciprocal, and the quantizer against an exact
// rational derivation in double.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernel_isa_guard.hpp"
#include "mambahw/golden/numerics.hpp"
#include "mambahw/studies/synthetic.hpp"

namespace mambahw {
namespace {

NumericsPolicy with_op(QuantizeOp op, Rounding r = Rounding::kHalfAwayFromZero) {
  NumericsPolicy p;
  p.quantize_op = op;
  p.rounding = r;
  return p;
}

// Pinned input where the two policies give different INT8 codes.
// scale = 0.1f = 0x1.99999ap-4, inv = fp32(1/scale) = 10 exactly.
// x = -0x1.94ccccp+3. In double (exact: 24x24-bit product), x*10 =
// -126.5 + 2^-18, exactly halfway between the FP32 neighbours -126.5 and
// -126.5 + 2^-17; round-to-nearest-even picks -126.5 (even significand), and
// half-away-from-zero then gives -127. The true quotient x/scale =
// -126.4999943..., 0.75 FP32 ulp above -126.5, rounds to -126.49999237 -> -126.
TEST(QuantizeOp, DivideAndReciprocalDisagreeOnPinnedInput) {
  const float scale = 0.1f;
  const float inv = reciprocal(scale);
  ASSERT_EQ(bits_of(scale), 0x3DCC'CCCDu);
  ASSERT_EQ(inv, 10.0f);
  const float x = -0x1.94ccccp+3f;
  const double exact_product = static_cast<double>(x) * 10.0;
  ASSERT_EQ(exact_product, -126.5 + 0x1p-18);  // the FP32 tie
  const double quotient = static_cast<double>(x) / static_cast<double>(scale);
  ASSERT_GT(quotient, -126.5 + 0x1p-18);       // past the tie toward zero
  EXPECT_EQ(quantize(x, scale, inv, with_op(QuantizeOp::kMultiplyReciprocal)), -127);
  EXPECT_EQ(quantize(x, scale, inv, with_op(QuantizeOp::kDivide)), -126);
  // Half-to-even agrees on -126 for both: -126.5 -> -126, -126.4999 -> -126.
  EXPECT_EQ(quantize(x, scale, inv, with_op(QuantizeOp::kMultiplyReciprocal, Rounding::kHalfToEven)), -126);
}

// Independent derivation: with the product/quotient rounded to FP32 by
// casting the double result (x*inv is exact in double; x/s is correctly
// rounded to double, and double->float of it equals the correctly rounded
// FP32 quotient except in double-rounding cases, which the check excludes).
TEST(QuantizeOp, MatchesDoubleDerivationOnRandomInputs) {
  Rng rng(7);
  int disagreements = 0;
  for (int i = 0; i < 200000; ++i) {
    const float scale = static_cast<float>(0.001 + rng.uniform() * 0.2);
    const float inv = reciprocal(scale);
    const float x = static_cast<float>((rng.uniform() * 2 - 1) * 150.0 * scale);
    const float prod = static_cast<float>(static_cast<double>(x) * inv);
    const double q = static_cast<double>(x) / scale;
    const float quot = static_cast<float>(q);
    const std::int32_t want_mul = static_cast<std::int32_t>(std::clamp(std::round(prod), -128.0f, 127.0f));
    ASSERT_EQ(quantize(x, scale, inv, with_op(QuantizeOp::kMultiplyReciprocal)), want_mul);
    // Skip quotients that sit on an FP32 rounding midpoint in double (double rounding).
    const double ulp = std::ldexp(1.0, std::ilogb(q) - 23);
    const double m = std::fmod(std::fabs(q), ulp) / ulp;
    if (std::fabs(m - 0.5) < 1e-6) continue;
    const std::int32_t want_div = static_cast<std::int32_t>(std::clamp(std::round(quot), -128.0f, 127.0f));
    ASSERT_EQ(quantize(x, scale, inv, with_op(QuantizeOp::kDivide)), want_div);
    disagreements += want_mul != want_div;
  }
  // Quamba notes: 0-13 disagreements per 4.2M; here only a handful at most.
  EXPECT_LT(disagreements, 200);
}

// The vectorised array quantizer against the scalar one, bit for bit, under
// every policy: a strided sweep of all FP32 bit patterns, the exact ties
// (k + 1/2) * scale around every code, and the specials. (The scalar quantizer
// is itself checked against libm and a double derivation above.)
TEST(QuantizeBatch, EqualsScalarUnderEveryPolicy) {
  for (float scale : {0.03f, 0.1f, 1.0f, 3.0f, 0x1p-20f}) {
    std::vector<float> x;
    for (std::uint64_t b = 0; b < (1ull << 32); b += 40009) x.push_back(float_of(static_cast<std::uint32_t>(b)));
    for (int k = -140; k <= 140; ++k) {
      const float tie = (static_cast<float>(k) + 0.5f) * scale;
      x.insert(x.end(), {tie, std::nextafter(tie, 0.0f), std::nextafter(tie, 1e30f), std::nextafter(tie, -1e30f)});
    }
    x.insert(x.end(), {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 0x1p-149f, -0x1p-149f, 1e30f, -1e30f});
    std::vector<std::int8_t> got(x.size());
    for (Rounding r : {Rounding::kHalfAwayFromZero, Rounding::kHalfToEven, Rounding::kTowardZero})
      for (QuantizeOp op : {QuantizeOp::kMultiplyReciprocal, QuantizeOp::kDivide})
        for (Overflow o : {Overflow::kSaturate, Overflow::kWrap})
          for (Denormals d : {Denormals::kPreserve, Denormals::kFlushToZero})
            for (CodeRange range : {kInt8Range, CodeRange::symmetric_bits(8), CodeRange::signed_bits(4)}) {
              NumericsPolicy p = with_op(op, r);
              p.overflow = o;
              p.denormals = d;
              const float inv = reciprocal(scale);
              quantize_batch(x.data(), scale, inv, got.data(), x.size(), p, range);
              for (std::size_t i = 0; i < x.size(); ++i)
                ASSERT_EQ(got[i], quantize(x[i], scale, inv, p, range))
                    << "x " << std::hexfloat << x[i] << " scale " << scale << " " << to_string(r) << " "
                    << to_string(op) << " bits " << range.bits;
            }
  }
}

// Every fast-path variant (forced in turn) against the scalar quantizer:
// ties and their neighbours, specials, a strided sweep of bit patterns, every
// rounding, both operations, three code ranges, and lengths 0..40 (partial
// lane blocks).
TEST(QuantizeBatch, EveryVariantEqualsScalar) {
  const float scale = 0.1f, inv = reciprocal(scale);
  std::vector<float> x;
  for (std::uint64_t b = 0; b < (1ull << 32); b += 999983) x.push_back(float_of(static_cast<std::uint32_t>(b)));
  for (int k = -140; k <= 140; ++k) {
    const float tie = (static_cast<float>(k) + 0.5f) * scale;
    x.insert(x.end(), {tie, std::nextafter(tie, 0.0f), std::nextafter(tie, 1e30f)});
  }
  x.insert(x.end(), {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 0x1p-149f, -0x1p-149f, 1e30f, -1e30f,
                     0x1p23f, 0x1.fffffep22f, 0x1p24f, 8388607.5f * scale});
  for (KernelIsa isa : tb::vector_isas()) {
    tb::KernelIsaScope scope(isa);
    for (Rounding r : {Rounding::kHalfAwayFromZero, Rounding::kHalfToEven, Rounding::kTowardZero})
      for (QuantizeOp op : {QuantizeOp::kMultiplyReciprocal, QuantizeOp::kDivide})
        for (CodeRange range : {kInt8Range, CodeRange::symmetric_bits(8), CodeRange::signed_bits(4)}) {
          const NumericsPolicy p = with_op(op, r);
          std::vector<std::int8_t> got(x.size());
          quantize_batch(x.data(), scale, inv, got.data(), x.size(), p, range);
          for (std::size_t i = 0; i < x.size(); ++i)
            ASSERT_EQ(got[i], quantize(x[i], scale, inv, p, range))
                << to_string(isa) << " x " << std::hexfloat << x[i] << " " << to_string(r) << " " << to_string(op);
          for (std::size_t n = 0; n <= 40; ++n) {
            std::vector<std::int8_t> out(n + 1, 99);
            quantize_batch(x.data() + x.size() - 41, scale, inv, out.data(), n, p, range);
            for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], quantize(x[x.size() - 41 + i], scale, inv, p, range));
            ASSERT_EQ(out[n], 99) << to_string(isa) << " wrote past n = " << n;
          }
        }
  }
}

}  // namespace
}  // namespace mambahw
