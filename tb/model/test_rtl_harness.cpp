// The model's Verilated blocks through their lane harnesses
// (rtl/harness/*_lanes.sv, model/src/rtl_blocks.cpp): every element of a
// tile, at tile lengths around the lane count, gets the golden model's code,
// dual-scale word or value (golden/dual_scale.hpp, numerics.hpp: the
// specification, an independent producer), and a tile of n elements costs
// one instance n + 2 cycles, the blocks' two-stage latency (rtl/*.sv), the
// harness's own input register excluded.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "mambahw/golden/dequant.hpp"
#include "mambahw/golden/dual_scale.hpp"
#include "mambahw/golden/fp32.hpp"
#include "mambahw/golden/numerics.hpp"
#include "mambahw/model/rtl_blocks.hpp"
#include "mambahw/studies/synthetic.hpp"

namespace mambahw::model {
namespace {

constexpr Cycles kBlockLatency = 2;  // conv_out_quantizer.sv and ssm_dequant.sv: two registered stages

// Values with the cases the datapath branches on: signed zeros, subnormals,
// ties at the scale, infinities, a NaN, outliers past the inlier range.
std::vector<float> test_values(std::size_t n, Rng& rng) {
  const float specials[] = {0.0f, -0.0f, 1e-40f, -1e-41f, 0.5f, -2.5f, 1e30f, -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN(), 7.5f, -8.5f, 100.0f};
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = i % 3 == 0 ? specials[(i / 3) % std::size(specials)] : static_cast<float>(3.0 * rng.normal());
  return v;
}

TEST(RtlHarness, QuantizerLanesGiveGoldensCodesAndOneInstancesCycles) {
  Rng rng(21);
  const NumericsPolicy p{Rounding::kHalfAwayFromZero, QuantizeOp::kMultiplyReciprocal};
  const DualScaleFormat dual = DualScaleFormat::make(4, true, 0.25f, 6.0f);
  ConvOutQuantizerRtl rtl("sc_q_away");
  for (const std::size_t n : {1u, 2u, 3u, 4u, 5u, 7u, 8u, 9u, 13u, 64u, 1537u}) {
    const std::vector<float> x = test_values(n, rng);
    std::vector<float> scale(n), inv(n);
    for (std::size_t i = 0; i < n; ++i) {
      scale[i] = i % 2 ? 0.05f : 0.125f;
      inv[i] = inv_scale_register(scale[i], p);
    }
    std::vector<std::uint8_t> code(n, 0xAA);
    std::vector<std::uint16_t> se(n, 0xAAAA);
    EXPECT_EQ(rtl.run(x, inv, dual.inv_scale1, dual.inv_scale12, code, se), static_cast<Cycles>(n) + kBlockLatency) << n;
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_EQ(code[i], static_cast<std::uint8_t>(quantize(x[i], scale[i], inv[i], p, kInt8Range)))
          << "n " << n << " element " << i << " x " << x[i];
      ASSERT_EQ(se[i], pack_dual(quantize_dual(x[i], dual, p), dual.code_bits())) << "n " << n << " element " << i;
    }
  }
}

TEST(RtlHarness, DequantLanesGiveGoldensValuesAndOneInstancesCycles) {
  const DualScaleFormat dual = DualScaleFormat::make(4, true, 0.25f, 6.0f);
  SsmDequantRtl rtl("sc_dq4");
  for (const bool dual_words : {false, true})
    for (const std::size_t n : {1u, 3u, 4u, 5u, 8u, 11u, 257u}) {
      std::vector<std::uint16_t> word(n);
      std::vector<float> scale(n);
      for (std::size_t i = 0; i < n; ++i) {
        word[i] = static_cast<std::uint16_t>(dual_words ? (i * 7) % 32 : (i * 37) % 256);  // every flag/code, INT8 codes
        scale[i] = i % 4 == 3 ? 1e-39f : 0.01f * static_cast<float>(i % 5 + 1);             // subnormal scales too
      }
      std::vector<float> value(n, -1.0f);
      EXPECT_EQ(rtl.run(dual_words, word, scale, dual.scale1, dual.scale12, value),
                static_cast<Cycles>(n) + kBlockLatency)
          << n;
      for (std::size_t i = 0; i < n; ++i) {
        const float want = dual_words ? dequant_dual(unpack_dual(word[i], dual.code_bits()), dual, Denormals::kPreserve)
                                      : dequant(static_cast<std::int8_t>(word[i]), scale[i], Denormals::kPreserve);
        ASSERT_EQ(bits_of(value[i]), bits_of(want)) << (dual_words ? "dual" : "int8") << " n " << n << " element " << i;
      }
    }
}

}  // namespace
}  // namespace mambahw::model
