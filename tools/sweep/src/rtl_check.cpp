#include "mambahw/sweep/rtl_check.hpp"

#include <stdexcept>

#include <verilated.h>

#include "Vqf_away.h"
#include "Vqf_even.h"
#include "mambahw/rtl/verilated_reset.hpp"

namespace mambahw::sweep {

DualScaleFormat rtl_check_se_format() { return DualScaleFormat::make(4, true, 0.1689f, 12.6f); }

namespace {

// Streams the inputs at one per cycle (valid_i high, ready_i high) and
// compares each output two cycles later, when the pipeline delivers it.
template <class V>
RangeCheck run(const NumericsPolicy& p, float scale, const InputSet& in, std::uint64_t begin, std::uint64_t end,
               const RtlFault& fault, int keep) {
  const DualScaleFormat se = rtl_check_se_format();
  VerilatedContext ctx;
  V m(&ctx, "dut");
  const float reg = reciprocal(scale);
  mambahw::rtl::reset_for_one_edge(m);
  m.ready_i = 1;
  m.valid_i = 1;
  m.scale_i = bits_of(reg);
  m.se_scale1_i = bits_of(se.inv_scale1);
  m.se_scale12_i = bits_of(se.inv_scale12);
  std::uint64_t in_flight[2] = {0, 0};  // input indices accepted 1 and 2 cycles ago
  RangeCheck r;
  const std::uint64_t n = end - begin;
  for (std::uint64_t i = 0; i < n + 2; ++i) {  // two extra cycles drain the pipeline
    m.x_i = in.at(begin + std::min(i, n - 1));
    m.valid_i = i < n;
    m.clk_i = 0;
    m.eval();
    if (i >= 2) {
      const std::uint64_t idx = in_flight[1];
      const std::uint32_t xi = in.at(idx);
      const float xf = float_of(xi);
      const auto want_code = static_cast<std::uint8_t>(quantize(xf, reg, reg, p));
      const std::uint16_t want_se = pack_dual(quantize_dual(xf, se, p), 4);
      auto got_code = static_cast<std::uint8_t>(m.code_o);
      if (fault.corrupt_input && *fault.corrupt_input == xi) got_code ^= 1u;
      const auto got_se = static_cast<std::uint16_t>(m.se_o);
      ++r.vectors;
      if (got_code != want_code || got_se != want_se) {
        if (static_cast<int>(r.first.size()) < keep) r.first.push_back({idx, xi, want_code, got_code, want_se, got_se});
        ++r.mismatches;
      }
    }
    in_flight[1] = in_flight[0];
    in_flight[0] = begin + i;
    m.clk_i = 1;
    m.eval();
  }
  return r;
}

}  // namespace

RangeCheck check_conv_out_quantizer(Rounding rounding, float scale, const InputSet& inputs, std::uint64_t begin,
                                    std::uint64_t end, const RtlFault& fault, int keep) {
  if (rounding != Rounding::kHalfAwayFromZero && rounding != Rounding::kHalfToEven)
    throw std::invalid_argument("the fast quantizer models are built for half_away_from_zero and half_to_even only");
  if (begin >= end || end > inputs.count) throw std::invalid_argument("empty or out-of-range input range");
  NumericsPolicy p;
  p.rounding = rounding;
  const bool even = (rounding == Rounding::kHalfToEven) != fault.swap_rounding;
  return even ? run<Vqf_even>(p, scale, inputs, begin, end, fault, keep) : run<Vqf_away>(p, scale, inputs, begin, end, fault, keep);
}

}  // namespace mambahw::sweep
