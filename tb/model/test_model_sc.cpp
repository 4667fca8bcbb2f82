// SystemC scenarios with cycle counts derived by hand.
#include <gtest/gtest.h>

#include "mambahw/cost/model.hpp"
#include "mambahw/model/gemm_array.hpp"
#include "mambahw/model/memory.hpp"
#include "mambahw/model/rtl_blocks.hpp"
#include "mambahw/model/totals.hpp"
#include "mambahw/model/units.hpp"

#include <cmath>
#include <random>

#include "mambahw/golden/fp32.hpp"

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
  cost::EventCounts events;
  GemmArray array;
  DramChannel dram;
  GemmShape shape;
  GemmRun result;
  SC_HAS_PROCESS(GemmBench);
  GemmBench(const HardwareConfig& h, GemmShape g)
      : sc_module("bench"), array("array", h, events), dram("dram", h, (map.allocate("w", 1 << 20), map)), shape(g) {
    array.dram.bind(dram.socket);
    SC_THREAD(run);
  }
  void run() {
    GemmJob j;
    j.op = "gemm";
    j.shape = shape;
    j.weights = map.base("w");
    result = array.run(j);
  }
};

GemmRun simulate(const HardwareConfig& h, GemmShape g, Cycles* dram_busy = nullptr,
                 cost::EventCounts* events = nullptr) {
  GemmBench b(h, g);
  sc_core::sc_start();
  if (dram_busy) *dram_busy = b.dram.busy_cycles();
  if (events) *events = b.events;
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

// Decode's GEMV (M = 1, K = N = 64, INT8 on 4x4: 256 folds of a 16-byte
// tile) with DRAM 4 B/cycle and 10 cycles latency: a tile takes 4 cycles on
// the channel and arrives 14 after its request; a fold streams 1 + 4 + 4 - 2
// = 7 cycles (the first also loads 4). Steady state per fold: max(7, 4,
// 14 / prefetch_depth).
//   depth 1 (one tile ahead): fold i starts when its tile arrives, 14 (i + 1);
//     the last starts at 3584 and ends 3591. Stalls: 14, then 3 (fold 0 ends
//     at 25, tile 1 at 28), then 7 each for folds 2..255: 14 + 3 + 254 x 7.
//   depth 2: at 14 tiles 1 and 2 are requested ([14, 18) -> 28, [18, 22) ->
//     32); fold 1 starts at 28 (stall 3) and requests tile 3, ready at 42 =
//     fold 3's start; from fold 2 on the array sets the rate: fold i (i >= 2)
//     starts at 35 + 7 (i - 2), each tile requested two folds (14 cycles)
//     before it is needed. The last ends at 35 + 7 x 253 + 7 = 1813; stalls
//     14 + 3. Depth 3 changes nothing more (the array is the bound).
TEST(GemmArraySc, DecodeGemvTwoTilesAheadByHand) {
  HardwareConfig h = hw(4, 4, 4.0, 10.0);
  h.gemm.prefetch_depth = 2;
  const GemmRun r = simulate(h, {1, 64, 64, 8, 1});
  EXPECT_EQ(r.cycles, 1813);
  EXPECT_EQ(r.dram_stall, 14 + 3);
}

TEST(GemmArraySc, DecodeGemvOneTileAheadByHand) {
  const GemmRun r = simulate(hw(4, 4, 4.0, 10.0), {1, 64, 64, 8, 1});  // prefetch_depth 1 (above)
  EXPECT_EQ(r.cycles, 3591);
  EXPECT_EQ(r.dram_stall, 14 + 3 + 254 * 7);
}

// The LM head's analytic time (model/totals.hpp, lm_head) against the
// simulated array on a head-shaped GEMV (one token, 768 x 1024, INT8, FP16
// out) at the built-in hardware: a second producer of the same cycles. One
// tile ahead: 24 x 32 = 768 fetches of 140 cycles (DRAM latency) = 107520;
// four ahead: the array, 32 + 768 x 63 = 48416. Within 1%: the steady state
// leaves out the first tile's exposed latency and the last fold's drain.
System head_system() {
  System sys;
  sys.model.d_model = 768;
  sys.model.vocab = 1024;
  return sys;
}

double simulated_head(int prefetch_depth, LmHead* analytic) {
  System sys = head_system();
  sys.hardware.gemm.prefetch_depth = prefetch_depth;
  *analytic = lm_head(sys, 1);
  return static_cast<double>(simulate(sys.hardware, analytic->shape).cycles);
}

TEST(LmHeadSc, AnalyticAgreesWithTheSimulatedArrayOneTileAhead) {
  LmHead h;
  const double sim = simulated_head(1, &h);
  EXPECT_DOUBLE_EQ(h.fetch_cycles, 107520.0);
  EXPECT_STREQ(h.bound(), "DRAM latency");
  EXPECT_NEAR(h.cycles(), sim, 0.01 * sim) << sim;
}

TEST(LmHeadSc, AnalyticAgreesWithTheSimulatedArrayFourTilesAhead) {
  LmHead h;
  const double sim = simulated_head(4, &h);
  EXPECT_DOUBLE_EQ(h.compute_cycles, 48416.0);
  EXPECT_STREQ(h.bound(), "the array");
  EXPECT_NEAR(h.cycles(), sim, 0.01 * sim) << sim;
}

// The LM head's analytic events (lm_head(...).events, priced into the whole
// model's energy) on the same head-shaped GEMV (1 x 768 x 1024, INT8, FP16
// out; 32 x 32 array, one MAC per PE: 24 k folds x 32 column tiles = 768
// folds of a 32 x 32 tile), by hand (docs/cost-model.md, "GEMM array
// dataflow"), per fold:
//   weight registers 32 x 32 x 8 = 8192; operands 1 x 32 x 32 x 8 + 32 x 31 / 2 x 8 = 12160;
//   partial sums 32 x 32 x 32 + 32 x 31 / 2 x 32 = 48640; accumulators 2 x 32 x 32 = 2048;
//   weight buffer 1024 B / 8 = 128 reads and 128 writes; activation buffer 32 B / 8 = 4 reads;
// per logit: two FP32 multiplies and two conversions (INT32 -> FP32, FP32 -> FP16);
// DRAM: 786,432 weight bytes + 768 input bytes read, 2 x 1024 logit bytes written.
TEST(LmHeadSc, AnalyticEventsByHand) {
  using cost::Counter;
  const System sys = head_system();
  const LmHead h = lm_head(sys, 1);
  const cost::UnitCounters& c = h.events.at(Unit::kGemmArray);
  EXPECT_EQ(c[Counter::kMacInt8], 786432);
  EXPECT_EQ(c[Counter::kMacInt4], 0);
  EXPECT_EQ(c[Counter::kArrayWeightBits], 768 * 8192);
  EXPECT_EQ(c[Counter::kArrayOperandBits], 768 * 12160);
  EXPECT_EQ(c[Counter::kArrayPsumBits], 768 * 48640);
  EXPECT_EQ(c[Counter::kRegisterBits], 768 * 2048);
  EXPECT_EQ(c[Counter::kFp32Mul], 2048);
  EXPECT_EQ(c[Counter::kFp32Convert], 2048);
  EXPECT_EQ(c[Counter::kDramReadBytes], 786432 + 768);
  EXPECT_EQ(c[Counter::kDramWriteBytes], 2048);
  EXPECT_EQ(h.events.tokens, 1);
  ASSERT_EQ(h.events.sram.size(), 2u);
  for (const cost::SramTraffic& t : h.events.sram) {
    if (t.memory == "weight_buffer") {
      EXPECT_DOUBLE_EQ(t.reads, 768 * 128.0);
      EXPECT_DOUBLE_EQ(t.writes, 768 * 128.0);
    } else {
      EXPECT_EQ(t.memory, "activation_buffer");
      EXPECT_DOUBLE_EQ(t.reads, 768 * 4.0);
      EXPECT_DOUBLE_EQ(t.writes, 0.0);
    }
  }
}

// The same counts from the simulated array running the head's GEMV. Both
// count a step with count_fold_events; what this checks is that the run
// executes exactly the analytic pass's steps (the same folds, token tiles
// and weight fetches, each once) and that the weight bytes its DRAM channel
// moved are the mapping's: for the counters a timing-only run has (no
// requantization registers, the input on chip, no output regions).
TEST(LmHeadSc, AnalyticEventsAgreeWithTheSimulatedArray) {
  using cost::Counter;
  const System sys = head_system();
  const LmHead h = lm_head(sys, 1);
  cost::EventCounts sim;
  (void)simulate(sys.hardware, h.shape, nullptr, &sim);
  const cost::UnitCounters &a = h.events.at(Unit::kGemmArray), &s = sim.at(Unit::kGemmArray);
  for (Counter k : {Counter::kMacInt8, Counter::kArrayWeightBits, Counter::kArrayOperandBits, Counter::kArrayPsumBits,
                    Counter::kRegisterBits})
    EXPECT_EQ(a[k], s[k]) << to_string(k);
  EXPECT_EQ(s[Counter::kDramReadBytes], h.mapping.weight_bytes);
  ASSERT_EQ(sim.sram.size(), h.events.sram.size());
  for (std::size_t i = 0; i < sim.sram.size(); ++i) {
    EXPECT_EQ(sim.sram[i].memory, h.events.sram[i].memory);
    EXPECT_DOUBLE_EQ(sim.sram[i].reads, h.events.sram[i].reads) << sim.sram[i].memory;
    EXPECT_DOUBLE_EQ(sim.sram[i].writes, h.events.sram[i].writes) << sim.sram[i].memory;
  }
}

TEST(GemmArraySc, DecodeGemvThreeTilesAheadByHand) {
  HardwareConfig h = hw(4, 4, 4.0, 10.0);
  h.gemm.prefetch_depth = 3;
  const GemmRun r = simulate(h, {1, 64, 64, 8, 1});
  EXPECT_EQ(r.cycles, 1813);
  EXPECT_EQ(r.dram_stall, 17);
}

// Two ops on two units, serial and pipelined (docs/architecture.md,
// "Schedules"): the conv unit writes u (32 channels x 8 tokens, INT8,
// channel-major) in two tiles of 16 channels; the SSM core reads u, delta
// and z per tile of 16 channels (d_state 4, no exp or softplus, no B/C or
// parameter bytes), timing only. DRAM: 1e5 GB/s at 1 GHz (every transfer one
// cycle), no latency. Conv tile: 8 tokens + pipeline 2 = 10 cycles. SSM
// tile: lanes 4 x 8 (64 steps / 16 lanes; dequant 56 / 16 -> 4 x 8 too) + fill
// (softplus 1 + exp 1 + 2 x fma 1) = 36.
//   Conv (both): input tile 0 [0, 1); tile 0 runs 1..11 (tile 1's input
//     [1, 2)); u tile 0 written [11, 12); tile 1 runs 11..21; u tile 1
//     written [21, 22). The conv op ends at 21.
//   Serial: the SSM starts at 21: u, delta, z of tile 0 [22, 25) (the channel
//     is busy with u's write until 22); tile 0 runs 25..61 (tile 1's operands
//     [25, 28)), tile 1 61..97. Layer: 97.
//   Pipelined: the SSM's first read of u waits for conv tile 0's write (11
//     cycles); u, delta, z [12, 15); tile 0 runs 15..51; its request of u
//     tile 1 waits until 21 (6 cycles), operands [22, 25); tile 1 51..87.
//     Layer: 87, producer waits 11 + 6.
//   Pipelined, u in the fusion buffer: u's writes and reads take no channel
//     time; tile 0's delta and z [11, 13); tile 0 runs 13..49; tile 1's delta
//     and z [21, 23); tile 1 49..85. DRAM bytes: the conv input 256, delta
//     256, z 256 read, y 512 written (u's 256 + 256 on chip instead).
HardwareConfig pipe_hw() {
  HardwareConfig h = hw(4, 4, 1e5, 0.0);
  h.conv.lanes = 16;
  h.conv.pipeline_depth = 2;
  h.ssm.lanes = 16;
  h.ssm.dequant_lanes = 16;
  h.ssm.fma_latency = h.ssm.exp_latency = h.ssm.softplus_latency = 1;
  return h;
}

struct PipeBench : sc_core::sc_module {
  HardwareConfig h;
  bool pipelined;
  DramMap map;
  cost::EventCounts events;
  ConvUnit conv;
  SsmCore ssm;
  DramChannel dram;
  Cycles conv_end = 0, ssm_start = 0, ssm_end = 0;
  SC_HAS_PROCESS(PipeBench);
  PipeBench(bool pipe, const std::vector<std::string>& on_chip)
      : sc_module("pipe"), h(pipe_hw()), pipelined(pipe), conv("conv", h, events), ssm("ssm", h, events),
        dram("dram", h, map) {
    for (const char* t : {"x", "u", "delta", "z"}) map.allocate(t, 256);
    map.allocate("y", 512);
    conv.dram.bind(dram.socket);
    ssm.dram.bind(dram.socket);
    if (pipelined) dram.begin_pass({"u", "y"}, on_chip);
    SC_THREAD(conv_thread);
    SC_THREAD(ssm_thread);
  }
  Cycles now() const { return static_cast<Cycles>(sc_core::sc_time_stamp() / sc_core::sc_time(1, sc_core::SC_NS) + 0.5); }
  void conv_op() {
    ConvJob j;
    j.channels = 32;
    j.len = 8;
    j.ssm_channels = 32;
    j.input = map.base("x");
    j.outputs = {OutputRegion{map.base("u"), 0, 32, 8, Layout::kChannelMajor, ElementFormat::kInt8, "u"}};
    (void)conv.run(j);
    conv_end = now();
  }
  void ssm_op() {
    SsmJob j;
    j.channels = 32;
    j.len = 8;
    j.d_state = 4;
    j.u = map.base("u");
    j.delta = map.base("delta");
    j.z = map.base("z");
    j.bc = j.params = map.base("x");  // no bytes read
    j.y = map.base("y");
    ssm_start = now();
    (void)ssm.run(j);
    ssm_end = now();
  }
  void conv_thread() {
    conv_op();
    if (!pipelined) ssm_op();  // serial: one op after the other
  }
  void ssm_thread() {
    if (pipelined) ssm_op();
  }
};

TEST(PipelineSc, ConvToSsmSerialByHand) {
  PipeBench b(false, {});
  sc_core::sc_start();
  EXPECT_EQ(b.conv_end, 21);
  EXPECT_EQ(b.ssm_start, 21);
  EXPECT_EQ(b.ssm_end, 97);
  EXPECT_EQ(b.dram.producer_wait_cycles(), 0);
}

TEST(PipelineSc, ConvToSsmPipelinedByHand) {
  PipeBench b(true, {});
  sc_core::sc_start();
  EXPECT_EQ(b.conv_end, 21);
  EXPECT_EQ(b.ssm_start, 0);
  EXPECT_EQ(b.ssm_end, 87);
  EXPECT_EQ(b.dram.producer_wait_cycles(), 11 + 6);
  EXPECT_EQ(b.dram.traffic().at("u").read_bytes, 256);
  EXPECT_EQ(b.dram.traffic().at("u").write_bytes, 256);
}

TEST(PipelineSc, ConvToSsmPipelinedWithUInTheFusionBufferByHand) {
  PipeBench b(true, {"u"});
  sc_core::sc_start();
  EXPECT_EQ(b.ssm_end, 85);
  EXPECT_EQ(b.dram.traffic().count("u"), 0u);
  EXPECT_EQ(b.dram.on_chip_traffic().at("u").read_bytes, 256);
  EXPECT_EQ(b.dram.on_chip_traffic().at("u").write_bytes, 256);
  const DramTraffic t = b.dram.total();
  EXPECT_EQ(t.read_bytes, 256 + 256 + 256);
  EXPECT_EQ(t.write_bytes, 512);
  // The units count no DRAM bytes for u either.
  EXPECT_EQ(b.events.at(Unit::kConvOutQuantizer)[cost::Counter::kDramWriteBytes], 0);
  EXPECT_EQ(b.events.at(Unit::kSsmDequant)[cost::Counter::kDramReadBytes], 0);
}

using cost::Counter;

// A technology table of round numbers for energies checked by hand: MAC
// 0.3 pJ, register 0.01 pJ/bit, linear SRAM 0.1 pJ/bit read and 0.2 written,
// DRAM 10 pJ/bit, no leakage, no area but the SRAM's.
TechTable round_table() {
  TechTable t;
  t.name = "round";
  t.ops[static_cast<std::size_t>(TechOp::kMacInt8)].energy_pj = 0.3;
  t.reg.energy_pj_per_bit = 0.01;
  t.reg.area_um2_per_bit = 1;
  t.sram.kind = SramKind::kLinear;
  t.sram.area_mm2_per_kib = 0.001;
  t.sram.read_pj_per_bit = 0.1;
  t.sram.write_pj_per_bit = 0.2;
  t.sram.access_ns = 1;
  t.dram.energy_pj_per_bit = 10;
  return t;
}

// The energy of one GEMM (M = 10, K = N = 4, INT8) as the array's shape
// changes, every count by hand (docs/cost-model.md, "GEMM array dataflow").
double gemm_energy_pj(int side, cost::EventCounts& e) {
  const HardwareConfig h = hw(side, side, 4.0, 10.0);
  (void)simulate(h, {10, 4, 4, 8, 1}, nullptr, &e);
  cost::UnitPricing p;
  p.hw = h;
  p.tokens = 10;
  p.shape.n_layer = 1;
  p.index = {"q1", cost::IndexKind::kPerTensor, 0, 1, 1, false, 0.0};
  p.clock_mhz = 1000;
  return cost::energy_report(e, 0, round_table(), p).total_pj;
}

// 2x2: 4 folds (k = n = 2). Per fold: weight registers 2*2*8 = 32 bits;
// operands 10*2*2*8 + 10*1*8 (skew) = 400; sums 10*2*2*32 + 10*1*32 (deskew)
// = 1600; accumulator 2*32*10*2 = 1280 bits. Energy: 160 MACs x 0.3 = 48;
// registers 4 x 2032 x 0.01 = 81.28; accumulator (80 B SRAM, (0.1 + 0.2)/2
// pJ/bit) 5120 x 0.15 = 768; DRAM 16 weight bytes x 8 x 10 = 1280; weight
// buffer 2 reads + 2 writes of 64 bits = 2 x 6.4 + 2 x 12.8 = 38.4;
// activation buffer 4 x 10*2/8 = 10 reads x 6.4 = 64. Total 2279.68 pJ.
TEST(GemmArraySc, EnergyByHandOnATwoByTwoArray) {
  cost::EventCounts e;
  const double pj = gemm_energy_pj(2, e);
  const cost::UnitCounters& c = e.at(Unit::kGemmArray);
  EXPECT_EQ(c[Counter::kArrayWeightBits], 4 * 32);
  EXPECT_EQ(c[Counter::kArrayOperandBits], 4 * 400);
  EXPECT_EQ(c[Counter::kArrayPsumBits], 4 * 1600);
  EXPECT_EQ(c[Counter::kRegisterBits], 4 * 1280);
  EXPECT_NEAR(pj, 48 + 81.28 + 768 + 1280 + 38.4 + 64, 1e-9);
}

// 4x4: 1 fold. Weight 128 bits; operands 10*16*8 + 10*6*8 = 1760; sums
// 10*16*32 + 10*6*32 = 7040; accumulator 2*32*10*4 = 2560 bits (160 B,
// 0.15 pJ/bit) = 384 pJ; registers 8928 x 0.01 = 89.28; activation buffer
// 10*4/8 = 5 reads = 32. Total 48 + 89.28 + 384 + 1280 + 38.4 + 32 =
// 1871.68 pJ: the larger array pays more skew registers but accumulates
// once instead of twice and reads each activation once instead of twice.
TEST(GemmArraySc, EnergyByHandOnAFourByFourArray) {
  cost::EventCounts e;
  const double pj = gemm_energy_pj(4, e);
  const cost::UnitCounters& c = e.at(Unit::kGemmArray);
  EXPECT_EQ(c[Counter::kArrayWeightBits], 128);
  EXPECT_EQ(c[Counter::kArrayOperandBits], 1760);
  EXPECT_EQ(c[Counter::kArrayPsumBits], 7040);
  EXPECT_EQ(c[Counter::kRegisterBits], 2560);
  EXPECT_NEAR(pj, 48 + 89.28 + 384 + 1280 + 38.4 + 32, 1e-9);
}

struct HadamardBench : sc_core::sc_module {
  DramMap map;
  cost::EventCounts events;
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
  // The program's work of the op: 896 additions and 128 multiplies per token.
  j.program[static_cast<std::size_t>(Unit::kHadamardUnit)][cost::Counter::kFp32Add] = 64LL * 896;
  j.program[static_cast<std::size_t>(Unit::kHadamardUnit)][cost::Counter::kFp32Mul] = 64LL * 128;
  HadamardBench b(h, j);
  sc_core::sc_start();
  EXPECT_EQ(b.cycles, 14 + 4 * 224 + 16);
  EXPECT_EQ(b.unit.stats().busy, 4 * 224 + 16);
  EXPECT_EQ(b.unit.stats().stall(cost::Stall::kDramBandwidth), 14);
  const cost::UnitCounters& c = b.events.at(Unit::kHadamardUnit);
  EXPECT_EQ(c[cost::Counter::kFp32Add], 64LL * 896);  // 4 tiles' shares add up to the op's work
  EXPECT_EQ(c[cost::Counter::kFp32Mul], 64LL * 128);
  EXPECT_EQ(c[cost::Counter::kDramReadBytes], 64LL * 128 * 2);  // FP16 y, counted by the unit
  EXPECT_EQ(c[cost::Counter::kDramWriteBytes], 64LL * 128);
}

// The conv unit of a Quamba2 layer, timing only: 8 x channels in two tiles
// of 4 lanes, over an index SRAM of one SSD group with 2 heads of headdim 4
// in 2 x 2 uniform cells (heads 0 | 1, dims 0-1 | 2-3). The unit runs two
// jobs back to back: L = 4 (the lookups slower than the conv tiles) and L = 30.
struct ConvBench : sc_core::sc_module {
  DramMap map;
  cost::EventCounts events;
  ConvUnit unit;
  DramChannel dram;
  IndexSram sram;
  Cycles first = 0, second = 0;
  SC_HAS_PROCESS(ConvBench);
  ConvBench(const HardwareConfig& h, const Quamba2ScaleTable& t)
      : sc_module("cbench"),
        unit("conv", h, events),
        dram("dram", h, (map.allocate("in", 8 * 30), map.allocate("w", 8 * 13), map)),
        sram{t.shape, index_sram_image(t), {}, {}} {
    unit.dram.bind(dram.socket);
    SC_THREAD(run);
  }
  ConvJob job(int len) {
    ConvJob j;
    j.channels = j.ssm_channels = j.d_inner = 8;
    j.len = len;
    j.width = 4;
    j.input = map.base("in");
    j.weights = map.base("w");
    j.weight_bytes = 8 * 13;  // 4 taps + bias + 2 FP32 per channel
    j.index = &sram;
    return j;
  }
  void run() {
    first = unit.run(job(4));
    second = unit.run(job(30));
  }
};

// The lookup unit's cycles are the search's (the sequential RTL: one cycle to
// accept a channel, one per range comparison, one for the scale read):
//   tile 0, channels 0-3 (head 0: 1 head compare; dims 0, 1: 1 dim compare,
//     dims 2, 3: 2): 4 + 4 + 5 + 5 = 18 cycles;
//   tile 1, channels 4-7 (head 1: 2 head compares): 5 + 5 + 6 + 6 = 22.
// A conv tile takes L + pipeline depth 2 (the analytic quantizer adds none).
// DRAM moves any request in one cycle (latency 0): the weights are in at 1,
// the first input tile at 2. The lookup unit runs one tile ahead:
//   L = 4: tile 0 starts when its lookups end, at 18 (an 18-cycle lookup
//     stall); tile 1's lookups run 18..40 while tile 0 takes 6 cycles, so tile 1
//     starts at 40 (16 cycles more) and ends at 46: 46 cycles, 34 of lookup stall.
//   L = 30 (from 46): the weights and input arrive at 48, tile 0 starts when
//     its lookups end at 46 + 18 = 64 (18 cycles of lookup stall); tile 1's
//     lookups end at 86, before tile 0's 32 cycles end at 96: no stall; tile 1
//     ends at 128: 82 cycles.
TEST(ConvUnitSc, LookupStallWhenTheLookupIsSlowerThanTheConvTileByHand) {
  HardwareConfig h = hw(4, 4, 1e5, 0.0);
  h.conv.lanes = 4;
  h.conv.pipeline_depth = 2;
  h.scale_index.impl = LookupImpl::kSequential;
  const Quamba2ScaleTable t = Quamba2ScaleTable::uniform({1, 2, 2, 2, 4, 4}, 1.0f);
  ConvBench b(h, t);
  sc_core::sc_start();
  EXPECT_EQ(b.first, 46);
  EXPECT_EQ(b.second, 82);
  EXPECT_EQ(b.unit.lookup_stats().busy, 2 * (18 + 22));
  EXPECT_EQ(b.unit.lookup_stats().stall(cost::Stall::kLookupLatency), 34 + 18);
  EXPECT_EQ(b.unit.stats().busy, 2 * 6 + 2 * 32);
  EXPECT_EQ(b.events.at(Unit::kScaleIndexLookup)[cost::Counter::kLookup], 2 * 8);
}

}  // namespace
}  // namespace mambahw::model

