// The SSM dequant stage: an integer code times an FP32 scale.
//   value = fp32(float(code) * scale)      one IEEE multiply, round to nearest even
// float(code) is exact for |code| < 2^24. With positive finite scales the only
// way to get -0 is a negative code whose product underflows to zero, which
// happens only under Denormals::kFlushToZero (sign-preserving flush).
// A NaN result (only from a NaN or infinite scale register times 0) is the
// canonical 0x7FC00000, whatever the host produces for 0 * Inf.
// The dual-scale MUX (dual_scale.hpp) selects the scale and then uses this.
#pragma once

#include <cstdint>

#include "mambahw/golden/numerics.hpp"

namespace mambahw {

inline float dequant(std::int32_t code, float scale, Denormals d) {
  return canonicalize_nan(fmul(static_cast<float>(code), scale, d));
}

// One dequant: the code's conversion to FP32 and the multiply.
inline OpMix dequant_ops() { return OpMix::of(DatapathOp::kFp32Convert) + OpMix::of(DatapathOp::kFp32Mul); }

}  // namespace mambahw
