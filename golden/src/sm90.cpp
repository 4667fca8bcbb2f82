#include "mambahw/golden/sm90.hpp"

#include <cmath>
#include <iterator>
#include <string>
#include <stdexcept>
#include <vector>

#include "mambahw/golden/fp32.hpp"

// The H200's own MUFU outputs on the fraction grids (golden/data/sm90_tables.tar.xz,
// extracted at configure time and assembled in by sm90_tables.S): 4 bytes of the
// first entry, then 2^23 signed byte differences between successive entries.
extern "C" const unsigned char mambahw_sm90_ex2_pos[], mambahw_sm90_ex2_neg[], mambahw_sm90_rcp[];

namespace mambahw {

namespace {

// .ftz on an operand or a rounded result: a subnormal becomes a signed zero.
float ftz(float x) { return flush_subnormal(x); }

// The GPU's NaN for any NaN result.
float gpu_nan(float x) { return is_nan_bits(bits_of(x)) ? float_of(kSm90Nan) : x; }

constexpr std::size_t kGrid = std::size_t{1} << 23;

// One MUFU table, decoded and checked against the FNV-1a hash of the values the
// H200 produced (tb/data/sm90_units/README.md), so a damaged archive is an error.
std::vector<std::uint32_t> decode_table(const unsigned char* d8, std::uint64_t fnv, const char* name) {
  std::vector<std::uint32_t> t(kGrid);
  std::uint32_t v = static_cast<std::uint32_t>(d8[0]) | static_cast<std::uint32_t>(d8[1]) << 8 |
                    static_cast<std::uint32_t>(d8[2]) << 16 | static_cast<std::uint32_t>(d8[3]) << 24;
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::size_t j = 0; j < kGrid; ++j) {
    if (j > 0) v += static_cast<std::uint32_t>(static_cast<std::int32_t>(static_cast<signed char>(d8[4 + j])));
    t[j] = v;
    for (int k = 0; k < 4; ++k) h = (h ^ ((v >> (8 * k)) & 0xFFu)) * 0x100000001b3ull;
  }
  if (h != fnv)
    throw std::runtime_error(std::string("sm90 unit table '") + name +
                             "' does not match the H200 data it was built from (corrupt golden/data/sm90_tables.tar.xz?)");
  return t;
}

// Each table decoded on its first use (32 MiB each): a scheme with the sm90
// reciprocal alone never decodes the ex2 tables.
const std::vector<std::uint32_t>& ex2_pos_table() {
  static const std::vector<std::uint32_t> t = decode_table(mambahw_sm90_ex2_pos, 0x83cc80f65499677full, "ex2_pos");
  return t;
}
const std::vector<std::uint32_t>& ex2_neg_table() {
  static const std::vector<std::uint32_t> t = decode_table(mambahw_sm90_ex2_neg, 0xaa30c9671e56d0f6ull, "ex2_neg");
  return t;
}
const std::vector<std::uint32_t>& rcp_table() {
  static const std::vector<std::uint32_t> t = decode_table(mambahw_sm90_rcp, 0xf6c4479b058c7200ull, "rcp");
  return t;
}

// t * 2^k for a normal t, exact while the result is normal; a result below 2^-126
// is flushed to +0 (.ftz), one above the range is +Inf.
std::uint32_t scale_pow2_ftz(std::uint32_t t, int k) {
  const int e = static_cast<int>(t >> 23) + k;
  if (e < 1) return t & kFp32SignMask;
  if (e > 254) return (t & kFp32SignMask) | kFp32ExpMask;
  return t + static_cast<std::uint32_t>(k * (1 << 23));
}

}  // namespace