#include "mambahw/model/accelerator.hpp"

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

std::int64_t count(const LayerReport& r, Unit u, Counter k) { return r.events.at(u)[k]; }

// Conv -> SSM traffic, L = 64, d_inner = 128: INT8 u is 128*64 = 8192 bytes
// each way; 5-bit W4A5-SE words are 8192*5/8 = 5120 bytes. Mamba1 still
// writes the INT8 copy for x_proj (which reads it once: it fits on chip).
TEST(AcceleratorSc, ConvToSsmTrafficInt8VersusDualScale) {
  static System c = small_mamba1();
  c.scheme.ssm_input = SsmInputFormat::kDualScale;  // 4-bit codes + flag: 5-bit words
  const LayerReport r = simulate_layer(c, 64);
  EXPECT_EQ(r.dram.at("u_dual").write_bytes, 5120);
  EXPECT_EQ(r.dram.at("u_dual").read_bytes, 5120);
  EXPECT_EQ(r.dram.at("u_int8").write_bytes, 8192);
  EXPECT_EQ(r.dram.at("u_int8").read_bytes, 8192);  // by x_proj only
  EXPECT_EQ(r.dram.at("hidden").write_bytes, 64 * 64);
  EXPECT_EQ(r.dram.at("w_in_proj").read_bytes, 64 * 256 + 256 * 4);  // INT8 codes + one FP32 scale per channel
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
  EXPECT_EQ(count(r, Unit::kGemmArray, Counter::kMacInt8), 64LL * (64 * 256 + 128 * 36 + 4 * 128 + 128 * 64));
  EXPECT_EQ(count(r, Unit::kConvUnit, Counter::kMacInt8), 64LL * 128 * 4);
  EXPECT_EQ(count(r, Unit::kConvUnit, Counter::kExp), 64LL * 128);  // SiLU
  // exp(delta*A) per step and the gate's SiLU per channel, per token; exp(A_log) once per pass.
  EXPECT_EQ(count(r, Unit::kSsmCore, Counter::kExp), 64LL * (128 * 16 + 128) + 128 * 16);
  EXPECT_EQ(count(r, Unit::kSsmCore, Counter::kSsmStep), 64LL * 128 * 16);
  EXPECT_EQ(count(r, Unit::kConvOutQuantizer, Counter::kMuxSelect), 64LL * 128);
  EXPECT_EQ(count(r, Unit::kSsmDequant, Counter::kMuxSelect), 64LL * 128);
  EXPECT_EQ(count(r, Unit::kScaleIndexLookup, Counter::kLookup), 128);  // one per channel per pass
  // d_inner 128 = 2^7: 7 radix-2 stages of 128 additions per token.
  EXPECT_EQ(count(r, Unit::kHadamardUnit, Counter::kFp32Add), 64LL * 128 * 7);
}

