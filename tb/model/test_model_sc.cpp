// SystemC scenarios with cycle counts derived by hand.
#include <gtest/gtest.h>

#include "mambahw/model/gemm_array.hpp"

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

}  // namespace
}  // namespace mambahw::model
