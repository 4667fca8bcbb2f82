// The Verilated conv_out_quantizer (uninstrumented, one element per cycle)
// against the golden model over a range of FP32 input bit patterns, for one
// INT8 scale register and rounding mode: the kernel of the exhaustive RTL
// sweep (`mambahw sweep` with `kind: rtl_exhaustive`, docs/sweep.md) and of
// tb/rtl/rtl_exhaustive. Both outputs are compared as bit patterns: the INT8
// code for fp32(1/scale) and the W4A5-SE word for kSeFormat.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "mambahw/golden/dual_scale.hpp"
#include "mambahw/golden/numerics.hpp"

namespace mambahw::sweep {

// The W4A5-SE registers the sweep drives: the default config's calibrated
// format (scale1 0.1689, scale2 12.6, 4-bit symmetric codes).
DualScaleFormat rtl_check_se_format();

// The inputs of a sweep: input i is the bit pattern first + i * stride
// (mod 2^32), for i in [0, count). All 2^32 patterns: first 0, stride 1.
struct InputSet {
  std::uint32_t first = 0;
  std::uint32_t stride = 1;
  std::uint64_t count = std::uint64_t{1} << 32;
  std::uint32_t at(std::uint64_t i) const { return static_cast<std::uint32_t>(first + i * stride); }
};

// Negative controls: a deliberately wrong device under test, so that a run
// shows the check can fail. swap_rounding: the RTL built for the other
// rounding mode; corrupt_input: the RTL's code for that one input has its
// low bit flipped (an injected mismatch).
struct RtlFault {
  bool swap_rounding = false;
  std::optional<std::uint32_t> corrupt_input;
};

struct QuantizerMismatch {
  std::uint64_t index = 0;  // in the InputSet
  std::uint32_t x = 0;
  std::uint8_t golden_code = 0, rtl_code = 0;
  std::uint16_t golden_se = 0, rtl_se = 0;
};

struct RangeCheck {
  std::uint64_t vectors = 0, mismatches = 0;
  std::vector<QuantizerMismatch> first;  // the first `keep`, in input order
};

// Inputs [begin, end) of `inputs` through the RTL for `rounding` (half away
// from zero or half to even: the two the fast models are built for) with the
// scale register fp32(1/scale).
RangeCheck check_conv_out_quantizer(Rounding rounding, float scale, const InputSet& inputs, std::uint64_t begin,
                                    std::uint64_t end, const RtlFault& fault = {}, int keep = 5);

}  // namespace mambahw::sweep
