#include "mambahw/golden/hadamard.hpp"

#include <bit>
#include <cassert>
#include <cmath>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mambahw {

namespace {

bool is_pow2(int n) { return n > 0 && (n & (n - 1)) == 0; }

// The base matrices, row by row ('+' = +1, '-' = -1), exactly as the kernel
// applies them: the tables of csrc/hadamard/code_gen.py in Quamba (commit
// c474646) and Dao-AILab/fast-hadamard-transform (commit d1a56ee), from which
// fast_hadamard_transform_special.h's hadamard_mult_thread_{12,28,40} are
// generated. tb/data/hadamard_kernel holds the same kernels' outputs.
//   12: had_12_paley (Paley construction II, q = 5; first row +-++++++++++)
//   28: had_28_will  (Williamson)
//   40: had_40_tpal  (two-circulant Paley)
constexpr std::string_view kHad12 =
      "+-++++++++++"
      "--+-+-+-+-+-"
      "+++-++----++"
      "+---+--+-++-"
      "+++++-++----"
      "+-+---+--+-+"
      "++--+++-++--"
      "+--++---+--+"
      "++----+++-++"
      "+--+-++---+-"
      "++++----+++-"
      "+-+--+-++---";
constexpr std::string_view kHad28 =
      "+------++----++-+--+-+--++--"
      "-+-----+++-----+-+--+-+--++-"
      "--+-----+++---+-+-+----+--++"
      "---+-----+++---+-+-+-+--+--+"
      "----+-----+++---+-+-+++--+--"
      "-----+-----++++--+-+--++--+-"
      "------++----++-+--+-+--++--+"
      "--++++-+-------++--+++-+--+-"
      "---++++-+-----+-++--+-+-+--+"
      "+---+++--+----++-++--+-+-+--"
      "++---++---+----++-++--+-+-+-"
      "+++---+----+----++-++--+-+-+"
      "++++--------+-+--++-++--+-+-"
      "-++++--------+++--++--+--+-+"
      "-+-++-++--++--+--------++++-"
      "+-+-++--+--++--+--------++++"
      "-+-+-++--+--++--+----+---+++"
      "+-+-+-++--+--+---+---++---++"
      "++-+-+-++--+------+--+++---+"
      "-++-+-+-++--+------+-++++---"
      "+-++-+---++--+------+-++++--"
      "-++--++-+-++-+++----++------"
      "+-++--++-+-++-+++-----+-----"
      "++-++---+-+-++-+++-----+----"
      "-++-++-+-+-+-+--+++-----+---"
      "--++-++++-+-+----+++-----+--"
      "+--++-+-++-+-+----+++-----+-"
      "++--++-+-++-+-+----++------+";
constexpr std::string_view kHad40 =
      "+-------------------+-------------------"
      "++-++----+-+-++++--+++-++----+-+-++++--+"
      "+++-++----+-+-++++--+++-++----+-+-++++--"
      "+-++-++----+-+-++++-+-++-++----+-+-++++-"
      "+--++-++----+-+-+++++--++-++----+-+-++++"
      "++--++-++----+-+-+++++--++-++----+-+-+++"
      "+++--++-++----+-+-+++++--++-++----+-+-++"
      "++++--++-++----+-+-+++++--++-++----+-+-+"
      "+++++--++-++----+-+-+++++--++-++----+-+-"
      "+-++++--++-++----+-++-++++--++-++----+-+"
      "++-++++--++-++----+-++-++++--++-++----+-"
      "+-+-++++--++-++----++-+-++++--++-++----+"
      "++-+-++++--++-++----++-+-++++--++-++----"
      "+-+-+-++++--++-++---+-+-+-++++--++-++---"
      "+--+-+-++++--++-++--+--+-+-++++--++-++--"
      "+---+-+-++++--++-++-+---+-+-++++--++-++-"
      "+----+-+-++++--++-+++----+-+-++++--++-++"
      "++----+-+-++++--++-+++----+-+-++++--++-+"
      "+++----+-+-++++--++-+++----+-+-++++--++-"
      "+-++----+-+-++++--+++-++----+-+-++++--++"
      "+--------------------+++++++++++++++++++"
      "++-++----+-+-++++--+--+--++++-+-+----++-"
      "+++-++----+-+-++++-----+--++++-+-+----++"
      "+-++-++----+-+-++++--+--+--++++-+-+----+"
      "+--++-++----+-+-++++-++--+--++++-+-+----"
      "++--++-++----+-+-+++--++--+--++++-+-+---"
      "+++--++-++----+-+-++---++--+--++++-+-+--"
      "++++--++-++----+-+-+----++--+--++++-+-+-"
      "+++++--++-++----+-+------++--+--++++-+-+"
      "+-++++--++-++----+-+-+----++--+--++++-+-"
      "++-++++--++-++----+---+----++--+--++++-+"
      "+-+-++++--++-++----+-+-+----++--+--++++-"
      "++-+-++++--++-++------+-+----++--+--++++"
      "+-+-+-++++--++-++----+-+-+----++--+--+++"
      "+--+-+-++++--++-++---++-+-+----++--+--++"
      "+---+-+-++++--++-++--+++-+-+----++--+--+"
      "+----+-+-++++--++-++-++++-+-+----++--+--"
      "++----+-+-++++--++-+--++++-+-+----++--+-"
      "+++----+-+-++++--++----++++-+-+----++--+"
      "+-++----+-+-++++--++-+--++++-+-+----++--";

std::vector<std::int8_t> parse_base(std::string_view rows, int n) {
  if (rows.size() != static_cast<std::size_t>(n * n)) throw std::logic_error("hadamard base table has the wrong size");
  std::vector<std::int8_t> h(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) h[i] = rows[i] == '+' ? 1 : -1;
  return h;
}

}  // namespace

