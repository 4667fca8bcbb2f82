// Array forms of numerics.hpp functions: the same functions element by element
// (the INT quantizer, FP16 rounding), written without branches so the
// compiler vectorises them. Built with -fno-trapping-math (FP exception flags
// are never read; values are unchanged).
#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>

#include "mambahw/golden/numerics.hpp"
#include "mambahw/golden/vector_clones.hpp"
#include "simd.hpp"

namespace mambahw {

namespace {

// round_to_integral of |v| under rounding R, as a select instead of branches.
// |v| >= 2^23 and Inf: frac is 0 or NaN, so t is kept. Parity of t comes from
// t/2 - trunc(t/2), exact in FP32, so no float->int conversion of a large t.
template <Rounding R>
float round_magnitude(float a) {
  const float t = std::trunc(a);
  if constexpr (R == Rounding::kTowardZero) {
    return t;
  } else {
    const float frac = a - t;  // exact
    bool away;
    if constexpr (R == Rounding::kHalfAwayFromZero) {
      away = frac >= 0.5f;
    } else {
      const float half_t = t * 0.5f;
      const bool odd = half_t != std::trunc(half_t);
      away = frac > 0.5f || (frac == 0.5f && odd);
    }
    return away ? t + 1.0f : t;
  }
}

template <Rounding R, QuantizeOp Op>
MAMBAHW_VECTOR_CLONES
void quantize_kernel(const float* x, float scale, float inv_scale, std::int8_t* out,
                     std::size_t n, float qmin, float qmax) {
  for (std::size_t i = 0; i < n; ++i) {
    const float v = Op == QuantizeOp::kDivide ? x[i] / scale : x[i] * inv_scale;
    const float q = std::clamp(std::copysign(round_magnitude<R>(std::fabs(v)), v), qmin, qmax);
    out[i] = v != v ? std::int8_t{0} : static_cast<std::int8_t>(static_cast<std::int32_t>(q));
  }
}

template <Rounding R>
void quantize_kernel(const float* x, float scale, float inv_scale, std::int8_t* out,
                     std::size_t n, QuantizeOp op, float qmin, float qmax) {
  if (op == QuantizeOp::kDivide)
    quantize_kernel<R, QuantizeOp::kDivide>(x, scale, inv_scale, out, n, qmin, qmax);
  else
    quantize_kernel<R, QuantizeOp::kMultiplyReciprocal>(x, scale, inv_scale, out, n, qmin, qmax);
}

}  // namespace

#define MAMBAHW_SIMD_KERNELS "numerics_lanes.inc"
#include "simd_variants.inc"

void quantize_batch(const float* x, float scale, float inv_scale, std::int8_t* out, std::size_t n,
                    const NumericsPolicy& p, CodeRange r) {
  assert(r.bits <= 8);
  if (p.overflow == Overflow::kWrap || p.denormals == Denormals::kFlushToZero) {
    for (std::size_t i = 0; i < n; ++i)
      out[i] = static_cast<std::int8_t>(quantize(x[i], scale, inv_scale, p, r));
    return;
  }
  const auto qmin = static_cast<float>(r.qmin), qmax = static_cast<float>(r.qmax);
  if (kernel_isa() == KernelIsa::kSpec) {
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::int8_t>(quantize(x[i], scale, inv_scale, p, r));
    return;
  }
  if (kernel_isa() != KernelIsa::kBaseline) {
    MAMBAHW_SIMD_CALL(quantize_lanes, x, scale, inv_scale, out, n, p.rounding, p.quantize_op == QuantizeOp::kDivide,
                      qmin, qmax);
    return;
  }
  switch (p.rounding) {
    case Rounding::kHalfAwayFromZero:
      quantize_kernel<Rounding::kHalfAwayFromZero>(x, scale, inv_scale, out, n, p.quantize_op, qmin, qmax);
      break;
    case Rounding::kHalfToEven:
      quantize_kernel<Rounding::kHalfToEven>(x, scale, inv_scale, out, n, p.quantize_op, qmin, qmax);
      break;
    case Rounding::kTowardZero:
      quantize_kernel<Rounding::kTowardZero>(x, scale, inv_scale, out, n, p.quantize_op, qmin, qmax);
      break;
  }
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
