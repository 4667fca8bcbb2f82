// GEMM array arithmetic: INT4 packing, exact accumulation (against an int64
// reference written here), INT32 saturation, and the requantization orders
// against hand-derived values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernel_isa_guard.hpp"
#include "mambahw/golden/gemm.hpp"
#include "mambahw/golden/threads.hpp"
#include "mambahw/studies/synthetic.hpp"

namespace mambahw {
namespace {

QuantWeights make_weights(const std::vector<std::int8_t>& codes, int out, int in, WeightPrecision p, int group,
                          std::vector<float> scales) {
  QuantWeights w;
  w.precision = p;
  w.out = out;
  w.in = in;
  w.group = group;
  w.scales = std::move(scales);
  for (int n = 0; n < out; ++n) {
    std::vector<std::int8_t> row(codes.begin() + n * in, codes.begin() + (n + 1) * in);
    if (p == WeightPrecision::kInt8) {
      for (auto c : row) w.packed.push_back(static_cast<std::uint8_t>(c));
    } else {
      auto b = pack_int4(row);
      w.packed.insert(w.packed.end(), b.begin(), b.end());
    }
  }
  return w;
}

TEST(Int4Packing, NibbleOrderLowFirstTwosComplement) {
  const std::vector<std::int8_t> codes{1, -1, 7, -8, 3};
  EXPECT_EQ(pack_int4(codes), (std::vector<std::uint8_t>{0xF1, 0x87, 0x03}));
}

TEST(Int4Packing, RoundTripsEveryPairOfCodes) {
  for (int a = -8; a <= 7; ++a)
    for (int b = -8; b <= 7; ++b) {
      const std::vector<std::int8_t> codes{static_cast<std::int8_t>(a), static_cast<std::int8_t>(b)};
      EXPECT_EQ(unpack_int4(pack_int4(codes), 2), codes);
    }
}

TEST(Gemm, AccumulatorsMatchInt64Reference) {
  Rng rng(7);
  for (auto p : {WeightPrecision::kInt8, WeightPrecision::kInt4}) {
    const int M = 5, out = 7, in = p == WeightPrecision::kInt4 ? 301 : 129, group = p == WeightPrecision::kInt4 ? 128 : 0;
    const int lim = p == WeightPrecision::kInt8 ? 128 : 8;
    std::vector<std::int8_t> wc(static_cast<std::size_t>(out * in));
    for (auto& c : wc) c = static_cast<std::int8_t>(static_cast<int>(rng.below(static_cast<std::uint64_t>(2 * lim))) - lim);
    Int8Tensor x({static_cast<std::size_t>(M), static_cast<std::size_t>(in)});
    for (auto& v : x.vec()) v = static_cast<std::int8_t>(static_cast<int>(rng.below(256)) - 128);
    const int G = group ? (in + group - 1) / group : 1;
    const QuantWeights w = make_weights(wc, out, in, p, group, std::vector<float>(static_cast<std::size_t>(out * G), 1.0f));
    const auto acc = gemm_accumulate(x, w);
    for (int m = 0; m < M; ++m)
      for (int n = 0; n < out; ++n)
        for (int g = 0; g < G; ++g) {
          std::int64_t ref = 0;
          const int k0 = g * (group ? group : in), k1 = group ? std::min(in, k0 + group) : in;
          for (int k = k0; k < k1; ++k) ref += x(static_cast<std::size_t>(m), static_cast<std::size_t>(k)) * wc[static_cast<std::size_t>(n * in + k)];
          EXPECT_EQ(acc[static_cast<std::size_t>((m * out + n) * G + g)], ref);
        }
  }
}

TEST(Gemm, Int32ExtremesExactThenSaturating) {
  auto run = [](int K, std::int8_t xv, std::int8_t wv, std::int64_t* sat) {
    Int8Tensor x({1, static_cast<std::size_t>(K)}, xv);
    const QuantWeights w = make_weights(std::vector<std::int8_t>(static_cast<std::size_t>(K), wv), 1, K,
                                        WeightPrecision::kInt8, 0, {1.0f});
    return gemm_accumulate(x, w, sat)[0];
  };
  std::int64_t sat = 0;
  EXPECT_EQ(run(131071, -128, -128, &sat), 2147467264);  // 131071 * 16384, the largest exact K
  EXPECT_EQ(sat, 0);
  EXPECT_EQ(run(131072, -128, -128, &sat), std::numeric_limits<std::int32_t>::max());  // 2^31 saturates
  EXPECT_EQ(sat, 1);
  EXPECT_EQ(run(140000, 127, -128, &sat), std::numeric_limits<std::int32_t>::min());  // -2275840000
  EXPECT_EQ(sat, 2);
  EXPECT_EQ(run(131072, -128, 127, &sat), -2130706432);  // fits: not saturated
  EXPECT_EQ(sat, 2);
}

// The accumulation under the specification (KernelIsa::kSpec, dot4) and
// under every vector variant the host runs (the pair kernels: pmaddwd over
// int16 pairs, register micro-tiles of 4 tokens), against an INT64 triple
// loop written here. The shapes reach every edge of the pair kernels: odd K
// (a last pair with a zero half), K below one pair, groups of odd length
// (INT4, group 5), out not a multiple of a micro-tile's channels nor of the
// 64-channel tile, token counts below the pair path's threshold (M = 1, the
// GEMV, runs dot4 on every variant), at it, and past it by a partial
// micro-tile.
struct GemmCase {
  int M, out, in, group;
  WeightPrecision p;
};

std::vector<std::int64_t> int64_accumulators(const Int8Tensor& x, const std::vector<std::int8_t>& wc, const GemmCase& c) {
  const int gsize = c.group ? c.group : c.in, G = (c.in + gsize - 1) / gsize;
  std::vector<std::int64_t> ref;
  for (int m = 0; m < c.M; ++m)
    for (int n = 0; n < c.out; ++n)
      for (int g = 0; g < G; ++g) {
        std::int64_t s = 0;
        for (int k = g * gsize; k < std::min(c.in, (g + 1) * gsize); ++k)
          s += static_cast<std::int64_t>(x(static_cast<std::size_t>(m), static_cast<std::size_t>(k))) *
               static_cast<std::int64_t>(wc[static_cast<std::size_t>(n * c.in + k)]);
        ref.push_back(s);
      }
  return ref;
}

// Codes: uniform over the precision's range, or (extreme) only its ends, so
// that pair sums of |-128 * -128| * 2 = 32768 (past int16) appear everywhere.
void expect_every_variant_accumulates(const GemmCase& c, bool extreme, Rng& rng) {
  const int wlo = c.p == WeightPrecision::kInt8 ? -128 : -8, whi = c.p == WeightPrecision::kInt8 ? 127 : 7;
  auto draw = [&](int lo, int hi) {
    if (extreme) return static_cast<std::int8_t>(rng.below(2) ? lo : hi);
    return static_cast<std::int8_t>(lo + static_cast<int>(rng.below(static_cast<std::uint64_t>(hi - lo + 1))));
  };
  std::vector<std::int8_t> wc(static_cast<std::size_t>(c.out * c.in));
  for (auto& v : wc) v = draw(wlo, whi);
  Int8Tensor x({static_cast<std::size_t>(c.M), static_cast<std::size_t>(c.in)});
  for (auto& v : x.vec()) v = draw(-128, 127);
  const int G = c.group ? (c.in + c.group - 1) / c.group : 1;
  const QuantWeights w = make_weights(wc, c.out, c.in, c.p, c.group, std::vector<float>(static_cast<std::size_t>(c.out * G), 1.0f));
  const std::vector<std::int64_t> ref = int64_accumulators(x, wc, c);
  std::vector<KernelIsa> isas{KernelIsa::kSpec};
  for (KernelIsa i : tb::vector_isas()) isas.push_back(i);
  for (KernelIsa isa : isas) {
    tb::KernelIsaScope scope(isa);
    std::int64_t sat = 0;
    const std::vector<std::int32_t> acc = gemm_accumulate(x, w, &sat);
    ASSERT_EQ(acc.size(), ref.size());
    EXPECT_EQ(sat, 0);
    for (std::size_t i = 0; i < acc.size(); ++i)
      ASSERT_EQ(acc[i], ref[i]) << to_string(isa) << " M " << c.M << " out " << c.out << " in " << c.in << " group "
                                << c.group << " " << to_string(c.p) << (extreme ? " extreme" : "") << " accumulator " << i;
  }
}

TEST(GemmPairs, EveryVariantMatchesInt64ReferenceOverAwkwardShapes) {
  Rng rng(31);
  for (int M : {1, 7, 8, 9, 13})
    for (int in : {1, 2, 3, 31, 33, 129, 301})
      for (int out : {1, 7, 65, 130}) {
        expect_every_variant_accumulates({M, out, in, 0, WeightPrecision::kInt8}, false, rng);
        expect_every_variant_accumulates({M, out, in, 0, WeightPrecision::kInt4}, false, rng);
        expect_every_variant_accumulates({M, out, in, 128, WeightPrecision::kInt4}, false, rng);
        expect_every_variant_accumulates({M, out, in, 5, WeightPrecision::kInt4}, false, rng);
      }
}

TEST(GemmPairs, EveryVariantExactAtExtremeCodes) {
  Rng rng(32);
  for (int M : {1, 9, 12})
    for (int in : {2, 33, 257, 768}) {
      expect_every_variant_accumulates({M, 70, in, 0, WeightPrecision::kInt8}, true, rng);
      expect_every_variant_accumulates({M, 70, in, 128, WeightPrecision::kInt4}, true, rng);
    }
  // The largest exact K through the pair kernels (M past their threshold):
  // 131071 products of -128 * -128 = 2^31 - 2^14 in every accumulator, no
  // partial sum past INT32 on the way; one more input takes the INT64
  // saturating path (Gemm.Int32ExtremesExactThenSaturating).
  const int K = 131071;
  Int8Tensor x({9, static_cast<std::size_t>(K)}, static_cast<std::int8_t>(-128));
  const QuantWeights w = make_weights(std::vector<std::int8_t>(static_cast<std::size_t>(2 * K), -128), 2, K,
                                      WeightPrecision::kInt8, 0, {1.0f, 1.0f});
  for (KernelIsa isa : tb::vector_isas()) {
    tb::KernelIsaScope scope(isa);
    std::int64_t sat = 0;
    for (std::int32_t a : gemm_accumulate(x, w, &sat)) ASSERT_EQ(a, 2147467264) << to_string(isa);
    EXPECT_EQ(sat, 0);
  }
}

// Saturation past 131071 inputs is the specification's on every variant
// (a group that long never takes the pair kernels), 9 tokens so that the
// pair path's token threshold is met.
TEST(GemmPairs, SaturationUnchangedOnEveryVariant) {
  for (KernelIsa isa : tb::vector_isas()) {
    tb::KernelIsaScope scope(isa);
    const int K = 131072;
    Int8Tensor x({9, static_cast<std::size_t>(K)}, static_cast<std::int8_t>(-128));
    const QuantWeights w = make_weights(std::vector<std::int8_t>(static_cast<std::size_t>(K), -128), 1, K,
                                        WeightPrecision::kInt8, 0, {1.0f});
    std::int64_t sat = 0;
    for (std::int32_t a : gemm_accumulate(x, w, &sat)) EXPECT_EQ(a, std::numeric_limits<std::int32_t>::max()) << to_string(isa);
    EXPECT_EQ(sat, 9) << to_string(isa);
  }
}

// The pair path's tiles and micro-tiles depend only on the shapes: the same
// accumulators on 1, 2 and 3 threads (here against the INT64 loop each time).
TEST(GemmPairs, ThreadCountDoesNotChangeAccumulators) {
  for (int threads : {1, 2, 3}) {
    const ThreadScope scope(threads);
    Rng rng(33);  // the same operands each time
    expect_every_variant_accumulates({37, 200, 300, 128, WeightPrecision::kInt4}, false, rng);
    expect_every_variant_accumulates({37, 200, 300, 0, WeightPrecision::kInt8}, false, rng);
  }
}

// gemm_int8_out on the specification (requant_int8 per output) and on every
// vector variant (a tile row's values through quantize_batch) against the
// requantization unit's functions applied here to INT64 accumulators of the
// test's own: codes and the clipped count, for both GEMM paths (fewer than 8
// tokens: dot4; from 8: the pair kernels), channel counts around the 64-wide
// tiles, per-channel INT8 and grouped INT4 weights, every rounding mode and
// requantization order, both denormal policies. Scales 0.5 / 1 / 1 make
// v = acc / 2: exact ties on every odd sum and clipping past |acc| 255;
// the tiny scale makes subnormal values.
TEST(GemmInt8Out, EveryVariantMatchesThePerOutputRequantization) {
  Rng rng(34);
  struct Scales {
    float act, weight, out;
  };
  for (const GemmCase c : {GemmCase{1, 65, 33, 0, WeightPrecision::kInt8}, GemmCase{9, 130, 40, 0, WeightPrecision::kInt8},
                           GemmCase{8, 63, 300, 128, WeightPrecision::kInt4}, GemmCase{13, 1, 7, 0, WeightPrecision::kInt8}})
    for (const Scales sc : {Scales{0.5f, 1.0f, 1.0f}, Scales{0.013f, 0.0071f, 0.05f}, Scales{1e-20f, 1e-20f, 1.0f}})
      for (Rounding r : {Rounding::kHalfToEven, Rounding::kHalfAwayFromZero, Rounding::kTowardZero})
        for (RequantOrder o : {RequantOrder::kActThenWeight, RequantOrder::kWeightThenAct, RequantOrder::kAlpha})
          for (Denormals d : {Denormals::kPreserve, Denormals::kFlushToZero}) {
            const int wlo = c.p == WeightPrecision::kInt8 ? -128 : -7, whi = c.p == WeightPrecision::kInt8 ? 127 : 7;
            std::vector<std::int8_t> wc(static_cast<std::size_t>(c.out * c.in));
            for (auto& v : wc) v = static_cast<std::int8_t>(wlo + static_cast<int>(rng.below(static_cast<std::uint64_t>(whi - wlo + 1))));
            Int8Tensor x({static_cast<std::size_t>(c.M), static_cast<std::size_t>(c.in)});
            for (auto& v : x.vec()) v = static_cast<std::int8_t>(static_cast<int>(rng.below(256)) - 128);
            const int G = c.group ? (c.in + c.group - 1) / c.group : 1;
            const QuantWeights w = make_weights(wc, c.out, c.in, c.p, c.group,
                                                std::vector<float>(static_cast<std::size_t>(c.out * G), sc.weight));
            const GemmScales s{sc.act, {sc.out}};
            const RequantPolicy p{o, r, d};
            const std::vector<std::int64_t> acc = int64_accumulators(x, wc, c);
            std::vector<std::int8_t> want;
            std::int64_t want_clipped = 0;
            for (std::size_t i = 0; i < acc.size(); i += static_cast<std::size_t>(G)) {
              std::vector<std::int32_t> a(acc.begin() + static_cast<std::ptrdiff_t>(i),
                                          acc.begin() + static_cast<std::ptrdiff_t>(i) + G);
              const int n = static_cast<int>(i / static_cast<std::size_t>(G)) % c.out;
              const float v = requant_value(a, w, n, s, p);
              want.push_back(requant_int8(v, p));
              if (rounds_out_of_range(v, r)) ++want_clipped;
            }
            std::vector<KernelIsa> isas{KernelIsa::kSpec};
            for (KernelIsa i : tb::vector_isas()) isas.push_back(i);
            for (KernelIsa isa : isas) {
              tb::KernelIsaScope scope(isa);
              std::int64_t clipped = 0;
              const Int8Tensor y = gemm_int8_out(x, w, s, p, &clipped);
              ASSERT_EQ(y.vec(), want) << to_string(isa) << " M " << c.M << " out " << c.out << " " << to_string(r)
                                       << " " << to_string(o) << " " << to_string(d) << " scales " << sc.act;
              EXPECT_EQ(clipped, want_clipped) << to_string(isa) << " scales " << sc.act;
            }
          }
  // The tie scales do reach ties and clipping (the case can fail).
  const QuantWeights w1 = make_weights({1}, 1, 1, WeightPrecision::kInt8, 0, {1.0f});
  Int8Tensor x1({2, 1});
  x1(0, 0) = 5;    // v = 2.5
  x1(1, 0) = 127;  // v = 63.5
  EXPECT_EQ(gemm_int8_out(x1, w1, {0.5f, {1.0f}}, {RequantOrder::kActThenWeight, Rounding::kHalfToEven}).vec(),
            (std::vector<std::int8_t>{2, 64}));
}

TEST(Gemm, RequantHandValuesAndTies) {
  const QuantWeights w = make_weights({5, 5}, 1, 2, WeightPrecision::kInt8, 0, {0.25f});
  Int8Tensor x({1, 2}, 1);  // acc = 10
  const GemmScales s{0.5f, {0.125f}};
  // a = 0.5/0.125 = 4; fp32(0.25 * 10) = 2.5; 4 * 2.5 = 10
  EXPECT_EQ(gemm_int8_out(x, w, s, {RequantOrder::kActThenWeight, Rounding::kHalfToEven})(0, 0), 10);
  // 0.25 * 10 * 0.5 / 1 = 1.25 ... use s_out = 1 and s_x = 1: v = 2.5 exactly -> tie
  const GemmScales tie{1.0f, {1.0f}};
  EXPECT_EQ(gemm_int8_out(x, w, tie, {RequantOrder::kActThenWeight, Rounding::kHalfToEven})(0, 0), 2);
  EXPECT_EQ(gemm_int8_out(x, w, tie, {RequantOrder::kAlpha, Rounding::kHalfAwayFromZero})(0, 0), 3);
  // saturation: 2.5 / 2^-6 = 160 -> 127
  const GemmScales big{1.0f, {0x1p-6f}};
  std::int64_t sat = 0;
  EXPECT_EQ(gemm_int8_out(x, w, big, {}, &sat)(0, 0), 127);
  EXPECT_EQ(sat, 1);
  // FP16 output: 2.5 exactly
  EXPECT_EQ(gemm_fp16_out(x, w, 1.0f, {})(0, 0), 2.5f);
}

TEST(Gemm, RequantOrdersAreTheDocumentedExpressions) {
  Rng rng(3);
  int differ = 0;
  for (int i = 0; i < 2000; ++i) {
    const auto acc = static_cast<std::int32_t>(rng.below(2000001)) - 1000000;
    const float sw = static_cast<float>(0.001 + rng.uniform() * 0.01);
    const float sx = static_cast<float>(0.01 + rng.uniform() * 0.1);
    const float so = static_cast<float>(0.5 + rng.uniform());
    const QuantWeights w = make_weights({1}, 1, 1, WeightPrecision::kInt8, 0, {sw});
    const GemmScales s{sx, {so}};
    const std::int32_t a1[1] = {acc};
    const auto fa = static_cast<float>(acc);
    const float v_aw = requant_value(a1, w, 0, s, {RequantOrder::kActThenWeight});
    const float v_wa = requant_value(a1, w, 0, s, {RequantOrder::kWeightThenAct});
    const float v_al = requant_value(a1, w, 0, s, {RequantOrder::kAlpha});
    const volatile float a = static_cast<float>(static_cast<double>(sx) / so);
    const volatile float b = static_cast<float>(static_cast<double>(sw) / so);
    const volatile float swx = sw * sx;
    const volatile float alpha = static_cast<float>(static_cast<double>(swx) / so);
    const volatile float t1 = sw * fa, t2 = fa * b;
    EXPECT_EQ(bits_of(v_aw), bits_of(a * t1));
    EXPECT_EQ(bits_of(v_wa), bits_of(t2 * sx));
    EXPECT_EQ(bits_of(v_al), bits_of(alpha * fa));
    differ += bits_of(v_aw) != bits_of(v_wa) || bits_of(v_aw) != bits_of(v_al);
  }
  EXPECT_GT(differ, 100);  // the order is observable, so it must be a policy
}

TEST(Gemm, PerGroupScalesFoldInGroupOrder) {
  // K = 4, groups of 2: acc0 = 3, acc1 = -5; y = fma(s1, -5, fma(s0, 3, 0)); v = (s_x/s_out) * y
  const QuantWeights w = make_weights({1, 2, -3, 1}, 1, 4, WeightPrecision::kInt4, 2, {0.5f, 0.25f});
  Int8Tensor x({1, 4});
  x(0, 0) = 1; x(0, 1) = 1; x(0, 2) = 2; x(0, 3) = 1;  // acc0 = 1 + 2 = 3; acc1 = -6 + 1 = -5
  EXPECT_EQ(gemm_fp32_out(x, w, 2.0f, {})(0, 0), 2.0f * (0.5f * 3 + 0.25f * -5));  // 2 * 0.25 = 0.5
}

TEST(Gemm, WeightQuantizationHandValues) {
  // Power-of-two scales make the ties exact: torch.round (half to even) decides.
  FloatTensor f({2, 3});
  f(0, 0) = 127.0f / 128; f(0, 1) = 2.5f / 128; f(0, 2) = -3.5f / 128;  // scale 2^-7
  f(1, 0) = -7.0f / 8;    f(1, 1) = 2.5f / 8;   f(1, 2) = 1.5f / 8;     // INT4 scale 2^-3
  const QuantWeights w8 = quantize_weights(f, WeightPrecision::kInt8, 0);
  EXPECT_EQ(w8.scales[0], 0x1p-7f);
  EXPECT_EQ(w8.at(0, 0), 127);
  EXPECT_EQ(w8.at(0, 1), 2);
  EXPECT_EQ(w8.at(0, 2), -4);
  const QuantWeights w4 = quantize_weights(f, WeightPrecision::kInt4, 0);
  EXPECT_EQ(w4.scales[1], 0.125f);
  EXPECT_EQ(w4.at(1, 0), -7);
  EXPECT_EQ(w4.at(1, 1), 2);
  EXPECT_EQ(w4.at(1, 2), 2);
  EXPECT_EQ(w4.row_bytes(), 2);
  EXPECT_EQ(dequantize_weights(w4)(1, 1), 0.25f);
}

}  // namespace
}  // namespace mambahw
