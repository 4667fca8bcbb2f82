// Array forms of numerics.hpp functions: the same functions element by element
// (the INT quantizer in lanes, numerics_lanes.inc; FP16 rounding written
// without branches so the compiler vectorises it). Built with
// -fno-trapping-math (FP exception flags are never read; values are unchanged).
#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>

#include "mambahw/golden/numerics.hpp"
#include "mambahw/golden/vector_clones.hpp"
#include "simd.hpp"

namespace mambahw {

#define MAMBAHW_SIMD_KERNELS "numerics_lanes.inc"
#include "simd_variants.inc"

void quantize_batch(const float* x, float scale, float inv_scale, std::int8_t* out, std::size_t n,
                    const NumericsPolicy& p, CodeRange r) {
  assert(r.bits <= 8);
  if (p.overflow == Overflow::kWrap || p.denormals == Denormals::kFlushToZero || kernel_isa() == KernelIsa::kSpec) {
    for (std::size_t i = 0; i < n; ++i)
      out[i] = static_cast<std::int8_t>(quantize(x[i], scale, inv_scale, p, r));
    return;
  }
  const auto qmin = static_cast<float>(r.qmin), qmax = static_cast<float>(r.qmax);
  MAMBAHW_SIMD_CALL(quantize_lanes, x, scale, inv_scale, out, n, p.rounding, p.quantize_op == QuantizeOp::kDivide,
                    qmin, qmax);
}

// fp16_to_fp32(fp32_to_fp16(x)) on the FP32 bit pattern: round the significand
// to 10 bits (RNE) in the normal half range, to a multiple of 2^-24 below it
// ((|x| + 0.75) - 0.75 rounds there exactly: 0.75's ulp is 2^-24), Inf from
// 65520 up, and the canonical NaN for every NaN.
MAMBAHW_VECTOR_CLONES
void fp16_round_batch(const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t b = std::bit_cast<std::uint32_t>(x[i]);
    const std::uint32_t sign = b & kFp32SignMask, a = b & ~kFp32SignMask;
    const std::uint32_t normal = (a + 0xFFFu + ((a >> 13) & 1u)) & ~0x1FFFu;
    const std::uint32_t tiny = std::bit_cast<std::uint32_t>((std::bit_cast<float>(a) + 0.75f) - 0.75f);
    std::uint32_t r = a < 0x3880'0000u ? tiny : normal;
    r = a >= 0x477F'F000u ? kFp32ExpMask : r;
    y[i] = std::bit_cast<float>(a > kFp32ExpMask ? kFp32CanonicalNan : (sign | r));
  }
}

}  // namespace mambahw
