#include "mambahw/golden/reference_exp.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "mambahw/golden/kernel_isa.hpp"
#include "simd.hpp"

namespace mambahw {

namespace {

// The constants of reference_exp.hpp's algorithm.
constexpr int kExpTableBits = 6;
constexpr std::int64_t kExpTable = 1 << kExpTableBits;
constexpr double kExpHi = 710.0, kExpLo = -746.0;  // beyond them the result is already inf or 0
constexpr double kInvLn2N = 92.332482616893658;    // 64 / ln 2
constexpr double kShift = 6755399441055744.0;      // 1.5 * 2^52: adding it rounds to an integer
// ln 2 / 64 in two parts: the high part's 32 significant bits times any |k| < 2^21 are exact.
constexpr double kLn2HiN = 6.93147180369123816490e-01 / 64;
constexpr double kLn2LoN = 1.90821492927058770002e-10 / 64;
constexpr double kC2 = 0.5, kC3 = 1.0 / 6, kC4 = 1.0 / 24, kC5 = 1.0 / 120, kC6 = 1.0 / 720;

// T[j] = 2^(j/64) rounded to nearest: from long double (64-bit significand)
// exp2l, whose error is far below the rounding to 53 bits
// (ReferenceExp.TableIsTheRoundedPowersOfTwo checks the rounding).
const double* exp_table() {
  static const auto table = [] {
    struct T {
      double v[kExpTable];
    } t{};
    for (std::int64_t j = 0; j < kExpTable; ++j)
      t.v[j] = static_cast<double>(exp2l(static_cast<long double>(j) / kExpTable));
    return t;
  }();
  return table.v;
}

double from_bits(std::int64_t b) {
  double d;
  std::memcpy(&d, &b, sizeof d);
  return d;
}
std::int64_t to_bits(double d) {
  std::int64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

}  // namespace

double reference_exp(double x) {
  if (x > kExpHi) x = kExpHi;  // NaN keeps NaN (both compares false)
  if (x < kExpLo) x = kExpLo;
  const double kd_shifted = x * kInvLn2N + kShift;
  const std::int64_t k = to_bits(kd_shifted) - to_bits(kShift);
  const double kd = kd_shifted - kShift;
  const double r = (x - kd * kLn2HiN) - kd * kLn2LoN;
  const double r2 = r * r;
  const double p = r + r2 * (kC2 + r * kC3) + (r2 * r2) * (kC4 + r * kC5 + r2 * kC6);
  const double t = exp_table()[k & (kExpTable - 1)];
  const std::int64_t m = k >> kExpTableBits, m1 = m >> 1, m2 = m - m1;
  return ((t + t * p) * from_bits((m1 + 1023) << 52)) * from_bits((m2 + 1023) << 52);
}

}  // namespace mambahw

namespace mambahw {

#define MAMBAHW_SIMD_KERNELS "reference_exp_lanes.inc"
#include "simd_variants.inc"

void reference_exp_batch(const double* x, double* y, std::size_t n) {
  if (kernel_isa() == KernelIsa::kSpec) {
    for (std::size_t i = 0; i < n; ++i) y[i] = reference_exp(x[i]);
    return;
  }
  const double* table = exp_table();
  MAMBAHW_SIMD_CALL(reference_exp_lanes, x, y, n, table);
}

}  // namespace mambahw
