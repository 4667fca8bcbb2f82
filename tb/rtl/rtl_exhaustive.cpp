// Exhaustive check of conv_out_quantizer: every FP32 input bit pattern (or a
// shard of them) for one INT8 scale register and rounding mode, against the
// golden model, at full pipeline throughput (uninstrumented Verilated model).
//   rtl_exhaustive --rounding half_away_from_zero --scale 0.1 [--shard 0 --shards 2]
// Exit status 0 iff there is no mismatch. On a mismatch it prints the input,
// both outputs and the rtl_replay command that dumps a waveform of it.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>
#include <verilated.h>

#include "Vqf_away.h"
#include "Vqf_even.h"
#include "mambahw/golden/dual_scale.hpp"
#include "mambahw/golden/numerics.hpp"

namespace {

using namespace mambahw;

// The W4A5-SE registers of the sweep: the default config's calibrated format.
const DualScaleFormat kSe = DualScaleFormat::make(4, true, 0.1689f, 12.6f);

template <class V>
std::uint64_t sweep(const NumericsPolicy& p, float scale, std::uint64_t begin, std::uint64_t end) {
  VerilatedContext ctx;
  V m(&ctx, "dut");
  const float reg = reciprocal(scale);
  m.rst_ni = 0;
  m.clk_i = 0;
  m.eval();
  m.clk_i = 1;
  m.eval();
  m.rst_ni = 1;
  m.ready_i = 1;
  m.valid_i = 1;
  m.scale_i = bits_of(reg);
  m.se_scale1_i = bits_of(kSe.inv_scale1);
  m.se_scale12_i = bits_of(kSe.inv_scale12);
  std::uint32_t in_flight[2] = {0, 0};  // inputs accepted 1 and 2 cycles ago
  std::uint64_t mismatches = 0;
  const std::uint64_t total = end - begin + 2;  // two extra cycles drain the pipeline
  for (std::uint64_t i = 0; i < total; ++i) {
    const auto x = static_cast<std::uint32_t>(begin + i);
    m.x_i = x;
    m.valid_i = i < end - begin;
    m.clk_i = 0;
    m.eval();
    if (i >= 2) {
      const std::uint32_t xi = in_flight[1];
      const float xf = float_of(xi);
      const auto want_code = static_cast<std::uint8_t>(quantize(xf, reg, reg, p));
      const std::uint16_t want_se = pack_dual(quantize_dual(xf, kSe, p), 4);
      if (m.code_o != want_code || m.se_o != want_se) {
        if (++mismatches <= 5)
          std::printf("MISMATCH x=0x%08x scale_reg=0x%08x: golden code 0x%02x se 0x%02x, rtl code 0x%02x se 0x%02x\n"
                      "  waveform: rtl_replay --rounding %s --x 0x%08x --scale-reg 0x%08x --fst fail.fst\n",
                      xi, bits_of(reg), want_code, want_se, m.code_o, m.se_o, std::string(to_string(p.rounding)).c_str(),
                      xi, bits_of(reg));
      }
    }
    in_flight[1] = in_flight[0];
    in_flight[0] = x;
    m.clk_i = 1;
    m.eval();
  }
  return mismatches;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Exhaustive FP32 sweep of the Verilated conv_out_quantizer against the golden model"};
  std::string rounding = "half_away_from_zero";
  float scale = 0.1f;
  std::uint64_t shard = 0, shards = 1, limit = 1ull << 32;
  app.add_option("--rounding", rounding)->check(CLI::IsMember({"half_away_from_zero", "half_to_even"}));
  app.add_option("--scale", scale, "INT8 scale (the register holds fp32(1/scale))");
  app.add_option("--shard", shard);
  app.add_option("--shards", shards)->check(CLI::Range(1, 65536));
  app.add_option("--limit", limit, "Sweep only the first N bit patterns of the shard");
  CLI11_PARSE(app, argc, argv);
  NumericsPolicy p;
  p.rounding = *parse_enum<Rounding>(rounding);
  const std::uint64_t span = (1ull << 32) / shards;
  const std::uint64_t begin = shard * span;
  const std::uint64_t stop = shard + 1 == shards ? std::uint64_t{1} << 32 : begin + span;
  const std::uint64_t end = std::min<std::uint64_t>(begin + limit, stop);
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t bad = p.rounding == Rounding::kHalfToEven ? sweep<Vqf_even>(p, scale, begin, end)
                                                                 : sweep<Vqf_away>(p, scale, begin, end);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("conv_out_quantizer %s scale %a (reg 0x%08x): inputs [0x%09llx, 0x%09llx): %llu mismatches, "
              "%.1f s, %.1f M vectors/s\n",
              rounding.c_str(), static_cast<double>(scale), bits_of(reciprocal(scale)),
              static_cast<unsigned long long>(begin), static_cast<unsigned long long>(end),
              static_cast<unsigned long long>(bad), s, static_cast<double>(end - begin) / s / 1e6);
  return bad == 0 ? 0 : 1;
}
