// Replays one conv_out_quantizer transaction through the traced Verilated
// model and writes an FST waveform (open with gtkwave).
//   rtl_replay --rounding half_to_even --x 0x3f800000 --scale-reg 0x41200000 --fst fail.fst
#include <cstdio>

#include <CLI/CLI.hpp>

#include "Vq_away.h"
#include "Vq_even.h"
#include "rtl_harness.hpp"

namespace {
using namespace mambahw;

struct Ports {
  template <class V>
  static void drive(V& m, std::span<const std::uint64_t> s) {
    m.x_i = static_cast<std::uint32_t>(s[0]);
    m.scale_i = static_cast<std::uint32_t>(s[1]);
  }
  template <class V>
  static void sample(const V& m, std::span<std::uint64_t> r) {
    r[0] = m.code_o;
    r[1] = m.se_o;
  }
};

template <class V>
int replay(const NumericsPolicy& p, std::uint32_t x, std::uint32_t reg, const std::string& fst) {
  const DualScaleFormat se = DualScaleFormat::make(4, true, 0.1689f, 12.6f);
  const auto block = verif::conv_out_quantizer_block(p, se, {});
  rtl_tb::Stream<V, Ports> s(*block, [&](V& m) {
    m.se_scale1_i = bits_of(se.inv_scale1);
    m.se_scale12_i = bits_of(se.inv_scale12);
  });
  s.trace(fst);
  const std::uint64_t stim[2] = {x, reg};
  s.push(stim);
  const rtl_tb::StreamResult r = s.finish();
  std::printf("%s; waveform in %s\n", r.mismatches ? rtl_tb::describe(*block, r.first[0]).c_str() : "RTL matches golden",
              fst.c_str());
  return r.mismatches ? 1 : 0;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Replay one conv_out_quantizer transaction with an FST waveform"};
  std::string rounding = "half_away_from_zero", fst = "replay.fst";
  std::uint32_t x = 0, reg = 0x3f800000;
  app.add_option("--rounding", rounding)->check(CLI::IsMember({"half_away_from_zero", "half_to_even"}));
  app.add_option("--x", x, "FP32 input bits")->required();
  app.add_option("--scale-reg", reg, "scale register bits (fp32(1/scale))");
  app.add_option("--fst", fst);
  CLI11_PARSE(app, argc, argv);
  NumericsPolicy p;
  p.rounding = *parse_enum<Rounding>(rounding);
  return p.rounding == Rounding::kHalfToEven ? replay<Vq_even>(p, x, reg, fst) : replay<Vq_away>(p, x, reg, fst);
}
