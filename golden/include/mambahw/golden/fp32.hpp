// FP32 bit-level helpers shared by the golden model, the RTL testbenches and
// the SystemC model. Everything here is exact: no operation rounds except the
// IEEE-754 binary32 add/mul/div/fma the host performs with round-to-nearest-even
// (the golden library is compiled with -ffp-contract=off and without fast-math,
// see golden/CMakeLists.txt, so the compiler neither fuses nor reorders them).
#pragma once

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>

static_assert(FLT_EVAL_METHOD == 0, "golden model needs float evaluated in float (SSE2), not x87");
static_assert(std::numeric_limits<float>::is_iec559, "golden model needs IEEE-754 binary32");

namespace mambahw {

inline constexpr std::uint32_t kFp32SignMask = 0x8000'0000u;
inline constexpr std::uint32_t kFp32ExpMask = 0x7F80'0000u;
inline constexpr std::uint32_t kFp32FracMask = 0x007F'FFFFu;
// The one NaN the golden model produces wherever it defines an FP32 NaN result:
// positive sign, quiet bit set, zero payload (the RISC-V / ARM "default NaN").
inline constexpr std::uint32_t kFp32CanonicalNan = 0x7FC0'0000u;

constexpr std::uint32_t bits_of(float x) { return std::bit_cast<std::uint32_t>(x); }
constexpr float float_of(std::uint32_t b) { return std::bit_cast<float>(b); }

constexpr bool is_nan_bits(std::uint32_t b) {
  return (b & kFp32ExpMask) == kFp32ExpMask && (b & kFp32FracMask) != 0;
}
constexpr bool is_inf_bits(std::uint32_t b) {
  return (b & ~kFp32SignMask) == kFp32ExpMask;
}
constexpr bool is_subnormal_bits(std::uint32_t b) {
  return (b & kFp32ExpMask) == 0 && (b & kFp32FracMask) != 0;
}

// Replaces a subnormal by a zero of the same sign; everything else unchanged.
constexpr float flush_subnormal(float x) {
  const std::uint32_t b = bits_of(x);
  return is_subnormal_bits(b) ? float_of(b & kFp32SignMask) : x;
}

// Replaces any NaN by kFp32CanonicalNan. Applied where the specification says
// an FP32 result leaves a unit, so that NaN payloads never depend on the host.
constexpr float canonicalize_nan(float x) {
  return is_nan_bits(bits_of(x)) ? float_of(kFp32CanonicalNan) : x;
}

// Exact 2^e for e in [-126, 127] (a normal power of two).
constexpr float exp2_normal(int e) {
  return float_of(static_cast<std::uint32_t>(e + 127) << 23);
}

}  // namespace mambahw
