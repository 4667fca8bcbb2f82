// Throughput of the Verilated conv_out_quantizer (uninstrumented, one core):
// one element per clock cycle, two eval() calls per cycle.
#include <benchmark/benchmark.h>
#include <verilated.h>

#include "Vqf_away.h"
#include "mambahw/rtl/verilated_reset.hpp"

namespace {

void BM_VerilatedQuantizer(benchmark::State& state) {
  VerilatedContext ctx;
  Vqf_away m(&ctx, "dut");
  mambahw::rtl::reset_for_one_edge(m);
  m.ready_i = 1;
  m.valid_i = 1;
  m.scale_i = 0x41200000;       // 10.0f
  m.se_scale1_i = 0x40bf0000;   // ~5.97f
  m.se_scale12_i = 0x3ef30000;  // ~0.47f
  std::uint32_t x = 0x3f000000;
  std::uint64_t sink = 0;
  for (auto _ : state) {
    for (int i = 0; i < 1024; ++i) {
      m.x_i = x;
      x += 0x9e3779b1u;
      m.clk_i = 0;
      m.eval();
      sink += m.code_o + m.se_o;
      m.clk_i = 1;
      m.eval();
    }
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations() * 1024);
}
BENCHMARK(BM_VerilatedQuantizer);

}  // namespace

BENCHMARK_MAIN();