std::optional<HadamardSize> hadamard_size(int n) {
  if (n <= 0) return std::nullopt;
  for (int base : {12, 40, 28}) {  // Quamba's get_qhad_fn order; 28 only where neither 12 nor 40 divides
    if (n % base != 0) continue;
    if (!is_pow2(n / base)) return std::nullopt;
    return HadamardSize{base, n / base};
  }
  if (is_pow2(n)) return HadamardSize{1, n};
  return std::nullopt;
}

std::string hadamard_size_problem(int n) {
  if (hadamard_size(n)) return {};
  return std::to_string(n) + " is not 12*2^k, 40*2^k, 28*2^k or 2^k (the online Hadamard's sizes)";
}

HadamardSize require_hadamard_size(int d_inner) {
  if (const std::optional<HadamardSize> s = hadamard_size(d_inner)) return *s;
  throw std::invalid_argument("out_proj Hadamard: d_inner = " + hadamard_size_problem(d_inner));
}

const std::vector<std::int8_t>& hadamard_base(int base) {
  static const std::vector<std::int8_t> h1{1};
  static const std::vector<std::int8_t> h12 = parse_base(kHad12, 12);
  static const std::vector<std::int8_t> h28 = parse_base(kHad28, 28);
  static const std::vector<std::int8_t> h40 = parse_base(kHad40, 40);
  switch (base) {
    case 1: return h1;
    case 12: return h12;
    case 28: return h28;
    case 40: return h40;
    default: throw std::invalid_argument("hadamard_base: base must be 1, 12, 28 or 40");
  }
}

int hadamard_entry(HadamardSize s, int row, int col) {
  const int c = row / s.pow2, j = row % s.pow2, c2 = col / s.pow2, j2 = col % s.pow2;
  const int sylvester = (std::popcount(static_cast<unsigned>(j & j2)) & 1) ? -1 : 1;
  return hadamard_base(s.base)[static_cast<std::size_t>(c * s.base + c2)] * sylvester;
}

std::int64_t hadamard_adds(HadamardSize s) {
  const int k = std::countr_zero(static_cast<unsigned>(s.pow2));
  return static_cast<std::int64_t>(s.n()) * (k + s.base - 1);
}