TEST(AcceleratorSc, Int8SsmInputReadsInt8) {
  static System c = small_mamba1();
  const LayerReport r = simulate_layer(c, 64);
  EXPECT_EQ(r.dram.count("u_dual"), 0u);
  EXPECT_EQ(r.dram.at("u_int8").read_bytes, 2 * 8192);  // x_proj and the SSM
  EXPECT_EQ(count(r, Unit::kSsmDequant, Counter::kMuxSelect), 0);
  EXPECT_NEAR(r.latency_ns, static_cast<double>(r.cycles), 1e-9);  // 1 GHz
}

// The scale-index lookup's C++ model (units.hpp) against the Verilated
// scale_index_lookup of a shipped table shape (mamba2-130m's one SSD group of
// 24 heads; mamba2-8b's 8 groups of 16), both reading the same index SRAM
// image: every x channel's cell, scale word and the tile's cycles, over
// tables with uneven ranges, a head range that leaves heads uncovered and a
// dim range that leaves dims uncovered (no cell: hg or dg -1, scale 0).
// head_end: each group's cumulative head-group ends, the last below
// heads_per_group (its last two heads uncovered); head group 2 holds one head
// whose last dim range ends at 60 (dims 60..63 uncovered). So every group
// leaves 2 x 64 + 4 x channels without a cell, by construction.
void lookup_model_agrees_with_rtl(const ScaleTableShape& shape, std::array<int, 4> head_end, LookupImpl impl) {
  ASSERT_EQ(head_end[3], shape.heads_per_group - 2);
  ASSERT_EQ(head_end[2], head_end[1] + 1);
  Quamba2ScaleTable t = Quamba2ScaleTable::uniform(shape, 1.0f);
  std::mt19937 rng(7);
  for (int g = 0; g < shape.ngroups; ++g)
    for (int hg = 0; hg < 4; ++hg) {
      t.head_range[static_cast<std::size_t>(g * 4 + hg)] = head_end[static_cast<std::size_t>(hg)];
      int end = 0;
      for (int dg = 0; dg < 4; ++dg) {
        end = dg == 3 ? (hg == 2 ? 60 : 64) : end + 1 + static_cast<int>(rng() % 20);
        t.dim_range[t.cell_index(g, hg, dg)] = end;
        t.x_scales[t.cell_index(g, hg, dg)] =
            std::ldexp(1.0f + static_cast<float>(rng() % 1000) / 1000, -static_cast<int>(rng() % 9));
      }
    }
  const Bytes sram = index_sram_image(t);
  std::vector<int> channels(static_cast<std::size_t>(shape.ngroups * shape.heads_per_group * shape.headdim));
  for (std::size_t c = 0; c < channels.size(); ++c) channels[c] = static_cast<int>(c);
  std::vector<ScaleLookup> model(channels.size()), rtl(channels.size());
  const RtlTile mc = scale_index_model({sram, shape, channels, model}, impl);
  std::string why;
  const auto variant = lookup_variant(shape, impl, &why);
  ASSERT_TRUE(variant) << why;
  ScaleIndexLookupRtl lookup(*variant);
  const Cycles rtl_cycles = lookup.run({sram, shape, channels, rtl});
  int uncovered = 0;
  for (std::size_t c = 0; c < channels.size(); ++c) {
    EXPECT_EQ(model[c].hg, rtl[c].hg) << c;
    EXPECT_EQ(model[c].dg, rtl[c].dg) << c;
    EXPECT_EQ(model[c].scale, rtl[c].scale) << c;
    uncovered += !rtl[c].found();
  }
  EXPECT_EQ(uncovered, shape.ngroups * (2 * 64 + 4));
  EXPECT_EQ(mc.cycles, rtl_cycles);
  // Channel 0 (head 0, dim 0): cell (0, 0) after one head and one dim comparison.
  EXPECT_EQ(rtl[0].hg, 0);
  EXPECT_EQ(rtl[0].dg, 0);
  EXPECT_EQ(rtl[0].scale, bits_of(t.x_scales[0]));
  // The last group's first channel: head group 0, dim group 0 of that group's cells.
  const std::size_t last = static_cast<std::size_t>((shape.ngroups - 1) * shape.heads_per_group * shape.headdim);
  EXPECT_EQ(rtl[last].hg, 0);
  EXPECT_EQ(rtl[last].dg, 0);
  EXPECT_EQ(rtl[last].scale, bits_of(t.x_scales[t.cell_index(shape.ngroups - 1, 0, 0)]));
  if (impl == LookupImpl::kParallel) {
    EXPECT_EQ(rtl_cycles, static_cast<std::int64_t>(channels.size()) + 3);
  }
}

