#include "mambahw/golden/units.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <mutex>
#include <optional>
#include <vector>

#include "mambahw/golden/exp_unit.hpp"
#include "mambahw/golden/sm90.hpp"
#include "mambahw/golden/ssm.hpp"

namespace mambahw {

namespace {

using Op = DatapathOp;

// ---- deterministic double-precision functions for building tables -----------
// Only IEEE + - * / and sqrt, so every host computes the same coefficients.

double det_exp2(double u) {  // 2^u for u in [0, 1]: Taylor series of e^(u ln2), 24 terms
  const double t = u * 0x1.62e42fefa39efp-1;
  double s = 1.0;
  for (int k = 24; k >= 1; --k) s = 1.0 + s * t / k;
  return s;
}

double det_log1p_over(double u) {  // ln(1 + u) / u for u in [0, 1]: 2/(2+u) * atanh(s)/s, s = u/(2+u)
  if (u == 0.0) return 1.0;
  const double s = u / (2.0 + u), z = s * s;
  double r = 0.0;
  for (int k = 40; k >= 0; --k) r = 1.0 / (2 * k + 1) + z * r;
  return 2.0 / (2.0 + u) * r;
}

double det_recip(double u) { return 1.0 / (1.0 + u); }

std::int64_t round_int(double v) { return static_cast<std::int64_t>(std::floor(v + 0.5)); }

// Bits of a table field holding every value of `v`: unsigned when none is
// negative, else two's complement.
int field_width(const std::vector<std::int64_t>& v) {
  int w = 0;
  bool negative = false;
  for (auto x : v) {
    negative |= x < 0;
    w = std::max(w, static_cast<int>(std::bit_width(static_cast<std::uint64_t>(x < 0 ? ~x : x))));
  }
  return v.empty() ? 0 : w + (negative ? 1 : 0);
}

// g(f) on [0, 1) for an F-bit fraction f, in units of 2^-30, by linear
// interpolation between S + 1 table points (pwl) or by a quadratic in the
// offset within one of 2^B segments (tquad). Integer arithmetic throughout;
// every shift of a signed product truncates toward -Inf (an arithmetic shift).
class FixedApprox {
 public:
  FixedApprox(bool quadratic, int param, int frac_bits, double (*g)(double))
      : quadratic_(quadratic), index_bits_(quadratic ? param : std::countr_zero(static_cast<unsigned>(param))),
        frac_bits_(frac_bits) {
    const int segs = 1 << index_bits_;
    if (!quadratic_) {
      c0_.resize(static_cast<std::size_t>(segs) + 1);
      for (int k = 0; k <= segs; ++k) c0_[static_cast<std::size_t>(k)] = round_int(g(static_cast<double>(k) / segs) * 0x1p30);
    } else {
      // Interpolation at the Chebyshev nodes of each segment (near-minimax).
      const double c = std::sqrt(3.0) / 2.0, t0 = (1.0 - c) / 2.0, t1 = 0.5, t2 = (1.0 + c) / 2.0;
      for (int k = 0; k < segs; ++k) {
        const double y0 = g((k + t0) / segs) * 0x1p30, y1 = g((k + t1) / segs) * 0x1p30,
                     y2 = g((k + t2) / segs) * 0x1p30;
        const double d01 = (y1 - y0) / (t1 - t0), d12 = (y2 - y1) / (t2 - t1);
        const double a2 = (d12 - d01) / (t2 - t0), a1 = d01 - a2 * (t0 + t1), a0 = y0 - a1 * t0 - a2 * t0 * t0;
        c0_.push_back(round_int(a0));
        c1_.push_back(round_int(a1));
        c2_.push_back(round_int(a2));
      }
    }
    w0_ = field_width(c0_);
    w1_ = field_width(c1_);
    w2_ = field_width(c2_);
  }

  template <class Tally>
  std::int64_t eval(std::uint64_t f, Tally& tally) const {
    const int sh = frac_bits_ - index_bits_;
    const auto seg = static_cast<std::size_t>(f >> sh);
    const auto dx = static_cast<std::int64_t>(f & ((std::uint64_t{1} << sh) - 1));
    if (!quadratic_) {
      tally(Op::kTableBit, 2 * w0_);  // two neighbouring points
      tally(Op::kIntAdd, 2);
      tally(Op::kIntMul);
      const std::int64_t p = c0_[seg], q = c0_[seg + 1];
      return p + (((q - p) * dx) >> sh);
    }
    tally(Op::kTableBit, w0_ + w1_ + w2_);
    tally(Op::kIntMul, 3);  // squarer, two coefficient multipliers
    tally(Op::kIntAdd, 2);
    const std::int64_t sq = (dx * dx) >> sh;
    return c0_[seg] + ((c1_[seg] * dx) >> sh) + ((c2_[seg] * sq) >> sh);
  }