namespace {

// Shared by the FP32 and double forms: the same operations on every element
// in the same order (§13), so the double form is the exact-arithmetic
// counterpart of the FP32 one. Loops run over contiguous j so they vectorise;
// each element still sees its own sequence of additions.
template <class T, class Add, class Sub>
void transform(std::span<T> v, HadamardSize s, Add add, Sub sub) {
  assert(v.size() == static_cast<std::size_t>(s.n()));
  const std::size_t m = static_cast<std::size_t>(s.pow2);
  for (std::size_t block = 0; block < static_cast<std::size_t>(s.base); ++block) {
    T* x = v.data() + block * m;
    for (std::size_t half = 1; half < m; half <<= 1)
      for (std::size_t b0 = 0; b0 < m; b0 += 2 * half)
        for (std::size_t j = b0; j < b0 + half; ++j) {
          const T a = x[j], b = x[j + half];
          x[j] = add(a, b);
          x[j + half] = sub(a, b);
        }
  }
  if (s.base == 1) return;
  const std::vector<std::int8_t>& h = hadamard_base(s.base);
  const std::size_t k = static_cast<std::size_t>(s.base);
  std::vector<T> in(v.begin(), v.end());
  for (std::size_t c = 0; c < k; ++c) {
    const std::int8_t* row = h.data() + c * k;
    T* out = v.data() + c * m;
    const T* x0 = in.data();
    for (std::size_t j = 0; j < m; ++j) out[j] = row[0] > 0 ? x0[j] : -x0[j];  // negation is exact
    for (std::size_t c2 = 1; c2 < k; ++c2) {
      const T* x = in.data() + c2 * m;
      if (row[c2] > 0) {
        for (std::size_t j = 0; j < m; ++j) out[j] = add(out[j], x[j]);
      } else {
        for (std::size_t j = 0; j < m; ++j) out[j] = sub(out[j], x[j]);
      }
    }
  }
}

}  // namespace

void hadamard_fp32(std::span<float> v, HadamardSize s, Denormals d) {
  if (d == Denormals::kFlushToZero) {
    transform(v, s, [d](float a, float b) { return fadd(a, b, d); }, [d](float a, float b) { return fadd(a, -b, d); });
  } else {  // plain IEEE add and subtract: the same values, without the flush checks
    transform(v, s, [](float a, float b) { return a + b; }, [](float a, float b) { return a - b; });
  }
}

void hadamard_orthonormal(std::span<double> v, HadamardSize s) {
  transform(v, s, [](double a, double b) { return a + b; }, [](double a, double b) { return a - b; });
  const double scale = 1.0 / std::sqrt(static_cast<double>(s.n()));
  for (double& x : v) x *= scale;
}

float hadamard_quant_multiplier(int n, float out_scale) {
  const double had_scale = 1.0 / std::sqrt(static_cast<double>(n));
  return static_cast<float>(had_scale / static_cast<double>(out_scale));
}

void hadamard_transform_fp16(std::span<const float> x, std::span<float> v, HadamardSize s, Denormals d) {
  assert(x.size() == v.size() && x.size() == static_cast<std::size_t>(s.n()));
  fp16_round_batch(x.data(), v.data(), v.size());
  hadamard_fp32(v, s, d);
}

std::int64_t hadamard_quantize(std::span<const float> x, std::span<std::int8_t> q, HadamardSize s, float multiplier,
                               const HadamardQuantPolicy& p) {
  assert(x.size() == q.size() && x.size() == static_cast<std::size_t>(s.n()));
  std::vector<float> v(x.size());
  hadamard_transform_fp16(x, v, s, p.denormals);
  const NumericsPolicy np{p.rounding, QuantizeOp::kMultiplyReciprocal, p.overflow, p.denormals};
  std::int64_t overflow = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const float scaled = fmul(v[i], multiplier, p.denormals);
    overflow += rounds_out_of_range(scaled, p.rounding);
    q[i] = static_cast<std::int8_t>(code_of_scaled(scaled, np, kInt8Range));
  }
  return overflow;
}

OpMix hadamard_quantize_ops(HadamardSize s) {
  const std::int64_t n = s.n();
  return OpMix::of(DatapathOp::kFp32Convert, n) + OpMix::of(DatapathOp::kFp32Add, hadamard_adds(s)) +
         OpMix::of(DatapathOp::kFp32Mul, n);
}

}  // namespace mambahw