const ScaleTableShape kMamba2_130m{1, 4, 4, 24, 64, 128}, kMamba2_8b{8, 4, 4, 16, 64, 128};
TEST(ScaleIndexLookupSc, SequentialModelAgreesWithTheRtl) {
  lookup_model_agrees_with_rtl(kMamba2_130m, {3, 10, 11, 22}, LookupImpl::kSequential);
}
TEST(ScaleIndexLookupSc, ParallelModelAgreesWithTheRtl) {
  lookup_model_agrees_with_rtl(kMamba2_130m, {3, 10, 11, 22}, LookupImpl::kParallel);
}
TEST(ScaleIndexLookupSc, SequentialModelAgreesWithTheRtlOnEightGroups) {
  lookup_model_agrees_with_rtl(kMamba2_8b, {3, 7, 8, 14}, LookupImpl::kSequential);
}
TEST(ScaleIndexLookupSc, ParallelModelAgreesWithTheRtlOnEightGroups) {
  lookup_model_agrees_with_rtl(kMamba2_8b, {3, 7, 8, 14}, LookupImpl::kParallel);
}

}  // namespace
}  // namespace mambahw::model

namespace mambahw::model {
namespace {

// A decode step's SSM op by hand (small Mamba1: d_inner 128, d_state 16; the
// default SSM core: 16 lanes, 16 exp units, 4 softplus units, 16 dequant
// lanes; DRAM at 10^5 B/cycle and no latency, so every transfer takes one
// cycle). One token, 8 channel tiles of 16 channels:
//   lanes 16 x 16 steps / 16 = 16; exp: the tile's share of 128 x 16 + 128
//   per token = 272 / 16 = 17; softplus 16 / 4 = 4; dequant (3 x 16 + 2 x 16)
//   / 16 = 5: the exp units set the rate, 17 cycles, + fill 16 + 10 + 2 x 4 =
//   34, + exp(A_log) of the tile's 16 x 16 states once per pass, 256 / 16 = 16:
//   67 cycles a tile, 8 x 67 = 536. Before the first tile the channel
//   finishes dt_proj's last write (its 128 delta bytes, issued as dt_proj
//   ends), then B and C, the parameters and the tile's u, delta and z, one
//   cycle each: 1 + 5.
// With the state spilled (buffers.state_kib below the 8 KiB state) each tile
// also reads its 16 x 16 x 4 = 1 KiB of states: 1 + 6 before the first tile,
// and the state round-trips DRAM: 8192 bytes read and 8192 written per step.
System decode_system(int state_kib) {
  System c = small_mamba1();
  c.hardware.dram.bandwidth_gbs = 1e5;
  c.hardware.dram.latency_ns = 0;
  c.hardware.buffers.state_kib = state_kib;
  return c;
}

const OpReport& op_named(const std::vector<OpReport>& ops, const std::string& name) {
  for (const OpReport& o : ops)
    if (o.name == name) return o;
  throw std::runtime_error("no op " + name);
}

TEST(AcceleratorSc, DecodeStepSsmOpByHandStateInTheBuffer) {
  static System c = decode_system(0);
  const LayerReport r = simulate_layer(c, layer_program(c.model, c.scheme), 16, std::nullopt, {}, nullptr, 3);
  ASSERT_TRUE(r.decode.has_value());
  const DecodeReport& d = *r.decode;
  EXPECT_EQ(d.steps, 3);
  EXPECT_FALSE(d.state_spilled);
  EXPECT_EQ(d.state_bytes, 128 * 16 * 4);
  EXPECT_EQ(op_named(d.ops, "selective_scan").cycles, 1 + 5 + 8 * 67);
  EXPECT_EQ(d.dram.count("ssm_state"), 0u);
  // A serial schedule: a step is its ops back to back (the host's input write
  // is not waited for; it delays in_proj's first weight fetch by its cycle).
  Cycles sum = 0;
  for (const OpReport& o : d.ops) sum += o.cycles;
  EXPECT_EQ(d.step_cycles[0], sum);
  EXPECT_EQ(d.cycles, d.step_cycles[0] + d.step_cycles[1] + d.step_cycles[2]);
  // GEMV-shaped GEMMs: one token streams through each fold.
  ASSERT_EQ(d.gemms.size(), 4u);
  for (const GemmRun& g : d.gemms) EXPECT_EQ(g.shape.m, 1);
  EXPECT_EQ(d.events.tokens, 3);
  EXPECT_EQ(d.events.at(Unit::kSsmCore)[Counter::kSsmStep], 3LL * 128 * 16);
  EXPECT_EQ(r.events.at(Unit::kSsmCore)[Counter::kSsmStep], 16LL * 128 * 16);  // the prefill's own
}

TEST(AcceleratorSc, DecodeStepSsmOpByHandStateSpilled) {
  static System c = decode_system(4);  // 4 KiB < the 8 KiB state
  const LayerReport r = simulate_layer(c, layer_program(c.model, c.scheme), 16, std::nullopt, {}, nullptr, 2);
  const DecodeReport& d = *r.decode;
  EXPECT_TRUE(d.state_spilled);
  EXPECT_EQ(d.state_buffer_bytes, 4096);
  EXPECT_EQ(op_named(d.ops, "selective_scan").cycles, 1 + 6 + 8 * 67);
  EXPECT_EQ(d.dram.at("ssm_state").read_bytes, 2 * 8192);
  EXPECT_EQ(d.dram.at("ssm_state").write_bytes, 2 * 8192);
  EXPECT_EQ(r.dram.at("ssm_state").read_bytes, 0);  // the prompt starts from zeros: nothing read
  EXPECT_EQ(r.dram.at("ssm_state").write_bytes, 8192);  // and leaves its state for decode
}

// Two layers' states sharing the state buffer (state_layers 2; one layer
// simulated): the conv state other than the running one lies beside the SSM
// states, so the buffer must hold 2 x (SSM 128 x 16 x 4 = 8192 + conv 128
// channels x 3 INT8 = 384) = 17,152 bytes. 17 KiB = 17,408 holds them: no
// state traffic. 16 KiB = 16,384 (which would hold the two SSM states
// alone) does not: both live in DRAM. The prompt starts from zeros (nothing
// read) and writes its final states (8192 + 384 bytes); each of the 2
// steps reads and writes them: 2 x 8192 and 2 x 384 each way.
// A step's conv op (8 tiles of 16 channels, one token): each tile 1 token +
// pipeline 12 = 13 cycles; before the first, the channel finishes
// in_proj's last output write (issued as in_proj ends), then the taps and
// the first input tile, one cycle each: 3 + 8 x 13 = 107. Spilled, the
// state's 384 bytes come first: one cycle more, 108. The SSM op is the
// spilled one of DecodeStepSsmOpByHandStateSpilled.
LayerReport two_layer_decode(int state_kib) {
  static System c = decode_system(state_kib);
  return simulate_layer(c, layer_program(c.model, c.scheme), 16, std::nullopt, {}, nullptr, 2, 2);
}

TEST(AcceleratorSc, DecodeConvStatesBesideTheSsmStatesInTheBufferByHand) {
  const LayerReport r = two_layer_decode(17);
  const DecodeReport& d = *r.decode;
  EXPECT_EQ(d.conv_state_bytes, 384);
  EXPECT_TRUE(d.conv_states_beside);
  EXPECT_EQ(d.state_layers, 2);
  EXPECT_FALSE(d.state_spilled);
  EXPECT_EQ(d.dram.count("conv_state"), 0u);
  EXPECT_EQ(d.dram.count("ssm_state"), 0u);
  EXPECT_EQ(r.dram.count("conv_state"), 0u);
  EXPECT_EQ(op_named(d.ops, "conv1d+silu+quantize").cycles, 3 + 8 * 13);
  EXPECT_EQ(op_named(d.ops, "selective_scan").cycles, 1 + 5 + 8 * 67);
}

TEST(AcceleratorSc, DecodeConvStatesBesideTheSsmStatesSpilledByHand) {
  const LayerReport r = two_layer_decode(16);
  const DecodeReport& d = *r.decode;
  EXPECT_TRUE(d.conv_states_beside);
  EXPECT_TRUE(d.state_spilled);
  EXPECT_EQ(r.dram.at("conv_state").read_bytes, 0);
  EXPECT_EQ(r.dram.at("conv_state").write_bytes, 384);
  EXPECT_EQ(d.dram.at("conv_state").read_bytes, 2 * 384);
  EXPECT_EQ(d.dram.at("conv_state").write_bytes, 2 * 384);
  EXPECT_EQ(r.dram.at("ssm_state").write_bytes, 8192);
  EXPECT_EQ(d.dram.at("ssm_state").read_bytes, 2 * 8192);
  EXPECT_EQ(d.dram.at("ssm_state").write_bytes, 2 * 8192);
  EXPECT_EQ(op_named(d.ops, "conv1d+silu+quantize").cycles, 4 + 8 * 13);
  EXPECT_EQ(op_named(d.ops, "selective_scan").cycles, 1 + 6 + 8 * 67);
}

}  // namespace
}  // namespace mambahw::model
