// Observers and scale rules against hand-computed values.
#include <gtest/gtest.h>

#include <array>
#include <limits>
#include <numeric>
#include <vector>

#include "mambahw/golden/calibration.hpp"
#include "mambahw/studies/conv_out_study.hpp"
#include "mambahw/studies/synthetic.hpp"
#include "mambahw/tb/test_shapes.hpp"

namespace mambahw {
namespace {

TEST(Quantile, LinearInterpolationLikeTorch) {
  const std::vector<float> v = {4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(quantile_linear(v, 0.5), 2.5);   // pos 1.5 between 2 and 3
  EXPECT_DOUBLE_EQ(quantile_linear(v, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(quantile_linear(v, 1.0), 4.0);
  std::vector<float> ten(10);
  std::iota(ten.begin(), ten.end(), 0.0f);
  EXPECT_NEAR(quantile_linear(ten, 0.9995), 8.9955, 1e-12);  // pos 8.9955
  EXPECT_DOUBLE_EQ(quantile_linear(std::vector<float>{7}, 0.3), 7.0);
}

TEST(Observers, PercentileEmaAndMinMax) {
  std::vector<float> b1(10), b2(10);
  std::iota(b1.begin(), b1.end(), 0.0f);
  std::iota(b2.begin(), b2.end(), 10.0f);
  for (float& v : b2) v = -v;  // observers use |x|
  PercentileObserver p(0.5, 0.01);
  p.observe(b1);
  EXPECT_DOUBLE_EQ(p.value(), 4.5);
  p.observe(b2);
  EXPECT_DOUBLE_EQ(p.value(), 4.5 + 0.01 * (14.5 - 4.5));  // 4.6
  EXPECT_EQ(p.scale(), static_cast<float>(4.6 / 127.0));
  MinMaxObserver m;
  m.observe(b1);
  m.observe(b2);
  EXPECT_EQ(m.absmax(), 19.0);
  EXPECT_EQ(m.scale(), static_cast<float>(19.0 / 127.0));
  MinMaxObserver zero;
  zero.observe(std::vector<float>{0, 0});
  EXPECT_EQ(zero.scale(), static_cast<float>(1e-6));  // 1e-5/127 < 1e-6 floor
}

// The min-max observer skips NaNs and finds the largest |x| wherever it sits
// (every position of a 21-value batch, below, at and past a multiple of 8),
// an infinity included.
TEST(Calibration, MinMaxFindsTheLargestMagnitudeAnywhereAndSkipsNan) {
  for (std::size_t at = 0; at < 21; ++at) {
    std::vector<float> b(21, -0.5f);
    b[(at + 3) % 21] = std::numeric_limits<float>::quiet_NaN();
    b[at] = -7.25f;
    MinMaxObserver m;
    m.observe(b);
    EXPECT_EQ(m.absmax(), 7.25) << at;
  }
  MinMaxObserver nan_only, inf;
  nan_only.observe(std::vector<float>{std::numeric_limits<float>::quiet_NaN(), -0.0f});
  EXPECT_EQ(nan_only.absmax(), 0.0);
  inf.observe(std::vector<float>{1.0f, -std::numeric_limits<float>::infinity(), 2.0f});
  EXPECT_EQ(inf.absmax(), std::numeric_limits<double>::infinity());
}

// Each (head group, dim group) cell gets its own min-max scale.
TEST(Calibration, Quamba2CellsGetTheirOwnMax) {
  const ModelShape m = test::mamba2_shape(32, 4, 8, 1, 4);
  QuantScheme s;
  s.name = "q2";
  s.base = SchemeBase::kQuamba2;
  s.head_groups = 2;
  s.dim_groups = 2;
  s.conv_out_observer.kind = ObserverKind::kMinMax;
  FloatTensor y({40, 3}, 0.0f);
  // head h, dim d -> channel 8h + d; cell (hg = h/2, dg = d/4); put max 10*(cell+1) in each.
  for (int hg = 0; hg < 2; ++hg)
    for (int dg = 0; dg < 2; ++dg) y(static_cast<std::size_t>(16 * hg + 4 * dg + 1), 2) = 10.0f * static_cast<float>(2 * hg + dg + 1);
  for (int c = 32; c < 36; ++c) y(c, 0) = 1.27f;   // B
  for (int c = 36; c < 40; ++c) y(c, 1) = -2.54f;  // C
  const std::vector<FloatTensor> batches{y};
  const ConvOutQuantizer q = calibrate_conv_out(s, m, batches);
  ASSERT_TRUE(q.table);
  for (int cell = 0; cell < 4; ++cell)
    EXPECT_EQ(q.table->x_scales[cell], static_cast<float>(10.0 * (cell + 1) / 127.0)) << cell;
  EXPECT_EQ(q.table->b_scales[0], static_cast<float>(static_cast<double>(1.27f) / 127.0));
  EXPECT_EQ(q.table->c_scales[0], static_cast<float>(static_cast<double>(2.54f) / 127.0));
  EXPECT_EQ(q.int8_scales[8 * 3 + 5], q.table->x_scales[3]);  // head 3 dim 5 -> cell (1,1)
  EXPECT_EQ(q.int8_scales[33], q.table->b_scales[0]);
}

// W4A5-SE rule: scale1 = quantile(|y|, p) / 7; scale2 = max / (7 * scale1),
// clamped to [1, 15].
TEST(Calibration, DualScaleThresholdAndScale2) {
  const ModelShape m = test::mamba1_shape(1);
  QuantScheme s;
  s.name = "se";
  s.ssm_input = SsmInputFormat::kDualScale;
  s.dual.threshold_percentile = 0.5;
  s.conv_out_scale = 0.1f;
  FloatTensor y({1, 5});
  const float vals[] = {1, -2, 3, 4, 35};  // |y| median 3, max 35
  for (int t = 0; t < 5; ++t) y(0, t) = vals[t];
  const std::vector<FloatTensor> batches{y};
  ConvOutQuantizer q = calibrate_conv_out(s, m, batches);
  ASSERT_TRUE(q.dual);
  EXPECT_EQ(q.dual->scale1, static_cast<float>(3.0 / 7.0));
  EXPECT_EQ(q.dual->scale2, static_cast<float>(35.0 / (7.0 * static_cast<double>(static_cast<float>(3.0 / 7.0)))));
  EXPECT_EQ(q.int8_scales[0], 0.1f);
  y(0, 4) = 1000.0f;  // K would be 333: capped at 15
  q = calibrate_conv_out(s, m, std::vector<FloatTensor>{y});
  EXPECT_EQ(q.dual->scale2, 15.0f);
  s.dual.scale2_pow2 = true;
  y(0, 4) = 35.0f;  // K = 11.67 -> 16 > cap -> 8
  q = calibrate_conv_out(s, m, std::vector<FloatTensor>{y});
  EXPECT_EQ(q.dual->scale2, 8.0f);
}

TEST(Calibration, Quamba2OnMamba1IsRefused) {
  ModelShape m;
  m.name = "m1";
  QuantScheme s;
  s.name = "q2";
  s.base = SchemeBase::kQuamba2;
  EXPECT_THROW(calibrate_conv_out(s, m, {}), std::invalid_argument);
}

TEST(Synthetic, DeterministicAndWellShaped) {
  Rng a(5), b(5), c(6);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.next(), b.next());
  EXPECT_NE(Rng(5).next(), c.next());
  // Irwin-Hall(12) - 6: mean 0, variance 1, bounded by 6.
  Rng r(11);
  double sum = 0, sum2 = 0, maxabs = 0;
  const int n = 400000;
  for (int i = 0; i < n; ++i) {
    const double v = r.normal();
    sum += v;
    sum2 += v * v;
    maxabs = std::max(maxabs, std::fabs(v));
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sum2 / n, 1.0, 0.01);
  EXPECT_LE(maxabs, 6.0);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(r.below(7), 7u);
  EXPECT_NE(stream_seed(1, Stream::kActivations), stream_seed(1, Stream::kCalibration));
  // Outlier channels: about 2% of 5000 have a 2-6x spread.
  const FloatTensor x = synthetic_activations(5000, 64, 9);
  int wide = 0;
  for (int ch = 0; ch < 5000; ++ch) {
    double s2 = 0;
    for (int t = 0; t < 64; ++t) s2 += static_cast<double>(x(ch, t)) * x(ch, t);
    wide += std::sqrt(s2 / 64) > 1.7;
  }
  EXPECT_GT(wide, 50);
  EXPECT_LT(wide, 160);
}

// The study's statistics are those of the conv outputs it is given (the
// layer run's, in `mambahw run`), counted by hand: Mamba1, d_inner 2, 3
// tokens, INT8 scale 0.1 (half away from zero). y / 0.1 = 127.4 -> 127,
// 127.6 -> 128 (clips), -128.4 -> -128 (fits), -128.6 -> -129 (clips), 0,
// 5: two saturated of six. The codes are given as the quantizer made them;
// |y - dequant(code)| peaks at the clipped 12.76 - 12.7 = 0.06 and -12.86 +
// 12.8 = -0.06 (12.7 and -12.8 being 127 and -128 times 0.1 in FP32).
TEST(ConvOutStudy, CountsTheGivenConvOutputsByHand) {
  const ModelShape m = test::mamba1_shape(2);
  QuantScheme s;
  s.name = "hand";
  ConvOutQuantizer q;
  q.numerics = s.numerics;
  q.int8_scales = {0.1f, 0.1f};
  FloatTensor y({2, 3});
  const float v[6] = {12.74f, 12.76f, -12.84f, -12.86f, 0.0f, 0.5f};
  for (int i = 0; i < 6; ++i) y(static_cast<std::size_t>(i)) = v[i];
  Int8Tensor codes({2, 3});
  const std::int8_t c[6] = {127, 127, -128, -128, 0, 5};
  for (int i = 0; i < 6; ++i) codes(static_cast<std::size_t>(i)) = c[i];
  const std::array<ConvOutputs, 1> batches{ConvOutputs{y, codes}};
  const SchemeStudy r = study_conv_outputs(s, m, q, batches, "layer 0");
  EXPECT_EQ(r.source, "layer 0");
  EXPECT_TRUE(r.skipped.empty());
  EXPECT_EQ(r.int8_elements, 6);
  EXPECT_EQ(r.elements, 6);  // both channels are SSM-input channels
  EXPECT_EQ(r.int8_saturated, 2);
  EXPECT_FLOAT_EQ(r.scale_min, 0.1f);
  EXPECT_EQ(r.ssm_input_bits, 8);
  EXPECT_NEAR(r.int8_error.max_abs_err, 0.06, 1e-5);  // FP32 rounding of the inputs and of 127 x 0.1
  EXPECT_FLOAT_EQ(static_cast<float>(r.y.max), 12.76f);
  EXPECT_FLOAT_EQ(static_cast<float>(r.y.min), -12.86f);
  // Two batches: the counts add.
  const std::array<ConvOutputs, 2> twice{ConvOutputs{y, codes}, ConvOutputs{y, codes}};
  EXPECT_EQ(study_conv_outputs(s, m, q, twice, "layer 0").int8_saturated, 4);
  // A layer's quantizer also carries its mode-3 dual-scale format: an INT8
  // scheme is studied as INT8 (8 bits, nothing flagged, SSM input = INT8
  // error), a dual-scale scheme with the words (|12.74| / 0.1 > 7: flagged).
  q.dual = DualScaleFormat::make(4, true, 0.1f, 4.0f);
  const SchemeStudy as_int8 = study_conv_outputs(s, m, q, batches, "layer 0");
  EXPECT_EQ(as_int8.ssm_input_bits, 8);
  EXPECT_EQ(as_int8.flagged, 0);
  EXPECT_DOUBLE_EQ(as_int8.ssm_input_error.max_abs_err, as_int8.int8_error.max_abs_err);
  s.ssm_input = SsmInputFormat::kDualScale;
  const SchemeStudy as_dual = study_conv_outputs(s, m, q, batches, "layer 0");
  EXPECT_EQ(as_dual.ssm_input_bits, 5);
  EXPECT_EQ(as_dual.flagged, 4);  // 12.74, 12.76, -12.84, -12.86 are past 7 x 0.1
}

}  // namespace
}  // namespace mambahw
