// The accelerator units' datapaths on small cases derived by hand.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "mambahw/model/totals.hpp"
#include "mambahw/golden/fp32.hpp"
#include "mambahw/golden/hadamard.hpp"
#include "mambahw/model/units.hpp"

namespace mambahw::model {
namespace {

// n = 4 (Sylvester), two tokens held channel-major: token 0 = (1, 2, 3, 4),
// token 1 = (1, 0, 0, 0). Stage 1 (bit 0): (3, -1, 7, -1); stage 2 (bit 1):
// (10, -2, -4, 0), the rows of H4 = [++++; +-+-; ++--; +--+] times x. Token 1
// gives column 0 of H4: all ones.
TEST(HadamardButterflies, FourPointTransformByHand) {
  std::vector<float> v{1, 1, 2, 0, 3, 0, 4, 0};  // v[c * 2 + k]
  hadamard_butterflies(v, 2, HadamardSize{1, 4}, Denormals::kPreserve);
  EXPECT_EQ(v, (std::vector<float>{10, 1, -2, 1, -4, 1, 0, 1}));
}

// The stage order shows in the rounding: output 0 is the sum of all four,
// x = (2^24, 1, -1, 0), ties to even. Bit 0 first: (x0 + x1) + (x2 + x3) =
// (2^24 + 1 -> 2^24) + (-1) = 2^24 - 1. Bit 1 first: (x0 + x2) + (x1 + x3) =
// (2^24 - 1) + 1 = 2^24.
TEST(HadamardButterflies, StageOrderByHand) {
  std::vector<float> a{0x1p24f, 1, -1, 0}, b = a;
  hadamard_butterflies(a, 1, HadamardSize{1, 4}, Denormals::kPreserve);
  hadamard_butterflies(b, 1, HadamardSize{1, 4}, Denormals::kPreserve, HadamardWiring::kStagesReversed);
  EXPECT_EQ(a[0], 0x1p24f - 1);
  EXPECT_EQ(b[0], 0x1p24f);
}

// n = 12 * 2 (base 12): the unit vectors come out as the columns of the
// transform (entries +-1 from golden's matrix definition), and random FP16
// tiles agree bit for bit with golden's per-token hadamard_fp32.
TEST(HadamardButterflies, Base12ColumnsAndGoldenOrder) {
  const HadamardSize s{12, 2};
  const int n = s.n(), T = n;
  std::vector<float> v(static_cast<std::size_t>(n * T), 0.0f);
  for (int k = 0; k < T; ++k) v[static_cast<std::size_t>(k * T + k)] = 1.0f;  // token k = e_k
  hadamard_butterflies(v, T, s, Denormals::kPreserve);
  for (int r = 0; r < n; ++r)
    for (int k = 0; k < T; ++k)
      ASSERT_EQ(v[static_cast<std::size_t>(r * T + k)], static_cast<float>(hadamard_entry(s, r, k))) << r << " " << k;
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0.0f, 100.0f);
  const int tokens = 5;
  std::vector<float> tile(static_cast<std::size_t>(n * tokens));
  for (float& x : tile) x = fp16_to_fp32(fp32_to_fp16(g(rng)));
  std::vector<float> unit = tile;
  hadamard_butterflies(unit, tokens, s, Denormals::kPreserve);
  for (int k = 0; k < tokens; ++k) {
    std::vector<float> tok(static_cast<std::size_t>(n));
    for (int c = 0; c < n; ++c) tok[static_cast<std::size_t>(c)] = tile[static_cast<std::size_t>(c * tokens + k)];
    hadamard_fp32(tok, s);
    for (int c = 0; c < n; ++c)
      ASSERT_EQ(bits_of(tok[static_cast<std::size_t>(c)]), bits_of(unit[static_cast<std::size_t>(c * tokens + k)]));
  }
}

}  // namespace
}  // namespace mambahw::model

