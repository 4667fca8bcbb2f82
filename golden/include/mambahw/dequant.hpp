// The SSM dequant stage: an integer code times an FP32 scale.
//   value = fp32(float(code) * scale)      one IEEE multiply, round to nearest even
// float(code) is exact for |code| < 2^24. With positive finite scales the only
// way to get -0 is a negative code whose product underflows to zero, which
// happens only under Denormals::kFlushToZero (sign-preserving flush).
// The dual-scale MUX (dual_scale.hpp) selects the scale and then uses this.
#pragma once

#include <cstdint>

#include "mambahw/numerics.hpp"

namespace mambahw {

inline float dequant(std::int32_t code, float scale, Denormals d) {
  return fmul(static_cast<float>(code), scale, d);
}

}  // namespace mambahw