  TableShape shape() const {
    return {static_cast<int>(c0_.size()), index_bits_, frac_bits_, frac_bits_ - index_bits_, w0_, w1_, w2_};
  }

 private:
  bool quadratic_;
  int index_bits_, frac_bits_;
  std::vector<std::int64_t> c0_, c1_, c2_;
  int w0_ = 0, w1_ = 0, w2_ = 0;
};

enum class Fn { kExp, kLog1p, kRecip };
constexpr int kExpFracBits = 30, kLog1pFracBits = 30, kRecipFracBits = 23;

// The tables of one function, built once per variant on first use.
const FixedApprox& approx(Fn fn, bool quadratic, int param) {
  constexpr int kSlots = 13;  // pwl: log2(S) in [1, 12]; tquad: B in [2, 12]
  struct Slot {
    std::once_flag once;
    std::optional<FixedApprox> a;
  };
  static std::array<std::array<Slot, kSlots>, 6> slots;
  const int idx = quadratic ? param : std::countr_zero(static_cast<unsigned>(param));
  Slot& s = slots[static_cast<std::size_t>(static_cast<int>(fn) * 2 + (quadratic ? 1 : 0))][static_cast<std::size_t>(idx)];
  std::call_once(s.once, [&] {
    switch (fn) {
      case Fn::kExp: s.a.emplace(quadratic, param, kExpFracBits, det_exp2); break;
      case Fn::kLog1p: s.a.emplace(quadratic, param, kLog1pFracBits, det_log1p_over); break;
      case Fn::kRecip: s.a.emplace(quadratic, param, kRecipFracBits, det_recip); break;
    }
  });
  return *s.a;
}

template <class V>
const FixedApprox& approx_of(Fn fn, const V& u) {
  return approx(fn, to_string(u.kind) == std::string_view("tquad"), u.param);
}

// M * 2^e2 (M > 0) rounded once to FP32, round to nearest even, with gradual
// underflow (then flushed if the policy says so) and overflow to Inf.
float round_to_fp32(std::uint64_t M, int e2, bool negative, Denormals d) {
  const std::uint32_t sign = negative ? kFp32SignMask : 0u;
  if (M == 0) return float_of(sign);
  const int nb = static_cast<int>(std::bit_width(M));
  const int E = nb - 1 + e2;                 // exponent of the leading bit
  const int lsb = std::max(E - 23, -149);    // weight of the result's last bit
  const int drop = lsb - e2;                 // bits of M below it
  std::uint64_t q;
  if (drop <= 0) {
    q = M << -drop;
  } else if (drop >= 64) {
    q = 0;  // far below half of the smallest subnormal
  } else {
    q = M >> drop;
    const std::uint64_t rem = M & ((std::uint64_t{1} << drop) - 1), half = std::uint64_t{1} << (drop - 1);
    if (rem > half || (rem == half && (q & 1))) ++q;
  }
  // q * 2^lsb: q < 2^24 normal (or 2^24 after a carry), or a subnormal count.
  std::uint32_t b;
  if (lsb == -149 && q < (std::uint64_t{1} << 23)) {
    b = static_cast<std::uint32_t>(q);  // subnormal (or zero)
  } else {
    int e = lsb + 23;
    if (q >= (std::uint64_t{1} << 24)) {
      q >>= 1;  // the carry made it 2^24 exactly
      ++e;
    }
    if (e > 127) return float_of(sign | kFp32ExpMask);
    b = static_cast<std::uint32_t>(e + 127) << 23 | (static_cast<std::uint32_t>(q) & kFp32FracMask);
  }
  return ftz_if(float_of(sign | b), d);
}

// The exact significand and exponent of a nonzero finite float: |x| = m 2^(e - 23),
// m < 2^24 (subnormals have m < 2^23 and e = -126).
void split(float x, std::uint64_t& m, int& e) {
  const std::uint32_t b = bits_of(x) & ~kFp32SignMask;
  const int be = static_cast<int>(b >> 23);
  m = b & kFp32FracMask;
  if (be == 0) {
    e = -126;
  } else {
    m |= 0x0080'0000u;
    e = be - 127;
  }
}

// log2(e) to 32 bits, rounded: 1.0111000101010100011101100101001 (error 0.36 2^-31).
constexpr std::uint64_t kLog2eQ31 = 3098164009;

// floor(x log2(e) 2^F) for a nonzero finite x with |x| < 128: one 24 x 32-bit
// integer product of the significand and kLog2eQ31, then a right shift that
// truncates toward -Inf (the bits shifted out of a negative product round its
// magnitude up).
std::int64_t scaled_log2e(float x, int F) {
  std::uint64_t m;
  int e;
  split(x, m, e);
  const std::uint64_t P = m * kLog2eQ31;  // |x| log2(e) = P 2^(e - 23 - 31), P < 2^56
  const int s = 23 + 31 - F - e;          // > 0 for |x| < 128 and F <= 30
  const std::uint64_t q = s >= 64 ? 0 : P >> s;
  const bool lost = s >= 64 ? P != 0 : (P & ((std::uint64_t{1} << s) - 1)) != 0;
  const auto v = static_cast<std::int64_t>(q);
  return std::signbit(x) ? -(v + (lost ? 1 : 0)) : v;
}

// e^x = 2^y, y = x log2(e) in fixed point with F = 30 fraction bits (formed
// exactly from the integer product above), y = i + f: 2^f from the table
// approximation, 2^i an exponent add, one rounding to FP32 at the end.
template <class Tally>
float exp_fixed(const FixedApprox& a, float x, Denormals d, Tally& tally) {
  x = ftz_if(x, d);
  tally(Op::kCompare, 2);
  if (std::isnan(x)) return float_of(kFp32CanonicalNan);
  if (std::fabs(x) >= 128.0f) return std::signbit(x) ? 0.0f : std::numeric_limits<float>::infinity();
  if (x == 0.0f) return 1.0f;
  tally(Op::kIntMul);  // significand x log2(e)
  tally(Op::kShift);   // align the product to the fixed-point grid
  const std::int64_t Y = scaled_log2e(x, kExpFracBits);
  const auto i = static_cast<int>(Y >> kExpFracBits);  // floor (arithmetic shift)
  const auto f = static_cast<std::uint64_t>(Y) & ((std::uint64_t{1} << kExpFracBits) - 1);
  if (i >= 128) return std::numeric_limits<float>::infinity();
  if (i < -160) return 0.0f;  // below 2^-159: rounds to zero
  const std::int64_t M = a.eval(f, tally);
  tally(Op::kIntAdd);        // exponent add
  tally(Op::kFp32Convert);   // round to FP32
  return round_to_fp32(static_cast<std::uint64_t>(M), i - 30, false, d);
}

constexpr std::int64_t kLn2Q40 = 762123384786;  // round(ln 2 * 2^40)

template <class Tally>
float log1p_fixed(const FixedApprox& a, float v, Denormals d, Tally& tally) {
  v = ftz_if(v, d);
  tally(Op::kCompare, 3);
  if (std::isnan(v) || v < -1.0f) return float_of(kFp32CanonicalNan);
  if (v == -1.0f) return -std::numeric_limits<float>::infinity();
  if (std::isinf(v)) return v;
  if (std::fabs(v) < 0x1p-24f) return v;  // log1p(v) rounds to v
  std::uint64_t m;
  int e;
  split(v, m, e);
  tally(Op::kShift);  // align 1 and v
  if (v > 0.0f && v < 1.0f) {  // 1 + v = 1 + f exactly: ln(1 + v) = v * g(v)
    const std::uint64_t f = e - 23 + 30 >= 0 ? m << (e - 23 + 30) : m >> (23 - 30 - e);
    const std::int64_t Q = a.eval(f, tally);
    tally(Op::kIntMul);
    tally(Op::kFp32Convert);
    return round_to_fp32(m * static_cast<std::uint64_t>(Q), e - 23 - 30, false, d);
  }
  // 1 + v = 2^k (1 + f), f truncated to 30 bits: ln(1 + v) = k ln2 + f g(f).
  int k;
  std::uint64_t f;
  if (v >= 1.0f) {  // e >= 0: S = (1 + v) 2^(30 - e), a bit below 1 dropped when e > 30
    std::uint64_t S = (m << 7) + (e <= 30 ? std::uint64_t{1} << (30 - e) : 0);
    k = e;
    if (S >= (std::uint64_t{1} << 31)) {
      S >>= 1;
      ++k;
    }
    f = S - (std::uint64_t{1} << 30);
  } else {  // -1 < v < 0, e in [-24, -1]: S = (1 - |v|) 2^48 exactly
    const std::uint64_t S = (std::uint64_t{1} << 48) - (m << (e + 25));
    const int nb = static_cast<int>(std::bit_width(S));
    tally(Op::kShift);  // normalise (leading-zero count)
    k = nb - 1 - 48;
    const std::uint64_t frac = S - (std::uint64_t{1} << (nb - 1));
    f = nb - 1 >= 30 ? frac >> (nb - 1 - 30) : frac << (30 - (nb - 1));
  }
  const std::int64_t Q = a.eval(f, tally);
  tally(Op::kIntMul, 2);  // f * g(f), k * ln2
  tally(Op::kIntAdd);
  tally(Op::kFp32Convert);
  const std::int64_t T = k * kLn2Q40 + static_cast<std::int64_t>((f * static_cast<std::uint64_t>(Q)) >> 20);
  return T >= 0 ? round_to_fp32(static_cast<std::uint64_t>(T), -40, false, d)
                : round_to_fp32(static_cast<std::uint64_t>(-T), -40, true, d);
}

template <class Tally>
float recip_fixed(const FixedApprox& a, float x, Denormals d, Tally& tally) {
  x = ftz_if(x, d);
  tally(Op::kCompare, 2);
  const std::uint32_t sign = bits_of(x) & kFp32SignMask;
  if (std::isnan(x)) return float_of(kFp32CanonicalNan);
  if (x == 0.0f) return float_of(sign | kFp32ExpMask);
  if (std::isinf(x)) return float_of(sign);
  std::uint64_t m;
  int e;
  split(x, m, e);
  if (m < 0x0080'0000u) {  // subnormal: normalise
    tally(Op::kShift);
    const int lz = 24 - static_cast<int>(std::bit_width(m));
    m <<= lz;
    e -= lz;
  }
  const std::int64_t R = a.eval(m & kFp32FracMask, tally);
  tally(Op::kIntAdd);
  tally(Op::kFp32Convert);
  return round_to_fp32(static_cast<std::uint64_t>(R), -30 - e, sign != 0, d);
}

// y[i] = unit(x[i]): the array form of the variants without a vector form of their own.
template <class Unit>
void each_element(Unit&& unit, const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = unit(x[i]);
}

// A counting tally over the definition's main path (unit_ops.hpp).
template <class F>
OpMix tally_of(F&& run) {
  OpMix m;
  run(m);
  return m;
}

}  // namespace

// ---- exp ---------------------------------------------------------------------

float exp_unit(const ExpUnit& u, float x, Denormals d) {
  NoTally t;
  switch (u.kind) {
    case ExpKind::kPoly: return exp_unit(x, d);
    case ExpKind::kSm90: return sm90_expf(x);
    default: return exp_fixed(approx_of(Fn::kExp, u), x, d, t);
  }
}

void exp_unit_batch(const ExpUnit& u, const float* x, float* y, std::size_t n, Denormals d) {
  if (u.kind == ExpKind::kPoly && d == Denormals::kPreserve) return exp_unit_batch(x, y, n);
  if (u.kind == ExpKind::kSm90) return sm90_expf_batch(x, y, n);
  each_element([&](float v) { return exp_unit(u, v, d); }, x, y, n);
}

OpMix exp_ops(const ExpUnit& u) {
  switch (u.kind) {
    case ExpKind::kPoly: return exp_unit_ops();
    case ExpKind::kSm90:  // mul.ftz by log2(e), then MUFU.EX2 priced as tquad6's datapath (§3.5)
      return exp_ops(ExpUnit{ExpKind::kTableQuad, 6}) - OpMix::of(Op::kIntMul) + OpMix::of(Op::kFp32Mul);
    default: return tally_of([&](OpMix& m) { (void)exp_fixed(approx_of(Fn::kExp, u), 0.3f, Denormals::kPreserve, m); });
  }
}

// ---- log1p -------------------------------------------------------------------

float log1p_unit(const Log1pUnit& u, float v, Denormals d) {
  NoTally t;
  switch (u.kind) {
    case Log1pKind::kPoly: return log1p_unit(v, d);
    case Log1pKind::kSm90: return sm90_log1pf(v);
    default: return log1p_fixed(approx_of(Fn::kLog1p, u), v, d, t);
  }
}

void log1p_unit_batch(const Log1pUnit& u, const float* v, float* y, std::size_t n, Denormals d) {
  if (u.kind == Log1pKind::kPoly && d == Denormals::kPreserve) return log1p_unit_batch(v, y, n);
  if (u.kind == Log1pKind::kSm90) return sm90_log1pf_batch(v, y, n);
  each_element([&](float a) { return log1p_unit(u, a, d); }, v, y, n);
}

OpMix log1p_ops(const Log1pUnit& u) {
  switch (u.kind) {
    case Log1pKind::kPoly: return log1p_unit_ops();
    case Log1pKind::kSm90: return sm90_log1pf_ops();
    default:  // v = 3: the k != 0 path, as log1p_unit_ops() counts
      return tally_of([&](OpMix& m) { (void)log1p_fixed(approx_of(Fn::kLog1p, u), 3.0f, Denormals::kPreserve, m); });
  }
}

// ---- reciprocal ----------------------------------------------------------------

float reciprocal_unit(const RecipUnit& u, float x, Denormals d) {
  NoTally t;
  switch (u.kind) {
    case RecipKind::kIeee: return ftz_if(reciprocal(ftz_if(x, d)), d);
    case RecipKind::kSm90: return sm90_rcp(x);
    default: return recip_fixed(approx_of(Fn::kRecip, u), x, d, t);
  }
}

void reciprocal_unit_batch(const RecipUnit& u, const float* x, float* y, std::size_t n, Denormals d) {
  if (u.kind == RecipKind::kSm90) return sm90_rcp_batch(x, y, n);
  each_element([&](float v) { return reciprocal_unit(u, v, d); }, x, y, n);
}

OpMix reciprocal_ops(const RecipUnit& u) {
  switch (u.kind) {
    case RecipKind::kIeee: return OpMix::of(Op::kFp32Div);
    case RecipKind::kSm90: return reciprocal_ops(RecipUnit{RecipKind::kTableQuad, 7});  // MUFU.RCP as tquad7 (§3.5)
    default: return tally_of([&](OpMix& m) { (void)recip_fixed(approx_of(Fn::kRecip, u), 1.7f, Denormals::kPreserve, m); });
  }
}

// ---- tables ------------------------------------------------------------------

TableShape table_shape(const ExpUnit& u) {
  if (u.kind == ExpKind::kPoly) return {};
  if (u.kind == ExpKind::kSm90) return table_shape(ExpUnit{ExpKind::kTableQuad, 6});
  return approx_of(Fn::kExp, u).shape();
}
TableShape table_shape(const Log1pUnit& u) {
  if (u.kind == Log1pKind::kPoly || u.kind == Log1pKind::kSm90) return {};
  return approx_of(Fn::kLog1p, u).shape();
}
TableShape table_shape(const RecipUnit& u) {
  if (u.kind == RecipKind::kIeee) return {};
  if (u.kind == RecipKind::kSm90) return table_shape(RecipUnit{RecipKind::kTableQuad, 7});
  return approx_of(Fn::kRecip, u).shape();
}
std::int64_t table_bits(const ExpUnit& u) { return table_shape(u).bits(); }
std::int64_t table_bits(const Log1pUnit& u) { return table_shape(u).bits(); }
std::int64_t table_bits(const RecipUnit& u) { return table_shape(u).bits(); }

// ---- composites ----------------------------------------------------------------

float softplus(float x, bool threshold, Denormals d, const UnitSelection& u) {
  if (threshold && !(x <= 20.0f)) return canonicalize_nan(x);  // setp.gtu: NaN takes this branch
  return log1p_unit(u.log1p, exp_unit(u.exp, x, d), d);
}

void softplus_batch(const float* x, float* y, std::size_t n, bool threshold, Denormals d, const UnitSelection& u) {
  exp_unit_batch(u.exp, x, y, n, d);
  log1p_unit_batch(u.log1p, y, y, n, d);  // element i reads only y[i]
  if (threshold)
    for (std::size_t i = 0; i < n; ++i)
      if (!(x[i] <= 20.0f)) y[i] = canonicalize_nan(x[i]);  // setp.gtu: NaN takes this branch
}

OpMix softplus_ops(bool threshold, const UnitSelection& u) {
  OpMix m = exp_ops(u.exp) + log1p_ops(u.log1p);
  if (threshold) m(Op::kCompare);
  return m;
}

float divide_as(float num, float den, QuantizeOp form, const RecipUnit& r, Denormals d) {
  if (form == QuantizeOp::kDivide) return fdiv(num, den, d);
  if (r.kind == RecipKind::kSm90) return sm90_mul(num, sm90_rcp(den));  // div.approx.ftz
  return fmul(num, reciprocal_unit(r, den, d), d);
}

OpMix divide_ops(QuantizeOp form, const RecipUnit& r) {
  if (form == QuantizeOp::kDivide) return OpMix::of(Op::kFp32Div);
  return reciprocal_ops(r) + OpMix::of(Op::kFp32Mul);
}

}  // namespace mambahw
