// The conv-output path: a hand-computed example, prefill vs decode order, and
// random cases against a double-precision reference.
#include <gtest/gtest.h>

#include <cmath>

#include "kernel_isa_guard.hpp"
#include "mambahw/golden/conv.hpp"
#include "mambahw/golden/exp_unit.hpp"
#include "mambahw/studies/synthetic.hpp"
#include "mambahw/tb/test_shapes.hpp"
#include "mambahw/tb/ulp.hpp"

namespace mambahw {
namespace {

using tb::ulp_distance;

ConvLayer one_channel(std::vector<std::int8_t> w, std::int8_t bias, ConvSegmentScales s) {
  ConvLayer l;
  l.channels = 1;
  l.width = static_cast<int>(w.size());
  l.w = std::move(w);
  l.bias = {bias};
  l.segment_end = {1};
  l.segment_scales = {s};
  return l;
}

// w = [1,2,3,4], x window = [5,-6,7,8]: acc = 5 - 12 + 21 + 32 = 46.
// scale_in = 0.5*0.25 = 0.125, bias = 3*0.5 = 1.5 (all exact), y = 7.25 in
// both orders (every partial result is exact). SiLU(7.25) = 7.25/(1+e^-7.25)
// = 7.2448..., so with scale 0.1: 72.448 -> 72; with scale 0.05: 144.9 -> 127.
TEST(Conv, HandComputedExample) {
  const ConvLayer l = one_channel({1, 2, 3, 4}, 3, {0.5f, 0.25f, 0.5f});
  const ConvChannelConsts c = channel_consts(l, 0, Denormals::kPreserve);
  EXPECT_EQ(c.scale_in, 0.125f);
  EXPECT_EQ(c.bias, 1.5f);
  const std::int8_t x[] = {5, -6, 7, 8};
  EXPECT_EQ(conv_tap_sum(l.w.data(), x, 4), 46);
  EXPECT_EQ(conv_pre_activation(l.w.data(), x, 4, c, ConvOrder::kPrefill, Denormals::kPreserve), 7.25f);
  EXPECT_EQ(conv_pre_activation(l.w.data(), x, 4, c, ConvOrder::kDecode, Denormals::kPreserve), 7.25f);

  Int8Tensor in({1, 4});
  for (int t = 0; t < 4; ++t) in(0, t) = x[t];
  const FloatTensor y = conv1d_silu(in, l, ConvOrder::kPrefill, NumericsPolicy{});
  const double silu_ref = 7.25 / (1.0 + std::exp(-7.25));
  EXPECT_NEAR(y(0, 3), silu_ref, 2e-6);
  const float s01[] = {0.1f}, s005[] = {0.05f};
  EXPECT_EQ(quantize_per_channel(y, s01, NumericsPolicy{})(0, 3), 72);
  EXPECT_EQ(quantize_per_channel(y, s005, NumericsPolicy{})(0, 3), 127);
  // Causality: t = 0 sees only the newest tap: y = 0.125*4*5 + 1.5 = 4.
  EXPECT_NEAR(y(0, 0), 4.0 / (1.0 + std::exp(-4.0)), 1e-6);
  // t = 1: taps 3,4 on x0,x1: 3*5 + 4*(-6) = -9 -> 0.125*-9 + 1.5 = 0.375.
  EXPECT_NEAR(y(0, 1), 0.375 / (1.0 + std::exp(-0.375)), 1e-7);
}

TEST(Conv, WidthTwoAndThree) {
  for (int width : {2, 3}) {
    std::vector<std::int8_t> w(static_cast<std::size_t>(width), 2);
    const ConvLayer l = one_channel(w, 0, {1.0f, 1.0f, 1.0f});
    Int8Tensor in({1, 5}, 1);
    const FloatTensor y = conv1d_silu(in, l, ConvOrder::kPrefill, NumericsPolicy{});
    for (int t = 0; t < 5; ++t) {
      const double pre = 2.0 * std::min(t + 1, width);
      EXPECT_NEAR(y(0, t), pre / (1.0 + std::exp(-pre)), 1e-5);
    }
  }
}

double silu_d(double y) { return y / (1.0 + std::exp(-y)); }

// Random layers against a double-precision reference of the same math:
// pre = sw*sx*acc + sb*b (the FP32 scales taken as exact), silu in double,
// q = round-half-away(silu / s_out), saturated. The golden path rounds at
// scale_in, fma, exp (<1 ulp), 1+e, the division and the reciprocal multiply:
// a relative error below 8 FP32 ulps of the scaled value. Codes must agree
// exactly except where the exact scaled value lies within that window of a
// rounding boundary k + 1/2; those are counted and bounded.
TEST(Conv, MatchesDoubleReferenceExceptNearBoundaries) {
  Rng rng(42);
  const NumericsPolicy p;
  std::int64_t total = 0, near_boundary = 0, mismatches = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const ConvSegmentScales sc{static_cast<float>(0.001 + 0.01 * rng.uniform()),
                               static_cast<float>(0.005 + 0.05 * rng.uniform()),
                               static_cast<float>(0.001 + 0.01 * rng.uniform())};
    std::vector<std::int8_t> w(4);
    for (auto& v : w) v = static_cast<std::int8_t>(static_cast<int>(rng.below(256)) - 128);
    const auto bias = static_cast<std::int8_t>(static_cast<int>(rng.below(256)) - 128);
    const ConvLayer l = one_channel(w, bias, sc);
    const int len = 256;
    Int8Tensor in({1, static_cast<std::size_t>(len)});
    for (int t = 0; t < len; ++t) in(0, t) = static_cast<std::int8_t>(static_cast<int>(rng.below(256)) - 128);
    const float s_out = static_cast<float>(0.005 + 0.05 * rng.uniform());
    const float scales[] = {s_out};
    const Int8Tensor q = quantize_per_channel(conv1d_silu(in, l, ConvOrder::kPrefill, p), scales, p);
    for (int t = 0; t < len; ++t) {
      double acc = 0.0;
      for (int k = 0; k < 4; ++k) {
        const int src = t - 3 + k;
        acc += src < 0 ? 0.0 : static_cast<double>(w[k]) * in(0, src);
      }
      const double pre = static_cast<double>(sc.w) * sc.x * acc + static_cast<double>(sc.b) * bias;
      const double v = silu_d(pre) / s_out;
      const double want = std::clamp(std::round(v), -128.0, 127.0);
      const double frac = std::fabs(v - std::trunc(v));
      const double window = 8.0 * std::ldexp(1.0, std::ilogb(v == 0 ? 1.0 : v) - 23);
      const bool near = std::fabs(frac - 0.5) <= window;
      near_boundary += near;
      if (q(0, t) != static_cast<int>(want)) {
        ++mismatches;
        EXPECT_TRUE(near) << "mismatch away from a rounding boundary: v = " << v;
      }
      ++total;
    }
  }
  EXPECT_EQ(total, 400 * 256);
  EXPECT_LE(near_boundary, total / 1000);  // the window is tiny: a few in 10^5 expected
  EXPECT_LE(mismatches, near_boundary);
  std::printf("conv vs double: %lld elements, %lld within the boundary window, %lld code mismatches\n",
              static_cast<long long>(total), static_cast<long long>(near_boundary),
              static_cast<long long>(mismatches));
}

// The GPU's decode kernel rounds every tap product; prefill rounds once.
// They may differ by one code, never more.
TEST(Conv, DecodeOrderDiffersFromPrefillByAtMostOneCode) {
  Rng rng(3);
  for (int trial = 0; trial < 300; ++trial) {
    const ConvSegmentScales sc{static_cast<float>(0.001 + 0.01 * rng.uniform()),
                               static_cast<float>(0.005 + 0.05 * rng.uniform()),
                               static_cast<float>(0.001 + 0.01 * rng.uniform())};
    std::vector<std::int8_t> w(4);
    for (auto& v : w) v = static_cast<std::int8_t>(static_cast<int>(rng.below(256)) - 128);
    const ConvLayer l = one_channel(w, static_cast<std::int8_t>(rng.below(256) - 128), sc);
    Int8Tensor in({1, 512});
    for (auto& v : in.vec()) v = static_cast<std::int8_t>(static_cast<int>(rng.below(256)) - 128);
    const float scales[] = {static_cast<float>(0.002 + 0.02 * rng.uniform())};
    const NumericsPolicy p;
    const Int8Tensor a = quantize_per_channel(conv1d_silu(in, l, ConvOrder::kPrefill, p), scales, p);
    const Int8Tensor b = quantize_per_channel(conv1d_silu(in, l, ConvOrder::kDecode, p), scales, p);
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_LE(std::abs(a(i) - b(i)), 1);
  }
}

// A pinned element where the two orders give different codes (found by a
// search, then derived here independently):
//   acc = (-22)(-91) + (-123)(-30) + (-60)(114) + (20)(-124) = -3628.
//   Prefill: y = fp32(scale_in*acc + bias), the exact value formed in double
//   (36-bit product plus a nearby-exponent addend: exact), rounded once.
//   Decode: y = bias; y = fma(fp32(scale_in*w_k), x_k, y) per tap, written out
//   below. The two differ by 2 ulp; silu(y)/s_out in double then lies on
//   either side of the tie -17.5, so the codes are -18 and -17.
TEST(Conv, PinnedPrefillDecodeDifference) {
  const ConvSegmentScales sc{0x1.e6628cp-9f, 0x1.81fe98p-5f, 0x1.629bc4p-7f};
  const std::int8_t bias = 30;
  const std::int8_t w[] = {-22, -123, -60, 20}, x[] = {-91, -30, 114, -124};
  const float s_out = 0x1.eaced4p-8f;
  const ConvLayer l = one_channel({w, w + 4}, bias, sc);
  const ConvChannelConsts c = channel_consts(l, 0, Denormals::kPreserve);
  ASSERT_EQ(c.scale_in, static_cast<float>(static_cast<double>(sc.w) * sc.x));
  ASSERT_EQ(c.bias, static_cast<float>(30.0 * static_cast<double>(sc.b)));
  ASSERT_EQ(conv_tap_sum(w, x, 4), -3628);

  const auto y_prefill_ref = static_cast<float>(static_cast<double>(c.scale_in) * -3628.0 + c.bias);
  float y_decode_ref = c.bias;
  for (int k = 0; k < 4; ++k)
    y_decode_ref = std::fma(c.scale_in * static_cast<float>(w[k]), static_cast<float>(x[k]), y_decode_ref);
  const float y_prefill = conv_pre_activation(w, x, 4, c, ConvOrder::kPrefill, Denormals::kPreserve);
  const float y_decode = conv_pre_activation(w, x, 4, c, ConvOrder::kDecode, Denormals::kPreserve);
  EXPECT_EQ(bits_of(y_prefill), bits_of(y_prefill_ref));
  EXPECT_EQ(bits_of(y_decode), bits_of(y_decode_ref));
  EXPECT_EQ(ulp_distance(y_prefill, y_decode), 2);

  EXPECT_LT(silu_d(y_prefill) / s_out, -17.5);
  EXPECT_GT(silu_d(y_decode) / s_out, -17.5);
  const NumericsPolicy p;
  EXPECT_EQ(quantize(silu(y_prefill, p), s_out, reciprocal(s_out), p), -18);
  EXPECT_EQ(quantize(silu(y_decode, p), s_out, reciprocal(s_out), p), -17);
}

TEST(Conv, UncoveredChannelSaturatesBySign) {
  FloatTensor y({1, 4});
  y(0, 0) = 0.3f;
  y(0, 1) = -0.3f;
  y(0, 2) = 0.0f;
  y(0, 3) = -0.0f;
  const float zero_scale[] = {0.0f};
  const Int8Tensor q = quantize_per_channel(y, zero_scale, NumericsPolicy{});
  EXPECT_EQ(q(0, 0), 127);
  EXPECT_EQ(q(0, 1), -128);
  EXPECT_EQ(q(0, 2), 0);
  EXPECT_EQ(q(0, 3), 0);
}

TEST(Conv, SegmentsOfMamba2) {
  const ModelShape m = test::mamba2_shape(1536, 24, 64, 1, 128);
  EXPECT_EQ(m.conv_channels(), 1792);  // quamba-arithmetic.md §9
  EXPECT_EQ(m.in_proj_out(), 3352);
  EXPECT_EQ(conv_segment_ends(m), (std::vector<int>{1536, 1664, 1792}));
}

// conv1d_silu's fast path on every variant (forced in turn) against the
// scalar specification (KernelIsa::kSpec: conv_pre_activation and silu per
// element), bit for bit: 19 channels, lengths that leave partial lane blocks
// (and one shorter than the window), widths 2..4, with and without bias, both
// SiLU divisions. The scales reach pre-activations past +-87 (exp_unit's
// out-of-range fallback: SiLU of a large negative input is -0).
TEST(Conv, EveryVariantBitIdenticalToSpecification) {
  Rng rng(53);
  for (int width : {2, 3, 4})
    for (std::size_t len : {std::size_t{2}, std::size_t{37}, std::size_t{300}})
      for (bool bias : {true, false}) {
        ConvLayer l;
        l.channels = 19;
        l.width = width;
        for (int i = 0; i < l.channels * width; ++i) l.w.push_back(static_cast<std::int8_t>(rng.below(256) - 128));
        if (bias)
          for (int c = 0; c < l.channels; ++c) l.bias.push_back(static_cast<std::int8_t>(rng.below(256) - 128));
        l.segment_end = {7, 19};
        l.segment_scales = {{0.002f, 0.05f, 0.01f}, {0.05f, 0.25f, 0.5f}};  // |pre| up to ~1.6 and ~800
        Int8Tensor x({static_cast<std::size_t>(l.channels), len});
        for (auto& v : x.vec()) v = static_cast<std::int8_t>(rng.below(256) - 128);
        for (QuantizeOp div : {QuantizeOp::kDivide, QuantizeOp::kMultiplyReciprocal}) {
          NumericsPolicy p;
          p.silu_division = div;
          tb::expect_every_variant_matches_spec([&] { return conv1d_silu(x, l, ConvOrder::kPrefill, p); },
                                                "width " + std::to_string(width) + " len " + std::to_string(len));
        }
      }
}

// conv1d_silu_quantize (each row quantized while in L1) against the two-call
// form under the scalar specification (KernelIsa::kSpec: conv_pre_activation,
// silu and quantize per element), on every variant, bit for bit: y and the
// codes, both orders, both SiLU divisions, two roundings, scales that saturate
// some codes; a second call into the same tensors reuses their storage.
// conv1d_silu_quantize_channels writes only its channels' rows.
TEST(Conv, FusedQuantizeEqualsTwoCallsOnEveryVariant) {
  Rng rng(59);
  ConvLayer l;
  l.channels = 21;
  l.width = 4;
  for (int i = 0; i < l.channels * l.width; ++i) l.w.push_back(static_cast<std::int8_t>(rng.below(256) - 128));
  for (int c = 0; c < l.channels; ++c) l.bias.push_back(static_cast<std::int8_t>(rng.below(256) - 128));
  l.segment_end = {9, 21};
  l.segment_scales = {{0.002f, 0.05f, 0.01f}, {0.05f, 0.25f, 0.5f}};
  const std::size_t len = 45;  // partial lane blocks for every W
  Int8Tensor x({static_cast<std::size_t>(l.channels), len});
  for (auto& v : x.vec()) v = static_cast<std::int8_t>(rng.below(256) - 128);
  std::vector<float> scales;
  for (int c = 0; c < l.channels; ++c) scales.push_back(c % 3 == 0 ? 0.004f : 0.02f + 0.01f * static_cast<float>(c % 5));
  for (ConvOrder order : {ConvOrder::kPrefill, ConvOrder::kDecode})
    for (QuantizeOp div : {QuantizeOp::kDivide, QuantizeOp::kMultiplyReciprocal})
      for (Rounding rnd : {Rounding::kHalfAwayFromZero, Rounding::kHalfToEven}) {
        NumericsPolicy p;
        p.silu_division = div;
        p.rounding = rnd;
        FloatTensor y_spec;
        Int8Tensor q_spec;
        {
          tb::KernelIsaScope scope(KernelIsa::kSpec);
          y_spec = conv1d_silu(x, l, order, p);
          q_spec = quantize_per_channel(y_spec, scales, p);
        }
        int saturated = 0;
        for (std::int8_t q : q_spec.vec()) saturated += q == 127 || q == -128;
        ASSERT_GT(saturated, 0);  // the clamp is exercised
        std::vector<KernelIsa> isas = tb::vector_isas();
        isas.push_back(KernelIsa::kSpec);
        for (KernelIsa isa : isas) {
          tb::KernelIsaScope scope(isa);
          const std::string what = std::string(to_string(isa)) + " " + std::string(to_string(order));
          FloatTensor y;
          Int8Tensor q;
          for (int call = 0; call < 2; ++call) {
            const float* storage = y.data();
            conv1d_silu_quantize(x, l, order, p, scales, y, q);
            if (call == 1) {
              EXPECT_EQ(y.data(), storage) << what;  // the second call reuses the output's storage
            }
            ASSERT_EQ(y.size(), y_spec.size());
            ASSERT_EQ(q.vec(), q_spec.vec()) << what;
            for (std::size_t i = 0; i < y.size(); ++i) ASSERT_EQ(bits_of(y(i)), bits_of(y_spec(i))) << what << " " << i;
          }
          FloatTensor yc({x.dim(0), len}, 7.0f);
          Int8Tensor qc({x.dim(0), len}, std::int8_t{99});
          conv1d_silu_quantize_channels(x, l, order, p, scales, 5, 12, yc, qc);
          for (std::size_t c = 0; c < x.dim(0); ++c)
            for (std::size_t t = 0; t < len; ++t) {
              const bool mine = c >= 5 && c < 12;
              ASSERT_EQ(bits_of(yc(c, t)), bits_of(mine ? y_spec(c, t) : 7.0f)) << what << " c " << c;
              ASSERT_EQ(qc(c, t), mine ? q_spec(c, t) : 99) << what << " c " << c;
            }
        }
      }
}

}  // namespace
}  // namespace mambahw
