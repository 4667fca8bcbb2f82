// Exhaustive sweeps over all 2^32 FP32 bit patterns (ctest label: exhaustive).
#include <gtest/gtest.h>

#include <vector>

#include <cmath>
#include <cstring>

#include "mambahw/golden/exp_unit.hpp"
#include "mambahw/golden/numerics.hpp"
#include "mambahw/golden/sm90.hpp"
#include "mambahw/golden/ssm.hpp"
#include "mambahw/golden/units.hpp"
#include "kernel_isa_guard.hpp"

namespace mambahw {
namespace {

TEST(Exhaustive, Fp16ConversionAgreesWithCompiler) {
  for (std::uint64_t b = 0; b <= 0xFFFF'FFFFull; ++b) {
    const float x = float_of(static_cast<std::uint32_t>(b));
    if (std::isnan(x)) continue;
    const _Float16 h = static_cast<_Float16>(x);
    std::uint16_t want;
    std::memcpy(&want, &h, 2);
    ASSERT_EQ(fp32_to_fp16(x), want) << std::hex << b;
  }
}

TEST(Exhaustive, RoundingAgreesWithLibm) {
  for (std::uint64_t b = 0; b <= 0xFFFF'FFFFull; ++b) {
    const float x = float_of(static_cast<std::uint32_t>(b));
    if (std::isnan(x)) continue;
    ASSERT_EQ(bits_of(round_to_integral(x, Rounding::kHalfAwayFromZero)), bits_of(std::round(x)));
    ASSERT_EQ(bits_of(round_to_integral(x, Rounding::kHalfToEven)), bits_of(std::nearbyint(x)));
    ASSERT_EQ(bits_of(round_to_integral(x, Rounding::kTowardZero)), bits_of(std::trunc(x)));
  }
}

// Max error of the exp unit over every finite input with a finite, nonzero
// result, in ulps of the correctly rounded result (double reference).
TEST(Exhaustive, ExpUnitIsFaithful) {
  double max_ulp = 0.0;
  std::uint32_t worst = 0;
  std::int64_t n = 0, not_correctly_rounded = 0;
  for (std::uint64_t b = 0; b <= 0xFFFF'FFFFull; ++b) {
    const float x = float_of(static_cast<std::uint32_t>(b));
    if (!(x > -104.0f && x < 89.0f)) continue;
    const double ref = std::exp(static_cast<double>(x));
    if (std::isinf(static_cast<float>(ref))) continue;
    const float got = exp_unit(x);
    int e;
    std::frexp(ref, &e);
    const double ulp = std::ldexp(1.0, std::max(e - 24, -149));
    const double err = std::fabs(static_cast<double>(got) - ref) / ulp;
    if (err > max_ulp) max_ulp = err, worst = static_cast<std::uint32_t>(b);
    not_correctly_rounded += got != static_cast<float>(ref);
    ++n;
  }
  std::printf("exp_unit: %lld inputs, max error %.4f ulp at x = %a, %.3f%% not correctly rounded\n",
              static_cast<long long>(n), max_ulp, static_cast<double>(float_of(worst)),
              100.0 * static_cast<double>(not_correctly_rounded) / static_cast<double>(n));
  EXPECT_LT(max_ulp, 1.0);
}

// The vectorised array forms against their scalar definitions on every input.
// Each block of 2^16 consecutive bit patterns is checked at once.
template <class BatchFn, class ScalarEq>
std::uint64_t count_batch_mismatches(BatchFn batch, ScalarEq equal_at) {
  constexpr std::size_t kBlock = 1 << 16;
  std::vector<float> x(kBlock);
  std::uint64_t mismatches = 0;
  for (std::uint64_t base = 0; base < (1ull << 32); base += kBlock) {
    for (std::size_t i = 0; i < kBlock; ++i) x[i] = float_of(static_cast<std::uint32_t>(base + i));
    batch(x);
    for (std::size_t i = 0; i < kBlock; ++i) mismatches += !equal_at(x, i);
  }
  return mismatches;
}

// On every fast-path variant the host runs (kernel_isa.hpp).
TEST(Exhaustive, QuantizeBatchEqualsScalar) {
  const float scale = 0.1f, inv = reciprocal(scale);
  std::vector<std::int8_t> q(1 << 16);
  for (KernelIsa isa : tb::vector_isas())
    for (Rounding r : {Rounding::kHalfAwayFromZero, Rounding::kHalfToEven, Rounding::kTowardZero})
      for (QuantizeOp op : {QuantizeOp::kMultiplyReciprocal, QuantizeOp::kDivide}) {
        tb::KernelIsaScope scope(isa);
        NumericsPolicy p;
        p.rounding = r;
        p.quantize_op = op;
        const std::uint64_t mismatches = count_batch_mismatches(
            [&](const std::vector<float>& x) { quantize_batch(x.data(), scale, inv, q.data(), x.size(), p); },
            [&](const std::vector<float>& x, std::size_t i) { return q[i] == quantize(x[i], scale, inv, p); });
        EXPECT_EQ(mismatches, 0u) << to_string(isa) << " " << to_string(r) << " " << to_string(op);
      }
}

// A float -> float array form against its scalar function, bit for bit.
template <class BatchFn, class ScalarFn>
std::uint64_t unary_batch_mismatches(BatchFn batch, ScalarFn scalar) {
  std::vector<float> y(1 << 16);
  return count_batch_mismatches([&](const std::vector<float>& x) { batch(x.data(), y.data(), x.size()); },
                                [&](const std::vector<float>& x, std::size_t i) {
                                  return bits_of(y[i]) == bits_of(scalar(x[i]));
                                });
}

// On every fast-path variant the host runs (kernel_isa.hpp).
TEST(Exhaustive, ExpUnitBatchEqualsScalar) {
  for (KernelIsa isa : tb::vector_isas()) {
    tb::KernelIsaScope scope(isa);
    EXPECT_EQ(unary_batch_mismatches([](const float* x, float* y, std::size_t n) { exp_unit_batch(x, y, n); },
                                     [](float x) { return exp_unit(x); }),
              0u)
        << to_string(isa);
  }
}

TEST(Exhaustive, Fp16RoundBatchEqualsScalar) {
  EXPECT_EQ(unary_batch_mismatches(fp16_round_batch, [](float x) { return fp16_to_fp32(fp32_to_fp16(x)); }), 0u);
}

TEST(Exhaustive, Log1pUnitBatchEqualsScalar) {
  for (KernelIsa isa : tb::vector_isas()) {
    tb::KernelIsaScope scope(isa);
    EXPECT_EQ(unary_batch_mismatches([](const float* x, float* y, std::size_t n) { log1p_unit_batch(x, y, n); },
                                     [](float x) { return log1p_unit(x); }),
              0u)
        << to_string(isa);
  }
}

TEST(Exhaustive, SiluBatchEqualsScalar) {
  for (KernelIsa isa : tb::vector_isas())
    for (QuantizeOp div : {QuantizeOp::kDivide, QuantizeOp::kMultiplyReciprocal}) {
      tb::KernelIsaScope scope(isa);
      NumericsPolicy p;
      p.silu_division = div;
      EXPECT_EQ(unary_batch_mismatches([&](const float* x, float* y, std::size_t n) { silu_batch(x, y, n, p); },
                                       [&](float x) { return silu(x, p); }),
                0u)
          << to_string(isa) << " " << to_string(div);
    }
}

// Every table-based and sm90 unit variant's array form against its scalar form.
TEST(Exhaustive, UnitFamilyBatchEqualsScalar) {
  for (const ExpUnit u : {ExpUnit{ExpKind::kPwl, 16}, ExpUnit{ExpKind::kTableQuad, 6}, ExpUnit{ExpKind::kSm90, 0}})
    EXPECT_EQ(unary_batch_mismatches([&](const float* x, float* y, std::size_t n) { exp_unit_batch(u, x, y, n); },
                                     [&](float x) { return exp_unit(u, x); }),
              0u)
        << to_string(u);
  for (const Log1pUnit u :
       {Log1pUnit{Log1pKind::kPwl, 16}, Log1pUnit{Log1pKind::kTableQuad, 6}, Log1pUnit{Log1pKind::kSm90, 0}})
    EXPECT_EQ(unary_batch_mismatches([&](const float* x, float* y, std::size_t n) { log1p_unit_batch(u, x, y, n); },
                                     [&](float x) { return log1p_unit(u, x); }),
              0u)
        << to_string(u);
  for (const RecipUnit u :
       {RecipUnit{RecipKind::kPwl, 16}, RecipUnit{RecipKind::kTableQuad, 6}, RecipUnit{RecipKind::kSm90, 0}})
    EXPECT_EQ(unary_batch_mismatches([&](const float* x, float* y, std::size_t n) { reciprocal_unit_batch(u, x, y, n); },
                                     [&](float x) { return reciprocal_unit(u, x); }),
              0u)
        << to_string(u);
  EXPECT_EQ(unary_batch_mismatches(sm90_ex2_batch, sm90_ex2), 0u);
  EXPECT_EQ(unary_batch_mismatches(sm90_rcp_batch, sm90_rcp), 0u);
}
}  // namespace
}  // namespace mambahw
