// SystemC scenarios with cycle counts derived by hand.
#include <gtest/gtest.h>

#include "mambahw/model/gemm_array.hpp"
#include "mambahw/model/units.hpp"

namespace mambahw::model {
namespace {

// 1 GHz clock; `gbs` GB/s = gbs bytes per cycle; latency in ns = cycles.
HardwareConfig hw(int rows, int cols, double gbs, double latency_ns) {
  HardwareConfig h;
  h.clock_mhz = 1000;
  h.gemm.rows = rows;
  h.gemm.cols = cols;
  h.dram.bandwidth_gbs = gbs;
  h.dram.latency_ns = latency_ns;
  return h;
}

struct GemmBench : sc_core::sc_module {
  DramMap map;
  GemmArray array;
  DramChannel dram;
  GemmShape shape;
  GemmRun result;
  SC_HAS_PROCESS(GemmBench);
  GemmBench(const HardwareConfig& h, GemmShape g)
      : sc_module("bench"), array("array", h), dram("dram", h, (map.allocate("w", 1 << 20), map)), shape(g) {
    array.dram.bind(dram.socket);
    SC_THREAD(run);
  }
  void run() { result = array.run("gemm", shape, map.base("w"), {}, {}); }
};

GemmRun simulate(const HardwareConfig& h, GemmShape g, Cycles* dram_busy = nullptr) {
  GemmBench b(h, g);
  sc_core::sc_start();
  if (dram_busy) *dram_busy = b.dram.busy_cycles();
  return b.result;
}

// One 4x4 tile, M = 10: the 16-byte weight tile takes 16/4 = 4 cycles on the
// channel plus 10 cycles latency (ready at 14), then load 4 + stream 16.
TEST(GemmArraySc, OneTileByHand) {
  const GemmRun r = simulate(hw(4, 4, 4.0, 10.0), {10, 4, 4, 8, 1});
  EXPECT_EQ(r.dram_stall, 14);
  EXPECT_EQ(r.cycles, 14 + 4 + 16);
}

// Compute bound: M = 1000, K = N = 8 on 4x4: 4 folds of 1006 streaming
// cycles; only the first tile's 14 cycles are exposed, the others are
// prefetched during the previous fold.
TEST(GemmArraySc, ComputeBound) {
  const GemmRun r = simulate(hw(4, 4, 4.0, 10.0), {1000, 8, 8, 8, 1});
  EXPECT_EQ(r.dram_stall, 14);
  EXPECT_EQ(r.cycles, 14 + 4 + 4 * 1006);
  EXPECT_GT(r.plan.compute_utilization, 0.99);
}

// Bandwidth bound: M = 1, K = N = 64 on 4x4: 256 folds of 16 bytes at 0.25
// bytes/cycle = 64 cycles each, no latency. Fold i starts when its tile
// arrives at 64(i+1); the last (i = 255) starts at 16384 and streams 7 cycles.
TEST(GemmArraySc, BandwidthBoundStallsDominate) {
  Cycles busy = 0;
  const GemmRun r = simulate(hw(4, 4, 0.25, 0.0), {1, 64, 64, 8, 1}, &busy);
  EXPECT_EQ(r.cycles, 16384 + 7);
  EXPECT_EQ(r.dram_stall, 16384 - (11 + 254 * 7));
  EXPECT_EQ(busy, 256 * 64);
  EXPECT_GT(r.dram_stall, 8 * (r.cycles - r.dram_stall));
}

struct HadamardBench : sc_core::sc_module {
  DramMap map;
  Events events;
  HadamardUnit unit;
  DramChannel dram;
  HadamardJob job;
  Cycles cycles = 0;
  SC_HAS_PROCESS(HadamardBench);
  HadamardBench(const HardwareConfig& h, HadamardJob j)
      : sc_module("hbench"),
        unit("hadamard", h, events),
        dram("dram", h, (map.allocate("y", static_cast<std::uint64_t>(j.len * j.n * 2)),
                         map.allocate("y_h", static_cast<std::uint64_t>(j.len * j.n)), map)),
        job(j) {
    unit.dram.bind(dram.socket);
    job.y = map.base("y");
    job.out = map.base("y_h");
    SC_THREAD(run);
  }
  void run() { cycles = unit.run(job); }
};

// d_inner 128 (2^7: 7 stages of 128 = 896 additions per token), L = 64 in
// tiles of 16 tokens on 64 adders: 16 x 896 / 64 = 224 cycles a tile, plus a
// 16-cycle pipeline drain once. DRAM at 1024 B/cycle, 10 cycles latency: the
// first 4096-byte tile is ready at 4 + 10 = 14; the next ones arrive long
// before their tile starts (each request is issued a whole tile ahead).
TEST(HadamardUnitSc, TilesByHand) {
  HardwareConfig h = hw(4, 4, 1024.0, 10.0);
  h.hadamard.adders = 64;
  h.hadamard.tokens_per_tile = 16;
  h.hadamard.pipeline_depth = 16;
  HadamardJob j;
  j.len = 64;
  j.n = 128;
  j.adds_per_token = 896;
  HadamardBench b(h, j);
  sc_core::sc_start();
  EXPECT_EQ(b.cycles, 14 + 4 * 224 + 16);
  EXPECT_EQ(b.unit.stats().busy, 4 * 224 + 16);
  EXPECT_EQ(b.unit.stats().stalls.at("dram_bandwidth"), 14);
  EXPECT_EQ(b.events.get("hadamard_add"), 64LL * 896);
  EXPECT_EQ(b.events.get("hadamard_elements"), 64LL * 128);
}

}  // namespace
}  // namespace mambahw::model

