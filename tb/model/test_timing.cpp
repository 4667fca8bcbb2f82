// Cycle formulas against hand computation.
#include <gtest/gtest.h>

#include "mambahw/golden/layer_program.hpp"
#include "mambahw/model/timing.hpp"

namespace mambahw::model {
namespace {

GemmArrayConfig array(int r, int c, bool double_buffer = true) {
  GemmArrayConfig a;
  a.rows = r;
  a.cols = c;
  a.weight_double_buffer = double_buffer;
  return a;
}

TEST(GemmPlan, OneTile) {
  // M=10, K=4, N=4 on 4x4: one fold; load 4; stream 10+4+4-2 = 16; compute 20.
  const GemmPlan p = plan_gemm({10, 4, 4, 8, 1}, array(4, 4));
  EXPECT_EQ(p.folds.size(), 1u);
  EXPECT_EQ(p.load_cycles, 4);
  EXPECT_EQ(p.stream_cycles, 16);
  EXPECT_EQ(p.compute_cycles, 20);
  EXPECT_EQ(p.macs, 160);
  EXPECT_EQ(p.weight_bytes, 16);
  EXPECT_DOUBLE_EQ(p.mapping_efficiency, 1.0);
  EXPECT_DOUBLE_EQ(p.compute_utilization, 160.0 / (20.0 * 16.0));
}

TEST(GemmPlan, PartialFoldsAndMappingEfficiency) {
  // K=10, N=6 on 4x4: folds_k = 3 (4,4,2), folds_n = 2 (4,2): 6 folds, 60 of 96 cells used.
  const GemmPlan p = plan_gemm({5, 10, 6, 8, 1}, array(4, 4));
  EXPECT_EQ(p.folds_k, 3);
  EXPECT_EQ(p.folds_n, 2);
  ASSERT_EQ(p.folds.size(), 6u);
  EXPECT_EQ(p.folds[2].k_len, 2);
  EXPECT_EQ(p.folds[2].n_len, 4);
  EXPECT_EQ(p.folds[5].n_len, 2);
  EXPECT_EQ(p.folds[5].weight_bytes, 4);  // 2 x 2 bytes
  EXPECT_TRUE(p.folds[0].first_k);
  EXPECT_TRUE(p.folds[2].last_k);
  EXPECT_DOUBLE_EQ(p.mapping_efficiency, 60.0 / 96.0);
  EXPECT_EQ(p.weight_bytes, 60);
  // Double-buffered: 4 + 6 * (5+4+4-2); single-buffered: 6 * (4 + 11).
  EXPECT_EQ(p.compute_cycles, 4 + 6 * 11);
  EXPECT_EQ(plan_gemm({5, 10, 6, 8, 1}, array(4, 4, false)).compute_cycles, 6 * 15);
}

TEST(GemmPlan, Int4WeightsPackTwoPerPe) {
  // K=16 with 2 INT4 MACs per PE on 4 rows: 8 per fold -> 2 folds of 8x4 nibbles = 16 bytes.
  const GemmPlan p = plan_gemm({3, 16, 4, 4, 1}, array(4, 4));
  EXPECT_EQ(p.k_per_fold, 8);
  EXPECT_EQ(p.folds.size(), 2u);
  EXPECT_EQ(p.folds[0].weight_bytes, 16);
  EXPECT_EQ(p.weight_bytes, 32);
}

TEST(ConvTiming, TilesAndCycles) {
  ConvUnitConfig c;
  c.lanes = 16;
  c.pipeline_depth = 12;
  const auto t = conv_tiles(40, c);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[2].c0, 32);
  EXPECT_EQ(t[2].c_len, 8);
  EXPECT_EQ(conv_tile_cycles(512, c, 3), 512 + 12 + 3);
}

TEST(SsmTiming, ExpUnitsBoundMamba1) {
  // Mamba1 tile: 16 channels x 16 states = 256 steps/token, one exp per step,
  // 16 softplus (one per channel). 16 lanes, 4 exp units, 4 softplus units, L = 100.
  SsmCoreConfig s;
  s.lanes = 16;
  s.exp_units = 4;
  s.softplus_units = 4;
  s.dequant_lanes = 16;
  const SsmTileTiming t = ssm_tile_timing(256, 256, 16, 16 * 3, 100, s);
  EXPECT_EQ(t.lane_cycles, 16 * 100);
  EXPECT_EQ(t.exp_cycles, 64 * 100);
  EXPECT_EQ(t.softplus_cycles, 4 * 100);
  EXPECT_EQ(t.dequant_cycles, 3 * 100);
  EXPECT_EQ(t.total, 6400 + s.softplus_latency + s.exp_latency + 2 * s.fma_latency);
  EXPECT_EQ(t.exp_stall, 6400 - 1600);
  EXPECT_EQ(t.softplus_stall, 0);
}

TEST(DramTiming, TransferCycles) {
  EXPECT_EQ(dram_transfer_cycles(100, 25.6), 4);  // 3.9 -> 4
  EXPECT_EQ(dram_transfer_cycles(256, 25.6), 10);
  EXPECT_EQ(dram_transfer_cycles(0, 25.6), 0);
}

// The fusion buffer's placement by hand. A chain in -> a -> b, c -> out with
// a read by ops 1 and 2, b by op 2, c by op 3 (INT8, per token: a 4, b 2, c
// 3, out 1 elements; 10 tokens: a 40, b 20, c 30 bytes). Live ranges: a
// [0, 2], b [1, 2], c [2, 3]; out (no reader) never stays. Capacity 60: a
// (40) fits; b: 40 + 20 = 60 fits; c: at op 2 a and b are live, 60 + 30 > 60:
// spilled. Capacity 59: a; b spilled (40 + 20 > 59); c: 40 + 30 > 59 spilled.
// Capacity 39: a spilled (40); b (20) fits; c: 20 + 30 > 39 spilled.
// Capacity 90: all three. One token: 4 + 2 + 3 bytes fit 9.
TEST(FusionPlacement, LiveRangesByHand) {
  LayerProgram p;
  auto act = [&](const char* n, std::int64_t per_token) {
    TensorSpec t;
    t.name = n;
    t.per_token = per_token;
    p.tensors.push_back(t);
  };
  act("in", 1);
  act("a", 4);
  act("b", 2);
  act("c", 3);
  act("out", 1);
  auto op = [&](const char* n, std::vector<std::string> in, std::vector<std::string> out) {
    OpSpec o;
    o.name = n;
    o.inputs = std::move(in);
    o.outputs = std::move(out);
    p.ops.push_back(o);
  };
  op("op0", {"in"}, {"a"});
  op("op1", {"a"}, {"b"});
  op("op2", {"a", "b"}, {"c"});
  op("op3", {"c"}, {"out"});
  using V = std::vector<std::string>;
  EXPECT_EQ(fusion_placement(p, 10, 60), (V{"a", "b"}));
  EXPECT_EQ(fusion_placement(p, 10, 59), (V{"a"}));
  EXPECT_EQ(fusion_placement(p, 10, 39), (V{"b"}));
  EXPECT_EQ(fusion_placement(p, 10, 90), (V{"a", "b", "c"}));
  EXPECT_EQ(fusion_placement(p, 1, 9), (V{"a", "b", "c"}));
}

}  // namespace
}  // namespace mambahw::model