// ex2.approx.ftz.f32: |x| as a fixed-point number with 23 fraction bits,
// truncated (sign and magnitude), F = i 2^23 + f; the result is the GPU's value
// on the grid, ex2(+-f 2^-23), times 2^(+-i). Shown equal to the H200 on all
// 2^32 inputs (tb/data/sm90_units/README.md).
float sm90_ex2(float x) {
  const std::uint32_t xb = bits_of(x), ab = xb & ~kFp32SignMask;
  const bool neg = (xb & kFp32SignMask) != 0;
  if (ab > kFp32ExpMask) return float_of(kSm90Nan);
  if (ab < 0x0080'0000u) return 1.0f;                                  // +-0, subnormals (read as 0)
  if (ab >= 0x4300'0000u) return neg ? 0.0f : float_of(kFp32ExpMask);  // |x| >= 128, +-Inf
  const int e = static_cast<int>(ab >> 23) - 127;
  const std::uint64_t m = (ab & kFp32FracMask) | 0x0080'0000u;  // |x| = m 2^(e - 23)
  const std::uint64_t F = e >= 0 ? m << e : (-e >= 24 ? 0 : m >> -e);
  const int i = static_cast<int>(F >> 23);
  const std::uint32_t f = static_cast<std::uint32_t>(F & kFp32FracMask);
  return neg ? float_of(scale_pow2_ftz(ex2_neg_table()[f], -i)) : float_of(scale_pow2_ftz(ex2_pos_table()[f], i));
}

// rcp.approx.ftz.f32: the GPU's value on the significand grid, rcp(1 + f 2^-23),
// times 2^-e. Zero and subnormals give +-Inf, +-Inf gives +-0, results below
// 2^-126 are flushed. Shown equal to the H200 on all 2^32 inputs.
float sm90_rcp(float x) {
  const std::uint32_t xb = bits_of(x), ab = xb & ~kFp32SignMask, sign = xb & kFp32SignMask;
  if (ab > kFp32ExpMask) return float_of(kSm90Nan);
  if (ab < 0x0080'0000u) return float_of(sign | kFp32ExpMask);
  if (ab == kFp32ExpMask) return float_of(sign);
  const int e = static_cast<int>(ab >> 23) - 127;
  return float_of(sign | scale_pow2_ftz(rcp_table()[ab & kFp32FracMask], -e));
}

float sm90_add(float a, float b) { return gpu_nan(ftz(ftz(a) + ftz(b))); }

// Round toward zero from the round-to-nearest sum and its exact error (TwoSum):
// the nearest sum is one step too large in magnitude exactly when the error
// has the opposite sign. Exact for every finite pair (a + 1 never overflows in
// the one use, log1pf); an infinite operand gives the nearest sum itself.
float sm90_add_rz(float a, float b) {
  a = ftz(a);
  b = ftz(b);
  const float s = a + b;
  if (!std::isfinite(s) || !std::isfinite(a) || !std::isfinite(b)) return gpu_nan(s);
  const float bv = s - a;
  const float err = (a - (s - bv)) + (b - bv);  // exact: a + b = s + err
  float r = s;
  if (err != 0.0f && (err < 0.0f) != (s < 0.0f) && s != 0.0f) r = std::nextafter(s, 0.0f);
  return ftz(r);
}

float sm90_mul(float a, float b) { return gpu_nan(ftz(ftz(a) * ftz(b))); }

float sm90_fma(float a, float b, float c) { return gpu_nan(ftz(std::fma(ftz(a), ftz(b), ftz(c)))); }

float sm90_expf(float x) { return sm90_ex2(sm90_mul(x, float_of(0x3FB8AA3Bu))); }

float sm90_div(float a, float b) { return sm90_mul(a, sm90_rcp(b)); }

// libdevice's log1pf, as nvcc -use_fast_math compiles it for sm_90 (read off
// the PTX; docs/arithmetic.md §3.4 lists the steps and constants):
//   u = add.rz(x, 1); e = (bits(u) - bits(0.75)) & 0xFF800000   (exponent, with m in [0.75, 1.5))
//   m1 = (bits(x) - e) + fma(0.25, bits(4.0) - e, -1)           (the reduced argument m - 1, exact)
//   p  = Horner(9 coefficients) in m1; log1p = fma(float(e) * 2^-23, ln2, fma(m1 * p, m1, m1))
// then: x < -1, +Inf and NaN give fma(x, Inf, Inf); x = -0 (or a negative subnormal) gives -0.
namespace {
template <class Tally>
float sm90_log1pf_impl(float x, Tally& tally) {
  using Op = DatapathOp;
  const std::uint32_t xb = bits_of(x);
  tally(Op::kFp32Add);  // add.rz
  const float u = sm90_add_rz(x, 1.0f);
  tally(Op::kIntAdd, 3);  // the exponent split: sub, and, sub (twice, in parallel)
  const std::uint32_t e = (bits_of(u) - 0x3F40'0000u) & 0xFF80'0000u;
  const float xs = float_of(xb - e);
  const float four_s = float_of(0x4080'0000u - e);
  tally(Op::kFp32Fma);
  tally(Op::kFp32Add);
  const float m1 = sm90_add(sm90_fma(0.25f, four_s, -1.0f), xs);
  tally(Op::kFp32Convert);
  tally(Op::kFp32Mul);
  const float ef = sm90_mul(static_cast<float>(static_cast<std::int32_t>(e)), 0x1p-23f);
  constexpr std::uint32_t kCoef[] = {0xBD39BF78u, 0x3DD80012u, 0xBE0778E0u, 0x3E146475u, 0xBE2A68DDu,
                                     0x3E4CAF9Eu, 0xBE800042u, 0x3EAAAAE6u, 0xBF000000u};
  float p = float_of(kCoef[0]);
  for (std::size_t i = 1; i < std::size(kCoef); ++i) {
    tally(Op::kFp32Fma);
    p = sm90_fma(p, m1, float_of(kCoef[i]));
  }
  tally(Op::kFp32Mul);
  tally(Op::kFp32Fma, 2);
  const float q = sm90_mul(m1, p);
  float r = sm90_fma(ef, float_of(0x3F317218u), sm90_fma(q, m1, m1));
  tally(Op::kCompare, 3);  // the range tests on the bits, the zero test
  if (xb < 0x7F80'0000u) return r;  // +0, positive subnormal or finite
  if (!(static_cast<std::int32_t>(xb) < static_cast<std::int32_t>(0xBF80'0001u)))
    r = sm90_fma(x, INFINITY, INFINITY);  // x < -1, +Inf, NaN
  if (ftz(x) == 0.0f) r = -0.0f;
  return r;
}
}  // namespace

float sm90_log1pf(float x) {
  NoTally t;
  return sm90_log1pf_impl(x, t);
}

OpMix sm90_log1pf_ops() {
  OpMix m;
  (void)sm90_log1pf_impl(3.0f, m);
  return m;
}

void sm90_ex2_batch(const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = sm90_ex2(x[i]);
}
void sm90_rcp_batch(const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = sm90_rcp(x[i]);
}
void sm90_expf_batch(const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = sm90_expf(x[i]);
}
void sm90_log1pf_batch(const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = sm90_log1pf(x[i]);
}

}  // namespace mambahw