#include "mambahw/model/accelerator.hpp"
#include "mambahw/model/cost_bridge.hpp"

namespace mambahw::model {
namespace {

System small_mamba1() {
  System c;
  c.model.name = "small";
  c.model.arch = Arch::kMamba1;
  c.model.d_model = 64;
  c.model.d_inner = 128;
  c.model.d_state = 16;
  c.model.dt_rank = 4;
  c.model.d_conv = 4;
  c.model.n_layer = 1;
  c.scheme.name = "quamba1";
  return c;
}

// Conv -> SSM traffic, L = 64, d_inner = 128: INT8 u is 128*64 = 8192 bytes
// each way; 5-bit W4A5-SE words are 8192*5/8 = 5120 bytes. Mamba1 still
// writes the INT8 copy for x_proj (which reads it once: it fits on chip).
TEST(AcceleratorSc, ConvToSsmTrafficInt8VersusDualScale) {
  static System c = small_mamba1();
  const LayerReport r = simulate_layer(c, 64, std::nullopt, 5, {});
  EXPECT_EQ(r.dram.at("u_dual").write_bytes, 5120);
  EXPECT_EQ(r.dram.at("u_dual").read_bytes, 5120);
  EXPECT_EQ(r.dram.at("u_int8").write_bytes, 8192);
  EXPECT_EQ(r.dram.at("u_int8").read_bytes, 8192);  // by x_proj only
  EXPECT_EQ(r.dram.at("hidden").write_bytes, 64 * 64);
  EXPECT_EQ(r.dram.at("w_in_proj").read_bytes, 64 * 256);
  EXPECT_EQ(r.dram.at("y").write_bytes, 128 * 64 * 2);
  ASSERT_EQ(r.ops.size(), 7u);
  EXPECT_EQ(r.ops[0].name, "in_proj");
  EXPECT_EQ(r.ops[2].name, "x_proj");
  EXPECT_EQ(r.ops[4].name, "selective_scan");
  EXPECT_EQ(r.ops[5].name, "hadamard+quantize");  // Quamba's online Hadamard, on by default
  EXPECT_EQ(r.ops[6].name, "out_proj");
  EXPECT_EQ(r.dram.at("y").read_bytes, 128 * 64 * 2);  // FP16 y into the Hadamard unit
  EXPECT_EQ(r.dram.at("y_h").write_bytes, 128 * 64);    // INT8 codes out
  EXPECT_EQ(r.dram.at("y_h").read_bytes, 128 * 64);     // by out_proj
  Cycles sum = 0;
  for (const OpReport& o : r.ops) sum += o.cycles;
  EXPECT_LE(sum, r.cycles);
  EXPECT_EQ(r.events.get("mac_int8"), 64LL * (64 * 256 + 128 * 36 + 4 * 128 + 128 * 64));
  EXPECT_EQ(r.events.get("conv_mac_int8"), 64LL * 128 * 4);
  EXPECT_EQ(r.events.get("exp"), 64LL * 128 + 64LL * 128 * 16);  // SiLU + exp(delta*A)
  EXPECT_EQ(r.events.get("quantizer_dual_elements"), 64LL * 128);
  // d_inner 128 = 2^7: 7 radix-2 stages of 128 additions per token.
  EXPECT_EQ(r.events.get("hadamard_add"), 64LL * 128 * 7);
  const cost::EventCounts e = to_cost_events(r, c);
  EXPECT_EQ(e.at(cost::Unit::kHadamard).fp32_add, 64LL * 128 * 7);
  EXPECT_EQ(e.at(cost::Unit::kHadamard).fp32_mul, 64LL * 128);
  EXPECT_EQ(e.at(cost::Unit::kConv).fp32_add + e.at(cost::Unit::kSsmCore).fp32_add, r.events.get("fp32_add"));
}

TEST(AcceleratorSc, Int8SsmInputReadsInt8) {
  static System c = small_mamba1();
  const LayerReport r = simulate_layer(c, 64, std::nullopt, 0, {});
  EXPECT_EQ(r.dram.count("u_dual"), 0u);
  EXPECT_EQ(r.dram.at("u_int8").read_bytes, 2 * 8192);  // x_proj and the SSM
  EXPECT_NEAR(r.latency_ns, static_cast<double>(r.cycles), 1e-9);  // 1 GHz
}

}  // namespace
}  // namespace mambahw::model
