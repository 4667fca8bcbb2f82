// Exhaustive check of conv_out_quantizer: every FP32 input bit pattern (or a
// shard of them) for one INT8 scale register and rounding mode, against the
// golden model, at full pipeline throughput (uninstrumented Verilated model;
// the kernel is mambahw/sweep/rtl_check.hpp, which `mambahw sweep` runs
// sharded over scales x roundings, locally or through Slurm).
//   rtl_exhaustive --rounding half_away_from_zero --scale 0.1 [--shard 0 --shards 2]
// Exit status 0 iff there is no mismatch. On a mismatch it prints the input,
// both outputs and the rtl_replay command that dumps a waveform of it.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "mambahw/golden/numerics.hpp"
#include "mambahw/sweep/rtl_check.hpp"

int main(int argc, char** argv) {
  using namespace mambahw;
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
  const Rounding r = *parse_enum<Rounding>(rounding);
  const std::uint64_t span = (1ull << 32) / shards;
  const std::uint64_t begin = shard * span;
  const std::uint64_t stop = shard + 1 == shards ? std::uint64_t{1} << 32 : begin + span;
  const std::uint64_t end = std::min<std::uint64_t>(begin + limit, stop);
  const auto t0 = std::chrono::steady_clock::now();
  const sweep::RangeCheck c = sweep::check_conv_out_quantizer(r, scale, sweep::InputSet{}, begin, end);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::uint32_t reg = bits_of(reciprocal(scale));
  for (const sweep::QuantizerMismatch& m : c.first)
    std::printf("MISMATCH x=0x%08x scale_reg=0x%08x: golden code 0x%02x se 0x%02x, rtl code 0x%02x se 0x%02x\n"
                "  waveform: rtl_replay --rounding %s --x 0x%08x --scale-reg 0x%08x --fst fail.fst\n",
                m.x, reg, m.golden_code, m.golden_se, m.rtl_code, m.rtl_se, rounding.c_str(), m.x, reg);
  std::printf("conv_out_quantizer %s scale %a (reg 0x%08x): inputs [0x%09llx, 0x%09llx): %llu mismatches, "
              "%.1f s, %.1f M vectors/s\n",
              rounding.c_str(), static_cast<double>(scale), reg, static_cast<unsigned long long>(begin),
              static_cast<unsigned long long>(end), static_cast<unsigned long long>(c.mismatches), s,
              static_cast<double>(end - begin) / s / 1e6);
  return c.mismatches == 0 ? 0 : 1;
}