namespace mambahw::model {
namespace {

// Whole-model totals from k simulated layers (model/totals.hpp), by hand:
// 2 of 24 layers, 3 sequences of 100 tokens, 5000 cycles at 1 GHz: scale
// 24 / 2 = 12, prefill 60,000 cycles = 60 us, 300 tokens / 60 us = 5 M
// tokens/s; decode 4 steps in 800 cycles: 200 x 12 = 2400 cycles per step,
// 3 tokens per step / 2.4 us = 1.25 M tokens/s; DRAM bytes x 12.
TEST(WholeModel, KLayersScaleToNLayerByHand) {
  LayerReport r;
  r.layers = 2;
  r.batch = 3;
  r.seq_len = 100;
  r.cycles = 5000;
  r.latency_ns = 5000;
  r.dram["w_in_proj"] = DramTraffic{1000, 0, 1};
  r.dram["x"] = DramTraffic{300, 200, 2};
  DecodeReport d;
  d.steps = 4;
  d.cycles = 800;
  d.latency_ns = 800;
  d.dram["w_in_proj"] = DramTraffic{400, 0, 1};
  r.decode = d;
  const WholeModel w = whole_model(r, 24);
  EXPECT_TRUE(w.scaled());
  EXPECT_DOUBLE_EQ(w.scale, 12.0);
  EXPECT_DOUBLE_EQ(w.prefill_cycles, 60000.0);
  EXPECT_DOUBLE_EQ(w.prefill_latency_ns, 60000.0);
  EXPECT_DOUBLE_EQ(w.prefill_tokens_per_s, 5e6);
  EXPECT_DOUBLE_EQ(w.decode_cycles_per_step, 2400.0);
  EXPECT_DOUBLE_EQ(w.decode_tokens_per_s, 1.25e6);
  EXPECT_DOUBLE_EQ(w.prefill_dram_bytes.at("w_in_proj"), 12000.0);
  EXPECT_DOUBLE_EQ(w.prefill_dram_bytes.at("x"), 6000.0);
  EXPECT_DOUBLE_EQ(w.decode_dram_bytes_per_step.at("w_in_proj"), 1200.0);
  // All layers simulated: nothing scaled.
  r.layers = 24;
  const WholeModel all = whole_model(r, 24);
  EXPECT_FALSE(all.scaled());
  EXPECT_DOUBLE_EQ(all.prefill_cycles, 5000.0);
  r.layers = 25;
  EXPECT_THROW((void)whole_model(r, 24), std::invalid_argument);
}

// The LM head, analytic (model/totals.hpp), by hand for mamba-130m's
// 768 x 50280 on the built-in 32 x 32 array (double-buffered weights) at
// 1 GHz, 25.6 GB/s, 100 ns latency. One token, INT8 weights:
// ceil(768 / 32) x ceil(50280 / 32) = 24 x 1572 = 37728 folds, each the token
// plus the fill and drain 32 + 32 - 2: 32 + 37728 x 63 = 2376896 cycles; DRAM
// 768 x 50280 = 38615040 weight bytes + 768 input + 50280 x 2 FP16 logits =
// 38716368 bytes / 25.6 = 1512358.125 cycles; 37728 fetches of a 1 KiB tile,
// 100 + 40 cycles each, one in flight (prefetch_depth 1): 5281920 cycles, the
// bound (DRAM latency). Four in flight: 1320480, and the array bounds it.
// INT4 weights: two MACs per PE, 12 x 1572 = 18864 folds: 32 + 18864 x 63 =
// 1188464 cycles; 19307520 + 768 + 100560 bytes; 18864 x 140 = 2640960 fetch.
TEST(WholeModel, LmHeadAnalyticByHand) {
  System sys;
  sys.model.name = "m";
  sys.model.d_model = 768;
  sys.model.n_layer = 24;
  sys.model.vocab = 50280;
  ASSERT_EQ(sys.hardware.gemm.rows, 32);
  ASSERT_EQ(sys.hardware.gemm.cols, 32);
  ASSERT_TRUE(sys.hardware.gemm.weight_double_buffer);
  ASSERT_DOUBLE_EQ(sys.hardware.dram_bytes_per_cycle(), 25.6);
  ASSERT_EQ(weight_precision(sys.scheme), WeightPrecision::kInt8);
  const LmHead h = lm_head(sys, 1);
  EXPECT_EQ(h.mapping.compute_cycles, 2376896);
  EXPECT_EQ(h.mapping.dram_bytes(), 38716368);
  EXPECT_DOUBLE_EQ(h.dram_cycles, 38716368 / 25.6);
  EXPECT_DOUBLE_EQ(h.fetch_cycles, 5281920.0);
  EXPECT_DOUBLE_EQ(h.cycles(), 5281920.0);
  EXPECT_STREQ(h.bound(), "DRAM latency");
  // In the totals: 24 layers of 5000 prefill cycles and 200 per decode step (1 GHz).
  LayerReport r;
  r.layers = 24;
  r.seq_len = 100;
  r.cycles = 5000;
  r.latency_ns = 5000;
  DecodeReport d;
  d.steps = 4;
  d.cycles = 800;
  d.latency_ns = 800;
  r.decode = d;
  const WholeModel w = whole_model(r, sys);
  ASSERT_TRUE(w.lm_head);
  EXPECT_DOUBLE_EQ(w.prefill_cycles, 5000.0 + 5281920.0);
  EXPECT_DOUBLE_EQ(w.prefill_tokens_per_s, 1e9 * 100 / (5000.0 + 5281920.0));
  EXPECT_DOUBLE_EQ(w.decode_cycles_per_step, 200.0 + 5281920.0);
  EXPECT_DOUBLE_EQ(w.decode_tokens_per_s, 1e9 / (200.0 + 5281920.0));
  EXPECT_DOUBLE_EQ(w.prefill_dram_bytes.at("lm_head"), 38716368.0);
  EXPECT_DOUBLE_EQ(w.decode_dram_bytes_per_step.at("lm_head"), 38716368.0);
  sys.hardware.gemm.prefetch_depth = 4;
  const LmHead deep = lm_head(sys, 1);
  EXPECT_DOUBLE_EQ(deep.fetch_cycles, 1320480.0);
  EXPECT_DOUBLE_EQ(deep.cycles(), 2376896.0);
  EXPECT_STREQ(deep.bound(), "the array");
  sys.hardware.gemm.prefetch_depth = 1;
  sys.scheme.layer.weights = WeightPrecision::kInt4;
  const LmHead h4 = lm_head(sys, 1);
  EXPECT_EQ(h4.mapping.compute_cycles, 1188464);
  EXPECT_EQ(h4.mapping.dram_bytes(), 19307520 + 768 + 100560);
  EXPECT_DOUBLE_EQ(h4.fetch_cycles, 2640960.0);
  // Without a vocabulary the head is left out.
  sys.model.vocab = 0;
  EXPECT_FALSE(whole_model(r, sys).lm_head);
  EXPECT_DOUBLE_EQ(whole_model(r, sys).prefill_cycles, 5000.0);
}

}  // namespace
}  // namespace mambahw::model
